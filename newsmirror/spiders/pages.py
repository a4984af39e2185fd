"""Multi-page articles (issue 16): finding the link to an article's next page.

Discovery only: a link, read from the page's ``rel="next"`` markers, a "next page" anchor
(``下一页``, ``Next page``, ``Weiter``, ...) or a ``?page=N+1`` link. A next page must stay
on the first page's host and extend its path (``story.html`` -> ``story_2.html``,
``story/2``, ``story.html?page=2``): a "next article" link, which news templates carry
on every page, leads elsewhere and is not followed.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import parse_qsl, urljoin, urlsplit

from scrapy.http import Response

# An anchor whose whole text says "next page", in the languages of the corpus and a few more.
_NEXT_TEXT = re.compile(
    r"^\s*(下一页|下一頁|下页|下頁|次のページ|次へ|다음\s*페이지|next\s*page|next|weiter|nächste\s+seite|"
    r"page\s+suivante|suivant|siguiente|página\s+siguiente|próxima|successiva|следующая)\s*[›»>→]*\s*$",
    re.IGNORECASE,
)
_REL_NEXT = "contains(concat(' ', normalize-space(@rel), ' '), ' next ')"
_PAGE_PARAM = "page"

logger = logging.getLogger(__name__)


def _stem(path: str) -> str:
    """Return a path without its file extension and trailing slash: what later pages extend."""
    path = path.rstrip("/")
    head, dot, extension = path.rpartition(".")
    return head if dot and "/" not in extension and len(extension) <= 5 else path


def continues(first_url: str, candidate: str) -> bool:
    """Tell whether *candidate* can be a later page of the article at *first_url* (same host, path extended)."""
    first, later = urlsplit(first_url), urlsplit(candidate)
    return (
        later.scheme in ("http", "https")
        and (later.hostname or "") == (first.hostname or "")
        and _stem(later.path).startswith(_stem(first.path))
    )


def same_host(first_url: str, candidate: str) -> bool:
    """Tell whether *candidate* is on the host of *first_url*."""
    return (urlsplit(candidate).hostname or "") == (urlsplit(first_url).hostname or "")


def _page_number(url: str) -> int:
    values = [value for name, value in parse_qsl(urlsplit(url).query) if name.lower() == _PAGE_PARAM]
    return int(values[0]) if values and values[0].isdigit() else 1


def next_page_candidates(response: Response) -> list[str]:
    """Return the absolute URLs the page marks as a next page, strongest marker first.

    ``rel="next"`` (``<link>`` or ``<a>``), then anchors whose text says "next page", then
    links to the same path with ``page=`` one higher.
    """
    base = response.url
    marked = response.xpath(f"//link[{_REL_NEXT}]/@href | //a[{_REL_NEXT}]/@href").getall()
    found = [urljoin(base, href.strip()) for href in marked if href.strip()]
    for anchor in response.xpath("//a[@href]"):
        if _NEXT_TEXT.match(" ".join(anchor.xpath(".//text()").getall())):
            found.append(urljoin(base, anchor.attrib["href"].strip()))
    wanted = _page_number(base) + 1
    path = urlsplit(base).path
    for href in response.xpath("//a/@href").getall():
        url = urljoin(base, href.strip())
        if urlsplit(url).path == path and _page_number(url) == wanted:
            found.append(url)
    return list(dict.fromkeys(found))


def next_page_link(response: Response, first_url: str, named: str | None = None) -> str | None:
    """Return the next page of the article that starts at *first_url*, or None.

    *named* is the next page a site rule's ``next_page_link`` names: it comes first, and
    need not extend the first page's path (the rule knows the site's layout). Any candidate
    on another host is refused with a logged reason; a marker-found one on the same host
    that does not extend the first page's path ("Next story") is passed over.
    """
    if named:
        if same_host(first_url, named):
            return named
        logger.info("Next page of %s refused: %s is on another host (site rule)", first_url, named)
        return None
    for candidate in next_page_candidates(response):
        if not same_host(first_url, candidate):
            logger.info("Next page of %s refused: %s is on another host", first_url, candidate)
        elif continues(first_url, candidate):
            return candidate
    return None
