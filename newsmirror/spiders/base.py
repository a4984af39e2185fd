"""What every mirroring spider shares: categories, article requests, failure reports."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.http import HtmlResponse, Response
from twisted.python.failure import Failure

from newsmirror import signals
from newsmirror.failures import describe_failure
from newsmirror.items import ArticleItem, ListingHints

logger = logging.getLogger(__name__)


class SpiderArgumentError(ValueError):
    """A ``-a`` spider argument is missing, unknown or malformed."""


def split_list(value: str | None) -> list[str]:
    """Split a comma-separated argument into trimmed, non-empty parts (ASCII or full-width commas)."""
    if not value:
        return []
    return [part.strip() for part in value.replace("，", ",").split(",") if part.strip()]


def check_url(url: str) -> str:
    """Return *url* if it is an absolute http(s) URL; raise :class:`SpiderArgumentError` otherwise."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SpiderArgumentError(f"not an http(s) URL: {url!r}")
    return url


class MirrorSpider(scrapy.Spider):
    """Base of the mirroring spiders; subclasses discover URLs and call :meth:`article_request`."""

    def __init__(self, *, categories: str | None = None, **unknown: Any) -> None:
        if unknown:
            raise SpiderArgumentError(
                f"unknown argument(s) for spider {self.name!r}: {', '.join(sorted(unknown))}"
            )
        super().__init__()
        self.categories = split_list(categories)

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

    def parse_article(
        self, response: Response, requested_url: str, hints: ListingHints, source: str, categories: list[str]
    ) -> Iterator[ArticleItem]:
        """Hand a fetched article page to the pipelines."""
        if not isinstance(response, HtmlResponse):
            content_type = response.headers.get(b"Content-Type", b"").decode("latin-1") or "none"
            self.report_failure(requested_url, f"not an HTML page (Content-Type: {content_type})", "not_html", source)
            return
        yield ArticleItem(url=requested_url, response=response, hints=hints, source=source, categories=categories)

    def article_failed(self, failure: Failure) -> None:
        """Report an article whose page could not be fetched."""
        request = failure.request  # type: ignore[attr-defined]
        url = request.cb_kwargs.get("requested_url", request.url)
        reason = describe_failure(failure)
        self.report_failure(url, reason, failure.type.__name__, request.cb_kwargs.get("source", self.name))

    def report_failure(self, url: str, reason: str, kind: str, source: str) -> None:
        """Log an article that ends without a post, count it, and tell the run report."""
        logger.warning("Article not mirrored: %s: %s", url, reason)
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value("newsmirror/failed")
            self.crawler.stats.inc_value(f"newsmirror/failed/{kind}")
        self.crawler.signals.send_catch_log(
            signals.article_failed, url=url, reason=reason, kind=kind, source=source
        )
