"""Site rules without Python: the rule-file parser, host matching, and a rule applied to a page."""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse

from newsmirror.extract.page import Page, squash
from newsmirror.pipelines import read_article
from newsmirror.siterules import load_rule_book, next_page_url, parse_rule_text, single_page_url
from newsmirror.sites import extract_article
from tests.support.crawl import REPO_ROOT

SAMPLES = next(
    (path for path in (REPO_ROOT.parent / "shared" / "ftr-site-config-sample",
                       REPO_ROOT.parents[1] / "shared" / "ftr-site-config-sample") if path.is_dir()),
    None,
)
HOST = "news.example"
PROSE = "The council met on Tuesday evening and voted to rebuild the old harbour wall before winter. " * 8
STALE = "Subscribe to our newsletter for the latest headlines from the region. " * 5


def page_html(*, ld_headline: str = "", body: str = PROSE, extra: str = "") -> bytes:
    """A news page whose generic reading is known: h1, a dated meta tag, the article in <article>."""
    ld = (f'<script type="application/ld+json">{{"@type": "NewsArticle", "headline": "{ld_headline}"}}</script>'
          if ld_headline else "")
    return (
        "<html><head><title>Harbour wall - Example News</title>"
        "<meta property='article:published_time' content='2024-05-16T08:30:00+00:00'>" + ld +
        "</head><body><div class='masthead'><h1>Harbour wall to be rebuilt</h1>"
        "<span class='kicker'>Local</span></div>"
        "<p class='dateline'>Published 15 May 2024</p><p class='who'>By Ana Ruiz</p>"
        f"<article><p>{body}</p><div class='share-bar'>Share this story on every network</div></article>"
        f"<aside class='teaser'><p>{STALE}</p></aside>{extra}</body></html>"
    ).encode()


def read(html: bytes, rule_text: str, url: str = f"https://{HOST}/2024/05/16/wall.html"):
    """Read *html* as a crawl does, with a rule parsed from *rule_text*."""
    return read_article(HtmlResponse(url, body=html), rule=parse_rule_text(rule_text, f"{HOST}.txt"))


# --- the parser ---------------------------------------------------------------------------


def test_directives_keep_their_lines_in_order() -> None:
    rule = parse_rule_text(
        "# a comment\n"
        "title: //h1[@class='headline']\n"
        "title: //meta[@property='og:title']/@content\n"
        "\n"
        "body: //article\n"
        "strip: //aside\n"
        "strip_attr: //img/@srcset\n"
        "strip_id_or_class: share-bar\n"
        "strip_image_src: pixel.gif\n"
        "prune: no\n"
        "find_string: <noscript>\n"
        "replace_string: <div>\n"
        "replace_string(http://cdn.example/small/): http://cdn.example/large/\n"
        "http_header(Cookie): consent=yes; lang=en\n"
        "next_page_link: //a[@rel='next']\n"
        "single_page_link: //a[contains(@href, 'view=all')]\n"
        "test_url: https://news.example/a.html\n"
        "test_contains: the first snippet\n"
        "test_contains: the second snippet\n"
        "test_url: https://news.example/b.html\n",
        "news.example.txt",
    )
    assert [(line.value, line.line) for line in rule.title] == [
        ("//h1[@class='headline']", 2), ("//meta[@property='og:title']/@content", 3)]
    assert [line.value for line in rule.strip] == ["//aside", "//img/@srcset"]
    assert [line.value for line in rule.strip_id_or_class] == ["share-bar"]
    assert [line.value for line in rule.strip_image_src] == ["pixel.gif"]
    assert rule.prune is False
    assert [(r.find, r.replace, r.line) for r in rule.replacements] == [
        ("<noscript>", "<div>", 11), ("http://cdn.example/small/", "http://cdn.example/large/", 13)]
    assert rule.headers == (("cookie", "consent=yes; lang=en"),)
    assert [line.value for line in rule.next_page_link] == ["//a[@rel='next']"]
    assert [line.value for line in rule.single_page_link] == ["//a[contains(@href, 'view=all')]"]
    assert [(test.url, test.contains) for test in rule.tests] == [
        ("https://news.example/a.html", ("the first snippet", "the second snippet")),
        ("https://news.example/b.html", ()),
    ]
    assert rule.problems == ()
    assert rule.source(2) == "site rule news.example.txt:2"


