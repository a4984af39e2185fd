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

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.http import Response
from scrapy.statscollectors import StatsCollector

from newsmirror.exporters import PostExporter
from newsmirror.store.posts import contained_path, write_atomic
from newsmirror.images import localize_images
from newsmirror.incremental import lookup_key
from newsmirror.items import ArticleItem, ListingHints
from newsmirror.layout import count_site_fields
from newsmirror.paths import PathBuilder, path_key, url_token, with_suffix
from newsmirror.readers import PageReaders, ReaderDied, reader_processes
from newsmirror.reading import (
    FetchedPage,
    Unreadable,
    check_reading_settings,
    clean_item,
    fill_from_feed,
    read_page,
)
from newsmirror.store import LedgerEntry, LedgerStore, ledger_for, utc_now

logger = logging.getLogger(__name__)


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


_DROPS: dict[str, type[ArticleDropped]] = {"title": NoTitle, "date": NoDate, "body": NoBody}


def dropped(problem: Unreadable) -> ArticleDropped:
    """Return the item drop that says why an article could not be read."""
    return _DROPS.get(problem.kind, ArticleDropped)(problem.reason)


class ExtractPipeline:
    """Reads title, author, date, canonical URL and body from the fetched page.

    The page is read (extracted and cleaned, :func:`newsmirror.reading.read_page`) in a
    reader process when ``MIRROR_READER_PROCESSES`` allows, so reading uses every core
    while the crawl goes on fetching and writing.
    """

    def __init__(
        self,
        timezones: dict[str, str],
        undated: str,
        stats: StatsCollector | None = None,
        readers: PageReaders | None = None,
    ) -> None:
        check_reading_settings(timezones, undated)
        self.timezones = timezones
        self.undated = undated
        self.stats = stats  # per-site field counts for the layout-change alarm
        self.readers = readers

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExtractPipeline:
        """Build the pipeline from the crawler's settings."""
        settings = crawler.settings
        processes = reader_processes(settings.get("MIRROR_READER_PROCESSES"))
        readers = PageReaders(processes, settings.get("LOG_LEVEL")) if processes else None
        return cls(settings.getdict("MIRROR_TIMEZONES"), settings.get("MIRROR_UNDATED"), crawler.stats, readers)

    def close_spider(self) -> None:
        """Stop the reader processes, if any were started."""
        if self.readers is not None:
            self.readers.close()

    async def process_item(self, item: Any) -> Any:
        """Fill the article fields of an item that carries a fetched page, or only its feed's HTML."""
        if not isinstance(item, ArticleItem):
            return item
        if item.response is None:
            if item.title is None and item.hints.content_html:
                try:
                    return fill_from_feed(item, self.undated)
                except Unreadable as problem:
                    raise dropped(problem) from None
            return item
        fetched = FetchedPage.from_response(item.response)
        later = tuple(FetchedPage.from_response(page) for page in item.more_pages)  # MIRROR_JOIN_PAGES
        item.response, item.more_pages = None, []  # only the bytes go on; the responses need not live any longer
        if self.readers is None:
            outcome = read_page(item, fetched, self.timezones, self.undated, later)
        else:
            try:
                outcome = await self.readers.run(read_page, item, fetched, self.timezones, self.undated, later)
            except ReaderDied as error:
                raise ArticleDropped(f"the process reading {fetched.url} died ({error}); the next run tries again") from None
        if self.stats is not None:
            count_site_fields(self.stats, outcome.site_key, outcome.site_empty)
        if outcome.problem is not None:
            raise dropped(outcome.problem)
        return outcome.item


class CleanPipeline:
    """Turns the body element into clean, inert HTML and picks the lead image.

    A page's item arrives cleaned already (:func:`newsmirror.reading.read_page` reads and
    cleans in one go); this cleans what only a feed item carried.
    """

    def process_item(self, item: Any) -> Any:
        """Fill ``body_html`` and ``lead_image``; drop an article with no body left."""
        if not isinstance(item, ArticleItem) or item.body_html is not None:
            return item
        try:
            return clean_item(item)
        except Unreadable as problem:
            raise dropped(problem) from None


class WritePostPipeline:
    """Writes each article as one post file under ``MIRROR_DIR``, then records it in the ledger.

    The ledger belongs to the crawler (``newsmirror.store.ledger_for``); a row is written
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
        # A status set already: a pipeline before this one decided on no post (MIRROR_PARTIAL/DUPLICATES=skip).
        if not isinstance(item, ArticleItem) or item.body_html is None or item.status is not None:
            return item
        key = item.canonical_url or item.url
        known = self.ledger.get(key)
        if known and item.canonical_url and self._holds_another_article(known, item):
            # A canonical naming another known article (different title and date) would
            # rewrite that article's post with this one: the page keys on its own URL.
            own = lookup_key(item.url)
            logger.info(
                "%s declares canonical %s; not taken, the ledger holds another article there"
                " (%s): keyed on its own URL", item.url, key, known.post_path,
            )
            key = item.canonical_url = own
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

    def _holds_another_article(self, known: LedgerEntry, item: ArticleItem) -> bool:
        """Tell whether the ledger's entry for *item*'s key is a different article.

        Different: the item's own URL never led to that entry, and both the date and the
        title of the post on disk differ from the item's (a refresh may change either one).
        """
        found = self.ledger.find(lookup_key(item.url))
        if found is not None and found.canonical_url == known.canonical_url:
            return False
        if item.date is None or known.published is None:
            return False
        if datetime.fromisoformat(known.published) == item.date:
            return False
        target = contained_path(self.mirror_dir, known.post_path)
        stored = _front_matter_line(target.read_bytes(), b"title") if target.is_file() else None
        if stored is None:
            return True
        title = stored.decode("utf-8", "replace")
        if len(title) >= 2 and title[0] == title[-1] == "'":
            title = title[1:-1].replace("''", "'")
        return title != (item.title or "")

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
    item = ArticleItem(url=response.url, hints=hints or ListingHints())
    check_reading_settings(timezones or {}, undated)  # the same checks a crawl makes
    outcome = read_page(item, FetchedPage.from_response(response), timezones or {}, undated)
    if outcome.problem is not None:
        raise dropped(outcome.problem)
    assert outcome.item is not None
    return outcome.item
