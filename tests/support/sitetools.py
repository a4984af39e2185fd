"""What the Hugo and Jekyll harnesses share: finding the tool, and reading the pages it built.

Each harness builds a real site from a folder of posts with a tiny layout that prints
what the tool read (title, date, author, categories, lead image) as JSON in
``<pre id="meta">`` and the rendered body in ``<main id="content">``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lxml.html

BUILD_TIMEOUT = 120


class SiteBuildError(RuntimeError):
    """The tool refused the site: the message carries its output."""


@dataclass(frozen=True)
class BuiltPage:
    """One post as the tool rendered it."""

    source: str  # the post's path under the posts folder, as the tool names it
    meta: dict[str, Any]  # what the tool read from the front matter
    content_html: str  # the rendered body, as the page holds it
    page_html: str  # the whole generated page


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() == "true"


def require_tool(name: str) -> str:
    """Return the path of the *name* binary; skip the test when it is absent (fail on CI)."""
    import pytest  # only tests need it; keep the module importable without pytest

    found = shutil.which(name)
    if found is None:
        message = f"{name} not found on PATH; .ci/run installs it (apt-get install {name})"
        if _in_ci():
            raise RuntimeError(f"CI=true but {message}")
        pytest.skip(f"{name} checks skipped: {message} (set CI=true to make this an error)")
    return found


def run_tool(command: list[str], *, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run a site builder in *cwd* (machine zone pinned to UTC); raise :class:`SiteBuildError` if it fails."""
    done = subprocess.run(
        command, cwd=cwd, env={**os.environ, "TZ": "UTC"}, capture_output=True, text=True,
        timeout=BUILD_TIMEOUT, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise SiteBuildError(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done


def read_page(path: Path) -> tuple[dict[str, Any], str, str]:
    """Return (meta, content HTML, page HTML) of one page the probe layout generated."""
    page_html = path.read_text(encoding="utf-8")
    document = lxml.html.document_fromstring(page_html)
    meta = json.loads(document.get_element_by_id("meta").text_content())
    main = document.get_element_by_id("content")
    content = (main.text or "") + "".join(lxml.html.tostring(child, encoding="unicode") for child in main)
    return meta, content, page_html
