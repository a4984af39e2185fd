"""The field vote: candidates with their source and tier, then a choice that says why."""

from __future__ import annotations

from datetime import datetime, timezone

from newsmirror.extract.page import Page
from newsmirror.fields import date, title
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
