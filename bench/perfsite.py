"""A loopback news site for throughput benchmarks: N distinct real-size article pages and a feed.

Usage: python bench/perfsite.py --corpus ../shared/corpus --articles N [--port 0]

Prints the bound port on the first line of stdout, then serves until killed:
- ``/a/<i>.html`` (i = 0..N-1): corpus page ``i % K`` (the K sina, zh-news and en-news
  pages of 50-250 KB, scripts and all), made a distinct article: its canonical link and
  og:url name the copy's own URL and its ``<title>`` ends with `` [i]``;
- ``/feed.xml``: RSS 2.0 with one item per page (unique title, pubDate, guid), no content,
  so a reader must fetch every page;
- ``/sitemap.xml``: a sitemap of the same pages (a 20,000-item feed is over 5 MB, the
  size past which Scrapy stops fetching while it is processed; the sitemap is 1.5 MB);
- ``/urls.txt``: the N page URLs, one a line;
- ``/robots.txt``: allow-all;
- ``/_stats``: JSON request counts (total and per kind), which the harness diffs.

Built to stay out of the measurement on a small machine: asyncio streams, HTTP/1.1
keep-alive, every response prepared in memory at start-up; a page request only joins
the template's byte chunks around its own URL and number.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import re
import sys
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from html import unescape
from pathlib import Path
from xml.sax.saxutils import escape

SETS = ("sina", "zh-news", "en-news")
MIN_BYTES = 50_000
MAX_BYTES = 250_000
# The corpus names the narrowest codec that decodes a page; GB18030 is the superset
# browsers (and newsmirror) use for every GB label, so announce that.
_HEADER_CHARSET = {"utf-8": "utf-8", "gb2312": "gb18030", "gbk": "gb18030", "gb18030": "gb18030"}
# Byte patterns are ASCII-only: GBK trail bytes are >= 0x40, so they never match quotes or '<'.
_CANONICAL_TAG = re.compile(rb"<link\b[^>]*\brel\s*=\s*[\"']?canonical\b[^>]*>", re.IGNORECASE)
_OG_URL_TAG = re.compile(rb"<meta\b[^>]*\b(?:property|name)\s*=\s*[\"']?og:url\b[^>]*>", re.IGNORECASE)
_HREF_VALUE = re.compile(rb"\bhref\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>]+))", re.IGNORECASE)
_CONTENT_VALUE = re.compile(rb"\bcontent\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>]+))", re.IGNORECASE)
_TITLE_END = re.compile(rb"</title\s*>", re.IGNORECASE)
_TITLE_TEXT = re.compile(rb"<title[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)
URL_SLOT = 0
NUMBER_SLOT = 1


@dataclass(frozen=True)
class Template:
    """One corpus page cut into byte chunks around the per-copy slots."""

    name: str
    chunks: tuple[bytes, ...]  # len(slots) + 1 pieces
    slots: tuple[int, ...]  # URL_SLOT or NUMBER_SLOT between consecutive chunks
    header_charset: str
    title: str  # the page's <title> text, for the feed


def _value_span(tag_match: re.Match[bytes], value: re.Pattern[bytes]) -> tuple[int, int] | None:
    """Return the page offsets of an attribute value inside a matched tag, or None."""
    found = value.search(tag_match.group(0))
    if found is None:
        return None
    group = next(index for index in (1, 2, 3) if found.group(index) is not None)
    start = tag_match.start() + found.start(group)
    return start, start + len(found.group(group))


def cut_template(name: str, body: bytes, header_charset: str) -> Template:
    """Cut a page where its self-URLs and the end of its title go."""
    cuts: list[tuple[int, int, int]] = []  # (start, end, slot): body[start:end] is replaced
    for tag, value in ((_CANONICAL_TAG, _HREF_VALUE), (_OG_URL_TAG, _CONTENT_VALUE)):
        for match in tag.finditer(body):
            span = _value_span(match, value)
            if span:
                cuts.append((*span, URL_SLOT))
    title_end = _TITLE_END.search(body)
    if title_end:
        cuts.append((title_end.start(), title_end.start(), NUMBER_SLOT))
    cuts.sort()
    chunks, slots, position = [], [], 0
    for start, end, slot in cuts:
        if start < position:  # overlapping tags (malformed markup): keep the first
            continue
        chunks.append(body[position:start])
        slots.append(slot)
        position = end
    chunks.append(body[position:])
    title_match = _TITLE_TEXT.search(body)
    title = ""
    if title_match:
        raw = title_match.group(1).decode(header_charset, "replace")
        title = " ".join(unescape(raw).split())
    return Template(name, tuple(chunks), tuple(slots), header_charset, title)


def load_templates(corpus: Path) -> list[Template]:
    """Return every sina, zh-news and en-news HTML page of 50-250 KB, in a stable order."""
    templates = []
    for set_name in SETS:
        for case_file in sorted((corpus / "pages" / set_name).glob("*/case.json")):
            case = json.loads(case_file.read_text(encoding="utf-8"))
            body_path = case_file.parent / case["body_file"]
            if body_path.name != "body.html" or not MIN_BYTES <= body_path.stat().st_size <= MAX_BYTES:
                continue
            charset = _HEADER_CHARSET.get(case.get("encoding_of_bytes") or "", "utf-8")
            templates.append(cut_template(f"{set_name}/{case_file.parent.name}", body_path.read_bytes(), charset))
    return templates


def _response(status: str, content_type: str, body: bytes, extra: str = "") -> bytes:
    head = (
        f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
        f"{extra}Connection: keep-alive\r\n\r\n"
    )
    return head.encode("ascii") + body


class PerfSite:
    """The site's content, prepared once, and its request counters."""

    def __init__(self, templates: list[Template], articles: int) -> None:
        self.templates = templates
        self.articles = articles
        self.counts: Counter[str] = Counter()
        self.base = ""  # "http://127.0.0.1:PORT", known once bound
        self.hosts: list[str] = []  # every bound "http://127.0.0.N:PORT"; pages are spread over them
        self.fixed: dict[str, bytes] = {}
        # The per-template response-header prefix (everything before Content-Length's value).
        self.page_heads = [
            f"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset={t.header_charset}\r\nConnection: keep-alive\r\n"
            "Content-Length: ".encode("ascii")
            for t in templates
        ]

    def page_url(self, index: int) -> str:
        """Return the URL of article copy *index*: on each of the site's hosts in turn."""
        return f"{self.hosts[index % len(self.hosts)]}/a/{index}.html"

    def bind(self, hosts: list[str]) -> None:
        """Build the URL-dependent fixed responses (feed, URL list) for the bound addresses."""
        self.base = hosts[0]
        self.hosts = hosts
        urls = [self.page_url(index) for index in range(self.articles)]
        self.fixed["/urls.txt"] = _response("200 OK", "text/plain; charset=utf-8", ("\n".join(urls) + "\n").encode())
        self.fixed["/robots.txt"] = _response("200 OK", "text/plain", b"User-agent: *\nAllow: /\n")
        self.fixed["/feed.xml"] = _response("200 OK", "application/rss+xml; charset=utf-8", self.feed(urls))
        self.fixed["/sitemap.xml"] = _response("200 OK", "application/xml; charset=utf-8", self.sitemap(urls))

    def sitemap(self, urls: list[str]) -> bytes:
        """Return one sitemap of every copy: about 75 bytes an article, where the feed takes 275."""
        entries = "".join(f"<url><loc>{escape(url)}</loc></url>\n" for url in urls)
        return (
            '<?xml version="1.0" encoding="utf-8"?>\n'
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{entries}</urlset>\n'
        ).encode("utf-8")

    def feed(self, urls: list[str]) -> bytes:
        """Return an RSS 2.0 feed of every copy, newest first, spread over the last days."""
        now = datetime.now(timezone.utc).replace(microsecond=0)
        # Spread the items over about a week whatever N is, newest first as feeds are.
        step = timedelta(seconds=max(1, 7 * 86400 // max(1, len(urls))))
        items = []
        for index, url in enumerate(urls):
            template = self.templates[index % len(self.templates)]
            title = f"{template.title or 'Benchmark article'} [{index}]"
            items.append(
                f"<item><title>{escape(title)}</title><link>{escape(url)}</link>"
                f"<guid isPermaLink=\"true\">{escape(url)}</guid>"
                f"<pubDate>{format_datetime(now - step * index, usegmt=True)}</pubDate></item>"
            )
        document = (
            '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
            f"<title>perfsite</title><link>{self.base}/</link><description>newsmirror benchmark</description>"
            + "\n".join(items)
            + "</channel></rss>\n"
        )
        return document.encode("utf-8")

    def page(self, index: int) -> list[bytes]:
        """Return the response for article copy *index* as byte pieces."""
        number = index % len(self.templates)
        template = self.templates[number]
        url = self.page_url(index).encode("ascii")
        suffix = f" [{index}]".encode("ascii")
        pieces = [template.chunks[0]]
        for slot, chunk in zip(template.slots, template.chunks[1:]):
            pieces.append(url if slot == URL_SLOT else suffix)
            pieces.append(chunk)
        length = sum(map(len, pieces))
        return [self.page_heads[number], b"%d\r\n\r\n" % length, *pieces]

    def respond(self, method: str, path: str) -> list[bytes]:
        """Return the response pieces for one request, counting it by kind."""
        path = path.split("?", 1)[0]
        if path == "/_stats":  # the harness's own probe: not counted
            return [_response("200 OK", "application/json", json.dumps(dict(self.counts)).encode())]
        self.counts["total"] += 1
        if path.startswith("/a/") and path.endswith(".html"):
            self.counts["article"] += 1
            number = path[3:-5]
            pieces = self.page(int(number)) if number.isdigit() and int(number) < self.articles else None
            if pieces is None:
                return [_response("404 Not Found", "text/plain", b"no such article\n")]
        elif path in self.fixed:
            self.counts[path.strip("/").split(".")[0]] += 1
            pieces = [self.fixed[path]]
        else:
            self.counts["other"] += 1
            return [_response("404 Not Found", "text/plain", b"not found\n")]
        if method == "HEAD":
            head, _, _ = b"".join(pieces).partition(b"\r\n\r\n")
            return [head + b"\r\n\r\n"]
        return pieces

    async def serve_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Answer requests on one connection until the client closes it."""
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                    return
                lines = head.decode("latin-1").split("\r\n")
                parts = lines[0].split(" ")
                if len(parts) != 3:
                    return
                method, target, version = parts
                headers = {}
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip().lower()
                length = int(headers.get("content-length") or 0)
                if length:
                    await reader.readexactly(length)
                if target.startswith("http://"):  # proxy-form request line
                    target = "/" + target.split("/", 3)[-1] if target.count("/") >= 3 else "/"
                writer.writelines(self.respond(method, target))
                await writer.drain()
                connection = headers.get("connection", "")
                if connection == "close" or (version == "HTTP/1.0" and connection != "keep-alive"):
                    return
        except ConnectionError:
            return
        finally:
            writer.close()


async def serve(site: PerfSite, host: str, port: int, hosts: int) -> None:
    """Bind (on *hosts* loopback addresses from *host*, one port), print the port, and serve forever."""
    first = await asyncio.start_server(site.serve_client, host, port, backlog=1024)
    bound = first.sockets[0].getsockname()[1]
    servers = [first]
    address = ipaddress.ip_address(host)
    for offset in range(1, hosts):
        servers.append(await asyncio.start_server(site.serve_client, str(address + offset), bound, backlog=1024))
    site.bind([f"http://{address + offset}:{bound}" for offset in range(hosts)])
    print(bound, flush=True)
    await asyncio.gather(*(server.serve_forever() for server in servers))


def main() -> int:
    """Parse arguments, load the corpus pages, and serve."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "corpus")
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    # Pages spread over several loopback addresses: trafilatura's command line fetches one
    # URL per host at a time, so on one host its --parallel would never apply.
    parser.add_argument("--hosts", type=int, default=1, help="loopback addresses from --host to serve pages on")
    args = parser.parse_args()
    templates = load_templates(args.corpus)
    if not templates:
        print(f"no corpus pages of {MIN_BYTES}-{MAX_BYTES} bytes under {args.corpus}/pages", file=sys.stderr)
        return 2
    site = PerfSite(templates, args.articles)
    print(f"perfsite: {len(templates)} templates, {args.articles} articles", file=sys.stderr)
    try:
        asyncio.run(serve(site, args.host, args.port, args.hosts))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
