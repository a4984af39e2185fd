"""Throughput and memory of the real crawl, beside raw Scrapy and trafilatura, on one loopback site.

Usage: python bench/throughput.py [--articles 2000] [--rounds 3] [--concurrency 16]
           [--skip-peer] [--rss-sizes 2000,20000] [--listing feed|sitemap|both] [--stop-after K]
           [--noop-rows 20000] [--corpus DIR] [--set NAME=VALUE ...] [--profile]

A loopback site (bench/perfsite.py, its own process) serves N distinct copies of the real
corpus pages (50-250 KB), an RSS feed of them and their URL list. Each round runs, one
after the other against the same site:
  raw         bench/raw_spider.py under bare Scrapy (no project settings), fetching the URLs;
  newsmirror  the real ``scrapy crawl feed`` from the feed to posts on disk, ledger and all;
  peer        trafilatura's command line on the URL list, writing extracted Markdown.
The pages are spread over 16 loopback addresses, so each side can fetch that many at once.
Politeness waits are off on every side and the concurrency is the same. A rate is
articles / wall seconds of the whole process (start-up counts). Then the peak memory of
the newsmirror crawl at each --rss-sizes N (its own ru_maxrss from os.wait4, and the peak
summed PSS of its process tree, reader processes included), and a no-op re-run of the
feed crawl into the MIRROR_DIR that the --noop-rows run filled (everything known).
Prints a table and writes every figure to bench/out/throughput.json.
With --profile it only runs the newsmirror crawl once at N under py-spy (bench/out/).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
BENCH = REPO_ROOT / "bench"
OUT = BENCH / "out"
VENV_BIN = REPO_ROOT / ".venv" / "bin"
PEER_BIN = BENCH / ".venv-compare" / "bin" / "trafilatura"
PROXY_VARIABLES = ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY")
# Milliseconds in the crawl log, so the no-op run's list phase can be timed from it.
LOG_FORMAT = "%(asctime)s.%(msecs)03d [%(name)s] %(levelname)s: %(message)s"
_LOG_TIME = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) ")
_NO_PROXY_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
# Loopback addresses the pages are spread over. trafilatura's command line takes one URL
# per host at a time, so on a single host its --parallel never applies; spread over as
# many hosts as the concurrency, each side can fetch C pages at once (set in main()).
SITE_HOSTS = 16
# How often the process tree of a measured run is sampled for memory and CPU.
_SAMPLE_SECONDS = 0.2


@dataclass
class Run:
    """One measured process: what ran, how long, how much memory, what it produced."""

    side: str
    articles: int
    seconds: float
    returncode: int
    max_rss_kb: int
    written: int
    requests: dict[str, int] = field(default_factory=dict)
    notes: dict[str, Any] = field(default_factory=dict)
    tree_pss_kb: int = 0
    tree_rss_kb: int = 0
    cpu_seconds: float = 0.0
    processes: int = 1

    @classmethod
    def of(cls, side: str, articles: int, usage: Usage, written: int, requests: dict[str, int],
           notes: dict[str, Any] | None = None) -> Run:  # fmt: skip
        """Return the run of a measured process."""
        return cls(side, articles, usage.seconds, usage.returncode, usage.max_rss_kb, written, requests, notes or {},
                   usage.tree_pss_kb, usage.tree_rss_kb, usage.cpu_seconds, usage.processes)  # fmt: skip

    @property
    def cpu_ms_per_article(self) -> float:
        """CPU milliseconds (all processes) per article asked for."""
        return 1000 * self.cpu_seconds / self.articles if self.articles else 0.0

    @property
    def rate(self) -> float:
        """Articles per wall second of the whole process."""
        return self.articles / self.seconds if self.seconds else 0.0


class PerfSiteProcess:
    """bench/perfsite.py in a subprocess: its base URL and request counters."""

    def __init__(self, corpus: Path, articles: int, hosts: int = 1) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(BENCH / "perfsite.py"), "--corpus", str(corpus), "--articles", str(articles),
             "--port", "0", "--hosts", str(hosts)],
            stdout=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        assert self.process.stdout is not None
        port = self.process.stdout.readline().strip()
        if not port.isdigit():
            self.process.kill()
            raise SystemExit(f"perfsite did not start (said {port!r})")
        self.base = f"http://127.0.0.1:{port}"
        # The loopback addresses the pages are spread over (the address guard must allow them).
        self.hosts = [f"127.0.0.{number}" for number in range(1, hosts + 1)]

    def get(self, path: str) -> bytes:
        """Fetch one path from the site, never through a proxy."""
        with _NO_PROXY_OPENER.open(self.base + path, timeout=60) as response:
            return response.read()

    def stats(self) -> Counter[str]:
        """Return the site's request counters now."""
        return Counter(json.loads(self.get("/_stats")))

    def close(self) -> None:
        """Stop the site process."""
        self.process.terminate()
        self.process.wait(timeout=10)


