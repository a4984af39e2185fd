"""A loopback static-site server and HTTP(S) proxy that serves recorded pages to tests.

Run it as ``python -m newsmirror.localsite --root DIR [--port 0] [--host 127.0.0.1]
[--log FILE]``. Once listening it prints one JSON line, ``{"port": ..., "url": ...}``,
and serves until SIGTERM or SIGINT.

Files live at ``DIR/<hostname>/<url path>`` and are sent as raw bytes:

* Requests made straight to the server (``Host: 127.0.0.1:PORT`` or ``localhost``) use
  ``DIR/localhost/``; any other ``Host`` value uses that host's folder.
* As a proxy, absolute-form requests (``GET http://host/x``) and requests inside a
  ``CONNECT host:443`` tunnel (TLS is terminated here with a self-signed certificate
  minted in memory for the requested name) use ``DIR/<host>/``. Nothing is ever
  forwarded anywhere: a host without a folder gets 404s.
* A path ending in ``/`` serves ``index.html``. ``/a/get?x=1`` is looked up first as
  the file ``a/get?x=1`` (query exactly as sent, any ``/`` in it stored as ``%2F``),
  then as ``a/get``.
* A sidecar ``<file>.headers`` sets the response: an optional first line
  ``STATUS 404``, then ``Name: value`` lines sent verbatim. A sidecar without its body
  file answers with an empty body (handy for redirects). Without a sidecar the answer
  is 200 with a charset-free Content-Type guessed from the extension.
* A sidecar ``ETag`` matching ``If-None-Match``, or ``Last-Modified`` equal to
  ``If-Modified-Since``, answers 304.
* ``/_fault/...`` on any host is a computed failure (see ``FAULTS``).
* A sidecar ``<file>.referer`` lists allowed ``Referer`` prefixes, one per line: any
  other request for the file gets 403, as from an image host that refuses hotlinking.
* ``--flaky SEED``: every other request fails with a seeded chance (20 % answer 503,
  5 % are reset), decided per URL and attempt number (see ``flaky_outcome``).

From Python, ``running_site(root)`` starts it in a subprocess for the length of a
``with`` block and yields a ``LocalSite`` with its URLs and proxy environment.

With ``--log FILE`` every handled request, CONNECTs included, is appended as one JSON
line: method, host, path, url, status, via_proxy and the request headers. A line is
written once the status is decided, just before the response goes out, so a client
that has its response always finds the line. ``status`` is null for ``/_fault/drop``.
"""

from __future__ import annotations

import argparse
import datetime
import functools
import gzip
import hashlib
import http
import ipaddress
import json
import os
import queue
import re
import signal
import socket
import socketserver
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any
from urllib.parse import unquote, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

CONTENT_TYPES: dict[str, str] = {
    ".html": "text/html",
    ".htm": "text/html",
    ".shtml": "text/html",
    ".xml": "application/xml",
    ".rss": "application/xml",
    ".atom": "application/atom+xml",
    ".json": "application/json",
    ".txt": "text/plain",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".gz": "application/gzip",
}
DEFAULT_CONTENT_TYPE = "application/octet-stream"
SIDECAR_SUFFIX = ".headers"
FAULT_PREFIX = "_fault"

# Names a client uses for this server itself; they all map to the ``localhost`` folder.
_LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1", ""})
LOCAL_FOLDER = "localhost"
# A host becomes a folder name, so only plain DNS-ish names are accepted.
_HOST_RE = re.compile(r"^[a-z0-9_-]+(\.[a-z0-9_-]+)*\.?$")
_STATUS_LINE_RE = re.compile(r"^STATUS\s+(\d{3})\s*$", re.IGNORECASE)
# Headers this server computes itself; a sidecar copy would corrupt the framing.
_FRAMING_HEADERS = frozenset({"content-length", "transfer-encoding", "connection"})
_BODYLESS_STATUSES = frozenset({204, 304})
# Idle keep-alive connections give their thread back after this many seconds.
CONNECTION_TIMEOUT = 60.0
MAX_SLOW_SECONDS = 600.0


