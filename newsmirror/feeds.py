"""Reading feeds: RSS 0.9x/1.0/2.0 and Atom through feedparser, JSON Feed through json.

A pure function of the feed's bytes, so the real feeds of the corpus are tested offline
with exactly the code a crawl runs.  The spider that fetches feeds is ``spiders/feed.py``.
"""

from __future__ import annotations

import copy
import html
import io
import json
import logging
from calendar import timegm
from dataclasses import dataclass, field
from datetime import datetime, timezone, tzinfo
from typing import Any
from urllib.parse import urljoin

import feedparser
import lxml.html

from newsmirror.extract.dates import DateProblem, check_plausible, parse_date

logger = logging.getLogger(__name__)

# Where an article's body comes from: its page, the feed's own HTML, or the page with
# the feed's HTML as the fallback (the default).
FULLTEXT_MODES = ("auto", "feed", "page")
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_JSON_FEED_PREFIX = "https://jsonfeed.org/version/"
# An XML feed larger than this is read a chunk of items at a time (_read_in_chunks).
CHUNKED_FEED_BYTES = 1_000_000
_CHUNK_ITEMS = 500
_FEED_ROOTS = {"rss", "RDF", "feed"}  # RSS 0.9x/2.0, RSS 1.0 (rdf:RDF), Atom
_ITEM_TAGS = {"item", "entry"}
_PLACEHOLDER = "newsmirror-items-go-here"


class FeedError(ValueError):
    """The bytes are not a feed we can read; the message says why."""


@dataclass(frozen=True)
class FeedEntry:
    """One item of a feed, as the feed states it."""

    title: str | None  # as feedparser gives it; see text_title
    link: str | None
    date: datetime | None  # aware; None when the feed gives none or an unusable one
    date_raw: str | None  # the date string as written, for logs and tests
    author: str | None
    content_html: str | None  # the item's own HTML (content:encoded, an HTML description)
    date_problem: str | None = None  # why a date that was present is not used
    original_link: str | None = None  # the article behind a FeedBurner-style wrapper link
    title_is_html: bool = False  # Atom type="html", and RSS titles feedparser reads as HTML

    @property
    def text_title(self) -> str | None:
        """Return the title as plain text, the post's title: markup and entities resolved."""
        if self.title is None or not self.title_is_html:
            return self.title
        return _text(lxml.html.fragment_fromstring(self.title, create_parent="div").text_content())

    @property
    def article_url(self) -> str | None:
        """Return the URL to fetch: the wrapped original when the feed names it."""
        return self.original_link or self.link


@dataclass(frozen=True)
class Feed:
    """A parsed feed: its title, home link, format and entries in document order."""

    title: str | None
    link: str | None
    format: str  # feedparser's version string (rss20, atom10, ...) or "json1"
    entries: list[FeedEntry] = field(default_factory=list)


def read_feed(
    body: bytes, url: str, content_type: str = "", zone: tzinfo = timezone.utc, *, chunked_over: int = CHUNKED_FEED_BYTES
) -> Feed:
    """Parse feed bytes fetched from *url*; naive dates are read in *zone*.

    A well-formed XML feed of more than *chunked_over* bytes is read a chunk of items at
    a time (:func:`_read_in_chunks`), with the same results. Raises :class:`FeedError`
    when the bytes hold no recognisable feed.
    """
    start = body.lstrip()[:1]
    if start in (b"{", b"[") or "json" in content_type.lower():
        return _read_json_feed(body, url, zone)
    declared_utf8 = False
    if not body.isascii() and _is_utf8(body):
        # Trust the bytes: valid UTF-8 with non-ASCII text is UTF-8 whatever the feed
        # declares (copies re-saved as UTF-8 keep their old gb2312 or iso-8859-1 label).
        content_type = (content_type.split(";")[0].strip() or "application/xml") + "; charset=utf-8"
        declared_utf8 = True
    if len(body) > chunked_over:
        chunked = _read_in_chunks(body, url, content_type, zone, declared_utf8)
        if chunked is not None:
            return chunked
    # Relative links in an item's HTML are the article's: the clean pipeline resolves
    # them against the article's URL, not the feed's as feedparser would (hence no
    # resolve_relative_uris in _parse_with_feedparser).
    parsed = _parse_with_feedparser(body, url, content_type)
    if not parsed.get("version") and not parsed.entries:
        problem = parsed.get("bozo_exception")
        raise FeedError(f"not a feed ({problem})" if problem else "not a feed (no RSS, Atom or JSON Feed found)")
    if parsed.get("bozo"):
        # Feeds from the wild: stray whitespace before <?xml, a wrong declared charset.
        # feedparser recovers; the note helps an operator who wonders about odd titles.
        logger.debug("Feed %s is malformed but readable: %s", url, parsed.get("bozo_exception"))
    info = parsed.feed
    entries = [_entry(entry, url, zone) for entry in parsed.entries]
    return Feed(
        title=_text(info.get("title")),
        link=info.get("link") or None,
        format=parsed.get("version") or "unknown",
        entries=entries,
    )