@contextmanager
def perf_site(corpus: Path, articles: int) -> Iterator[PerfSiteProcess]:
    """Run a site of *articles* copies, spread over SITE_HOSTS addresses, for the duration of the block."""
    site = PerfSiteProcess(corpus, articles, SITE_HOSTS)
    try:
        yield site
    finally:
        site.close()


def clean_env() -> dict[str, str]:
    """Return the environment for a measured process: no proxies, no inherited Scrapy project."""
    env = {name: value for name, value in os.environ.items() if name not in PROXY_VARIABLES}
    env.pop("SCRAPY_SETTINGS_MODULE", None)
    return env


@dataclass
class Usage:
    """What one measured process (and every process it started) used."""

    seconds: float
    returncode: int
    max_rss_kb: int  # the process itself, from wait4
    tree_pss_kb: int = 0  # peak over the run of the summed PSS of the process and its descendants
    tree_rss_kb: int = 0  # the same with RSS (shared pages counted in every process)
    cpu_seconds: float = 0.0  # user + system CPU of the whole tree
    processes: int = 1


def measure(command: list[str], *, cwd: Path, env: dict[str, str], output: Path) -> Usage:
    """Run *command* to its end, sampling its process tree; return what it used.

    The crawl reads pages in worker processes (MIRROR_READER_PROCESSES), so its memory and
    CPU are the tree's: PSS shares each shared page among the processes that map it, so the
    summed PSS is what the crawl costs the machine; summed RSS counts shared pages twice.
    """
    with output.open("wb") as sink:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=sink, stderr=subprocess.STDOUT)
        cpu_ticks: dict[int, int] = {}
        peak_pss = peak_rss = 0
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            tree = _descendants(process.pid)
            for member, ticks in tree.items():
                cpu_ticks[member] = max(cpu_ticks.get(member, 0), ticks)
            peak_pss = max(peak_pss, sum(_proc_kb(member, "smaps_rollup", "Pss:") for member in tree))
            peak_rss = max(peak_rss, sum(_proc_kb(member, "status", "VmRSS:") for member in tree))
            time.sleep(_SAMPLE_SECONDS)
        seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)  # reaped here: keep Popen from waiting again
    cpu_ticks.pop(process.pid, None)  # the process's own CPU comes exactly from wait4
    others = sum(cpu_ticks.values()) / os.sysconf("SC_CLK_TCK")
    return Usage(
        seconds,
        process.returncode,
        usage.ru_maxrss,
        tree_pss_kb=peak_pss,
        tree_rss_kb=peak_rss,
        cpu_seconds=usage.ru_utime + usage.ru_stime + others,
        processes=1 + len(cpu_ticks),
    )


def _descendants(root: int) -> dict[int, int]:
    """Return {pid: CPU ticks so far} for *root* and every process below it (Linux /proc)."""
    parents: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        parents[int(entry)] = int(fields[1])
        ticks[int(entry)] = int(fields[11]) + int(fields[12])
    members = {root}
    grew = True
    while grew:
        grew = False
        for pid, parent in parents.items():
            if parent in members and pid not in members:
                members.add(pid)
                grew = True
    return {pid: ticks[pid] for pid in members if pid in ticks}


