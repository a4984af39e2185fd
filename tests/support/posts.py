"""Checks every produced post must pass: the layout, PyYAML, and real Hexo, all agreeing."""

from __future__ import annotations

from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import yaml

from tests.support.hexo import hexo_load, require_hexo

FRONT_MATTER_KEYS = ["title", "categories", "headimg", "author", "comments", "date", "thumbnail"]


def split_post(data: bytes) -> tuple[dict[str, Any], str]:
    """Return a post's front matter (PyYAML ``safe_load``) and its body text."""
    text = data.decode("utf-8")
    assert text.startswith("---\n"), "a post starts with '---' on line 1"
    front, separator, body = text[4:].partition("\n---\n")
    assert separator, "the front matter is closed by '---'"
    loaded = yaml.safe_load(front)
    assert isinstance(loaded, dict)
    return loaded, body


def check_layout(data: bytes) -> dict[str, Any]:
    """Assert the sample's layout (key order, quoting, body wrapper); return the front matter."""
    assert data.endswith(b"\n") and not data.endswith(b"\n\n")
    front, body = split_post(data)
    expected_order = [key for key in FRONT_MATTER_KEYS if key in front]
    assert list(front) == expected_order, f"front-matter keys out of order: {list(front)}"
    lines = data.decode("utf-8").split("\n")
    assert lines[1].startswith("title: '") and lines[2] == "categories: "
    assert front["comments"] is False
    assert ("headimg" in front) == ("thumbnail" in front)
    assert front.get("headimg") == front.get("thumbnail")
    assert body.startswith("\n<div>\n") and body.endswith("\n</div>\n")
    assert "{" not in body and "}" not in body, "braces in the body must be entities"
    assert "\n\n" not in body.strip("\n"), "a blank line would end Markdown's HTML block"
    return front


def index_matches(front: dict[str, Any], record: dict[str, Any]) -> None:
    """Assert a post's front matter says what the index record says."""
    assert front["title"] == record["title"]
    assert front["author"] == record["author"]
    assert front["categories"] == record["categories"]
    assert front.get("headimg") == record["lead_image"]
    posted = parsedate_to_datetime(front["date"])
    assert posted == datetime.fromisoformat(record["date"]).astimezone(timezone.utc)


def check_posts(mirror_dir: Path, index: list[dict[str, Any]] | None = None) -> dict[str, dict[str, Any]]:
    """Check every post under *mirror_dir* in PyYAML and in real Hexo (loaded and rendered).

    Returns the front matter of each post by its path.
    """
    posts = {path.relative_to(mirror_dir).as_posix(): path.read_bytes() for path in mirror_dir.rglob("*.md")}
    fronts = {path: check_layout(data) for path, data in posts.items()}
    for record in index or []:
        index_matches(fronts[record["post_path"]], record)
    require_hexo()
    # generate: a post that loads but fails to render would still break a real site.
    loaded = {post["source"]: post for post in hexo_load(mirror_dir, generate=True)}
    assert set(loaded) == set(fronts), "Hexo must load every post, and only those"
    for path, front in fronts.items():
        hexo_post = loaded[path]
        assert hexo_post["title"] == front["title"]
        assert hexo_post["author"] == front["author"]
        assert hexo_post["categories"] == front["categories"]
        assert hexo_post["headimg"] == front.get("headimg")
        assert hexo_post["comments"] is False
        assert hexo_post["generated_ok"], path
        expected_date = parsedate_to_datetime(front["date"]).astimezone(timezone.utc)
        assert datetime.fromisoformat(hexo_post["date"].replace("Z", "+00:00")) == expected_date
    return fronts
