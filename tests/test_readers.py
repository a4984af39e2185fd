"""Reader processes: pages read on every core give exactly what reading in the crawl gives.

The crawl-level check (same posts with and without workers) is in
tests/test_crawl_article.py; these tests drive :class:`PageReaders` directly with real
worker processes.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from newsmirror.items import ArticleItem, ListingHints
from newsmirror.readers import PageReaders, ReaderDied, reader_processes, usable_cpus
from newsmirror.reading import FetchedPage, read_page
from tests.support.crawl import REPO_ROOT
from tests.support.pages import article_page

URL = "http://news.example.com/2024/one.html"


def test_the_number_of_reader_processes() -> None:
    cpus = usable_cpus()
    assert reader_processes("auto") == reader_processes(None) == (cpus if cpus > 1 else 0)
    assert reader_processes("auto", cpus=1) == 0 and reader_processes("auto", cpus=2) == 2


def fake_cgroups(root: Path, own: str, files: dict[str, str]) -> tuple[Path, Path]:
    """Lay out a cgroup mount under *root* and a /proc/self/cgroup naming *own*; return both paths."""
    mount = root / "sys-fs-cgroup"
    for name, text in files.items():
        (mount / name).parent.mkdir(parents=True, exist_ok=True)
        (mount / name).write_text(text + "\n", "ascii")
    mount.mkdir(exist_ok=True)
    proc = root / "proc-self-cgroup"
    proc.write_text(own, "ascii")
    return mount, proc


def test_auto_readers_count_the_cpus_this_process_may_use_not_the_hosts_cores(tmp_path: Path) -> None:
    # A 2-CPU container (cgroup v2 cpu.max) on a 64-core host: 2 readers, not 64.
    many = set(range(64))
    mount, proc = fake_cgroups(tmp_path / "v2", "0::/job.slice/crawl.scope\n", {
        "job.slice/cpu.max": "200000 100000",
        "job.slice/crawl.scope/cpu.max": "max 100000",  # no limit of its own: the parent's binds
    })  # fmt: skip
    assert usable_cpus(cgroup_root=mount, proc_cgroup=proc, affinity=many) == 2
    # The affinity mask (taskset) counts when it is tighter than the quota.
    assert usable_cpus(cgroup_root=mount, proc_cgroup=proc, affinity={5}) == 1
    # A fractional quota rounds up; inside a cgroup namespace the path reads "/" and the
    # mount itself is the container's cgroup.
    mount, proc = fake_cgroups(tmp_path / "ns", "0::/\n", {"cpu.max": "150000 100000"})
    assert usable_cpus(cgroup_root=mount, proc_cgroup=proc, affinity=many) == 2
    # cgroup v1: cpu.cfs_quota_us over cpu.cfs_period_us, -1 meaning no quota.
    mount, proc = fake_cgroups(tmp_path / "v1", "4:cpu,cpuacct:/docker/abc\n3:memory:/docker/abc\n", {
        "cpu,cpuacct/docker/abc/cpu.cfs_quota_us": "300000",
        "cpu,cpuacct/docker/abc/cpu.cfs_period_us": "100000",
    })  # fmt: skip
    assert usable_cpus(cgroup_root=mount, proc_cgroup=proc, affinity=many) == 3
    mount, proc = fake_cgroups(tmp_path / "none", "1:cpu:/\n0::/\n", {
        "cpu/cpu.cfs_quota_us": "-1",
        "cpu/cpu.cfs_period_us": "100000",
        "cpu.max": "max 100000",
    })  # fmt: skip
    assert usable_cpus(cgroup_root=mount, proc_cgroup=proc, affinity={0, 1, 2}) == 3
    # What this very process may use, as MIRROR_READER_PROCESSES=auto counts it.
    assert usable_cpus() <= len(os.sched_getaffinity(0))
    assert reader_processes("0") == 0 and reader_processes(3) == 3
    for bad in ("-1", "two", "1.5"):
        with pytest.raises(ValueError, match="MIRROR_READER_PROCESSES"):
            reader_processes(bad)


def test_a_page_read_in_a_worker_equals_the_page_read_here() -> None:
    fetched = FetchedPage(URL, article_page("Ferry returns", "2024-05-01T08:00:00Z", "The ferry is back."), "utf-8")
    here = read_page(ArticleItem(url=URL), fetched, {}, "drop")

    async def in_worker() -> object:
        readers = PageReaders(1)
        try:
            return await readers.run(read_page, ArticleItem(url=URL), fetched, {}, "drop")
        finally:
            readers.close()

    there = asyncio.run(in_worker())
    assert here.item is not None and here.item.title == "Ferry returns"
    assert there == here


def test_what_a_worker_logs_reaches_the_crawls_log(caplog: pytest.LogCaptureFixture) -> None:
    # A page with no body of its own, whose feed item carries one: reading logs the fallback.
    empty = b"<html><head><title>Short note</title></head><body><h1>Short note</h1></body></html>"
    hints = ListingHints(
        title="Short note",
        date=datetime(2024, 5, 1, tzinfo=timezone.utc),
        content_html="<p>The feed's own text of the note.</p>",
    )

    async def in_worker() -> object:
        readers = PageReaders(1)
        try:
            return await readers.run(read_page, ArticleItem(url=URL, hints=hints), FetchedPage(URL, empty, None), {}, "drop")
        finally:
            readers.close()

    with caplog.at_level(logging.INFO, logger="newsmirror"):
        outcome = asyncio.run(in_worker())
    assert outcome.item is not None and "feed's own text" in outcome.item.body_html
    forwarded = [record for record in caplog.records if record.name == "newsmirror.reading"]
    assert [record.getMessage() for record in forwarded] == [f"No article body on {URL}; using the feed's HTML"]


def test_a_worker_that_dies_fails_its_page_and_the_next_page_gets_a_fresh_worker() -> None:
    async def scenario() -> tuple[int, int]:
        readers = PageReaders(1)
        try:
            first = await readers.run(os.getpid)
            stuck = asyncio.ensure_future(readers.run(time.sleep, 60))
            await asyncio.sleep(0.5)
            os.kill(first, signal.SIGKILL)
            with pytest.raises(ReaderDied):
                await stuck
            return first, await readers.run(os.getpid)
        finally:
            readers.close()

    dead, fresh = asyncio.run(scenario())
    assert fresh != dead


def test_the_readers_know_the_pids_of_their_workers_and_forget_them_with_the_pool() -> None:
    # Kept by the readers themselves (each worker says its pid as it starts), not read
    # from the pool's private process map.
    readers = PageReaders(2)

    async def scenario() -> tuple[list[int], set[int]]:
        await asyncio.gather(readers.run(time.sleep, 1), readers.run(time.sleep, 1))
        return readers.worker_pids(), {process.pid for process in multiprocessing.active_children()}

    try:
        pids, children = asyncio.run(scenario())
    finally:
        readers.close()
    assert len(set(pids)) == 2 and set(pids) <= children
    assert readers.worker_pids() == []


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"  # a zombie has exited; only its exit status is left to collect


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads process states from /proc (Linux)")
def test_workers_exit_when_the_crawl_is_killed() -> None:
    # kill -9 gives the crawl no chance to stop its workers; left running, they would
    # hold its output pipes open (and this subprocess.run would never return).
    script = textwrap.dedent(
        """
        import asyncio, os, signal, time
        from newsmirror.readers import PageReaders

        async def main():
            readers = PageReaders(2)
            # Two pages that each keep a worker busy: both workers start, one page each.
            await asyncio.gather(readers.run(time.sleep, 1), readers.run(time.sleep, 1))
            print(*readers.worker_pids(), flush=True)
            os.kill(os.getpid(), signal.SIGKILL)

        asyncio.run(main())
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == -signal.SIGKILL, done.stderr
    workers = [int(pid) for pid in done.stdout.split()]
    assert len(workers) == 2
    deadline = time.monotonic() + 20
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(_alive(pid) for pid in workers)