class NotFound(Exception):
    """The request names nothing this server can answer."""


@dataclass(frozen=True)
class Target:
    """Where one request points: the host folder, the request path, and how it arrived."""

    scheme: str
    host: str  # hostname as the client named it, lower-cased, no port
    port: int | None
    path: str  # origin-form path and query, exactly as sent
    via_proxy: bool

    @property
    def folder(self) -> str:
        """Return the name of the folder under the root that holds this host's files."""
        return LOCAL_FOLDER if self.host in _LOOPBACK_NAMES else self.host

    @property
    def url(self) -> str:
        """Return the full URL the client asked for, default port left out."""
        default = 443 if self.scheme == "https" else 80
        netloc = _netloc(self.host, self.port if self.port != default else None)
        return f"{self.scheme}://{netloc}{self.path}"


@dataclass
class Reply:
    """A complete response: status, header lines in order, and the body."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes = b""

    def header(self, name: str) -> str | None:
        """Return the first header called *name* (any case), or None."""
        wanted = name.lower()
        return next((v for n, v in self.headers if n.lower() == wanted), None)


def _netloc(host: str, port: int | None) -> str:
    """Return ``host[:port]`` with IPv6 addresses bracketed."""
    shown = f"[{host}]" if ":" in host else host
    return f"{shown}:{port}" if port is not None else shown


def split_host(value: str) -> tuple[str, int | None]:
    """Split a ``host[:port]`` authority into a lower-cased host and an optional port."""
    try:
        parts = urlsplit(f"//{value.strip()}")
        port = parts.port
    except ValueError:
        raise NotFound(f"bad authority {value!r}") from None
    return (parts.hostname or "").rstrip(".").lower(), port


def content_type_for(name: str) -> str:
    """Return the charset-free Content-Type for a file name (query part ignored), by extension."""
    extension = os.path.splitext(name.partition("?")[0])[1].lower()
    return CONTENT_TYPES.get(extension, DEFAULT_CONTENT_TYPE)


def text_reply(status: int, text: str, extra: list[tuple[str, str]] | None = None) -> Reply:
    """Return a short plain-text reply."""
    headers = [("Content-Type", "text/plain"), *(extra or [])]
    return Reply(status, headers, text.encode("utf-8"))


def html_reply(status: int, text: str, extra: list[tuple[str, str]] | None = None) -> Reply:
    """Return a tiny HTML reply whose body is ``<html><body>text</body></html>``."""
    headers = [("Content-Type", "text/html"), *(extra or [])]
    return Reply(status, headers, f"<html><body>{text}</body></html>".encode())


def _not_found() -> Reply:
    """Return the plain 404 reply."""
    return text_reply(404, "404 Not Found\n")


# --------------------------------------------------------------------------- files


class Site:
    """Looks files up under the root directory; never hands out anything outside it."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def lookup(self, target: Target) -> Reply:
        """Return the stored reply for *target*, or raise NotFound."""
        if not _HOST_RE.match(target.folder):
            raise NotFound(f"bad host {target.folder!r}")
        raw_path, sep, query = target.path.partition("?")
        segments = self.segments(raw_path)
        leaf = segments.pop() if segments and not raw_path.endswith("/") else "index.html"
        folder = self.root.joinpath(target.folder, *segments)
        names = [leaf]
        if sep:
            # A file name cannot hold "/", so a query containing one is stored with %2F.
            names.insert(0, f"{leaf}?{query.replace('/', '%2F')}")
        for name in names:
            if name.endswith(SIDECAR_SUFFIX) or "\x00" in name:
                continue
            reply = self._read(folder / name)
            if reply is not None:
                return reply
        raise NotFound(target.path)

    @staticmethod
    def segments(raw_path: str) -> list[str]:
        """Return the decoded path segments, refusing anything that could climb out."""
        if not raw_path.startswith("/"):
            raise NotFound(raw_path)
        # surrogateescape keeps non-UTF-8 escapes (say GBK) mapped to the same bytes on disk.
        decoded = unquote(raw_path, encoding="utf-8", errors="surrogateescape")
        segments = [s for s in decoded.split("/") if s]
        for segment in segments:
            if segment in (".", "..") or "\x00" in segment or "\\" in segment:
                raise NotFound(raw_path)
        return segments

    def _inside(self, path: Path) -> bool:
        """Tell whether *path*, symlinks resolved, is still under the root."""
        try:
            path.resolve().relative_to(self.root)
        except (ValueError, OSError):
            return False
        return True

    def _read(self, path: Path) -> Reply | None:
        """Return the reply stored at *path* (body file and/or sidecar), or None."""
        sidecar = path.with_name(path.name + SIDECAR_SUFFIX)
        try:
            has_body = path.is_file() and self._inside(path)
            has_sidecar = sidecar.is_file() and self._inside(sidecar)
            if not (has_body or has_sidecar):
                return None
            body = path.read_bytes() if has_body else b""
            sidecar_data = sidecar.read_bytes() if has_sidecar else None
        except OSError:
            # Say, a long query makes a name over the file system's limit: no such file.
            return None
        if sidecar_data is None:
            return Reply(200, [("Content-Type", content_type_for(path.name))], body)
        status, headers = parse_sidecar(sidecar_data)
        if has_body and not any(n.lower() == "content-type" for n, _ in headers):
            headers.append(("Content-Type", content_type_for(path.name)))
        return Reply(status, headers, body)


