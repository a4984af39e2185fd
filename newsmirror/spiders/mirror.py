"""``scrapy crawl mirror``: every enabled source of the sources file in one crawl (the cron job).

The sources file is ``MIRROR_SOURCES`` (default ``sources.toml``); it is read and
checked completely before the first request.  One failing source never stops the others.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import scrapy
from scrapy.crawler import Crawler

from newsmirror.items import ListingHints
from newsmirror.sources import Source, load_sources
from newsmirror.spiders.base import MirrorSpider, SpiderArgumentError
from newsmirror.spiders.feed import FeedDiscovery
from newsmirror.spiders.sina import SinaRollDiscovery
from newsmirror.spiders.sitemap import SitemapDiscovery

logger = logging.getLogger(__name__)


class MirrorSourcesSpider(FeedDiscovery, SitemapDiscovery, SinaRollDiscovery, MirrorSpider):
    """Mirrors every enabled source of the sources file: Sina channels, feeds, sitemaps, URL lists."""

    name = "mirror"
    sources: list[Source]

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> MirrorSourcesSpider:
        """Build the spider and read the sources file; a mistake in it stops the run here."""
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.sources = load_sources(crawler.settings.get("MIRROR_SOURCES"))
        return spider

    @property
    def source_names(self) -> list[str]:
        """Return the names of the enabled sources, in file order (the run report lists them all)."""
        return [source.name for source in self.sources if source.enabled]

    async def start(self) -> AsyncIterator[Any]:
        """Start every enabled source; a source that cannot start is reported and skipped."""
        for source in self.sources:
            if not source.enabled:
                logger.info("Source %s is disabled (enabled = false)", source.name)
                continue
            try:
                requests = self.source_requests(source)
            except SpiderArgumentError as error:
                self.report_source_failure(source.name, source.url or source.channel or "", str(error))
                continue
            except Exception as error:  # a bug met by one source must not stop the others
                logger.exception("Source %s could not start", source.name)
                where = source.url or source.channel or ""
                self.report_source_failure(source.name, where, f"could not start: {error!r}")
                continue
            for request in requests:
                yield request

    def source_requests(self, source: Source) -> list[scrapy.Request]:
        """Return the first requests of one source."""
        common = {"source": source.name, "categories": source.categories or None}
        if source.type == "feed":
            return [
                self.feed_request(
                    source.url or "",
                    fulltext=source.fulltext,
                    max_items=source.max_items,
                    site_name=source.site_name,
                    timezone=source.timezone,
                    **common,
                )
            ]
        if source.type == "sitemap":
            return [
                self.sitemap_request(
                    source.url or "",
                    since=source.since,
                    max_items=source.max_items,
                    site_name=source.site_name,
                    timezone=source.timezone,
                    **common,
                )
            ]
        if source.type == "urls":
            urls = source.urls[: source.max_items] if source.max_items else source.urls
            hints = ListingHints(site_name=source.site_name, timezone=source.timezone)
            return [self.article_request(url, hints, **common) for url in urls]
        return self.sina_requests(source)

    def sina_requests(self, source: Source) -> list[scrapy.Request]:
        """Return the roll-API requests of a Sina channel source (at most 50 items a page)."""
        return self.roll_requests(
            str(source.channel or ""),
            pages=source.pages,
            num=min(source.max_items or 50, 50),
            source=source.name,
            categories=source.categories or None,
            site_name=source.site_name,
            timezone_name=source.timezone,
        )
