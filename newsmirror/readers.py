"""Reader processes: article pages are read (extracted and cleaned) on every core.

Scrapy runs in one thread; reading a real page (parsing, readability, the sanitizer)
costs tens of milliseconds of CPU, so read in the crawl's own process it caps a crawl
at what one core can read, far below what Scrapy can fetch (bench/RESULTS.md, issue 8).
:class:`PageReaders` hands each page's bytes to a small pool of worker processes and
awaits the result, so the crawl keeps fetching and writing while the pages are read.

What a worker returns is plain data: the filled item (or the reason it was dropped),
the layout counts for the run's stats, and the log records reading produced, which
the crawl's process logs as its own.  The workers run :mod:`newsmirror.reading`, which
needs no Scrapy (multiprocessing still re-imports the ``scrapy`` script itself in each
worker, as it does any main script: about 47 MB of PSS a worker in all).  Writing posts
and the ledger stays in the crawl's process, so durability does not depend on the workers.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable, TypeVar

logger = logging.getLogger(__name__)

Result = TypeVar("Result")

# What every worker needs: the fork server imports it once, and each worker is forked
# from it ready to read, instead of importing lxml and readability anew.
_PRELOAD = ["newsmirror.reading"]


def reader_processes(value: str | int | None) -> int:
    """Return the number of reader processes ``MIRROR_READER_PROCESSES`` asks for.

    ``auto`` (or empty) means one per core, none on a single core: there, a worker would
    only compete with the crawl for the one core. ``0`` reads pages in the crawl's process.
    """
    if value in (None, "", "auto"):
        cores = os.cpu_count() or 1
        return cores if cores > 1 else 0
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


def _start_worker(log_level: int | str) -> None:
    """Prepare a worker: log for the crawl, leave signals to it, and exit when it is gone."""
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

    def _started(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # forkserver, not fork: forking the crawl's process would copy a running
            # reactor and its threads (and their held locks) into every worker.
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(_PRELOAD)
            self._pool = ProcessPoolExecutor(
                max_workers=self.processes,
                mp_context=context,
                initializer=_start_worker,
                initargs=(self.log_level,),
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
            result, records = await asyncio.wrap_future(pool.submit(_call_logged, function, args))
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
        """Return the process ids of the running workers (for diagnostics and tests)."""
        if self._pool is None:
            return []
        # ProcessPoolExecutor keeps its processes in a private mapping; no public way lists them.
        return [process.pid for process in list((self._pool._processes or {}).values()) if process.pid is not None]

    def close(self) -> None:
        """Stop the workers; pages still queued are not read."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
