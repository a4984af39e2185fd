"""``scrapy crawl feed``: mirror the articles of RSS, Atom and JSON feeds.

The discovery logic is the :class:`FeedDiscovery` mixin, so the ``mirror`` spider runs
feeds from the sources file with exactly the same code.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response

from newsmirror.feeds import FULLTEXT_MODES, FeedEntry, FeedError, read_feed
from newsmirror.incremental import LISTING_META
from newsmirror.items import ArticleItem, ListingHints
from newsmirror.sites import listing_timezone
from newsmirror.spiders.base import MirrorSpider, SpiderArgumentError, check_url, positive_int, split_list
from newsmirror.spiders.discovery import ListedArticle, ListingDiscovery

logger = logging.getLogger(__name__)


def check_fulltext(value: str) -> str:
    """Return *value* if it is a fulltext mode; raise :class:`SpiderArgumentError` otherwise."""
    if value not in FULLTEXT_MODES:
        raise SpiderArgumentError(f"fulltext must be one of {', '.join(FULLTEXT_MODES)}, not {value!r}")
    return value


def check_max_items(value: str | int | None) -> int | None:
    """Return a positive ``-a max_items=`` limit, None for "all"; raise :class:`SpiderArgumentError` otherwise."""
    return None if value is None or value == "" else positive_int(value, "max_items")


class FeedDiscovery(ListingDiscovery):
    """Spider methods that fetch a feed (conditionally) and request or yield its articles."""

    def feed_request(
        self,
        url: str,
        *,
        source: str,
        categories: list[str] | None = None,
        fulltext: str = "auto",
        max_items: int | None = None,
        site_name: str | None = None,
        timezone: str | None = None,
    ) -> scrapy.Request:
        """Return the request for one feed, conditional when an earlier run fetched it.

        *categories* default to the feed's title; *max_items* limits the items taken, in
        feed order; *site_name* and *timezone* come from the source's entry.
        """
        return scrapy.Request(
            url,
            callback=self.parse_feed,
            errback=self.source_request_failed,
            # A listing: asked with If-None-Match / If-Modified-Since, answered from the
            # stored copy on 304 (incremental.ListingCacheMiddleware).
            meta={LISTING_META: True},
            cb_kwargs={
                "feed_url": url,
                "source": source,
                "categories": list(categories or []),
                "fulltext": check_fulltext(fulltext),
                "max_items": max_items,
                "site_name": site_name,
                "timezone": timezone,
            },
        )

    async def parse_feed(
        self,
        response: Response,
        feed_url: str,
        source: str,
        categories: list[str],
        fulltext: str,
        max_items: int | None,
        site_name: str | None,
        timezone: str | None,
    ) -> AsyncIterator[Any]:
        """Read a fetched feed and request (or, with ``fulltext=feed``, yield) its articles as the queue drains."""
        crawler = self.crawler  # type: ignore[attr-defined]
        # On a 304 this is the stored copy. It is read again all the same: its known articles
        # are dropped before any request, and an article a stopped or failed run missed is
        # tried again rather than lost until the feed changes.
        self.note_not_modified(response, source)
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1")
        try:
            feed = read_feed(response.body, response.url, content_type, listing_timezone(feed_url, timezone, crawler.settings.getdict("MIRROR_TIMEZONES")))
        except FeedError as error:
            self.report_source_failure(source, feed_url, str(error))
            return
        crawler.stats.inc_value("newsmirror/feeds/read")
        entries = feed.entries[:max_items] if max_items else feed.entries
        logger.info("Feed of %s (%s): %d items, taking %d", source, feed.format, len(feed.entries), len(entries))
        categories = categories or [feed.title or urlsplit(feed_url).hostname or feed_url]
        outputs = (
            output
            for number, entry in enumerate(entries, 1)
            for output in self._entry_output(entry, number, feed_url, source, categories, fulltext, site_name, timezone)
        )
        # The articles wait on the spider, sifted, and this callback ends here: the feed's
        # response leaves Scrapy's processing before its first article is fetched.
        for output in self.listing_outputs(response, outputs):
            yield output

    def _entry_output(
        self,
        entry: FeedEntry,
        number: int,
        feed_url: str,
        source: str,
        categories: list[str],
        fulltext: str,
        site_name: str | None,
        timezone: str | None,
    ) -> Iterator[Any]:
        """Yield the listed article or the item of one feed entry, or report why there is none."""
        url = entry.article_url
        if url is None or urlsplit(url).scheme not in ("http", "https"):
            self.report_failure(  # type: ignore[attr-defined]
                f"{feed_url} (item {number})", "the feed item has no http(s) link", "feed_item_no_link", source
            )
            return
        if entry.date_problem:
            logger.info(
                "Feed item %s: date %r unusable (%s); the page's date is used", url, entry.date_raw, entry.date_problem
            )
        hints = ListingHints(
            title=entry.text_title,
            date=entry.date,
            author=entry.author,
            content_html=entry.content_html if fulltext != "page" else None,
            site_name=site_name,
            timezone=timezone,
        )
        if fulltext != "feed":
            yield ListedArticle(url, hints, source, categories)
        elif entry.content_html:
            yield ArticleItem(url=url, hints=hints, source=source, categories=categories)
        else:
            self.report_failure(  # type: ignore[attr-defined]
                url, "the feed item carries no HTML and fulltext=feed fetches no page", "feed_item_no_content", source
            )

class FeedSpider(FeedDiscovery, MirrorSpider):
    """Mirrors the articles of one or more feeds.

    ``-a url=FEED[,FEED...]``, ``-a categories=A,B`` (default: the feed's title),
    ``-a fulltext=auto|feed|page`` (default auto), ``-a max_items=N`` (default: all).
    """

    name = "feed"

    def __init__(
        self, url: str | None = None, fulltext: str = "auto", max_items: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.feed_urls = [check_url(item) for item in dict.fromkeys(split_list(url))]
        if not self.feed_urls:
            raise SpiderArgumentError("give the feed URL with -a url=URL[,URL...]")
        self.fulltext = check_fulltext(fulltext)
        self.max_items = check_max_items(max_items)

    @property
    def source_names(self) -> list[str]:
        """Return the feeds' URLs: each feed is its own source in the run report."""
        return list(self.feed_urls)

    async def start(self) -> AsyncIterator[Any]:
        """Request every given feed; each feed is its own source in the run report."""
        for url in self.feed_urls:
            yield self.feed_request(
                url, source=url, categories=self.categories, fulltext=self.fulltext, max_items=self.max_items
            )
