"""Incremental cron runs, end to end: the real ``scrapy crawl`` against a loopback site that logs requests.

A run with nothing new sends no article request and touches no file; refresh rewrites
a changed page in place; a hand-edited post is left alone; a second run at once is
refused; too many failures make the exit code non-zero; a lost ledger is rebuilt.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.support.counting import COUNTING_MIDDLEWARES
from tests.support.crawl import REPO_ROOT, mtimes, read_tree, run_crawl, run_python
from tests.support.localsite import LocalSite, running_site
from tests.support.posts import check_posts

HOST = "cron.example.com"


@pytest.fixture(scope="module")
def site_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("site")


@pytest.fixture(scope="module")
def site(site_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSite]:
    (site_root / HOST).mkdir()
    with running_site(site_root, tmp_path_factory.mktemp("log") / "requests.jsonl") as running:
        yield running


def serve(root: Path, name: str, title: str, date: str, text: str, headers: str | None = None) -> str:
    """Put an article page on the test host (read on every request); return its URL."""
    page = (
        f"<html><head><title>{title}</title><meta property='article:published_time' content='{date}'></head>"
        f"<body><h1>{title}</h1><p>{text}</p></body></html>"
    )
    (root / HOST / name).write_text(page, encoding="utf-8")
    if headers is not None:
        (root / HOST / (name + ".headers")).write_text(headers, encoding="latin-1")
    return f"http://{HOST}/{name}"


def article_requests(site: LocalSite, names: list[str]) -> list[dict]:
    """Return the logged requests for the given page names (robots.txt and others left out)."""
    paths = {f"/{name}" for name in names}
    return [entry for entry in site.requests() if entry["path"].split("?")[0] in paths]


def crawl(site: LocalSite, out: Path, *args: str, settings: dict[str, str] | None = None, check: bool = True):
    return run_crawl(
        "article", *args, env=site.proxy_env(), settings={"MIRROR_DIR": str(out), **(settings or {})},
        index=out.parent / "index.jsonl", check=check,
    )  # fmt: skip


def recent(hours: int) -> str:
    """An ISO date *hours* ago: inside a refresh window of one day."""
    return (datetime.now(timezone.utc) - timedelta(hours=hours)).replace(microsecond=0).isoformat()


def test_a_run_with_nothing_new_sends_no_article_request_and_changes_no_file(
    site: LocalSite, site_root: Path, tmp_path: Path
) -> None:
    names = [f"quiet-{n}.html" for n in range(5)]
    urls = [serve(site_root, name, f"Quiet day {n}", "2024-03-0{}T08:00:00Z".format(n + 1), f"Text {n}.") for n, name in enumerate(names)]
    # One article reached through a redirect, one through a tracking parameter: the URL
    # asked for, not only the canonical one, must be recognised next time.
    (site_root / HOST / "moved.html.headers").write_text("STATUS 301\nLocation: /quiet-4.html\n", encoding="latin-1")
    asked = [*urls[:4], f"http://{HOST}/moved.html", urls[1] + "?utm_source=cron"]
    out = tmp_path / "mirror"
    first = crawl(site, out, "-a", "url=" + ",".join(asked))
    assert sorted(item["status"] for item in first.items) == ["new"] * 5 + ["unchanged"]  # ?utm is quiet-1
    first_requests = article_requests(site, [*names, "moved.html"])
    assert len(first_requests) == 7  # 6 asked (the ?utm one is its own request) + the redirect's target
    produced, before = read_tree(out), mtimes(out)
    log_length = len(site.requests())
    time.sleep(0.05)

    second = crawl(site, out, "-a", "url=" + ",".join(asked))
    assert second.items == []
    assert len(site.requests()) == log_length  # not one request: no article, not even robots.txt
    assert second.stat("newsmirror/skipped/known") == len(asked)
    assert second.stat("newsmirror/failed") is None
    assert read_tree(out) == produced and mtimes(out) == before
    check_posts(out, first.items)


def test_known_urls_of_a_list_are_sifted_before_any_request_is_built(
    site: LocalSite, site_root: Path, tmp_path: Path
) -> None:
    # The URL list is looked up in the ledger a chunk at a time (one query per chunk),
    # and a known article never becomes a Request: a cron run over 20,000 known URLs
    # builds none. A middleware nearer the spider than ours counts what the spider built.
    urls = [serve(site_root, f"sifted-{n}.html", f"Sifted {n}", "2024-05-01T08:00:00Z", f"Text {n}.") for n in range(4)]
    out = tmp_path / "mirror"
    counting = {"SPIDER_MIDDLEWARES": COUNTING_MIDDLEWARES}
    first = crawl(site, out, "-a", "url=" + ",".join(urls[:3]), settings=counting)
    assert len(first.items) == 3 and first.stat("test/article_requests_built") == 3
    second = crawl(site, out, "-a", "url=" + ",".join(urls), settings=counting)
    assert [item["url"] for item in second.items] == [urls[3]]
    assert second.stat("test/article_requests_built") == 1  # only the new one
    assert second.stat("newsmirror/skipped/known") == 3


def test_refresh_rewrites_a_changed_page_in_place_with_a_conditional_request(
    site: LocalSite, site_root: Path, tmp_path: Path
) -> None:
    date = recent(2)
    url = serve(site_root, "ferry.html", "Ferry timetable", date, "Winter timetable.", 'ETag: "v1"\n')
    old = serve(site_root, "old-ferry.html", "Old ferry news", "2020-01-01T00:00:00Z", "Long ago.")
    out = tmp_path / "mirror"
    first = crawl(site, out, "-a", f"url={url},{old}")
    path = next(item["post_path"] for item in first.items if item["url"] == url)
    old_bytes = (out / path).read_bytes()

    # The page changes (new text, new ETag, and a later date the post must not take).
    serve(site_root, "ferry.html", "Ferry timetable", recent(1), "Summer timetable.", 'ETag: "v2"\n')
    unasked = crawl(site, out, "-a", f"url={url},{old}")
    assert unasked.items == [] and (out / path).read_bytes() == old_bytes

    refreshed = crawl(site, out, "-a", f"url={url},{old}", "-a", "refresh=1")
    assert [(item["url"], item["status"], item["post_path"]) for item in refreshed.items] == [(url, "updated", path)]
    text = (out / path).read_text(encoding="utf-8")
    assert "Summer timetable." in text
    assert _date_line(old_bytes) == _date_line(text.encode())  # same path, same date
    sent = article_requests(site, ["ferry.html"])[-1]
    assert sent["headers"].get("If-None-Match") == '"v1"'
    assert refreshed.stat("newsmirror/skipped/known") == 1  # the 2020 article is outside one day
    assert sorted(read_tree(out)) == sorted(item["post_path"] for item in first.items)

    # Unchanged since: the server answers 304, which ends quietly (no failure, no write).
    before = mtimes(out)
    again = crawl(site, out, "-a", f"url={url}", settings={"MIRROR_REFRESH_DAYS": "1"})
    assert article_requests(site, ["ferry.html"])[-1]["status"] == 304
    assert again.items == [] and again.stat("newsmirror/skipped/not_modified") == 1
    assert again.stat("newsmirror/failed") is None and mtimes(out) == before


def _date_line(data: bytes) -> bytes:
    return next(line for line in data.splitlines() if line.startswith(b"date: "))


def test_a_post_edited_by_hand_is_left_alone(site: LocalSite, site_root: Path, tmp_path: Path) -> None:
    url = serve(site_root, "edited.html", "Market hours", "2024-02-02T08:00:00Z", "Original text.")
    out = tmp_path / "mirror"
    first = crawl(site, out, "-a", f"url={url}")
    post = out / first.items[0]["post_path"]
    edited = post.read_bytes().replace(b"Original text.", b"Corrected by the editor.")
    post.write_bytes(edited)
    serve(site_root, "edited.html", "Market hours", "2024-02-02T08:00:00Z", "Changed upstream.")
    second = crawl(site, out, "-a", f"url={url}", "-a", "refresh=all")
    assert post.read_bytes() == edited
    assert second.items[0]["status"] == "hand-edited"
    assert f"Post {first.items[0]['post_path']} was edited by hand since it was written; left as it is" in second.log
    assert second.stat("newsmirror/posts/hand-edited") == 1


def test_the_exit_code_says_when_too_many_articles_failed(site: LocalSite, site_root: Path, tmp_path: Path) -> None:
    good = serve(site_root, "fine.html", "Fine article", "2024-02-03T08:00:00Z", "Fine.")
    missing = [f"http://{HOST}/missing-{n}.html" for n in range(2)]
    args = ("-a", "url=" + ",".join([good, *missing]))
    strict = crawl(site, tmp_path / "a" / "mirror", *args, settings={"MIRROR_MAX_FAILED_RATIO": "0.5"}, check=False)
    assert strict.returncode == 3
    assert "newsmirror: 2 of 3 articles failed (67%), more than MIRROR_MAX_FAILED_RATIO=0.5; exiting 3" in strict.log
    assert (tmp_path / "a" / "mirror" / HOST / "Fine article.md").is_file()  # the good one is still written
    lenient = crawl(site, tmp_path / "b" / "mirror", *args, settings={"MIRROR_MAX_FAILED_RATIO": "0.7"}, check=False)
    assert lenient.returncode == 0, lenient.log[-3000:]


def test_a_second_run_at_once_stops_with_a_clear_message(site: LocalSite, tmp_path: Path) -> None:
    out = tmp_path / "mirror"
    slow = f"http://{HOST}/_fault/slow/20"
    env = {**site.proxy_env(), "PYTHONPATH": str(REPO_ROOT)}
    env.pop("SCRAPY_SETTINGS_MODULE", None)
    first = subprocess.Popen(
        [sys.executable, "-m", "scrapy", "crawl", "article", "-a", f"url={slow}", "-s", f"MIRROR_DIR={out}"],
        cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        # The first run writes its pid into the lock file once it holds the lock.
        lock = tmp_path / ".newsmirror" / "mirror" / "state.sqlite.lock"
        deadline = time.monotonic() + 60
        while not (lock.is_file() and lock.read_text() == str(first.pid)):
            assert first.poll() is None and time.monotonic() < deadline, "the first run never took the lock"
            time.sleep(0.1)
        second = crawl(site, out, "-a", f"url=http://{HOST}/locked.html", check=False)
        assert second.returncode == 75
        assert f"another newsmirror run (pid {first.pid}) is using {tmp_path / '.newsmirror' / 'mirror' / 'state.sqlite'}" in second.log
        assert "Spider opened" not in second.log and not article_requests(site, ["locked.html"])
    finally:
        first.kill()
        first.wait()
    # kill -9 frees the lock: the kernel drops flock locks with their process.
    third = crawl(site, out, "-a", f"url=http://{HOST}/locked.html")
    assert third.returncode == 0 and len(article_requests(site, ["locked.html"])) == 1


def test_a_lost_ledger_is_rebuilt_from_posts_with_a_link_line(site: LocalSite, site_root: Path, tmp_path: Path) -> None:
    names = [f"linked-{n}.html" for n in range(3)]
    urls = [serve(site_root, name, f"Linked {n}", "2024-04-0{}T08:00:00Z".format(n + 1), "Text.") for n, name in enumerate(names)]
    out = tmp_path / "mirror"
    linked = {"MIRROR_FRONT_MATTER_LINK": "True"}
    crawl(site, out, "-a", "url=" + ",".join(urls), settings=linked)
    before = mtimes(out)
    state = tmp_path / ".newsmirror" / "mirror" / "state.sqlite"
    for lost in state.parent.glob("state.sqlite*"):
        lost.unlink()
    log_length = len(site.requests())
    rebuilt = crawl(site, out, "-a", "url=" + ",".join(urls), "-a", "rebuild_state=1", settings=linked)
    assert "Ledger rebuilt from" in rebuilt.log and ": 3 post(s) recorded, 0 without a link: line skipped" in rebuilt.log
    assert len(site.requests()) == log_length and rebuilt.stat("newsmirror/skipped/known") == 3
    assert mtimes(out) == before
    with sqlite3.connect(state) as db:
        assert db.execute("SELECT COUNT(*) FROM posts").fetchone()[0] == 3


def test_bad_refresh_arguments_are_refused(tmp_path: Path) -> None:
    for args, message in (
        (("-a", "refresh=soon"), "refresh must be a positive number of days or 'all', not 'soon'"),
        (("-a", "rebuild_state=maybe"), "rebuild_state must be 1 or 0, not 'maybe'"),
    ):
        result = run_crawl("article", "-a", "url=https://example.com/a", *args, settings={"MIRROR_DIR": str(tmp_path / "m")}, check=False)
        assert result.returncode != 0 and message in result.log




LIST_SPIDER = '''
import scrapy
from newsmirror.incremental import LISTING_META
from newsmirror.spiders.base import MirrorSpider


class ListSpider(MirrorSpider):
    name = "listtest"

    def __init__(self, list_url=None, **kwargs):
        super().__init__(**kwargs)
        self.list_url = list_url

    async def start(self):
        yield scrapy.Request(self.list_url, callback=self.parse_list, meta={LISTING_META: True})

    def parse_list(self, response):
        for href in response.css("a::attr(href)").getall():
            yield self.article_request(response.urljoin(href))
'''


def serve_list(site_root: Path, tmp_path: Path, list_name: str, prefix: str, count: int, day: str,
               etag: str = "list-1") -> Path:
    """Serve *count* articles and a list page (with an ETag) linking them; return the list spider's file."""
    names = [f"{prefix}-{n}.html" for n in range(count)]
    for n, name in enumerate(names):
        serve(site_root, name, f"{prefix.title()} {n}", f"{day}{n}T08:00:00Z", "Text.")
    links = "".join(f"<a href='/{name}'>{name}</a>" for name in names)
    (site_root / HOST / f"{list_name}.html").write_text(f"<html><body>{links}</body></html>", encoding="utf-8")
    (site_root / HOST / f"{list_name}.html.headers").write_text(f'ETag: "{etag}"\n', encoding="latin-1")
    spider_file = tmp_path / "list_spider.py"
    spider_file.write_text(LIST_SPIDER, encoding="utf-8")
    return spider_file


