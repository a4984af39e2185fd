"""The big fuzz run: tests/test_fuzz.py with the ``bench`` Hypothesis profile.

``python bench/fuzz.py`` runs 3000 random posts through the path builder, the
sanitizer and the exporter, and 1000 of them through real Hexo (load and generate),
with fresh random examples each time. CI runs the same tests with 150 and 60
derandomized examples. Extra arguments go to pytest (e.g. ``-x``,
``--hypothesis-seed=N`` to replay a run).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str]) -> int:
    """Run the fuzz tests with the bench profile; return pytest's exit status."""
    env = {**os.environ, "NEWSMIRROR_FUZZ_PROFILE": "bench"}
    command = [
        sys.executable, "-m", "pytest", "-q", "-o", "timeout=3600", "--hypothesis-show-statistics",
        str(REPO_ROOT / "tests" / "test_fuzz.py"), *argv,
    ]  # fmt: skip
    started = time.monotonic()
    status = subprocess.call(command, cwd=REPO_ROOT, env=env)
    print(f"bench/fuzz.py: pytest exit {status} after {time.monotonic() - started:.0f} s", flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
