"""The headline vote: the printed h1 and the metadata headlines it agrees with, against the rest."""

from __future__ import annotations

from datetime import timezone

from newsmirror.extract.page import Page
from newsmirror.fields import title
from newsmirror.fields.base import PageContext

BODY = "<p>" + "Body text of the article, long enough to be prose. " * 20 + "</p>"


def context(head: str, body: str, url: str = "https://news.example.com/2024/05/harbour-story.html") -> PageContext:
    html = f"<html><head><meta charset='utf-8'>{head}</head><body>{body}</body></html>"
    return PageContext(Page.from_bytes(url, html.encode("utf-8")), timezone.utc)


def test_the_h1_seconded_by_og_title_beats_a_search_engine_headline_in_json_ld() -> None:
    page = context(
        '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Harbour fees: what changes in 2024"}</script>'
        "<meta property='og:title' content='The harbour wall will be rebuilt'>"
        "<title>Harbour fees: what changes in 2024 | Example News</title>",
        f"<article><h1>The harbour wall will be rebuilt</h1>{BODY}</article>",
    )
    choice = title.choose(page)
    assert (choice.value, choice.source) == ("The harbour wall will be rebuilt", "og:title")
    assert any(p.candidate.source == "json-ld headline" and "h1 prints the og:title" in p.reason
               for p in choice.passed_over)


def test_the_h1_seconded_by_the_document_title_keeps_its_spelling() -> None:
    page = context(
        "<meta property='og:title' content='Tips for the harbour walk'><title>Harbour walk: the best routes</title>",
        f"<h1>Harbour walk: the best routes</h1>{BODY}",
    )
    choice = title.choose(page)
    assert (choice.value, choice.source) == ("Harbour walk: the best routes", "<title>")


def test_twitter_title_is_a_candidate_of_its_own() -> None:
    page = context(
        "<meta property='og:title' content='Ferry prices, explained'>"
        "<meta name='twitter:title' content='Ferry Prices Rise Again'>",
        f"<h1>Ferry prices rise again</h1>{BODY}",
    )
    choice = title.choose(page)
    assert (choice.value, choice.source) == ("Ferry prices rise again", "twitter:title + h1 spelling")


def test_a_title_that_only_starts_with_the_h1_does_not_second_it() -> None:
    # The <title> is cut at the h1 when it starts with it; that cut is no vote for the h1.
    page = context(
        "<meta property='og:title' content='Harbour Lab privacy policy'><title>privacy policy: Harbour Lab privacy policy</title>",
        f"<header><h1>privacy policy</h1></header>{BODY}",
    )
    assert title.choose(page).value == "Harbour Lab privacy policy"
