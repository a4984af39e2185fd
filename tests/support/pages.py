"""Small article pages the crawl tests serve: a headline, a publish date, one paragraph."""

from __future__ import annotations


def article_page(title: str, date: str, text: str) -> bytes:
    """Return a minimal article page as UTF-8 bytes (<title>, article:published_time, h1, one <p>)."""
    return (
        f"<html><head><title>{title}</title><meta property='article:published_time' content='{date}'></head>"
        f"<body><h1>{title}</h1><article><p>{text}</p></article></body></html>"
    ).encode()
