"""The run report: a progress line every few seconds, a summary per source, and a JSON file.

An extension, on in every crawl.  It listens to signals (items written or dropped, our
``article_failed``, ``source_failed`` and ``source_not_modified``) and never parses logs.

Where the JSON report goes: ``MIRROR_REPORT`` when set; else beside ``LOG_FILE``
(``mirror.log`` -> ``mirror.report.json``); else ``last-run.json`` beside the ledger
(``.newsmirror/<name of MIRROR_DIR>/``, never inside the mirror).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from scrapy import signals as scrapy_signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.asyncio import create_looping_call

from newsmirror import signals
from newsmirror.store.posts import write_atomic
from newsmirror.items import ArticleItem
from newsmirror.layout import changed_layouts
from newsmirror.store import default_state_path

logger = logging.getLogger(__name__)

# Failure lines per source in the log summary; the JSON report keeps them all.
SUMMARY_FAILURES_SHOWN = 10
_WRITTEN = ("new", "updated")


@dataclass
class SourceTally:
    """What one source produced in this run."""

    # by post status: new, updated, unchanged, hand-edited, ... and known (not fetched again)
    posts: dict[str, int] = field(default_factory=dict)
    failures: list[dict[str, str]] = field(default_factory=list)  # articles without a post: url, reason
    errors: list[dict[str, str]] = field(default_factory=list)  # the source itself failed: url, reason
    not_modified: list[str] = field(default_factory=list)  # listing URLs (feeds, sitemaps, lists) that answered 304
    # articles whose body is only part of them (teasers, paywalls), posted or not: url, reason
    partial: list[dict[str, Any]] = field(default_factory=list)

    @property
    def written(self) -> int:
        """Posts written (new or changed)."""
        return sum(self.posts.get(status, 0) for status in _WRITTEN)

    @property
    def skipped(self) -> int:
        """Posts left as they were (unchanged, or any other non-writing status)."""
        return sum(count for status, count in self.posts.items() if status not in _WRITTEN)

    @property
    def status(self) -> str:
        """One word for the source: ok, failed (nothing came of it), not_modified or empty."""
        if self.errors and not self.posts and not self.failures:
            return "failed"
        if self.not_modified and not self.failures and set(self.posts) <= {"known"}:
            return "not_modified"  # answered 304, and every article it lists is mirrored already
        if self.posts or self.failures:
            return "ok"
        return "empty"

    def line(self) -> str:
        """Return the source's summary line (without its name)."""
        if self.status == "failed":
            return "failed: " + "; ".join(error["reason"] for error in self.errors)
        if self.status == "not_modified":
            return "not modified since the last run"
        counts = ", ".join(f"{self.posts.get(status, 0)} {status}" for status in ("new", "updated", "unchanged"))
        others = "".join(
            f", {count} {status}"
            for status, count in sorted(self.posts.items())
            if status not in ("new", "updated", "unchanged")
        )
        text = f"{counts}{others}, {len(self.failures)} failed"
        posted_partial = sum(1 for entry in self.partial if entry["posted"])
        if posted_partial:
            text += f" ({posted_partial} posted partial)"
        if self.errors:
            text += " (partly failed: " + "; ".join(error["reason"] for error in self.errors) + ")"
        return text


def report_path(settings: Any) -> Path:
    """Return where the JSON run report goes (see the module docstring)."""
    if settings.get("MIRROR_REPORT"):
        return Path(settings.get("MIRROR_REPORT"))
    if settings.get("LOG_FILE"):
        return Path(settings.get("LOG_FILE")).with_suffix(".report.json")
    state = settings.get("MIRROR_STATE")
    ledger = Path(state) if state else default_state_path(Path(settings.get("MIRROR_DIR")))
    return ledger.parent / "last-run.json"


