"""The demo's offline web: a loopback static-site server that is also an HTTP(S) proxy.

``make demo`` serves ``newsmirror/demo/site/`` through it, so the real ``scrapy crawl``
runs with real hostnames (and so the real site rules) without a byte leaving the
machine.  The tests' fault-injecting server (``tests/support/localsite.py``) builds on
this one; faults, flaky answers and hotlink refusals live there, not here.

Run it as ``python -m newsmirror.demo.site_server --root DIR [--port 0] [--host 127.0.0.1]
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

From Python, ``running_site(root)`` starts it in a subprocess for the length of a
``with`` block and yields a ``LocalSite`` with its URLs and proxy environment.

With ``--log FILE`` every handled request, CONNECTs included, is appended as one JSON
line: method, host, path, url, status, via_proxy and the request headers. A line is
written once the status is decided, just before the response goes out, so a client
that has its response always finds the line.
"""

from __future__ import annotations

import argparse
import datetime
import http
import ipaddress
import json
import os
import queue
import re
import signal
import socketserver
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
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

# Names a client uses for this server itself; they all map to the ``localhost`` folder.
_LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1", ""})
LOCAL_FOLDER = "localhost"
# A host becomes a folder name, so only plain DNS-ish names are accepted.
HOST_RE = re.compile(r"^[a-z0-9_-]+(\.[a-z0-9_-]+)*\.?$")
_STATUS_LINE_RE = re.compile(r"^STATUS\s+(\d{3})\s*$", re.IGNORECASE)
# Headers this server computes itself; a sidecar copy would corrupt the framing.
_FRAMING_HEADERS = frozenset({"content-length", "transfer-encoding", "connection"})
_BODYLESS_STATUSES = frozenset({204, 304})
# Idle keep-alive connections give their thread back after this many seconds.
CONNECTION_TIMEOUT = 60.0


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


def not_found() -> Reply:
    """Return the plain 404 reply."""
    return text_reply(404, "404 Not Found\n")


# --------------------------------------------------------------------------- files


