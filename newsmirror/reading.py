"""Reading an article: from a fetched page's bytes (or a feed item) to the fields of a post.

This is the CPU-heavy part of a crawl, kept free of Scrapy so that reader processes
(:mod:`newsmirror.readers`) can run it on every core with a small footprint: it imports
no Scrapy or Twisted, touches no file, stat or network, and returns plain data.  The
pipelines (:mod:`newsmirror.pipelines`) call it and turn an :class:`Unreadable` into
the matching ``DropItem``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import lxml.etree
import lxml.html

from newsmirror.clean import clean_body, first_image, has_content
from newsmirror.extract.page import Page, header_charset
from newsmirror.items import ArticleItem, ListingHints
from newsmirror.fields.image import lead_image
from newsmirror.sites import extract_article, site_for
from newsmirror.sites.base import PageFields, Site
from newsmirror.siterules.apply import rewrite_html
from newsmirror.siterules.rules import SiteRule
from newsmirror.teasers import teaser_reason
from newsmirror.text import fold_text, html_text

if TYPE_CHECKING:
    from scrapy.http import Response

logger = logging.getLogger(__name__)

UNDATED_POLICIES = ("drop", "first-seen")


def check_reading_settings(timezones: dict[str, str], undated: str) -> None:
    """Refuse a ``MIRROR_UNDATED`` or ``MIRROR_TIMEZONES`` that reading could not use."""
    if undated not in UNDATED_POLICIES:
        raise ValueError(f"MIRROR_UNDATED must be one of {UNDATED_POLICIES}, not {undated!r}")
    for host, zone in timezones.items():
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"MIRROR_TIMEZONES: {zone!r} (for {host!r}) is not a time zone name") from None


class Unreadable(Exception):
    """An article that cannot become a post: *kind* is what is missing, *reason* says why.

    Kinds: ``title``, ``date``, ``body``.  Plain arguments, so it crosses processes.
    """

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(kind, reason)
        self.kind = kind
        self.reason = reason

    def __str__(self) -> str:
        return self.reason


@dataclass(frozen=True)
class FetchedPage:
    """The bytes of a fetched article page: all that reading it needs, and picklable."""

    url: str
    body: bytes
    charset: str | None  # named by the Content-Type header

    @classmethod
    def from_response(cls, response: Response) -> FetchedPage:
        """Take the URL, body and header charset of a Scrapy response."""
        return cls(response.url, response.body, header_charset(response))


@dataclass
class ReadOutcome:
    """What reading one page gave: the filled item or why it is unreadable, and the layout counts."""

    item: ArticleItem | None
    problem: Unreadable | None
    site_key: str  # the site module that read the page, for the layout-change alarm
    site_empty: tuple[str, ...]  # the layout fields its own rules left empty
    rule_name: str = ""  # the site rule file that read the page (MIRROR_SITE_RULES), if any
    rule_fallbacks: tuple[str, ...] = ()  # the fields where its value lost to the generic rules


def read_page(
    item: ArticleItem,
    fetched: FetchedPage,
    timezones: dict[str, str],
    undated: str,
    rule: SiteRule | None = None,
    later: tuple[FetchedPage, ...] = (),
) -> ReadOutcome:
    """Extract and clean one fetched page into *item*: what the extract and clean pipelines do.

    *timezones* and *undated* are ``MIRROR_TIMEZONES`` and ``MIRROR_UNDATED``; *rule* is
    the site rule for the page's host (``MIRROR_SITE_RULES``), plain data like the rest;
    *later* are the article's later pages (``MIRROR_JOIN_PAGES``), whose bodies follow the first's.
    """
    return read_page_explained(item, fetched, timezones, undated, rule, later, explain=False)[0]


def read_page_explained(
    item: ArticleItem,
    fetched: FetchedPage,
    timezones: dict[str, str],
    undated: str,
    rule: SiteRule | None = None,
    later: tuple[FetchedPage, ...] = (),
    explain: bool = True,
) -> tuple[ReadOutcome, PageFields]:
    """Do what :func:`read_page` does; also return the page's fields with their sources (``scrapy extract``).

    The fields stay in this process: they hold the parsed body, which is not picklable,
    so reader processes return the outcome alone. *explain* (on here, off for a crawl)
    collects every candidate of every field, not only those up to the tier that settles it.
    """
    rewrite = partial(rewrite_html, rule) if rule is not None and rule.replacements else None
    page = Page.from_bytes(fetched.url, fetched.body, fetched.charset, rewrite)
    site, fields = extract_article(page, zones_for(timezones, page.url, item.hints), rule, explain)
    try:
        fill_from_page(item, page.url, fields, site, undated)
        for number, extra in enumerate(later, 2):
            join_page(item, extra, number, timezones)
        clean_item(item)
    except Unreadable as problem:
        return ReadOutcome(None, problem, site.key, fields.site_empty, fields.rule_name, fields.rule_fallbacks), fields
    return ReadOutcome(item, None, site.key, fields.site_empty, fields.rule_name, fields.rule_fallbacks), fields


def join_page(item: ArticleItem, extra: FetchedPage, number: int, timezones: dict[str, str]) -> None:
    """Append the body of an article's page *number* to *item*'s body; a page without one fails the article."""
    page = Page.from_bytes(extra.url, extra.body, extra.charset)
    _, fields = extract_article(page, zones_for(timezones, page.url, item.hints))
    if fields.body is None or item.content is None:
        raise Unreadable("body", f"no article body found on page {number} of {item.url} ({extra.url})")
    # Its links are relative to its own URL; the joined body is cleaned against the first page's.
    fields.body.make_links_absolute(extra.url, resolve_base_href=False)
    item.content.append(fields.body)
    if fields.paywalled and not item.partial:
        item.partial = f"page {number}: its structured data says isAccessibleForFree: false"


def zones_for(timezones: dict[str, str], url: str, hints: ListingHints) -> dict[str, str]:
    """Return MIRROR_TIMEZONES with the source's zone (sources file) first for this page's host."""
    host = (urlsplit(url).hostname or "").lower()
    if not hints.timezone or not host:
        return timezones
    return {host: hints.timezone, **{suffix: zone for suffix, zone in timezones.items() if suffix != host}}


def fill_from_page(item: ArticleItem, page_url: str, fields: PageFields, site: Site, undated: str) -> ArticleItem:
    """Fill *item* from what the site module read on its page; the listing's hints win."""
    hints = item.hints
    item.fetched_url = page_url
    item.title = fold_text(hints.title or fields.title)
    if not item.title:
        raise Unreadable("title", f"no title found on {page_url}")
    item.date = hints.date or fields.date
    item.date_day_only = not hints.date and fields.date_day_only
    if item.date is None and undated == "drop":
        reason = fields.date_problem or "the page shows none"
        raise Unreadable(
            "date",
            f"no usable publish date on {page_url} ({reason}); "
            "set MIRROR_UNDATED=first-seen to keep undated articles",
        )
    item.site_name = hints.site_name or fields.site_name
    item.author = fold_text(hints.author or fields.author or hints.fallback_author or hints.site_name or fields.site_name)
    item.categories = list(item.categories) or [fields.site_name]
    item.canonical_url = site.canonicalize(hints.canonical_url or fields.canonical_url)
    item.content = fields.body
    item.share_image = fields.share_image or None
    if fields.paywalled:
        item.partial = "its structured data says isAccessibleForFree: false"
    return item


