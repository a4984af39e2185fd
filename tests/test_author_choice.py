"""The byline on small self-written pages: structured data first, printed bylines in many languages."""

from __future__ import annotations

from datetime import timezone

import pytest

from newsmirror.extract.bylines import clean_author, forum_poster, header_byline
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


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("By Associated Press 5 days ago Share", "Associated Press"),
        ("by JaneDoe42, May 16th 2024 The council met", "JaneDoe42"),
        ("Von Max Muster und Erika Mustermann | 16.05.2024", "Max Muster und Erika Mustermann"),
        ("By Jane Doe, Staff Writer May 16, 2024", "Jane Doe"),
        ("By David Roe Special to the Harbour Times", "David Roe"),
        ("Posted by Konstantin 16.05.2024", "Konstantin"),
        ("The plan was approved. By clicking here you agree to our terms", ""),
    ],
)
def test_a_by_word_printed_under_the_headline(header: str, name: str) -> None:
    assert header_byline(header) == name


def test_the_printed_by_line_beats_a_json_ld_author_that_is_the_publication() -> None:
    head = (
        "<meta property='og:site_name' content='Harbour Weather'>"
        '<script type="application/ld+json">{"@type": "NewsArticle", "author": {"name": "Harbour Weather"}}</script>'
    )
    choice = author.choose(context(head, f"<h1>{HEADLINE}</h1><h4>By Associated Press</h4><h4>5 days ago</h4>{BODY}"))
    assert (choice.value, choice.source) == ("Associated Press", "'By …' printed under the headline")


def test_a_byline_spelled_as_the_sites_domain_names_nobody() -> None:
    head = "<meta property='og:site_name' content='Harbour Times'><meta name='author' content='harbourtimes'>"
    page = context(head, f"<h1>{HEADLINE}</h1>{BODY}", url="https://www.harbourtimes.com/2024/05/16/ferry.html")
    choice = author.choose(page)
    assert choice.value is None
    assert [passed.reason for passed in choice.passed_over] == ["it is the site's domain name, not a byline"]


def test_a_byline_in_another_articles_teaser_or_the_menu_names_nobody() -> None:
    teaser = (
        "<div class='teaser-content'><a href='/2024/05/15/other.html'><h3>Another story</h3>"
        "<div class='author-name'>Von Max Muster</div></a></div>"
        "<nav class='slide-out'><div class='byline'>By John Roe</div></nav>"
    )
    page = context("", f"<h1>{HEADLINE}</h1>{BODY}{teaser}<p class='byline'>By Jane Doe</p>")
    assert author.printed_byline(page.page) == "Jane Doe"


ZH_HEADLINE = "港口新航线下月开通"
ZH_BODY = "<p>" + "市港口管理局昨日宣布，新的客运航线将于下月开通，每天往返六班。" * 20 + "</p>"


def zh_context(header: str, body: str = ZH_BODY + "<p>（记者 林小海）</p>") -> PageContext:
    """Return a Chinese page whose header prints *header* under the headline."""
    html = f"<html><head><meta charset='utf-8'></head><body><h1>{ZH_HEADLINE}</h1><div>{header}</div>{body}</body></html>"
    page = PageContext(Page.from_bytes("https://news.example.cn/2024/05/16/ferry.html", html.encode("utf-8")), timezone.utc)
    page.title = ZH_HEADLINE
    return page


def test_a_reporter_signed_in_the_text_outranks_the_printed_source() -> None:
    choice = author.choose(zh_context("2024-05-16 09:30 来源：示例日报"))
    assert (choice.value, choice.source) == ("林小海", "signed （记者 …）")


def test_a_printed_reporter_outranks_a_source_printed_before_it() -> None:
    choice = author.choose(zh_context("2024-05-16 09:30 来源：示例日报 记者：李华", ZH_BODY))
    assert (choice.value, choice.source) == ("李华", "printed 记者")


def test_an_editor_the_header_prints_beside_an_empty_writer_label_is_no_byline() -> None:
    header = "2024-05-16 09:30 作者： 责任编辑：周明"
    assert author.choose(zh_context(header, ZH_BODY + "<p>（责任编辑：周明）</p>")).value is None


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("海边的日记 [ 打印 ] 由小海张贴 @ 2005-06-14 03:25:55 (370) 共 11 篇评论", "小海"),
        ("[散文] 夏夜 seawriter 发表于 2005-9-15 11:46:00 夏夜的风", "seawriter"),
        ("这份报告由国务院新闻办公室发布。", ""),  # "issued by" in a sentence, no time: no poster
    ],
)
def test_a_blog_post_names_its_poster_next_to_the_time(text: str, name: str) -> None:
    assert forum_poster(text) == name


def test_a_line_that_is_only_a_name_in_brackets_signs_the_text() -> None:
    choice = author.choose(zh_context("2024-05-16 09:30", ZH_BODY + "<div align='right'>（林小海）</div><p>版权所有</p>"))
    assert (choice.value, choice.source) == ("林小海", "a block that is only （NAME）")


@pytest.mark.parametrize("note", ["（待续）", "（资料图）", "（林小海摄于港口码头）"])
def test_bracketed_notes_that_name_nobody(note: str) -> None:
    assert author.choose(zh_context("2024-05-16 09:30", ZH_BODY + f"<p>{note}</p>")).value is None


