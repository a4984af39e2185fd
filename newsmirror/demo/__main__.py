"""``python -m newsmirror.demo [--out DIR] [--format FORMAT]``: mirror the bundled demo site, fully offline.

The pages under ``site/`` are served by :mod:`newsmirror.demo.site_server` acting as the
crawl's HTTP(S) proxy, so the real ``scrapy crawl article`` runs with the real hostnames (and
so the real site rules) without a single byte leaving the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from newsmirror.demo.site_server import PACKAGE_ROOT, LocalSite, running_site
from newsmirror.formats import DEFAULT_FORMAT, FORMATS

SITE = Path(__file__).resolve().parent / "site"
ARTICLES = [
    "https://finance.sina.com.cn/roll/2024-01-15/doc-demoport0115.shtml",
    "http://news.example.cn/local/2024/0116/library-late-hours.html",  # GBK bytes, <meta charset="gbk">
    "https://www.example.org/news/2024/01/night-ferry-returns.html",
    "https://blog.example.net/2024/01/observatory-camera.html",
    "https://www.example.org/opinion/2024/01/comment-section-changes.html",  # hostile markup
]
CRAWL_TIMEOUT = 300.0
LOG_TAIL_LINES = 40


def child_env(site: LocalSite) -> dict[str, str]:
    """Return the crawl's environment: all HTTP(S) through the local site, package importable."""
    env = site.proxy_env()  # no_proxy removed too: it could send a demo host to the real network
    paths = [str(PACKAGE_ROOT), *filter(None, env.get("PYTHONPATH", "").split(os.pathsep))]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    # Named explicitly so the crawl does not depend on a scrapy.cfg in the current directory.
    env["SCRAPY_SETTINGS_MODULE"] = "newsmirror.settings"
    return env


def crawl(site: LocalSite, out: Path, index: Path, log: Path, post_format: str = DEFAULT_FORMAT) -> int:
    """Run ``scrapy crawl article`` on the demo URLs through the local site; return its exit code."""
    env = child_env(site)
    with tempfile.TemporaryDirectory(prefix="newsmirror-demo-") as folder:
        urls = Path(folder, "urls.txt")
        urls.write_text("\n".join(ARTICLES) + "\n", encoding="utf-8")
        command = [
            sys.executable, "-m", "scrapy", "crawl", "article", "-a", f"urls={urls}",
            "-s", f"MIRROR_DIR={out}", "-s", "AUTOTHROTTLE_ENABLED=False",  # the server is local
            "-s", f"MIRROR_FORMAT={post_format}",
            # Re-read the 5 pages on every demo run (a cron run would skip known articles)
            # so a second demo shows that unchanged posts are never rewritten.
            "-a", "refresh=all",
            "-O", str(index),
        ]
        with log.open("w", encoding="utf-8") as log_file:
            try:
                done = subprocess.run(
                    command, env=env, stdout=log_file, stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL, timeout=CRAWL_TIMEOUT, check=False,
                )
            except subprocess.TimeoutExpired:
                log_file.write(f"\nnewsmirror.demo: the crawl took over {CRAWL_TIMEOUT:.0f} s; stopped\n")
                return 1
    return done.returncode


def read_index(index: Path) -> list[dict[str, Any]]:
    """Return the index lines the crawl wrote (none if it wrote no file)."""
    if not index.is_file():
        return []
    return [json.loads(line) for line in index.read_text(encoding="utf-8").splitlines() if line.strip()]


def fail(message: str, log: Path) -> int:
    """Print *message* and the end of the crawl log; return a failing exit code."""
    print(message, file=sys.stderr)
    if log.is_file():
        tail = log.read_text(encoding="utf-8", errors="replace").splitlines()[-LOG_TAIL_LINES:]
        print(f"--- last lines of {log} ---", *tail, sep="\n", file=sys.stderr)
    return 1


def main(argv: list[str] | None = None) -> int:
    """Mirror the demo site into ``--out`` and print what was written; return the exit code."""
    parser = argparse.ArgumentParser(prog="python -m newsmirror.demo", description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path("demo-mirror"), help="mirror folder (default: %(default)s)")
    parser.add_argument("--format", choices=list(FORMATS), default=DEFAULT_FORMAT, help="post format (default: %(default)s)")
    arguments = parser.parse_args(argv)
    out = arguments.out.resolve()
    # Index and log sit beside the mirror, not in it: a site generator would publish them.
    index = out.parent / f"{out.name}-index.jsonl"
    log = out.parent / f"{out.name}.log"
    out.mkdir(parents=True, exist_ok=True)

    print(f"Mirroring {len(ARTICLES)} demo articles from a local server (no network needed)...", flush=True)
    # An index left by an earlier run must not pass for this run's result.
    index.unlink(missing_ok=True)
    try:
        with running_site(SITE) as site:
            code = crawl(site, out, index, log, arguments.format)
    except RuntimeError as error:  # the server never came up; its own stderr said why
        print(error, file=sys.stderr)
        return 1
    items = read_index(index)
    if code != 0 or not items:
        return fail(f"The demo crawl failed (exit code {code}, {len(items)} posts).", log)

    items.sort(key=lambda item: item["post_path"])
    print(f"Mirrored {len(items)} posts into {out}:")
    for item in items:
        print(f"  [{item['status']}] {item['post_path']}\n      {item['title']}")
    counts = {status: sum(item["status"] == status for item in items) for status in ("new", "updated", "unchanged")}
    summary = ", ".join(f"{n} {status}" for status, n in counts.items() if n)
    print(summary + (" (unchanged posts are never rewritten)" if counts["unchanged"] else ""))
    if len(items) < len(ARTICLES):
        print(f"{len(ARTICLES) - len(items)} article(s) were not mirrored; the log says why.")
    print(f"Index: {index}\nLog:   {log}")
    print(f"Look at a post: head -n 20 {shlex.quote(str(out / items[0]['post_path']))}")
    print(f"The site configuration each tool needs: docs/formats/{arguments.format}.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
