"""The ledger: what earlier runs mirrored, keyed by canonical URL.

It answers the questions a post path alone cannot: which article owns a path (so two
articles with one title never overwrite each other), where an article already lives
(so a retitled article is updated in place), and when an undated article was first
seen (so its date never drifts).  SQLite in WAL mode, beside ``MIRROR_DIR`` and never
inside it, since a static-site generator would publish it.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS posts (
    canonical_url TEXT PRIMARY KEY,
    post_path TEXT NOT NULL,
    path_key TEXT NOT NULL UNIQUE,
    content_sha256 TEXT NOT NULL,
    published TEXT,
    first_seen TEXT NOT NULL,
    written TEXT NOT NULL
);
"""


class LedgerError(RuntimeError):
    """The ledger cannot be used; the message says why and what to do."""


@dataclass(frozen=True)
class LedgerEntry:
    """One mirrored article."""

    canonical_url: str
    post_path: str
    path_key: str
    content_sha256: str
    published: str | None
    first_seen: str
    written: str


def default_state_path(mirror_dir: Path) -> Path:
    """Return ``.newsmirror/state.sqlite`` in the folder that holds ``MIRROR_DIR``."""
    return mirror_dir.resolve().parent / ".newsmirror" / "state.sqlite"


def utc_now() -> datetime:
    """Return the current time in UTC, to the second (a post date has no fractions)."""
    return datetime.now(timezone.utc).replace(microsecond=0)


class Ledger:
    """SQLite ledger of mirrored posts for one ``MIRROR_DIR``."""

    def __init__(self, path: Path, mirror_dir: Path) -> None:
        self.path = path
        self.mirror_dir = str(mirror_dir.resolve())
        self._db: sqlite3.Connection | None = None

    def open(self) -> None:
        """Open or create the ledger; refuse one that is unreadable or belongs elsewhere."""
        existed = self.path.exists()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            db = sqlite3.connect(self.path, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            # FULL: a ledger row must never be durable before the post it points at.
            db.execute("PRAGMA synchronous=FULL")
            db.executescript(_SCHEMA)
            rows = dict(db.execute("SELECT key, value FROM meta").fetchall())
        except sqlite3.DatabaseError as error:
            # Recreating it would silently re-mirror everything and orphan every post.
            raise LedgerError(
                f"the ledger {self.path} is unreadable ({error}); it was left as it is. "
                "Restore it from a backup, or move it away to start a fresh ledger."
            ) from error
        if existed and rows.get("schema_version") not in (None, str(SCHEMA_VERSION)):
            db.close()
            raise LedgerError(
                f"the ledger {self.path} has schema version {rows['schema_version']}, "
                f"this newsmirror reads version {SCHEMA_VERSION}"
            )
        if rows.get("mirror_dir", self.mirror_dir) != self.mirror_dir:
            db.close()
            raise LedgerError(
                f"the ledger {self.path} belongs to {rows['mirror_dir']}, not {self.mirror_dir}; "
                "set MIRROR_STATE to a ledger of its own for each MIRROR_DIR"
            )
        db.executemany(
            "INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)",
            [("schema_version", str(SCHEMA_VERSION)), ("mirror_dir", self.mirror_dir)],
        )
        self._db = db

    def close(self) -> None:
        """Close the ledger."""
        if self._db is not None:
            self._db.close()
            self._db = None

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            raise LedgerError("the ledger is not open")
        return self._db

    def get(self, canonical_url: str) -> LedgerEntry | None:
        """Return the entry of an article, or None if it was never mirrored."""
        row = self.db.execute(
            "SELECT canonical_url, post_path, path_key, content_sha256, published, first_seen, written"
            " FROM posts WHERE canonical_url = ?",
            (canonical_url,),
        ).fetchone()
        return LedgerEntry(*row) if row else None

    def owner_of(self, path_key: str) -> str | None:
        """Return the canonical URL of the article that owns a post path, if any."""
        row = self.db.execute("SELECT canonical_url FROM posts WHERE path_key = ?", (path_key,)).fetchone()
        return row[0] if row else None

    def record(self, entry: LedgerEntry) -> None:
        """Record an article whose post file is already durably in place."""
        self.db.execute(
            "INSERT INTO posts (canonical_url, post_path, path_key, content_sha256, published, first_seen, written)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (canonical_url) DO UPDATE SET post_path = excluded.post_path,"
            " path_key = excluded.path_key, content_sha256 = excluded.content_sha256,"
            " published = excluded.published, written = excluded.written",
            (
                entry.canonical_url,
                entry.post_path,
                entry.path_key,
                entry.content_sha256,
                entry.published,
                entry.first_seen,
                entry.written,
            ),
        )