def test_a_credit_line_closing_the_text_names_the_source() -> None:
    body = f"<h1>{HEADLINE}</h1>{BODY}<p style='text-align:right'>Quelle: <a href='https://agency.example'>hafenpress</a></p>"
    choice = author.choose(context("", body))
    assert (choice.value, choice.source) == ("hafenpress", "a line of its own crediting the writer or source")


def test_a_wiki_page_names_its_last_editor_next_to_the_time() -> None:
    body = f"<h1>{HEADLINE}</h1>{BODY}<p>Ferry (last edited 2024-05-16 09:30:00 by JaneDoe )</p>"
    choice = author.choose(context("", body))
    assert (choice.value, choice.source) == ("JaneDoe", "poster next to the time")


@pytest.mark.parametrize("line", ["Quelle: Statistisches Amt, Tabelle 3: Fähren nach Hafen und Jahr 2024", "Text zoomen: A A A"])
def test_long_or_unnamed_credit_lines_name_nobody(line: str) -> None:
    assert author.choose(context("", f"<h1>{HEADLINE}</h1>{BODY}<p>{line}</p>")).value is None


def test_the_responsible_editor_is_the_byline_only_where_nobody_else_is_named() -> None:
    signed_off = ZH_BODY + "<p align='right'>（ 责任编辑：周明 ）</p>"
    alone = author.choose(zh_context("2024-05-16 09:30", signed_off))
    assert (alone.value, alone.source) == ("周明", "责任编辑, as nobody else is named")
    assert author.choose(zh_context("2024-05-16 09:30 来源：示例日报", signed_off)).value == "示例日报"


def test_an_empty_writer_label_before_the_time_names_nobody() -> None:
    choice = author.choose(zh_context("<ul><li>来源：示例日报</li><li>作者：</li><li>2024-05-16 09:30</li></ul>", ZH_BODY))
    assert choice.value == "示例日报"


def test_an_empty_editor_label_before_the_next_label_names_nobody() -> None:
    body = ZH_BODY + "<p>责任编辑：<span></span></p><div>平台声明：该文观点仅代表作者本人。</div>"
    assert author.choose(zh_context("2024-05-16 09:30", body)).value is None


def test_a_portals_channel_in_brackets_after_a_link_names_nobody() -> None:
    body = ZH_BODY + "<ul><li><a href='/a.html'>港口夜景</a> <span>（新闻）</span></li></ul>"
    assert author.choose(zh_context("2024-05-16 09:30", body)).value is None


def test_a_picture_credit_line_names_nobody() -> None:
    body = f"<h1>{HEADLINE}</h1><div class='image-source'>(Quelle: Foto Jane Doe)</div>{BODY}"
    assert author.choose(context("", body)).value is None


def test_an_interviews_reporter_question_is_no_writer() -> None:
    header = "2024-05-16 09:30 来源：示例日报 记者：首先欢迎你来到港口，请谈谈新航线。"
    assert author.choose(zh_context(header, ZH_BODY)).value == "示例日报"


@pytest.mark.parametrize("classes", ["story-meta__authors", "c-article-author", "authors"])
def test_a_byline_class_of_a_several_word_block_or_a_row_of_writers(classes: str) -> None:
    byline = f"<p class='{classes}'>By <span class='vcard'><a href='/people/jane-doe'>Jane Doe</a></span></p>"
    page = context("", f"<h1>{HEADLINE}</h1><p>A long standfirst that fills the header.</p>{BODY}{byline}")
    assert author.printed_byline(page.page) == "Jane Doe"


@pytest.mark.parametrize("classes", ["story-meta__author-bio", "author__img", "post-author-avatar"])
def test_an_authors_picture_or_biography_is_no_byline_element(classes: str) -> None:
    page = context("", f"<h1>{HEADLINE}</h1>{BODY}<div class='{classes}'>By Jane Doe</div>")
    assert author.printed_byline(page.page) == ""


def test_a_header_line_of_only_the_date_and_a_name_names_the_writer() -> None:
    header = f"<h1>{HEADLINE}</h1><div class='kicker'>Essay</div><div><span>16.05.2024 - Jane Doe</span></div>"
    choice = author.choose(context("", header + BODY))
    assert (choice.value, choice.source) == ("Jane Doe", "a header line of only the date and a name")


@pytest.mark.parametrize(
    "line",
    [
        "<p>16.05.2024 - Harbour Council Votes Again on the Ferry</p>",  # a headline, not a name
        "<p>16.05.2024 - Berlin</p>",  # a place
        "<p>Essay 16.05.2024 - Jane Doe writes on the ferry timetable.</p>",  # running text
    ],
)
def test_a_date_and_a_dash_before_other_text_names_nobody(line: str) -> None:
    assert author.choose(context("", f"<h1>{HEADLINE}</h1>{line}{BODY}")).value is None


def test_a_source_term_of_the_headers_definition_list_names_the_source() -> None:
    facts = "<dl><dt>Date:</dt><dd>May 16, 2024</dd><dt>Source:</dt><dd>Harbour University</dd></dl>"
    choice = author.choose(context("", f"<h1>{HEADLINE}</h1>{facts}{BODY}"))
    assert (choice.value, choice.source) == ("Harbour University", "a writer or source term of a list in the header")


def test_other_terms_of_the_headers_list_name_nobody() -> None:
    facts = "<dl><dt>Date:</dt><dd>May 16, 2024</dd><dt>Topic:</dt><dd>Harbour Ferries</dd></dl>"
    assert author.choose(context("", f"<h1>{HEADLINE}</h1>{facts}{BODY}")).value is None
