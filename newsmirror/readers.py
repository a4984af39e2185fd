"""Reader processes: article pages are read (extracted and cleaned) on every core.

Scrapy runs in one thread; reading a real page (parsing, readability, the sanitizer)
costs tens of milliseconds of CPU, so read in the crawl's own process it caps a crawl
at what one core can read, far below what Scrapy can fetch (bench/RESULTS.md, issue 8).
:class:`PageReaders` hands each page's bytes to a small pool of worker processes and
awaits the result, so the crawl keeps fetching and writing while the pages are read.

What a worker returns is plain data: the filled item (or the reason it was dropped),
the layout counts for the run's stats, and the log records reading produced, which
the crawl's process logs as its own.  The workers run :mod:`newsmirror.reading`, which
needs no Scrapy, and the workers never import it: multiprocessing would run the crawl's
``scrapy`` script again in each (about 47 MB of PSS a worker in all), so the pool starts
them with that script hidden (:func:`_main_script_hidden`).  Writing posts
and the ledger stays in the crawl's process, so durability does not depend on the workers.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import math
import multiprocessing
import os
import signal
import sys
import threading
import types
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from multiprocessing.queues import SimpleQueue
from pathlib import Path
from typing import Any, Callable, Iterator, TypeVar

logger = logging.getLogger(__name__)

Result = TypeVar("Result")

# What every worker needs, loaded and warmed (newsmirror/readerserver.py): the fork server
# imports it once, and each worker is forked from it ready to read, sharing its pages,
# instead of importing lxml and readability anew.
_PRELOAD = ["newsmirror.readerserver"]


CGROUP_ROOT = Path("/sys/fs/cgroup")
PROC_SELF_CGROUP = Path("/proc/self/cgroup")


def _read_text(path: Path) -> str | None:
    """Return a small control file's text, or None when it is missing or unreadable."""
    try:
        return path.read_text("ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None


def _own_cgroups(proc_cgroup: Path) -> dict[str, str]:
    """Map each cgroup hierarchy of this process to its path: ``""`` for v2, ``"cpu,cpuacct"`` for a v1 one."""
    text = _read_text(proc_cgroup) or ""
    hierarchies: dict[str, str] = {}
    for line in text.splitlines():
        parts = line.split(":", 2)
        if len(parts) == 3:
            hierarchies[parts[1]] = parts[2]
    return hierarchies


def _candidate_folders(mount: Path, cgroup_path: str) -> list[Path]:
    """Return the cgroup folder of this process and its ancestors, innermost first.

    Inside a container's cgroup namespace the path often reads ``/`` while the mount is
    the container's own cgroup, so the mount itself is always the last candidate.
    """
    folders: list[Path] = []
    relative = Path(cgroup_path.lstrip("/"))
    while relative != Path("."):
        folders.append(mount / relative)
        relative = relative.parent
    folders.append(mount)
    return [folder for folder in folders if folder.is_dir()]


def _quota(quota: float, period: float) -> float | None:
    """Return a CPU quota in CPUs, or None for "no limit" and nonsense."""
    if quota <= 0 or period <= 0:
        return None
    return quota / period


def cgroup_cpu_limit(cgroup_root: Path = CGROUP_ROOT, proc_cgroup: Path = PROC_SELF_CGROUP) -> float | None:
    """Return the CPU quota (in CPUs, e.g. 1.5) the cgroups of this process set, or None without one.

    cgroup v2 keeps it in ``cpu.max`` (``"max 100000"`` means none); v1 in
    ``cpu.cfs_quota_us`` and ``cpu.cfs_period_us`` (a quota of -1 means none). A quota set
    on an ancestor binds too, so the smallest along the path wins.
    """
    limits: list[float] = []
    for hierarchy, cgroup_path in _own_cgroups(proc_cgroup).items():
        if hierarchy == "":  # cgroup v2, the unified hierarchy
            for mount in (cgroup_root, cgroup_root / "unified"):
                for folder in _candidate_folders(mount, cgroup_path):
                    fields = (_read_text(folder / "cpu.max") or "").split()
                    if len(fields) == 2 and fields[0] != "max":
                        try:
                            limit = _quota(float(fields[0]), float(fields[1]))
                        except ValueError:
                            continue
                        if limit is not None:
                            limits.append(limit)
        elif "cpu" in hierarchy.split(","):
            for name in dict.fromkeys((hierarchy, "cpu", "cpu,cpuacct")):
                for folder in _candidate_folders(cgroup_root / name, cgroup_path):
                    quota, period = _read_text(folder / "cpu.cfs_quota_us"), _read_text(folder / "cpu.cfs_period_us")
                    try:
                        limit = _quota(float(quota or "-1"), float(period or "0"))
                    except ValueError:
                        continue
                    if limit is not None:
                        limits.append(limit)
    return min(limits) if limits else None


def usable_cpus(
    *,
    cgroup_root: Path = CGROUP_ROOT,
    proc_cgroup: Path = PROC_SELF_CGROUP,
    affinity: set[int] | None = None,
) -> int:
    """Return how many CPUs this process may really use: its affinity mask, cut to its cgroup quota.

    ``os.cpu_count()`` counts the host's cores: a 2-CPU container on a 64-core host
    would start 64 readers fighting over two CPUs. A fractional quota (1.5) rounds up,
    since the extra process still gets the half CPU.
    """
    if affinity is None:
        affinity = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else set()
    cpus = len(affinity) or os.cpu_count() or 1
    limit = cgroup_cpu_limit(cgroup_root, proc_cgroup)
    if limit is not None:
        cpus = min(cpus, max(1, math.ceil(limit)))
    return cpus


def reader_processes(value: str | int | None, cpus: int | None = None) -> int:
    """Return the number of reader processes ``MIRROR_READER_PROCESSES`` asks for.

    ``auto`` (or empty) means one per CPU this process may use (:func:`usable_cpus`, or
    *cpus* when given), none on a single CPU: there, a worker would only compete with
    the crawl for it. ``0`` reads pages in the crawl's process.
    """
    if value in (None, "", "auto"):
        cpus = usable_cpus() if cpus is None else cpus
        return cpus if cpus > 1 else 0
    try:
        count = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"MIRROR_READER_PROCESSES must be a whole number or 'auto', not {value!r}") from None
    if count < 0:
        raise ValueError(f"MIRROR_READER_PROCESSES must not be negative, not {count}")
    return count


