"""Structured metadata: JSON-LD articles and OpenGraph/meta tags."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from newsmirror.extract.page import Page, squash

# Some CMSs wrap JSON-LD in an XHTML CDATA section, which HTML parsers keep as text.
_CDATA = re.compile(r"^\s*(?://\s*)?<!\[CDATA\[|(?://\s*)?\]\]>\s*$")
_ARTICLE_TYPES = frozenset(
    {"article", "newsarticle", "blogposting", "reportagenews", "analysisnewsarticle",
     "opinionnewsarticle", "reviewnewsarticle", "backgroundnewsarticle", "liveblogposting",
     "webpage", "report", "scholarlyarticle", "techarticle"}
)


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    """Yield every JSON object in a JSON-LD document, flattening lists and @graph."""
    if isinstance(node, list):
        for child in node:
            yield from _walk(child)
    elif isinstance(node, dict):
        yield node
        yield from _walk(node.get("@graph", []))


def _types(node: dict[str, Any]) -> set[str]:
    kind = node.get("@type", [])
    return {str(k).lower() for k in (kind if isinstance(kind, list) else [kind])}


def json_ld_article(page: Page) -> dict[str, Any]:
    """Return the page's JSON-LD article object (preferring news types), or {}."""
    found: list[dict[str, Any]] = []
    for script in page.tree.xpath('//script[@type="application/ld+json"]/text()'):
        try:
            document = json.loads(_CDATA.sub("", script), strict=False)
        except ValueError:
            continue  # broken JSON-LD is common; other metadata still applies
        found += [node for node in _walk(document) if _types(node) & _ARTICLE_TYPES]
    # A WebPage wrapper is a last resort: its "name" is often the site's.
    found.sort(key=lambda node: _types(node) <= {"webpage"})
    return found[0] if found else {}


def _names(value: Any) -> list[str]:
    """Return the names in a JSON-LD person/organization value (string, object or list)."""
    if isinstance(value, list):
        return [name for item in value for name in _names(item)]
    if isinstance(value, dict):
        return _names(value.get("name"))
    if isinstance(value, str):
        return [squash(value)] if squash(value) else []
    return []


def ld_text(article: dict[str, Any], key: str) -> str:
    """Return a JSON-LD string field, squashed, or ''."""
    value = article.get(key)
    return squash(value) if isinstance(value, str) else ""


def ld_authors(article: dict[str, Any]) -> list[str]:
    """Return the author names of a JSON-LD article."""
    return _names(article.get("author"))


def ld_publishers(article: dict[str, Any]) -> list[str]:
    """Return the publisher names of a JSON-LD article."""
    return _names(article.get("publisher"))


def ld_image(article: dict[str, Any]) -> str:
    """Return the first image URL of a JSON-LD article, or ''."""
    image = article.get("image")
    if isinstance(image, list):
        image = image[0] if image else None
    if isinstance(image, dict):
        image = image.get("url") or image.get("contentUrl")
    return squash(image) if isinstance(image, str) else ""