def test_a_second_run_sends_only_a_conditional_list_request(site: LocalSite, site_root: Path, tmp_path: Path) -> None:
    spider_file = serve_list(site_root, tmp_path, "list", "listed", 3, "2024-05-1")
    out = tmp_path / "mirror"

    def run() -> str:
        done = run_python(
            ["-m", "scrapy", "runspider", str(spider_file), "-a", f"list_url=http://{HOST}/list.html",
             "-s", f"MIRROR_DIR={out}", "-s", "AUTOTHROTTLE_ENABLED=False"],
            cwd=REPO_ROOT, env=site.proxy_env(),
        )  # fmt: skip
        assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
        return done.stdout + done.stderr

    first_log = run()
    assert "'newsmirror/posts/new': 3" in first_log
    before, since = (read_tree(out), mtimes(out)), len(site.requests())
    time.sleep(0.05)
    second_log = run()
    # This test's own paths only: the server logs a request when it ends, and the 20 s
    # slow response a test above walked away from may end during this run.
    sent = [entry for entry in site.requests()[since:] if entry["path"] == "/list.html" or entry["path"].startswith("/listed-")]
    # Only the list, asked conditionally and answered 304; its known articles are not fetched.
    assert [(entry["path"], entry["status"]) for entry in sent] == [("/list.html", 304)]
    assert sent[0]["headers"].get("If-None-Match") == '"list-1"'
    assert "'newsmirror/skipped/known': 3" in second_log
    assert (read_tree(out), mtimes(out)) == before
    assert not (out / "httpcache").exists() and (tmp_path / ".newsmirror" / "mirror" / "httpcache").is_dir()