def test_a_worker_does_not_run_the_crawls_main_script_again(tmp_path: Path) -> None:
    # multiprocessing runs the parent's main script in every worker it starts (for a crawl,
    # the `scrapy` script: all of Scrapy and Twisted, ~47 MB a worker); the readers need none
    # of it. The script says each time it runs; only the crawl's own run may say so.
    runs = tmp_path / "runs.txt"
    script = tmp_path / "crawl_main.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import asyncio, os
            with open({str(runs)!r}, "a") as runs:
                runs.write(f"{{os.getpid()}}\\n")

            from newsmirror.readers import PageReaders

            async def main():
                readers = PageReaders(2)
                try:
                    await asyncio.gather(readers.run(os.getpid), readers.run(os.getpid))
                finally:
                    readers.close()

            if __name__ == "__main__":
                asyncio.run(main())
            """
        )
    )
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert len(runs.read_text().split()) == 1


def test_a_workers_inherited_objects_are_frozen_out_of_its_garbage_collection() -> None:
    # A collection writes to every object it visits; in a worker, those are the fork
    # server's modules, so each visit would copy a shared page into the worker.
    readers = PageReaders(1)
    try:
        frozen = asyncio.run(readers.run(gc.get_freeze_count))
    finally:
        readers.close()
    assert frozen > 10_000
