"""Every relative link in the README and docs/ points at a file that exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
DOCS_PAGES = sorted((REPO_ROOT / "docs").rglob("*.md"))  # docs/formats/ too
DOCUMENTS = [REPO_ROOT / "README.md", *DOCS_PAGES]
# [text](target) outside code: the target up to a space, ')' or '#'.
_LINK = re.compile(r"\[[^\]]*\]\(([^)\s#]*)(?:#[^)\s]*)?\)")
_FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
# Inline code such as `[x](y)` (an example of escaped text) is no link.
_INLINE_CODE = re.compile(r"`+[^`\n]*`+")
# Two screens: the README is a front page; the reference lives in docs/.
README_MAX_LINES = 120


def relative_links(document: Path) -> list[str]:
    """Return the relative link targets of a Markdown file, outside fenced code."""
    text = _INLINE_CODE.sub("", _FENCE.sub("", document.read_text(encoding="utf-8")))
    return [target for target in _LINK.findall(text) if target and not re.match(r"^[a-z][a-z0-9+.-]*:", target)]


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.relative_to(REPO_ROOT).as_posix())
def test_relative_links_point_at_files(document: Path) -> None:
    missing = [target for target in relative_links(document) if not (document.parent / target).exists()]
    assert not missing, f"{document.name} links to missing files: {missing}"


def test_the_readme_links_the_extract_page() -> None:
    assert "docs/extract.md" in relative_links(REPO_ROOT / "README.md")


def test_the_readme_links_every_docs_page() -> None:
    linked = {(REPO_ROOT / target).resolve() for target in relative_links(REPO_ROOT / "README.md")}
    unlinked = [page.relative_to(REPO_ROOT).as_posix() for page in DOCS_PAGES if page.resolve() not in linked]
    assert not unlinked, f"README.md does not link {unlinked}"


def test_the_readme_fits_on_two_screens() -> None:
    lines = (REPO_ROOT / "README.md").read_text(encoding="utf-8").count("\n")
    assert lines <= README_MAX_LINES, (
        f"README.md has {lines} lines, more than {README_MAX_LINES}: move reference text into docs/"
    )