def test_a_broken_xpath_is_named_by_file_and_line_and_skipped(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR):
        rule = parse_rule_text(
            "body: //div[@id='story'\nbody: nosuchfunction(//p)\nbody: //article\n", "news.example.txt")
    assert [line.value for line in rule.body] == ["//article"]
    assert len(rule.problems) == 2
    assert rule.problems[0].startswith("news.example.txt:1: body: broken XPath \"//div[@id='story'\"")
    assert rule.problems[1].startswith("news.example.txt:2: body: broken XPath")
    assert "news.example.txt:1:" in caplog.text and "news.example.txt:2:" in caplog.text


def test_unknown_directives_are_ignored_with_a_debug_note(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="newsmirror.siterules.rules"):
        rule = parse_rule_text("tidy: no\nfrobnicate: yes\nlogin_uri: https://x\nbody: //article\n", "x.example.txt")
    assert [line.value for line in rule.body] == ["//article"] and rule.problems == ()
    notes = [record for record in caplog.records if record.levelno == logging.DEBUG]
    assert any("x.example.txt:2: unknown directive 'frobnicate'" in record.getMessage() for record in notes)
    assert any("x.example.txt:1: directive tidy is not used" in record.getMessage() for record in notes)


def test_a_rule_never_sets_who_we_are() -> None:
    rule = parse_rule_text("http_header(user-agent): Mozilla/5.0 Firefox\nhttp_header(referer): https://x/\n", "x.example.txt")
    assert rule.headers == (("referer", "https://x/"),)


def test_unpaired_find_string_is_a_named_problem() -> None:
    rule = parse_rule_text("find_string: a\nfind_string: b\nreplace_string: c\n", "x.example.txt")
    assert [(r.find, r.replace) for r in rule.replacements] == [("a", "c")]
    assert rule.problems == ("x.example.txt:2: find_string and replace_string lines do not pair up; this one is skipped",)


# --- a folder, and which file speaks for a host -----------------------------------------------


def test_host_matching_exact_then_nearest_wildcard(tmp_path: Path) -> None:
    for name in ("example.com.txt", ".example.com.txt", ".blog.example.com.txt", "LICENSE.txt", "README.md"):
        (tmp_path / name).write_text("body: //article\n", encoding="utf-8")
    book = load_rule_book(tmp_path)
    assert book.rule_for("https://example.com/a").name == "example.com.txt"
    assert book.rule_for("https://WWW.Example.com./a").name == "example.com.txt"
    assert book.rule_for("https://news.example.com/a").name == ".example.com.txt"
    assert book.rule_for("https://a.blog.example.com/a").name == ".blog.example.com.txt"
    assert book.rule_for("https://blog.example.com/a").name == ".blog.example.com.txt"
    assert book.rule_for("https://example.org/a") is None
    assert book.rule_for("https://notexample.com/a") is None
    assert [rule.name for rule in book.rules] == [".blog.example.com.txt", ".example.com.txt", "example.com.txt"]


def test_a_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="MIRROR_SITE_RULES: cannot read the folder"):
        load_rule_book(tmp_path / "nowhere")


def test_an_unreadable_file_is_skipped_and_the_rest_load(tmp_path: Path) -> None:
    (tmp_path / "bad.example.txt").write_bytes(b"body: //div[@class='\xff\xfe']\n")
    (tmp_path / "good.example.txt").write_text("body: //article\n", encoding="utf-8")
    book = load_rule_book(tmp_path)
    assert book.rule_for("https://good.example/x") is not None
    assert book.rule_for("https://bad.example/x") is None
    assert book.problems[0].startswith("bad.example.txt: cannot read the rule file")


@pytest.mark.skipif(SAMPLES is None, reason="the site-rule samples are not at ../shared/ftr-site-config-sample")
def test_every_sample_rule_parses_without_problems() -> None:
    book = load_rule_book(SAMPLES)
    assert len(book.rules) == 24
    assert book.problems == ()
    assert book.rule_for("https://someone.wordpress.com/2024/01/x/").name == ".wordpress.com.txt"
    assert all(rule.body or rule.title or rule.strip for rule in book.rules)


