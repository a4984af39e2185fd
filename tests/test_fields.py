"""The field vote: candidates with their source and tier, then a choice that says why."""

from __future__ import annotations

import logging
from datetime import datetime, timezone

from newsmirror.extract.page import Page
from newsmirror.fields import author, date, title
from newsmirror.fields.base import PageContext, Tier

BODY = "<p>" + "Body text of the article, long enough to be prose. " * 20 + "</p>"


def context(head: str, body: str = BODY, url: str = "https://news.example.com/a/1.html") -> PageContext:
    html = f"<html><head><meta charset='utf-8'>{head}</head><body>{body}</body></html>"
    return PageContext(Page.from_bytes(url, html.encode("utf-8")), timezone.utc)


def test_the_site_module_value_is_the_top_tier_and_wins() -> None:
    page = context("<title>Doc title</title><meta property='og:title' content='Council approves plan'>",
                   f"<h1>Council approves plan</h1>{BODY}")
    choice = title.choose(page, "Site module headline")
    assert (choice.value, choice.source) == ("Site module headline", "site module")
    assert choice.candidates[0].tier == Tier.SITE
    assert {p.candidate.source for p in choice.passed_over} == {"og:title", "h1", "<title>"}
    assert all(p.reason == "site module is more precise" for p in choice.passed_over)


def test_structured_data_beats_meta_beats_printed() -> None:
    page = context(
        '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "From JSON-LD"}</script>'
        "<meta property='og:title' content='From OpenGraph'><title>From title</title>",
        f"<h1>From the h1</h1>{BODY}",
    )
    choice = title.choose(page)
    assert (choice.value, choice.source) == ("From JSON-LD", "json-ld headline")
    assert [c.source for c in choice.candidates][:3] == ["json-ld headline", "og:title", "h1"]


def test_the_title_falls_back_to_the_document_title() -> None:
    choice = title.choose(context("<title>Council approves plan</title>", BODY))
    assert (choice.value, choice.source) == ("Council approves plan", "<title>")
    assert choice.candidates[-1].tier == Tier.FALLBACK


def test_the_printed_h1_spelling_wins_when_metadata_retypes_the_same_headline() -> None:
    # og:title in Title Case with straight quotes; the page prints sentence case, curly quotes.
    page = context("<meta property='og:title' content=\"Why Rates Aren't Falling\">",
                   f"<h1>Why rates aren\u2019t falling</h1>{BODY}")
    choice = title.choose(page)
    assert (choice.value, choice.source) == ("Why rates aren\u2019t falling", "og:title + h1 spelling")


def test_the_h1_drops_a_section_glued_to_the_metadata_headline() -> None:
    page = context("<meta property='og:title' content='Let the harbour stay open | Editorial'>",
                   f"<h1>Let the harbour stay open</h1>{BODY}")
    assert title.choose(page).value == "Let the harbour stay open"


def test_a_different_printed_headline_does_not_replace_the_structured_one() -> None:
    page = context('<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Council approves plan"}</script>',
                   f"<h1>Latest news</h1>{BODY}")
    assert title.choose(page).value == "Council approves plan"


def test_references_left_by_a_double_escape_are_decoded() -> None:
    page = context("<meta property='og:title' content='India&amp;#039;s factories &amp;amp; ports'>", BODY)
    assert title.choose(page).value == "India's factories & ports"


def test_inline_markup_inside_the_h1_adds_no_space() -> None:
    page = context("", f"<h1>Kotaku<span>'s</span> top games<br>of the year</h1>{BODY}")
    assert title.choose(page).value == "Kotaku's top games of the year"


def test_a_desk_byline_names_nobody_and_the_printed_writer_wins() -> None:
    page = context("<meta property='og:site_name' content='Harbour Times'><meta name='author' content='Harbour Times Staff'>",
                   f"<p class='byline'>By <a href='/people/jane'>Jane Doe</a></p>{BODY}")
    choice = author.choose(page)
    assert (choice.value, choice.source) == ("Jane Doe", "byline element")
    assert choice.passed_over[0].reason == "it names a desk, not a writer"


def test_the_publication_glued_after_the_writer_is_dropped() -> None:
    page = context("<meta property='og:site_name' content='Harbour Times'><meta name='author' content='Jane Doe, Harbour Times'>")
    assert author.choose(page).value == "Jane Doe"


def test_the_publication_is_the_byline_only_when_no_writer_is_named() -> None:
    alone = context("<meta property='og:site_name' content='Harbour Times'><meta name='author' content='Harbour Times'>")
    assert author.choose(alone).value == "Harbour Times"
    with_writer = context("<meta property='og:site_name' content='Harbour Times'><meta name='author' content='Harbour Times'>",
                          f"<p class='byline'>By Jane Doe</p>{BODY}")
    assert author.choose(with_writer).value == "Jane Doe"


def test_a_cms_user_name_takes_the_printed_spelling() -> None:
    page = context("<meta name='author' content='janedoe'>", f"<p class='byline'>By Jane Doe</p>{BODY}")
    assert author.choose(page).value == "Jane Doe"


def test_an_implausible_date_is_passed_over_with_its_reason_and_the_next_source_wins() -> None:
    page = context(
        "<title>T</title><meta property='article:published_time' content='1970-01-01T00:00:00Z'>",
        f"<h1>T</h1><time datetime='2024-05-16T10:30:00Z'>16 May</time>{BODY}",
    )
    choice = date.choose(page)
    assert choice.value == datetime(2024, 5, 16, 10, 30, tzinfo=timezone.utc)
    assert choice.source == "<time datetime>"
    (lost,) = choice.passed_over
    assert lost.candidate.source == "meta published time"
    assert "1990" in lost.reason or "before" in lost.reason


