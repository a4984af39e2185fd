"""``scrapy crawl mirror``: every source of a sources file in one crawl, and the run report."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.crawl import run_crawl
from tests.support.feedfixtures import FEED_HOST, RSS_20_CONTENT_ENCODED, RSSHUB
from tests.support.localsite import LocalSite, running_site
from tests.support.offline import OFFLINE, REFUSED
from tests.support.pages import article_page
from tests.support.posts import check_posts, split_post

NEWS_HOST = "news.example.com"
BROKEN_SITEMAP = "http://broken.example.net/sitemap.xml"  # a host the server has no folder for: 404

SOURCES = f"""\
[[source]]
name = "twenty-news"
type = "feed"
url = "{RSS_20_CONTENT_ENCODED.url}"
fulltext = "feed"
categories = ["Feeds", "Twenty"]

[[source]]
name = "broken-sitemap"
type = "sitemap"
url = "{BROKEN_SITEMAP}"

[[source]]
name = "by-hand"
type = "urls"
urls = ["http://{NEWS_HOST}/hand/1.html", "http://{NEWS_HOST}/hand/2.html"]
site_name = "Example Daily"
timezone = "Asia/Shanghai"

[[source]]
name = "switched-off"
type = "feed"
url = "{RSSHUB.url}"
enabled = false
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSite]:
    root = tmp_path_factory.mktemp("site")
    files = {
        f"{FEED_HOST}/{RSS_20_CONTENT_ENCODED.name}": RSS_20_CONTENT_ENCODED.body,
        f"{FEED_HOST}/{RSSHUB.name}": RSSHUB.body,
        # A naive date: the source's time zone (Asia/Shanghai) reads it.
        f"{NEWS_HOST}/hand/1.html": article_page("Harbour opens", "2024-07-09 10:00", "First hand-picked article."),
        f"{NEWS_HOST}/hand/2.html": article_page("Tram returns", "2024-07-10T08:00:00Z", "Second hand-picked article."),
    }
    for name, body in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(body)
    with running_site(root, tmp_path_factory.mktemp("log") / "requests.jsonl") as running:
        yield running


def test_mirror_runs_every_source_and_the_report_names_the_broken_one(site: LocalSite, tmp_path: Path) -> None:
    sources = tmp_path / "sources.toml"
    sources.write_text(SOURCES, encoding="utf-8")
    out = tmp_path / "mirror"
    log_file = tmp_path / "logs" / "mirror.log"
    log_file.parent.mkdir()
    settings = {"MIRROR_SOURCES": str(sources), "MIRROR_DIR": str(out), "LOG_FILE": str(log_file)}
    result = run_crawl("mirror", env=site.proxy_env(), settings=settings, index=tmp_path / "index.jsonl")
    log = log_file.read_text(encoding="utf-8")

    # The two working sources are mirrored fully.
    by_url = {item["url"]: item for item in result.items}
    feed_item, hand_1, hand_2 = RSS_20_CONTENT_ENCODED.items[0][1], f"http://{NEWS_HOST}/hand/1.html", f"http://{NEWS_HOST}/hand/2.html"
    assert set(by_url) == {feed_item, hand_1, hand_2}
    assert by_url[feed_item]["source"] == "twenty-news" and by_url[feed_item]["categories"] == ["Feeds", "Twenty"]
    assert by_url[hand_1]["source"] == "by-hand"
    front, _ = split_post((out / by_url[hand_1]["post_path"]).read_bytes())
    assert front["author"] == "Example Daily"  # the page names nobody: the source's site_name
    assert front["date"] == "Tue, 09 Jul 2024 02:00:00 GMT"  # 10:00 in Shanghai
    check_posts(out, result.items)
    # The disabled source is never fetched.
    assert not [request for request in site.requests() if request["path"] == f"/{RSSHUB.name}"]

    # The run report sits beside the log file and names the broken source and why.
    report = json.loads((tmp_path / "logs" / "mirror.report.json").read_text(encoding="utf-8"))
    assert report["spider"] == "mirror" and report["finish_reason"] == "finished"
    sources_report = {entry["name"]: entry for entry in report["sources"]}
    assert list(sources_report) == ["twenty-news", "broken-sitemap", "by-hand"]
    assert sources_report["twenty-news"]["status"] == "ok" and sources_report["twenty-news"]["posts"] == {"new": 1}
    assert sources_report["by-hand"]["posts"] == {"new": 2}
    broken = sources_report["broken-sitemap"]
    assert broken["status"] == "failed"
    assert broken["errors"] == [{"url": BROKEN_SITEMAP, "reason": "HTTP 404 Not Found"}]
    assert report["pages"]["received"] >= 4
    # ... and so does the summary at the end of the log.
    assert "  twenty-news: 1 new, 0 updated, 0 unchanged, 0 failed" in log
    assert "  broken-sitemap: failed: HTTP 404 Not Found" in log
    assert "  by-hand: 2 new, 0 updated, 0 unchanged, 0 failed" in log
    assert "Source switched-off is disabled" in log

    # The next run fetches no known article, writes nothing, and says so.
    run_crawl("mirror", env=site.proxy_env(), settings=settings)
    again = json.loads((tmp_path / "logs" / "mirror.report.json").read_text(encoding="utf-8"))
    assert {entry["name"]: entry["posts"] for entry in again["sources"]} == {
        "twenty-news": {"known": 1}, "broken-sitemap": {}, "by-hand": {"known": 2}
    }  # fmt: skip


