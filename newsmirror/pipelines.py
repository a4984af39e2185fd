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
from newsmirror.formats import DEFAULT_FORMAT, PostFormat, check_format_name, get_format
from newsmirror.store.posts import contained_path, write_atomic
from newsmirror.images import localize_images
from newsmirror.incremental import lookup_key
from newsmirror.items import ArticleItem, ListingHints
from newsmirror.layout import count_site_fields, rule_key
from newsmirror.paths import DEFAULT_PATH_TEMPLATE, PathBuilder, path_key, url_token
from newsmirror.readers import PageReaders, ReaderDied, reader_processes
from newsmirror.reading import (
    FetchedPage,
    Unreadable,
    check_reading_settings,
    clean_item,
    fill_from_feed,
    read_page,
)
from newsmirror.siterules.book import RuleBook, rule_book_for
from newsmirror.siterules.rules import SiteRule
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
        rules: RuleBook | None = None,
    ) -> None:
        check_reading_settings(timezones, undated)
        self.timezones = timezones
        self.undated = undated
        self.stats = stats  # per-site field counts for the layout-change alarm
        self.readers = readers
        self.rules = rules  # MIRROR_SITE_RULES; None: off

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExtractPipeline:
        """Build the pipeline from the crawler's settings."""
        settings = crawler.settings
        processes = reader_processes(settings.get("MIRROR_READER_PROCESSES"))
        readers = PageReaders(processes, settings.get("LOG_LEVEL")) if processes else None
        rules = rule_book_for(settings.get("MIRROR_SITE_RULES"))
        return cls(settings.getdict("MIRROR_TIMEZONES"), settings.get("MIRROR_UNDATED"), crawler.stats, readers, rules)

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
        # Only the page's own rule crosses to a reader process, not the whole book.
        rule = self.rules.rule_for(fetched.url) if self.rules is not None else None
        if self.readers is None:
            outcome = read_page(item, fetched, self.timezones, self.undated, rule, later)
        else:
            try:
                outcome = await self.readers.run(read_page, item, fetched, self.timezones, self.undated, rule, later)
            except ReaderDied as error:
                raise ArticleDropped(f"the process reading {fetched.url} died ({error}); the next run tries again") from None
        if self.stats is not None:
            count_site_fields(self.stats, outcome.site_key, outcome.site_empty)
            if outcome.rule_name:
                count_site_fields(self.stats, rule_key(outcome.rule_name), outcome.rule_fallbacks)
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
        path_builder: PathBuilder | None = None,
        *,
        fsync: bool = True,
        with_link: bool = False,
        stats: StatsCollector | None = None,
        post_format: str = DEFAULT_FORMAT,
        source_formats: dict[str, str] | None = None,
        images: bool = False,
    ) -> None:
        self.mirror_dir = mirror_dir
        self.ledger = ledger
        self.path_template = (path_builder or PathBuilder()).template
        self.fsync = fsync
        self.with_link = with_link
        self.stats = stats
        self.images = images
        # Checked here, before the first request: an unknown format stops the run at once.
        self.default_format = check_format_name(post_format)
        self.source_formats = {name: check_format_name(fmt) for name, fmt in (source_formats or {}).items()}
        self.formats: dict[str, PostFormat] = {}
        for name in {self.default_format, *self.source_formats.values()}:
            self.formats[name] = get_format(name, path_template=self.path_template, images=images)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WritePostPipeline:
        """Build the pipeline from the crawler's settings, its ledger, and its sources' formats."""
        settings = crawler.settings
        # The sources file's per-source `format` (scrapy crawl mirror); other spiders have no sources.
        sources = getattr(getattr(crawler, "spider", None), "sources", None) or []
        return cls(
            Path(settings.get("MIRROR_DIR")),
            ledger_for(crawler),
            PathBuilder(settings.get("MIRROR_PATH_TEMPLATE") or DEFAULT_PATH_TEMPLATE),
            fsync=settings.getbool("MIRROR_FSYNC"),
            with_link=settings.getbool("MIRROR_FRONT_MATTER_LINK"),
            stats=crawler.stats,
            post_format=settings.get("MIRROR_FORMAT") or DEFAULT_FORMAT,
            source_formats={source.name: source.format for source in sources if getattr(source, "format", None)},
            images=settings.getbool("MIRROR_IMAGES"),
        )

    def format_for(self, item: ArticleItem) -> PostFormat:
        """Return the post format of a new post of *item*: its source's, else ``MIRROR_FORMAT``."""
        return self.formats[self.source_formats.get(item.source, self.default_format)]

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
        if known is None:
            known = self._rekeyed(key, item)
        if known and known.format != self.format_for(item).name:
            return self._keep_other_format(item, known)
        post_format = self.format_for(item)  # a known article's format, checked just above
        first_seen = known.first_seen if known else utc_now().isoformat()
        if known and known.published:
            # A rewrite in place keeps the post's date: its permalink and its place in the feed.
            stored = datetime.fromisoformat(known.published)
            item.date = stored.astimezone(item.date.tzinfo) if item.date else stored
        if item.date is None:
            # MIRROR_UNDATED=first-seen: the ledger keeps the first sighting, so the date never drifts.
            item.date = datetime.fromisoformat(first_seen)
        data = self._render(item, post_format)
        relpath = known.post_path if known else self._claim_path(item, key, data, post_format)
        target = contained_path(self.mirror_dir, relpath)
        existed = target.is_file()
        current = target.read_bytes() if existed else None
        aliases = {lookup_key(url) for url in (item.url, item.fetched_url) if url}
        if known and current is not None and hashlib.sha256(current).hexdigest() != known.content_sha256:
            # Someone edited the post since we wrote it: their edit wins over the page.
            item.status = "hand-edited"
            item.post_path = relpath
            item.format = post_format.name
            self.ledger.set_status(key, "hand-edited")
            self._count(item.status)
            logger.warning("Post %s was edited by hand since it was written; left as it is (%s)", relpath, key)
            return item
        # MIRROR_IMAGES: copy the images into the post's asset folder, then point the post at them.
        if localize_images(item, target, fsync=self.fsync, asset_folder=post_format.asset_folder(target)):
            data = self._render(item, post_format)
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
                format=post_format.name,
            ),
            aliases=aliases,
        )
        item.post_path = relpath
        item.format = post_format.name
        self._count(item.status)
        logger.info("Post %s: %s (%s)", item.status, relpath, key)
        return item

    def _rekeyed(self, key: str, item: ArticleItem) -> LedgerEntry | None:
        """Return the entry of the post *item*'s URL led to under another key, now moved to *key*; or None.

        A refresh may find that the page declares a new canonical URL (a renamed slug, or
        one refused as another article's): the post stays where it is, same file and
        date, under the new key, rather than a second post beside it.  A page whose
        title and date both changed too is another article: it gets a post of its own.
        """
        previous = self.ledger.find(lookup_key(item.url))
        if previous is None or previous.canonical_url == key:
            return None
        if self._is_other_article(previous, item):
            logger.info(
                "%s led to the post %s of %s, but now shows another title and date under %s: a post of its own",
                item.url, previous.post_path, previous.canonical_url, key,
            )  # fmt: skip
            return None
        self.ledger.rekey(previous.canonical_url, key)
        if self.stats is not None:
            self.stats.inc_value("newsmirror/rekeyed")
        logger.info("Post %s re-keyed in place from %s to %s (%s)", previous.post_path, previous.canonical_url, key, item.url)
        return self.ledger.get(key)

    def _holds_another_article(self, known: LedgerEntry, item: ArticleItem) -> bool:
        """Tell whether the ledger's entry for *item*'s key is a different article.

        Different: the item's own URL never led to that entry, and it is
        :meth:`another article <_is_other_article>`.
        """
        found = self.ledger.find(lookup_key(item.url))
        if found is not None and found.canonical_url == known.canonical_url:
            return False
        return self._is_other_article(known, item)

    def _is_other_article(self, known: LedgerEntry, item: ArticleItem) -> bool:
        """Tell whether both the date and the title of *known*'s post differ from *item*'s.

        One of them may change on a refresh of the same article; not both.
        """
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

    def _render(self, item: ArticleItem, post_format: PostFormat) -> bytes:
        """Return *item*'s post bytes in *post_format*."""
        buffer = io.BytesIO()
        PostExporter(buffer, with_link=self.with_link, post_format=post_format).export_item(item)
        return buffer.getvalue()

    def _keep_other_format(self, item: ArticleItem, known: LedgerEntry) -> ArticleItem:
        """Leave a post written in another format where and as it is: switching format moves nothing.

        The article stays known (no second post in the new format); only articles new to
        the ledger are written in the format the run asks for.
        """
        item.status = "other-format"
        item.post_path = known.post_path
        item.format = known.format
        self._count(item.status)
        logger.info(
            "Post %s is kept as it is: it was written in the %s format, this run writes %s"
            " (a format applies to articles new to the ledger) (%s)",
            known.post_path, known.format, self.format_for(item).name, known.canonical_url,
        )  # fmt: skip
        return item

    def _claim_path(self, item: ArticleItem, key: str, data: bytes, post_format: PostFormat) -> str:
        """Return a path for an article new to the ledger, never one another article owns."""
        where = {
            "title": item.title or "",
            "categories": item.categories,
            "date": item.date,
            "url": key,
            "site": item.site_name or "",
        }
        desired = post_format.build_path(**where)
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
        suffixed = post_format.build_path(**where, token=url_token(key))
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
    rule: SiteRule | None = None,
) -> ArticleItem:
    """Run the extract and clean pipelines on one response, offline: what a crawl does before writing.

    Tests and benchmarks use this to measure exactly the code path of a real crawl;
    *timezones* and *undated* are ``MIRROR_TIMEZONES`` and ``MIRROR_UNDATED``, *rule*
    the site rule a crawl would apply to the page.
    """
    item = ArticleItem(url=response.url, hints=hints or ListingHints())
    check_reading_settings(timezones or {}, undated)  # the same checks a crawl makes
    outcome = read_page(item, FetchedPage.from_response(response), timezones or {}, undated, rule)
    if outcome.problem is not None:
        raise dropped(outcome.problem)
    assert outcome.item is not None
    return outcome.item
