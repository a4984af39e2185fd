"""``scrapy crawl sitemap``: mirror the articles a (news) sitemap lists.

The discovery logic is the :class:`SitemapDiscovery` mixin, so the ``mirror`` spider
runs sitemaps from the sources file with exactly the same code.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy.http import Response

from newsmirror.incremental import LISTING_META
from newsmirror.items import ListingHints
from newsmirror.sitemaps import SitemapError, decompress, read_sitemap, robots_sitemaps
from newsmirror.sites import listing_timezone
from newsmirror.sources import parse_window
from newsmirror.spiders.base import MirrorSpider, SpiderArgumentError, check_url
from newsmirror.spiders.discovery import ListedArticle, ListingDiscovery
from newsmirror.spiders.feed import check_max_items

logger = logging.getLogger(__name__)

# Sitemap indexes may nest; real sites use one level, loops and traps use many.
MAX_SITEMAP_DEPTH = 3


class SitemapDiscovery(ListingDiscovery):
    """Spider methods that read robots.txt, sitemap indexes and (gzipped) sitemaps, and request their articles."""

    def sitemap_request(
        self,
        url: str,
        *,
        source: str,
        categories: list[str] | None = None,
        since: timedelta | None = None,
        max_items: int | None = None,
        site_name: str | None = None,
        timezone: str | None = None,
        depth: int = 0,
    ) -> scrapy.Request:
        """Return the request for a sitemap, a sitemap index or a robots.txt naming sitemaps.

        *since* skips entries dated before that long ago; *max_items* limits the
        articles taken from each sitemap file.
        """
        return scrapy.Request(
            url,
            callback=self.parse_sitemap,
            errback=self.source_request_failed,
            # Asked for conditionally; on 304 the stored copy is read again and its known
            # articles are skipped (incremental.ListingCacheMiddleware).
            meta={LISTING_META: True},
            cb_kwargs={
                "source": source,
                "categories": list(categories or []),
                # Plain data for queued requests: the cut-off as an ISO string, fixed when
                # the source is started so every nested sitemap uses the same moment.
                "not_before": (datetime.now(UTC) - since).isoformat() if since else None,
                "max_items": max_items,
                "site_name": site_name,
                "timezone": timezone,
                "depth": depth,
            },
        )

    async def parse_sitemap(self, response: Response, **listing: Any) -> AsyncIterator[scrapy.Request]:
        """Follow a robots.txt or an index, or request the articles of a sitemap as the queue drains.

        *listing* is the request's cb_kwargs, as :meth:`_sitemap_requests` names them.
        """
        for request in self.listing_outputs(response, self._sitemap_requests(response, **listing)):
            yield request

    def _sitemap_requests(
        self,
        response: Response,
        source: str,
        categories: list[str],
        not_before: str | None,
        max_items: int | None,
        site_name: str | None,
        timezone: str | None,
        depth: int,
    ) -> Iterator[scrapy.Request | ListedArticle]:
        """Return the sitemap requests, or the articles, a sitemap, an index or a robots.txt leads to."""
        crawler = self.crawler  # type: ignore[attr-defined]
        options = {
            "source": source,
            "categories": categories,
            "max_items": max_items,
            "site_name": site_name,
            "timezone": timezone,
        }
        self.note_not_modified(response, source)
        if urlsplit(response.url).path.endswith("/robots.txt"):
            found = robots_sitemaps(response.body)
            if not found:
                self.report_source_failure(source, response.url, "robots.txt names no sitemap")
            for url in found:
                yield self._nested(urljoin(response.url, url), not_before, depth, options)
            return
        try:
            body = decompress(response.body, crawler.settings.getint("DOWNLOAD_MAXSIZE"))
            zone = listing_timezone(response.url, timezone, crawler.settings.getdict("MIRROR_TIMEZONES"))
            sitemap = read_sitemap(body, zone)
        except SitemapError as error:
            self.report_source_failure(source, response.url, f"sitemap unreadable: {error}")
            return
        cutoff = datetime.fromisoformat(not_before) if not_before else None
        if sitemap.is_index:
            if depth >= MAX_SITEMAP_DEPTH:
                reason = f"sitemap indexes nested more than {MAX_SITEMAP_DEPTH} deep"
                self.report_source_failure(source, response.url, reason)
                return
            for entry in sitemap.entries:
                # A sitemap untouched since before the window holds nothing newer.
                if cutoff is None or entry.lastmod is None or entry.lastmod >= cutoff:
                    yield self._nested(urljoin(response.url, entry.url), not_before, depth + 1, options)
            return
        taken = 0
        for entry in sitemap.entries:
            moment = entry.news_date or entry.lastmod
            if cutoff is not None and moment is not None and moment < cutoff:
                crawler.stats.inc_value("newsmirror/sitemap/older_than_since")
                continue
            if max_items and taken >= max_items:
                break
            url = urljoin(response.url, entry.url)
            if urlsplit(url).scheme not in ("http", "https"):
                continue
            taken += 1
            # news:publication_date is the article's date; lastmod is only when the page last changed.
            hints = ListingHints(title=entry.news_title, date=entry.news_date, site_name=site_name, timezone=timezone)
            yield ListedArticle(url, hints, source, categories or None)
        logger.info("Sitemap of %s: %d entries, %d taken: %s", source, len(sitemap.entries), taken, response.url)

    def _nested(self, url: str, not_before: str | None, depth: int, options: dict[str, Any]) -> scrapy.Request:
        """Return the request for a sitemap named by a robots.txt or an index, same cut-off."""
        request = self.sitemap_request(url, depth=depth, **options)
        request.cb_kwargs["not_before"] = not_before
        # Articles already in Scrapy's queue go before further sitemaps; those waiting on the
        # spider (compact, sifted) are handed over once the queue is empty.
        return request.replace(priority=request.priority - 1)


class SitemapSpider(SitemapDiscovery, MirrorSpider):
    """Mirrors the articles of a sitemap.

    ``-a url=SITEMAP_OR_ROBOTS_TXT``, ``-a since=2d`` (m, h, d, w), ``-a categories=A,B``,
    ``-a max_items=N`` (per sitemap file).
    """

    name = "sitemap"

    def __init__(
        self, url: str | None = None, since: str | None = None, max_items: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        if not url:
            raise SpiderArgumentError("give the sitemap or robots.txt URL with -a url=URL")
        self.sitemap_url = check_url(url)
        try:
            self.since = parse_window(since) if since else None
        except ValueError as error:
            raise SpiderArgumentError(f"since: {error}") from None
        self.max_items = check_max_items(max_items)

    @property
    def source_names(self) -> list[str]:
        """Return the sitemap's URL, the one source in the run report."""
        return [self.sitemap_url]

    async def start(self) -> AsyncIterator[Any]:
        """Request the sitemap (or robots.txt)."""
        yield self.sitemap_request(
            self.sitemap_url,
            source=self.sitemap_url,
            categories=self.categories,
            since=self.since,
            max_items=self.max_items,
        )
