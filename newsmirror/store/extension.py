"""The crawler's one ledger: chosen from the settings, opened before the engine starts, closed when it stops."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

from scrapy import signals

from newsmirror.store.ledger import LedgerError, LedgerStore, rebuild_from_posts
from newsmirror.store.posts import remove_stale_temporaries
from newsmirror.store.sqlite import Ledger, acquire_run_lock, adopt_legacy_ledger, state_path_for

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)


def open_ledger(settings: BaseSettings) -> LedgerStore:
    """Return the (unopened) ledger the settings ask for: Redis when a Redis URL is set, else SQLite."""
    mirror_dir = Path(settings.get("MIRROR_DIR"))
    redis_url = redis_url_for(settings)
    if redis_url:
        from newsmirror.store.redis import RedisLedger  # imports redis only when asked for

        return RedisLedger(redis_url, mirror_dir, prefix=settings.get("MIRROR_REDIS_PREFIX"))
    return Ledger(state_path_for(settings), mirror_dir)


def redis_url_for(settings: BaseSettings) -> str:
    """Return the Redis URL of a scaled-out run (``REDIS_URL`` or ``MIRROR_REDIS_URL``), or ''."""
    return settings.get("REDIS_URL") or settings.get("MIRROR_REDIS_URL") or os.environ.get("MIRROR_REDIS_URL", "")


class LedgerExtension:
    """Owns the crawler's one ledger: opened (under the run lock) before the engine starts, closed when it stops.

    With ``-a rebuild_state=1`` it first records the posts on disk that carry a ``link:``
    line, so a lost ledger does not make the run fetch everything again.
    """

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.mirror_dir = Path(settings.get("MIRROR_DIR"))
        self.ledger: LedgerStore = open_ledger(settings)
        if isinstance(self.ledger, Ledger):
            # Workers sharing a Redis ledger run at once on purpose; a local ledger has one writer.
            if not settings.get("MIRROR_STATE"):
                adopt_legacy_ledger(self.mirror_dir)
            acquire_run_lock(self.ledger.path)
            removed = remove_stale_temporaries(self.mirror_dir)
            if removed:
                logger.info("Removed %d temporary file(s) an interrupted run left in %s", removed, self.mirror_dir)
        self.ledger.open()
        spider = getattr(crawler, "spider", None)
        if getattr(spider, "rebuild_state", False):
            recorded, without_link = rebuild_from_posts(self.ledger, self.mirror_dir)
            logger.info(
                "Ledger rebuilt from %s: %d post(s) recorded, %d without a link: line skipped",
                self.mirror_dir, recorded, without_link,
            )  # fmt: skip
        crawler.signals.connect(self.engine_stopped, signal=signals.engine_stopped)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LedgerExtension:
        """Open the crawler's ledger."""
        return cls(crawler)

    def engine_stopped(self) -> None:
        """Close the ledger once nothing can write to it any more."""
        self.ledger.close()


def ledger_for(crawler: Crawler) -> LedgerStore:
    """Return the crawler's open ledger (owned by :class:`LedgerExtension`)."""
    extension = crawler.get_extension(LedgerExtension)
    if extension is None:
        raise LedgerError("the ledger extension newsmirror.store.LedgerExtension is not enabled in EXTENSIONS")
    return extension.ledger
