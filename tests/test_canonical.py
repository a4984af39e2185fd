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


@pytest.mark.parametrize(
    "declared",
    [
        "https://news.site/",
        "https://news.site",
        "https://news.site/index.html",
        "https://news.site/news/",
        "https://news.site/world",
        "https://news.site/category/politics/",
        "https://news.site/tag/elections",
        "https://news.site/page/2",
        "https://news.site/category/politics/page/3",
    ],
)
def test_a_front_page_or_listing_canonical_is_not_taken(declared: str, caplog: pytest.LogCaptureFixture) -> None:
    story = page("https://news.site/2024/05/story-1.html", declared)
    with caplog.at_level("INFO", logger="newsmirror.sites.generic"):
        assert canonical_url(story) == "https://news.site/2024/05/story-1.html"
    (record,) = [record for record in caplog.records if "not taken" in record.getMessage()]
    assert "https://news.site/2024/05/story-1.html" in record.getMessage()
    assert "front page" in record.getMessage() or "listing" in record.getMessage() or "section" in record.getMessage()


@pytest.mark.parametrize(
    "declared",
    [
        "https://news.site/2024/05/story-1.html",
        "https://news.site/news/world-12345678",
        "https://news.site/world/2024/may/05/a-long-story",
        "https://news.site/a-story-told-in-words/",
        "https://news.site/?p=123",
        "https://news.site/read?id=55",
        "https://news.site/section/2024/05/05/storm",
        "https://news.site/tag/elections/2024/05/05/storm.html",
    ],
)
def test_an_article_canonical_is_taken(declared: str) -> None:
    assert canonical_url(page("https://m.news.site/s/1", declared)) == declared


def test_a_refused_canonical_link_gives_way_to_a_believable_og_url() -> None:
    html = (
        "<html><head><link rel='canonical' href='https://news.site/'>"
        "<meta property='og:url' content='https://news.site/2024/05/story-1.html'></head><body></body></html>"
    )
    assert canonical_url(Page.from_bytes("https://news.site/s/1", html.encode())) == "https://news.site/2024/05/story-1.html"


def test_the_log_says_when_a_canonical_on_another_site_is_refused(caplog: pytest.LogCaptureFixture) -> None:
    bob = page("https://bob-diary.blogspot.com/2024/05/walk.html", "https://alice-notes.blogspot.com/2024/05/walk.html")
    with caplog.at_level("INFO", logger="newsmirror.sites.generic"):
        canonical_url(bob)
    assert any("another site" in record.getMessage() and "bob-diary" in record.getMessage() for record in caplog.records)
