"""Which declared canonical URL a page may key on (issue 14: an article's identity)."""

from __future__ import annotations

import pytest

from newsmirror.extract.page import Page
from newsmirror.sites.generic import canonical_url, registrable_domain


def page(url: str, canonical: str) -> Page:
    """A small article page at *url* declaring *canonical*."""
    html = (
        f"<html><head><title>A story</title><link rel='canonical' href='{canonical}'></head>"
        "<body><h1>A story</h1><p>Its text.</p></body></html>"
    )
    return Page.from_bytes(url, html.encode("utf-8"))


@pytest.mark.parametrize(
    ("one", "other", "same"),
    [
        ("bob-diary.blogspot.com", "alice-notes.blogspot.com", False),
        ("alice.github.io", "bob.github.io", False),
        ("news.bbc.co.uk", "www.bbc.co.uk", True),
        ("www.example.com", "example.com", True),
        ("127.0.0.1", "127.0.0.2", False),
    ],
)
def test_registrable_domain_follows_the_public_suffix_list(one: str, other: str, same: bool) -> None:
    assert (registrable_domain(one) == registrable_domain(other)) is same


def test_a_blog_may_not_claim_another_blog_on_the_same_host_as_its_canonical() -> None:
    bob = page("https://bob-diary.blogspot.com/2024/05/walk.html", "https://alice-notes.blogspot.com/2024/05/walk.html")
    assert canonical_url(bob) == "https://bob-diary.blogspot.com/2024/05/walk.html"


def test_a_canonical_on_another_host_of_the_same_site_is_taken() -> None:
    mobile = page("https://news.bbc.co.uk/1/hi/world/123.stm", "https://www.bbc.co.uk/news/world-123")
    assert canonical_url(mobile) == "https://www.bbc.co.uk/news/world-123"
