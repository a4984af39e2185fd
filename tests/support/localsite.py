"""Start ``newsmirror.localsite`` in a subprocess and talk to it from tests."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT = 15.0
STOP_TIMEOUT = 10.0
_PROXY_VARS = ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY")
_NO_PROXY_VARS = ("no_proxy", "NO_PROXY")


@dataclass(frozen=True)
class LocalSite:
    """A running local site: its port, URLs, proxy settings and request log."""

    port: int
    log: Path
    host: str = "127.0.0.1"

    def url(self, path: str = "/") -> str:
        """Return the direct URL of *path*, e.g. ``http://127.0.0.1:PORT/a.html``."""
        return f"{self.proxy_url}/{path.lstrip('/')}"

    @property
    def proxy_url(self) -> str:
        """Return the server's address for use as an HTTP and HTTPS proxy."""
        return f"http://{self.host}:{self.port}"

    def proxy_env(self) -> dict[str, str]:
        """Return a copy of ``os.environ`` that sends all HTTP(S) traffic through this server."""
        env = dict(os.environ)
        for name in _NO_PROXY_VARS:
            env.pop(name, None)
        env.update(dict.fromkeys(_PROXY_VARS, self.proxy_url))
        return env

    def requests(self) -> list[dict[str, Any]]:
        """Return the requests handled so far, oldest first, as logged by the server."""
        if not self.log.exists():
            return []
        lines = self.log.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]


def _read_ready_line(proc: subprocess.Popen[str], stderr_path: Path) -> dict[str, Any]:
    """Return the server's JSON ready line, or raise with its stderr if it never comes."""
    stdout = proc.stdout
    assert stdout is not None
    lines: queue.Queue[str] = queue.Queue()
    # readline() cannot time out, so a helper thread reads and the queue waits.
    threading.Thread(target=lambda: lines.put(stdout.readline()), daemon=True).start()
    try:
        line = lines.get(timeout=READY_TIMEOUT)
    except queue.Empty:
        line = ""
    if line.strip():
        return json.loads(line)
    if proc.poll() is None:
        proc.kill()
    proc.wait()
    stderr = stderr_path.read_text(encoding="utf-8", errors="replace")
    raise RuntimeError(
        f"localsite did not start (exit code {proc.returncode}); stderr:\n{stderr}"
    )


@contextmanager
def running_site(root: Path, log: Path | None = None) -> Iterator[LocalSite]:
    """Run the local site server on a free loopback port for the duration of the block."""
    with tempfile.TemporaryDirectory(prefix="localsite-") as scratch:
        log_path = Path(log) if log is not None else Path(scratch, "requests.jsonl")
        stderr_path = Path(scratch, "stderr.txt")
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")])
        )
        command = [
            sys.executable, "-m", "newsmirror.localsite",
            "--root", str(root), "--port", "0", "--log", str(log_path),
        ]  # fmt: skip
        # stderr goes to a file: a pipe nobody drains could fill up and stall the server.
        with stderr_path.open("w", encoding="utf-8") as stderr:
            proc = subprocess.Popen(
                command,
                cwd=REPO_ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=stderr,
                text=True,
            )
        try:
            ready = _read_ready_line(proc, stderr_path)
            yield LocalSite(port=int(ready["port"]), log=log_path)
        finally:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            assert proc.stdout is not None
            proc.stdout.close()
