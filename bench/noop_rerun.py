"""The cron case: a run with nothing new, against a ledger of N mirrored articles.

Usage: python bench/noop_rerun.py [--articles 10000] [--rounds 3] [--crawled 300] [--listing urls|feed|both]

Builds, in a temporary folder, a MIRROR_DIR of N posts and a ledger with one row per
post, then runs the real crawl naming all N URLs, through the loopback server as HTTP
proxy so every request would be logged: ``scrapy crawl article -a urls=FILE`` (the URL
list) and ``scrapy crawl feed`` over an RSS feed of the N URLs served by that server.
Prints the wall and CPU time of each run (median too), the requests the server saw,
and the known-article skips. Each run is also split by its log's timestamps into
start-up (to "Spider opened"), the list (to the feed's "Feed of ... items" line: the
feed fetched and parsed; nothing for a URL file, read before "Spider opened") and the
rest (sifting the known articles, closing): "excluding the list" is the run less the
list.  Then, for the request counts of a first and a second run, it
crawls ``--crawled`` real loopback articles into a fresh MIRROR_DIR twice.  The baseline is Scrapy's own start-up cost: one unknown URL
(robots.txt, the page, one post) against an empty ledger.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from newsmirror.paths import path_key  # noqa: E402
from newsmirror.store import DEFAULT_FORMAT, Ledger, default_state_path, utc_now  # noqa: E402
from tests.support.localsite import running_site  # noqa: E402

HOST = "bench.example.com"
# Milliseconds in the crawl log, so a run's phases can be timed from it.
LOG_FORMAT = "%(asctime)s.%(msecs)03d [%(name)s] %(levelname)s: %(message)s"
_LOG_TIME = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) ")
_MARKS = {"opened": "Spider opened", "listed": "] INFO: Feed of ", "closed": "Spider closed"}


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
        rows.append((url, relpath, path_key(relpath), hashlib.sha256(data).hexdigest(), now, now, now, None, None, "new",
                     DEFAULT_FORMAT))  # fmt: skip
        aliases.append((url, url))
        urls.append(url)
    db = ledger.db
    db.execute("BEGIN")
    db.executemany("INSERT INTO posts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    db.executemany("INSERT INTO aliases VALUES (?, ?)", aliases)
    db.execute("COMMIT")
    ledger.close()
    url_file = work / "urls.txt"
    url_file.write_text("\n".join(urls) + "\n", encoding="utf-8")
    return mirror, url_file


def write_feed(folder: Path, articles: int) -> None:
    """Serve an RSS feed of the N known URLs at http://HOST/feed.xml (one dated item each)."""
    items = "".join(
        f"<item><title>Article {n}</title><link>http://{HOST}/news/{n}.html</link>"
        f"<pubDate>Mon, 01 Jul 2024 08:00:00 GMT</pubDate></item>\n"
        for n in range(articles)
    )
    feed = f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Bench</title>{items}</channel></rss>'
    (folder / "feed.xml").write_text(feed, encoding="utf-8")
    (folder / "feed.xml.headers").write_text("Content-Type: application/rss+xml\n", encoding="latin-1")


@dataclass
class Crawl:
    """One measured crawl: wall and CPU seconds, its log, and its phases from the log."""

    seconds: float
    cpu_seconds: float
    log: str
    started_at: float

    def phases(self) -> dict[str, float]:
        """Return the seconds after the process start of "Spider opened", the list read, "Spider closed"."""
        found: dict[str, float] = {}
        for line in self.log.splitlines():
            for key, marker in _MARKS.items():
                stamp = _LOG_TIME.match(line)
                if key not in found and marker in line and stamp:
                    moment = datetime.strptime(stamp.group(1), "%Y-%m-%d %H:%M:%S.%f").timestamp()
                    found[key] = round(moment - self.started_at, 3)
        return found

    def list_seconds(self) -> float:
        """Return how long the list took (feed fetched and parsed), 0 for a URL file."""
        marks = self.phases()
        return round(marks["listed"] - marks["opened"], 3) if "listed" in marks and "opened" in marks else 0.0


