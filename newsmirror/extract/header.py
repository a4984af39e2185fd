"""The printed article header: the visible text right after the headline, where bylines and times sit."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

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


def header_text(page: Page, title: str) -> str:
    """Return the visible text that follows the headline, where bylines and times are printed.

    A headline printed in several places (breadcrumbs, the header, a "related" list) is
    tried in page order: the first one followed by a printed date is the header.
    """
    if not title:
        return ""
    headings = page.tree.xpath(
        "//*[not(self::title or self::script or self::style or self::head or self::html)]"
        "[normalize-space(.) = $title][1]",
        title=title,
    )
    windows = [_window_after(heading) for heading in headings[:_MAX_HEADINGS]]
    dated = next((window for window in windows if _has_date(window)), "")
    if dated:
        return dated
    loose = _text_after(page, title)
    if _has_date(loose) or not windows:
        return loose
    return windows[-1]  # the innermost of nested matches


def _window_after(heading: lxml.html.HtmlElement) -> str:
    """Return the squashed visible text that follows an element, up to the header window."""
    following = heading.xpath("following::text()[not(ancestor::script or ancestor::style)]")
    collected: list[str] = []
    size = 0
    for text in following:
        collected.append(text)
        size += len(text)
        if size > _HEADER_WINDOW * 4:  # raw text is mostly whitespace; squash trims it below
            break
    return squash(" ".join(collected))[:_HEADER_WINDOW]


def _has_date(text: str) -> bool:
    """Tell whether a text prints a date (its zone is irrelevant to that)."""
    return bool(text) and find_printed_date(text, _UTC) is not None


def visible_text(page: Page) -> str:
    """Return the squashed text of the page's body, without scripts and styles."""
    body = page.tree.find("body")
    if body is None:
        return ""
    return squash(" ".join(body.xpath(".//text()[not(ancestor::script or ancestor::style)]")))


def _text_after(page: Page, title: str) -> str:
    """Return the visible text after the headline where no element holds the headline alone.

    Older and forum pages print the headline, time and byline as loose text in one cell.
    The headline may be printed more than once (breadcrumbs, then the header): the first
    print followed by a date is the header.
    """
    if len(title) < _MIN_LOCATOR:
        return ""
    text = visible_text(page)
    windows = []
    start = text.find(title)
    while start >= 0 and len(windows) < 5:
        windows.append(text[start + len(title) : start + len(title) + _HEADER_WINDOW])
        start = text.find(title, start + 1)
    return next((window for window in windows if _has_date(window)), windows[0] if windows else "")


def title_locators(page: Page, title: str) -> list[str]:
    """Return the texts that may print the headline on the page: the title, the h1, the <title>'s head."""
    document_title = page.first_text("title")
    head = _LOOSE_SEPARATORS.split(document_title)[0] if document_title else ""
    return [text for text in dict.fromkeys((title, page.first_text("h1"), head)) if text]


def printed_header(page: Page, title: str) -> str:
    """Return the header text after the first of the headline's printed forms that has one."""
    return next(filter(None, (header_text(page, text) for text in title_locators(page, title))), "")
