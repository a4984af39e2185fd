"""Every relative link in the README and docs/ points at a file that exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").glob("*.md"))]
# [text](target) outside code: the target up to a space, ')' or '#'.
_LINK = re.compile(r"\[[^\]]*\]\(([^)\s#]*)(?:#[^)\s]*)?\)")
_FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)


def relative_links(document: Path) -> list[str]:
    """Return the relative link targets of a Markdown file, outside fenced code."""
    text = _FENCE.sub("", document.read_text(encoding="utf-8"))
    return [target for target in _LINK.findall(text) if target and not re.match(r"^[a-z][a-z0-9+.-]*:", target)]


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.relative_to(REPO_ROOT).as_posix())
def test_relative_links_point_at_files(document: Path) -> None:
    missing = [target for target in relative_links(document) if not (document.parent / target).exists()]
    assert not missing, f"{document.name} links to missing files: {missing}"


def test_the_readme_links_the_extract_page() -> None:
    assert "docs/extract.md" in relative_links(REPO_ROOT / "README.md")
