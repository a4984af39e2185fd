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
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Protocol

from newsmirror.paths import path_key

# A day-only post's date line (its page gave the day, no time): 2024-05-16.
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")

# Shared by both backends. v3 added each post's format (its output profile, issue 17);
# v4 the fingerprints of mirrored bodies (syndicated copies, issue 16).
SCHEMA_VERSION = 4
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


@dataclass(frozen=True)
class StoredFingerprint:
    """One article body's fingerprint, as the ledger keeps it (newsmirror.fingerprints makes them).

    *duplicate_of* is the canonical URL of the first article of the same story when this
    one is a copy of it, None for that first article itself; *scheme* names how the
    fingerprint was computed, so a future change of method never compares unlike values.
    """

    canonical_url: str
    signature: bytes
    duplicate_of: str | None = None
    scheme: str = ""

    @property
    def original(self) -> str:
        """The first article of this story: what a copy of this one is a copy of."""
        return self.duplicate_of or self.canonical_url


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
    def rekey(self, old_url: str, new_url: str) -> None: ...
    def entries(self) -> Iterator[LedgerEntry]: ...
    def add_aliases(self, canonical_url: str, urls: Iterable[str]) -> None: ...
    def record_fingerprint(self, fingerprint: StoredFingerprint) -> None: ...
    def fingerprints_after(self, position: int) -> tuple[list[StoredFingerprint], int]: ...
    def claim_fingerprint(self, fingerprint: StoredFingerprint, worker: str) -> list[StoredFingerprint]: ...
    def release_fingerprint(self, canonical_url: str, worker: str) -> None: ...


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


def post_format_of(relpath: str, fields: dict[str, str] | None = None) -> str:
    """Return the format a post file was written in: Hugo's ``.html``, Jekyll's ``_posts/``, else by its front matter.

    A ``.md`` post outside ``_posts`` is Hexo's when it has the sample's ``comments:``
    line, the markdown format's otherwise (that format writes no ``comments:``).
    """
    if relpath.endswith(".html"):
        return "hugo"
    if f"/{relpath}".rsplit("/", 2)[-2:-1] == ["_posts"]:
        return "jekyll"
    if fields is not None and "comments" not in fields:
        return "markdown"
    return DEFAULT_FORMAT


def parse_post_date(value: str) -> datetime | None:
    """Return a post's ``date:`` as an aware datetime, in any format's form (RFC 1123, RFC 3339, Jekyll's)."""
    text = _yaml_scalar(value)
    for parse in (
        parsedate_to_datetime,
        datetime.fromisoformat,
        lambda written: datetime.strptime(written, "%Y-%m-%d %H:%M:%S %z"),
    ):
        try:
            moment = parse(text)
        except (TypeError, ValueError):
            continue
        if moment.tzinfo is not None:
            return moment
    if _DAY.fullmatch(text):  # a day-only post (its page gave no time): that day, read in UTC
        return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)
    return None


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
    for path in sorted([*root.rglob("*.md"), *root.rglob("*.html")]):
        folders = path.relative_to(root).parts[:-1]
        if not path.is_file() or path.name.startswith("."):
            continue
        if any(folder.startswith((".", "_")) and folder != "_posts" for folder in folders):
            continue  # never a post's folder: a site's own (_site, _layouts) or a hidden one
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
        moment = parse_post_date(fields.get("date", ""))
        published = moment.isoformat() if moment is not None else None
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
                format=post_format_of(relpath, fields),
            ),
            aliases=[link],
        )
        recorded += 1
    return recorded, without_link

