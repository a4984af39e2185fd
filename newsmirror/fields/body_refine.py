"""Refining a generic body after it is chosen: the page furniture readability keeps inside it.

readability picks the block with the best-scored paragraphs and keeps all that block
holds: caption and credit lines loose between paragraphs, bylines and author boxes,
newsletter boxes. None of it is the article's text. :func:`refine` takes it out
of a body chosen by readability or the densest block; a site module's body is its
layout's own and is left alone (``body.choose``). A ``<figure>``'s caption and credit
stay with its image: the gold of the benchmarks leaves captions out (en-news body
AEB-F1 0.933 / 0.949 dropping them, 0.928 / 0.945 keeping them, 0.923 / 0.943 before the
rule), but a post that mirrors a photo keeps what the photo shows and whose it is. Its own module, not part of
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
    """Remove loose caption and credit lines, bylines and like furniture from a generic *body*; return it. In place."""
    whole = len(squash(body.text_content()))
    doomed: list[lxml.html.HtmlElement] = []
    for element in body.iterdescendants("*"):
        if _is_furniture(element) and next(element.iterancestors("figure"), None) is None:
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