class PipelineErrors:
    """Counts an article a pipeline raised an unexpected exception on as failed.

    Scrapy already logs such an exception once, with its traceback ("Error processing
    ..."), and sends ``item_error``; without this the article would be in neither the
    stats, the run report nor the exit code. On in every crawl, whether or not the run
    report is: ``newsmirror/failed`` feeds the failed share of ``scrapy crawl``'s exit code.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PipelineErrors:
        """Build the extension and listen to ``item_error``."""
        extension = cls(crawler)
        crawler.signals.connect(extension.item_error, signal=scrapy_signals.item_error)
        return extension

    def item_error(self, item: Any, response: Any, spider: Any, failure: Any) -> None:
        """Count the article as failed and tell the run report why (the traceback is logged already)."""
        if not isinstance(item, ArticleItem):
            return
        reason = f"unexpected error in the pipelines: {failure.type.__name__}: {failure.getErrorMessage()}"
        stats = self.crawler.stats
        if stats is not None:
            stats.inc_value("newsmirror/failed")
            stats.inc_value("newsmirror/failed/pipeline-error")
        self.crawler.signals.send_catch_log(
            signals.article_failed, url=item.url, reason=reason, kind="pipeline-error", source=item.source
        )


class RunReport:
    """Counts posts, skips and failures per source; logs progress and the end-of-run summary."""

    def __init__(self, crawler: Crawler, interval: float, path: Path) -> None:
        self.crawler = crawler
        self.interval = interval
        self.path = path
        self.tallies: dict[str, SourceTally] = {}
        self.started: datetime | None = None
        self.task: Any = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunReport:
        """Build the report and listen to the crawl's signals."""
        if not crawler.settings.getbool("MIRROR_REPORT_ENABLED"):
            raise NotConfigured
        report = cls(crawler, crawler.settings.getfloat("MIRROR_PROGRESS_INTERVAL"), report_path(crawler.settings))
        for handler, signal in (
            (report.spider_opened, scrapy_signals.spider_opened),
            (report.spider_closed, scrapy_signals.spider_closed),
            (report.item_scraped, scrapy_signals.item_scraped),
            (report.item_dropped, scrapy_signals.item_dropped),
            (report.spider_error, scrapy_signals.spider_error),
            (report.article_failed, signals.article_failed),
            (report.source_failed, signals.source_failed),
            (report.source_not_modified, signals.source_not_modified),
            (report.article_known, signals.article_known),
            (report.articles_known, signals.articles_known),
        ):
            crawler.signals.connect(handler, signal=signal)
        return report

    def tally(self, source: str) -> SourceTally:
        """Return the tally of *source*, creating it on first use."""
        return self.tallies.setdefault(source or "?", SourceTally())

    def spider_opened(self) -> None:
        """List the spider's sources (so a silent one still shows) and start the progress line."""
        self.started = datetime.now(timezone.utc)
        for name in getattr(self.crawler.spider, "source_names", []):
            self.tally(name)
        if self.interval > 0:
            self.task = create_looping_call(self.log_progress)
            self.task.start(self.interval, now=False)

    def item_scraped(self, item: Any) -> None:
        """Count a post by its status."""
        if isinstance(item, ArticleItem):
            tally = self.tally(item.source)
            status = item.status or "written"
            tally.posts[status] = tally.posts.get(status, 0) + 1
            if item.partial:
                tally.partial.append({"url": item.url, "reason": item.partial, "posted": item.post_path is not None})

    def item_dropped(self, item: Any, exception: BaseException) -> None:
        """Count an article a pipeline dropped, with its reason."""
        if isinstance(item, ArticleItem):
            self.tally(item.source).failures.append({"url": item.url, "reason": str(exception)})

    def spider_error(self, failure: Any, response: Any) -> None:
        """Note a callback that raised: Scrapy logs the traceback, the report names its source."""
        request = getattr(response, "request", None)
        if request is None:
            return
        callback = getattr(request.callback, "__name__", "parse")
        reason = f"error in {callback}: {failure.getErrorMessage()}"
        self.tally(request.cb_kwargs.get("source") or "?").errors.append({"url": response.url, "reason": reason})

    def article_failed(self, url: str, reason: str, kind: str, source: str) -> None:
        """Count an article whose page could not be fetched or used."""
        self.tally(source).failures.append({"url": url, "reason": reason})

    def source_failed(self, source: str, url: str, reason: str) -> None:
        """Note a source (feed, sitemap, channel) that could not be fetched or read."""
        self.tally(source).errors.append({"url": url, "reason": reason})

    def article_known(self, source: str, url: str) -> None:
        """Count an article of *source* skipped because an earlier run mirrored it."""
        posts = self.tally(source).posts
        posts["known"] = posts.get("known", 0) + 1

    def articles_known(self, source: str, urls: list[str]) -> None:
        """Count the articles of *source* a sifted listing chunk skipped as known."""
        posts = self.tally(source).posts
        posts["known"] = posts.get("known", 0) + len(urls)

    def source_not_modified(self, source: str, url: str) -> None:
        """Note a feed that has not changed since the last run."""
        self.tally(source).not_modified.append(url)

    def log_progress(self) -> None:
        """Log one line: pages so far, then written/skipped/failed per source."""
        stats = self.crawler.stats
        pages = (
            f"pages: {stats.get_value('downloader/request_count', 0)} requested, "
            f"{stats.get_value('response_received_count', 0)} received"
        )
        per_source = "; ".join(
            f"{name}: {tally.written} written, {tally.skipped} skipped, {len(tally.failures)} failed"
            for name, tally in self.tallies.items()
        )
        logger.info("Progress: %s%s", pages, f"; {per_source}" if per_source else "")

    def spider_closed(self, reason: str) -> None:
        """Log the summary per source and write the JSON run report."""
        if self.task is not None and self.task.running:
            self.task.stop()
        lines = [f"Run summary ({reason}):"]
        for name, tally in self.tallies.items():
            lines.append(f"  {name}: {tally.line()}")
            for failure in tally.failures[:SUMMARY_FAILURES_SHOWN]:
                lines.append(f"    not mirrored: {failure['url']}: {failure['reason']}")
            if len(tally.failures) > SUMMARY_FAILURES_SHOWN:
                lines.append(f"    ... and {len(tally.failures) - SUMMARY_FAILURES_SHOWN} more (see {self.path})")
        if self.tallies and all(tally.status == "failed" for tally in self.tallies.values()):
            lines.append("  No source could be reached or read; nothing was mirrored.")
        for key, (articles, empty) in sorted(self.changed_layouts().items()):
            lines.append(
                f"  Site {key}: its rules found no {', '.join(empty)} on any of {articles} articles; "
                "its layout has probably changed"
            )
        logger.info("\n".join(lines))
        try:
            write_atomic(self.path, self.as_json(reason).encode("utf-8"), fsync=False)
        except OSError as error:
            logger.error("Cannot write the run report %s: %s", self.path, error)
            return
        logger.info("Run report written to %s", self.path)

    def changed_layouts(self) -> dict[str, tuple[int, list[str]]]:
        """Return the site modules whose fields all came back empty (see newsmirror.layout)."""
        min_articles = self.crawler.settings.getint("LAYOUT_ALARM_MIN_ARTICLES")
        return changed_layouts(self.crawler.stats.get_stats(), min_articles) if min_articles > 0 else {}

    def as_json(self, reason: str) -> str:
        """Return the run report as JSON text."""
        stats = self.crawler.stats
        spider = self.crawler.spider
        report = {
            "spider": spider.name if spider is not None else None,
            "started": self.started.isoformat() if self.started else None,
            "finished": datetime.now(timezone.utc).isoformat(),
            "finish_reason": reason,
            "pages": {
                "requested": stats.get_value("downloader/request_count", 0),
                "received": stats.get_value("response_received_count", 0),
            },
            "sources": [
                {
                    "name": name,
                    "status": tally.status,
                    "posts": dict(tally.posts),
                    "failed": len(tally.failures),
                    "failures": tally.failures,
                    "errors": tally.errors,
                    "not_modified": tally.not_modified,
                    "partial": tally.partial,
                }
                for name, tally in self.tallies.items()
            ],
            "layout_changed": {
                key: {"articles": articles, "empty": empty} for key, (articles, empty) in self.changed_layouts().items()
            },
        }
        return json.dumps(report, ensure_ascii=False, indent=2) + "\n"
