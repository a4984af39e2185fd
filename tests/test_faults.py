"""Faults on the wire, end to end: the real engine against the loopback server's fault resources.

Every article ends either mirrored or reported ("Article not mirrored: URL: reason"),
with a reason an operator can act on; retries back off, obey Retry-After within a
cap, and stop within a time budget.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from email.utils import format_datetime
from pathlib import Path

import pytest

from newsmirror.middlewares import backoff_delay, retry_after_seconds
from tests.support.cases import build_site, load_cases
from tests.support.crawl import CrawlResult, read_tree, run_crawl
from tests.support.feedfixtures import FEED_HOST, RSS_20_CONTENT_ENCODED
from tests.support.localsite import LocalSite, running_site
from tests.support.posts import check_posts

ARTICLE = (
    "<html><head><title>Ferry timetable changes</title>"
    "<meta property='article:published_time' content='2024-03-04T05:06:07Z'></head>"
    "<body><h1>Ferry timetable changes</h1><p>The winter timetable starts on Monday.</p></body></html>"
)
# Fast retries: the waits are checked as lower bounds, never as upper ones.
QUICK_RETRIES = {"MIRROR_RETRY_BACKOFF": "0.05"}


@pytest.fixture(scope="module")
def site_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("site")
    for name in ("news/ferry.html", "news/moved.html"):
        target = root / "localhost" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(ARTICLE.replace("Ferry", "Ferry" if name.endswith("ferry.html") else "Moved ferry"), "utf-8")
    (root / "localhost/news/old.html.headers").write_text("STATUS 301\nLocation: /news/moved.html\n", "utf-8")
    return root


@pytest.fixture(scope="module")
def site(site_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSite]:
    with running_site(site_root, tmp_path_factory.mktemp("log") / "requests.jsonl") as running:
        yield running


def crawl(site: LocalSite, tmp_path: Path, *paths: str, settings: dict[str, str] | None = None) -> CrawlResult:
    """Crawl the given server paths as articles on the loopback server (also the crawl's proxy)."""
    urls = ",".join(site.url(path) for path in paths)
    return run_crawl(
        "article",
        "-a",
        f"url={urls}",
        env=site.proxy_env(),
        settings={"MIRROR_DIR": str(tmp_path / "mirror"), **QUICK_RETRIES, **(settings or {})},
        index=tmp_path / "index.jsonl",
    )


def requests_for(site: LocalSite, path: str) -> list[dict]:
    return [entry for entry in site.requests() if entry["path"] == path]


def failure_line(result: CrawlResult, site: LocalSite, path: str) -> str:
    """Return the reason logged for the article at *path*; fail if there is none."""
    prefix = f"Article not mirrored: {site.url(path)}: "
    lines = [line.split(prefix, 1)[1] for line in result.log.splitlines() if prefix in line]
    assert len(lines) == 1, f"expected one failure line for {path}:\n{result.log[-4000:]}"
    return lines[0]


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_retried_then_reported_with_the_status(site: LocalSite, tmp_path: Path, status: int) -> None:
    path = f"/_fault/status/{status}"
    result = crawl(site, tmp_path, path, settings={"RETRY_TIMES": "2"})
    reason = failure_line(result, site, path)
    assert reason.startswith(f"HTTP {status} ") and reason.endswith("(gave up after 3 attempts)")
    assert len(requests_for(site, path)) >= 3
    assert result.stat("newsmirror/failed") == 1
    assert not (tmp_path / "mirror").exists() or not list((tmp_path / "mirror").rglob("*.md"))


def test_retries_back_off_exponentially(site: LocalSite, tmp_path: Path) -> None:
    path = "/_fault/fail-first/3/500/news/ferry.html"
    result = crawl(site, tmp_path, path, settings={"MIRROR_RETRY_BACKOFF": "0.4", "RETRY_TIMES": "3"})
    assert [item["title"] for item in result.items] == ["Ferry timetable changes"]
    times = [entry["time"] for entry in requests_for(site, path)]
    assert len(times) == 4
    gaps = [later - earlier for earlier, later in zip(times, times[1:])]
    # 0.4 s, then 0.8 s, then 1.6 s: each wait at least the backoff asks.
    assert gaps[0] >= 0.4 and gaps[1] >= 0.8 and gaps[2] >= 1.6, gaps
    check_posts(tmp_path / "mirror", result.items)


def test_429_retry_after_is_obeyed(site: LocalSite, tmp_path: Path) -> None:
    path = "/_fault/fail-first/1/429/news/ferry.html"
    result = crawl(site, tmp_path, path)
    assert len(result.items) == 1
    first, second = requests_for(site, path)
    assert first["status"] == 429 and second["status"] == 200
    # Retry-After: 1, though the backoff alone would wait only 0.05 s.
    assert second["time"] - first["time"] >= 1.0


def test_429_asking_too_long_a_wait_fails_at_once_with_the_reason(site: LocalSite, tmp_path: Path) -> None:
    path = "/_fault/retry-after/3600"
    result = crawl(site, tmp_path, path)
    reason = failure_line(result, site, path)
    assert reason == (
        "HTTP 429 Too Many Requests: the server asks to wait 3600 s, more than MIRROR_RETRY_AFTER_MAX (60 s)"
    )
    assert len(requests_for(site, path)) == 1


def test_retries_stop_when_the_time_budget_is_spent(site: LocalSite, tmp_path: Path) -> None:
    path = "/_fault/status/504"
    settings = {"RETRY_TIMES": "50", "MIRROR_RETRY_BACKOFF": "0.5", "MIRROR_RETRY_BUDGET": "4"}
    result = crawl(site, tmp_path, path, settings=settings)
    attempts = requests_for(site, path)
    # Waits of 0.5 s and 1 s fit in the 4 s budget with a second to spare; 2 s more do
    # not. Without the budget there would be 51 attempts.
    assert 2 <= len(attempts) <= 3
    assert failure_line(result, site, path).startswith("HTTP 504 Gateway Timeout (gave up after")
    assert result.stat("newsmirror/retry_budget_spent") == 1


@pytest.mark.parametrize(
    ("path", "settings", "reason"),
    [
        ("/_fault/reset", {}, "the connection was closed or reset before any response (gave up after 4 attempts)"),
        ("/_fault/drop", {}, "the connection was closed or reset before any response (gave up after 4 attempts)"),
        ("/_fault/partial", {}, "the connection closed before the whole body arrived (truncated response) (gave up after 4 attempts)"),
        ("/_fault/slow/4", {"DOWNLOAD_TIMEOUT": "1", "RETRY_TIMES": "1"}, "timed out (gave up after 2 attempts)"),
    ],
)  # fmt: skip
def test_broken_connections_are_retried_then_reported(
    site: LocalSite, tmp_path: Path, path: str, settings: dict[str, str], reason: str
) -> None:
    result = crawl(site, tmp_path, path, settings=settings)
    assert failure_line(result, site, path) == reason
    assert result.stat("newsmirror/failed") == 1
    assert "Traceback" not in result.log


def test_redirect_loop_is_reported_not_swallowed(site: LocalSite, tmp_path: Path) -> None:
    path = "/_fault/redirect-loop"
    result = crawl(site, tmp_path, path)
    url = site.url(path)
    assert failure_line(result, site, path) == f"redirect loop: {url} -> {url}"


def test_ten_redirects_are_followed_and_eleven_are_too_many(site: LocalSite, tmp_path: Path) -> None:
    result = crawl(site, tmp_path, "/_fault/redirect/10", "/_fault/redirect/11")
    # Ten hops reach the final page (which has no headline, so it is dropped for that).
    assert "no title found on " + site.url("/_fault/redirect/0") in result.log
    assert failure_line(result, site, "/_fault/redirect/11") == (
        f"more than 10 redirects (REDIRECT_MAX_TIMES), from {site.url('/_fault/redirect/11')}"
    )


def test_a_redirect_to_a_page_already_fetched_is_still_mirrored(site: LocalSite, tmp_path: Path) -> None:
    # Scrapy's duplicate filter drops such a hop without a word; both articles must end somewhere.
    result = crawl(site, tmp_path, "/news/moved.html", "/news/old.html", settings={"CONCURRENT_REQUESTS": "1"})
    assert sorted(item["url"] for item in result.items) == [site.url("/news/moved.html"), site.url("/news/old.html")]
    assert "Article not mirrored" not in result.log


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/_fault/big/10", "larger than DOWNLOAD_MAXSIZE: Expected to receive 10"),
        ("/_fault/gzip-bomb", "exceeded DOWNLOAD_MAXSIZE (8388608 B) during decompression"),
        ("/_fault/pdf", "not an HTML page (Content-Type: application/pdf)"),
        ("/_fault/image", "not an HTML page (Content-Type: image/png)"),
    ],
)
def test_oversized_compressed_and_binary_bodies_fail_with_their_reason(
    site: LocalSite, tmp_path: Path, path: str, reason: str
) -> None:
    result = crawl(site, tmp_path, path)
    assert reason in failure_line(result, site, path)
    assert len(requests_for(site, path)) == 1, "a size cap or a binary body is not worth a retry"


