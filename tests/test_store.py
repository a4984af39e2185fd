"""The store package: the ledger records each post's format, and old ledgers migrate to it in place."""

from __future__ import annotations

import dataclasses
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from newsmirror.paths import path_key
from newsmirror.store import DEFAULT_FORMAT, SCHEMA_VERSION, Ledger, LedgerEntry
from tests.test_scaleout import redis_url  # noqa: F401 (the fixture of a real redis-server)

# The v2 posts table, as the ledger wrote it before posts had a format.
V2_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE posts (
    canonical_url TEXT PRIMARY KEY, post_path TEXT NOT NULL, path_key TEXT NOT NULL UNIQUE,
    content_sha256 TEXT NOT NULL, published TEXT, first_seen TEXT NOT NULL, written TEXT NOT NULL,
    etag TEXT, last_modified TEXT, status TEXT NOT NULL DEFAULT 'new'
);
CREATE TABLE aliases (url TEXT PRIMARY KEY, canonical_url TEXT NOT NULL REFERENCES posts (canonical_url));
"""


def _entry(url: str, path: str, **changes: str) -> LedgerEntry:
    stamp = "2024-01-01T00:00:00+00:00"
    return LedgerEntry(url, path, path_key(path), "0" * 64, stamp, stamp, stamp, **changes)


def test_the_ledger_keeps_each_posts_format(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "state.sqlite", tmp_path / "m")
    ledger.open()
    ledger.record(_entry("https://a.example/1", "a.md", format="hugo"))
    ledger.record(_entry("https://a.example/2", "b.md"))
    ledger.close()
    ledger.open()
    assert ledger.get("https://a.example/1").format == "hugo"
    assert ledger.get("https://a.example/2").format == DEFAULT_FORMAT == "hexo"
    ledger.close()


def test_a_v2_ledger_is_migrated_in_place_and_its_posts_are_hexo(tmp_path: Path) -> None:
    state = tmp_path / "state.sqlite"
    old = _entry("https://a.example/1", "news/a.md", etag='"e"', status="updated")
    with sqlite3.connect(state) as db:
        db.executescript(V2_SCHEMA)
        db.executemany(
            "INSERT INTO meta VALUES (?, ?)", [("schema_version", "2"), ("mirror_dir", str((tmp_path / "m").resolve()))]
        )
        db.execute("INSERT INTO posts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", dataclasses.astuple(old)[:10])
        db.execute("INSERT INTO aliases VALUES (?, ?)", ("https://a.example/1?x=1", "https://a.example/1"))
    db.close()
    ledger = Ledger(state, tmp_path / "m")
    ledger.open()
    assert ledger.find("https://a.example/1?x=1") == old and old.format == "hexo"
    assert ledger.db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == (str(SCHEMA_VERSION),)
    ledger.close()


def test_the_scheduler_side_does_not_import_the_sqlite_ledger_and_back() -> None:
    # scaleout.py keeps the scheduler only; the ledgers live in newsmirror.store.
    code = (
        "import sys, newsmirror.scaleout as s; "
        "assert not hasattr(s, 'RedisLedger'), 'RedisLedger still in scaleout'; "
        "import newsmirror.store.sqlite; "
        "assert 'newsmirror.scaleout' not in sys.modules or 'newsmirror.store' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    code = "import sys, newsmirror.store; assert 'newsmirror.scaleout' not in sys.modules, 'store imports scaleout'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_two_mirror_dirs_in_one_folder_get_a_ledger_each(tmp_path: Path) -> None:
    from newsmirror.store import default_state_path

    first, second = tmp_path / "out" / "a", tmp_path / "out" / "b"
    for mirror in (first, second):
        ledger = Ledger(default_state_path(mirror), mirror)
        ledger.open()  # the shared default used to refuse the second: "belongs to .../a"
        ledger.record(_entry(f"https://a.example/{mirror.name}", "p.md"))
        ledger.close()
    assert default_state_path(first) != default_state_path(second)
    assert not str(default_state_path(first)).startswith(str(first.resolve()) + "/")  # never published


def test_an_old_shared_default_ledger_moves_in_place_to_its_mirror(tmp_path: Path) -> None:
    from newsmirror.store import adopt_legacy_ledger, default_state_path, legacy_state_path

    mine, other = tmp_path / "mirror", tmp_path / "demo-mirror"
    legacy = legacy_state_path(mine)
    ledger = Ledger(legacy, mine)  # where every default ledger lived before
    ledger.open()
    ledger.record(_entry("https://a.example/1", "p.md"))
    ledger.close()
    assert not adopt_legacy_ledger(other)  # another mirror's ledger is left alone
    assert legacy.is_file()
    assert adopt_legacy_ledger(mine)
    assert not legacy.exists()
    moved = Ledger(default_state_path(mine), mine)
    moved.open()
    assert moved.get("https://a.example/1") is not None  # the same ledger, rows and all
    moved.close()
    assert not adopt_legacy_ledger(mine)  # nothing left to move


def test_a_rebuilt_ledger_knows_each_posts_format_and_date(tmp_path: Path) -> None:
    from datetime import datetime, timedelta, timezone

    from newsmirror.formats import get_format
    from newsmirror.formats.frontmatter import Post
    from newsmirror.store import rebuild_from_posts

    when = datetime(2024, 1, 17, 7, 45, tzinfo=timezone(timedelta(hours=-5)))
    mirror = tmp_path / "m"
    for number, name in enumerate(("hexo", "hugo", "jekyll")):
        post_format = get_format(name, path_template="{categories}/{title}.md")
        post = Post(title=f"Ferry {name}", categories=("News",), author="a", date=when, body_html="<p>x</p>",
                    source_url=f"https://a.example/{number}")  # fmt: skip
        relpath = post_format.build_path(title=post.title, categories=post.categories, date=when, url=post.source_url)
        (mirror / relpath).parent.mkdir(parents=True, exist_ok=True)
        (mirror / relpath).write_bytes(post_format.render(post, with_link=True))
    (mirror / "_site").mkdir()
    (mirror / "_site" / "page.html").write_text("<html>link: https://a.example/9</html>", encoding="utf-8")
    ledger = Ledger(tmp_path / "state.sqlite", mirror)
    ledger.open()
    assert rebuild_from_posts(ledger, mirror) == (3, 0)  # a site's own output is no post
    for number, name in enumerate(("hexo", "hugo", "jekyll")):
        entry = ledger.get(f"https://a.example/{number}")
        assert entry is not None and entry.format == name, name
        assert datetime.fromisoformat(entry.published) == when, name
    ledger.close()


def _ledger_to_test(backend: str, tmp_path: Path, request: pytest.FixtureRequest):
    if backend == "sqlite":
        return Ledger(tmp_path / "state.sqlite", tmp_path / "m")
    from newsmirror.store.redis import RedisLedger

    return RedisLedger(request.getfixturevalue("redis_url"), tmp_path / "m")


@pytest.mark.parametrize("backend", ["sqlite", "redis"])
def test_a_batched_lookup_finds_what_one_by_one_lookups_find(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    # A listing's URLs are looked up a chunk at a time (KnownArticles.sift): the batch
    # must answer exactly as find() does, aliases included, across the chunk boundary.
    ledger = _ledger_to_test(backend, tmp_path, request)
    ledger.open()
    for n in range(1200):
        ledger.record(_entry(f"https://a.example/{n}", f"p{n}.md"), aliases=[f"https://a.example/old/{n}"])
    asked = [f"https://a.example/{n}" for n in range(0, 1500, 3)] + [f"https://a.example/old/{n}" for n in range(1100, 1300)]
    found = ledger.find_many(asked + asked[:10])  # repeats are harmless
    assert found == {url: entry for url in asked if (entry := ledger.find(url)) is not None}
    assert len(found) == 400 + 100  # 0..1197 step 3, and old/1100..1199
    assert found["https://a.example/old/1150"].canonical_url == "https://a.example/1150"
    assert ledger.find_many([]) == {}
    assert ledger.known_among(asked) == set(found) and ledger.known_among([]) == set()
    ledger.close()