def test_a_post_that_cannot_be_written_leaves_no_row_and_is_written_next_time(
    site: LocalSite, site_root: Path, tmp_path: Path
) -> None:
    url = serve(site_root, "blocked.html", "Blocked post", "2024-02-05T08:00:00Z", "Text.")
    out = tmp_path / "mirror"
    out.mkdir()
    (out / HOST).write_text("a file where the post's folder should be", encoding="utf-8")  # as a full disk would, writing fails
    first = crawl(site, out, "-a", f"url={url}")
    assert f"could not write {HOST}/Blocked post.md for {url}" in first.log
    assert first.stat("item_dropped_reasons_count/PostNotWritten") == 1
    assert [path.name for path in out.iterdir()] == [HOST]  # nothing partial, no temporary
    (out / HOST).unlink()
    second = crawl(site, out, "-a", f"url={url}")  # no ledger row was written: it is not "known"
    assert [item["status"] for item in second.items] == ["new"]


PLANTED_PICKLE = """
import pickle, sys
class Planted:
    def __reduce__(self):
        return (open, (sys.argv[2], "w"))
for path in sys.argv[1].split("|"):
    with open(path, "wb") as planted:
        pickle.dump(Planted(), planted, protocol=4)
"""


def test_a_pickle_planted_in_the_listing_cache_is_never_loaded(site: LocalSite, site_root: Path, tmp_path: Path) -> None:
    # Whoever can write under .newsmirror/httpcache must not run code in the crawler: the
    # listing cache reads plain JSON and raw bytes, and still revalidates a list with 304.
    spider_file = serve_list(site_root, tmp_path, "cached-list", "cached", 2, "2024-06-1", etag="cached-1")
    out = tmp_path / "mirror"
    args = ["-m", "scrapy", "runspider", str(spider_file), "-a", f"list_url=http://{HOST}/cached-list.html",
            "-s", f"MIRROR_DIR={out}", "-s", "AUTOTHROTTLE_ENABLED=False"]  # fmt: skip
    first = run_python(args, cwd=REPO_ROOT, env=site.proxy_env())
    assert first.returncode == 0, (first.stdout + first.stderr)[-3000:]
    entries = [path for path in (tmp_path / ".newsmirror" / "mirror" / "httpcache").glob("*/*/*") if path.is_dir()]
    assert len(entries) == 1  # the list, and only the list
    # Every file name Scrapy's filesystem storage unpickles, and every file the cache holds.
    marker = tmp_path / "code-ran"
    targets = {entries[0] / "pickled_meta", entries[0] / "response_data", *entries[0].iterdir()}
    planted = subprocess.run(
        [sys.executable, "-c", PLANTED_PICKLE, "|".join(str(path) for path in sorted(targets)), str(marker)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert planted.returncode == 0, planted.stderr
    since = len(site.requests())
    second = run_python(args, cwd=REPO_ROOT, env=site.proxy_env())
    assert not marker.exists(), "the listing cache unpickled a file from disk"
    assert second.returncode == 0, (second.stdout + second.stderr)[-3000:]
    # What was planted is no cache entry: the list is fetched again in full, and stored anew.
    sent = [entry for entry in site.requests()[since:] if entry["path"] == "/cached-list.html"]
    assert [entry["status"] for entry in sent] == [200]
    since = len(site.requests())
    third = run_python(args, cwd=REPO_ROOT, env=site.proxy_env())
    assert third.returncode == 0, (third.stdout + third.stderr)[-3000:]
    sent = [entry for entry in site.requests()[since:] if entry["path"] == "/cached-list.html" or entry["path"].startswith("/cached-")]
    assert [(entry["path"], entry["status"]) for entry in sent] == [("/cached-list.html", 304)]
    assert sent[0]["headers"].get("If-None-Match") == '"cached-1"'
    assert "'newsmirror/skipped/known': 2" in third.stdout + third.stderr
    assert not marker.exists()