def parse_sidecar(data: bytes) -> tuple[int, list[tuple[str, str]]]:
    """Parse a ``.headers`` sidecar into a status and its header lines, in order."""
    status = 200
    headers: list[tuple[str, str]] = []
    # latin-1 maps every byte to one character, so values go back out byte for byte.
    lines = [line.rstrip("\r") for line in data.decode("latin-1").split("\n")]
    lines = [line for line in lines if line.strip()]
    if lines and (match := _STATUS_LINE_RE.match(lines[0])):
        status = int(match.group(1))
        lines = lines[1:]
    for line in lines:
        name, sep, value = line.partition(":")
        if not sep or not name.strip():
            print(f"localsite: ignoring sidecar line {line!r}", file=sys.stderr)
            continue
        if name.strip().lower() not in _FRAMING_HEADERS:
            headers.append((name.strip(), value.strip()))
    return status, headers


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
    if not segments or not _HOST_RE.match(target.folder):
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


def not_modified(reply: Reply, request_headers: Any) -> bool:
    """Tell whether a conditional request matches the stored validators."""
    if reply.status != 200:
        return False
    etag, inm = reply.header("ETag"), request_headers.get("If-None-Match")
    if etag is not None and inm is not None:
        return inm.strip() == etag.strip()
    modified, ims = reply.header("Last-Modified"), request_headers.get("If-Modified-Since")
    return modified is not None and ims is not None and ims.strip() == modified.strip()


# --------------------------------------------------------------------------- faults
# A fault takes the handler and the path segments after its name. It either returns a
# Reply to send normally, or writes to / closes the connection itself and returns None.

Fault = Callable[["SiteHandler", list[str]], "Reply | None"]


def _int_arg(args: list[str], low: int, high: int) -> int:
    """Return the single integer argument, if it lies in [low, high]; else NotFound."""
    if len(args) != 1 or not args[0].isdigit() or not low <= int(args[0]) <= high:
        raise NotFound("/".join(args))
    return int(args[0])


def fault_status(handler: SiteHandler, args: list[str]) -> Reply:
    """``/_fault/status/<code>``: answer that status with a tiny body."""
    code = _int_arg(args, 200, 599)
    return html_reply(code, f"status {code}")