class Site:
    """Looks files up under the root directory; never hands out anything outside it."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def lookup(self, target: Target) -> Reply:
        """Return the stored reply for *target*, or raise NotFound."""
        if not HOST_RE.match(target.folder):
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
            print(f"site_server: ignoring sidecar line {line!r}", file=sys.stderr)
            continue
        if name.strip().lower() not in _FRAMING_HEADERS:
            headers.append((name.strip(), value.strip()))
    return status, headers


def not_modified(reply: Reply, request_headers: Any) -> bool:
    """Tell whether a conditional request matches the stored validators."""
    if reply.status != 200:
        return False
    etag, inm = reply.header("ETag"), request_headers.get("If-None-Match")
    if etag is not None and inm is not None:
        return inm.strip() == etag.strip()
    modified, ims = reply.header("Last-Modified"), request_headers.get("If-Modified-Since")
    return modified is not None and ims is not None and ims.strip() == modified.strip()


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


class SiteServer(ThreadingHTTPServer):
    """A threaded HTTP server holding the site, the TLS context and the request log."""

    daemon_threads = True

    def __init__(
        self, address: tuple[str, int], site: Site, log: RequestLog, handler: type[SiteHandler] | None = None
    ) -> None:
        self.site = site
        self.log = log
        self.tls_context = Certificates().default
        super().__init__(address, handler or SiteHandler)

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

    server: SiteServer
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
        self.write_log()
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

    def write_log(self) -> None:
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
        """Serve GET, HEAD and POST (body ignored): the reply compute_reply gives, or 400 for a request it cannot place."""
        self._discard_body()
        try:
            target = self._target()
        except NotFound:
            self._start_log(Target("http", "", None, self.path, via_proxy=False))
            self.send_reply(text_reply(400, "400 Bad Request\n"))
            return
        self._start_log(target)
        self.current_target = target
        try:
            reply = self.compute_reply(target)
            if reply is not None:
                self.send_reply(reply)
        finally:
            self.write_log()

    def compute_reply(self, target: Target) -> Reply | None:
        """Return the reply for *target*: the stored file, 304 when the client has it, or 404.

        A subclass may answer some targets itself, and return None when it already sent
        its answer (or hung up).
        """
        try:
            reply = self.server.site.lookup(target)
        except NotFound:
            return not_found()
        if not_modified(reply, self.headers):
            return Reply(304, [(n, v) for n, v in reply.headers if n.lower() != "content-type"])
        return reply

    do_GET = do_HEAD = do_POST = _answer

    def do_CONNECT(self) -> None:
        """Open a tunnel: say 200, then speak TLS with our own certificate on this socket."""
        host, _, port_text = self.path.rpartition(":")
        target = Target("https", host.strip("[]").lower(), None, self.path, via_proxy=True)
        self._start_log(target, url=f"https://{self.path}")
        bad_target = not port_text.isdigit() or not HOST_RE.match(target.folder)
        if self._tunnel is not None or bad_target:
            self.close_connection = True
            self.send_reply(text_reply(400, "400 Bad Request\n"))
            return
        self._status = 200
        self.write_log()
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
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "newsmirror site server")])
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


# --- running the server from Python (the demo and the tests) -----------------------------

# The folder that holds the ``newsmirror`` package: the subprocess must import it from any cwd.
PACKAGE_ROOT = Path(__file__).resolve().parents[2]
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
        f"the site server did not start (exit code {proc.returncode}); stderr:\n{stderr}"
    )


@contextmanager
def running_server(
    module: str, root: Path, log: Path | None = None, options: Sequence[str] = ()
) -> Iterator[LocalSite]:
    """Run ``python -m MODULE --root ROOT ... OPTIONS`` on a free loopback port for the duration of the block.

    *module* is this one, or a server built on it that takes the same options.
    """
    with tempfile.TemporaryDirectory(prefix="site-server-") as scratch:
        log_path = Path(log) if log is not None else Path(scratch, "requests.jsonl")
        stderr_path = Path(scratch, "stderr.txt")
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(PACKAGE_ROOT), env.get("PYTHONPATH")])
        )
        command = [
            sys.executable, "-m", module,
            "--root", str(root), "--port", "0", "--log", str(log_path), *options,
        ]  # fmt: skip
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


def running_site(root: Path, log: Path | None = None) -> AbstractContextManager[LocalSite]:
    """Serve *root* with this static server (no faults) for the duration of a ``with`` block."""
    return running_server("newsmirror.demo.site_server", root, log)


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


def argument_parser(prog: str, description: str) -> argparse.ArgumentParser:
    """Return the command line parser every server built on this one starts from."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--root", type=Path, required=True, help="folder of <host>/<path> files")
    parser.add_argument("--port", type=int, default=0, help="port to listen on; 0 = any free")
    parser.add_argument("--host", type=_loopback, default="127.0.0.1", help="loopback address")
    parser.add_argument("--log", type=Path, default=None, help="append JSON request lines here")
    return parser


def checked_args(parser: argparse.ArgumentParser, argv: list[str] | None) -> argparse.Namespace:
    """Parse *argv*; refuse a ``--root`` that is not a folder."""
    args = parser.parse_args(argv)
    if not args.root.is_dir():
        parser.error(f"--root {args.root} is not a directory")
    return args


def serve(server: SiteServer, host: str) -> int:
    """Print the ready line, serve until SIGTERM or SIGINT, and return the exit status."""

    def stop(signum: int, frame: object) -> None:
        # shutdown() waits for serve_forever() to return, which runs on this very
        # (main) thread, so it has to be called from another one.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    port = server.server_address[1]
    print(json.dumps({"port": port, "url": f"http://{host}:{port}"}), flush=True)
    try:
        # A short poll keeps shutdown (and so test teardown) quick.
        server.serve_forever(poll_interval=0.1)
    finally:
        server.server_close()
        server.log.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    """Serve until SIGTERM or SIGINT; return the exit status."""
    parser = argument_parser("python -m newsmirror.demo.site_server", __doc__.split("\n")[0])
    args = checked_args(parser, argv)
    return serve(SiteServer((args.host, args.port), Site(args.root), RequestLog(args.log)), args.host)


if __name__ == "__main__":
    sys.exit(main())
