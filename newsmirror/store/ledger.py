"""The ledger's contract: one entry per mirrored article, and what every backend offers.

It answers the questions a post path alone cannot: which article owns a path (so two
articles with one title never overwrite each other), where an article already lives
(so a retitled article is updated in place), when an undated article was first seen
(so its date never drifts), and which URLs lead to an article already mirrored (so a
cron run fetches nothing it already has).  Backends: :mod:`newsmirror.store.sqlite`
(one machine) and :mod:`newsmirror.store.redis` (scale-out).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Protocol

from newsmirror.paths import path_key

# Shared by both backends. v3 added each post's format (its output profile, issue 17).
SCHEMA_VERSION = 3
# The profile of a post written before the ledger recorded one: Hexo was the only format.
DEFAULT_FORMAT = "hexo"


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

    format: str = DEFAULT_FORMAT


class LedgerStore(Protocol):
    """What every ledger backend offers (SQLite and Redis)."""

    def open(self) -> None: ...
    def close(self) -> None: ...
    def get(self, canonical_url: str) -> LedgerEntry | None: ...
    def find(self, url: str) -> LedgerEntry | None: ...
    def find_many(self, urls: Iterable[str]) -> dict[str, LedgerEntry]: ...
    def known_among(self, urls: Iterable[str]) -> set[str]: ...
    def owner_of(self, path_key: str) -> str | None: ...
    def claim_path(self, path_key: str, canonical_url: str) -> bool: ...
    def record(self, entry: LedgerEntry, aliases: Iterable[str] = ()) -> None: ...
    def set_status(self, canonical_url: str, status: str) -> None: ...
    def entries(self) -> Iterator[LedgerEntry]: ...


def utc_now() -> datetime:
    """Return the current time in UTC, to the second (a post date has no fractions)."""
    return datetime.now(timezone.utc).replace(microsecond=0)


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

