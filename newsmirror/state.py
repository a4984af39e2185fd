"""The ledger: what earlier runs mirrored, keyed by canonical URL.

It answers the questions a post path alone cannot: which article owns a path (so two
articles with one title never overwrite each other), where an article already lives
(so a retitled article is updated in place), when an undated article was first seen
(so its date never drifts), and which URLs lead to an article already mirrored (so a
cron run fetches nothing it already has).  SQLite in WAL mode, beside ``MIRROR_DIR``
and never inside it, since a static-site generator would publish it.

One crawler has one ledger: :class:`LedgerExtension` opens it (taking the run lock)
before the engine starts and closes it when the engine stops; components reach it
with :func:`ledger_for`.
"""

from __future__ import annotations

import fcntl
import logging
import os
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Protocol

from scrapy import signals

from newsmirror.paths import path_key

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 2
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
    status TEXT NOT NULL DEFAULT 'new'
);
CREATE TABLE IF NOT EXISTS aliases (
    url TEXT PRIMARY KEY,
    canonical_url TEXT NOT NULL REFERENCES posts (canonical_url)
);
"""
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
_COLUMNS = "canonical_url, post_path, path_key, content_sha256, published, first_seen, written, etag, last_modified, status"


def _rekey_paths(db: sqlite3.Connection) -> None:
    """Recompute every row's path key with today's rule (v1 keys ignored Hexo's page naming).

    Two v1 rows whose paths now share a key already live side by side on disk; the second
    keeps its old key rather than fail the migration.
    """
    for canonical_url, post_path in db.execute("SELECT canonical_url, post_path FROM posts").fetchall():
        db.execute(
            "UPDATE OR IGNORE posts SET path_key = ? WHERE canonical_url = ?", (path_key(post_path), canonical_url)
        )


class LedgerError(RuntimeError):
    """The ledger cannot be used; the message says why and what to do."""


class LedgerLocked(LedgerError):
    """Another run holds the ledger's lock."""


@dataclass(frozen=True)
class LedgerEntry:
    """One mirrored article.

    *published* is the post's date (ISO 8601); *first_seen* when a run first mirrored
    it; *written* when its row last changed; *etag* / *last_modified* the article page's
    validators, sent back on a refresh; *status* the last outcome ("new", "updated",
    "unchanged", "hand-edited").
    """

    canonical_url: str
    post_path: str
    path_key: str
    content_sha256: str
    published: str | None
    first_seen: str
    written: str
    etag: str | None = None
    last_modified: str | None = None
    status: str = "new"


class LedgerStore(Protocol):
    """What every ledger backend offers (SQLite here, Redis in ``newsmirror.scaleout``)."""

    def open(self) -> None: ...
    def close(self) -> None: ...
    def get(self, canonical_url: str) -> LedgerEntry | None: ...
    def find(self, url: str) -> LedgerEntry | None: ...
    def owner_of(self, path_key: str) -> str | None: ...
    def claim_path(self, path_key: str, canonical_url: str) -> bool: ...
    def record(self, entry: LedgerEntry, aliases: Iterable[str] = ()) -> None: ...
    def set_status(self, canonical_url: str, status: str) -> None: ...
    def entries(self) -> Iterator[LedgerEntry]: ...


def default_state_path(mirror_dir: Path) -> Path:
    """Return ``.newsmirror/state.sqlite`` in the folder that holds ``MIRROR_DIR``."""
    return mirror_dir.resolve().parent / ".newsmirror" / "state.sqlite"


def state_path_for(settings: BaseSettings) -> Path:
    """Return the ledger path the settings name: ``MIRROR_STATE``, else the default beside ``MIRROR_DIR``."""
    state = settings.get("MIRROR_STATE")
    return Path(state) if state else default_state_path(Path(settings.get("MIRROR_DIR")))


def utc_now() -> datetime:
    """Return the current time in UTC, to the second (a post date has no fractions)."""
    return datetime.now(timezone.utc).replace(microsecond=0)


# Locks this process holds, by lock file: flock locks belong to an open file, so a
# second open() of the same file in this process would conflict with the first.
_HELD_LOCKS: dict[str, IO[bytes]] = {}


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
        if existed and version not in (None, "1", str(SCHEMA_VERSION)):
            db.close()
            raise LedgerError(
                f"the ledger {self.path} has schema version {version}, "
                f"this newsmirror reads versions 1 and {SCHEMA_VERSION}"
            )
        if rows.get("mirror_dir", self.mirror_dir) != self.mirror_dir:
            db.close()
            raise LedgerError(
                f"the ledger {self.path} belongs to {rows['mirror_dir']}, not {self.mirror_dir}; "
                "set MIRROR_STATE to a ledger of its own for each MIRROR_DIR"
            )
        try:
            if version == "1":
                # One transaction: a crash mid-migration leaves the v1 ledger as it was.
                db.executescript("BEGIN IMMEDIATE;" + _MIGRATE_V1)
                try:
                    _rekey_paths(db)
                    db.execute("COMMIT")
                except BaseException:
                    db.execute("ROLLBACK")
                    raise
                logger.info("Ledger %s migrated from schema version 1 to %d", self.path, SCHEMA_VERSION)
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
                f"INSERT INTO posts ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (canonical_url) DO UPDATE SET post_path = excluded.post_path,"
                " path_key = excluded.path_key, content_sha256 = excluded.content_sha256,"
                " published = excluded.published, written = excluded.written, etag = excluded.etag,"
                " last_modified = excluded.last_modified, status = excluded.status",
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

    def entries(self) -> Iterator[LedgerEntry]:
        """Yield every recorded article."""
        for row in self.db.execute(f"SELECT {_COLUMNS} FROM posts ORDER BY canonical_url"):
            yield LedgerEntry(*row)

    def __len__(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM posts").fetchone()[0])


def remove_stale_temporaries(mirror_dir: Path) -> int:
    """Delete the temporary files a killed run left in ``MIRROR_DIR``; return how many.

    Only ``write_atomic``'s own names (``.<stem>.<random>.tmp``) are touched, and only
    under the run lock, when no other writer can be mid-write.
    """
    removed = 0
    if not mirror_dir.is_dir():
        return 0
    for path in mirror_dir.rglob(".*.tmp"):
        if path.is_file() and not path.is_symlink():
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def _front_matter(data: bytes) -> dict[str, str]:
    """Return the top-level ``key: value`` lines of a post's front matter, values as written."""
    head = data.lstrip().split(b"\n---", 1)[0].decode("utf-8", "replace")
    fields = {}
    for line in head.splitlines():
        key, sep, value = line.partition(": ")
        if sep and key and not key.startswith((" ", "-")):
            fields[key] = value.strip()
    return fields


def _yaml_scalar(value: str) -> str:
    """Undo the single-quoted YAML style the exporter writes (``'it''s'`` -> ``it's``)."""
    if len(value) >= 2 and value[0] == value[-1] == "'":
        return value[1:-1].replace("''", "'")
    return value


def rebuild_from_posts(ledger: LedgerStore, mirror_dir: Path) -> tuple[int, int]:
    """Record every post under *mirror_dir* that carries a ``link:`` line and is not in the ledger yet.

    Returns (recorded, without_link).  Posts without ``link:`` (``MIRROR_FRONT_MATTER_LINK``
    was off when they were written) cannot say which article they are; they are counted
    and left out, and their paths stay protected only by the file being there.
    """
    import hashlib

    from newsmirror.sites import site_for

    recorded = without_link = 0
    now = utc_now().isoformat()
    root = mirror_dir.resolve()
    for path in sorted(root.rglob("*.md")):
        if not path.is_file() or path.name.startswith("."):
            continue
        data = path.read_bytes()
        fields = _front_matter(data)
        link = _yaml_scalar(fields.get("link", ""))
        if not link.startswith(("http://", "https://")):
            without_link += 1
            continue
        canonical = site_for(link).canonicalize(link)
        if ledger.get(canonical) is not None:
            continue
        relpath = path.relative_to(root).as_posix()
        try:
            published = parsedate_to_datetime(fields["date"]).isoformat()
        except (KeyError, TypeError, ValueError):
            published = None
        ledger.record(
            LedgerEntry(
                canonical_url=canonical,
                post_path=relpath,
                path_key=path_key(relpath),
                content_sha256=hashlib.sha256(data).hexdigest(),
                published=published,
                first_seen=published or now,
                written=now,
                status="rebuilt",
            ),
            aliases=[link],
        )
        recorded += 1
    return recorded, without_link


def open_ledger(settings: BaseSettings) -> LedgerStore:
    """Return the (unopened) ledger the settings ask for: Redis when a Redis URL is set, else SQLite."""
    mirror_dir = Path(settings.get("MIRROR_DIR"))
    redis_url = redis_url_for(settings)
    if redis_url:
        from newsmirror.scaleout import RedisLedger

        return RedisLedger(redis_url, mirror_dir, prefix=settings.get("MIRROR_REDIS_PREFIX"))
    return Ledger(state_path_for(settings), mirror_dir)


def redis_url_for(settings: BaseSettings) -> str:
    """Return the Redis URL of a scaled-out run (``REDIS_URL`` or ``MIRROR_REDIS_URL``), or ''."""
    return settings.get("REDIS_URL") or settings.get("MIRROR_REDIS_URL") or os.environ.get("MIRROR_REDIS_URL", "")


class LedgerExtension:
    """Owns the crawler's one ledger: opened (under the run lock) before the engine starts, closed when it stops.

    With ``-a rebuild_state=1`` it first records the posts on disk that carry a ``link:``
    line, so a lost ledger does not make the run fetch everything again.
    """

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.mirror_dir = Path(settings.get("MIRROR_DIR"))
        self.ledger: LedgerStore = open_ledger(settings)
        if isinstance(self.ledger, Ledger):
            # Workers sharing a Redis ledger run at once on purpose; a local ledger has one writer.
            acquire_run_lock(self.ledger.path)
            removed = remove_stale_temporaries(self.mirror_dir)
            if removed:
                logger.info("Removed %d temporary file(s) an interrupted run left in %s", removed, self.mirror_dir)
        self.ledger.open()
        spider = getattr(crawler, "spider", None)
        if getattr(spider, "rebuild_state", False):
            recorded, without_link = rebuild_from_posts(self.ledger, self.mirror_dir)
            logger.info(
                "Ledger rebuilt from %s: %d post(s) recorded, %d without a link: line skipped",
                self.mirror_dir, recorded, without_link,
            )  # fmt: skip
        crawler.signals.connect(self.engine_stopped, signal=signals.engine_stopped)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LedgerExtension:
        """Open the crawler's ledger."""
        return cls(crawler)

    def engine_stopped(self) -> None:
        """Close the ledger once nothing can write to it any more."""
        self.ledger.close()


def ledger_for(crawler: Crawler) -> LedgerStore:
    """Return the crawler's open ledger (owned by :class:`LedgerExtension`)."""
    extension = crawler.get_extension(LedgerExtension)
    if extension is None:
        raise LedgerError("the ledger extension newsmirror.state.LedgerExtension is not enabled in EXTENSIONS")
    return extension.ledger


