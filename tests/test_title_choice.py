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


SEO_HEAD = (
    '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Harbour fees 2024: all you need to know"}</script>'
    "<meta property='og:title' content='Harbour fees explained'><title>Harbour fees explained | Example News</title>"
)


def test_the_one_h1_of_the_article_beats_metadata_that_disagrees_with_it() -> None:
    page = context(SEO_HEAD, f"<header><a href='/'>Example News</a></header>"
                             f"<main><article><h1>Why the harbour is charging ferries twice</h1>{BODY}</article></main>")
    choice = title.choose(page)
    assert (choice.value, choice.source) == ("Why the harbour is charging ferries twice", title.ARTICLE_H1)
    assert {p.candidate.source for p in choice.passed_over} == {"json-ld headline", "og:title", "<title>"}


def test_an_h1_outside_the_article_or_in_its_aside_does_not_outvote_the_metadata() -> None:
    outside = context(SEO_HEAD, f"<h1>Why the harbour is charging ferries twice</h1><article>{BODY}</article>")
    aside = context(SEO_HEAD, f"<main><aside><h1>Most read this week</h1></aside>{BODY}</main>")
    assert title.choose(outside).value == "Harbour fees 2024: all you need to know"
    assert title.choose(aside).value == "Harbour fees 2024: all you need to know"


def test_a_one_word_h1_or_several_h1s_in_the_article_do_not_outvote_the_metadata() -> None:
    section = context(SEO_HEAD, f"<article><h1>Politics</h1>{BODY}</article>")
    several = context(SEO_HEAD, f"<main><h1>Ferries charged twice</h1><h1>Councils split on the fee</h1>{BODY}</main>")
    assert title.choose(section).value == "Harbour fees 2024: all you need to know"
    assert title.choose(several).value == "Harbour fees 2024: all you need to know"


def test_an_unspaced_script_headline_of_one_word_still_counts() -> None:
    page = context(SEO_HEAD, f"<article><h1>港口收费上调</h1>{BODY}</article>")
    assert title.choose(page).value == "港口收费上调"


def test_ruby_annotations_are_not_part_of_the_headline() -> None:
    page = context(SEO_HEAD, f"<article><h1><ruby>港<rp>(</rp><rt>みなと</rt><rp>)</rp></ruby>の料金が上がる</h1>{BODY}</article>")
    assert title.choose(page).value == "港の料金が上がる"


def test_with_no_h1_the_title_segment_printed_as_a_heading_is_the_headline() -> None:
    page = context("<title>Ferry timetable changes | Harbour Authority of the Northern Coast (HANC)</title>",
                   f"<div class='content'><h2>Ferry timetable changes</h2>{BODY}</div>")
    choice = title.choose(page)
    assert (choice.value, choice.source) == ("Ferry timetable changes", "<title>")
