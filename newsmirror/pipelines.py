"""Item pipelines: extract the article fields, clean the body, write the post.

Data flows one way: a fetched page in, a post file and a ledger row out.  No pipeline
fetches anything; every article that cannot become a post is dropped with its reason.
"""

from __future__ import annotations

import hashlib
import io
import logging
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import lxml.etree
import lxml.html
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.http import Response
from scrapy.statscollectors import StatsCollector

from newsmirror.clean import clean_body, first_image, has_content
from newsmirror.exporters import PostExporter, fold_text
from newsmirror.extract.page import Page
from newsmirror.files import contained_path, write_atomic
from newsmirror.images import localize_images
from newsmirror.incremental import lookup_key
from newsmirror.items import ArticleItem, ListingHints
from newsmirror.layout import count_site_fields
from newsmirror.paths import PathBuilder, path_key, url_token, with_suffix
from newsmirror.sites import extract_article, generic, site_for
from newsmirror.state import LedgerEntry, LedgerStore, ledger_for, utc_now

logger = logging.getLogger(__name__)

UNDATED_POLICIES = ("drop", "first-seen")


class ArticleDropped(DropItem):
    """An article that cannot become a post; the message says why."""


class NoTitle(ArticleDropped):
    """The page has no headline: a post titled ``None`` or empty is worse than none."""


class NoDate(ArticleDropped):
    """The page has no usable publish date, and ``MIRROR_UNDATED`` is ``drop``."""


class NoBody(ArticleDropped):
    """The page has no article body left after cleaning."""


class PostNotWritten(ArticleDropped):
    """The post could not be written (a full disk, a file where a folder should be, ...).

    Nothing partial is left and no ledger row is written, so the next run tries again.
    """


class ExtractPipeline:
    """Reads title, author, date, canonical URL and body element from the fetched page."""

    def __init__(self, timezones: dict[str, str], undated: str, stats: StatsCollector | None = None) -> None:
        if undated not in UNDATED_POLICIES:
            raise ValueError(f"MIRROR_UNDATED must be one of {UNDATED_POLICIES}, not {undated!r}")
        for host, zone in timezones.items():
            try:
                ZoneInfo(zone)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"MIRROR_TIMEZONES: {zone!r} (for {host!r}) is not a time zone name") from None
        self.timezones = timezones
        self.undated = undated
        self.stats = stats  # per-site field counts for the layout-change alarm

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExtractPipeline:
        """Build the pipeline from the crawler's settings."""
        settings = crawler.settings
        return cls(settings.getdict("MIRROR_TIMEZONES"), settings.get("MIRROR_UNDATED"), crawler.stats)

    def process_item(self, item: Any) -> Any:
        """Fill the article fields of an item that carries a fetched page, or only its feed's HTML."""
        if not isinstance(item, ArticleItem):
            return item
        if item.response is None:
            return self._from_feed(item) if item.title is None and item.hints.content_html else item
        page = Page.from_response(item.response)
        item.response = None  # the page is parsed; its bytes need not live any longer
        hints = item.hints
        site, fields = extract_article(page, self._timezones(page.url, hints))
        if self.stats is not None:
            count_site_fields(self.stats, site, fields)
        item.fetched_url = page.url
        item.title = fold_text(hints.title or fields.title)
        if not item.title:
            raise NoTitle(f"no title found on {page.url}")
        item.date = hints.date or fields.date
        if item.date is None and self.undated == "drop":
            reason = fields.date_problem or "the page shows none"
            raise NoDate(
                f"no usable publish date on {page.url} ({reason}); "
                "set MIRROR_UNDATED=first-seen to keep undated articles"
            )
        item.site_name = hints.site_name or fields.site_name
        item.author = fold_text(
            hints.author or fields.author or hints.fallback_author or hints.site_name or fields.site_name
        )
        item.categories = list(item.categories) or [fields.site_name]
        item.canonical_url = site.canonicalize(fields.canonical_url)
        item.content = fields.body
        item.share_image = fields.share_image or None
        return item

    def _timezones(self, url: str, hints: ListingHints) -> dict[str, str]:
        """Return MIRROR_TIMEZONES with the source's zone (sources file) first for this page's host."""
        host = (urlsplit(url).hostname or "").lower()
        if not hints.timezone or not host:
            return self.timezones
        return {host: hints.timezone, **{suffix: zone for suffix, zone in self.timezones.items() if suffix != host}}

    def _from_feed(self, item: ArticleItem) -> ArticleItem:
        """Fill the article fields from the feed item alone: ``fulltext=feed``, or its page failed."""
        hints = item.hints
        host = urlsplit(item.url).hostname or item.url
        item.title = fold_text(hints.title)
        if not item.title:
            raise NoTitle(f"no title in the feed item for {item.url}")
        item.date = hints.date
        if item.date is None and self.undated == "drop":
            raise NoDate(
                f"no usable publish date in the feed item for {item.url}; "
                "set MIRROR_UNDATED=first-seen to keep undated articles"
            )
        item.site_name = hints.site_name
        item.author = fold_text(hints.author or hints.site_name or host)
        item.categories = list(item.categories) or [hints.site_name or host]
        item.canonical_url = site_for(item.url).canonicalize(item.url)
        item.content = feed_body(hints.content_html or "")
        return item