def _parse_with_feedparser(body: bytes, url: str, content_type: str) -> Any:
    """Return feedparser's reading of feed bytes."""
    # A stream, never the bytes: feedparser treats a str or bytes argument that looks
    # like a URL or a file name as one to open, and remote data must never name a file.
    return feedparser.parse(
        io.BytesIO(body),
        response_headers={"content-type": content_type, "content-location": url},
        resolve_relative_uris=False,
    )


def _read_in_chunks(body: bytes, url: str, content_type: str, zone: tzinfo, declared_utf8: bool) -> Feed | None:
    """Read a large well-formed feed a chunk of items at a time; None when it is not one (then it is read whole).

    feedparser builds a dict per element for the whole document at once: a 5.5 MB feed
    of 20,000 items took 50 MB at its peak, which the crawl process kept (freed, but
    fragmented) for the rest of the run. Here lxml streams the document, each item is
    serialized on its own and dropped from the tree, and every ``_CHUNK_ITEMS`` items go
    to feedparser inside a copy of the feed's own root and head (same namespaces,
    version and channel metadata), so each item is read exactly as in the whole feed.
    A feed lxml finds malformed is left to feedparser's own recovery, whole.
    """
    events = lxml.etree.iterparse(
        io.BytesIO(body.lstrip()),
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        recover=False,
        remove_comments=True,
        encoding="utf-8" if declared_utf8 else None,
    )
    media_type = (content_type.split(";")[0].strip() or "application/xml") + "; charset=utf-8"
    root: Any = None
    shell: tuple[bytes, bytes] | None = None
    pending: list[bytes] = []
    parsed_chunks: list[Any] = []
    entries: list[FeedEntry] = []

    def flush() -> None:
        assert shell is not None
        parsed = _parse_with_feedparser(shell[0] + b"".join(pending) + shell[1], url, media_type)
        pending.clear()
        if not parsed_chunks:
            parsed_chunks.append(parsed)  # the first keeps the feed's title, link and version
        entries.extend(_entry(entry, url, zone) for entry in parsed.entries)

    try:
        for event, element in events:
            if root is None:
                root = element
                if _local(root.tag) not in _FEED_ROOTS:
                    return None
                continue
            if event != "end" or _local(element.tag) not in _ITEM_TAGS:
                continue
            parent = element.getparent()
            if parent is not root and parent.getparent() is not root:
                continue  # an <entry> or <item> nested inside an item's own content
            if shell is None:
                shell = _shell(root, parent, element)
            pending.append(lxml.etree.tostring(element, encoding="utf-8", with_tail=False))
            element.clear()
            parent.remove(element)
            if len(pending) >= _CHUNK_ITEMS:
                flush()
    except lxml.etree.XMLSyntaxError:
        return None
    if shell is None:
        return None
    if pending:
        flush()
    first = parsed_chunks[0]
    info = first.feed
    return Feed(
        title=_text(info.get("title")),
        link=info.get("link") or None,
        format=first.get("version") or "unknown",
        entries=entries,
    )


def _shell(root: Any, container: Any, first_item: Any) -> tuple[bytes, bytes]:
    """Return the bytes before and after the items of a copy of the feed with no items.

    The copy keeps the root's tag, attributes and namespaces, and the container's
    (channel's, or Atom feed's) children read before the first item: its title and link.
    """
    copy_root = lxml.etree.Element(root.tag, attrib=dict(root.attrib), nsmap=root.nsmap)
    head = container if container is root else None
    if head is None:
        copy_container = lxml.etree.SubElement(copy_root, container.tag, attrib=dict(container.attrib))
        siblings = [child for child in root if child is not container]
    else:
        copy_container, siblings = copy_root, []
    for child in [*siblings, *container]:
        if child is first_item:
            break
        if isinstance(child.tag, str) and _local(child.tag) not in _ITEM_TAGS:
            (copy_root if child in siblings else copy_container).append(copy.deepcopy(child))
    lxml.etree.SubElement(copy_container, _PLACEHOLDER)
    serialized = lxml.etree.tostring(copy_root, encoding="utf-8", xml_declaration=True)
    before, _, after = serialized.partition(f"<{_PLACEHOLDER}/>".encode())
    if not after:
        before, _, after = serialized.partition(f'<{_PLACEHOLDER} xmlns=""/>'.encode())
    return before, after


