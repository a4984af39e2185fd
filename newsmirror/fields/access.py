"""Access: whether the page's structured data says the article is behind a paywall (issue 16).

schema.org's ``isAccessibleForFree`` (the markup search engines ask paywalled sites for)
on the JSON-LD article, or on a part of it (``hasPart``), read as a boolean or the
strings ``"False"`` / ``"false"`` that CMSs write. Only an explicit false counts.
"""

from __future__ import annotations

from typing import Any

from newsmirror.fields.base import PageContext


def _says_not_free(value: Any) -> bool:
    """Tell whether an ``isAccessibleForFree`` value is an explicit false."""
    if isinstance(value, bool):
        return value is False
    return isinstance(value, str) and value.strip().lower() in ("false", "no", "0")


def paywalled(context: PageContext) -> bool:
    """Tell whether the page's JSON-LD article (or one of its parts) is marked not free to read."""
    article = context.article
    if _says_not_free(article.get("isAccessibleForFree")):
        return True
    parts = article.get("hasPart", [])
    parts = parts if isinstance(parts, list) else [parts]
    return any(isinstance(part, dict) and _says_not_free(part.get("isAccessibleForFree")) for part in parts)