def test_offline_every_source_fails_politely(tmp_path: Path) -> None:
    # No proxy, and a resolver that answers as an offline machine does: what `make mirror` meets here.
    sources = tmp_path / "sources.toml"
    sources.write_text(
        '[[source]]\nname = "far-feed"\ntype = "feed"\nurl = "https://feeds.nowhere.invalid/rss.xml"\n\n'
        '[[source]]\nname = "far-map"\ntype = "sitemap"\nurl = "http://news.nowhere.invalid/sitemap.xml"\n',
        encoding="utf-8",
    )
    env = {name: value for name, value in os.environ.items() if "proxy" not in name.lower()}
    settings = {"MIRROR_SOURCES": str(sources), "MIRROR_DIR": str(tmp_path / "m"), "RETRY_TIMES": "0", **OFFLINE}
    result = run_crawl("mirror", env=env, settings=settings)
    assert f"{REFUSED} " in result.log  # no lookup left this machine
    assert result.returncode == 0
    assert "  far-feed: failed: DNS lookup failed for feeds.nowhere.invalid: no network, or no such host?" in result.log
    assert "  far-map: failed: DNS lookup failed for news.nowhere.invalid: no network, or no such host?" in result.log
    assert "No source could be reached or read; nothing was mirrored." in result.log
    # Our own code raises nothing: any traceback comes from Scrapy's robots.txt middleware alone.
    assert "newsmirror/" not in "".join(line for line in result.log.splitlines() if line.startswith("  File "))
    report = json.loads((tmp_path / ".newsmirror" / "m" / "last-run.json").read_text(encoding="utf-8"))
    assert [entry["status"] for entry in report["sources"]] == ["failed", "failed"]


def test_a_long_run_prints_progress_lines(site: LocalSite, tmp_path: Path) -> None:
    # The page answers after a second; progress every 0.2 s cannot miss it.
    result = run_crawl(
        "article",
        "-a", f"url=http://{NEWS_HOST}/_fault/slow/1",
        env=site.proxy_env(),
        settings={"MIRROR_DIR": str(tmp_path / "m"), "MIRROR_PROGRESS_INTERVAL": "0.2"},
    )  # fmt: skip
    assert "Progress: pages: " in result.log
    assert "Run summary (finished):" in result.log
