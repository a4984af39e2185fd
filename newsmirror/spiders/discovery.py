"""What the discovery mixins (feeds, sitemaps) share: reporting a source that yielded nothing."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from scrapy.exceptions import CannotResolveHostError, DownloadConnectionRefusedError, DownloadTimeoutError
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import ConnectionRefusedError, DNSLookupError, TCPTimedOutError, TimeoutError
from twisted.python.failure import Failure

from newsmirror import signals

logger = logging.getLogger(__name__)


def failure_reason(failure: Failure) -> str:
    """Return one readable line saying why a request failed, for the log and the run report."""
    request = getattr(failure, "request", None)
    host = urlsplit(request.url).hostname if request is not None else None
    # Scrapy 2.19 wraps Twisted's errors in its own; both are named for older versions.
    if failure.check(CannotResolveHostError, DNSLookupError):
        return f"DNS lookup failed for {host}: no network?"
    if failure.check(HttpError):
        response = failure.value.response
        return f"HTTP {response.status} from {response.url}"
    if failure.check(DownloadConnectionRefusedError, ConnectionRefusedError):
        return f"connection refused by {host}"
    if failure.check(DownloadTimeoutError, TimeoutError, TCPTimedOutError):
        return f"{host} did not answer in time"
    return failure.getErrorMessage() or failure.type.__name__


class SourceFailures:
    """Spider methods that report a source (not one article) that yielded nothing."""

    def report_source_failure(self, source: str, url: str, reason: str) -> None:
        """Log a failed source, count it, and tell the run report; the run goes on."""
        logger.error("Source %s failed: %s: %s", source, url, reason)
        crawler = self.crawler  # type: ignore[attr-defined]
        if crawler.stats is not None:
            crawler.stats.inc_value("newsmirror/sources/failed")
        crawler.signals.send_catch_log(signals.source_failed, source=source, url=url, reason=reason)

    def source_request_failed(self, failure: Failure) -> None:
        """Errback of a feed or sitemap request: the source could not be fetched."""
        request = failure.request  # type: ignore[attr-defined]
        self.report_source_failure(request.cb_kwargs.get("source", request.url), request.url, failure_reason(failure))