def _proc_kb(pid: int, name: str, key: str) -> int:
    """Return one kB figure of /proc/PID/NAME (0 once the process is gone)."""
    try:
        for line in Path(f"/proc/{pid}/{name}").read_text().splitlines():
            if line.startswith(key):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def delta(site: PerfSiteProcess, before: Counter[str]) -> dict[str, int]:
    """Return the requests the site saw since *before*, by kind (the /_stats probe excluded)."""
    after = site.stats()
    return {kind: after[kind] - before[kind] for kind in sorted(after) if after[kind] - before[kind]}


def log_stat(log: str, name: str) -> Any:
    """Return one value of a Scrapy stats dump in *log*, or None."""
    match = re.search(rf"'{re.escape(name)}': ([^,\n}}]+)", log)
    return None if match is None else match.group(1).strip()


def run_raw(site: PerfSiteProcess, url_file: Path, articles: int, concurrency: int, work: Path) -> Run:
    """Fetch every URL with a bare Scrapy spider, from a folder without scrapy.cfg."""
    folder = work / "raw"
    folder.mkdir()
    command = [
        str(VENV_BIN / "scrapy"), "runspider", str(BENCH / "raw_spider.py"), "-a", f"urls={url_file}",
        "-s", f"CONCURRENT_REQUESTS={concurrency}", "-s", f"CONCURRENT_REQUESTS_PER_DOMAIN={concurrency}",
        "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0", "-s", "ROBOTSTXT_OBEY=True",
        "-s", "LOG_LEVEL=INFO", "-s", "TWISTED_REACTOR=twisted.internet.asyncioreactor.AsyncioSelectorReactor",
    ]  # fmt: skip
    before = site.stats()
    usage = measure(command, cwd=folder, env=clean_env(), output=folder / "crawl.log")
    log = (folder / "crawl.log").read_text(encoding="utf-8", errors="replace")
    pages = int(log_stat(log, "raw/pages") or 0)
    return Run.of("raw", articles, usage, pages, delta(site, before))


def newsmirror_command(listing_url: str, mirror: Path, concurrency: int, log_file: Path) -> list[str]:
    """Return the real crawl's command line (feed or sitemap), politeness waits off, loopback allowed."""
    spider = "sitemap" if listing_url.endswith("/sitemap.xml") else "feed"
    return [
        str(VENV_BIN / "scrapy"), "crawl", spider, "-a", f"url={listing_url}",
        "-s", f"MIRROR_DIR={mirror}", "-s", f"CONCURRENT_REQUESTS={concurrency}",
        "-s", f"CONCURRENT_REQUESTS_PER_DOMAIN={concurrency}", "-s", "AUTOTHROTTLE_ENABLED=False",
        "-s", "DOWNLOAD_DELAY=0", "-s", f"MIRROR_ALLOWED_HOSTS={','.join(f'127.0.0.{n}' for n in range(1, SITE_HOSTS + 1))}",
        "-s", "MIRROR_CONTACT=mailto:bench@example.org", "-s", f"LOG_FILE={log_file}",
        "-s", f"LOG_FORMAT={LOG_FORMAT}",
        # A sitemap gives no dates, and some corpus pages print none: keep them all, as the
        # feed's dates do, so both listings write N posts (and the no-op re-run knows them all).
        *(["-s", "MIRROR_UNDATED=first-seen"] if spider == "sitemap" else []),
    ]  # fmt: skip


def failure_reasons(log: str) -> dict[str, int]:
    """Count the 'Article not mirrored' and 'Dropped' reasons in a crawl log (URLs taken out)."""
    reasons: Counter[str] = Counter()
    for line in log.splitlines():
        if "Article not mirrored: " in line:
            reason = line.split("Article not mirrored: ", 1)[1].split(": ", 1)[-1]
            reasons[f"not mirrored: {reason[:120]}"] += 1
        elif "] WARNING: Dropped: " in line or "] INFO: Dropped: " in line:
            reasons[f"dropped: {line.split('Dropped: ', 1)[1][:120]}"] += 1
    return dict(reasons.most_common(10))


def run_newsmirror(
    site: PerfSiteProcess, articles: int, concurrency: int, work: Path, label: str = "newsmirror", listing: str = "feed",
    stop_after: int = 0, settings: tuple[str, ...] = (),
) -> Run:  # fmt: skip
    """Run the real crawl of the feed (or sitemap) into a fresh MIRROR_DIR (its ledger beside it, in *work*).

    *stop_after* > 0 ends the crawl after that many posts (CLOSESPIDER_ITEMCOUNT);
    *settings* are more ``NAME=VALUE`` Scrapy settings (``--set``).
    """
    folder = work / label
    folder.mkdir()
    mirror = folder / "mirror"
    return crawl_into(site, mirror, articles, concurrency, label, listing, stop_after, settings)


