"""The ledger refuses what it cannot trust; posts are written atomically and stay contained."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from newsmirror.store.posts import OutsideMirrorError, contained_path, write_atomic
from newsmirror.paths import path_key
from newsmirror.store import SCHEMA_VERSION, Ledger, LedgerEntry, LedgerError, default_state_path


def entry(url: str = "https://a.example/1", path: str = "x/a.md") -> LedgerEntry:
    return LedgerEntry(url, path, path.casefold(), "0" * 64, None, "2024-01-01T00:00:00+00:00", "2024-01-01T00:00:00+00:00")


def test_default_state_is_beside_the_mirror_not_inside(tmp_path: Path) -> None:
    assert default_state_path(tmp_path / "site" / "source" / "_posts") == tmp_path / "site" / "source" / ".newsmirror" / "_posts" / "state.sqlite"


def test_records_survive_reopening(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "state.sqlite", tmp_path / "mirror")
    ledger.open()
    ledger.record(entry())
    ledger.close()
    reopened = Ledger(tmp_path / "state.sqlite", tmp_path / "mirror")
    reopened.open()
    assert reopened.get("https://a.example/1") == entry()
    assert reopened.owner_of("x/a.md") == "https://a.example/1"
    assert reopened.get("https://a.example/2") is None
    reopened.close()


def test_unreadable_ledger_is_an_error_and_is_left_alone(tmp_path: Path) -> None:
    state = tmp_path / "state.sqlite"
    state.write_bytes(b"this is not a database" * 100)
    with pytest.raises(LedgerError, match="unreadable"):
        Ledger(state, tmp_path / "mirror").open()
    assert state.read_bytes() == b"this is not a database" * 100


def test_ledger_of_another_mirror_dir_is_refused(tmp_path: Path) -> None:
    first = Ledger(tmp_path / "state.sqlite", tmp_path / "one")
    first.open()
    first.close()
    with pytest.raises(LedgerError, match="belongs to"):
        Ledger(tmp_path / "state.sqlite", tmp_path / "two").open()


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "state.sqlite", tmp_path / "m")
    ledger.open()
    ledger.db.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    ledger.close()
    with pytest.raises(LedgerError, match="schema version 99"):
        Ledger(tmp_path / "state.sqlite", tmp_path / "m").open()


def test_atomic_write_replaces_whole_files_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "a" / "post.md"
    write_atomic(target, b"old")
    write_atomic(target, b"new")
    assert target.read_bytes() == b"new"
    assert sorted(p.name for p in target.parent.iterdir()) == ["post.md"]
    assert oct(target.stat().st_mode & 0o777) == oct(0o666 & ~_umask())


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_failed_write_keeps_the_old_post(tmp_path: Path) -> None:
    target = tmp_path / "post.md"
    write_atomic(target, b"old")
    # Any failure mid-write (here: data of the wrong type) must leave the old post and no temporary.
    with pytest.raises(TypeError):
        write_atomic(target, "not bytes")  # type: ignore[arg-type]
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["post.md"]


def test_paths_cannot_escape_through_symlinks(tmp_path: Path) -> None:
    mirror = tmp_path / "mirror"
    (mirror / "cat").mkdir(parents=True)
    (tmp_path / "outside").mkdir()
    (mirror / "link").symlink_to(tmp_path / "outside")
    assert contained_path(mirror, "cat/a.md") == (mirror / "cat" / "a.md").resolve()
    for escaping in ("link/a.md", "../a.md", "/etc/a.md", "."):
        with pytest.raises(OutsideMirrorError):
            contained_path(mirror, escaping)


V1_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE posts (
    canonical_url TEXT PRIMARY KEY, post_path TEXT NOT NULL, path_key TEXT NOT NULL UNIQUE,
    content_sha256 TEXT NOT NULL, published TEXT, first_seen TEXT NOT NULL, written TEXT NOT NULL
);
"""


def test_a_v1_ledger_is_migrated_in_place_and_keeps_its_rows(tmp_path: Path) -> None:
    import dataclasses
    import sqlite3

    state = tmp_path / "state.sqlite"
    with sqlite3.connect(state) as db:  # as the foundation's ledger wrote it
        db.executescript(V1_SCHEMA)
        db.executemany(
            "INSERT INTO meta VALUES (?, ?)", [("schema_version", "1"), ("mirror_dir", str((tmp_path / "m").resolve()))]
        )
        db.execute("INSERT INTO posts VALUES (?, ?, ?, ?, ?, ?, ?)", dataclasses.astuple(entry())[:7])
        # v1 keyed paths by their case-folded text; "A & B" and "A - B" are one Hexo page.
        hexo_twin = entry("https://a.example/2", "news/A & B.md")
        db.execute("INSERT INTO posts VALUES (?, ?, ?, ?, ?, ?, ?)", dataclasses.astuple(hexo_twin)[:7])
    db.close()
    ledger = Ledger(state, tmp_path / "m")
    ledger.open()
    migrated = dataclasses.replace(entry(), path_key=path_key("x/a.md"))
    assert ledger.get("https://a.example/1") == migrated
    assert ledger.find("https://a.example/1") == migrated  # the canonical URL is its own alias
    # Keys follow today's rule, so a new "A - B" post cannot take the older article's page.
    assert ledger.owner_of(path_key("news/A - B.md")) == "https://a.example/2"
    assert ledger.db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == (str(SCHEMA_VERSION),)
    ledger.close()


def test_aliases_lead_to_their_article(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "state.sqlite", tmp_path / "m")
    ledger.open()
    ledger.record(entry(), aliases=["https://a.example/old-1", "https://a.example/1?from=list"])
    assert ledger.find("https://a.example/old-1") == entry()
    assert ledger.find("https://a.example/1?from=list") == entry()
    assert ledger.find("https://a.example/2") is None
    assert list(ledger.entries()) == [entry()] and len(ledger) == 1
    ledger.close()


def test_the_run_lock_refuses_a_second_holder(tmp_path: Path) -> None:
    import subprocess
    import sys

    from newsmirror.store import acquire_run_lock, lock_path_for

    state = tmp_path / "state.sqlite"
    acquire_run_lock(state)
    acquire_run_lock(state)  # this process already holds it: no conflict with itself
    other = subprocess.run(
        [sys.executable, "-c", f"from newsmirror.store import acquire_run_lock; acquire_run_lock(__import__('pathlib').Path({str(state)!r}))"],
        capture_output=True, text=True, check=False, env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])},
    )  # fmt: skip
    assert other.returncode != 0 and f"another newsmirror run (pid {os.getpid()})" in other.stderr
    assert lock_path_for(state).read_text() == str(os.getpid())


def test_new_folders_are_made_durable_before_the_post_in_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from newsmirror.store import posts as files

    flushed: list[int] = []  # inodes os.fsync was called on
    real_fsync = os.fsync

    def recording_fsync(descriptor: int) -> None:
        flushed.append(os.fstat(descriptor).st_ino)
        real_fsync(descriptor)

    monkeypatch.setattr(files.os, "fsync", recording_fsync)
    root = tmp_path / "mirror"
    root.mkdir()
    files.write_atomic(root / "金融" / "新浪财经" / "post.md", b"x")
    # Each new folder's entry in its parent, and the post's in its folder, reached the disk.
    for folder in (root, root / "金融", root / "金融" / "新浪财经"):
        assert folder.stat().st_ino in flushed, folder
