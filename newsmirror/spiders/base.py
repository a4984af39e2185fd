"""What every mirroring spider shares: categories, article requests, failure reports."""

from __future__ import annotations

import logging
from dataclasses import replace
from collections.abc import AsyncIterator, Iterator
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.http import HtmlResponse, Response
from twisted.python.failure import Failure

from newsmirror import signals
from newsmirror.incremental import KNOWN_META, ArticleNotModified
from newsmirror.middlewares import RetryDeferred
from newsmirror.extract.page import Page
from newsmirror.failures import describe_failure, status_text
from newsmirror.items import ArticleItem, ListingHints
from newsmirror.sites.generic import canonical_url, normalize_url
from newsmirror.siterules import RuleBook, SiteRule, next_page_url, rule_book_for, single_page_url
from newsmirror.spiders.pages import next_page_link

logger = logging.getLogger(__name__)

# Marks the request for a single-page view (a site rule's single_page_link): never followed further.
_SINGLE_PAGE = "newsmirror_single_page"
# What is kept of the first page while its single-page view is fetched: enough to read it
# (the charset) and to record it (the validators the ledger keeps).
_FIRST_PAGE_HEADERS = (b"Content-Type", b"ETag", b"Last-Modified")


def _first_page_response(first_page: dict[str, Any]) -> HtmlResponse:
    """Rebuild the article's first page from what its single-page request carried."""
    return HtmlResponse(first_page["url"], body=first_page["body"], headers=first_page["headers"])


class SpiderArgumentError(ValueError):
    """A ``-a`` spider argument is missing, unknown or malformed."""


def split_list(value: str | None) -> list[str]:
    """Split a comma-separated argument into trimmed, non-empty parts (ASCII or full-width commas)."""
    if not value:
        return []
    return [part.strip() for part in value.replace("，", ",").split(",") if part.strip()]


def is_refresh(request: scrapy.Request | None) -> bool:
    """Tell whether *request* fetches again an article already mirrored (``-a refresh``)."""
    return request is not None and bool(request.meta.get(KNOWN_META))


def kept_on_refresh(reason: str, request: scrapy.Request | None) -> str:
    """Return *reason*, saying so when the failed page was a refresh and its post stays.

    A refresh never falls back to the feed's HTML: that is often only a summary, and it
    would replace a full-text post because of a transient page failure.
    """
    return f"{reason}; the post is kept as it was" if is_refresh(request) else reason


def positive_int(value: str | int, name: str) -> int:
    """Return the ``-a NAME=`` argument *value* as a whole number of at least 1, or raise."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise SpiderArgumentError(f"-a {name}= must be a whole number, not {value!r}") from None
    if number < 1:
        raise SpiderArgumentError(f"-a {name}= must be at least 1, not {number}")
    return number


def check_url(url: str) -> str:
    """Return *url* if it is an absolute http(s) URL; raise :class:`SpiderArgumentError` otherwise."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SpiderArgumentError(f"not an http(s) URL: {url!r}")
    return url


def parse_refresh(value: str | None) -> float | None:
    """Return the days of ``-a refresh=N`` (a positive number; ``all``: infinite), or None when not given."""
    if value is None:
        return None
    if value.strip().lower() == "all":
        return float("inf")
    try:
        days = float(value)
    except ValueError:
        days = -1.0
    if not days > 0 or days == float("inf"):
        raise SpiderArgumentError(f"refresh must be a positive number of days or 'all', not {value!r}")
    return days


def parse_flag(name: str, value: str | None) -> bool:
    """Return a yes/no spider argument: 1/true/yes or 0/false/no (absent: no)."""
    if value is None:
        return False
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes"):
        return True
    if lowered in ("0", "false", "no", ""):
        return False
    raise SpiderArgumentError(f"{name} must be 1 or 0, not {value!r}")


