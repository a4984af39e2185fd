"""Refining a generic body after it is chosen: the page furniture readability keeps inside it.

readability picks the block with the best-scored paragraphs and keeps all that block
holds: caption and credit lines loose between paragraphs, bylines and author boxes,
newsletter boxes, share bars, consent dialogs, "Read more: ..." links to other stories
and "Advertisement" labels. None of it is the article's text. :func:`refine` takes it out
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
# ... and of furniture that is a block of its own: share and print bars, the post's meta
# line and tag list, boxes of related stories and promotions, cookie and privacy dialogs.
# Never an inline element: a link in a sentence can carry such a class ("meta-loc") and
# is still part of the sentence. Words left out because they name content as often:
# "player" (a sports table's rows), "consent" (an article's subject).
_BLOCK_FURNITURE_WORDS = frozenset({
    "share", "sharing", "print", "meta", "tags", "related", "promo",
    "privacy", "cookie", "cookies", "modal", "popup", "overlay",
})
_INLINE = frozenset({"a", "abbr", "b", "cite", "code", "em", "font", "i", "q", "small", "span", "strong", "sub", "sup", "time", "u"})
_WORD_SPLIT = re.compile(r"[\s_-]+")
# An element holding more than this share of the body's text is the body's own structure,
# whatever its class says ("article-with-author-box").
_MOST_OF_BODY = 0.25
# Blocks that can hold a line of furniture text on their own.
_LINE_BLOCKS = ("p", "div", "section", "aside", "blockquote", "h2", "h3", "h4", "h5", "h6")
# A pointer to another story: "Read more: <link>", in the languages of the corpus and
# its neighbours, then a separator ("Read more about it here." is a sentence). Only with
# the link itself making most of the line (below).
_SEE_ALSO = re.compile(
    r"\W*(?:read (?:more|also)|also read|related|see also|more|also|don'?t miss|"
    r"lesen sie (?:auch|mehr)|mehr zum thema|auch interessant|"
    r"lire aussi|à lire aussi|voir aussi|"
    r"lea también|lee también|lee más|leer más|le puede interesar|te puede interesar|ver también|"
    r"leia (?:também|mais)|veja também|leggi anche|"
    r"czytaj (?:też|także)|zobacz (?:też|także)|"
    r"相关阅读|延伸阅读|推荐阅读|相关新闻|相关链接|更多阅读)"
    r"(?:\s+\w+)?\s*(?:[:：|»>\-–—]|$)",
    re.IGNORECASE,
)
_SEE_ALSO_LONGEST = 300  # characters: a pointer is a line, never a paragraph of prose
_SEE_ALSO_LINK_SHARE = 0.5
# An advertisement's label left where the ad was: the whole text of its element.
_AD_LABEL = re.compile(
    r"\W*(?:advertisement|advert|anzeige|werbung|publicidad|publicité|pubblicità|reklama|广告|"
    r"(?:story|article) continues (?:below|after)(?: (?:this|the))? (?:ad|advertisement))\W*",
    re.IGNORECASE,
)
_AD_LABEL_LONGEST = 80


def refine(body: lxml.html.HtmlElement) -> lxml.html.HtmlElement:
    """Remove furniture (loose captions and credits, bylines, share bars, see-also links, ad labels) from a generic *body*; return it. In place."""
    whole = len(squash(body.text_content()))
    doomed: list[lxml.html.HtmlElement] = []
    for element in body.iterdescendants("*"):
        if _is_furniture(element) and next(element.iterancestors("figure"), None) is None:
            if len(squash(element.text_content())) <= whole * _MOST_OF_BODY:
                doomed.append(element)
        elif element.tag in _LINE_BLOCKS:
            # A block is told by its first words: reading the whole text of every block
            # would read a nested one again for each of its ancestors.
            start = _leading_text(element, _AD_LABEL_LONGEST)
            if _is_ad_label(start) or (_SEE_ALSO.match(start) and _is_see_also(element)):
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
    if not names.strip():
        return False
    words = _WORD_SPLIT.split(names)
    if not _FURNITURE_WORDS.isdisjoint(words):
        return True
    return element.tag not in _INLINE and not _BLOCK_FURNITURE_WORDS.isdisjoint(words)


def _is_see_also(element: lxml.html.HtmlElement) -> bool:
    """Tell whether a block is a pointer to another story: a "Read more:" lead, then mostly a link."""
    text = squash(element.text_content())
    if len(text) > _SEE_ALSO_LONGEST or not _SEE_ALSO.match(text):
        return False
    linked = sum(len(squash(link.text_content())) for link in element.iter("a"))
    return linked >= len(text) * _SEE_ALSO_LINK_SHARE


def _is_ad_label(start: str) -> bool:
    """Tell whether the start of a block's text is all of it, and an advertisement's label."""
    return len(start) < _AD_LABEL_LONGEST and _AD_LABEL.fullmatch(start) is not None


def _leading_text(element: lxml.html.HtmlElement, limit: int) -> str:
    """Return the start of an element's text: *limit* characters of it or more (spaces aside), or all of it."""
    pieces, size = [], 0
    for piece in element.itertext():
        pieces.append(piece)
        size += len(piece.strip())
        if size >= limit:
            break
    return squash("".join(pieces))
