"""``scrapy crawl``, made fit for cron: a clear refusal when another run holds the lock, and
a non-zero exit code when too many articles failed.

Scrapy exits 0 whenever the crawl itself ran, however many pages failed; cron only
mails when a job exits non-zero.  Overriding the ``crawl`` command (``COMMANDS_MODULE``)
is the one place that sees the finished crawler's stats and owns the exit code, and it
leaves every other Scrapy behaviour as is.  Exit codes: 0 fine, 1 Scrapy could not start
the crawl, 2 usage error, 3 the failed share passed ``MIRROR_MAX_FAILED_RATIO``,
75 another run holds the lock (EX_TEMPFAIL: try again later).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path
from typing import Any

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError
from scrapy.statscollectors import StatsCollector

from newsmirror.store import (
    LedgerError,
    LedgerLocked,
    acquire_run_lock,
    adopt_legacy_ledger,
    redis_url_for,
    state_path_for,
)

logger = logging.getLogger(__name__)

EXIT_TOO_MANY_FAILED = 3
EXIT_LOCKED = 75


def failed_share(stats: StatsCollector) -> tuple[int, int]:
    """Return (failed, tried): articles that ended without a post, and articles fetched or failed.

    Failures are fetch failures and unexpected pipeline errors (``newsmirror/failed``) and
    articles the pipelines dropped (no title, date or body); known articles skipped without
    a request are not tried.
    """
    failed = int(stats.get_value("newsmirror/failed", 0)) + int(stats.get_value("item_dropped_count", 0))
    written = sum(
        int(value) for name, value in stats.get_stats().items() if name.startswith("newsmirror/posts/")
    )
    return failed, failed + written


def report_start_error(started: Any) -> None:
    """Print why a crawl could not start, in one line, when the reason is the operator's to fix.

    Our configuration errors (a bad ``-a`` argument, sources file, setting or ledger) are
    ValueErrors or LedgerErrors whose message says what to do; a traceback would bury it.
    Retrieving the exception also stops asyncio printing "Task exception was never
    retrieved". Anything else is a bug, logged with its traceback.
    """
    if not isinstance(started, asyncio.Future) or started.cancelled() or started.exception() is None:
        return
    error = started.exception()
    if isinstance(error, (ValueError, LedgerError)):
        print(f"newsmirror: cannot start the crawl: {error}", file=sys.stderr)
    else:
        logger.error("The crawl could not start", exc_info=error)


class Command(ScrapyCrawlCommand):
    """Scrapy's ``crawl``, plus the run lock check and the failed-share exit code."""

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        """Run one spider; set the exit code from the lock and the failed share."""
        if len(args) != 1:
            raise UsageError("give exactly one spider: scrapy crawl SPIDER")
        assert self.settings is not None and self.crawler_process is not None
        max_ratio = self.settings.getfloat("MIRROR_MAX_FAILED_RATIO")
        if not 0 <= max_ratio <= 1:
            raise UsageError(f"MIRROR_MAX_FAILED_RATIO must be between 0 and 1, not {max_ratio}")
        if not redis_url_for(self.settings):
            try:
                # Before any crawler exists: a second run stops here, before it opens anything.
                if not self.settings.get("MIRROR_STATE"):
                    adopt_legacy_ledger(Path(self.settings.get("MIRROR_DIR")))
                acquire_run_lock(state_path_for(self.settings))
            except LedgerLocked as error:
                print(f"newsmirror: {error}", file=sys.stderr)
                self.exitcode = EXIT_LOCKED
                return
        crawler = self._create_crawler(args[0])
        started = self.crawler_process.crawl(crawler, **opts.spargs)
        if isinstance(started, asyncio.Future):
            started.add_done_callback(report_start_error)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed:
            self.exitcode = 1
            return
        failed, tried = failed_share(crawler.stats)
        if tried and failed / tried > max_ratio:
            message = (
                f"newsmirror: {failed} of {tried} articles failed ({failed / tried:.0%}), more than "
                f"MIRROR_MAX_FAILED_RATIO={max_ratio:g}; exiting {EXIT_TOO_MANY_FAILED}"
            )
            print(message, file=sys.stderr)
            self.exitcode = EXIT_TOO_MANY_FAILED