def crawl_into(
    site: PerfSiteProcess, mirror: Path, articles: int, concurrency: int, label: str, listing: str = "feed",
    stop_after: int = 0, settings: tuple[str, ...] = (),
) -> Run:  # fmt: skip
    """Run the crawl of the feed (or sitemap) into *mirror* (new or filled) and read back what it did."""
    log_file = mirror.parent / f"{label}.log"
    command = newsmirror_command(f"{site.base}/{listing}.xml", mirror, concurrency, log_file)
    if stop_after:
        command += ["-s", f"CLOSESPIDER_ITEMCOUNT={stop_after}"]
    for setting in settings:
        command += ["-s", setting]
    env = clean_env()
    env["PYTHONPATH"] = str(REPO_ROOT)
    before = site.stats()
    started_at = time.time()
    usage = measure(command, cwd=REPO_ROOT, env=env, output=mirror.parent / f"{label}.out")
    log = log_file.read_text(encoding="utf-8", errors="replace") if log_file.exists() else ""
    posts = sum(1 for _ in mirror.rglob("*.md")) if mirror.exists() else 0
    notes: dict[str, Any] = {
        "mirror_dir": str(mirror),
        "log": str(log_file),
        "posts_new": log_stat(log, "newsmirror/posts/new"),
        "skipped_known": log_stat(log, "newsmirror/skipped/known"),
        "failed": log_stat(log, "newsmirror/failed"),
        "item_dropped_count": log_stat(log, "item_dropped_count"),
        "finish_reason": log_stat(log, "finish_reason"),
        "failure_reasons": failure_reasons(log),
        "phases": phases(log, started_at),
    }
    if usage.returncode != 0:
        notes["tail"] = (mirror.parent / f"{label}.out").read_text(errors="replace")[-2000:] + log[-2000:]
    return Run.of(label, articles, usage, posts, delta(site, before), notes)


def phases(log: str, started_at: float) -> dict[str, float]:
    """Time the crawl's phases from log timestamps, in seconds after the process started.

    start-up ends at "Spider opened"; the list is read by the "Feed of ... items" line
    (feed fetched and parsed; robots.txt too); the crawl ends at "Spider closed".
    """
    marks = {"spider_opened": "Spider opened", "feed_parsed": "] INFO: Feed of ", "spider_closed": "Spider closed"}
    found: dict[str, float] = {}
    for line in log.splitlines():
        for key, marker in marks.items():
            if key not in found and marker in line:
                stamp = _LOG_TIME.match(line)
                if stamp:
                    moment = datetime.strptime(stamp.group(1), "%Y-%m-%d %H:%M:%S.%f").timestamp()
                    found[key] = round(moment - started_at, 3)
    return found


def run_peer(site: PerfSiteProcess, url_file: Path, articles: int, concurrency: int, work: Path) -> Run:
    """Run trafilatura's command line on the URL list; count the files it wrote."""
    folder = work / "peer"
    output = folder / "out"
    output.mkdir(parents=True)
    # --markdown --with-metadata: front matter (title, date, author) and Markdown text,
    # the nearest to newsmirror's posts. --backup-dir: trafilatura names an output file by
    # a hash of its text, so copies of one template would overwrite each other and the
    # count would say ~K, not N; with a backup folder each page gets a name of its own
    # (at the cost of also writing the page's HTML there, which newsmirror does not do).
    command = [
        str(PEER_BIN), "-i", str(url_file), "--output-dir", str(output), "--parallel", str(concurrency),
        "--config-file", str(BENCH / "trafilatura.cfg"), "--markdown", "--with-metadata",
        "--backup-dir", str(folder / "html"),
    ]  # fmt: skip
    before = site.stats()
    usage = measure(command, cwd=folder, env=clean_env(), output=folder / "peer.log")
    written = sum(1 for path in output.rglob("*") if path.is_file())
    return Run.of("peer", articles, usage, written, delta(site, before))


