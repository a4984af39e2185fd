"""Run the real Hexo 8 (tests/hexo) on a folder of posts and return what it made of them."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

HEXO_DIR = Path(__file__).resolve().parents[1] / "hexo"
LOAD_SCRIPT = HEXO_DIR / "load_posts.js"
# Hexo 8 declares engines.node >=20.19.0; older Node fails in confusing ways.
MIN_NODE = (20, 19, 0)
LOAD_TIMEOUT = 300.0

_ready: Path | None = None


class HexoError(RuntimeError):
    """Hexo failed to load, render or generate posts; `failures` lists them per post."""

    def __init__(self, message: str, failures: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.failures: list[dict[str, Any]] = failures or []


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() == "true"


def _pinned_versions() -> dict[str, str]:
    return json.loads((HEXO_DIR / "package.json").read_text(encoding="utf-8"))["dependencies"]


def _installed_version(name: str) -> str | None:
    pkg = HEXO_DIR / "node_modules" / name / "package.json"
    try:
        return json.loads(pkg.read_text(encoding="utf-8"))["version"]
    except (OSError, ValueError, KeyError):
        return None


def _installed_matches_pins() -> bool:
    """True when node_modules holds exactly the versions package.json pins."""
    return all(_installed_version(name) == version for name, version in _pinned_versions().items())


def _node_problem() -> str | None:
    """Say why node/npm can't be used here, or None when they can."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        missing = " and ".join(n for n, p in (("node", node), ("npm", npm)) if not p)
        return f"{missing} not found on PATH; Hexo checks need Node.js >= 20.19 with npm"
    out = subprocess.run([node, "--version"], capture_output=True, text=True, check=False).stdout
    m = re.match(r"v(\d+)\.(\d+)\.(\d+)", out.strip())
    if not m or tuple(int(g) for g in m.groups()) < MIN_NODE:
        return f"node {out.strip() or '?'} is too old for Hexo 8 (needs >= 20.19.0)"
    return None


def ensure_hexo() -> Path | None:
    """Return tests/hexo with Hexo installed, None if Node is unavailable (error on CI)."""
    global _ready
    if _ready is not None:
        return _ready
    problem = _node_problem()
    if problem:
        if _in_ci():
            # CI must never silently skip the Hexo checks.
            raise RuntimeError(f"CI=true but Hexo can't run: {problem}")
        return None
    # A stale node_modules (lock file bumped since) would test the wrong Hexo. Installing
    # is `make test`'s job (tests reach nothing beyond loopback, npm's registry included).
    if not _installed_matches_pins():
        problem = f"{HEXO_DIR}/node_modules does not match package-lock.json: run make test (or npm ci in tests/hexo)"
        if _in_ci():
            raise RuntimeError(problem)
        return None
    _ready = HEXO_DIR
    return _ready


def require_hexo() -> Path:
    """Like ensure_hexo() but pytest.skip()s with the reason when Node is unavailable."""
    import pytest  # only needed by tests; keep the module importable without pytest

    hexo_dir = ensure_hexo()
    if hexo_dir is None:
        pytest.skip(f"Hexo checks skipped: {_node_problem()} (set CI=true to make this an error)")
    return hexo_dir


def hexo_load(
    posts_dir: Path, generate: bool = False, site_dir: Path | None = None, *, post_asset_folder: bool = False
) -> list[dict[str, Any]]:
    """Load every *.md under posts_dir with real Hexo and return one dict per post.

    With *post_asset_folder*, Hexo's option of that name is on and every other file under
    posts_dir (the posts' asset folders) is copied into the site as well.
    """
    hexo_dir = ensure_hexo()
    if hexo_dir is None:
        raise RuntimeError(f"Hexo is unavailable: {_node_problem()}")
    with tempfile.TemporaryDirectory(prefix="hexo-load-") as tmp:
        out = Path(tmp) / "posts.json"
        cmd = ["node", str(LOAD_SCRIPT), str(posts_dir), str(out)]
        if generate:
            cmd.append("--generate")
        # Without site_dir the site is deleted when node exits: generated_file then no
        # longer exists, but each post's generated_html still carries the page.
        if site_dir is not None:
            cmd += ["--site", str(site_dir)]
        if post_asset_folder:
            cmd.append("--post-asset-folder")
        # TZ: Hexo shifts dates by (machine zone - site zone); the script pins both to UTC.
        env = {**os.environ, "TZ": "UTC"}
        proc = subprocess.run(
            cmd, cwd=hexo_dir, env=env, capture_output=True, text=True, timeout=LOAD_TIMEOUT, check=False
        )
        result: Any = None
        if out.exists():
            try:
                result = json.loads(out.read_text(encoding="utf-8"))
            except ValueError:
                result = None
    if proc.returncode != 0:
        failures = result.get("errors", []) if isinstance(result, dict) else []
        raise HexoError(
            f"Hexo failed on {posts_dir} (exit {proc.returncode}):\n{proc.stderr.strip()}", failures
        )
    if proc.stdout:
        # The script promises the JSON file is its only output.
        raise HexoError(f"load_posts.js wrote to stdout:\n{proc.stdout}")
    if not isinstance(result, list):
        raise HexoError(f"load_posts.js exited 0 without a JSON list in {out}:\n{proc.stderr}")
    return result
