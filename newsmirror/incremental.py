"""Incremental runs: article requests for articles the ledger already has are never sent.

A cron run every few minutes must cost only what is new.  The URL an article request
asks for is known before the fetch, the canonical URL only after; the ledger keeps the
requested URLs as aliases of the canonical one, so a known article is recognised here,
before anything is scheduled, and dropped without a request and without a failure.

``-a refresh=N`` (or ``MIRROR_REFRESH_DAYS``) lets known articles dated within the last
N days through again, as conditional requests: a page that answers 304 Not Modified
ends quietly, a changed page is rewritten in place by the write pipeline.

Lists, feeds and sitemaps (requests marked ``meta[LISTING_META]``) are asked for
conditionally too, through a private HTTP cache: on 304 the stored copy is read again,
so its known articles are skipped and none a stopped run missed is lost. An error or a
failed download is never answered from that copy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime, timedelta
from itertools import islice
from typing import Any, TypeVar

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.httpcache import HttpCacheMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.settings import Settings
from scrapy.spidermiddlewares.base import BaseSpiderMiddleware
from scrapy.statscollectors import StatsCollector

from newsmirror import signals
from newsmirror.items import ArticleItem
from newsmirror.sites import site_for
from newsmirror.store import LedgerEntry, ledger_for, state_path_for, utc_now

T = TypeVar("T")

# Request meta: the canonical URL of a known article let through for a refresh.
KNOWN_META = "newsmirror_known"
# Request meta: an article request whose URL was already sifted against the ledger.
SIFTED_META = "newsmirror_sifted"
# URLs looked up in the ledger at once when a listing is sifted.
SIFT_CHUNK = 500
# Request meta a spider sets on list and feed requests (``meta={LISTING_META: True}``):
# they are then sent as conditional requests, answered from the cache on 304.
LISTING_META = "newsmirror_listing"


class ArticleNotModified(IgnoreRequest):
    """A refreshed article answered 304 Not Modified: nothing to do, and not a failure."""


def is_article_request(request: Request) -> bool:
    """Tell whether a request fetches an article page (made by ``MirrorSpider.article_request``)."""
    return getattr(request.callback, "__name__", None) == "parse_article" and "requested_url" in request.cb_kwargs


def lookup_key(url: str) -> str:
    """Return the form of a URL the ledger's aliases are kept in."""
    return site_for(url).canonicalize(url)


def refresh_days_for(crawler: Crawler) -> float:
    """Return N of "refresh articles newer than N days": ``-a refresh``, else ``MIRROR_REFRESH_DAYS``; 0 is off."""
    days = getattr(crawler.spider, "refresh_days", None)
    if days is None:
        days = crawler.settings.getfloat("MIRROR_REFRESH_DAYS")
    if days < 0:
        raise ValueError(f"MIRROR_REFRESH_DAYS must be 0 (off) or a positive number of days, not {days}")
    return days


class KnownArticles:
    """Sorts the URLs a listing names into new ones, known ones due for a refresh, and known ones to skip.

    One ledger lookup per chunk of a listing, not one per URL, and before any request
    is built: a cron run over a feed of 20,000 known articles builds no request at all.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.ledger = ledger_for(crawler)
        self.refresh_days = refresh_days_for(crawler)
        self.stats = crawler.stats

    def sift(
        self, listed: Iterable[T], source: str, url_of: Callable[[T], str] = str
    ) -> Iterator[tuple[T, LedgerEntry | None]]:
        """Yield ``(article, None)`` for a new article and ``(article, entry)`` for one due for a refresh; skip the rest.

        *listed* are URLs, or values whose URL *url_of* returns. The skips are counted and
        told to the run report (``articles_known``), a chunk at a time.
        """
        for chunk in chunks(listed, SIFT_CHUNK):
            urls = [url_of(article) for article in chunk]
            keys = [lookup_key(url) for url in urls]
            if not self.refresh_days:
                # No refresh window: whether it is known is all that matters, not its row.
                known: Mapping[str, LedgerEntry | None] | set[str] = self.ledger.known_among(keys)
            else:
                known = self.ledger.find_many(keys)
            if not known:
                yield from ((article, None) for article in chunk)
                continue
            skipped = []
            for article, url, key in zip(chunk, urls, keys, strict=True):
                if key not in known:
                    yield article, None
                    continue
                entry = known.get(key) if isinstance(known, Mapping) else None
                if entry is not None and self.due_for_refresh(entry):
                    yield article, entry
                else:
                    skipped.append(url)
            if skipped:
                # One stat update and one signal per chunk: per URL, they cost more than the lookup.
                self.stats.inc_value("newsmirror/skipped/known", len(skipped))
                self.crawler.signals.send_catch_log(signals.articles_known, source=source, urls=skipped)

    def check(self, url: str, source: str) -> tuple[bool, LedgerEntry | None]:
        """Return (fetch it?, its ledger entry when it is a refresh) for one URL; a skip is counted."""
        entry = self.ledger.find(lookup_key(url))
        if entry is None:
            return True, None
        if self.due_for_refresh(entry):
            return True, entry
        self.skip(source, url)
        return False, None

    def skip(self, source: str, url: str) -> None:
        """Count a known article not fetched again, and tell the run report."""
        self.stats.inc_value("newsmirror/skipped/known")
        self.crawler.signals.send_catch_log(signals.article_known, source=source, url=url)

    def due_for_refresh(self, entry: LedgerEntry) -> bool:
        """Tell whether a known article is recent enough for the refresh window."""
        if self.refresh_days == float("inf"):
            return True
        if not self.refresh_days or not entry.published:
            return False
        published = datetime.fromisoformat(entry.published)
        return published >= utc_now() - timedelta(days=self.refresh_days)

    def as_refresh(self, request: Request, entry: LedgerEntry) -> Request:
        """Return *request* made conditional on the page validators the ledger holds, marked as a refresh."""
        self.stats.inc_value("newsmirror/refreshed")
        refreshed = request.replace(meta={**request.meta, KNOWN_META: entry.canonical_url, SIFTED_META: True})
        if entry.etag:
            refreshed.headers["If-None-Match"] = entry.etag
        if entry.last_modified:
            refreshed.headers["If-Modified-Since"] = entry.last_modified
        return refreshed


def chunks(values: Iterable[T], size: int) -> Iterator[list[T]]:
    """Yield *values* in lists of *size* (the last one shorter)."""
    iterator = iter(values)
    while chunk := list(islice(iterator, size)):
        yield chunk


def known_articles_for(crawler: Crawler) -> KnownArticles | None:
    """Return the sifter of :class:`KnownArticleMiddleware`, or None when the middleware is off (nothing is skipped)."""
    middleware = crawler.get_spider_middleware(KnownArticleMiddleware)
    return middleware.known if middleware is not None else None


def mark_sifted(request: Request) -> Request:
    """Mark an article request whose URL :meth:`KnownArticles.sift` already let through, so it is not looked up twice."""
    request.meta[SIFTED_META] = True
    return request


class KnownArticleMiddleware(BaseSpiderMiddleware):
    """Drops article requests for articles in the ledger; notes the page validators of fetched ones.

    Listings and URL files sift their URLs in chunks before building requests
    (:class:`KnownArticles`); this catches every other article request one by one.
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.known = KnownArticles(crawler)

    def get_processed_request(self, request: Request, response: Response | None) -> Request | None:
        """Return the request, or None when it would fetch an article already mirrored."""
        if not is_article_request(request) or request.meta.get(SIFTED_META):
            return request
        fetch, entry = self.known.check(request.cb_kwargs["requested_url"], request.cb_kwargs.get("source", ""))
        if not fetch:
            return None
        return self.known.as_refresh(request, entry) if entry is not None else request

    def get_processed_item(self, item: Any, response: Response | None) -> Any:
        """Copy the article page's ETag and Last-Modified onto its item, for the ledger.

        An item built from a feed alone (``fulltext=feed``: no page) is the feed's
        equivalent of an article request, so a known one is dropped here likewise.
        """
        if not isinstance(item, ArticleItem):
            return item
        if item.response is not None:
            item.etag = _header(item.response, b"ETag")
            item.last_modified = _header(item.response, b"Last-Modified")
            return item
        fetch, _ = self.known.check(item.url, item.source)
        return item if fetch else None


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


