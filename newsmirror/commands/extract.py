"""``scrapy extract URL``: read one article page as a crawl would, write nothing, and say why.

It prints every field the post would carry (title, author, date, lead image, body,
canonical URL), the source that gave each value and the candidates passed over with
theirs. This is how an operator learns why a post carries a wrong date, and how a site
module is debugged. ``--file PAGE --url URL`` reads saved bytes offline.

The page is fetched through the project's settings (User-Agent with contact, robots.txt,
the address guard, retries, ``http_proxy``/``https_proxy``), by a one-request spider
with no item pipelines, no ledger and no listing cache: nothing is written anywhere.
Exit codes: 0 the page reads as an article, 1 it was fetched but is not one (the reason
is printed), 2 usage error, 4 the fetch failed.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request, Spider
from scrapy.commands import ScrapyCommand
from scrapy.crawler import Crawler
from scrapy.exceptions import UsageError
from scrapy.http import Response
from twisted.python.failure import Failure

from newsmirror.extract.page import squash
from newsmirror.items import ArticleItem
from newsmirror.reading import FetchedPage, ReadOutcome, check_reading_settings, read_page_explained
from newsmirror.sites.base import PageFields
from newsmirror.siterules.book import rule_book_for
from newsmirror.sites.generic import normalize_url
from newsmirror.text import html_text

EXIT_NOT_AN_ARTICLE = 1
EXIT_FETCH_FAILED = 4
# Components of a crawl that record or write: none of them runs for one look at a page.
_WRITERS_OFF = {
    "ITEM_PIPELINES": {},
    "EXTENSIONS": {
        "newsmirror.store.LedgerExtension": None,
        "newsmirror.report.RunReport": None,
        "newsmirror.layout.LayoutAlarm": None,
    },
    "SPIDER_MIDDLEWARES": {"newsmirror.incremental.KnownArticleMiddleware": None},
    "DOWNLOADER_MIDDLEWARES": {
        "newsmirror.incremental.ListingCacheMiddleware": None,
        "newsmirror.incremental.NotModifiedMiddleware": None,
    },
    "HTTPCACHE_ENABLED": False,
    "MIRROR_REDIS_URL": "",
    "ADDONS": {},
}
_PREVIEW = 300  # characters of body text printed


class FetchOnePage(Spider):
    """Fetches one URL and keeps the response's bytes for the command; parses nothing."""

    name = "newsmirror-extract"

    def __init__(self, url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.url = url
        self.fetched: FetchedPage | None = None
        self.failure = ""

    async def start(self) -> AsyncIterator[Request]:
        """Request the page, through every downloader middleware of the project."""
        yield Request(self.url, callback=self.keep, errback=self.fetch_failed, dont_filter=True)

    def keep(self, response: Response) -> None:
        """Keep the page's bytes; the command reads them once the crawl has stopped."""
        self.fetched = FetchedPage.from_response(response)

    def fetch_failed(self, failure: Failure) -> None:
        """Keep why the fetch failed."""
        self.failure = failure.getErrorMessage() or failure.type.__name__


class Command(ScrapyCommand):
    """``scrapy extract URL`` / ``scrapy extract --file PAGE --url URL``."""

    requires_project = True

    def syntax(self) -> str:
        """The command's arguments."""
        return "[URL] [--file PAGE --url URL] [--json]"

    def short_desc(self) -> str:
        """One line for ``scrapy -h``."""
        return "Read one article page, write nothing, and show each field's value and source"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        """Add --file, --url, --json and --timezone."""
        super().add_options(parser)
        parser.add_argument("--file", metavar="PAGE", help="read saved page bytes instead of fetching")
        parser.add_argument("--url", metavar="URL", help="the URL the saved page came from (with --file)")
        parser.add_argument("--charset", metavar="NAME", help="the charset its Content-Type header named (with --file)")
        parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        """Keep the crawl's INFO lines out of the report, unless --loglevel asks for them."""
        super().process_options(args, opts)
        assert self.settings is not None
        if not opts.loglevel:
            self.settings.set("LOG_LEVEL", "WARNING", priority="cmdline")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        """Fetch or load the page, read it, print what was read."""
        assert self.settings is not None
        url = _page_url(args, opts)
        timezones = self.settings.getdict("MIRROR_TIMEZONES")
        undated = self.settings.get("MIRROR_UNDATED", "drop")
        try:
            check_reading_settings(timezones, undated)
            rules = rule_book_for(self.settings.get("MIRROR_SITE_RULES"))
        except ValueError as error:
            raise UsageError(str(error)) from None
        if opts.file:
            try:
                fetched = FetchedPage(url, Path(opts.file).read_bytes(), opts.charset)
            except OSError as error:
                raise UsageError(f"cannot read {opts.file}: {error.strerror}") from None
        else:
            fetched, failure = self._fetch(url)
            if fetched is None:
                print(f"newsmirror: could not fetch {url}: {failure or 'no response'}", file=sys.stderr)
                self.exitcode = EXIT_FETCH_FAILED
                return
        rule = rules.rule_for(fetched.url) if rules is not None else None
        outcome, fields = read_page_explained(ArticleItem(url=url), fetched, timezones, undated, rule)
        report = extraction_report(fetched, outcome, fields)
        print(json.dumps(report, ensure_ascii=False, indent=2) if opts.json else render(report))
        if outcome.problem is not None:
            self.exitcode = EXIT_NOT_AN_ARTICLE

    def _fetch(self, url: str) -> tuple[FetchedPage | None, str]:
        """Fetch *url* with the project's downloader stack and nothing that writes."""
        assert self.crawler_process is not None
        crawler = self.crawler_process.create_crawler(FetchOnePage)
        switch_off_writers(crawler)
        self.crawler_process.crawl(crawler, url=url)
        self.crawler_process.start()
        spider = crawler.spider
        assert isinstance(spider, FetchOnePage)
        return spider.fetched, spider.failure


def switch_off_writers(crawler: Crawler) -> None:
    """Switch off every component of *crawler* that records or writes; the downloader stack stays."""
    for name, value in _WRITERS_OFF.items():
        if isinstance(value, dict) and value:
            # Merged into the project's components, which stay: the guard, robots, retries.
            value = {**crawler.settings.getdict(name), **value}
        crawler.settings.set(name, value, priority="cmdline")


def _page_url(args: list[str], opts: argparse.Namespace) -> str:
    """Return the page's URL from the arguments, or raise UsageError saying what is missing."""
    if opts.file:
        if args or not opts.url:
            raise UsageError("with --file, give the page's URL as --url URL (and no other argument)")
        url = opts.url
    else:
        if len(args) != 1 or opts.url:
            raise UsageError("give exactly one URL: scrapy extract URL (or --file PAGE --url URL)")
        url = args[0]
    if urlsplit(url).scheme not in {"http", "https"} or not urlsplit(url).hostname:
        raise UsageError(f"not an http(s) URL: {url!r}")
    return url


def _text_of(html: str) -> str:
    """Return the squashed text of an HTML fragment, as the teaser and duplicate checks read it."""
    return squash(html_text(html))


def _shown(value: Any) -> Any:
    """Return *value* as it is printed: dates in ISO 8601 with their zone, text as is."""
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def extraction_report(fetched: FetchedPage, outcome: ReadOutcome, fields: PageFields) -> dict[str, Any]:
    """Return what reading the page gave, as plain data: each field's value, source and rivals."""
    choices = fields.choices
    report: dict[str, Any] = {
        "url": fetched.url,
        "site": outcome.site_key,
        "article": outcome.problem is None,
        "problem": str(outcome.problem) if outcome.problem is not None else "",
        "fields": {},
    }
    if fields.rule_reading is not None:
        # MIRROR_SITE_RULES: which file read the page, and where its values lost.
        report["site_rule"] = {"file": fields.rule_name, "fallbacks": dict(fields.rule_reading.fallbacks)}
    item = outcome.item
    final = {
        "title": item.title if item else None,
        "author": item.author if item else None,
        "date": item.date if item else None,
        "lead_image": item.lead_image if item else None,
        "canonical_url": item.canonical_url if item else None,
    }
    for name, value in final.items():
        # The lead image is the share image unless the body's first image was preferred.
        choice = choices.get("share_image" if name == "lead_image" else name)
        source = choice.source if choice else ""
        if name == "lead_image" and item and value and choice and value != choice.value:
            source = "the body's first image"
        elif name == "canonical_url":
            source = "declared canonical link" if fields.canonical_url != normalize_url(fetched.url) else "the page's own URL"
        report["fields"][name] = {
            "value": _shown(value if item else (choice.value if choice else None)),
            "source": source,
            "passed_over": [
                {"source": rival.candidate.source, "value": _shown(rival.candidate.value), "reason": rival.reason}
                for rival in (choice.passed_over if choice else [])
            ],
            "problem": choice.problem if choice else "",
        }
    body_text = _text_of(item.body_html) if item and item.body_html else ""
    body_choice = choices.get("body")
    report["fields"]["body"] = {
        "value": body_text[:_PREVIEW],
        "characters": len(body_text),
        "source": body_choice.source if body_choice else "",
        "passed_over": [
            {"source": rival.candidate.source, "value": "", "reason": rival.reason}
            for rival in (body_choice.passed_over if body_choice else [])
        ],
        "problem": body_choice.problem if body_choice else "",
    }
    return report


def render(report: dict[str, Any]) -> str:
    """Return the report as text for a terminal: one block per field."""
    lines = [f"url:   {report['url']}", f"site:  {report['site']}"]
    if "site_rule" in report:
        lines.append(f"rule:  {report['site_rule']['file']}")
        lines += [f"  {name} fell back: {why}" for name, why in report["site_rule"]["fallbacks"].items()]
    lines.append("read as an article" if report["article"] else f"not an article: {report['problem']}")
    for name, shown in report["fields"].items():
        value = shown["value"]
        size = f" ({shown['characters']} characters)" if "characters" in shown else ""
        lines.append("")
        lines.append(f"{name}{size}: {json.dumps(value, ensure_ascii=False)}")
        lines.append(f"  from: {shown['source'] or ('(nothing found)' if value in (None, '') else '(no source recorded)')}")
        if shown["problem"]:
            lines.append(f"  problem: {shown['problem']}")
        for rival in shown["passed_over"]:
            rival_value = f" {json.dumps(rival['value'], ensure_ascii=False)}" if rival["value"] else ""
            lines.append(f"  passed over: {rival['source']}{rival_value} ({rival['reason']})")
    return "\n".join(lines)