class CleanPipeline:
    """Turns the body element into clean, inert HTML and picks the lead image."""

    def process_item(self, item: Any) -> Any:
        """Fill ``body_html`` and ``lead_image``; drop an article with no body left."""
        if not isinstance(item, ArticleItem) or item.body_html is not None:
            return item
        base_url = item.fetched_url or item.url
        site = site_for(base_url)
        body = (
            clean_body(item.content, base_url, site.junk, item.title or "", site.junk_spans)
            if item.content is not None
            else ""
        )
        item.content = None
        if not has_content(body) and item.hints.content_html:
            # fulltext=auto: the page had no body we could find; the feed carried one.
            logger.info("No article body on %s; using the feed's HTML", base_url)
            feed_html = feed_body(item.hints.content_html)
            body = clean_body(feed_html, base_url, site.junk, item.title or "", site.junk_spans)
        if not has_content(body):
            raise NoBody(f"no article body found on {base_url}")
        item.body_html = body
        share = item.share_image
        if share and (site.is_default_image(share) or generic.is_default_image(share)):
            share = None  # a site-wide logo or share card says nothing about this article
        if site.body_image_first:
            # A site whose body element is known holds the article's own pictures only.
            item.lead_image = first_image(body) or share
        else:
            # Elsewhere the share image is chosen by the page's editors for this article;
            # the first body image is often an ad or a related-story thumbnail.
            item.lead_image = share or first_image(body)
        return item