# --- a rule applied to a page --------------------------------------------------------------


def test_rule_values_win_where_the_generic_path_is_unsure() -> None:
    # Only the meta tag dates this page (its URL has no day): one source, not confident.
    item = read(page_html(), (
        "title: //div[@class='masthead']/h1\n"
        "author: substring-after(//p[@class='who'], 'By ')\n"
        "date: //p[@class='dateline']\n"
        "body: //article\n"
        "strip_id_or_class: share-bar\n"
    ), url=f"https://{HOST}/local/wall.html")
    assert item.title == "Harbour wall to be rebuilt"
    assert item.author == "Ana Ruiz"
    # The dateline names the day only; the meta tag's time on that day is kept... unless the days differ.
    assert item.date == datetime(2024, 5, 15, tzinfo=timezone.utc)
    assert "rebuild the old harbour wall" in item.body_html
    assert "Share this story" not in item.body_html


def test_the_rule_is_shown_as_the_source() -> None:
    html = page_html()
    rule = parse_rule_text("title: //h1\nbody: //article\n", f"{HOST}.txt")
    _, fields = extract_article(Page.from_bytes(f"https://{HOST}/a.html", html), rule=rule)
    assert fields.choices["title"].source == f"site rule {HOST}.txt:1"
    # page_html's share bar, which the generic body leaves out, leaves the rule's block too.
    assert fields.choices["body"].source == f"site rule {HOST}.txt:2 - 1 block of links or furniture"
    passed = {lost.candidate.source: lost.reason for lost in fields.choices["title"].passed_over}
    assert passed["h1"] == f"site rule {HOST}.txt:1 is more precise"
    assert fields.rule_name == f"{HOST}.txt" and fields.rule_fallbacks == ()


def test_strip_runs_before_the_body_xpath_and_find_replace_before_parsing() -> None:
    html = page_html(extra="<noscript><img src='https://cdn.news.example/full/wall.jpg'></noscript>")
    item = read(html, (
        "body: //article | //p[@class='photo']\n"
        "strip: //div[@class='share-bar']\n"
        "replace_string(<noscript>): <p class='photo'>\n"
        "replace_string(</noscript>): </p>\n"
    ))
    assert "https://cdn.news.example/full/wall.jpg" in item.body_html
    assert "Share this story" not in item.body_html


def test_a_rule_body_with_too_little_text_falls_back_to_the_generic_body(caplog: pytest.LogCaptureFixture) -> None:
    html = page_html()
    rule = parse_rule_text("body: //span[@class='kicker']\n", f"{HOST}.txt")
    with caplog.at_level(logging.INFO, logger="newsmirror.siterules.apply"):
        _, fields = extract_article(Page.from_bytes(f"https://{HOST}/a.html", html), rule=rule)
    assert fields.choices["body"].source == "readability"
    assert "rebuild the old harbour wall" in fields.body.text_content()
    assert fields.rule_fallbacks == ("body",)
    lost = fields.choices["body"].passed_over[0]
    assert lost.candidate.source == f"site rule {HOST}.txt:1"
    assert "too little for an article" in lost.reason
    assert f"Site rule {HOST}.txt on https://{HOST}/a.html: body falls back" in caplog.text


def test_a_stale_rule_body_never_replaces_a_long_generic_body() -> None:
    html = page_html(body=PROSE * 2)
    rule = parse_rule_text("body: //aside\n", f"{HOST}.txt")
    _, fields = extract_article(Page.from_bytes(f"https://{HOST}/a.html", html), rule=rule)
    assert fields.rule_fallbacks == ("body",)
    assert "rebuild the old harbour wall" in fields.body.text_content()
    assert "holds 0% of the text of the readability" in fields.choices["body"].passed_over[0].reason


