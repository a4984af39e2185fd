"""Crash safety: ``kill -9`` in the middle of a crawl loses and corrupts nothing.

About 200 articles are served by the loopback server; a real ``scrapy crawl`` is killed
with SIGKILL once some posts exist.  Every post on disk must then be complete and
valid, and a second run must complete the rest: the union equals a clean run's
output, with no post written twice under two paths.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.crawl import REPO_ROOT, read_tree, run_crawl
from tests.support.localsite import LocalSite, running_site
from tests.support.posts import check_posts

HOST = "crash.example.com"
ARTICLES = 200


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalSite, list[str]]]:
    root = tmp_path_factory.mktemp("site")
    (root / HOST).mkdir()
    urls = []
    for n in range(ARTICLES):
        # Long bodies make each write take a moment, so the kill can land mid-write too.
        body = "".join(f"<p>Paragraph {p} of article {n}: {'words ' * 40}</p>" for p in range(30))
        page = (
            f"<html><head><title>Crash article {n}</title>"
            f"<meta property='article:published_time' content='2024-05-{n % 28 + 1:02d}T{n % 24:02d}:00:00Z'>"
            f"</head><body><h1>Crash article {n}</h1>{body}</body></html>"
        )
        (root / HOST / f"a{n}.html").write_text(page, encoding="utf-8")
        urls.append(f"http://{HOST}/a{n}.html")
    with running_site(root, tmp_path_factory.mktemp("log") / "requests.jsonl") as running:
        yield running, urls


def test_kill_9_mid_run_leaves_only_whole_posts_and_the_next_run_completes_the_rest(
    site: tuple[LocalSite, list[str]], tmp_path: Path
) -> None:
    running, urls = site
    url_file = tmp_path / "urls.txt"
    url_file.write_text("\n".join(urls) + "\n", encoding="utf-8")
    args = ("-a", f"urls={url_file}")

    clean_out = tmp_path / "clean" / "mirror"
    clean = run_crawl("article", *args, env=running.proxy_env(), settings={"MIRROR_DIR": str(clean_out)})
    assert clean.stat("newsmirror/posts/new") == ARTICLES
    expected = read_tree(clean_out)

    out = tmp_path / "crashed" / "mirror"
    env = {**running.proxy_env(), "PYTHONPATH": str(REPO_ROOT)}
    env.pop("SCRAPY_SETTINGS_MODULE", None)
    crawl = subprocess.Popen(
        [sys.executable, "-m", "scrapy", "crawl", "article", *args, "-s", f"MIRROR_DIR={out}",
         "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0.02"],
        cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while len(list(out.rglob("*.md"))) < 20:
            assert crawl.poll() is None, "the crawl ended before it could be killed"
            assert time.monotonic() < deadline, "the crawl wrote too few posts in time"
            time.sleep(0.01)
        os.kill(crawl.pid, signal.SIGKILL)
    finally:
        if crawl.poll() is None:
            crawl.kill()
        crawl.wait()
    assert crawl.returncode == -signal.SIGKILL

    # After the kill: every post is whole (byte-identical to the clean run's), and every
    # ledger row points at a post that is there with the bytes the row's hash names.
    posts = {path: data for path, data in read_tree(out).items() if path.endswith(".md")}
    assert 20 <= len(posts) < ARTICLES
    for path, data in posts.items():
        assert data == expected[path], f"{path} is not the complete post"
    check_posts(out)
    with sqlite3.connect(tmp_path / "crashed" / ".newsmirror" / "mirror" / "state.sqlite") as db:
        rows = db.execute("SELECT post_path FROM posts").fetchall()
    db.close()
    assert {path for (path,) in rows} <= set(posts)

    again = run_crawl("article", *args, env=running.proxy_env(), settings={"MIRROR_DIR": str(out)})
    # The rest is fetched and written; a post whose row the kill cut off is taken over, not duplicated.
    assert again.stat("newsmirror/skipped/known") == len(rows)
    assert read_tree(out) == expected  # no partial post, no temporary file, no duplicate