def test_empty_page_is_dropped_with_a_reason(site: LocalSite, tmp_path: Path) -> None:
    result = crawl(site, tmp_path, "/_fault/empty")
    assert result.items == []
    assert f"no title found on {site.url('/_fault/empty')}" in result.log
    assert result.stat("item_dropped_reasons_count/NoTitle") == 1


# --------------------------------------------------------------------------- the fault run

CASES = load_cases()
WIRE_HOST = "wire.example.com"
WIRE_ARTICLES = 40


def build_fault_run_site(root: Path) -> list[str]:
    """Lay out the fixture cases plus 40 small articles; return every article URL."""
    build_site(root, CASES)
    urls = [case.url for case in CASES]
    for number in range(WIRE_ARTICLES):
        page = ARTICLE.replace("Ferry timetable changes", f"Wire story {number:02d}").replace("Monday", f"day {number}")
        target = root / WIRE_HOST / "story" / f"{number:02d}.html"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(page, encoding="utf-8")
        urls.append(f"http://{WIRE_HOST}/story/{number:02d}.html")
    return urls


def test_fault_run_mirrors_every_article_byte_identical_to_a_clean_run(tmp_path: Path) -> None:
    """20 % of responses 503 and 5 % resets: every article still ends mirrored, the same bytes."""
    root = tmp_path / "site"
    article_urls = build_fault_run_site(root)
    url_file = tmp_path / "urls.txt"
    url_file.write_text("\n".join(article_urls) + "\n", encoding="utf-8")
    trees = {}
    for mode, seed in (("clean", None), ("flaky", 20240115)):
        with running_site(root, tmp_path / f"{mode}.jsonl", flaky_seed=seed) as running:
            out = tmp_path / mode / "mirror"
            # Up to 6 attempts: a seeded 25 % failure rate leaves an article unmirrored 1 time in 4096.
            settings = {"MIRROR_DIR": str(out), "RETRY_TIMES": "5", **QUICK_RETRIES}
            result = run_crawl(
                "article", "-a", f"urls={url_file}", env=running.proxy_env(),
                settings=settings, index=tmp_path / mode / "index.jsonl",
            )  # fmt: skip
            assert sorted(item["url"] for item in result.items) == sorted(article_urls)
            assert "Article not mirrored" not in result.log
            trees[mode] = read_tree(out)
            statuses = [entry["status"] for entry in running.requests() if entry["method"] == "GET"]
    # The flaky server really failed requests of both kinds (a reset logs no status).
    assert statuses.count(503) >= 5 and statuses.count(None) >= 1, statuses
    assert trees["flaky"] == trees["clean"] and len(trees["clean"]) == len(article_urls)
    check_posts(tmp_path / "flaky" / "mirror")