def test_a_rule_date_days_from_two_agreeing_generic_sources_falls_back() -> None:
    # The meta tag and the URL path both name 16 May; the rule's stale field names 2 May.
    html = page_html(extra="<meta name='first-published' content='2024-05-02T18:00:00Z'>")
    rule = parse_rule_text("date: //meta[@name='first-published']/@content\n", f"{HOST}.txt")
    page = Page.from_bytes(f"https://{HOST}/2024/05/16/wall.html", html)
    _, fields = extract_article(page, rule=rule)
    assert fields.date == datetime(2024, 5, 16, 8, 30, tzinfo=timezone.utc)
    assert fields.rule_fallbacks == ("date",)
    reason = fields.choices["date"].passed_over[0].reason
    assert "contradicts the meta published time and url path" in reason
    # One source alone is not confident: without the URL's day the rule's date speaks.
    _, alone = extract_article(Page.from_bytes(f"https://{HOST}/local/wall.html", html), rule=rule)
    assert alone.date == datetime(2024, 5, 2, 18, tzinfo=timezone.utc)
    assert alone.rule_fallbacks == ()


def test_a_rule_title_never_contradicts_the_articles_own_h1() -> None:
    # No structured data: the generic headline is the one h1 inside <article>, which a
    # stale rule's element (here the section kicker) must not replace.
    html = page_html().replace(b"<article>", b"<article><h1>Harbour wall to be rebuilt</h1>", 1)
    rule = parse_rule_text("title: //span[@class='kicker']\n", f"{HOST}.txt")
    _, fields = extract_article(Page.from_bytes(f"https://{HOST}/a.html", html), rule=rule)
    assert fields.title == "Harbour wall to be rebuilt"
    assert fields.rule_fallbacks == ("title",)
    assert "which is confident" in fields.choices["title"].passed_over[0].reason


def test_a_rule_title_never_contradicts_structured_data() -> None:
    html = page_html(ld_headline="Harbour wall to be rebuilt")
    rule = parse_rule_text("title: //span[@class='kicker']\n", f"{HOST}.txt")
    _, fields = extract_article(Page.from_bytes(f"https://{HOST}/a.html", html), rule=rule)
    assert fields.title == "Harbour wall to be rebuilt"
    assert fields.choices["title"].source == "json-ld headline"
    assert fields.rule_fallbacks == ("title",)
    assert "contradicts the json-ld headline" in fields.choices["title"].passed_over[0].reason


def test_a_rule_headline_the_page_prints_beats_the_structured_data_headline() -> None:
    # JSON-LD often carries the search-engine headline; the rule's is the printed h1 here.
    html = page_html(ld_headline="Council votes on harbour plans")
    rule = parse_rule_text("title: //div[@class='masthead']/h1\n", f"{HOST}.txt")
    _, fields = extract_article(Page.from_bytes(f"https://{HOST}/a.html", html), rule=rule)
    assert fields.title == "Harbour wall to be rebuilt"
    assert fields.choices["title"].source == f"site rule {HOST}.txt:1 (= h1)"
    assert fields.rule_fallbacks == ()


def test_a_rule_block_around_the_article_falls_back() -> None:
    # The rule selects the whole page body: the article and as much again of other text.
    html = page_html(extra="<div class='comments'>" + "<p>A reader's comment about parking fees and buses. </p>" * 30 + "</div>")
    rule = parse_rule_text("body: //body\n", f"{HOST}.txt")
    _, fields = extract_article(Page.from_bytes(f"https://{HOST}/a.html", html), rule=rule)
    assert fields.rule_fallbacks == ("body",)
    assert "comment about parking" not in fields.body.text_content()
    assert "is text the readability" in fields.choices["body"].passed_over[0].reason


def story_page(before: str = "", after: str = "") -> bytes:
    """A page whose rule block (div.story) is the article plus *before* and *after*, which readability leaves out."""
    html = page_html(body=PROSE * 2)
    html = html.replace(b"<article>", f"<div class='story'>{before}<article>".encode(), 1)
    return html.replace(b"</article>", f"</article>{after}</div>".encode(), 1)


