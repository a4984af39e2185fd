"""Validators (ETag, Last-Modified) of fetched feeds, kept across runs for conditional requests.

A small SQLite file of its own beside the ledger (``.newsmirror/feed-validators.sqlite``
next to ``MIRROR_DIR``, never inside it): losing it costs one full fetch per feed, nothing else.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from newsmirror.state import default_state_path

FILE_NAME = "feed-validators.sqlite"


@dataclass(frozen=True)
class Validators:
    """What a server said about one version of a resource."""

    etag: str | None
    last_modified: str | None

    def request_headers(self) -> dict[str, str]:
        """Return the conditional request headers these validators allow."""
        headers = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers


def default_validators_path(mirror_dir: Path, state: str = "") -> Path:
    """Return the store's path: beside ``MIRROR_STATE`` when set, else beside the default ledger."""
    ledger = Path(state) if state else default_state_path(mirror_dir)
    return ledger.parent / FILE_NAME


class ValidatorStore:
    """URL -> validators, in one SQLite table; opened on first use."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db: sqlite3.Connection | None = None

    def _connection(self) -> sqlite3.Connection:
        """Open (and create) the store on first use."""
        if self._db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path)
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS validators (url TEXT PRIMARY KEY, etag TEXT, last_modified TEXT)"
            )
        return self._db

    def get(self, url: str) -> Validators | None:
        """Return the validators an earlier run saw for *url*, or None."""
        row = self._connection().execute(
            "SELECT etag, last_modified FROM validators WHERE url = ?", (url,)
        ).fetchone()
        return None if row is None else Validators(row[0], row[1])

    def put(self, url: str, etag: str | None, last_modified: str | None) -> None:
        """Remember *url*'s validators; a response with neither forgets the old ones."""
        with self._connection() as db:
            if etag or last_modified:
                db.execute(
                    "INSERT OR REPLACE INTO validators (url, etag, last_modified) VALUES (?, ?, ?)",
                    (url, etag, last_modified),
                )
            else:
                db.execute("DELETE FROM validators WHERE url = ?", (url,))

    def close(self) -> None:
        """Close the database, if it was opened."""
        if self._db is not None:
            self._db.close()
            self._db = None