# --------------------------------------------------------------------------- the retry arithmetic


def test_retry_after_reads_seconds_and_http_dates() -> None:
    now = datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc).timestamp()
    assert retry_after_seconds(b"120", now) == 120.0
    in_ninety = format_datetime(datetime(2024, 1, 2, 3, 5, 35, tzinfo=timezone.utc), usegmt=True).encode()
    assert retry_after_seconds(in_ninety, now) == 90.0
    assert retry_after_seconds(b"Tue, 01 Jan 2019 00:00:00 GMT", now) == 0.0  # in the past: no wait
    assert retry_after_seconds(b"soon", now) is None
    assert retry_after_seconds(None, now) is None


def test_backoff_doubles_up_to_its_cap() -> None:
    assert [backoff_delay(n, 1.0, 30.0) for n in range(1, 8)] == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]


def test_a_feed_that_answers_html_fails_its_source_and_the_run_goes_on(tmp_path: Path) -> None:
    served = tmp_path / "site" / FEED_HOST / RSS_20_CONTENT_ENCODED.name
    served.parent.mkdir(parents=True)
    served.write_bytes(RSS_20_CONTENT_ENCODED.body)
    feed = RSS_20_CONTENT_ENCODED.url
    with running_site(tmp_path / "site") as site:
        html_feed = f"http://{FEED_HOST}/_fault/html-feed"
        result = run_crawl(
            "feed",
            "-a", f"url={html_feed},{feed}",
            "-a", "fulltext=feed",
            env=site.proxy_env(),
            settings={"MIRROR_DIR": str(tmp_path / "mirror")},
            index=tmp_path / "index.jsonl",
        )  # fmt: skip
    assert f"Source {html_feed} failed: {html_feed}: not a feed" in result.log
    assert [item["url"] for item in result.items] == [RSS_20_CONTENT_ENCODED.items[0][1]]
    assert result.stat("newsmirror/sources/failed") == 1


