"""What lasts between runs: the ledger (SQLite or Redis), and the post files it points at.

- :mod:`~newsmirror.store.ledger`: the entry and the protocol every backend offers;
- :mod:`~newsmirror.store.sqlite`: the ledger of one machine, its migrations and its run lock;
- :mod:`~newsmirror.store.redis`: the ledger shared by scaled-out workers;
- :mod:`~newsmirror.store.posts`: contained, atomic post writes;
- :mod:`~newsmirror.store.extension`: the crawler's one ledger (:func:`ledger_for`).

The Redis backend is imported only when a run asks for it.
"""

from newsmirror.store.extension import LedgerExtension, ledger_for, open_ledger, redis_url_for
from newsmirror.store.ledger import (
    DEFAULT_FORMAT,
    SCHEMA_VERSION,
    LedgerEntry,
    LedgerError,
    LedgerLocked,
    LedgerStore,
    StoredFingerprint,
    rebuild_from_posts,
    utc_now,
)
from newsmirror.store.posts import OutsideMirrorError, contained_path, remove_stale_temporaries, write_atomic
from newsmirror.store.sqlite import (
    Ledger,
    acquire_run_lock,
    adopt_legacy_ledger,
    default_state_path,
    legacy_state_path,
    lock_path_for,
    state_path_for,
)

__all__ = [
    "DEFAULT_FORMAT",
    "SCHEMA_VERSION",
    "Ledger",
    "LedgerEntry",
    "LedgerError",
    "LedgerExtension",
    "LedgerLocked",
    "LedgerStore",
    "OutsideMirrorError",
    "StoredFingerprint",
    "acquire_run_lock",
    "adopt_legacy_ledger",
    "contained_path",
    "default_state_path",
    "ledger_for",
    "legacy_state_path",
    "lock_path_for",
    "open_ledger",
    "rebuild_from_posts",
    "redis_url_for",
    "remove_stale_temporaries",
    "state_path_for",
    "utc_now",
    "write_atomic",
]
