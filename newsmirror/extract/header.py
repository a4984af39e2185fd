"""The printed article header: the visible text right after the headline, where bylines and times sit."""

from __future__ import annotations

import re
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import lxml.etree
import lxml.html

from newsmirror.extract.dates import find_printed_date
from newsmirror.extract.page import Page, squash

# The printed header time sits just below the headline; look no further than this.
_HEADER_WINDOW = 400
# Looser than a headline clean-up may be ("-" inside "COVID-19"): only to find where the page
# prints the headline, never to shorten it.
_LOOSE_SEPARATORS = re.compile(r"\s*(?:_|\||--| - |-|–|—|丨|｜)\s*")
# A shorter text is found in too many places to mark the header.
_MIN_LOCATOR = 6
_MAX_HEADINGS = 6
_UTC = ZoneInfo("UTC")
_SCRIPTS = frozenset({"script", "style"})
# Elements that are never the printed headline, though their text may be the headline's.
_NOT_HEADINGS = frozenset({"title", "script", "style", "head", "html"})
# XPath's whitespace, which normalize-space() collapses (str.split would also take U+00A0).
_XML_SPACE_CHARACTERS = " \t\n\r"
_XML_SPACE = re.compile(r"[ \t\n\r]+")
# The text nodes that may be part of a printed headline: pieces of it (XPath, so the scan runs in C).
_TITLE_PIECES = lxml.etree.XPath(
    "//text()[normalize-space(.) != '' and contains($title, normalize-space(.))]"
)


def header_text(page: Page, title: str) -> str:
    """Return the visible text that follows the headline, where bylines and times are printed.

    A headline printed in several places (breadcrumbs, the header, a "related" list) is
    tried in page order: the first one followed by a printed date is the header.
    """
    if not title:
        return ""
    windows = [_window_after(heading) for heading in _headings(page, title)[:_MAX_HEADINGS]]
    dated = next((window for window in windows if _has_date(window)), "")
    if dated:
        return dated
    loose = _text_after(page, title)
    if _has_date(loose) or not windows:
        return loose
    return windows[-1]  # the innermost of nested matches


def _xpath_normalized(text: str) -> str:
    """Return *text* as XPath's normalize-space() gives it (only XML whitespace collapses)."""
    return _XML_SPACE.sub(" ", text).strip(_XML_SPACE_CHARACTERS)


def _headings(page: Page, title: str) -> list[lxml.html.HtmlElement]:
    """Return the elements whose whole text is *title*, in page order, the first of each parent's children.

    What ``//*[not(self::title or ...)][normalize-space(.) = $title][1]`` selects, without
    computing the text of every element of the page: an element whose text is the headline
    holds a text node that is a piece of it, so only such nodes' ancestors are tried, each
    once, climbing while their text is no longer than the headline.
    """
    pieces = _TITLE_PIECES(page.tree, title=title)
    found: dict[lxml.html.HtmlElement, tuple[int, int]] = {}  # element -> (first piece, depth)
    tried: set[lxml.html.HtmlElement] = set()
    for position, piece in enumerate(pieces):
        element = piece.getparent()
        if element is not None and piece.is_tail:
            element = element.getparent()
        climbed: list[lxml.html.HtmlElement] = []
        while element is not None and element not in tried:
            tried.add(element)
            text = _xpath_normalized(element.text_content())
            if len(text) > len(title):
                break
            if text == title and element.tag not in _NOT_HEADINGS:
                climbed.append(element)
            element = element.getparent()
        for depth, element in enumerate(reversed(climbed)):  # outer elements first
            found[element] = (position, depth)
    firsts = [element for element in found if not any(
        sibling in found for sibling in element.itersiblings(preceding=True))]
    return sorted(firsts, key=found.__getitem__)


def _window_after(heading: lxml.html.HtmlElement) -> str:
    """Return the squashed visible text that follows an element, up to the header window."""
    collected: list[str] = []
    size = 0
    for text in _texts_after(heading):
        collected.append(text)
        size += len(text)
        if size > _HEADER_WINDOW * 4:  # raw text is mostly whitespace; squash trims it below
            break
    return squash(" ".join(collected))[:_HEADER_WINDOW]


def _texts_after(element: lxml.html.HtmlElement) -> Iterator[str]:
    """Yield the text nodes after *element* in page order (not inside it), outside scripts and styles.

    What the ``following::text()`` axis gives, read lazily: the header window needs the
    first few hundred characters, not the rest of the page.
    """
    node: lxml.html.HtmlElement | None = element
    while node is not None:
        if node.tail:
            yield node.tail
        for sibling in node.itersiblings():
            yield from _texts_of(sibling)
        node = node.getparent()


def _texts_of(element: lxml.html.HtmlElement) -> Iterator[str]:
    """Yield the text nodes of *element*'s subtree and then its tail, in page order, outside scripts and styles."""
    if isinstance(element.tag, str) and element.tag not in _SCRIPTS:
        if element.text:
            yield element.text
        for child in element:
            yield from _texts_of(child)
    if element.tail:
        yield element.tail


def _has_date(text: str) -> bool:
    """Tell whether a text prints a date (its zone is irrelevant to that)."""
    return bool(text) and find_printed_date(text, _UTC) is not None


def visible_text(page: Page) -> str:
    """Return the squashed text of the page's body, without scripts and styles (computed once a page)."""
    return page.visible_text


def _text_after(page: Page, title: str) -> str:
    """Return the visible text after the headline where no element holds the headline alone.

    Older and forum pages print the headline, time and byline as loose text in one cell.
    The headline may be printed more than once (breadcrumbs, then the header): the first
    print followed by a date is the header.
    """
    if len(title) < _MIN_LOCATOR:
        return ""
    text = page.visible_text
    windows = []
    start = text.find(title)
    while start >= 0 and len(windows) < 5:
        windows.append(text[start + len(title) : start + len(title) + _HEADER_WINDOW])
        start = text.find(title, start + 1)
    return next((window for window in windows if _has_date(window)), windows[0] if windows else "")


def precedes_headline(page: Page, title: str, element: lxml.html.HtmlElement) -> bool:
    """Tell whether *element* comes before the first element that prints the headline, in page order.

    What a page prints above its headline (a navigation bar, a date line of the site's
    "today") is the site's, not the article's. False when the headline is not found.
    """
    headings = [heading for text in title_locators(page, title) for heading in _headings(page, text)[:1]]
    if not headings:
        return False
    for node in page.tree.iter():
        if node is element:
            return True
        if node in headings:
            return False
    return False


def title_locators(page: Page, title: str) -> list[str]:
    """Return the texts that may print the headline on the page: the title, the h1, the <title>'s head."""
    document_title = page.first_text("title")
    head = _LOOSE_SEPARATORS.split(document_title)[0] if document_title else ""
    return [text for text in dict.fromkeys((title, page.first_text("h1"), head)) if text]


def printed_header(page: Page, title: str) -> str:
    """Return the header text after the first of the headline's printed forms that has one."""
    return next(filter(None, (header_text(page, text) for text in title_locators(page, title))), "")
