"""The SQLite ledger of one machine: its schema and migrations, and the run lock that keeps it to one writer.

SQLite in WAL mode, beside ``MIRROR_DIR`` and never inside it, since a static-site
generator would publish it.
"""

from __future__ import annotations

import atexit
import fcntl
import logging
import os
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING

from newsmirror.paths import path_key
from newsmirror.store.ledger import SCHEMA_VERSION, LedgerEntry, LedgerError, LedgerLocked, StoredFingerprint

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)

# The body fingerprints (issue 16), in the order they were recorded: a position per write.
_FINGERPRINTS = """
CREATE TABLE IF NOT EXISTS fingerprints (
    position INTEGER PRIMARY KEY AUTOINCREMENT,
    canonical_url TEXT NOT NULL UNIQUE,
    signature BLOB NOT NULL,
    duplicate_of TEXT,
    scheme TEXT NOT NULL
);
"""
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS posts (
    canonical_url TEXT PRIMARY KEY,
    post_path TEXT NOT NULL,
    path_key TEXT NOT NULL UNIQUE,
    content_sha256 TEXT NOT NULL,
    published TEXT,
    first_seen TEXT NOT NULL,
    written TEXT NOT NULL,
    etag TEXT,
    last_modified TEXT,
    status TEXT NOT NULL DEFAULT 'new',
    format TEXT NOT NULL DEFAULT 'hexo'
);
CREATE TABLE IF NOT EXISTS aliases (
    url TEXT PRIMARY KEY,
    canonical_url TEXT NOT NULL REFERENCES posts (canonical_url)
);
""" + _FINGERPRINTS
# v1 (the foundation's) lacked the page validators, the status and the aliases.
_MIGRATE_V1 = """
ALTER TABLE posts ADD COLUMN etag TEXT;
ALTER TABLE posts ADD COLUMN last_modified TEXT;
ALTER TABLE posts ADD COLUMN status TEXT NOT NULL DEFAULT 'new';
CREATE TABLE IF NOT EXISTS aliases (
    url TEXT PRIMARY KEY,
    canonical_url TEXT NOT NULL REFERENCES posts (canonical_url)
);
INSERT OR IGNORE INTO aliases (url, canonical_url) SELECT canonical_url, canonical_url FROM posts;
UPDATE meta SET value = '2' WHERE key = 'schema_version';
"""
# v2 lacked each post's format: every post it holds was written as Hexo (DEFAULT_FORMAT).
_MIGRATE_V2 = """
ALTER TABLE posts ADD COLUMN format TEXT NOT NULL DEFAULT 'hexo';
UPDATE meta SET value = '3' WHERE key = 'schema_version';
"""
# v3 lacked the body fingerprints: the articles it holds are compared from their next
# write on. A skipped copy (MIRROR_DUPLICATES=skip) has a fingerprint and no post, so the
# table has no foreign key to posts.
_MIGRATE_V3 = _FINGERPRINTS + """
UPDATE meta SET value = '4' WHERE key = 'schema_version';
"""
# URLs per batched lookup: well under SQLite's bound-parameter limit (32,766 since 3.32).
_FIND_CHUNK = 500
_COLUMNS = (
    "canonical_url, post_path, path_key, content_sha256, published, first_seen, written, etag, last_modified,"
    " status, format"
)


def _rekey_paths(db: sqlite3.Connection) -> None:
    """Recompute every row's path key with today's rule (v1 keys ignored Hexo's page naming).

    Two v1 rows whose paths now share a key already live side by side on disk; the second
    keeps its old key rather than fail the migration.
    """
    for canonical_url, post_path in db.execute("SELECT canonical_url, post_path FROM posts").fetchall():
        db.execute(
            "UPDATE OR IGNORE posts SET path_key = ? WHERE canonical_url = ?", (path_key(post_path), canonical_url)
        )

def default_state_path(mirror_dir: Path) -> Path:
    """Return ``.newsmirror/<name>/state.sqlite`` in the folder that holds ``MIRROR_DIR`` named *name*.

    One ledger per ``MIRROR_DIR``, so ``out/a`` and ``out/b`` never claim one ledger.
    """
    root = mirror_dir.resolve()
    return root.parent / ".newsmirror" / root.name / "state.sqlite"


def legacy_state_path(mirror_dir: Path) -> Path:
    """Return where the default ledger lived before it was per ``MIRROR_DIR``: ``.newsmirror/state.sqlite``."""
    return mirror_dir.resolve().parent / ".newsmirror" / "state.sqlite"


def adopt_legacy_ledger(mirror_dir: Path) -> bool:
    """Move the old shared default ledger to this ``MIRROR_DIR``'s own place, if it is this mirror's.

    Only a legacy ledger that records this ``MIRROR_DIR`` moves, under its own lock and
    with its WAL files and listing cache; one of another mirror is left where it is.
    Returns True when a ledger was moved.
    """
    legacy, target = legacy_state_path(mirror_dir), default_state_path(mirror_dir)
    if not legacy.is_file() or target.exists():
        return False
    try:
        db = sqlite3.connect(f"{legacy.as_uri()}?mode=ro", uri=True)
        try:
            row = db.execute("SELECT value FROM meta WHERE key = 'mirror_dir'").fetchone()
        finally:
            db.close()
    except sqlite3.DatabaseError:
        return False  # left for Ledger.open of whoever owns it to report
    if row is None or row[0] != str(mirror_dir.resolve()):
        return False
    with open(lock_path_for(legacy), "a+b") as lock:
        try:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LedgerLocked(f"another newsmirror run is using {legacy}; this run stops without fetching anything") from None
        target.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("-wal", "-shm", ""):  # the database last: it is what marks the move as done
            part = legacy.with_name(legacy.name + suffix)
            if part.exists():
                os.replace(part, target.with_name(target.name + suffix))
        cache = legacy.parent / "httpcache"
        if cache.is_dir():
            os.replace(cache, target.parent / "httpcache")
    logger.info("Ledger %s moved to %s, the ledger of %s alone", legacy, target, mirror_dir)
    return True


def state_path_for(settings: BaseSettings) -> Path:
    """Return the ledger path the settings name: ``MIRROR_STATE``, else the default beside ``MIRROR_DIR``."""
    state = settings.get("MIRROR_STATE")
    return Path(state) if state else default_state_path(Path(settings.get("MIRROR_DIR")))


# Locks this process holds, by lock file: flock locks belong to an open file, so a
# second open() of the same file in this process would conflict with the first.
_HELD_LOCKS: dict[str, IO[bytes]] = {}


@atexit.register
def _release_run_locks() -> None:
    """Close the lock files as the process ends, before the interpreter would collect them unclosed."""
    while _HELD_LOCKS:
        _HELD_LOCKS.popitem()[1].close()


def lock_path_for(state_path: Path) -> Path:
    """Return the run lock file that guards a ledger: ``state.sqlite.lock`` beside it."""
    return state_path.with_name(state_path.name + ".lock")


def acquire_run_lock(state_path: Path) -> None:
    """Take the run lock of a ledger for the life of this process, or raise :class:`LedgerLocked`.

    ``flock`` is released by the kernel when the process dies, ``kill -9`` included,
    so a crashed run never leaves a stale lock behind.
    """
    lock_path = lock_path_for(state_path)
    key = str(lock_path.resolve() if lock_path.exists() else lock_path.absolute())
    if key in _HELD_LOCKS:
        return
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(lock_path, "a+b")  # noqa: SIM115 - held open until the process ends
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().decode("ascii", "replace").strip() or "unknown"
        handle.close()
        raise LedgerLocked(
            f"another newsmirror run (pid {holder}) is using {state_path}; this run stops without "
            "fetching anything. The lock is released when that run ends."
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()).encode("ascii"))
    handle.flush()
    _HELD_LOCKS[str(lock_path.resolve())] = handle


class Ledger:
    """SQLite ledger of mirrored posts for one ``MIRROR_DIR``."""

    def __init__(self, path: Path, mirror_dir: Path) -> None:
        self.path = path
        self.mirror_dir = str(mirror_dir.resolve())
        self._db: sqlite3.Connection | None = None

    def open(self) -> None:
        """Open or create the ledger; migrate a v1 one; refuse one that is unreadable or belongs elsewhere."""
        existed = self.path.exists()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            db = sqlite3.connect(self.path, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            # FULL: a ledger row must never be durable before the post it points at.
            db.execute("PRAGMA synchronous=FULL")
            db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            rows = dict(db.execute("SELECT key, value FROM meta").fetchall())
        except sqlite3.DatabaseError as error:
            # Recreating it would silently re-mirror everything and orphan every post.
            raise LedgerError(
                f"the ledger {self.path} is unreadable ({error}); it was left as it is. "
                "Restore it from a backup, or move it away to start a fresh ledger."
            ) from error
        version = rows.get("schema_version")
        if existed and version not in (None, "1", "2", "3", str(SCHEMA_VERSION)):
            db.close()
            raise LedgerError(
                f"the ledger {self.path} has schema version {version}, "
                f"this newsmirror reads versions 1 to {SCHEMA_VERSION}"
            )
        if rows.get("mirror_dir", self.mirror_dir) != self.mirror_dir:
            db.close()
            raise LedgerError(
                f"the ledger {self.path} belongs to {rows['mirror_dir']}, not {self.mirror_dir}; "
                "set MIRROR_STATE to a ledger of its own for each MIRROR_DIR"
            )
        try:
            if version in ("1", "2", "3"):
                # One transaction: a crash mid-migration leaves the old ledger as it was.
                steps = {"1": _MIGRATE_V1 + _MIGRATE_V2 + _MIGRATE_V3, "2": _MIGRATE_V2 + _MIGRATE_V3, "3": _MIGRATE_V3}
                db.executescript("BEGIN IMMEDIATE;" + steps[version])
                try:
                    if version == "1":
                        _rekey_paths(db)
                    db.execute("COMMIT")
                except BaseException:
                    db.execute("ROLLBACK")
                    raise
                logger.info("Ledger %s migrated from schema version %s to %d", self.path, version, SCHEMA_VERSION)
            else:
                db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as error:
            db.close()
            raise LedgerError(f"the ledger {self.path} could not be prepared ({error}); it was left as it is") from error
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
        row = self.db.execute(f"SELECT {_COLUMNS} FROM posts WHERE canonical_url = ?", (canonical_url,)).fetchone()
        return LedgerEntry(*row) if row else None

    def find(self, url: str) -> LedgerEntry | None:
        """Return the entry of the article a (canonicalized) URL is known to lead to, if any."""
        row = self.db.execute(
            f"SELECT {', '.join('posts.' + name for name in _COLUMNS.split(', '))} FROM aliases"
            " JOIN posts ON posts.canonical_url = aliases.canonical_url WHERE aliases.url = ?",
            (url,),
        ).fetchone()
        return LedgerEntry(*row) if row else None

    def find_many(self, urls: Iterable[str]) -> dict[str, LedgerEntry]:
        """Return {url: entry} for the (canonicalized) URLs known to lead to an article; one query per chunk.

        A listing's known articles are looked up together: one indexed query for a chunk
        of a feed costs what one query for one URL does.
        """
        wanted = list(dict.fromkeys(urls))
        found: dict[str, LedgerEntry] = {}
        columns = ", ".join("posts." + name for name in _COLUMNS.split(", "))
        for start in range(0, len(wanted), _FIND_CHUNK):
            chunk = wanted[start : start + _FIND_CHUNK]
            rows = self.db.execute(
                f"SELECT aliases.url, {columns} FROM aliases JOIN posts ON posts.canonical_url = aliases.canonical_url"
                f" WHERE aliases.url IN ({', '.join('?' * len(chunk))})",
                chunk,
            )
            found.update((row[0], LedgerEntry(*row[1:])) for row in rows)
        return found

    def known_among(self, urls: Iterable[str]) -> set[str]:
        """Return which of the (canonicalized) URLs lead to a recorded article: find_many without the rows."""
        wanted = list(dict.fromkeys(urls))
        found: set[str] = set()
        for start in range(0, len(wanted), _FIND_CHUNK):
            chunk = wanted[start : start + _FIND_CHUNK]
            rows = self.db.execute(f"SELECT url FROM aliases WHERE url IN ({', '.join('?' * len(chunk))})", chunk)
            found.update(row[0] for row in rows)
        return found

    def owner_of(self, path_key: str) -> str | None:
        """Return the canonical URL of the article that owns a post path, if any."""
        row = self.db.execute("SELECT canonical_url FROM posts WHERE path_key = ?", (path_key,)).fetchone()
        return row[0] if row else None

    def claim_path(self, path_key: str, canonical_url: str) -> bool:
        """Reserve a free post path for an article before writing it; False if another article owns it.

        One writer per SQLite ledger (the run lock), so a path no row owns is free; the
        row recorded after the write makes the claim permanent.
        """
        owner = self.owner_of(path_key)
        return owner is None or owner == canonical_url

    def record(self, entry: LedgerEntry, aliases: Iterable[str] = ()) -> None:
        """Record an article whose post file is already durably in place, and the URLs that lead to it."""
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute(
                f"INSERT INTO posts ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (canonical_url) DO UPDATE SET post_path = excluded.post_path,"
                " path_key = excluded.path_key, content_sha256 = excluded.content_sha256,"
                " published = excluded.published, written = excluded.written, etag = excluded.etag,"
                " last_modified = excluded.last_modified, status = excluded.status, format = excluded.format",
                (
                    entry.canonical_url,
                    entry.post_path,
                    entry.path_key,
                    entry.content_sha256,
                    entry.published,
                    entry.first_seen,
                    entry.written,
                    entry.etag,
                    entry.last_modified,
                    entry.status,
                    entry.format,
                ),
            )
            db.executemany(
                "INSERT OR REPLACE INTO aliases (url, canonical_url) VALUES (?, ?)",
                [(url, entry.canonical_url) for url in {entry.canonical_url, *aliases}],
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def set_status(self, canonical_url: str, status: str) -> None:
        """Change the status of a recorded article (and nothing else)."""
        self.db.execute("UPDATE posts SET status = ? WHERE canonical_url = ?", (status, canonical_url))

    def rekey(self, old_url: str, new_url: str) -> None:
        """Move an article's row from *old_url* to *new_url*, a key no row holds; the old key becomes an alias.

        Its post, path, date and checksum stay as they are: the same article under a new key.
        """
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute("UPDATE posts SET canonical_url = ? WHERE canonical_url = ?", (new_url, old_url))
            db.execute("UPDATE aliases SET canonical_url = ? WHERE canonical_url = ?", (new_url, old_url))
            db.executemany(
                "INSERT OR REPLACE INTO aliases (url, canonical_url) VALUES (?, ?)",
                [(old_url, new_url), (new_url, new_url)],
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def entries(self) -> Iterator[LedgerEntry]:
        """Yield every recorded article."""
        for row in self.db.execute(f"SELECT {_COLUMNS} FROM posts ORDER BY canonical_url"):
            yield LedgerEntry(*row)

    def __len__(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM posts").fetchone()[0])

    def add_aliases(self, canonical_url: str, urls: Iterable[str]) -> None:
        """Record more URLs that lead to a recorded article (a skipped copy's URLs lead to its original)."""
        self.db.executemany(
            "INSERT OR REPLACE INTO aliases (url, canonical_url) VALUES (?, ?)", [(url, canonical_url) for url in urls]
        )

    def record_fingerprint(self, fingerprint: StoredFingerprint) -> None:
        """Record (or replace) an article's body fingerprint, after its post is in place."""
        self.db.execute(
            "INSERT OR REPLACE INTO fingerprints (canonical_url, signature, duplicate_of, scheme) VALUES (?, ?, ?, ?)",
            (fingerprint.canonical_url, fingerprint.signature, fingerprint.duplicate_of, fingerprint.scheme),
        )

    def claim_fingerprint(self, fingerprint: StoredFingerprint, worker: str) -> list[StoredFingerprint]:
        """Return the fingerprints other workers are checking now: none, since one crawl holds this ledger's lock."""
        return []

    def release_fingerprint(self, canonical_url: str, worker: str) -> None:
        """Nothing to release: see :meth:`claim_fingerprint`."""

    def fingerprints_after(self, position: int) -> tuple[list[StoredFingerprint], int]:
        """Return the fingerprints recorded (or replaced) after *position*, and the position to ask from next."""
        rows = self.db.execute(
            "SELECT position, canonical_url, signature, duplicate_of, scheme FROM fingerprints WHERE position > ?"
            " ORDER BY position",
            (position,),
        ).fetchall()
        found = [
            StoredFingerprint(url, bytes(signature), duplicate_of, scheme)
            for _, url, signature, duplicate_of, scheme in rows
        ]
        return found, (rows[-1][0] if rows else position)


