"""The byline on small self-written pages: structured data first, printed bylines in many languages."""

from __future__ import annotations

from datetime import timezone

import pytest

from newsmirror.extract.bylines import clean_author
from newsmirror.extract.page import Page
from newsmirror.fields import author
from newsmirror.fields.base import PageContext

HEADLINE = "Harbour council approves the new ferry timetable"
BODY = "<p>" + "The council met on Tuesday and voted on the ferry timetable for the coming year. " * 12 + "</p>"


def context(head: str, body: str, url: str = "https://news.example.com/2024/05/16/ferry.html") -> PageContext:
    """Return the page as the author field reads it, with the headline already chosen."""
    html = f"<html><head><meta charset='utf-8'>{head}</head><body>{body}</body></html>"
    page = PageContext(Page.from_bytes(url, html.encode("utf-8")), timezone.utc)
    page.title = HEADLINE
    return page


def test_json_ld_author_given_as_an_id_reference_in_the_graph() -> None:
    graph = (
        '<script type="application/ld+json">{"@context": "https://schema.org", "@graph": ['
        '{"@type": "NewsArticle", "headline": "%s", "author": {"@id": "https://news.example.com/#/person/1"}},'
        '{"@type": "Person", "@id": "https://news.example.com/#/person/1", "name": "Ana Sandoiu"}]}</script>' % HEADLINE
    )
    choice = author.choose(context(graph, f"<h1>{HEADLINE}</h1>{BODY}"))
    assert (choice.value, choice.source) == ("Ana Sandoiu", "json-ld author")


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("Von Andreas Hoffmann", "Andreas Hoffmann"),
        ("par Jeanne Martin", "Jeanne Martin"),
        ("Por Lucía Gómez", "Lucía Gómez"),
        ("Door Pieter de Vries", "Pieter de Vries"),
        ("Автор: Иван Петров", "Иван Петров"),
        ("di Marco Rossi", "Marco Rossi"),
        ("Di Maria Rossi", "Di Maria Rossi"),  # a surname, not the Italian "by"
        ("Williams Perdomo @wperdomod", "Williams Perdomo"),
        ("Jane Doe | Example Media For Example.com", "Jane Doe"),
    ],
)
def test_byline_words_handles_and_piped_roles_are_not_the_name(raw: str, name: str) -> None:
    assert clean_author(raw) == name


def test_a_lower_case_rel_author_handle_beats_the_category_link_beside_it() -> None:
    byline = (
        "<p class='byline'>May 16, 2024 · von <span class='author vcard'>"
        "<a href='/author/freeman1984/' rel='author'>freeman1984</a></span> · in "
        "<a href='/category/uncategorized/' rel='category tag'>Uncategorized</a></p>"
    )
    choice = author.choose(context("", f"<h1>{HEADLINE}</h1>{byline}{BODY}"))
    assert choice.value == "freeman1984"


def test_the_link_to_the_writers_page_in_the_header_names_the_writer() -> None:
    header = (
        f"<h1>{HEADLINE}</h1><div class='meta'>Por <a href='/news/reporters/lucia-gomez/'>Lucía Gómez</a>"
        " · May 16, 2024</div>"
    )
    choice = author.choose(context("", header + BODY))
    assert (choice.value, choice.source) == ("Lucía Gómez", "link to the writer's page in the header")


def test_a_writers_link_in_a_related_block_far_below_the_header_names_nobody() -> None:
    related = (
        "<aside><h2>More stories</h2><a href='/other-story.html'>Another story</a>"
        " By <a href='/author/john-roe/'>John Roe</a></aside>"
    )
    choice = author.choose(context("", f"<h1>{HEADLINE}</h1><p>May 16, 2024</p>{BODY}{related}"))
    assert choice.value is None


def test_from_staff_reports_names_a_desk() -> None:
    page = context("<meta property='og:site_name' content='Harbour Times'>",
                   f"<h1>{HEADLINE}</h1><p class='byline'>From staff reports</p>{BODY}")
    assert author.choose(page).value is None
