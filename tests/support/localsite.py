"""The tests' loopback server: the demo's static server and proxy, plus fault injection.

Built on :mod:`newsmirror.demo.site_server` (files, sidecars, 304s, CONNECT tunnels,
the request log: its docstring says how pages are laid out); this adds what only
tests need:

* ``/_fault/...`` on any host is a computed failure (see ``FAULTS``).
* A sidecar ``<file>.referer`` lists allowed ``Referer`` prefixes, one per line: any
  other request for the file gets 403, as from an image host that refuses hotlinking.
* ``--flaky SEED``: every other request fails with a seeded chance (20 % answer 503,
  5 % are reset), decided per URL and attempt number (see ``flaky_outcome``).

Run it as ``python -m tests.support.localsite --root DIR [--port 0] [--log FILE]
[--flaky SEED]`` from the repository root, or from Python with ``running_site(root)``.
In the request log, ``status`` is null for ``/_fault/drop``.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import socket
import struct
import sys
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from newsmirror.demo.site_server import (
    HOST_RE,
    PACKAGE_ROOT,
    LocalSite,
    NotFound,
    Reply,
    RequestLog,
    Site,
    SiteHandler,
    SiteServer,
    Target,
    argument_parser,
    checked_args,
    html_reply,
    not_found,
    running_server,
    serve,
    text_reply,
)

# The repository root: where ``python -m tests.support.localsite`` runs from.
REPO_ROOT = PACKAGE_ROOT
FAULT_PREFIX = "_fault"
MAX_SLOW_SECONDS = 600.0
REFERER_SUFFIX = ".referer"


def referer_refusal(site: Site, target: Target, request_headers: Any) -> Reply | None:
    """Return a 403 when the requested file has a ``<file>.referer`` sidecar the request fails.

    The sidecar lists allowed ``Referer`` prefixes, one per line, as image hosts that
    refuse hotlinking do (Sina's among them). The query is ignored; no sidecar, no check.
    """
    try:
        segments = site.segments(target.path.partition("?")[0])
    except NotFound:
        return None
    if not segments or not HOST_RE.match(target.folder):
        return None
    rule = site.root.joinpath(target.folder, *segments[:-1], segments[-1] + REFERER_SUFFIX)
    try:
        prefixes = [line.strip() for line in rule.read_text(encoding="utf-8").splitlines() if line.strip()]
    except (OSError, UnicodeDecodeError):
        return None
    referer = request_headers.get("Referer") or ""
    if any(referer.startswith(prefix) for prefix in prefixes):
        return None
    return text_reply(403, "403 Forbidden: hotlinking refused\n")



# --------------------------------------------------------------------------- faults
# A fault takes the handler and the path segments after its name. It either returns a
# Reply to send normally, or writes to / closes the connection itself and returns None.

Fault = Callable[["FaultSiteHandler", list[str]], "Reply | None"]


def _int_arg(args: list[str], low: int, high: int) -> int:
    """Return the single integer argument, if it lies in [low, high]; else NotFound."""
    if len(args) != 1 or not args[0].isdigit() or not low <= int(args[0]) <= high:
        raise NotFound("/".join(args))
    return int(args[0])


def fault_status(handler: FaultSiteHandler, args: list[str]) -> Reply:
    """``/_fault/status/<code>``: answer that status with a tiny body."""
    code = _int_arg(args, 200, 599)
    return html_reply(code, f"status {code}")


def fault_redirect(handler: FaultSiteHandler, args: list[str]) -> Reply:
    """``/_fault/redirect/<n>``: n more 302 hops, then 200 ``done``."""
    hops = _int_arg(args, 0, 1000)
    if hops == 0:
        return html_reply(200, "done")
    location = f"/{FAULT_PREFIX}/redirect/{hops - 1}"
    return html_reply(302, "redirect", [("Location", location)])


def fault_redirect_loop(handler: FaultSiteHandler, args: list[str]) -> Reply:
    """``/_fault/redirect-loop``: a 302 back to itself, forever."""
    if args:
        raise NotFound("/".join(args))
    return html_reply(302, "loop", [("Location", f"/{FAULT_PREFIX}/redirect-loop")])


def fault_slow(handler: FaultSiteHandler, args: list[str]) -> Reply:
    """``/_fault/slow/<seconds>``: wait, then answer 200."""
    try:
        seconds = float(args[0]) if len(args) == 1 else -1.0
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= MAX_SLOW_SECONDS:
        raise NotFound("/".join(args))
    time.sleep(seconds)
    return html_reply(200, f"slow {args[0]}")


def fault_drop(handler: FaultSiteHandler, args: list[str]) -> None:
    """``/_fault/drop``: close the connection without answering."""
    handler.drop_connection()


def fault_partial(handler: FaultSiteHandler, args: list[str]) -> None:
    """``/_fault/partial``: promise 10000 bytes, send 100, close."""
    head = [("Content-Type", "text/html"), ("Content-Length", "10000")]
    handler.send_head(200, head)
    handler.wfile.write(b"x" * 100)
    handler.wfile.flush()
    handler.drop_connection()


def fault_reset(handler: FaultSiteHandler, args: list[str]) -> None:
    """``/_fault/reset``: abort the connection with a TCP RST, as a crashed server does."""
    if args:
        raise NotFound("/".join(args))
    handler.reset_connection()


def fault_retry_after(handler: FaultSiteHandler, args: list[str]) -> Reply:
    """``/_fault/retry-after/<seconds>``: 429 Too Many Requests with that ``Retry-After``."""
    seconds = _int_arg(args, 0, 86400)
    return html_reply(429, "slow down", [("Retry-After", str(seconds))])


def fault_fail_first(handler: FaultSiteHandler, args: list[str]) -> Reply:
    """``/_fault/fail-first/<n>/<code>/<path...>``: n times status *code*, then the file at /<path>.

    The count is kept per full request path for the server's lifetime. A 429 or 503
    carries ``Retry-After: 1``.
    """
    if len(args) < 3:
        raise NotFound("/".join(args))
    failures, code = _int_arg(args[:1], 0, 1000), _int_arg(args[1:2], 400, 599)
    target = handler.current_target
    if handler.server.count_request(target.url) <= failures:
        extra = [("Retry-After", "1")] if code in (429, 503) else []
        return html_reply(code, f"status {code}", extra)
    rest = "/" + "/".join(args[2:])
    query = target.path.partition("?")[2]
    inner = Target(target.scheme, target.host, target.port, rest + (f"?{query}" if query else ""), target.via_proxy)
    return handler.server.site.lookup(inner)


def fault_big(handler: FaultSiteHandler, args: list[str]) -> Reply:
    """``/_fault/big/<megabytes>``: a well-formed HTML article page of that many MB."""
    megabytes = _int_arg(args, 1, 64)
    head = (
        b"<html><head><title>An enormous page</title>"
        b"<meta property='article:published_time' content='2024-01-02T03:04:05Z'></head><body><h1>An enormous page</h1>"
    )
    paragraph = b"<p>" + b"filler text " * 80 + b"</p>\n"
    count = megabytes * 1024 * 1024 // len(paragraph) + 1
    return Reply(200, [("Content-Type", "text/html")], head + paragraph * count + b"</body></html>")


@functools.cache
def _gzip_bomb() -> bytes:
    """Return 64 MB of HTML-ish zeros-like filler, gzip-compressed to about 64 KB."""
    return gzip.compress(b"<html><body>" + b" " * (64 * 1024 * 1024) + b"</body></html>", compresslevel=9)


def fault_gzip_bomb(handler: FaultSiteHandler, args: list[str]) -> Reply:
    """``/_fault/gzip-bomb``: a small gzip body that inflates to 64 MB of HTML."""
    if args:
        raise NotFound("/".join(args))
    headers = [("Content-Type", "text/html"), ("Content-Encoding", "gzip")]
    return Reply(200, headers, _gzip_bomb())


# Just enough of each format to be recognised by its magic bytes.
_PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6300010000050001e2269b1b0000000049454e44ae426082"
)


def fault_pdf(handler: FaultSiteHandler, args: list[str]) -> Reply:
    """``/_fault/pdf``: a PDF document, as some article URLs really answer."""
    if args:
        raise NotFound("/".join(args))
    return Reply(200, [("Content-Type", "application/pdf")], _PDF)


def fault_image(handler: FaultSiteHandler, args: list[str]) -> Reply:
    """``/_fault/image``: a 1x1 PNG image."""
    if args:
        raise NotFound("/".join(args))
    return Reply(200, [("Content-Type", "image/png")], _PNG)


def fault_html_feed(handler: FaultSiteHandler, args: list[str]) -> Reply:
    """``/_fault/html-feed``: an HTML sign-in page where a feed was expected."""
    if args:
        raise NotFound("/".join(args))
    page = (
        "<!DOCTYPE html><html><head><title>Sign in</title></head><body>"
        "<form action='/login' method='post'><input name='user'></form></body></html>"
    )
    return Reply(200, [("Content-Type", "text/html; charset=utf-8")], page.encode())


def fault_empty(handler: FaultSiteHandler, args: list[str]) -> Reply:
    """``/_fault/empty``: 200 text/html with an empty body."""
    if args:
        raise NotFound("/".join(args))
    return Reply(200, [("Content-Type", "text/html")], b"")


FAULTS: dict[str, Fault] = {
    "status": fault_status,
    "redirect": fault_redirect,
    "redirect-loop": fault_redirect_loop,
    "slow": fault_slow,
    "drop": fault_drop,
    "partial": fault_partial,
    "reset": fault_reset,
    "retry-after": fault_retry_after,
    "fail-first": fault_fail_first,
    "big": fault_big,
    "gzip-bomb": fault_gzip_bomb,
    "pdf": fault_pdf,
    "image": fault_image,
    "html-feed": fault_html_feed,
    "empty": fault_empty,
}

# The flaky mode (``--flaky SEED``): these shares of ordinary (non-fault) requests fail.
FLAKY_503_SHARE = 0.20
FLAKY_RESET_SHARE = 0.05


def flaky_outcome(seed: int, url: str, attempt: int) -> str | None:
    """Return ``"503"``, ``"reset"`` or None for the *attempt*-th request (from 1) of *url*.

    A pure function of its arguments, so a seeded run fails the same requests whatever
    order concurrent requests arrive in.
    """
    digest = hashlib.sha256(f"{seed}\0{url}\0{attempt}".encode("utf-8", "surrogateescape")).digest()
    draw = int.from_bytes(digest[:8], "big") / 2**64
    if draw < FLAKY_503_SHARE:
        return "503"
    if draw < FLAKY_503_SHARE + FLAKY_RESET_SHARE:
        return "reset"
    return None


# --------------------------------------------------------------------------- server


class FaultSiteServer(SiteServer):
    """The static site server, counting requests per URL for ``fail-first`` and the flaky mode."""

    def __init__(self, address: tuple[str, int], site: Site, log: RequestLog, flaky_seed: int | None = None) -> None:
        self.flaky_seed = flaky_seed
        self._counts: dict[str, int] = {}
        self._counts_lock = threading.Lock()
        super().__init__(address, site, log, FaultSiteHandler)

    def count_request(self, url: str) -> int:
        """Count one more request for *url* and return how many there have been, this one included."""
        with self._counts_lock:
            self._counts[url] = self._counts.get(url, 0) + 1
            return self._counts[url]


class FaultSiteHandler(SiteHandler):
    """Answers ``/_fault/...``, hotlink refusals and flaky failures; the rest as the static server does."""

    server: FaultSiteServer

    def drop_connection(self) -> None:
        """Hang up at once, without a TLS close_notify: the client sees the line go dead."""
        self.close_connection = True
        self.write_log()
        self.wfile.flush()
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def reset_connection(self) -> None:
        """Abort the connection: SO_LINGER 0 makes close() send a TCP RST instead of a FIN."""
        self.close_connection = True
        self.write_log()
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass

    def compute_reply(self, target: Target) -> Reply | None:
        """Return the reply for *target*, or None when a fault answered (or hung up) itself."""
        segments = [s for s in target.path.partition("?")[0].split("/") if s]
        if self.server.flaky_seed is not None and segments[:1] != [FAULT_PREFIX]:
            outcome = flaky_outcome(self.server.flaky_seed, target.url, self.server.count_request(target.url))
            if outcome == "reset":
                self.reset_connection()
                return None
            if outcome == "503":
                return html_reply(503, "flaky")
        if segments and segments[0] == FAULT_PREFIX:
            fault = FAULTS.get(segments[1]) if len(segments) > 1 else None
            try:
                if fault is None:
                    raise NotFound(target.path)
                return fault(self, segments[2:])
            except NotFound:
                return not_found()
        refusal = referer_refusal(self.server.site, target, self.headers)
        if refusal is not None:
            return refusal
        return super().compute_reply(target)


def running_site(root: Path, log: Path | None = None, *, flaky_seed: int | None = None) -> AbstractContextManager[LocalSite]:
    """Run the fault-injecting server on a free loopback port for the duration of a ``with`` block.

    With *flaky_seed*, the server runs in the flaky mode (``--flaky SEED``).
    """
    options = ["--flaky", str(flaky_seed)] if flaky_seed is not None else []
    return running_server("tests.support.localsite", root, log, options)


def main(argv: list[str] | None = None) -> int:
    """Serve until SIGTERM or SIGINT; return the exit status."""
    parser = argument_parser("python -m tests.support.localsite", __doc__.split("\n")[0])
    parser.add_argument(
        "--flaky", type=int, default=None, metavar="SEED",
        help=f"answer a seeded {FLAKY_503_SHARE:.0%} of ordinary requests 503 and {FLAKY_RESET_SHARE:.0%} with a reset"
        .replace("%", "%%"),  # argparse formats help text with %
    )
    args = checked_args(parser, argv)
    server = FaultSiteServer((args.host, args.port), Site(args.root), RequestLog(args.log), args.flaky)
    return serve(server, args.host)


if __name__ == "__main__":
    sys.exit(main())