def test_a_rule_block_agreeing_with_the_generic_body_loses_its_link_lists_and_furniture() -> None:
    # The rule's block holds the article (as the confident generic body does) and, besides,
    # a list of other stories and a loose photo credit: neither is the article's text.
    related = "<ul class='more-stories'>" + "".join(
        f"<li><a href='/2024/05/{n}.html'>Another story about the town, part {n}</a></li>" for n in range(1, 5)) + "</ul>"
    credit = "<p class='photo-credit'>Photograph: Jo Bloggs for Example News</p>"
    html = story_page(after=related + credit)
    generic = read_article(HtmlResponse(f"https://{HOST}/a.html", body=html))
    assert "Another story" not in generic.body_html and "Jo Bloggs" not in generic.body_html
    rule = parse_rule_text("body: //div[@class='story']\n", f"{HOST}.txt")
    _, fields = extract_article(Page.from_bytes(f"https://{HOST}/a.html", html), rule=rule)
    text = fields.body.text_content()
    assert "rebuild the old harbour wall" in text
    assert "Another story about the town" not in text
    assert "Jo Bloggs" not in text
    assert fields.choices["body"].source == f"site rule {HOST}.txt:1 - 3 blocks of links or furniture"  # and the share bar
    assert fields.rule_fallbacks == ()
    # The rule's own candidate, as ``scrapy extract`` shows it, is the block as selected.
    assert "Jo Bloggs" in fields.choices["body"].candidates[0].value.text_content()


def test_a_short_generic_body_that_reads_the_same_block_still_judges_the_rules_extra_links() -> None:
    # A 400-character article: the generic body is no authority to fall back on, but it
    # reads the same text, so the rule's extra "related topics" list is still no article text.
    topics = "<ul class='topics'><li><a href='/topics/harbour'>Harbour news</a></li><li><a href='/topics/council'>Council</a></li></ul>"
    html = page_html(body=PROSE[:400]).replace(b"<article>", b"<div class='story'><article>", 1)
    html = html.replace(b"</article>", f"</article>{topics}</div>".encode(), 1)
    rule = parse_rule_text("body: //div[@class='story']\n", f"{HOST}.txt")
    _, fields = extract_article(Page.from_bytes(f"https://{HOST}/a.html", html), rule=rule)
    assert len(squash(fields.body.text_content())) < 500
    assert "rebuild the old harbour wall" in fields.body.text_content()
    assert "Harbour news" not in fields.body.text_content()
    assert fields.choices["body"].source == f"site rule {HOST}.txt:1 - 2 blocks of links or furniture"  # and the share bar


def test_a_rule_blocks_extra_prose_and_image_caption_stay() -> None:
    # What the rule's block holds beyond the generic body is the article's own here: a
    # standfirst with a link in its sentence, and an image's caption (a figcaption in a
    # wrapper whose class says caption, which a loose caption line would also say).
    standfirst = ("<div class='standfirst'><p>The vote ends a decade of argument over the sea defences, "
                  "<a href='/flood'>flood maps</a> and the cost to the town.</p></div>")
    caption = "<div class='media-caption'><figcaption>The old wall in 1902, the year before the great storm.</figcaption></div>"
    html = story_page(before=standfirst, after=caption)
    generic = read_article(HtmlResponse(f"https://{HOST}/a.html", body=html))
    assert "sea defences" not in generic.body_html and "great storm" not in generic.body_html
    rule = parse_rule_text("body: //div[@class='story']\n", f"{HOST}.txt")
    _, fields = extract_article(Page.from_bytes(f"https://{HOST}/a.html", html), rule=rule)
    text = squash(fields.body.text_content())
    assert "argument over the sea defences, flood maps and the cost to the town." in text
    assert "The old wall in 1902, the year before the great storm." in text
    assert "rebuild the old harbour wall" in text
    # Only page_html's share bar went, which the generic body leaves out too.
    assert fields.choices["body"].source == f"site rule {HOST}.txt:1 - 1 block of links or furniture"
    assert "Share this story" not in text


def test_a_rule_agreeing_with_structured_data_speaks() -> None:
    html = page_html(ld_headline="Harbour wall to be rebuilt")
    rule = parse_rule_text("title: //div[@class='masthead']/h1\n", f"{HOST}.txt")
    _, fields = extract_article(Page.from_bytes(f"https://{HOST}/a.html", html), rule=rule)
    assert fields.choices["title"].source == f"site rule {HOST}.txt:1"