def fault_redirect(handler: SiteHandler, args: list[str]) -> Reply:
    """``/_fault/redirect/<n>``: n more 302 hops, then 200 ``done``."""
    hops = _int_arg(args, 0, 1000)
    if hops == 0:
        return html_reply(200, "done")
    location = f"/{FAULT_PREFIX}/redirect/{hops - 1}"
    return html_reply(302, "redirect", [("Location", location)])


def fault_redirect_loop(handler: SiteHandler, args: list[str]) -> Reply:
    """``/_fault/redirect-loop``: a 302 back to itself, forever."""
    if args:
        raise NotFound("/".join(args))
    return html_reply(302, "loop", [("Location", f"/{FAULT_PREFIX}/redirect-loop")])


def fault_slow(handler: SiteHandler, args: list[str]) -> Reply:
    """``/_fault/slow/<seconds>``: wait, then answer 200."""
    try:
        seconds = float(args[0]) if len(args) == 1 else -1.0
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= MAX_SLOW_SECONDS:
        raise NotFound("/".join(args))
    time.sleep(seconds)
    return html_reply(200, f"slow {args[0]}")


def fault_drop(handler: SiteHandler, args: list[str]) -> None:
    """``/_fault/drop``: close the connection without answering."""
    handler.drop_connection()


def fault_partial(handler: SiteHandler, args: list[str]) -> None:
    """``/_fault/partial``: promise 10000 bytes, send 100, close."""
    head = [("Content-Type", "text/html"), ("Content-Length", "10000")]
    handler.send_head(200, head)
    handler.wfile.write(b"x" * 100)
    handler.wfile.flush()
    handler.drop_connection()


def fault_reset(handler: SiteHandler, args: list[str]) -> None:
    """``/_fault/reset``: abort the connection with a TCP RST, as a crashed server does."""
    if args:
        raise NotFound("/".join(args))
    handler.reset_connection()


def fault_retry_after(handler: SiteHandler, args: list[str]) -> Reply:
    """``/_fault/retry-after/<seconds>``: 429 Too Many Requests with that ``Retry-After``."""
    seconds = _int_arg(args, 0, 86400)
    return html_reply(429, "slow down", [("Retry-After", str(seconds))])


def fault_fail_first(handler: SiteHandler, args: list[str]) -> Reply:
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


def fault_big(handler: SiteHandler, args: list[str]) -> Reply:
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


def fault_gzip_bomb(handler: SiteHandler, args: list[str]) -> Reply:
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


def fault_pdf(handler: SiteHandler, args: list[str]) -> Reply:
    """``/_fault/pdf``: a PDF document, as some article URLs really answer."""
    if args:
        raise NotFound("/".join(args))
    return Reply(200, [("Content-Type", "application/pdf")], _PDF)


def fault_image(handler: SiteHandler, args: list[str]) -> Reply:
    """``/_fault/image``: a 1x1 PNG image."""
    if args:
        raise NotFound("/".join(args))
    return Reply(200, [("Content-Type", "image/png")], _PNG)


def fault_html_feed(handler: SiteHandler, args: list[str]) -> Reply:
    """``/_fault/html-feed``: an HTML sign-in page where a feed was expected."""
    if args:
        raise NotFound("/".join(args))
    page = (
        "<!DOCTYPE html><html><head><title>Sign in</title></head><body>"
        "<form action='/login' method='post'><input name='user'></form></body></html>"
    )
    return Reply(200, [("Content-Type", "text/html; charset=utf-8")], page.encode())


def fault_empty(handler: SiteHandler, args: list[str]) -> Reply:
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


class RequestLog:
    """Appends one JSON line per handled request; safe to share between threads."""

    def __init__(self, path: Path | None) -> None:
        self._file: IO[str] | None = path.open("a", encoding="utf-8") if path else None
        self._lock = threading.Lock()

    def write(self, entry: dict[str, Any]) -> None:
        """Append *entry* and flush, so readers see it as soon as the reply is out."""
        if self._file is None:
            return
        line = json.dumps(entry, ensure_ascii=False)
        with self._lock:
            self._file.write(line + "\n")
            self._file.flush()

    def close(self) -> None:
        """Close the log file."""
        if self._file is not None:
            self._file.close()


