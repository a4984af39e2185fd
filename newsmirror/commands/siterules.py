"""``scrapy siterules check [FILE ...]``: fetch every rule's ``test_url``, and name the stale rules.

For each ``test_url`` of the rule files in ``MIRROR_SITE_RULES`` (or ``--rules DIR``),
the page is fetched through the project's downloader stack (User-Agent with contact,
robots.txt, the address guard, retries, proxies, the rules' own ``http_header`` lines),
by a spider with no pipelines and nothing that writes, then read with its rule as a
crawl reads it. A test is *stale* when the page cannot be fetched, when the rule's body
XPaths select nothing or fall back to the generic rules, or when a ``test_contains``
snippet is missing from the body the rule extracts (the report says whether the page
still holds it: then the rule selects the wrong block). A rule line that does not parse
is reported too. Exit codes: 0 every rule is fresh, 1 some are stale or broken, 2 usage.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass
from typing import Any

from scrapy import Request, Spider
from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError
from scrapy.http import Response, TextResponse
from twisted.python.failure import Failure

from newsmirror.commands.extract import switch_off_writers
from newsmirror.extract.page import Page, squash
from newsmirror.items import ArticleItem
from newsmirror.reading import FetchedPage, check_reading_settings, read_page_explained
from newsmirror.siterules.book import RuleBook, rule_book_for
from newsmirror.siterules.rules import RuleTest, SiteRule

EXIT_STALE = 1
_FEED_TYPES = ("xml", "rss", "atom")


@dataclass
class TestOutcome:
    """What checking one ``test_url`` of one rule file found."""

    rule: str
    line: int
    url: str
    stale: bool
    reasons: list[str]


class FetchTestPages(Spider):
    """Fetches every test URL once and keeps the bytes, or why the fetch failed; parses nothing."""

    name = "newsmirror-siterules-check"

    def __init__(self, urls: list[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.urls = urls
        self.fetched: dict[str, FetchedPage] = {}
        self.feeds: set[str] = set()
        self.failures: dict[str, str] = {}

    async def start(self) -> AsyncIterator[Request]:
        """Request every test URL, through every downloader middleware of the project."""
        for url in self.urls:
            yield Request(url, callback=self.keep, errback=self.fetch_failed, dont_filter=True, cb_kwargs={"test_url": url})

    def keep(self, response: Response, test_url: str) -> None:
        """Keep the page's bytes under the URL the rule names (redirects followed)."""
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1").lower()
        if any(kind in content_type for kind in _FEED_TYPES):
            self.feeds.add(test_url)
        if isinstance(response, TextResponse) or not content_type:
            self.fetched[test_url] = FetchedPage.from_response(response)
        else:
            self.failures[test_url] = f"not a page ({content_type})"

    def fetch_failed(self, failure: Failure) -> None:
        """Keep why the fetch failed."""
        request = getattr(failure, "request", None)
        url = request.cb_kwargs.get("test_url", request.url) if request is not None else ""
        self.failures[url] = failure.getErrorMessage() or failure.type.__name__


def check_test(rule: SiteRule, test: RuleTest, fetched: FetchedPage | None, failure: str,
               timezones: dict[str, str], undated: str) -> TestOutcome:
    """Check one test of *rule* on the page fetched for it (None: the fetch failed with *failure*)."""
    outcome = TestOutcome(rule.name, test.line, test.url, False, [])
    if fetched is None:
        outcome.stale = True
        outcome.reasons.append(f"could not fetch the page: {failure or 'no response'}")
        return outcome
    read, fields = read_page_explained(ArticleItem(url=test.url), fetched, timezones, undated, rule)
    reading = fields.rule_reading
    body = reading.candidates.get("body") if reading is not None else None
    if rule.body and body is None:
        outcome.reasons.append("no body line of the rule selects anything on the page")
    elif reading is not None and "body" in reading.fallbacks:
        outcome.reasons.append(f"the rule's body falls back to the generic rules: {reading.fallbacks['body']}")
    if body is not None:
        extracted = squash(body.value.text_content())
        what = "the body the rule extracts"
    else:
        extracted = squash(fields.body.text_content()) if fields.body is not None else ""
        what = "the extracted body"
    page_text = squash(Page.from_bytes(fetched.url, fetched.body, fetched.charset).tree.text_content())
    for snippet in test.contains:
        wanted = squash(snippet)
        if wanted in extracted:
            continue
        where = "the page holds it: the rule selects another block" if wanted in page_text else "the page no longer holds it"
        outcome.reasons.append(f"{what} lacks {snippet!r} ({where})")
    if read.problem is not None and not test.contains and not outcome.reasons:
        outcome.reasons.append(f"the page does not read as an article: {read.problem}")
    outcome.stale = bool(outcome.reasons)
    return outcome