def test_a_day_only_date_takes_the_time_the_header_prints_on_that_day() -> None:
    # Agreement: the meta tag and the printed header name the same day.
    page = context(
        "<title>Council approves plan</title><meta name='publishdate' content='2024-05-16'>",
        f"<h1>Council approves plan</h1><div>2024-05-16 09:58</div>{BODY}",
    )
    choice = date.choose(page)
    assert choice.value == datetime(2024, 5, 16, 9, 58, tzinfo=timezone.utc)
    assert choice.source == "meta published time + printed header time"


def test_no_believable_date_is_a_problem_not_a_value() -> None:
    choice = date.choose(context("<title>T</title><meta property='article:published_time' content='soon'>"))
    assert choice.value is None and choice.source == ""
    assert choice.problem


def test_htmldate_finds_a_day_the_strict_sources_cannot_read() -> None:
    # A day-first date with a two-digit year in a div, no label, no markup: no strict
    # source reads it (the printed header reads four-digit years only: "16.05.24" may be a version).
    choice = date.choose(context("<title>T</title>", f"<h1>T</h1><div class='date'>16.05.24</div>{BODY}"))
    assert choice.value == datetime(2024, 5, 16, tzinfo=timezone.utc)  # the day only: no minute invented
    assert choice.source == "htmldate (extensive search)"
    assert choice.candidates[-1].tier == Tier.LIBRARY


def test_htmldate_is_not_asked_when_a_strict_source_gives_the_date() -> None:
    choice = date.choose(context(
        "<title>T</title><meta property='article:published_time' content='2024-05-18T08:00:00Z'>",
        f"<h1>T</h1><div class='date'>16.05.2024</div>{BODY}",
    ))
    assert choice.source == "meta published time"
    assert not any(c.tier == Tier.LIBRARY for c in choice.candidates)


def test_a_copyright_year_is_not_made_into_a_day() -> None:
    choice = date.choose(context("<title>T</title>", f"<h1>T</h1>{BODY}<footer>© 2021 Example Media</footer>"))
    assert choice.value is None
    assert "month or year" in choice.problem


def test_a_url_path_gives_the_day_only() -> None:
    page = context("<title>T</title>", f"<h1>T</h1>{BODY}",
                   url="https://news.example.com/2024/05/16/council-approves-plan.html")
    choice = date.choose(page)
    assert (choice.value, choice.source) == (datetime(2024, 5, 16, tzinfo=timezone.utc), "url path")
    # htmldate reads the same URL: it agrees, and is passed over for the higher tier.
    assert [(p.candidate.tier, p.reason) for p in choice.passed_over] == [(Tier.LIBRARY, "url path is more precise")]


def test_sources_more_than_a_day_apart_are_logged_naming_both(caplog) -> None:
    page = context(
        "<title>T</title><meta property='article:published_time' content='2024-05-18T08:00:00Z'>",
        f"<h1>T</h1><time datetime='2024-05-10T08:00:00Z'>10 May</time>{BODY}",
    )
    with caplog.at_level(logging.DEBUG, logger="newsmirror.fields.date"):
        choice = date.choose(page)
    assert choice.source == "meta published time"
    (record,) = [r for r in caplog.records if "disagree" in r.getMessage()]
    assert "meta published time" in record.getMessage() and "<time datetime>" in record.getMessage()


def test_a_crawl_stops_at_the_tier_that_settles_the_field_and_explain_collects_every_tier() -> None:
    from newsmirror.fields import author

    # Two markup timestamps that agree: a publish label the header might print is not asked about.
    head = ('<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Council approves plan",'
            ' "datePublished": "2024-05-16T09:30:00+02:00", "author": {"name": "Ana Sandoiu"}}</script>'
            "<meta property='article:published_time' content='2024-05-16T09:30:00+02:00'>"
            "<title>Council approves plan</title>")
    printed = f"<h1>Council approves plan</h1><p class='byline'>By Other Writer</p><p>17 May 2024 10:00</p>{BODY}"
    crawl, explained = context(head, printed), context(head, printed)
    explained.explain = True
    for page in (crawl, explained):
        page.title = "Council approves plan"
        assert date.choose(page).source == "json-ld datePublished"
        assert author.choose(page).value == "Ana Sandoiu"
    # The crawl never walked the printed header: structured data with a time in a stated
    # zone settled both fields (a time in UTC reads the header for the page's own clock).
    assert "header" not in vars(crawl) and "visible_text" not in vars(crawl)
    # scrapy extract shows the printed candidates it passed over.
    assert "printed header" in [c.source for c in date.choose(explained).candidates]
    assert "byline element" in [c.source for c in author.choose(explained).candidates]


def test_a_day_only_structured_date_still_reads_the_printed_time() -> None:
    page = context('<script type="application/ld+json">{"@type": "NewsArticle", "datePublished": "2024-05-16"}</script>'
                   "<title>Council approves plan</title>",
                   f"<h1>Council approves plan</h1><p>May 16, 2024 9:30 AM UTC</p>{BODY}")
    page.title = "Council approves plan"
    choice = date.choose(page)
    assert choice.value == datetime(2024, 5, 16, 9, 30, tzinfo=timezone.utc)
