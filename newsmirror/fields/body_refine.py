"""Refining a generic body after it is chosen: the page furniture readability keeps inside it.

readability picks the block with the best-scored paragraphs and keeps all that block
holds: image captions and photo credits, bylines and author boxes, "Advertisement"
labels between paragraphs. None of it is the article's text. :func:`refine` takes it out
of a body chosen by readability or the densest block; a site module's body is its
layout's own and is left alone (``body.choose``). Its own module, not part of
``body.py``, because ``body.py`` holds the choice between candidates and the readability
adapter, and this is a pass over the winner.
"""

from __future__ import annotations

import re

import lxml.html

from newsmirror.extract.page import squash

# Class and id words (split at spaces, "-" and "_") of page furniture: an image's caption
# or credit, the byline and author box, the newsletter sign-up.
_FURNITURE_WORDS = frozenset({"caption", "credit", "credits", "byline", "author", "bio", "newsletter"})
_WORD_SPLIT = re.compile(r"[\s_-]+")
# An element holding more than this share of the body's text is the body's own structure,
# whatever its class says ("article-with-author-box").
_MOST_OF_BODY = 0.25


def refine(body: lxml.html.HtmlElement) -> lxml.html.HtmlElement:
    """Remove captions, credits, bylines and like furniture from a generic *body*; return it. In place."""
    whole = len(squash(body.text_content()))
    doomed: list[lxml.html.HtmlElement] = []
    for element in body.iterdescendants("*"):
        if element.tag == "figcaption" or _is_furniture(element):
            if len(squash(element.text_content())) <= whole * _MOST_OF_BODY:
                doomed.append(element)
    marked = set(doomed)
    for element in doomed:
        # An element inside another doomed one goes with it.
        if marked.isdisjoint(element.iterancestors()):
            element.drop_tree()
    return body


def _is_furniture(element: lxml.html.HtmlElement) -> bool:
    """Tell whether an element's class or id names page furniture."""
    names = f"{element.get('class') or ''} {element.get('id') or ''}".lower()
    return not _FURNITURE_WORDS.isdisjoint(_WORD_SPLIT.split(names)) if names.strip() else False