class LocalSiteServer(ThreadingHTTPServer):
    """A threaded HTTP server holding the site, the TLS context and the request log."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], site: Site, log: RequestLog, flaky_seed: int | None = None) -> None:
        self.site = site
        self.log = log
        self.flaky_seed = flaky_seed
        self.tls_context = Certificates().default
        self._counts: dict[str, int] = {}
        self._counts_lock = threading.Lock()
        super().__init__(address, SiteHandler)

    def count_request(self, url: str) -> int:
        """Count one more request for *url* and return how many there have been, this one included."""
        with self._counts_lock:
            self._counts[url] = self._counts.get(url, 0) + 1
            return self._counts[url]

    def server_bind(self) -> None:
        """Bind without HTTPServer's reverse-DNS lookup, which can stall offline."""
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet about clients that hang up; report anything else."""
        if not isinstance(sys.exc_info()[1], (OSError, ssl.SSLError)):
            super().handle_error(request, client_address)


class SiteHandler(BaseHTTPRequestHandler):
    """Answers direct, absolute-form proxy and CONNECT-tunnelled requests from the site."""

    server: LocalSiteServer
    protocol_version = "HTTP/1.1"  # keep-alive, which Scrapy's connection pool uses
    timeout = CONNECTION_TIMEOUT
    _tunnel: tuple[str, int] | None = None
    _tls: ssl.SSLSocket | None = None
    _status: int | None = None
    _pending_log: dict[str, Any] | None = None
    current_target: Target

    # -- plumbing

    def handle(self) -> None:
        """Serve requests until the client leaves; a vanished client is not an error."""
        try:
            super().handle()
        except (OSError, ssl.SSLError):
            self.close_connection = True

    def finish(self) -> None:
        """Close the files, and the TLS socket too when a tunnel replaced the plain one."""
        try:
            super().finish()
        except OSError:
            pass
        if self._tls is not None:
            self._tls.close()

    def log_message(self, format: str, *args: Any) -> None:
        """Keep stderr quiet; the JSON request log is the record."""

    def send_head(self, status: int, headers: list[tuple[str, str]]) -> None:
        """Log the request, then write the status line and header lines exactly as given."""
        self._status = status
        self._write_log()
        try:
            reason = http.HTTPStatus(status).phrase
        except ValueError:
            reason = "Unknown"
        lines = [f"{self.protocol_version} {status} {reason}"]
        lines += [f"{name}: {value}" for name, value in headers]
        if self.close_connection:
            lines.append("Connection: close")
        self.wfile.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))

    def send_reply(self, reply: Reply) -> None:
        """Send *reply* with its Content-Length; no body for HEAD, 204 and 304."""
        if reply.status in _BODYLESS_STATUSES:
            # These never carry a body, and 204 must not even announce a length.
            self.send_head(reply.status, reply.headers)
        else:
            length = ("Content-Length", str(len(reply.body)))
            self.send_head(reply.status, [*reply.headers, length])
            if self.command != "HEAD":
                self.wfile.write(reply.body)
        self.wfile.flush()

    def drop_connection(self) -> None:
        """Hang up at once, without a TLS close_notify: the client sees the line go dead."""
        self.close_connection = True
        self._write_log()
        self.wfile.flush()
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def reset_connection(self) -> None:
        """Abort the connection: SO_LINGER 0 makes close() send a TCP RST instead of a FIN."""
        self.close_connection = True
        self._write_log()
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass

    def _start_log(self, target: Target, url: str | None = None) -> None:
        """Note the request; its log line is written once the status is known."""
        self._status = None
        self._pending_log = {
            "method": self.command,
            "host": target.host,
            "path": target.path,
            "url": url or target.url,
            "status": None,
            "via_proxy": target.via_proxy,
            "headers": dict(self.headers.items()),
            "time": time.time(),
        }

    def _write_log(self) -> None:
        """Write the pending log line, once.

        It goes out just before the response bytes, not after them, so a client that
        has read its response is sure to find the line already in the log.
        """
        if self._pending_log is not None:
            entry, self._pending_log = self._pending_log, None
            self.server.log.write({**entry, "status": self._status})

    # -- requests

    def _target(self) -> Target:
        """Work out which host and path this request is for."""
        if self.path.startswith(("http://", "https://")):
            try:
                parts = urlsplit(self.path)
            except ValueError:
                raise NotFound(self.path) from None
            host, port = split_host(parts.netloc)
            path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            return Target(parts.scheme, host, port, path, via_proxy=True)
        if self._tunnel is not None:
            return Target("https", self._tunnel[0], self._tunnel[1], self.path, via_proxy=True)
        host, port = split_host(self.headers.get("Host", ""))
        return Target("http", host, port, self.path, via_proxy=False)

    def _discard_body(self) -> None:
        """Read a request body off the wire so the next request on the connection parses."""
        if self.headers.get("Transfer-Encoding"):
            # Chunked uploads are not supported; closing keeps the stream from desyncing.
            self.close_connection = True
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self.close_connection = True
            return
        while length > 0:
            chunk = self.rfile.read(min(length, 65536))
            if not chunk:
                break
            length -= len(chunk)

    def _answer(self) -> None:
        """Serve GET, HEAD and POST (body ignored): a fault, a stored file, or 404."""
        self._discard_body()
        try:
            target = self._target()
        except NotFound:
            self._start_log(Target("http", "", None, self.path, via_proxy=False))
            self.send_reply(text_reply(400, "400 Bad Request\n"))
            return
        self._start_log(target)
        try:
            reply = self._compute(target)
            if reply is not None:
                self.send_reply(reply)
        finally:
            self._write_log()

    def _compute(self, target: Target) -> Reply | None:
        """Return the reply for *target*, or None when a fault answered (or hung up) itself."""
        segments = [s for s in target.path.partition("?")[0].split("/") if s]
        self.current_target = target
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
                return _not_found()
        refusal = referer_refusal(self.server.site, target, self.headers)
        if refusal is not None:
            return refusal
        try:
            reply = self.server.site.lookup(target)
        except NotFound:
            return _not_found()
        if not_modified(reply, self.headers):
            return Reply(304, [(n, v) for n, v in reply.headers if n.lower() != "content-type"])
        return reply

    do_GET = do_HEAD = do_POST = _answer

    def do_CONNECT(self) -> None:
        """Open a tunnel: say 200, then speak TLS with our own certificate on this socket."""
        host, _, port_text = self.path.rpartition(":")
        target = Target("https", host.strip("[]").lower(), None, self.path, via_proxy=True)
        self._start_log(target, url=f"https://{self.path}")
        bad_target = not port_text.isdigit() or not _HOST_RE.match(target.folder)
        if self._tunnel is not None or bad_target:
            self.close_connection = True
            self.send_reply(text_reply(400, "400 Bad Request\n"))
            return
        self._status = 200
        self._write_log()
        self.wfile.write(f"{self.protocol_version} 200 Connection established\r\n\r\n".encode())
        self.wfile.flush()
        try:
            tls = self.server.tls_context.wrap_socket(self.connection, server_side=True)
        except OSError:
            # Handshake failed or the client left; the detached plain files are dead too.
            self.close_connection = True
            return
        # The client waits for our 200 before its ClientHello, so the plain reader's
        # buffer holds nothing that belongs to TLS and can be dropped with it.
        self.rfile.close()
        self.wfile.close()
        self._tls = self.connection = tls
        self._tunnel = (target.host, int(port_text))
        self.rfile = tls.makefile("rb", self.rbufsize)
        self.wfile = tls.makefile("wb")  # buffered: every reply ends with a flush
        self.close_connection = False


class Certificates:
    """Mints a self-signed certificate per TLS server name, on demand, all from one key.

    A certificate naming the very host Scrapy asked for keeps Scrapy from logging a
    "certificate is not valid for hostname" warning on every tunnel it opens.
    """

    def __init__(self) -> None:
        self._key = ec.generate_private_key(ec.SECP256R1())
        self._contexts: dict[str, ssl.SSLContext] = {}
        self._lock = threading.Lock()
        self.default = self._make_context(None)
        self.default.sni_callback = self._pick

    def _pick(
        self, sock: ssl.SSLSocket | ssl.SSLObject, server_name: str | None, _: ssl.SSLContext
    ) -> None:
        """Swap in the certificate for the name the client sent (SNI), if it sent one."""
        if not server_name:
            return
        with self._lock:
            context = self._contexts.get(server_name)
            if context is None:
                try:
                    context = self._make_context(server_name)
                except (ValueError, UnicodeError):
                    return  # a name x509 cannot hold: the default certificate will do
                self._contexts[server_name] = context
        sock.context = context

    def _make_context(self, hostname: str | None) -> ssl.SSLContext:
        """Return a server context whose certificate names *hostname* (and loopback)."""
        names: list[x509.GeneralName] = [
            x509.DNSName("localhost"),
            x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        ]
        if hostname:
            names.insert(0, x509.DNSName(hostname))
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "newsmirror localsite")])
        now = datetime.datetime.now(datetime.timezone.utc)
        cert = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(self._key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .sign(self._key, hashes.SHA256())
        )
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        # ssl loads certificates only from files; these live just long enough for that.
        with tempfile.TemporaryDirectory(prefix="localsite-") as folder:
            cert_file, key_file = Path(folder, "cert.pem"), Path(folder, "key.pem")
            cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
            key_file.write_bytes(
                self._key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
            )
            context.load_cert_chain(cert_file, key_file)
        return context


# --------------------------------------------------------------------------- main


# --- running the server from Python (the demo and the tests) -----------------------------

# The folder that holds the ``newsmirror`` package: the subprocess must import it from any cwd.
PACKAGE_ROOT = Path(__file__).resolve().parents[1]
READY_TIMEOUT = 15.0
STOP_TIMEOUT = 10.0
_PROXY_VARS = ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY")
_NO_PROXY_VARS = ("no_proxy", "NO_PROXY")


@dataclass(frozen=True)
class LocalSite:
    """A running local site: its port, URLs, proxy settings and request log."""

    port: int
    log: Path
    host: str = "127.0.0.1"

    def url(self, path: str = "/") -> str:
        """Return the direct URL of *path*, e.g. ``http://127.0.0.1:PORT/a.html``."""
        return f"{self.proxy_url}/{path.lstrip('/')}"

    @property
    def proxy_url(self) -> str:
        """Return the server's address for use as an HTTP and HTTPS proxy."""
        return f"http://{self.host}:{self.port}"

    def proxy_env(self) -> dict[str, str]:
        """Return a copy of ``os.environ`` that sends all HTTP(S) traffic through this server."""
        env = dict(os.environ)
        for name in _NO_PROXY_VARS:
            env.pop(name, None)
        env.update(dict.fromkeys(_PROXY_VARS, self.proxy_url))
        return env

    def requests(self) -> list[dict[str, Any]]:
        """Return the requests handled so far, oldest first, as logged by the server."""
        if not self.log.exists():
            return []
        lines = self.log.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]