def ratio(numerator: float, denominator: float) -> float:
    """Return numerator / denominator, 0 when the denominator is 0."""
    return numerator / denominator if denominator else 0.0


def print_round_table(rounds: list[dict[str, Run]], skip_peer: bool) -> dict[str, Any]:
    """Print the per-round rates and ratios with their medians; return them."""
    sides = ["raw", "newsmirror"] + ([] if skip_peer else ["peer"])
    print(f"\n{'round':>6} " + " ".join(f"{side + ' art/s':>16}" for side in sides)
          + f" {'nm/raw':>8}" + ("" if skip_peer else f" {'nm/peer':>8}"))  # fmt: skip
    summary: dict[str, Any] = {side: [] for side in sides}
    summary["newsmirror/raw"] = []
    summary["newsmirror/peer"] = []
    for number, runs in enumerate(rounds, 1):
        for side in sides:
            summary[side].append(runs[side].rate)
        summary["newsmirror/raw"].append(ratio(runs["newsmirror"].rate, runs["raw"].rate))
        line = f"{number:>6} " + " ".join(
            f"{runs[side].rate:>9.1f} ({runs[side].seconds:4.0f}s)" for side in sides
        ) + f" {summary['newsmirror/raw'][-1]:>8.2f}"
        if not skip_peer:
            summary["newsmirror/peer"].append(ratio(runs["newsmirror"].rate, runs["peer"].rate))
            line += f" {summary['newsmirror/peer'][-1]:>8.2f}"
        print(line)
    medians = {name: statistics.median(values) for name, values in summary.items() if values}
    line = f"{'median':>6} " + " ".join(f"{medians[side]:>16.1f}" for side in sides) + f" {medians['newsmirror/raw']:>8.2f}"
    if not skip_peer:
        line += f" {medians['newsmirror/peer']:>8.2f}"
    print(line)
    return {"per_round": summary, "median": medians}


def print_outputs(rounds: list[dict[str, Run]]) -> None:
    """Print what each run produced, requests it caused, and any shortfall's reasons."""
    print("\nwhat each run produced (written / asked; site requests by kind; exit code; peak RSS of the process;"
          " peak summed PSS of its process tree; CPU of the tree per article):")  # fmt: skip
    for number, runs in enumerate(rounds, 1):
        for run in runs.values():
            requests = ", ".join(f"{kind} {count}" for kind, count in run.requests.items() if kind != "total")
            print(f"  round {number} {run.side:10} {run.written:>6} / {run.articles}; {requests}; "
                  f"exit {run.returncode}; {run.max_rss_kb / 1024:.0f} MB; tree {run.tree_pss_kb / 1024:.0f} MB PSS"
                  f" in {run.processes} processes; {run.cpu_ms_per_article:.1f} ms CPU/article")  # fmt: skip
            if run.side == "newsmirror" and (run.written != run.articles or run.returncode):
                print(f"    shortfall {run.articles - run.written}: {run.notes.get('failure_reasons')}")
                if "tail" in run.notes:
                    print("    " + run.notes["tail"][-800:].replace("\n", "\n    "))


