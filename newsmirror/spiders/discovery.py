"""What the discovery mixins (feeds, sitemaps, Sina lists) share: pacing a listing, reporting a failed source."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.core.scheduler import Scheduler
from scrapy.http import Response
from scrapy.utils.asyncio import sleep
from twisted.python.failure import Failure

from newsmirror import signals
from newsmirror.failures import describe_failure
from newsmirror.middlewares import RetryDeferred

logger = logging.getLogger(__name__)

# How often a paced listing looks again whether the scheduler has room, and how long an
# idle downloader and a full queue may last before pacing gives way (see _stalled).
_PACING_SECONDS = 0.05
_STALL_SECONDS = 2.0


def _closing(crawler: Crawler) -> bool:
    """Tell whether the run is stopping (Ctrl-C, a CLOSESPIDER limit, an error): the queue will not drain."""
    engine = crawler.engine
    # Scrapy has no public "closing" flag; its engine slot holds one from the moment
    # close_spider starts, whatever started it.
    slot = getattr(engine, "_slot", None)
    return not crawler.crawling or engine is None or slot is None or slot.closing is not None


def _stalled(crawler: Crawler, waited: float) -> bool:
    """Tell whether the queue has stopped draining: nothing downloading for a while.

    Scrapy stops taking requests from its queue while the responses being processed pass
    ``SCRAPER_SLOT_MAX_ACTIVE_SIZE``, and the listing being paced is one of them. Should it
    alone pass the limit, waiting would never end: the rest is handed over unpaced.
    """
    return waited >= _STALL_SECONDS and not crawler.engine.downloader.active


def _room(crawler: Crawler, backlog: int) -> int:
    """Return how many more requests Scrapy's own in-memory scheduler may take under *backlog*."""
    if _closing(crawler):
        return backlog  # nothing drains any more; stop waiting
    scheduler = crawler.engine.scheduler
    return backlog - len(scheduler) if isinstance(scheduler, Scheduler) else backlog


class ListingDiscovery:
    """Spider methods that pace a listing's requests and report a source that yielded nothing."""

    async def paced(self, outputs: Iterable[Any]) -> AsyncIterator[Any]:
        """Yield *outputs*, holding each request back while the scheduler is full.

        Scrapy takes every request a callback yields into its in-memory queue at once, so a
        feed or sitemap of 20,000 articles would hold 20,000 requests for the whole run.
        Paced, the queue holds at most ``MIRROR_SCHEDULER_BACKLOG`` requests: enough to keep
        every download slot busy, and memory does not grow with the listing (issue 8). A
        scheduler that keeps its queue elsewhere (scrapy-redis) is not paced.
        """
        crawler = self.crawler  # type: ignore[attr-defined]
        backlog = crawler.settings.getint("MIRROR_SCHEDULER_BACKLOG")
        room = 0  # requests that may go before the queue is measured again
        for output in outputs:
            if isinstance(output, Request) and backlog > 0:
                if room <= 0:
                    # Scrapy takes what a callback yields through a buffer of its own: let
                    # it schedule what it holds before the queue is measured. Measured once
                    # per backlog, not per request: a listing of known articles (dropped
                    # before the queue) costs next to nothing to pace.
                    await sleep(0)
                    waited = 0.0
                    while (room := _room(crawler, backlog)) <= 0:
                        if _stalled(crawler, waited):
                            logger.info("The queue does not drain while this listing is processed; "
                                        "the rest of its requests go unpaced")  # fmt: skip
                            backlog = 0
                            break
                        await sleep(_PACING_SECONDS)
                        waited += _PACING_SECONDS
                    if _closing(crawler):
                        return  # a stopping run fetches nothing new; the next run finds these again
                room -= 1
            yield output

    def report_source_failure(self, source: str, url: str, reason: str) -> None:
        """Log a failed source, count it, and tell the run report; the run goes on."""
        logger.error("Source %s failed: %s: %s", source, url, reason)
        crawler = self.crawler  # type: ignore[attr-defined]
        if crawler.stats is not None:
            crawler.stats.inc_value("newsmirror/sources/failed")
        crawler.signals.send_catch_log(signals.source_failed, source=source, url=url, reason=reason)

    def note_not_modified(self, response: Response, source: str) -> None:
        """Tell the run report when a listing answered 304 (and is read again from its stored copy)."""
        if "cached" not in response.flags:
            return
        logger.info("Listing of %s not modified since the last run: %s", source, response.url)
        crawler = self.crawler  # type: ignore[attr-defined]
        crawler.stats.inc_value("newsmirror/listings/not_modified")
        crawler.signals.send_catch_log(signals.source_not_modified, source=source, url=response.url)

    def source_request_failed(self, failure: Failure) -> None:
        """Errback of a feed or sitemap request: the source could not be fetched."""
        if failure.check(RetryDeferred):
            return  # its retry waits on a timer and comes back through the scheduler
        request = failure.request  # type: ignore[attr-defined]
        self.report_source_failure(request.cb_kwargs.get("source", request.url), request.url, describe_failure(failure))
