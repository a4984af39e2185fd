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
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.http import Response
from scrapy.statscollectors import StatsCollector

from newsmirror.clean import clean_body, first_image, has_content
from newsmirror.exporters import PostExporter, fold_text
from newsmirror.extract.page import Page
from newsmirror.files import contained_path, write_atomic
from newsmirror.items import ArticleItem, ListingHints
from newsmirror.layout import count_site_fields
from newsmirror.paths import PathBuilder, path_key, url_token, with_suffix
from newsmirror.sites import extract_article, generic, site_for
from newsmirror.state import Ledger, LedgerEntry, default_state_path, utc_now

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
        """Fill the article fields of an item that carries a fetched page."""
        if not isinstance(item, ArticleItem) or item.response is None:
            return item
        page = Page.from_response(item.response)
        item.response = None  # the page is parsed; its bytes need not live any longer
        site, fields = extract_article(page, self.timezones)
        if self.stats is not None:
            count_site_fields(self.stats, site, fields)
        hints = item.hints
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
        item.site_name = fields.site_name
        item.author = fold_text(hints.author or fields.author or fields.site_name)
        item.categories = list(item.categories) or [fields.site_name]
        item.canonical_url = site.canonicalize(fields.canonical_url)
        item.content = fields.body
        item.share_image = fields.share_image or None
        return item


class CleanPipeline:
    """Turns the body element into clean, inert HTML and picks the lead image."""

    def process_item(self, item: Any) -> Any:
        """Fill ``body_html`` and ``lead_image``; drop an article with no body left."""
        if not isinstance(item, ArticleItem) or item.body_html is not None:
            return item
        base_url = item.fetched_url or item.url
        site = site_for(base_url)
        body = clean_body(item.content, base_url, site.junk, item.title or "") if item.content is not None else ""
        item.content = None
        if not has_content(body):
            raise NoBody(f"no article body found on {base_url}")
        item.body_html = body
        share = item.share_image
        if share and (site.is_default_image(share) or generic.is_default_image(share)):
            share = None  # a site-wide logo or share card says nothing about this article
        # The page's declared share image is chosen by its editors for this article; the
        # first body image is often an ad or a related-story thumbnail.
        item.lead_image = share or first_image(body)
        return item


class WritePostPipeline:
    """Writes each article as one post file under ``MIRROR_DIR``, then records it in the ledger."""

    def __init__(
        self,
        mirror_dir: Path,
        state_path: Path,
        path_builder: PathBuilder,
        *,
        fsync: bool = True,
        with_link: bool = False,
        stats: StatsCollector | None = None,
    ) -> None:
        self.mirror_dir = mirror_dir
        self.ledger = Ledger(state_path, mirror_dir)
        self.path_builder = path_builder
        self.fsync = fsync
        self.with_link = with_link
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WritePostPipeline:
        """Build the pipeline from the crawler's settings."""
        settings = crawler.settings
        mirror_dir = Path(settings.get("MIRROR_DIR"))
        state = settings.get("MIRROR_STATE")
        return cls(
            mirror_dir,
            Path(state) if state else default_state_path(mirror_dir),
            PathBuilder(settings.get("MIRROR_PATH_TEMPLATE")),
            fsync=settings.getbool("MIRROR_FSYNC"),
            with_link=settings.getbool("MIRROR_FRONT_MATTER_LINK"),
            stats=crawler.stats,
        )

    def open_spider(self) -> None:
        """Open the ledger before the first item."""
        self.mirror_dir.mkdir(parents=True, exist_ok=True)
        self.ledger.open()

    def close_spider(self) -> None:
        """Close the ledger."""
        self.ledger.close()

    def process_item(self, item: Any) -> Any:
        """Write the post if its bytes changed, and record it."""
        if not isinstance(item, ArticleItem) or item.body_html is None:
            return item
        key = item.canonical_url or item.url
        known = self.ledger.get(key)
        first_seen = known.first_seen if known else utc_now().isoformat()
        if item.date is None:
            # MIRROR_UNDATED=first-seen: the ledger keeps the first sighting, so the date never drifts.
            item.date = datetime.fromisoformat(first_seen)
        buffer = io.BytesIO()
        PostExporter(buffer, with_link=self.with_link).export_item(item)
        data = buffer.getvalue()
        relpath = known.post_path if known else self._claim_path(item, key, data)
        target = contained_path(self.mirror_dir, relpath)
        existed = target.is_file()
        if existed and target.read_bytes() == data:
            item.status = "unchanged"  # identical bytes are never rewritten: mtimes stay
        else:
            write_atomic(target, data, fsync=self.fsync)
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
            )
        )
        item.post_path = relpath
        if self.stats is not None:
            self.stats.inc_value(f"newsmirror/posts/{item.status}")
        logger.info("Post %s: %s (%s)", item.status, relpath, key)
        return item

    def _claim_path(self, item: ArticleItem, key: str, data: bytes) -> str:
        """Return a path for an article new to the ledger, never one another article owns."""
        desired = self.path_builder.build(
            title=item.title or "",
            categories=item.categories,
            date=item.date,
            url=key,
            site=item.site_name or "",
        )
        owner = self.ledger.owner_of(path_key(desired))
        target = contained_path(self.mirror_dir, desired)
        if owner is None and not target.exists():
            return desired
        if owner is None and _same_article(target.read_bytes(), data):
            # A post from before the ledger (or from the older system, or left by a crash
            # before its ledger row) for this very article. Taking it over keeps its permalink.
            return desired
        suffixed = with_suffix(desired, url_token(key))
        logger.info("Path %s is taken by another article; %s gets %s", desired, key, suffixed)
        return suffixed


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
