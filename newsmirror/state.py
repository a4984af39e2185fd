"""Former home of the ledger, now :mod:`newsmirror.store`.

Kept only because ``settings.py`` (another helper's file this round) still names
``newsmirror.state.LedgerExtension`` in ``EXTENSIONS``; remove once it names
``newsmirror.store.LedgerExtension``.
"""

from newsmirror.store import LedgerExtension

__all__ = ["LedgerExtension"]
