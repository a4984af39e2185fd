"""Screening before a post is written (issue 16): teasers and syndicated copies.

Two pipelines, between cleaning and writing:

- :class:`PartialPipeline` applies ``MIRROR_PARTIAL`` to an article whose body reading
  found to be only part of it (``item.partial``, see :mod:`newsmirror.teasers`);
- :class:`DuplicatePipeline` compares each body's fingerprint with every article mirrored
  before it, across sources and runs (the ledger keeps the fingerprints), and applies
  ``MIRROR_DUPLICATES`` to a copy.

``keep`` (the default of both) posts the article as before; the index (``-O``) says
``partial: <why>`` or ``duplicate_of: <first article>``. ``skip`` writes no post: the item
goes on with its status (``partial`` or ``duplicate``) for the index and the run report.
Both settings can be set per source in the sources file (``partial``, ``duplicates``).
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector

from newsmirror.incremental import lookup_key
from newsmirror.items import ArticleItem
from newsmirror.store import LedgerStore, StoredFingerprint, ledger_for
from newsmirror.text import html_text

if TYPE_CHECKING:
    from newsmirror.fingerprints import FingerprintIndex, Match

logger = logging.getLogger(__name__)

PARTIAL_POLICIES = ("keep", "skip")
# off: no fingerprint is taken, kept or compared.
DUPLICATE_POLICIES = ("keep", "skip", "off")


def check_policy(name: str, value: str, allowed: tuple[str, ...]) -> str:
    """Return *value* if it is one of *allowed*; raise ValueError naming the setting otherwise."""
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}, not {value!r}")
    return value


def _source_policies(crawler: Crawler, key: str) -> dict[str, str]:
    """Return the per-source value of a sources-file key (``scrapy crawl mirror``), by source name."""
    sources = getattr(crawler.spider, "sources", None) or []
    return {source.name: getattr(source, key) for source in sources if getattr(source, key, None)}


def _screened(item: Any) -> bool:
    """Tell whether *item* is an article about to be written (not already decided on)."""
    return isinstance(item, ArticleItem) and item.body_html is not None and item.status is None


class PartialPipeline:
    """Applies ``MIRROR_PARTIAL`` to teasers and paywalled articles: keep and say so, or skip."""

    def __init__(self, crawler: Crawler, policy: str) -> None:
        self.crawler = crawler
        self.policy = check_policy("MIRROR_PARTIAL", policy, PARTIAL_POLICIES)
        self.stats: StatsCollector | None = crawler.stats
        self.per_source: dict[str, str] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PartialPipeline:
        """Build the pipeline from ``MIRROR_PARTIAL``."""
        return cls(crawler, crawler.settings.get("MIRROR_PARTIAL"))

    def open_spider(self) -> None:
        """Read the sources' own ``partial`` keys (checked when the sources file was read)."""
        self.per_source = _source_policies(self.crawler, "partial")

    def process_item(self, item: Any) -> Any:
        """Log a partial article; with ``skip``, mark it so that no post is written."""
        if not _screened(item) or not item.partial:
            return item
        if self.stats is not None:
            self.stats.inc_value("newsmirror/partial")
        if self.per_source.get(item.source, self.policy) == "skip":
            item.status = "partial"
            if self.stats is not None:
                self.stats.inc_value("newsmirror/skipped/partial")
            logger.info("Partial, not posted (MIRROR_PARTIAL=skip): %s: %s", item.url, item.partial)
        else:
            logger.info("Partial, posted and marked partial in the index: %s: %s", item.url, item.partial)
        return item


