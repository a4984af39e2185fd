"""Reading sitemaps: indexes, gzip and Google News entries (``news:publication_date``, ``news:title``).

Scrapy's own ``Sitemap`` keeps only the direct children of ``<url>``, so the news
block is lost there; this reader keeps it.  Parsing is defensive, as in Scrapy:
lxml with ``recover``, no entities, no network, and decompression capped.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

import lxml.etree
from scrapy.utils.gz import gunzip

from newsmirror.extract.dates import DateProblem, parse_date

_GZIP_MAGIC = b"\x1f\x8b"


class SitemapError(ValueError):
    """The bytes are not a sitemap we can read; the message says why."""


@dataclass(frozen=True)
class SitemapEntry:
    """One ``<url>`` (or, in an index, one ``<sitemap>``) of a sitemap."""

    url: str
    lastmod: datetime | None = None
    news_title: str | None = None
    news_date: datetime | None = None  # news:publication_date, the article's own date


@dataclass(frozen=True)
class Sitemap:
    """A parsed sitemap: an index of sitemaps, or a set of pages."""

    is_index: bool
    entries: list[SitemapEntry] = field(default_factory=list)


def decompress(body: bytes, max_size: int) -> bytes:
    """Return *body* gunzipped when it is gzip data, at most *max_size* bytes (0: no cap)."""
    if not body.startswith(_GZIP_MAGIC):
        return body
    try:
        return gunzip(body, max_size=max_size)
    except ValueError:  # Scrapy's size-cap error is a ValueError
        raise SitemapError(f"larger than {max_size} bytes once decompressed") from None
    except (OSError, EOFError, struct.error) as error:
        raise SitemapError(f"broken gzip data ({error})") from None


def _parser() -> lxml.etree.XMLParser:
    """Return an XML parser that recovers from errors and never expands or fetches anything."""
    return lxml.etree.XMLParser(
        recover=True, resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True
    )


def _local(tag: object) -> str:
    """Return an element's tag without its namespace (comments and PIs have none)."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _child_text(element: lxml.etree._Element, name: str) -> str | None:
    """Return the trimmed text of the first child called *name* (any namespace), or None."""
    for child in element:
        if _local(child.tag) == name:
            text = (child.text or "").strip()
            return text or None
    return None


def _date(value: str | None, zone: tzinfo) -> datetime | None:
    """Parse a W3C datetime; an unusable one is simply absent."""
    if not value:
        return None
    try:
        return parse_date(value, zone)
    except DateProblem:
        return None


def read_sitemap(body: bytes, zone: tzinfo) -> Sitemap:
    """Parse sitemap XML (already decompressed); naive dates are read in *zone*."""
    try:
        root = lxml.etree.fromstring(body.lstrip(), parser=_parser())
    except lxml.etree.XMLSyntaxError as error:
        raise SitemapError(f"not XML ({error})") from None
    if root is None:
        raise SitemapError("not XML (empty document)")
    kind = _local(root.tag)
    if kind not in ("sitemapindex", "urlset"):
        raise SitemapError(f"not a sitemap (root element <{kind}>)")
    is_index = kind == "sitemapindex"
    entries = []
    for element in root:
        if _local(element.tag) != ("sitemap" if is_index else "url"):
            continue
        location = _child_text(element, "loc")
        if not location:
            continue
        news = next((child for child in element if _local(child.tag) == "news"), None)
        entries.append(
            SitemapEntry(
                url=location,
                lastmod=_date(_child_text(element, "lastmod"), zone),
                news_title=_child_text(news, "title") if news is not None else None,
                news_date=_date(_child_text(news, "publication_date"), zone) if news is not None else None,
            )
        )
    return Sitemap(is_index=is_index, entries=entries)


def robots_sitemaps(body: bytes) -> list[str]:
    """Return the ``Sitemap:`` URLs a robots.txt names, in order."""
    found = []
    for line in body.decode("utf-8", "replace").splitlines():
        name, _, value = line.partition(":")
        if name.strip().lower() == "sitemap" and value.strip():
            found.append(value.strip())
    return found
