"""Scale-out on Redis: two real workers share one crawl through a real ``redis-server``.

Each article is fetched once (counted in the loopback server's request log), and the
union of the workers' output equals a single machine's.  Requests go through Redis as
JSON, ListingHints and datetimes included.  Without ``redis-server`` the Redis tests
skip with the reason, except on CI (``CI=true``), where that is an error.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from scrapy.utils.request import request_from_dict

from newsmirror.items import ListingHints
from newsmirror.scaleout import dumps, loads
from newsmirror.spiders.article import ArticleSpider
from tests.support.crawl import REPO_ROOT, read_tree, run_crawl
from tests.support.localsite import LocalSite, running_site

HOST = "scale.example.com"
ARTICLES = 300


def test_queued_requests_round_trip_as_json_with_their_hints() -> None:
    spider = ArticleSpider(url="https://example.com/a")
    hints = ListingHints(title="Tide tables", date=datetime(2024, 5, 1, 8, tzinfo=timezone(timedelta(hours=8))), author="Desk")
    request = spider.article_request("https://example.com/a", hints, source="feed", categories=["港口", "news"])
    request.meta["redirect_urls"] = ("https://example.com/old",)
    stored = dumps(request.to_dict(spider=spider))
    assert stored.startswith("{") and "Tide tables" in stored  # JSON text, not a pickle
    back = request_from_dict(loads(stored.encode("utf-8")), spider=spider)
    assert back.cb_kwargs == request.cb_kwargs and back.cb_kwargs["hints"].date == hints.date
    assert back.callback == spider.parse_article and back.errback == spider.article_failed
    assert back.url == request.url and back.headers == request.headers and back.meta == request.meta


def test_what_json_cannot_say_is_refused_with_a_reason() -> None:
    with pytest.raises(TypeError, match="cannot store a object in a queued request"):
        dumps({"cb_kwargs": {"thing": object()}})


def _redis_server() -> str:
    path = shutil.which("redis-server")
    if path is None:
        if os.environ.get("CI", "").strip().lower() == "true":
            pytest.fail("CI=true but redis-server is not installed (.ci/run installs Debian's redis-server)")
        pytest.skip("Redis tests skipped: redis-server is not installed (apt-get install redis-server; CI=true makes this an error)")
    return path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    server = _redis_server()
    port = _free_port()
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalSite, Path]]:
    root = tmp_path_factory.mktemp("site")
    (root / HOST).mkdir()
    urls = []
    for n in range(ARTICLES):
        page = (
            f"<html><head><title>Scale article {n}</title>"
            f"<meta property='article:published_time' content='2024-06-{n % 28 + 1:02d}T{n % 24:02d}:30:00Z'>"
            f"</head><body><h1>Scale article {n}</h1><p>Body of article {n}.</p></body></html>"
        )
        (root / HOST / f"s{n}.html").write_text(page, encoding="utf-8")
        urls.append(f"http://{HOST}/s{n}.html")
    url_file = tmp_path_factory.mktemp("urls") / "urls.txt"
    url_file.write_text("\n".join(urls) + "\n", encoding="utf-8")
    with running_site(root, tmp_path_factory.mktemp("log") / "requests.jsonl") as running:
        yield running, url_file


def _article_fetches(site: LocalSite, since: int) -> Counter[str]:
    return Counter(entry["path"] for entry in site.requests()[since:] if entry["path"].startswith("/s"))


def test_two_workers_fetch_each_article_once_and_together_write_what_one_machine_writes(
    site: tuple[LocalSite, Path], redis_url: str, tmp_path: Path
) -> None:
    running, url_file = site
    args = ("-a", f"urls={url_file}")
    single_out = tmp_path / "single" / "mirror"
    run_crawl("article", *args, env=running.proxy_env(), settings={"MIRROR_DIR": str(single_out)})
    expected = read_tree(single_out)
    assert len(expected) == ARTICLES

    since = len(running.requests())
    env = {**running.proxy_env(), "PYTHONPATH": str(REPO_ROOT)}
    env.pop("SCRAPY_SETTINGS_MODULE", None)
    workers = []
    for name in ("w1", "w2"):
        command = [sys.executable, "-m", "scrapy", "crawl", "article", *args, "-s", f"MIRROR_DIR={tmp_path / name / 'mirror'}",
                   "-s", f"REDIS_URL={redis_url}", "-s", "AUTOTHROTTLE_ENABLED=False"]  # fmt: skip
        log = (tmp_path / f"{name}.log").open("w")
        workers.append((subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT), log))
    for process, log in workers:
        assert process.wait(timeout=180) == 0
        log.close()
    logs = [(tmp_path / f"{name}.log").read_text(encoding="utf-8") for name in ("w1", "w2")]
    for log_text in logs:
        assert "Warning: " not in log_text, log_text[-3000:]
        assert "'scheduler/dequeued/redis'" in log_text  # the shared scheduler really ran

    fetches = _article_fetches(running, since)
    assert len(fetches) == ARTICLES and set(fetches.values()) == {1}  # each article fetched exactly once
    first, second = read_tree(tmp_path / "w1" / "mirror"), read_tree(tmp_path / "w2" / "mirror")
    assert first and second, "one worker did all the work: the crawl was not shared"
    assert not set(first) & set(second)  # no article written twice
    assert {**first, **second} == expected

    # The Redis ledger is shared: a third run (any worker) fetches no known article.
    since = len(running.requests())
    again = run_crawl("article", *args, env=running.proxy_env(),
                      settings={"MIRROR_DIR": str(tmp_path / "w1" / "mirror"), "MIRROR_REDIS_URL": redis_url})  # fmt: skip
    assert not _article_fetches(running, since) and again.stat("newsmirror/skipped/known") == ARTICLES


def test_the_redis_ledger_gives_a_path_to_one_article_and_keeps_its_rows(redis_url: str, tmp_path: Path) -> None:
    from newsmirror.store.redis import RedisLedger
    from newsmirror.store import LedgerEntry

    first, second = RedisLedger(redis_url, tmp_path / "w1"), RedisLedger(redis_url, tmp_path / "w2")
    first.open()
    second.open()
    # Two workers, two articles with one title, at once: exactly one gets the path.
    assert first.claim_path("news/storm.md", "https://a.example/1")
    assert not second.claim_path("news/storm.md", "https://a.example/2")
    assert second.claim_path("news/storm.md", "https://a.example/1")  # the same article may retake it
    entry = LedgerEntry("https://a.example/1", "news/Storm.md", "news/storm.md", "0" * 64, "2024-01-01T00:00:00+00:00",
                        "2024-01-01T00:00:00+00:00", "2024-01-01T00:00:00+00:00", etag='"e"', status="new")  # fmt: skip
    first.record(entry, aliases=["https://a.example/1?utm_source=x"])
    assert second.get("https://a.example/1") == entry and second.find("https://a.example/1?utm_source=x") == entry
    assert second.owner_of("news/storm.md") == "https://a.example/1"
    assert second.where("https://a.example/1") == str((tmp_path / "w1").resolve())
    assert list(second.entries()) == [entry]
    first.close()
    second.close()


def test_both_ledgers_rekey_an_article_in_place(redis_url: str, tmp_path: Path) -> None:
    """Issue 14: a refresh that finds a new canonical URL moves the row; path, date and aliases follow."""
    import dataclasses

    from newsmirror.store import Ledger, LedgerEntry
    from newsmirror.store.redis import RedisLedger

    stamp = "2024-01-01T00:00:00+00:00"
    old, new, asked = "https://a.example/2024/05/harbour", "https://a.example/news/harbour-opens", "https://a.example/s/4711"
    entry = LedgerEntry(old, "news/Harbour.md", "news/harbour.md", "1" * 64, stamp, stamp, stamp, status="new")
    for ledger in (RedisLedger(redis_url, tmp_path / "w1"), Ledger(tmp_path / "state.sqlite", tmp_path / "mirror")):
        ledger.open()
        ledger.record(entry, aliases=[asked])
        ledger.rekey(old, new)
        assert ledger.get(old) is None  # the old key holds no post any more
        assert ledger.get(new) == dataclasses.replace(entry, canonical_url=new)
        assert ledger.find(asked) == ledger.find(old) == ledger.find(new) == ledger.get(new)
        assert ledger.owner_of("news/harbour.md") == new
        assert [row.canonical_url for row in ledger.entries()] == [new]
        ledger.close()