def test_a_wait_for_a_retry_holds_no_download_slot(site: LocalSite, site_root: Path, tmp_path: Path) -> None:
    # One host answers 429 "Retry-After: 20" to every page; while its retries wait, the
    # 50 pages of another host are all fetched: no waiting retry holds a download slot.
    pages = [f"/news/unthrottled-{n}.html" for n in range(50)]
    for n, path in enumerate(pages):
        (site_root / "localhost" / path.lstrip("/")).write_text(ARTICLE.replace("Ferry", f"Page {n} ferry"), "utf-8")
    throttled = [f"http://throttled.example/_fault/retry-after/20?article={n}" for n in range(2)]
    urls = ",".join([*throttled, *(site.url(path) for path in pages)])
    settings = {"CONCURRENT_REQUESTS": "2", "RETRY_TIMES": "1", "AUTOTHROTTLE_ENABLED": "False", "DOWNLOAD_DELAY": "0"}
    result = run_crawl(
        "article", "-a", f"url={urls}", env=site.proxy_env(),
        settings={"MIRROR_DIR": str(tmp_path / "mirror"), **QUICK_RETRIES, **settings},
        index=tmp_path / "index.jsonl",
    )  # fmt: skip
    answered = [entry for entry in site.requests() if entry["path"].startswith("/_fault/retry-after/20?article=")]
    first_429 = min(entry["time"] for entry in answered if entry["status"] == 429)
    fetched = [entry["time"] for entry in site.requests() if entry["path"] in pages]
    assert len(fetched) == 50
    assert max(fetched) - first_429 < 10, "pages of another host waited for the 429 host's Retry-After"
    assert len(result.items) == 50
    # The throttled articles were retried after their wait, not before, and then reported.
    assert len(answered) == 4
    assert sorted(entry["time"] for entry in answered)[-1] - first_429 >= 20
    assert result.stat("newsmirror/failed") == 2
