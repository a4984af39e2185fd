"""Run the real ``scrapy crawl`` in a subprocess and read back what it wrote."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
CRAWL_TIMEOUT = 120
# A warning printed by a crawl (ours or a Scrapy deprecation our code triggers) fails
# the test, as warnings do in-process.
_NOWHERE = "http://127.0.0.1:9"  # the discard port: nothing listens there
_WARNING_LINE = re.compile(r"\b\w*Warning: ")
# Politeness delays off (the server is local); the address guard lets the loopback
# server through; a contact, as unattended runs need one.
CRAWL_DEFAULTS = {
    "AUTOTHROTTLE_ENABLED": "False",
    "MIRROR_MAX_FAILED_RATIO": "1",
    "MIRROR_ALLOWED_HOSTS": "127.0.0.1,localhost",
    "MIRROR_CONTACT": "https://github.com/newsmirror/newsmirror/issues",
}


@dataclass(frozen=True)
class CrawlResult:
    """What one ``scrapy crawl`` run produced."""

    returncode: int
    log: str
    items: list[dict[str, Any]]

    def stat(self, name: str) -> Any:
        """Return one value of the crawl's final stats dump, or None."""
        match = re.search(rf"'{re.escape(name)}': ([^,\n}}]+)", self.log)
        return None if match is None else json.loads(match.group(1).replace("'", '"'))


def run_python(args: list[str], *, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python ARGS`` with this repository importable and no inherited Scrapy project.

    Without *env*, HTTP(S) goes to a closed loopback port, so a test can never reach
    the internet by mistake.
    """
    process_env = dict(env if env is not None else os.environ)
    if env is None:
        process_env.update(dict.fromkeys(("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"), _NOWHERE))
        # NO_PROXY=* (common on CI machines) would send requests around that closed port.
        for name in ("no_proxy", "NO_PROXY"):
            process_env.pop(name, None)
    process_env["PYTHONPATH"] = str(REPO_ROOT)
    process_env.pop("SCRAPY_SETTINGS_MODULE", None)
    return subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        env=process_env,
        capture_output=True,
        text=True,
        timeout=CRAWL_TIMEOUT,
        check=False,
    )


def run_crawl(
    spider: str,
    *args: str,
    env: dict[str, str] | None = None,
    settings: dict[str, str] | None = None,
    index: Path | None = None,
    check: bool = True,
) -> CrawlResult:
    """Run ``scrapy crawl SPIDER ARGS -s K=V ...`` from the repository root and return its result.

    Politeness delays are switched off (the server is local), and so is the failed-share
    exit code (tests of failures check the log and stats; tests/test_incremental.py checks
    the exit code with its own ratio); ``CRAWL_DEFAULTS`` apply unless *settings*
    overrides them; everything else is the project's real configuration.
    """
    command = ["-m", "scrapy", "crawl", spider, *args]
    for name, value in {**CRAWL_DEFAULTS, **(settings or {})}.items():
        command += ["-s", f"{name}={value}"]
    if index is not None:
        command += ["-O", str(index)]
    done = run_python(command, cwd=REPO_ROOT, env=env)
    log = done.stdout + done.stderr
    if check:
        assert done.returncode == 0, f"crawl failed ({done.returncode}):\n{log[-6000:]}"
        warnings = [line for line in log.splitlines() if _WARNING_LINE.search(line)]
        assert not warnings, "the crawl printed warnings:\n" + "\n".join(warnings)
    items = []
    if index is not None and index.exists():
        items = [json.loads(line) for line in index.read_text(encoding="utf-8").splitlines() if line]
    return CrawlResult(done.returncode, log, items)


def read_tree(root: Path) -> dict[str, bytes]:
    """Return every file under *root* (relative POSIX path -> bytes)."""
    return {path.relative_to(root).as_posix(): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


def mtimes(root: Path) -> dict[str, int]:
    """Return the modification time (ns) of every file under *root*."""
    return {path.relative_to(root).as_posix(): path.stat().st_mtime_ns for path in root.rglob("*") if path.is_file()}
