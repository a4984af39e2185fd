"""What the discovery mixins (feeds, sitemaps) share: reporting a source that yielded nothing."""

from __future__ import annotations

import logging

from scrapy.http import Response
from twisted.python.failure import Failure

from newsmirror import signals
from newsmirror.failures import describe_failure

logger = logging.getLogger(__name__)


class SourceFailures:
    """Spider methods that report a source (not one article) that yielded nothing."""

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
        request = failure.request  # type: ignore[attr-defined]
        self.report_source_failure(request.cb_kwargs.get("source", request.url), request.url, describe_failure(failure))