def fill_from_feed(item: ArticleItem, undated: str) -> ArticleItem:
    """Fill *item* from its feed item alone: ``fulltext=feed``, or its page failed."""
    hints = item.hints
    host = urlsplit(item.url).hostname or item.url
    item.title = fold_text(hints.title or "")
    if not item.title:
        raise Unreadable("title", f"no title in the feed item for {item.url}")
    item.date = hints.date
    if item.date is None and undated == "drop":
        raise Unreadable(
            "date",
            f"no usable publish date in the feed item for {item.url}; "
            "set MIRROR_UNDATED=first-seen to keep undated articles",
        )
    item.site_name = hints.site_name
    item.author = fold_text(hints.author or hints.site_name or host)
    item.categories = list(item.categories) or [hints.site_name or host]
    item.canonical_url = site_for(item.url).canonicalize(item.url)
    item.content = feed_body(hints.content_html or "")
    return item


def clean_item(item: ArticleItem) -> ArticleItem:
    """Turn *item*'s body element into clean, inert ``body_html`` and pick its lead image."""
    base_url = item.fetched_url or item.url
    site = site_for(base_url)
    body = (
        clean_body(item.content, base_url, site.junk, item.title or "", site.junk_spans)
        if item.content is not None
        else ""
    )
    item.content = None
    # The feed's own HTML for the item, to measure the page's body against (fulltext=auto).
    feed_html = item.hints.content_html if item.fetched_url is not None else None
    if not has_content(body) and item.hints.content_html:
        # fulltext=auto: the page had no body we could find; the feed carried one.
        logger.info("No article body on %s; using the feed's HTML", base_url)
        body = clean_body(feed_body(item.hints.content_html), base_url, site.junk, item.title or "", site.junk_spans)
        feed_html = None  # the body is the feed's: nothing to compare
    if not has_content(body):
        raise Unreadable("body", f"no article body found on {base_url}")
    item.partial = item.partial or teaser_reason(html_text(body), html_text(feed_html) if feed_html else None)
    item.body_html = body
    item.lead_image = lead_image(item.share_image, first_image(body), site.is_default_image, site.body_image_first)
    return item


def feed_body(content_html: str) -> lxml.html.HtmlElement:
    """Parse a feed item's HTML into one body element, as a page's body would be."""
    try:
        # The same guarded parser settings as pages: feed HTML is remote input too.
        parser = lxml.html.HTMLParser(recover=True, no_network=True, remove_comments=True, remove_pis=True)
        return lxml.html.fragment_fromstring(content_html, create_parent="div", parser=parser)
    except (lxml.etree.ParserError, ValueError):
        return lxml.html.Element("div")  # nothing parseable: an empty body, dropped as unreadable