class Command(ScrapyCommand):
    """``scrapy siterules check [FILE ...] [--rules DIR] [--json]``."""

    requires_project = True

    def syntax(self) -> str:
        """The command's arguments."""
        return "check [FILE ...] [--rules DIR] [--json]"

    def short_desc(self) -> str:
        """One line for ``scrapy -h``."""
        return "Fetch every site rule's test_url and report the stale rules"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        """Add --rules and --json."""
        super().add_options(parser)
        parser.add_argument("--rules", metavar="DIR", help="the folder of rule files (default: MIRROR_SITE_RULES)")
        parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        """Keep the crawl's INFO lines out of the report, unless --loglevel asks for them."""
        super().process_options(args, opts)
        assert self.settings is not None
        if not opts.loglevel:
            self.settings.set("LOG_LEVEL", "WARNING", priority="cmdline")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        """Load the rules, fetch their test pages, check them, print the report."""
        assert self.settings is not None
        if not args or args[0] != "check":
            raise UsageError("say what to do: scrapy siterules check [FILE ...]")
        folder = opts.rules or self.settings.get("MIRROR_SITE_RULES")
        if not folder:
            raise UsageError("no rules to check: set MIRROR_SITE_RULES or give --rules DIR")
        timezones = self.settings.getdict("MIRROR_TIMEZONES")
        undated = self.settings.get("MIRROR_UNDATED", "drop")
        try:
            check_reading_settings(timezones, undated)
            book = rule_book_for(folder)  # the crawl's header middleware reads this same book
        except ValueError as error:
            raise UsageError(str(error)) from None
        assert book is not None  # folder is not empty
        rules = _chosen_rules(book, args[1:])
        urls = list(dict.fromkeys(test.url for rule in rules for test in rule.tests))
        spider = self._fetch(urls, folder) if urls else None
        outcomes = []
        for rule in rules:
            for test in rule.tests:
                if spider is not None and test.url in spider.feeds:
                    continue  # a feed's URL: Full-Text RSS tests the feed, a mirror reads its articles
                fetched = spider.fetched.get(test.url) if spider is not None else None
                failure = spider.failures.get(test.url, "") if spider is not None else ""
                outcomes.append(check_test(rule, test, fetched, failure, timezones, undated))
        chosen = {rule.name for rule in rules}
        broken = [problem for problem in book.problems if problem.split(":", 1)[0] in chosen]
        report = {
            "rules": len(rules),
            "tests": len(outcomes),
            "untested": sorted(rule.name for rule in rules if not rule.tests),
            "stale": sorted({outcome.rule for outcome in outcomes if outcome.stale}),
            "broken_lines": broken,
            "outcomes": [asdict(outcome) for outcome in outcomes],
        }
        print(json.dumps(report, ensure_ascii=False, indent=2) if opts.json else render(report))
        if report["stale"] or broken:
            self.exitcode = EXIT_STALE

    def _fetch(self, urls: list[str], folder: str) -> FetchTestPages:
        """Fetch *urls* with the project's downloader stack (and the rules' headers), nothing that writes."""
        assert self.crawler_process is not None
        crawler = self.crawler_process.create_crawler(FetchTestPages)
        switch_off_writers(crawler)
        # The rules' http_header lines go out as in a crawl, from the folder being checked.
        crawler.settings.set("MIRROR_SITE_RULES", folder, priority="cmdline")
        self.crawler_process.crawl(crawler, urls=urls)
        self.crawler_process.start()
        spider = crawler.spider
        assert isinstance(spider, FetchTestPages)
        return spider


def _chosen_rules(book: RuleBook, names: list[str]) -> list[SiteRule]:
    """Return the rules named on the command line (file names), or all; an unknown name is a usage error."""
    if not names:
        return book.rules
    known = {rule.name: rule for rule in book.rules}
    unknown = [name for name in names if name not in known]
    if unknown:
        raise UsageError(f"no rule file {', '.join(map(repr, unknown))} in {book.folder}")
    return [known[name] for name in dict.fromkeys(names)]


def render(report: dict[str, Any]) -> str:
    """Return the report as text: one line per test, the broken lines, then the summary."""
    lines = []
    for outcome in report["outcomes"]:
        mark = "STALE" if outcome["stale"] else "ok   "
        lines.append(f"{mark} {outcome['rule']}:{outcome['line']} {outcome['url']}")
        lines += [f"      {reason}" for reason in outcome["reasons"]]
    lines += [f"BROKEN {problem}" for problem in report["broken_lines"]]
    stale = report["stale"]
    lines.append(
        f"{report['rules']} rule files, {report['tests']} tests: "
        + (f"{len(stale)} stale ({', '.join(stale)})" if stale else "none stale")
        + (f", {len(report['broken_lines'])} broken lines" if report["broken_lines"] else "")
        + (f"; no test_url in {len(report['untested'])}" if report["untested"] else "")
    )
    return "\n".join(lines)