def profile(site: PerfSiteProcess, articles: int, concurrency: int, work: Path) -> None:
    """Run the newsmirror crawl once under py-spy; save the stacks and print the top functions."""
    py_spy = VENV_BIN / "py-spy"
    if not py_spy.exists():
        raise SystemExit("--profile needs py-spy in .venv: .venv/bin/pip install -r bench/requirements-bench.txt")
    folder = work / "profile"
    folder.mkdir()
    OUT.mkdir(exist_ok=True)
    stacks = OUT / "newsmirror-profile.txt"
    env = clean_env()
    env["PYTHONPATH"] = str(REPO_ROOT)
    command = [
        # --subprocesses: the pages are read in the crawl's worker processes.
        str(py_spy), "record", "--subprocesses", "--format", "raw", "--rate", "200", "--output", str(stacks), "--",
        *newsmirror_command(site.base + "/feed.xml", folder / "mirror", concurrency, folder / "crawl.log"),
    ]  # fmt: skip
    usage = measure(command, cwd=REPO_ROOT, env=env, output=folder / "py-spy.out")
    posts = sum(1 for _ in (folder / "mirror").rglob("*.md"))
    print(f"profiled crawl: {articles} articles, {posts} posts, {usage.seconds:.1f} s under py-spy (exit {usage.returncode})")
    if not stacks.exists():
        print((folder / "py-spy.out").read_text(errors="replace")[-2000:])
        raise SystemExit("py-spy wrote no profile (ptrace not permitted here?)")
    own: Counter[str] = Counter()
    cumulative: Counter[str] = Counter()
    total = 0
    for line in stacks.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_frame_name(frame) for frame in stack.split(";") if frame]
        total += count
        if frames:
            own[frames[-1]] += count
        for frame in set(frames):
            cumulative[frame] += count
    print(f"\n{total} samples; stacks (collapsed format: load in https://www.speedscope.app or flamegraph.pl): {stacks}")
    # Scrapy's, Twisted's and asyncio's frames top any cumulative list; this one shows ours.
    ours = Counter({name: count for name, count in cumulative.items() if "(newsmirror/" in name})
    for title, counter in (("own time", own), ("cumulative time", cumulative), ("cumulative time, newsmirror/ only", ours)):
        print(f"\ntop 20 by {title}:")
        for name, count in counter.most_common(20):
            print(f"  {100 * count / max(total, 1):5.1f}%  {name}")


def _frame_name(frame: str) -> str:
    """Return 'function (file.py)' for a py-spy frame 'function (path/file.py:line)'.

    With --subprocesses each stack starts with a 'process PID:"command line"' frame (a
    command line with ';' in it spans several): those become '[crawl process]' and
    '[reader process]'.
    """
    if frame.startswith("process ") and ':"' in frame:
        return "[reader process]" if "forkserver" in frame else "[crawl process]"
    if frame.startswith(" main(") or frame.startswith("main(") and "sys_path" in frame:
        return "[reader process]"
    match = re.match(r"(.*) \((.*?)(?::\d+)?\)$", frame)
    if not match:
        return frame
    function, path = match.groups()
    parts = Path(path).parts
    if "site-packages" in parts:
        short = "/".join(parts[parts.index("site-packages") + 1:])
    elif "newsmirror" in parts:
        short = "/".join(parts[len(parts) - 1 - parts[::-1].index("newsmirror"):])
    else:
        short = "/".join(parts[-2:])
    return f"{function} ({short})"


