"""The cron case: a run with nothing new, against a ledger of 10,000 mirrored articles.

Usage: python bench/noop_rerun.py [--articles 10000] [--rounds 3] [--crawled 300]

Builds, in a temporary folder, a MIRROR_DIR of N posts and a ledger (schema v2) with
one row per post, then runs the real ``scrapy crawl article -a urls=FILE`` naming all
N URLs, through the loopback server as HTTP proxy so every request would be logged.
Prints the wall time of each run (median too), the requests the server saw, and the
known-article skips.  Then, for the request counts of a first and a second run, it
crawls ``--crawled`` real loopback articles into a fresh MIRROR_DIR twice.  The baseline is Scrapy's own start-up cost: one unknown URL
(robots.txt, the page, one post) against an empty ledger.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from newsmirror.paths import path_key  # noqa: E402
from newsmirror.store import Ledger, default_state_path, utc_now  # noqa: E402
from tests.support.localsite import running_site  # noqa: E402

HOST = "bench.example.com"


def build(work: Path, articles: int) -> tuple[Path, Path]:
    """Write N posts and their ledger rows; return (mirror_dir, url_file)."""
    mirror = work / "mirror"
    (mirror / HOST).mkdir(parents=True)
    ledger = Ledger(default_state_path(mirror), mirror)
    ledger.open()
    now = utc_now().isoformat()
    rows, aliases, urls = [], [], []
    for n in range(articles):
        url = f"http://{HOST}/news/{n}.html"
        relpath = f"{HOST}/Article {n}.md"
        data = f"---\ntitle: 'Article {n}'\n---\n\n<div>text {n}</div>\n".encode()
        (mirror / relpath).write_bytes(data)
        rows.append((url, relpath, path_key(relpath), hashlib.sha256(data).hexdigest(), now, now, now, None, None, "new"))
        aliases.append((url, url))
        urls.append(url)
    db = ledger.db
    db.execute("BEGIN")
    db.executemany("INSERT INTO posts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    db.executemany("INSERT INTO aliases VALUES (?, ?)", aliases)
    db.execute("COMMIT")
    ledger.close()
    url_file = work / "urls.txt"
    url_file.write_text("\n".join(urls) + "\n", encoding="utf-8")
    return mirror, url_file


def crawl(proxy: str, mirror: Path, urls: str) -> tuple[float, str]:
    """Run one real crawl; return (seconds, log)."""
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT), http_proxy=proxy, https_proxy=proxy)
    env.pop("SCRAPY_SETTINGS_MODULE", None)
    command = [sys.executable, "-m", "scrapy", "crawl", "article", "-a", urls, "-s", f"MIRROR_DIR={mirror}"]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"crawl failed ({done.returncode}):\n{(done.stdout + done.stderr)[-3000:]}")
    return seconds, done.stdout + done.stderr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--crawled", type=int, default=300)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="noop-rerun-") as scratch:
        work = Path(scratch)
        (work / "site" / HOST).mkdir(parents=True)
        (work / "site" / HOST / "robots.txt").write_text("", encoding="utf-8")
        (work / "site" / HOST / "new.html").write_text(
            "<html><head><title>New</title><meta property='article:published_time' content='2024-01-01T00:00:00Z'>"
            "</head><body><h1>New</h1><p>One new article.</p></body></html>",
            encoding="utf-8",
        )
        mirror, url_file = build(work, options.articles)
        before = {p: p.stat().st_mtime_ns for p in mirror.rglob("*.md")}
        with running_site(work / "site", work / "requests.jsonl") as site:
            times = []
            for round_number in range(options.rounds):
                seconds, log = crawl(site.proxy_url, mirror, f"urls={url_file}")
                skipped = next(
                    (line.split(":")[-1].strip(" ,") for line in log.splitlines() if "'newsmirror/skipped/known'" in line),
                    "0",
                )
                print(f"round {round_number + 1}: {seconds:.2f} s, {len(site.requests())} requests so far, {skipped} known articles skipped")
                times.append(seconds)
            baseline_mirror = work / "baseline" / "mirror"
            baseline, _ = crawl(site.proxy_url, baseline_mirror, f"url=http://{HOST}/new.html")
            requests = len(site.requests())
            for n in range(options.crawled):
                (work / "site" / HOST / f"c{n}.html").write_text(
                    f"<html><head><title>Crawled {n}</title><meta property='article:published_time' "
                    f"content='2024-01-01T00:00:00Z'></head><body><h1>Crawled {n}</h1><p>Text {n}.</p></body></html>",
                    encoding="utf-8",
                )
            crawled_urls = work / "crawled.txt"
            crawled_urls.write_text("".join(f"http://{HOST}/c{n}.html\n" for n in range(options.crawled)), encoding="utf-8")
            counts = []
            for label in ("first", "second"):
                since = len(site.requests())
                seconds, _ = crawl(site.proxy_url, work / "crawled" / "mirror", f"urls={crawled_urls}")
                sent = site.requests()[since:]
                articles = sum(1 for entry in sent if entry["path"].startswith("/c"))
                counts.append(f"{label} run: {seconds:.2f} s, {len(sent)} requests ({articles} article pages)")
        changed = sum(1 for p, t in before.items() if p.stat().st_mtime_ns != t)
        print(f"no-op run, {options.articles} known articles: median {statistics.median(times):.2f} s over {options.rounds} rounds")
        print(f"baseline (empty ledger, one new article): {baseline:.2f} s; requests logged by the server in all: {requests}")
        print(f"posts whose mtime changed: {changed}")
        print(f"{options.crawled} real articles, crawled twice into one MIRROR_DIR:", *counts, sep="\n  ")


if __name__ == "__main__":
    main()