def _read_ready_line(proc: subprocess.Popen[str], stderr_path: Path) -> dict[str, Any]:
    """Return the server's JSON ready line, or raise with its stderr if it never comes."""
    stdout = proc.stdout
    assert stdout is not None
    lines: queue.Queue[str] = queue.Queue()
    # readline() cannot time out, so a helper thread reads and the queue waits.
    threading.Thread(target=lambda: lines.put(stdout.readline()), daemon=True).start()
    try:
        line = lines.get(timeout=READY_TIMEOUT)
    except queue.Empty:
        line = ""
    if line.strip():
        return json.loads(line)
    if proc.poll() is None:
        proc.kill()
    proc.wait()
    stderr = stderr_path.read_text(encoding="utf-8", errors="replace")
    raise RuntimeError(
        f"localsite did not start (exit code {proc.returncode}); stderr:\n{stderr}"
    )


@contextmanager
def running_site(root: Path, log: Path | None = None, *, flaky_seed: int | None = None) -> Iterator[LocalSite]:
    """Run the local site server on a free loopback port for the duration of the block.

    With *flaky_seed*, the server runs in the flaky mode (``--flaky SEED``).
    """
    with tempfile.TemporaryDirectory(prefix="localsite-") as scratch:
        log_path = Path(log) if log is not None else Path(scratch, "requests.jsonl")
        stderr_path = Path(scratch, "stderr.txt")
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(PACKAGE_ROOT), env.get("PYTHONPATH")])
        )
        command = [
            sys.executable, "-m", "newsmirror.localsite",
            "--root", str(root), "--port", "0", "--log", str(log_path),
        ]  # fmt: skip
        if flaky_seed is not None:
            command += ["--flaky", str(flaky_seed)]
        # stderr goes to a file: a pipe nobody drains could fill up and stall the server.
        with stderr_path.open("w", encoding="utf-8") as stderr:
            proc = subprocess.Popen(
                command,
                cwd=PACKAGE_ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=stderr,
                text=True,
            )
        try:
            ready = _read_ready_line(proc, stderr_path)
            yield LocalSite(port=int(ready["port"]), log=log_path)
        finally:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            assert proc.stdout is not None
            proc.stdout.close()


