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
    by_id: dict[str, dict[str, Any]] = {}
    for script in page.tree.xpath('//script[@type="application/ld+json"]/text()'):
        try:
            document = json.loads(_CDATA.sub("", script), strict=False)
        except ValueError:
            continue  # broken JSON-LD is common; other metadata still applies
        for node in _walk(document):
            if _types(node) & _ARTICLE_TYPES:
                found.append(node)
            if isinstance(node.get("@id"), str) and len(node) > 1:
                by_id.setdefault(node["@id"], node)
    # A WebPage wrapper is a last resort: its "name" is often the site's.
    found.sort(key=lambda node: _types(node) <= {"webpage"})
    if not found:
        return {}
    article = found[0]
    # Yoast-style @graph pages name the author as {"@id": ...}, a reference to a Person node
    # elsewhere in the graph: follow it, so the article carries the name.
    linked = {key: _resolved(article[key], by_id) for key in _LINKED_KEYS if key in article}
    return {**article, **linked} if linked else article


# The article's values that name a person or organisation, and may do so by @id reference.
_LINKED_KEYS = ("author", "publisher")


def _resolved(value: Any, by_id: dict[str, dict[str, Any]]) -> Any:
    """Return a JSON-LD value with its bare {"@id": ...} references replaced by the nodes they name."""
    if isinstance(value, list):
        return [_resolved(item, by_id) for item in value]
    if isinstance(value, dict) and "name" not in value and isinstance(value.get("@id"), str):
        return by_id.get(value["@id"], value)
    return value


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