def crawl(proxy: str, mirror: Path, spider: str, *args: str) -> Crawl:
    """Run one real crawl; return its wall and CPU time and log."""
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT), http_proxy=proxy, https_proxy=proxy)
    env.pop("SCRAPY_SETTINGS_MODULE", None)
    command = [sys.executable, "-m", "scrapy", "crawl", spider, *args, "-s", f"MIRROR_DIR={mirror}",
               "-s", f"LOG_FORMAT={LOG_FORMAT}"]  # fmt: skip
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started_at = time.time()
    started = time.perf_counter()
    done = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode != 0:
        raise SystemExit(f"crawl failed ({done.returncode}):\n{(done.stdout + done.stderr)[-3000:]}")
    return Crawl(seconds, cpu, done.stdout + done.stderr, started_at)


def rounds_of(label: str, proxy: str, mirror: Path, rounds: int, spider: str, *args: str) -> list[Crawl]:
    """Run the no-op crawl *rounds* times; print each round."""
    runs = []
    for number in range(rounds):
        run = crawl(proxy, mirror, spider, *args)
        skipped = next(
            (line.split(":")[-1].strip(" ,") for line in run.log.splitlines() if "'newsmirror/skipped/known'" in line), "0"
        )
        print(f"{label} round {number + 1}: {run.seconds:.2f} s wall, {run.cpu_seconds:.2f} s CPU; "
              f"phases {run.phases()}; list {run.list_seconds():.2f} s, excluding it {run.seconds - run.list_seconds():.2f} s; "
              f"{skipped} known articles skipped")  # fmt: skip
        runs.append(run)
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--crawled", type=int, default=300)
    parser.add_argument("--listing", choices=("urls", "feed", "both"), default="both",
                        help="what names the known URLs: a URL file (spider article), a feed (spider feed), or both")  # fmt: skip
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
        write_feed(work / "site" / HOST, options.articles)
        before = {p: p.stat().st_mtime_ns for p in mirror.rglob("*.md")}
        medians = {}
        with running_site(work / "site", work / "requests.jsonl") as site:
            if options.listing in ("urls", "both"):
                runs = rounds_of("urls", site.proxy_url, mirror, options.rounds, "article", "-a", f"urls={url_file}")
                medians["urls"] = runs
            if options.listing in ("feed", "both"):
                runs = rounds_of("feed", site.proxy_url, mirror, options.rounds, "feed", "-a", f"url=http://{HOST}/feed.xml")
                medians["feed"] = runs
            requests_noop = len(site.requests())
            baseline = crawl(site.proxy_url, work / "baseline" / "mirror", "article", "-a", f"url=http://{HOST}/new.html")
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
                run = crawl(site.proxy_url, work / "crawled" / "mirror", "article", "-a", f"urls={crawled_urls}")
                sent = site.requests()[since:]
                articles = sum(1 for entry in sent if entry["path"].startswith("/c"))
                counts.append(f"{label} run: {run.seconds:.2f} s, {len(sent)} requests ({articles} article pages)")
        changed = sum(1 for p, t in before.items() if p.stat().st_mtime_ns != t)
        for label, runs in medians.items():
            wall = statistics.median(run.seconds for run in runs)
            cpu = statistics.median(run.cpu_seconds for run in runs)
            excluding = statistics.median(run.seconds - run.list_seconds() for run in runs)
            print(f"no-op run over the {label}, {options.articles} known articles: median {wall:.2f} s wall, "
                  f"{cpu:.2f} s CPU, {excluding:.2f} s excluding the list, over {options.rounds} rounds")  # fmt: skip
        print(f"baseline (empty ledger, one new article): {baseline.seconds:.2f} s wall, {baseline.cpu_seconds:.2f} s CPU; "
              f"phases {baseline.phases()}")  # fmt: skip
        print(f"requests logged by the server during the no-op runs: {requests_noop} (the feed itself, once a round);"
              f" with the baseline: {requests}")  # fmt: skip
        print(f"posts whose mtime changed: {changed}")
        print(f"{options.crawled} real articles, crawled twice into one MIRROR_DIR:", *counts, sep="\n  ")


if __name__ == "__main__":
    main()
