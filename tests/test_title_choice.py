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


BLOG = "https://harbournotes.example.org/2024/05/ferry-timetables/"


def test_an_h1_linking_to_the_home_page_is_the_sites_logo_and_the_first_content_heading_is_the_headline() -> None:
    page = context("<title>Harbour Notes</title>",
                   "<div id='header'><h1><a href='https://harbournotes.example.org/'>Harbour Notes</a></h1></div>"
                   f"<div class='post'><h2><a href='{BLOG}'>Ferry timetables change in May</a></h2>{BODY}</div>", url=BLOG)
    choice = title.choose(page)
    assert (choice.value, choice.source) == ("Ferry timetables change in May", title.LEAD_HEADING)
    assert "site's name" in choice.candidates[0].note


def test_with_no_h1_and_a_title_naming_the_site_the_first_visible_content_heading_is_the_headline() -> None:
    page = context("<title>Harbour Notes -</title>",
                   "<nav><h2>Where to go next</h2></nav><h2 class='sr-only'>Main content of the page</h2><h2></h2>"
                   f"<div class='main'><h2>Ferry timetables change in May</h2>{BODY}<h2>Other ferry news</h2></div>", url=BLOG)
    assert title.choose(page).value == "Ferry timetables change in May"


def test_a_title_that_is_a_path_or_a_short_form_of_the_first_heading_gives_way_to_it() -> None:
    path = context("<title>FerryGuide/Timetables</title>",
                   f"<div class='panel'><h1>Page</h1></div><div id='content'><h2>Ferry timetables</h2>{BODY}</div>")
    short = context("<title>Ferry timetables - Harbour Authority</title>",
                    f"<h2>Competition: new ferry timetables for the harbour</h2>{BODY}")
    assert title.choose(path).value == "Ferry timetables"
    assert title.choose(short).value == "Competition: new ferry timetables for the harbour"


def test_a_title_naming_the_article_or_a_metadata_headline_keeps_the_first_heading_out() -> None:
    own = context("<title>Ferry fares fall - Harbour Authority</title>", f"<h2>Our ferry services explained</h2>{BODY}")
    meta = context("<meta property='og:title' content='Ferry fares fall'><title>Harbour Notes</title>",
                   f"<h2>Our ferry services explained</h2>{BODY}", url=BLOG)
    assert title.choose(own).value == "Ferry fares fall"
    assert title.choose(meta).value == "Ferry fares fall"


def test_a_label_the_printed_h1_leaves_off_is_not_part_of_the_headline() -> None:
    page = context("<meta property='og:title' content='Petition : Keep the harbour ferry running'>"
                   "<title>Petition : Keep the harbour ferry running</title>",
                   f"<div class='title'><h1>Keep the harbour ferry running</h1></div>{BODY}")
    choice = title.choose(page)
    assert (choice.value, choice.source) == ("Keep the harbour ferry running", "og:title - labels the printed heading leaves off")


def test_a_label_the_h1_prints_or_a_subtitle_stays_in_the_headline() -> None:
    printed = context("<meta property='og:title' content='Colleges: Harbour rowers win the cup'>"
                      "<title>Harbour rowers win the cup</title>",
                      f"<article><h1>Colleges: Harbour rowers win the cup</h1>{BODY}</article>")
    subtitle = context("<meta property='og:title' content='The council votes for a cheaper crossing: Ferry fares fall'>",
                       f"<h1>Ferry fares fall</h1>{BODY}")
    assert title.choose(printed).value == "Colleges: Harbour rowers win the cup"
    assert title.choose(subtitle).value == "The council votes for a cheaper crossing: Ferry fares fall"


def test_a_kicker_printed_above_the_headline_inside_the_h1_is_not_part_of_it() -> None:
    page = context("<meta property='og:title' content='Harbour week: Ferry fares fall for the first time'>",
                   "<article><h1><div class='topic-label'>Harbour week</div> Ferry fares fall for the first time</h1>"
                   f"{BODY}</article>")
    inline = context("<meta property='og:title' content='Ferry fares fall for the first time'>",
                     f"<article><h1><em>Ferry</em> fares fall for the first time</h1>{BODY}</article>")
    assert title.choose(page).value == "Ferry fares fall for the first time"
    assert title.choose(inline).value == "Ferry fares fall for the first time"


def test_with_only_a_title_the_longest_segment_beside_the_sites_name_is_the_headline() -> None:
    blog = context("<title>Ferry timetables change in May : Harbour Notes | Notes from the quay since 2005 | Year 6</title>",
                   BODY, url=BLOG)
    club = context("<title>Harbour Notes Rowing Club - New boats arrive for the summer season - Club news</title>", BODY,
                   url=BLOG)
    # A motto printed under the logo is no headline while the <title> names something else.
    motto = context("<title>Harbour Notes » Blog Archive » Ferry timetables change in May</title>",
                    f"<div><h1><a href='/'>Harbour Notes</a></h1><h2>The blog of the quay and its boats</h2></div>{BODY}",
                    url=BLOG)
    assert title.choose(blog).value == "Ferry timetables change in May"
    assert title.choose(club).value == "New boats arrive for the summer season"
    assert title.choose(motto).value != "The blog of the quay and its boats"


def test_a_title_without_the_sites_name_or_with_metadata_beside_it_is_read_as_before() -> None:
    unnamed = context("<title>Ferry timetables change in May : notes from the quay since 2005 and long before</title>",
                      BODY, url=BLOG)
    with_meta = context("<meta property='og:title' content='Ferry timetables change in May'>"
                        "<title>Harbour Notes - New boats arrive for the summer season</title>", BODY, url=BLOG)
    assert title.choose(unnamed).value == "Ferry timetables change in May : notes from the quay since 2005 and long before"
    assert title.choose(with_meta).value == "Ferry timetables change in May"