def main() -> int:
    """Run the benchmark; print the tables; write bench/out/throughput.json."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=REPO_ROOT.parent / "shared" / "corpus")
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--skip-peer", action="store_true", help="leave trafilatura out")
    parser.add_argument("--rss-sizes", default="2000,20000", help="N of the peak-RSS runs; empty for none")
    parser.add_argument("--noop-rows", type=int, default=20000, help="ledger rows of the no-op re-run; 0 for none")
    parser.add_argument("--profile", action="store_true", help="only profile one newsmirror crawl of --articles")
    parser.add_argument("--listing", choices=("feed", "sitemap", "both"), default="both",
                        help="what the memory runs crawl, each N over each listing (the rounds and the no-op re-run always crawl the feed)")  # fmt: skip
    parser.add_argument("--stop-after", type=int, default=0,
                        help="memory runs end after this many posts (CLOSESPIDER_ITEMCOUNT): the whole listing is"
                             " still fetched, read and waiting, so its memory shows, in minutes; 0 crawls all N")  # fmt: skip
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", dest="settings",
                        help="a Scrapy setting for every newsmirror crawl of the rounds and memory runs"
                             " (e.g. MIRROR_DUPLICATES=off); repeatable")  # fmt: skip
    args = parser.parse_args()
    if any("=" not in setting for setting in args.settings):
        parser.error("--set takes NAME=VALUE")
    if not (args.corpus / "pages").is_dir():
        print(f"skipped: no corpus at {args.corpus} (pass --corpus DIR, the folder holding pages/)")
        return 0
    if not args.skip_peer and not PEER_BIN.exists():
        print(f"no trafilatura at {PEER_BIN}: run `make bench` (it installs bench/.venv-compare) or pass --skip-peer")
        return 2
    with tempfile.TemporaryDirectory(prefix="newsmirror-throughput-") as scratch:
        work = Path(scratch)
        if args.profile:
            with perf_site(args.corpus, args.articles) as site:
                profile(site, args.articles, args.concurrency, work)
            return 0
        result = measure_all(args, work)
    OUT.mkdir(exist_ok=True)
    (OUT / "throughput.json").write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\nevery figure: {OUT / 'throughput.json'}")
    return 0


def measure_all(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """Run the rounds, the RSS runs and the no-op re-run; print them; return every figure."""
    result: dict[str, Any] = {"date": datetime.now().astimezone().isoformat(timespec="seconds"),
                              "articles": args.articles, "concurrency": args.concurrency,
                              "settings": args.settings}  # fmt: skip
    rounds: list[dict[str, Run]] = []
    print(f"{args.articles} articles, concurrency {args.concurrency}, {args.rounds} rounds")
    with perf_site(args.corpus, args.articles) as site:
        url_file = work / "urls.txt"
        url_file.write_bytes(site.get("/urls.txt"))
        for number in range(args.rounds):
            round_dir = work / f"round{number + 1}"
            round_dir.mkdir()
            runs = {"raw": run_raw(site, url_file, args.articles, args.concurrency, round_dir)}
            runs["newsmirror"] = run_newsmirror(site, args.articles, args.concurrency, round_dir,
                                                settings=tuple(args.settings))  # fmt: skip
            if not args.skip_peer:
                runs["peer"] = run_peer(site, url_file, args.articles, args.concurrency, round_dir)
            rounds.append(runs)
            print(f"  round {number + 1}: " + ", ".join(f"{side} {run.seconds:.1f} s" for side, run in runs.items()), flush=True)
            # Each round's posts are counted; their disk space is not needed any more.
            shutil.rmtree(round_dir / "newsmirror" / "mirror", ignore_errors=True)
    result["rounds"] = [{side: {**asdict(run), "rate": run.rate} for side, run in runs.items()} for runs in rounds]
    if rounds:  # --rounds 0: only the memory runs and the no-op re-run
        result["rates"] = print_round_table(rounds, args.skip_peer)
        print_outputs(rounds)

    sizes = [int(size) for size in args.rss_sizes.split(",") if size.strip()]
    listings = ["feed", "sitemap"] if args.listing == "both" else [args.listing]
    stop_after = args.stop_after
    if args.noop_rows and stop_after:
        print("  --stop-after leaves the mirror short: no no-op re-run here (bench/noop_rerun.py --listing feed has one)")
    rss_runs: dict[str, dict[int, Run]] = {}
    for listing in listings:
        runs_here = rss_runs.setdefault(listing, {})
        wanted = sizes + ([args.noop_rows] if listing == "feed" and args.noop_rows and not stop_after
                          and args.noop_rows not in sizes else [])  # fmt: skip
        for size in wanted:
            if listing == "feed" and size == args.articles and rounds and size != args.noop_rows and not stop_after:
                # The rounds already crawled this N: take the first round's run, saving a crawl.
                runs_here[size] = rounds[0]["newsmirror"]
                continue
            with perf_site(args.corpus, size) as site:
                label = f"rss-{listing}-{size}"
                limit = stop_after if stop_after and stop_after < size else 0
                run = run_newsmirror(site, size, args.concurrency, work, label=label, listing=listing, stop_after=limit,
                                     settings=tuple(args.settings))  # fmt: skip
                runs_here[size] = run
                print(f"  newsmirror over the {listing} at N={size}: {run.seconds:.1f} s, {run.written} posts, "
                      f"peak RSS {run.max_rss_kb / 1024:.0f} MB, tree PSS {run.tree_pss_kb / 1024:.0f} MB", flush=True)  # fmt: skip
                if listing == "feed" and size == args.noop_rows and not stop_after:
                    # The feed: the same URLs, and its log marks when the list was read.
                    result["noop"] = noop_rerun(site, run, args.concurrency)
    result["rss"] = {listing: {str(size): {**asdict(run), "rate": run.rate} for size, run in runs.items()}
                     for listing, runs in rss_runs.items()}  # fmt: skip
    result["stop_after"] = stop_after
    for listing, runs in rss_runs.items():
        if not runs:
            continue
        ended = f", each run ended after {stop_after} posts (the whole listing read and waiting)" if stop_after else ""
        print(f"\npeak memory of the newsmirror crawl over the {listing} (one run each{ended}): the crawl process's RSS;"
              " the summed PSS and RSS of its whole process tree (crawl, fork server, reader processes); CPU of the tree")  # fmt: skip
        for size, run in runs.items():
            expected = min(size, stop_after) if stop_after else size
            shortfall = "" if run.written >= expected else f"  SHORT {expected - run.written}: {run.notes['failure_reasons']}"
            print(f"  N={size:>6}: crawl {run.max_rss_kb / 1024:4.0f} MB RSS; tree {run.tree_pss_kb / 1024:4.0f} MB PSS,"
                  f" {run.tree_rss_kb / 1024:4.0f} MB RSS; {run.seconds:6.1f} s wall, {run.cpu_seconds:6.1f} s CPU; "
                  f"{run.written} posts  exit {run.returncode}{shortfall}")  # fmt: skip
        if len(runs) > 1:
            small, big = runs[min(runs)], runs[max(runs)]
            result[f"rss_ratio/{listing}"] = ratio(big.max_rss_kb, small.max_rss_kb)
            result[f"tree_pss_ratio/{listing}"] = ratio(big.tree_pss_kb, small.tree_pss_kb)
            print(f"  ratio N={max(runs)} / N={min(runs)}: crawl RSS {result[f'rss_ratio/{listing}']:.2f}, "
                  f"tree PSS {result[f'tree_pss_ratio/{listing}']:.2f}")  # fmt: skip
    if "noop" in result:
        noop = result["noop"]
        print(f"\nno-op re-run, {noop['ledger_rows']} known articles: {noop['seconds']:.2f} s wall, exit {noop['returncode']}")
        print(f"  requests the site saw: {noop['requests']}")
        print(f"  phases (s after process start): {noop['phases']}")
        print(f"  list (feed fetch + parse, robots.txt): {noop['list_seconds']} s; "
              f"excluding it: {noop['excluding_list_seconds']} s")  # fmt: skip
        print(f"  skipped as known: {noop['skipped_known']}; posts written: {noop['posts_new']}; "
              f"feed parse alone, in-process: {noop['feed_parse_seconds']:.2f} s")  # fmt: skip
    return result


def noop_rerun(site: PerfSiteProcess, filled: Run, concurrency: int) -> dict[str, Any]:
    """Run the feed crawl again into the MIRROR_DIR *filled* wrote: every article is known."""
    mirror = Path(filled.notes["mirror_dir"])
    rerun = crawl_into(site, mirror, filled.articles, concurrency, label="noop")
    marks = rerun.notes["phases"]
    list_seconds = None
    if "spider_opened" in marks and "feed_parsed" in marks:
        list_seconds = round(marks["feed_parsed"] - marks["spider_opened"], 3)
    # The feed parse by itself, in this process: how much of the list phase is parsing.
    sys.path.insert(0, str(REPO_ROOT))
    from newsmirror.feeds import read_feed  # noqa: PLC0415 (only this step needs newsmirror)

    body = site.get("/feed.xml")
    started = time.perf_counter()
    entries = len(read_feed(body, site.base + "/feed.xml", "application/rss+xml").entries)
    parse_seconds = time.perf_counter() - started
    return {
        "ledger_rows": filled.written,
        "seconds": rerun.seconds,
        "returncode": rerun.returncode,
        "max_rss_kb": rerun.max_rss_kb,
        "requests": rerun.requests,
        "phases": marks,
        "list_seconds": list_seconds,
        "excluding_list_seconds": None if list_seconds is None else round(rerun.seconds - list_seconds, 3),
        "skipped_known": rerun.notes["skipped_known"],
        "posts_new": rerun.notes["posts_new"],
        "posts_on_disk": rerun.written,
        "feed_entries": entries,
        "feed_parse_seconds": parse_seconds,
        "failure_reasons": rerun.notes["failure_reasons"],
    }


if __name__ == "__main__":
    sys.exit(main())