class WritePostPipeline:
    """Writes each article as one post file under ``MIRROR_DIR``, then records it in the ledger.

    The ledger belongs to the crawler (``newsmirror.state.ledger_for``); a row is written
    only after its post is durably in place, so a crash can leave a post without a row
    (taken over by the next run: same path, same date) but never a row without a post.
    """

    def __init__(
        self,
        mirror_dir: Path,
        ledger: LedgerStore,
        path_builder: PathBuilder,
        *,
        fsync: bool = True,
        with_link: bool = False,
        stats: StatsCollector | None = None,
    ) -> None:
        self.mirror_dir = mirror_dir
        self.ledger = ledger
        self.path_builder = path_builder
        self.fsync = fsync
        self.with_link = with_link
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WritePostPipeline:
        """Build the pipeline from the crawler's settings and its ledger."""
        settings = crawler.settings
        return cls(
            Path(settings.get("MIRROR_DIR")),
            ledger_for(crawler),
            PathBuilder(settings.get("MIRROR_PATH_TEMPLATE")),
            fsync=settings.getbool("MIRROR_FSYNC"),
            with_link=settings.getbool("MIRROR_FRONT_MATTER_LINK"),
            stats=crawler.stats,
        )

    def open_spider(self) -> None:
        """Create ``MIRROR_DIR`` before the first item (the ledger is already open)."""
        self.mirror_dir.mkdir(parents=True, exist_ok=True)

    def process_item(self, item: Any) -> Any:
        """Write the post if its bytes changed, and record it."""
        if not isinstance(item, ArticleItem) or item.body_html is None:
            return item
        key = item.canonical_url or item.url
        known = self.ledger.get(key)
        first_seen = known.first_seen if known else utc_now().isoformat()
        if known and known.published:
            # A rewrite in place keeps the post's date: its permalink and its place in the feed.
            stored = datetime.fromisoformat(known.published)
            item.date = stored.astimezone(item.date.tzinfo) if item.date else stored
        if item.date is None:
            # MIRROR_UNDATED=first-seen: the ledger keeps the first sighting, so the date never drifts.
            item.date = datetime.fromisoformat(first_seen)
        buffer = io.BytesIO()
        PostExporter(buffer, with_link=self.with_link).export_item(item)
        data = buffer.getvalue()
        relpath = known.post_path if known else self._claim_path(item, key, data)
        target = contained_path(self.mirror_dir, relpath)
        existed = target.is_file()
        current = target.read_bytes() if existed else None
        aliases = {lookup_key(url) for url in (item.url, item.fetched_url) if url}
        if known and current is not None and hashlib.sha256(current).hexdigest() != known.content_sha256:
            # Someone edited the post since we wrote it: their edit wins over the page.
            item.status = "hand-edited"
            item.post_path = relpath
            self.ledger.set_status(key, "hand-edited")
            self._count(item.status)
            logger.warning("Post %s was edited by hand since it was written; left as it is (%s)", relpath, key)
            return item
        # MIRROR_IMAGES: copy the images into the post's asset folder, then point the post at them.
        if localize_images(item, target, fsync=self.fsync):
            buffer = io.BytesIO()
            PostExporter(buffer, with_link=self.with_link).export_item(item)
            data = buffer.getvalue()
        if current == data:
            item.status = "unchanged"  # identical bytes are never rewritten: mtimes stay
        else:
            try:
                write_atomic(target, data, fsync=self.fsync)
            except OSError as error:
                raise PostNotWritten(f"could not write {relpath} for {key}: {error.strerror or error}") from error
            item.status = "updated" if existed else "new"
        self.ledger.record(
            LedgerEntry(
                canonical_url=key,
                post_path=relpath,
                path_key=path_key(relpath),
                content_sha256=hashlib.sha256(data).hexdigest(),
                published=item.date.isoformat(),
                first_seen=first_seen,
                written=utc_now().isoformat(),
                etag=item.etag,
                last_modified=item.last_modified,
                status=item.status,
            ),
            aliases=aliases,
        )
        item.post_path = relpath
        self._count(item.status)
        logger.info("Post %s: %s (%s)", item.status, relpath, key)
        return item

    def _count(self, status: str) -> None:
        if self.stats is not None:
            self.stats.inc_value(f"newsmirror/posts/{status}")

    def _claim_path(self, item: ArticleItem, key: str, data: bytes) -> str:
        """Return a path for an article new to the ledger, never one another article owns."""
        desired = self.path_builder.build(
            title=item.title or "",
            categories=item.categories,
            date=item.date,
            url=key,
            site=item.site_name or "",
        )
        desired_key = path_key(desired)
        owner = self.ledger.owner_of(desired_key)
        target = contained_path(self.mirror_dir, desired)
        if owner == key:
            return desired  # claimed by this article on an earlier try that never recorded it
        if owner is None:
            # A free path, or a post from before the ledger (or from the older system, or
            # left by a crash before its ledger row) for this very article: taking it over
            # keeps its permalink. With Redis another worker may claim it first.
            free = not target.exists()
            ours = target.is_file() and _same_article(target.read_bytes(), data)
            if (free or ours) and self.ledger.claim_path(desired_key, key):
                return desired
        suffixed = with_suffix(desired, url_token(key))
        self.ledger.claim_path(path_key(suffixed), key)  # the suffix comes from this URL: no one else's
        logger.info("Path %s is taken by another article; %s gets %s", desired, key, suffixed)
        return suffixed


def feed_body(content_html: str) -> lxml.html.HtmlElement:
    """Parse a feed item's HTML into one body element, as a page's body would be."""
    try:
        # The same guarded parser settings as pages: feed HTML is remote input too.
        parser = lxml.html.HTMLParser(recover=True, no_network=True, remove_comments=True, remove_pis=True)
        return lxml.html.fragment_fromstring(content_html, create_parent="div", parser=parser)
    except (lxml.etree.ParserError, ValueError):
        return lxml.html.Element("div")  # nothing parseable: an empty body, dropped as NoBody


def _front_matter_line(data: bytes, key: bytes) -> bytes | None:
    """Return the value of a top-level front-matter key as raw bytes, or None."""
    # lstrip: the older system's posts start with a blank line before the first '---'.
    for line in data.lstrip().split(b"\n---", 1)[0].splitlines():
        if line.startswith(key + b": "):
            return line[len(key) + 2 :].strip()
    return None


def _same_article(existing: bytes, new: bytes) -> bool:
    """Tell whether a post file at a new post's path is the same article: same date line.

    The path already matches, so the sanitized titles do; the titles themselves may not,
    since the older system wrote ':' as '_' in them.
    """
    existing_date = _front_matter_line(existing, b"date")
    return existing_date is not None and existing_date == _front_matter_line(new, b"date")


def read_article(
    response: Response,
    hints: ListingHints | None = None,
    *,
    timezones: dict[str, str] | None = None,
    undated: str = "drop",
) -> ArticleItem:
    """Run the extract and clean pipelines on one response, offline: what a crawl does before writing.

    Tests and benchmarks use this to measure exactly the code path of a real crawl;
    *timezones* and *undated* are ``MIRROR_TIMEZONES`` and ``MIRROR_UNDATED``.
    """
    item = ArticleItem(url=response.url, response=response, hints=hints or ListingHints())
    extract = ExtractPipeline(timezones or {}, undated)
    return CleanPipeline().process_item(extract.process_item(item))