def _loopback(host: str) -> str:
    """Return *host* if it is an IPv4 loopback address (or localhost); refuse anything else."""
    if host == "localhost":
        return "127.0.0.1"
    try:
        if ipaddress.IPv4Address(host).is_loopback:
            return host
    except ValueError:
        pass
    raise argparse.ArgumentTypeError(f"{host!r} is not an IPv4 loopback address")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m newsmirror.localsite", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--root", type=Path, required=True, help="folder of <host>/<path> files")
    parser.add_argument("--port", type=int, default=0, help="port to listen on; 0 = any free")
    parser.add_argument("--host", type=_loopback, default="127.0.0.1", help="loopback address")
    parser.add_argument("--log", type=Path, default=None, help="append JSON request lines here")
    parser.add_argument(
        "--flaky", type=int, default=None, metavar="SEED",
        help=f"answer a seeded {FLAKY_503_SHARE:.0%} of ordinary requests 503 and {FLAKY_RESET_SHARE:.0%} with a reset"
        .replace("%", "%%"),  # argparse formats help text with %
    )
    args = parser.parse_args(argv)
    if not args.root.is_dir():
        parser.error(f"--root {args.root} is not a directory")
    return args


def main(argv: list[str] | None = None) -> int:
    """Serve until SIGTERM or SIGINT; return the exit status."""
    args = parse_args(argv)
    log = RequestLog(args.log)
    server = LocalSiteServer((args.host, args.port), Site(args.root), log, args.flaky)

    def stop(signum: int, frame: object) -> None:
        # shutdown() waits for serve_forever() to return, which runs on this very
        # (main) thread, so it has to be called from another one.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    port = server.server_address[1]
    print(json.dumps({"port": port, "url": f"http://{args.host}:{port}"}), flush=True)
    try:
        # A short poll keeps shutdown (and so test teardown) quick.
        server.serve_forever(poll_interval=0.1)
    finally:
        server.server_close()
        log.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
