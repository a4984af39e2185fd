"""What the discovery mixins (feeds, sitemaps, Sina lists) share: handing a listing's articles over, reporting a failed source."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

import scrapy
from scrapy import signals as scrapy_signals
from scrapy.core.scheduler import Scheduler
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response
from scrapy.spidermiddlewares.referer import ReferrerPolicy, RefererMiddleware
from twisted.python.failure import Failure

from newsmirror import signals
from newsmirror.failures import describe_failure
from newsmirror.incremental import SIFT_CHUNK, known_articles_for, mark_sifted
from newsmirror.items import ListingHints
from newsmirror.middlewares import RetryDeferred
from newsmirror.store import LedgerEntry

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ListedArticle:
    """An article a listing names, waiting on the spider until Scrapy's queue has room for its request."""

    url: str
    hints: ListingHints
    source: str
    categories: list[str] | None  # shared by every article of one listing, not copied


@dataclass(frozen=True, slots=True)
class ListingOrigin:
    """Where a listing's waiting articles came from: its URL and the Referer policy its response set.

    Requests handed to ``engine.crawl`` skip the spider middlewares, Scrapy's
    RefererMiddleware among them, so the Referer it would have sent is set from this;
    one per listing, shared by its articles, and it holds no response.
    """

    url: str
    policy: ReferrerPolicy

    def referrer(self, request_url: str) -> str | None:
        """Return the Referer an article request from this listing carries, or None."""
        return self.policy.referrer(self.url, request_url)


class ListingDiscovery:
    """Spider methods that hand a listing's articles over as the queue drains, and report a source that yielded nothing.

    A listing callback yields :class:`ListedArticle` values among its requests and items
    and passes them through :meth:`listing_outputs`. Their URLs are sifted against the
    ledger in chunks (known articles never become requests), and the new ones wait on
    the spider, not in Scrapy's queue: Scrapy's documented lazy-start pattern, driven by
    signals. Whenever the engine finds its queue empty and does not need to back out
    (``scheduler_empty``, or ``spider_idle`` as a safety net), up to
    ``MIRROR_SCHEDULER_BACKLOG`` requests are built and handed to ``engine.crawl``.
    The listing's callback therefore ends as soon as the listing is read: its response
    leaves Scrapy's processing at once, so a listing over ``SCRAPER_SLOT_MAX_ACTIVE_SIZE``
    never holds up the fetches, and memory does not grow with the listing (issue 15).
    """

    _waiting: deque[tuple[ListedArticle, LedgerEntry | None, ListingOrigin | None]] | None = None

    def listing_outputs(self, response: Response, outputs: Iterable[Any]) -> Iterator[Any]:
        """Yield a listing's requests and items; keep its articles (sifted) to hand over as the queue drains.

        With ``MIRROR_SCHEDULER_BACKLOG = 0``, or a scheduler that keeps its queue
        elsewhere (scrapy-redis), the articles' requests are yielded at once instead.
        """
        origin = self._origin(response)
        batch: list[ListedArticle] = []
        for output in outputs:
            if not isinstance(output, ListedArticle):
                yield output
                continue
            batch.append(output)
            if len(batch) >= SIFT_CHUNK:
                yield from self._take(batch, origin)
                batch = []
        if batch:
            yield from self._take(batch, origin)

    def _origin(self, response: Response) -> ListingOrigin | None:
        """Return the listing's URL and Referer policy, or None when RefererMiddleware is off."""
        referer = self.crawler.get_spider_middleware(RefererMiddleware)  # type: ignore[attr-defined]
        if referer is None or response.request is None:
            return None
        return ListingOrigin(response.url, referer.policy(response, response.request))

    def _take(self, batch: list[ListedArticle], origin: ListingOrigin | None) -> Iterator[scrapy.Request]:
        """Sift *batch* against the ledger; queue the articles to fetch, or yield their requests when not paced."""
        crawler = self.crawler  # type: ignore[attr-defined]
        known = known_articles_for(crawler)
        sifted = known.sift(batch, batch[0].source, attrgetter("url")) if known is not None else ((article, None) for article in batch)
        if not self._paced():
            # Yielded, they pass the spider middlewares: RefererMiddleware sets their Referer.
            for article, entry in sifted:
                yield self._listed_request(article, entry)
            return
        if self._waiting is None:
            self._waiting = deque()
            crawler.signals.connect(self._hand_over, signal=scrapy_signals.scheduler_empty)
            crawler.signals.connect(self._hand_over_when_idle, signal=scrapy_signals.spider_idle)
        self._waiting.extend((article, entry, origin) for article, entry in sifted)
        crawler.stats.max_value("newsmirror/listings/waiting_max", len(self._waiting))

    def _paced(self) -> bool:
        """Tell whether articles wait on the spider: a backlog is set and the queue is Scrapy's own, in memory."""
        crawler = self.crawler  # type: ignore[attr-defined]
        backlog = crawler.settings.getint("MIRROR_SCHEDULER_BACKLOG")
        return backlog > 0 and isinstance(crawler.engine.scheduler, Scheduler)

    def _listed_request(
        self, article: ListedArticle, entry: LedgerEntry | None, origin: ListingOrigin | None = None
    ) -> scrapy.Request:
        """Build the request of a sifted article: a plain one, or a conditional refresh of a known one."""
        request = self.article_request(  # type: ignore[attr-defined]
            article.url, article.hints, source=article.source, categories=article.categories
        )
        referrer = origin.referrer(request.url) if origin is not None else None
        if referrer is not None:
            request.headers.setdefault("Referer", referrer)
        if entry is not None:
            known = known_articles_for(self.crawler)  # type: ignore[attr-defined]
            assert known is not None  # an entry comes only from a sift
            return known.as_refresh(request, entry)
        return mark_sifted(request)

    def _hand_over(self) -> int:
        """Give Scrapy's queue the next waiting requests, up to the backlog; return how many.

        Connected to ``scheduler_empty``, which the engine sends only when it could
        download more (it does not need to back out); the check is repeated for the
        idle case, and it keeps a stopping run from fetching anything new.
        """
        engine = self.crawler.engine  # type: ignore[attr-defined]
        if not self._waiting or engine.needs_backout():
            return 0
        room = self.crawler.settings.getint("MIRROR_SCHEDULER_BACKLOG") - len(engine.scheduler)  # type: ignore[attr-defined]
        handed = 0
        while handed < room and self._waiting:
            engine.crawl(self._listed_request(*self._waiting.popleft()))
            handed += 1
        return handed

    def _hand_over_when_idle(self) -> None:
        """Keep the spider open while articles wait (``spider_idle``): hand the next ones over."""
        if self._hand_over():
            raise DontCloseSpider

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