def _local(tag: Any) -> str:
    """Return an element's tag without its namespace."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _is_utf8(body: bytes) -> bool:
    """Tell whether *body* decodes as UTF-8 without errors."""
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _text(value: Any) -> str | None:
    """Return a trimmed string, or None for empty values and non-strings."""
    return value.strip() or None if isinstance(value, str) else None


def _entry(entry: Any, feed_url: str, zone: tzinfo) -> FeedEntry:
    """Build a FeedEntry from a feedparser entry."""
    link = _raw(entry, "link")
    # FeedBurner-style wrappers keep the article's own address here; Scrapy follows
    # ordinary redirectors by itself.
    original = _raw(entry, "feedburner_origlink")
    date_raw = _raw(entry, "published") or _raw(entry, "updated") or _raw(entry, "created")
    parsed_time = _raw(entry, "published_parsed") or _raw(entry, "updated_parsed") or _raw(entry, "created_parsed")
    date, problem = _entry_date(date_raw, parsed_time, zone)
    author_detail = entry.get("author_detail") or {}
    return FeedEntry(
        title=_text(entry.get("title")),
        title_is_html=(entry.get("title_detail") or {}).get("type") in _HTML_TYPES,
        link=_absolute(link, feed_url),
        date=date,
        date_raw=date_raw,
        author=_text(author_detail.get("name")) or _text(entry.get("author")),
        content_html=_entry_html(entry),
        date_problem=problem,
        original_link=_absolute(original, feed_url),
    )


def _raw(entry: Any, key: str) -> Any:
    """Return an entry value without feedparser's deprecated key aliases (updated -> published)."""
    return dict.get(entry, key)


def _absolute(link: Any, feed_url: str) -> str | None:
    """Return *link* resolved against the feed's URL, or None when it is empty."""
    return urljoin(feed_url, link.strip()) if isinstance(link, str) and link.strip() else None


def _entry_date(raw: str | None, parsed_time: Any, zone: tzinfo) -> tuple[datetime | None, str | None]:
    """Return the entry's date with its own offset kept, and the reason when none is usable."""
    if not raw:
        return None, None
    try:
        moment = parse_date(raw, zone)
    except DateProblem as problem:
        if parsed_time is None:
            return None, str(problem)
        # feedparser knows more formats (RFC 822 variants, W3C-DTF fragments); it gives UTC.
        moment = datetime.fromtimestamp(timegm(parsed_time), timezone.utc)
    try:
        check_plausible(moment)
    except DateProblem as problem:
        return None, str(problem)
    return moment.replace(microsecond=0), None  # a post's date line has whole seconds


def _entry_html(entry: Any) -> str | None:
    """Return the item's richest HTML: full content first, then an HTML summary, then its text."""
    for content in entry.get("content") or []:
        if content.get("type") in _HTML_TYPES and (content.get("value") or "").strip():
            return content["value"]
    summary = entry.get("summary") or ""
    if not summary.strip():
        for content in entry.get("content") or []:
            if (content.get("value") or "").strip():
                return _text_as_html(content["value"])
        return None
    detail = entry.get("summary_detail") or {}
    return summary if detail.get("type") in _HTML_TYPES else _text_as_html(summary)


def _text_as_html(text: str) -> str:
    """Turn plain text into paragraphs, one per blank-line-separated block."""
    blocks = [block.strip() for block in text.replace("\r", "").split("\n\n") if block.strip()]
    return "".join(f"<p>{html.escape(block)}</p>" for block in blocks)


def _read_json_feed(body: bytes, url: str, zone: tzinfo) -> Feed:
    """Parse a JSON Feed (https://jsonfeed.org/version/1.1); feedparser does not read JSON."""
    try:
        data = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as error:
        raise FeedError(f"not a JSON Feed (invalid JSON: {error})") from None
    if not isinstance(data, dict) or not str(data.get("version", "")).startswith(_JSON_FEED_PREFIX):
        raise FeedError("not a JSON Feed (no jsonfeed.org version)")
    items = data.get("items")
    if not isinstance(items, list):
        raise FeedError("not a JSON Feed (no items list)")
    entries = [_json_entry(item, url, zone) for item in items if isinstance(item, dict)]
    return Feed(
        title=_text(data.get("title")),
        link=_text(data.get("home_page_url")),
        format="json" + str(data["version"])[len(_JSON_FEED_PREFIX) :],
        entries=entries,
    )


def _json_entry(item: dict[str, Any], feed_url: str, zone: tzinfo) -> FeedEntry:
    """Build a FeedEntry from one JSON Feed item."""
    link = _text(item.get("url")) or _text(item.get("external_url"))
    date_raw = _text(item.get("date_published")) or _text(item.get("date_modified"))
    date, problem = _entry_date(date_raw, None, zone)
    authors = item.get("authors") if isinstance(item.get("authors"), list) else [item.get("author")]
    names = [_text(author.get("name")) for author in authors if isinstance(author, dict)]
    content_html = _text(item.get("content_html"))
    if content_html is None and _text(item.get("content_text")):
        content_html = _text_as_html(item["content_text"])
    return FeedEntry(
        title=_text(item.get("title")),
        link=_absolute(link, feed_url),
        date=date,
        date_raw=date_raw,
        author=next((name for name in names if name), None),
        content_html=content_html,
        date_problem=problem,
    )
