"""Why a download failed, in words an operator can act on.

Scrapy's own failure messages range from clear ("max redirections reached") to a repr
of a list of nested Twisted failures. The run log and the run report show one short,
clear reason per article instead.
"""

from __future__ import annotations

from http import HTTPStatus
from urllib.parse import urlsplit

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    ResponseDataLossError,
)
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet import error as twisted_errors
from twisted.python.failure import Failure
from twisted.web.client import ResponseFailed, ResponseNeverReceived

# Exception types whose Scrapy or Twisted message is unclear, and what they mean.
_PLAIN_REASONS: tuple[tuple[type[BaseException] | tuple[type[BaseException], ...], str], ...] = (
    ((DownloadTimeoutError, twisted_errors.TimeoutError), "timed out"),
    ((ResponseDataLossError,), "the connection closed before the whole body arrived (truncated response)"),
    ((twisted_errors.ConnectionRefusedError, DownloadConnectionRefusedError), "connection refused"),
    ((ResponseNeverReceived,), "the connection was closed or reset before any response"),
    ((ResponseFailed, twisted_errors.ConnectionLost, twisted_errors.ConnectionDone),
     "the connection was lost in the middle of the response"),
)  # fmt: skip


class BlockedAddressError(twisted_errors.DNSLookupError):
    """A host name resolved to an address the address guard refuses; never retried."""


def status_text(status: int) -> str:
    """Return ``"503 Service Unavailable"`` for 503, ``"599"`` for a code without a name."""
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


def describe_failure(failure: Failure) -> str:
    """Return one line saying why a request ended in *failure*, with the attempts it took."""
    value = failure.value
    if isinstance(value, DownloadFailedError) and value.__cause__ is not None:
        value = value.__cause__  # Scrapy's wrapper around the Twisted error that says what happened
    request = getattr(failure, "request", None)
    attempts = 1 + int((request.meta if request is not None else {}).get("retry_times", 0))
    if isinstance(value, BlockedAddressError):
        reason = str(value.args[0]) if value.args else "blocked"
    elif isinstance(value, HttpError):
        response = value.response
        attempts = 1 + int(response.request.meta.get("retry_times", 0)) if response.request else attempts
        reason = f"HTTP {status_text(response.status)}"
        location = response.headers.get(b"Location")
        if location and 300 <= response.status < 400:
            reason += f" to {location.decode('latin-1')}, not followed"
    elif isinstance(value, DownloadCancelledError) and "max size" in str(value):
        reason = f"larger than DOWNLOAD_MAXSIZE: {str(value).partition(' in request ')[0]}"
    elif isinstance(value, (CannotResolveHostError, twisted_errors.DNSLookupError)):
        host = urlsplit(request.url).hostname if request is not None else None
        reason = f"DNS lookup failed for {host}: no network, or no such host?"
    else:
        reason = next((text for kinds, text in _PLAIN_REASONS if isinstance(value, kinds)), "")
        reason = reason or str(value).strip() or type(value).__name__
    if attempts > 1:
        reason += f" (gave up after {attempts} attempts)"
    return reason