class DuplicatePipeline:
    """Recognises a body already mirrored (a syndicated copy) and applies ``MIRROR_DUPLICATES``.

    Every fingerprint the ledger holds is loaded when the spider opens, and the ones other
    workers (Redis) recorded since are read before each check. A new article's fingerprint
    enters the index at once, so two copies in one run are told apart, and enters the
    ledger only once its post is written (``item_scraped``); an article dropped on the way
    leaves the index again. Between its check and its record an article is *claimed* in
    the ledger (Redis: :meth:`RedisLedger.claim_fingerprint`), so two workers checking
    copies of one story at once never both take theirs for the first: the later one
    sees the earlier one's claim. Such a copy is marked but always posted, since the
    original's own post may still fail.
    """

    def __init__(self, crawler: Crawler, ledger: LedgerStore, policy: str, threshold: float) -> None:
        self.crawler = crawler
        self.ledger = ledger
        self.policy = check_policy("MIRROR_DUPLICATES", policy, DUPLICATE_POLICIES)
        if not 0.0 < threshold < 1.0:
            raise ValueError(f"MIRROR_DUPLICATE_THRESHOLD must be between 0 and 1, not {threshold!r}")
        self.threshold = threshold
        self.index: FingerprintIndex | None = None  # built when the spider opens, unless every policy is off
        self.position = 0  # how far into the ledger's fingerprints this index has read
        self.stats: StatsCollector | None = crawler.stats
        self.per_source: dict[str, str] = {}
        # id(item) -> (its fingerprint, the one it replaced in the index, if any)
        self.pending: dict[int, tuple[StoredFingerprint, StoredFingerprint | None]] = {}
        # This crawl's name among the workers sharing a ledger (its claims are its own).
        self.worker = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DuplicatePipeline:
        """Build the pipeline from ``MIRROR_DUPLICATES`` and ``MIRROR_DUPLICATE_THRESHOLD``."""
        settings = crawler.settings
        pipeline = cls(
            crawler, ledger_for(crawler), settings.get("MIRROR_DUPLICATES"), settings.getfloat("MIRROR_DUPLICATE_THRESHOLD")
        )
        crawler.signals.connect(pipeline.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(pipeline.item_left, signal=signals.item_dropped)
        crawler.signals.connect(pipeline.item_left, signal=signals.item_error)
        return pipeline

    def open_spider(self) -> None:
        """Load every fingerprint the ledger holds, and the sources' own ``duplicates`` keys."""
        self.per_source = _source_policies(self.crawler, "duplicates")
        if {self.policy, *self.per_source.values()} == {"off"}:
            return
        # Imported only when used: numpy costs the crawl process memory (bench/RESULTS.md),
        # which MIRROR_DUPLICATES=off saves.
        from newsmirror.fingerprints import FingerprintIndex

        self.index = FingerprintIndex(self.threshold)
        self._catch_up(self.index)
        logger.info("Duplicate check: %d fingerprints of earlier articles loaded", len(self.index))

    def _catch_up(self, index: FingerprintIndex) -> None:
        """Add the fingerprints recorded since this index last read the ledger."""
        from newsmirror.fingerprints import FINGERPRINT_SCHEME

        found, self.position = self.ledger.fingerprints_after(self.position)
        index.add_many([stored for stored in found if stored.scheme == FINGERPRINT_SCHEME])

    def process_item(self, item: Any) -> Any:
        """Fingerprint the body; mark a copy's ``duplicate_of`` and, with ``skip``, keep it from being written."""
        if not _screened(item):
            return item
        policy = self.per_source.get(item.source, self.policy)
        if policy == "off" or self.index is None:
            return item
        from newsmirror.fingerprints import FINGERPRINT_SCHEME, fingerprint_of

        key = item.canonical_url or item.url
        signature = fingerprint_of(html_text(item.body_html))
        if signature is None:
            logger.debug("Duplicate check: the body of %s is too short to fingerprint", key)
            return item
        index = self.index
        # Claimed before the ledger is read (see RedisLedger.claim_fingerprint): another
        # worker's copy of this story is then either among the claims or in the ledger.
        in_flight = self.ledger.claim_fingerprint(StoredFingerprint(key, signature, None, FINGERPRINT_SCHEME), self.worker)
        self._catch_up(index)
        match = index.match(signature, key) or _in_flight_match(in_flight, signature, key, self.threshold)
        stored = StoredFingerprint(key, signature, match.original if match else None, FINGERPRINT_SCHEME)
        self.pending[id(item)] = (stored, index.get(key))
        index.add(stored)
        if match is None:
            return item
        self.ledger.claim_fingerprint(stored, self.worker)  # a copy's claim names its original
        item.duplicate_of = match.original
        if self.stats is not None:
            self.stats.inc_value("newsmirror/duplicates")
        if match.in_flight:
            # The original is still being written by another worker and may yet fail:
            # skipping this copy could leave the story with no post at all.
            logger.info(
                "Duplicate, posted: %s is a copy of %s (similarity %.2f), which another worker is "
                "writing now; it is posted whatever MIRROR_DUPLICATES says, so the story is never lost",
                key, match.original, match.similarity,
            )  # fmt: skip
        elif policy == "skip":
            item.status = "duplicate"
            if self.stats is not None:
                self.stats.inc_value("newsmirror/skipped/duplicate")
            logger.info(
                "Duplicate, not posted (MIRROR_DUPLICATES=skip): %s is a copy of %s (similarity %.2f to %s)",
                key, match.original, match.similarity, match.closest,
            )  # fmt: skip
        else:
            logger.info(
                "Duplicate, posted: %s is a copy of %s (similarity %.2f to %s)",
                key, match.original, match.similarity, match.closest,
            )  # fmt: skip
        return item

    def item_scraped(self, item: Any) -> None:
        """Record the fingerprint of an article that went through (its post written, or skipped as a copy)."""
        entry = self.pending.pop(id(item), None)
        if entry is None or not isinstance(item, ArticleItem):
            return
        stored = entry[0]
        if item.status == "duplicate":
            # Known from now on: its URLs lead to the first article, so no later run fetches it.
            urls = {lookup_key(url) for url in (item.url, item.fetched_url, item.canonical_url) if url}
            self.ledger.add_aliases(stored.original, urls)
        elif item.post_path is None:
            self._forget(entry)  # not written after all (hand-edited posts keep their fingerprint)
            return
        key = item.canonical_url or item.url
        if key != stored.canonical_url:
            # The writer keyed it on its own URL (its canonical belonged to another article).
            self._forget(entry, release=False)  # released once recorded, below
            stored = StoredFingerprint(key, stored.signature, stored.duplicate_of, stored.scheme)
            if self.index is not None:
                self.index.add(stored)
        self.ledger.record_fingerprint(stored)
        self.ledger.release_fingerprint(entry[0].canonical_url, self.worker)

    def item_left(self, item: Any) -> None:
        """Take back the fingerprint of an article dropped (or failed) after the check."""
        entry = self.pending.pop(id(item), None)
        if entry is not None:
            self._forget(entry)

    def _forget(self, entry: tuple[StoredFingerprint, StoredFingerprint | None], release: bool = True) -> None:
        stored, replaced = entry
        if release:
            self.ledger.release_fingerprint(stored.canonical_url, self.worker)
        if self.index is None:
            return
        self.index.discard(stored.canonical_url)
        if replaced is not None:
            self.index.add(replaced)


def _in_flight_match(in_flight: list[StoredFingerprint], signature: bytes, own_url: str, threshold: float) -> Match | None:
    """Return the closest article another worker is writing now that *signature* is a copy of, or None."""
    from newsmirror.fingerprints import FINGERPRINT_SCHEME, Match, similarity

    best: Match | None = None
    for claim in in_flight:
        if claim.scheme != FINGERPRINT_SCHEME or own_url in (claim.canonical_url, claim.original):
            continue
        score = similarity(signature, claim.signature)
        if score >= threshold and (best is None or score > best.similarity):
            best = Match(claim.original, claim.canonical_url, score, in_flight=True)
    return best