class NotModifiedMiddleware:
    """Ends a refreshed article that answered 304 quietly, instead of as a non-HTML page."""

    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> NotModifiedMiddleware:
        """Build the middleware."""
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        """Raise :class:`ArticleNotModified` for a 304 to a refresh request; pass anything else."""
        if response.status == 304 and KNOWN_META in request.meta:
            self.stats.inc_value("newsmirror/skipped/not_modified")
            raise ArticleNotModified(f"not modified since the last run: {request.url}")
        return response


class ListingCacheMiddleware(HttpCacheMiddleware):
    """Conditional requests for lists and feeds: Scrapy's HTTP cache with its RFC 2616 policy,
    for requests marked ``meta[LISTING_META]`` only.

    A list fetched before is asked for again with ``If-None-Match`` / ``If-Modified-Since``
    (and ``Cache-Control: max-age=0``, so a cron run always asks: a list is never taken
    from the cache unasked).  On 304 the stored list is handed to the spider as if fetched,
    and its known articles are dropped by :class:`KnownArticleMiddleware`.  Article pages
    are never cached: the ledger is their record.  The cache lives beside the ledger, in
    ``.newsmirror/<name of MIRROR_DIR>/httpcache``, never inside ``MIRROR_DIR``.
    """

    def __init__(self, settings: Settings, stats: StatsCollector) -> None:
        own = settings.copy()
        own.frozen = False  # a private copy: the crawler's own settings stay frozen and unchanged
        own.set("HTTPCACHE_ENABLED", True)
        own.set("HTTPCACHE_POLICY", "scrapy.extensions.httpcache.RFC2616Policy")
        own.set("HTTPCACHE_STORAGE", "newsmirror.listing_cache.JsonCacheStorage")  # JSON and bytes: no pickles
        own.set("HTTPCACHE_DIR", str(state_path_for(settings).parent / "httpcache"))
        own.set("HTTPCACHE_EXPIRATION_SECS", 0)
        super().__init__(own, stats)

    def process_request(self, request: Request) -> Request | Response | None:
        """Answer a marked list request from the cache when the server says 304; pass anything else."""
        if not request.meta.get(LISTING_META):
            return None
        if b"Cache-Control" not in request.headers:
            request.headers[b"Cache-Control"] = b"max-age=0"
        return super().process_request(request)

    def process_response(self, request: Request, response: Response) -> Request | Response:
        """Store a marked list response, or swap a 304 for the stored list.

        An error status is passed on as it is: Scrapy's cache would answer a 5xx with the
        stored copy, so a source that is down would pass for "not modified", never be
        retried, and never be reported.
        """
        if not request.meta.get(LISTING_META):
            return response
        if response.status >= 400:
            request.meta.pop("cached_response", None)
            return response
        return super().process_response(request, response)

    def process_exception(self, request: Request, exception: Exception) -> Request | Response | None:
        """Leave a failed list download to the retry middleware and the errback.

        Never the stored copy: a list we could not fetch is a failure to report, not news
        that nothing changed.
        """
        request.meta.pop("cached_response", None)
        return None
