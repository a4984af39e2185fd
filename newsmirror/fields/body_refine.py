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
from collections.abc import Iterable

import lxml.html


# Class and id words (split at spaces, "-" and "_") of page furniture: an image's caption
# or credit, the byline and author box, the newsletter sign-up.
_FURNITURE_WORDS = frozenset({"caption", "credit", "credits", "byline", "author", "bio", "newsletter"})
# ... and of furniture that is a block of its own: share and print bars, the post's meta
# line and tag list, boxes of related stories and promotions, cookie and privacy dialogs.
# Not "modal", "popup" or "overlay": a site can hold all its text in modal boxes.
# Never an inline element: a link in a sentence can carry such a class ("meta-loc") and
# is still part of the sentence. Words left out because they name content as often:
# "player" (a sports table's rows), "consent" (an article's subject).
_BLOCK_FURNITURE_WORDS = frozenset({
    "share", "sharing", "print", "meta", "tags", "related", "promo",
    "privacy", "cookie", "cookies",
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
# A see-also line holding one of these is a picture's or a player's, and stays with it.
_MEDIA = ("img", "picture", "video", "audio", "iframe", "figure")
_SEE_ALSO_LONGEST = 300  # characters: a pointer is a line, never a paragraph of prose
_SEE_ALSO_LINK_SHARE = 0.5
# An advertisement's label left where the ad was: the whole text of its element.
_AD_LABEL = re.compile(
    r"\W*(?:advertisement|advert|anzeige|werbung|publicidad|publicité|pubblicità|reklama|广告|"
    r"(?:story|article) continues (?:below|after)(?: (?:this|the))? (?:ad|advertisement))\W*",
    re.IGNORECASE,
)
_AD_LABEL_LONGEST = 80
# A link back to where the reader came from, or to the top of the page: the whole text
# of its line. A browser's button, never the article's.
_BACK_LINK = re.compile(
    r"\W*(?:(?:go )?back|back to top|zurück|nach oben|voltar|volver|regresar|retour|indietro|"
    r"wstecz|powrót|返回|返回上一页|返回顶部|回到顶部)\W*",
    re.IGNORECASE,
)
# The blocks that hold a body's lines: a line is one of them with none of them inside.
_TEXT_BLOCKS = frozenset({*_LINE_BLOCKS, "td", "li"})
# The page's notices at the end of a body: a way to reach the writer or the site (an
# e-mail address) and the copyright or licence line (Chinese sites print their ICP
# licence number there). Only in its last lines and only in a short line: a sentence of
# the article can name an address or "版权所有者" (the copyright holder) too.
_LAST_LINES = 4
_NOTICE_LONGEST = 300
_COPYRIGHT_LONGEST = 120
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_COPYRIGHT = re.compile(
    r"版权所有(?!者)|ICP备|ICP证|all rights reserved|copyright\s*(?:©|\(c\))|©\s*(?:19|20)\d\d", re.IGNORECASE
)
# The article's header line repeated at the top of a body: a date and the source's label
# ("发布时间：2022-02-13 来源：云南日报"). Only in its first lines.
_FIRST_LINES = 3
_HEADER_LONGEST = 100
_HEADER_DATE = re.compile(r"(?:19|20)\d\d\s*[-年/.]\s*\d{1,2}")
_SOURCE_LABEL = re.compile(r"来源\s*[:：]|来源于|稿源|出处\s*[:：]")


def refine(body: lxml.html.HtmlElement) -> lxml.html.HtmlElement:
    """Remove furniture (loose captions and credits, bylines, share bars, see-also, back links, ad labels) from a generic *body*; return it. In place."""
    whole = len(_squash(body.text_content()))
    doomed: list[lxml.html.HtmlElement] = []
    for element in body.iterdescendants("*"):
        if is_furniture(element) and next(element.iterancestors("figure"), None) is None:
            if len(_squash(element.text_content())) <= whole * _MOST_OF_BODY:
                doomed.append(element)
        elif element.tag in _LINE_BLOCKS:
            # A block is told by its first words: reading the whole text of every block
            # would read a nested one again for each of its ancestors.
            start = _leading_text(element, _AD_LABEL_LONGEST)
            if _is_ad_label(start) or _is_back_link(element, start) or (
                _SEE_ALSO.match(start) and _is_see_also(element)
            ):
                doomed.append(element)
    marked = set(doomed)
    for element in doomed:
        # An element inside another doomed one goes with it.
        if marked.isdisjoint(element.iterancestors()):
            element.drop_tree()
    _drop_header_and_notices(body)
    return body


def _drop_header_and_notices(body: lxml.html.HtmlElement) -> None:
    """Remove a repeated header line from the first lines of *body* and the site's notices from its last lines."""
    blocks = list(body.iterdescendants(*_TEXT_BLOCKS))
    first = _lines(blocks, _FIRST_LINES)
    last = [line for line in _lines(reversed(blocks), _LAST_LINES) if line not in first]
    doomed = []
    for line in first:
        text = _squash(line.text_content())
        if len(text) <= _HEADER_LONGEST and _HEADER_DATE.search(text) and _SOURCE_LABEL.search(text):
            doomed.append(line)
    for line in last if len(first) == _FIRST_LINES else []:
        text = _squash(line.text_content())
        if (len(text) <= _NOTICE_LONGEST and _EMAIL.search(text)) or (
            len(text) <= _COPYRIGHT_LONGEST and _COPYRIGHT.search(text)
        ):
            doomed.append(line)
    for line in doomed:
        if line.getparent() is not None:
            line.drop_tree()


def _squash(text: str) -> str:
    """Return *text* with its whitespace runs collapsed to one space and trimmed.

    ``extract.page.squash``'s result; str.split finds the whitespace its regex does, in a
    fraction of the time, and refine reads every block's leading words.
    """
    return " ".join(text.split())


def _lines(blocks: Iterable[lxml.html.HtmlElement], count: int) -> list[lxml.html.HtmlElement]:
    """Return the first *count* lines among *blocks*: blocks with text and no block inside."""
    # Only the first few and the last few are asked for: each block is looked into at
    # most once, and a wrapper at its first block inside.
    found = []
    for block in blocks:
        if next(block.iterdescendants(*_TEXT_BLOCKS), None) is None and block.text_content().strip():
            found.append(block)
            if len(found) == count:
                break
    return found


def is_furniture(element: lxml.html.HtmlElement) -> bool:
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
    text = _squash(element.text_content())
    if len(text) > _SEE_ALSO_LONGEST or not _SEE_ALSO.match(text):
        return False
    if next(element.iter(*_MEDIA), None) is not None:
        return False  # the line holds a picture or a player: what it shows belongs to the article
    linked = sum(len(_squash(link.text_content())) for link in element.iter("a"))
    return linked >= len(text) * _SEE_ALSO_LINK_SHARE


def _is_ad_label(start: str) -> bool:
    """Tell whether the start of a block's text is all of it, and an advertisement's label."""
    return len(start) < _AD_LABEL_LONGEST and _AD_LABEL.fullmatch(start) is not None


def _is_back_link(element: lxml.html.HtmlElement, start: str) -> bool:
    """Tell whether a block is a "back" or "to the top" link and nothing else."""
    if len(start) >= _AD_LABEL_LONGEST or _BACK_LINK.fullmatch(start) is None:
        return False
    return _squash(" ".join(link.text_content() for link in element.iter("a"))) == start


def _leading_text(element: lxml.html.HtmlElement, limit: int) -> str:
    """Return the start of an element's text: *limit* characters of it or more (spaces aside), or all of it."""
    pieces, size = [], 0
    for piece in element.itertext():
        pieces.append(piece)
        size += len(piece.strip())
        if size >= limit:
            break
    return _squash("".join(pieces))