class _WorkerLog(logging.Handler):
    """Holds a worker's log records as plain data until its result goes back to the crawl."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[tuple[str, int, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append((record.name, record.levelno, record.getMessage()))


_worker_log = _WorkerLog()


def _start_worker(log_level: int | str, started: SimpleQueue[int]) -> None:
    """Prepare a worker: say its pid, log for the crawl, leave signals to it, and exit when it is gone."""
    # Out of the collector's reach, the fork server's objects stay on pages shared with it:
    # a collection writes to every object it visits, and the write would copy the page.
    gc.freeze()
    started.put(os.getpid())
    root = logging.getLogger()
    root.addHandler(_worker_log)
    root.setLevel(log_level)  # the crawl's LOG_LEVEL: records it would not write are not sent
    # Ctrl-C and a service manager's SIGTERM reach the whole process group; the crawl
    # shuts its workers down itself, after the items in flight are written.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    watchdog = threading.Thread(target=_exit_with_crawl, name="reader-watchdog", daemon=True)
    watchdog.start()


def _exit_with_crawl() -> None:
    """Exit this worker as soon as the crawl that started it is gone (killed with -9, say).

    A killed crawl cannot shut its pool down, and an orphaned worker would hold the
    crawl's log and output pipes open forever.  The crawl's end of a pipe closes when it
    dies, whoever reaps it and when; the fork server cannot tell, since every worker
    keeps it alive.
    """
    crawl = multiprocessing.parent_process()
    if crawl is None:
        return
    crawl.join()
    os._exit(0)


def _call_logged(function: Callable[..., Result], args: tuple[Any, ...]) -> tuple[Result, list[tuple[str, int, str]]]:
    """Run ``function(*args)`` in a worker; return its result and the records it logged."""
    _worker_log.records = []
    try:
        return function(*args), _worker_log.records
    finally:
        _worker_log.records = []


@contextmanager
def _main_script_hidden() -> Iterator[None]:
    """Keep multiprocessing from running the crawl's main script again in each worker it starts.

    A worker started by the fork server re-runs the parent's ``__main__`` (for ``scrapy
    crawl``, the ``scrapy`` script, which imports all of Scrapy and Twisted) unless that
    module names no file and no module spec; Python 3.11's ``'__main__'`` preload does not
    help (cpython gh-126631).  Readers unpickle only functions of :mod:`newsmirror`, so they
    need none of it.  A bare ``__main__`` stands in while the pool starts its processes,
    which it does in :meth:`ProcessPoolExecutor.submit`, in this thread.
    """
    main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = main


class ReaderDied(RuntimeError):
    """A reader process died while reading a page (the OS killed it, or a library crashed)."""


class PageReaders:
    """A pool of worker processes reading pages; started at the first page, not before."""

    def __init__(self, processes: int, log_level: int | str = logging.INFO) -> None:
        if processes < 1:
            raise ValueError("PageReaders needs at least one process")
        self.processes = processes
        self.log_level = log_level
        self._pool: ProcessPoolExecutor | None = None
        # Each worker of the current pool puts its pid here as it starts: the pool itself
        # has no public list of its processes.
        self._started_pids: SimpleQueue[int] | None = None
        self._pids: list[int] = []

    def _started(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # forkserver, not fork: forking the crawl's process would copy a running
            # reactor and its threads (and their held locks) into every worker.
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(_PRELOAD)
            self._forget_workers()
            self._started_pids = context.SimpleQueue()
            self._pool = ProcessPoolExecutor(
                max_workers=self.processes,
                mp_context=context,
                initializer=_start_worker,
                initargs=(self.log_level, self._started_pids),
            )
            logger.info("Reading pages in %d worker processes (MIRROR_READER_PROCESSES)", self.processes)
        return self._pool

    async def run(self, function: Callable[..., Result], *args: Any) -> Result:
        """Run ``function(*args)`` in a reader process and return its result.

        *function* must be a module-level function and *args* picklable. Raises
        :class:`ReaderDied` when the process died under it; the pool is replaced, so
        the next page gets a fresh worker.
        """
        pool = self._started()
        try:
            with _main_script_hidden():
                submitted = pool.submit(_call_logged, function, args)
            result, records = await asyncio.wrap_future(submitted)
        except BrokenProcessPool as error:
            if self._pool is pool:
                self._pool = None
                pool.shutdown(wait=False, cancel_futures=True)
            raise ReaderDied(str(error) or "a reader process died") from error
        for name, level, message in records:
            # Logged here, the records reach the crawl's log file, format and level.
            logging.getLogger(name).log(level, "%s", message)
        return result

    def worker_pids(self) -> list[int]:
        """Return the process ids of the current pool's workers that have started (for diagnostics and tests)."""
        if self._started_pids is not None:
            while not self._started_pids.empty():
                self._pids.append(self._started_pids.get())
        return list(self._pids)

    def _forget_workers(self) -> None:
        """Drop the pids of a pool that is gone, and the queue they came through."""
        if self._started_pids is not None:
            self._started_pids.close()
        self._started_pids, self._pids = None, []

    def close(self) -> None:
        """Stop the workers; pages still queued are not read."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
            self._forget_workers()