def test_page_links_for_multi_page_articles() -> None:
    html = page_html(extra="<a rel='next' href='/2024/05/16/wall.html?page=2'>Next</a>"
                           "<link rel='alternate' href='https://news.example/wall?view=all'>")
    rule = parse_rule_text("next_page_link: //a[@rel='next']\nsingle_page_link: //link[contains(@href, 'view=all')]/@href\n",
                           f"{HOST}.txt")
    page = Page.from_bytes(f"https://{HOST}/2024/05/16/wall.html", html)
    assert next_page_url(rule, page) == f"https://{HOST}/2024/05/16/wall.html?page=2"
    assert single_page_url(rule, page) == "https://news.example/wall?view=all"
    assert next_page_url(parse_rule_text("body: //article\n", "x.txt"), page) is None


def test_without_a_rule_nothing_changes() -> None:
    html = page_html()
    plain = read_article(HtmlResponse(f"https://{HOST}/a.html", body=html))
    with_empty_rule = read_article(HtmlResponse(f"https://{HOST}/a.html", body=html), rule=parse_rule_text("", "x.txt"))
    assert (plain.title, plain.author, plain.date, plain.body_html) == (
        with_empty_rule.title, with_empty_rule.author, with_empty_rule.date, with_empty_rule.body_html)


def test_strip_image_src_and_attribute_strips() -> None:
    images = ("<p><img src='https://cdn.news.example/pixel-tracker.gif' width='600' height='400'>"
              "<img src='https://cdn.news.example/wall.jpg' alt='Photo: the wall in 1902'"
              " width='600' height='400'></p>")
    html = page_html(body=PROSE + "</p>" + images + "<p>")
    rule_text = "body: //article\n"
    kept = read(html, rule_text)
    stripped = read(html, rule_text + "strip_image_src: pixel-tracker\nstrip_attr: //img/@alt\n")
    assert "pixel-tracker" in kept.body_html and "the wall in 1902" in kept.body_html
    assert "pixel-tracker" not in stripped.body_html and "the wall in 1902" not in stripped.body_html
    assert "https://cdn.news.example/wall.jpg" in stripped.body_html


def test_prune_yes_cleans_the_rule_block_with_readability() -> None:
    comments = "<div class='comments'>" + "<p>Great article, thanks! Visit my shop for deals.</p>" * 3 + "</div>"
    html = page_html(body=PROSE * 2 + "</p>" + comments + "<p>")
    unpruned = read(html, "body: //article\nprune: no\n")
    pruned = read(html, "body: //article\nprune: yes\n")
    assert "Visit my shop" in unpruned.body_html
    assert "Visit my shop" not in pruned.body_html
    assert "rebuild the old harbour wall" in pruned.body_html


def test_rule_headers_leave_with_a_redirect_to_another_host(tmp_path: Path) -> None:
    from scrapy import Request

    from newsmirror.siterules.headers import SiteRuleHeadersMiddleware

    (tmp_path / "news.example.txt").write_text("http_header(x-consent): yes\nhttp_header(referer): https://news.example/\n",
                                               encoding="utf-8")
    middleware = SiteRuleHeadersMiddleware(load_rule_book(tmp_path))
    request = Request("https://www.news.example/a.html", headers={"Referer": "https://feeds.example/"})
    middleware.process_request(request)
    assert request.headers["X-Consent"] == b"yes"
    assert request.headers["Referer"] == b"https://feeds.example/"  # the request's own header stays
    redirected = request.replace(url="https://elsewhere.example/a.html")  # meta travels with a redirect
    middleware.process_request(redirected)
    assert "X-Consent" not in redirected.headers
    assert redirected.headers["Referer"] == b"https://feeds.example/"


def test_a_structured_headline_kept_in_the_h1s_spelling_is_still_confident_against_a_stale_rule() -> None:
    # JSON-LD re-types the printed headline (Title Case): the generic choice is the h1's
    # spelling of structured data, as confident as the JSON-LD itself; a rule whose title
    # XPath now selects the kicker must not replace it.
    html = page_html(ld_headline="Harbour Wall To Be Rebuilt")
    rule = parse_rule_text("title: //span[@class='kicker']\n", f"{HOST}.txt")
    _, fields = extract_article(Page.from_bytes(f"https://{HOST}/a.html", html), rule=rule)
    assert (fields.title, fields.choices["title"].source) == ("Harbour wall to be rebuilt", "json-ld headline + h1 spelling")
    assert fields.rule_fallbacks == ("title",)