class MirrorSpider(scrapy.Spider):
    """Base of the mirroring spiders; subclasses discover URLs and call :meth:`article_request`."""

    def __init__(
        self,
        *,
        categories: str | None = None,
        refresh: str | None = None,
        rebuild_state: str | None = None,
        **unknown: Any,
    ) -> None:
        if unknown:
            raise SpiderArgumentError(
                f"unknown argument(s) for spider {self.name!r}: {', '.join(sorted(unknown))}"
            )
        super().__init__()
        self.categories = split_list(categories)
        # -a refresh=N|all: fetch known articles dated within the last N days again (None: MIRROR_REFRESH_DAYS).
        self.refresh_days = parse_refresh(refresh)
        # -a rebuild_state=1: record the posts on disk that carry a link: line before crawling.
        self.rebuild_state = parse_flag("rebuild_state", rebuild_state)

    def article_request(
        self,
        url: str,
        hints: ListingHints | None = None,
        *,
        source: str | None = None,
        categories: list[str] | None = None,
    ) -> scrapy.Request:
        """Return the request that fetches one article page.

        *source* defaults to the spider's name, *categories* to ``-a categories``; a
        spider that mirrors several sources gives each its own.
        """
        return scrapy.Request(
            url,
            callback=self.parse_article,
            errback=self.article_failed,
            cb_kwargs={
                "requested_url": url,
                "hints": hints or ListingHints(),
                "source": source or self.name,
                "categories": list(categories if categories is not None else self.categories),
            },
        )

    async def parse_article(
        self, response: Response, requested_url: str, hints: ListingHints, source: str, categories: list[str]
    ) -> AsyncIterator[ArticleItem | scrapy.Request]:
        """Hand a fetched article page (with its later pages, ``MIRROR_JOIN_PAGES``) to the pipelines."""
        if is_refresh(response.request) and hints.content_html:
            # A refresh keeps the post rather than fall back to the feed's HTML (see kept_on_refresh).
            hints = replace(hints, content_html=None)
        if not isinstance(response, HtmlResponse):
            content_type = response.headers.get(b"Content-Type", b"").decode("latin-1") or "none"
            reason = f"not an HTML page (Content-Type: {content_type})"
            if hints.content_html:
                yield self.feed_fallback(requested_url, reason, hints, source, categories)
                return
            self.report_failure(requested_url, kept_on_refresh(reason, response.request), "not_html", source)
            return
        single_page = self.single_page_request(response, requested_url, hints, source, categories)
        if single_page is not None:
            yield single_page
            return
        item = ArticleItem(url=requested_url, response=response, hints=hints, source=source, categories=categories)
        # A site rule that names a next-page link asks for the join itself (MIRROR_SITE_RULES is opt-in).
        rule = self.site_rules.rule_for(response.url) if self.site_rules is not None else None
        if self.crawler.settings.getbool("MIRROR_JOIN_PAGES") or (rule is not None and rule.next_page_link):
            problem = await self.fetch_later_pages(item, response, rule)
            if problem is not None:
                self.report_failure(requested_url, kept_on_refresh(problem, response.request), "page_failed", source)
                return
        yield item

    async def fetch_later_pages(self, item: ArticleItem, first: HtmlResponse, rule: SiteRule | None = None) -> str | None:
        """Fetch the article's later pages into ``item.more_pages``, in order; return why one failed, or None.

        Same host only, at most ``MIRROR_MAX_PAGES`` pages (more: the article is marked
        partial), and a link back to a page already taken ends the chain (a loop). One page
        that fails fails the whole article: half an article is never posted as whole. The
        site rule's ``next_page_link``, when it names one, is the strongest marker.
        """
        max_pages = self.crawler.settings.getint("MIRROR_MAX_PAGES")
        taken = {first.url}
        current: Response = first
        while (link := next_page_link(current, first.url, _rule_next_page(rule, current))) is not None:
            if link in taken:
                logger.info("Next page of %s refused: %s was taken already (a loop)", first.url, link)
                break
            if len(taken) >= max_pages:
                item.partial = f"more than MIRROR_MAX_PAGES={max_pages} pages; the first {max_pages} are joined"
                logger.warning("Article %s has more than %d pages; the first %d are joined", item.url, max_pages, max_pages)
                break
            try:
                current = await self.crawler.engine.download_async(scrapy.Request(link, headers={"Referer": current.url}))
            except Exception as error:  # any failure of one page is the article's failure
                return f"page {len(taken) + 1} ({link}) failed: {describe_failure(Failure(error))}"
            if current.status >= 400 or not isinstance(current, HtmlResponse):
                what = f"HTTP {status_text(current.status)}" if current.status >= 400 else "not an HTML page"
                return f"page {len(taken) + 1} ({link}) failed: {what}"
            taken.add(link)
            taken.add(current.url)
            item.more_pages.append(current)
        if item.more_pages:
            logger.info("Article %s: %d pages joined", item.url, len(item.more_pages) + 1)
            if self.crawler.stats is not None:
                self.crawler.stats.inc_value("newsmirror/pages/joined", len(item.more_pages))
        return None

    @cached_property
    def site_rules(self) -> RuleBook | None:
        """The site rules of ``MIRROR_SITE_RULES``, or None when it is empty."""
        return rule_book_for(self.crawler.settings.get("MIRROR_SITE_RULES"))

    def single_page_request(
        self, response: HtmlResponse, requested_url: str, hints: ListingHints, source: str, categories: list[str]
    ) -> scrapy.Request | None:
        """Return the request for the single-page view a site rule names on this page, or None.

        Only a link to the same host is followed, and only from the article's first page;
        the post keeps the first page's canonical URL. Should the view fail, the first page is read.
        """
        rule = self.site_rules.rule_for(response.url) if self.site_rules is not None else None
        if rule is None or not rule.single_page_link or response.meta.get(_SINGLE_PAGE):
            return None
        page = Page.from_response(response)
        url = single_page_url(rule, page)
        if url is None or normalize_url(url) == normalize_url(response.url):
            return None
        if (urlsplit(url).hostname or "") != (urlsplit(response.url).hostname or ""):
            logger.info("Single-page view of %s not followed: %s is on another host (site rule %s)", response.url, url, rule.name)
            return None
        logger.debug("Reading %s from its single-page view %s (site rule %s)", requested_url, url, rule.name)
        return scrapy.Request(
            url,
            callback=self.parse_single_page,
            errback=self.single_page_failed,
            meta={_SINGLE_PAGE: True},
            cb_kwargs={
                # Plain data, so the request can wait in a shared Redis queue too.
                "first_page": {"url": response.url, "body": response.body,
                               "headers": {name: value for name in _FIRST_PAGE_HEADERS
                                           if (value := response.headers.get(name)) is not None}},
                "requested_url": requested_url,
                "hints": replace(hints, canonical_url=hints.canonical_url or canonical_url(page)),
                "source": source,
                "categories": categories,
            },
        )

    def parse_single_page(
        self, response: Response, first_page: dict[str, Any], requested_url: str, hints: ListingHints, source: str,
        categories: list[str],
    ) -> Iterator[ArticleItem]:
        """Hand the single-page view to the pipelines; the first page if the view is no HTML page."""
        page = response if isinstance(response, HtmlResponse) else _first_page_response(first_page)
        if page is not response:
            logger.info("Single-page view %s of %s is not an HTML page; reading the first page", response.url, requested_url)
        elif self.crawler.stats is not None:
            self.crawler.stats.inc_value("newsmirror/single_page_view")
        yield ArticleItem(url=requested_url, response=page, hints=hints, source=source, categories=categories)

    def single_page_failed(self, failure: Failure) -> list[ArticleItem]:
        """Read the first page when its single-page view could not be fetched (a logged reason)."""
        if failure.check(RetryDeferred):
            return []  # its retry waits on a timer and comes back through the scheduler
        request = failure.request  # type: ignore[attr-defined]
        kwargs = request.cb_kwargs
        logger.info("Single-page view %s of %s failed (%s); reading the first page",
                    request.url, kwargs["requested_url"], describe_failure(failure))
        first_page = _first_page_response(kwargs["first_page"])
        return [ArticleItem(url=kwargs["requested_url"], response=first_page, hints=kwargs["hints"],
                            source=kwargs["source"], categories=kwargs["categories"])]

    def article_failed(self, failure: Failure) -> list[ArticleItem]:
        """Report an article whose page could not be fetched, or fall back to its feed's HTML."""
        if failure.check(ArticleNotModified):
            return []  # a refreshed article that did not change: nothing to mirror, nothing failed
        if failure.check(RetryDeferred):
            return []  # its retry waits on a timer and comes back through the scheduler
        request = failure.request  # type: ignore[attr-defined]
        url = request.cb_kwargs.get("requested_url", request.url)
        reason = describe_failure(failure)
        hints = request.cb_kwargs.get("hints")
        source = request.cb_kwargs.get("source", self.name)
        if hints is not None and hints.content_html and not is_refresh(request):
            return [self.feed_fallback(url, reason, hints, source, request.cb_kwargs.get("categories", []))]
        self.report_failure(url, kept_on_refresh(reason, request), failure.type.__name__, source)
        return []

    def feed_fallback(
        self, url: str, reason: str, hints: ListingHints, source: str, categories: list[str]
    ) -> ArticleItem:
        """Return the item a feed's own HTML makes when the article page is no use (fulltext=auto)."""
        logger.info("Page of %s unusable (%s); using the feed's HTML", url, reason)
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value("newsmirror/feed_fallback")
        return ArticleItem(url=url, hints=hints, source=source, categories=categories)

    def report_failure(self, url: str, reason: str, kind: str, source: str) -> None:
        """Log an article that ends without a post, count it, and tell the run report."""
        logger.warning("Article not mirrored: %s: %s", url, reason)
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value("newsmirror/failed")
            self.crawler.stats.inc_value(f"newsmirror/failed/{kind}")
        self.crawler.signals.send_catch_log(
            signals.article_failed, url=url, reason=reason, kind=kind, source=source
        )


def _rule_next_page(rule: SiteRule | None, response: Response) -> str | None:
    """Return the next page a site rule's ``next_page_link`` names on *response*, or None."""
    if rule is None or not rule.next_page_link or not isinstance(response, HtmlResponse):
        return None
    return next_page_url(rule, Page.from_response(response))
