"""How the date field chooses among the page's dates: each rule on a small page that needs it.

The pages are written here, not taken from the corpus: each shows one kind of page
(a permalink day beside a late timestamp, an instant given in UTC for a site in another
zone, an updated article that prints its update) and fails without its rule.
"""

from __future__ import annotations

from datetime import datetime, timezone

from newsmirror.extract.page import Page
from newsmirror.fields import date
from newsmirror.fields.base import PageContext

HOST = "harbour.example.com"
PROSE = "<p>" + "The harbour office said the new schedule keeps the night crossing and adds one. " * 8 + "</p>"


def page(url: str, head: str = "", header: str = "") -> PageContext:
    """Return the context of an article page with *head* markup and *header* printed under its headline."""
    html = (f"<html><head><meta charset='utf-8'><title>Harbour adds a ferry</title>{head}</head><body>"
            f"<article><h1>Harbour adds a ferry</h1>{header}{PROSE}</article></body></html>")
    return PageContext(Page.from_bytes(url, html.encode("utf-8")), timezone.utc)


def test_the_url_day_leaves_a_timestamp_of_the_next_calendar_day() -> None:
    # Filed late in the evening, printed early the next morning: 29 hours from the
    # permalink's midnight, but one calendar day, so the same article's time.
    context = page(f"https://{HOST}/2023/12/21/harbour.html",
                   header="<time datetime='2023-12-22 05:00:00'>12/22/2023 05:00 AM</time>")
    choice = date.choose(context)
    assert (choice.source, choice.value) == ("<time datetime>", datetime(2023, 12, 22, 5, 0, tzinfo=timezone.utc))


UPDATED_HEAD = ('<script type="application/ld+json">{"@type":"NewsArticle",'
                '"datePublished":"2021-03-08T11:15:28Z","dateModified":"2021-03-14T20:10:50Z"}</script>')


def test_an_updated_article_that_prints_its_update_day_is_dated_by_it() -> None:
    context = page(f"https://{HOST}/news/harbour.html", UPDATED_HEAD, header="<p>By Ann Lee. Updated March 14, 2021</p>")
    choice = date.choose(context)
    assert choice.value == datetime(2021, 3, 14, 20, 10, 50, tzinfo=timezone.utc)
    assert choice.source == "json-ld dateModified + printed header day"
    assert any("the header prints 2021-03-14" in lost.reason for lost in choice.passed_over)


def test_an_updated_article_that_prints_its_publication_day_keeps_it() -> None:
    context = page(f"https://{HOST}/news/harbour.html", UPDATED_HEAD, header="<p>By Ann Lee. March 8, 2021</p>")
    choice = date.choose(context)
    assert (choice.source, choice.value.date().isoformat()) == ("json-ld datePublished", "2021-03-08")


def test_a_utc_instant_takes_the_offset_another_timestamp_of_the_page_states() -> None:
    head = ('<script type="application/ld+json">{"@type":"NewsArticle","datePublished":"2023-12-23T03:00:46Z"}</script>'
            '<meta itemprop="dateModified" content="2023-12-22T22:00:46-05:00">')
    choice = date.choose(page(f"https://{HOST}/news/harbour.html", head))
    assert choice.value.isoformat() == "2023-12-22T22:00:46-05:00"  # the same instant, on the site's clock
    assert choice.source.startswith("json-ld datePublished + zone of the page's timestamp")


def test_a_utc_instant_takes_the_offset_of_the_local_time_the_header_prints() -> None:
    head = '<script type="application/ld+json">{"@type":"NewsArticle","datePublished":"2023-12-25T22:03:00.000Z"}</script>'
    choice = date.choose(page(f"https://{HOST}/news/harbour.html", head, header="<p>Ann Lee. December 26, 2023 - 9:03AM</p>"))
    assert choice.value.isoformat() == "2023-12-26T09:03:00+11:00"
    # A printed time that is not the same minute on a clock some zone keeps is another moment:
    # 38 minutes on, or half an hour on (no zone is UTC+00:30).
    for later in ("9:41AM", "10:33PM"):
        other = date.choose(page(f"https://{HOST}/news/harbour.html", head, header=f"<p>Ann Lee. December 25, 2023 - {later}</p>"))
        assert other.value.isoformat() == "2023-12-25T22:03:00+00:00", later
    india = date.choose(page(f"https://{HOST}/news/harbour.html", head, header="<p>Ann Lee. December 26, 2023 - 3:33AM</p>"))
    assert india.value.isoformat() == "2023-12-26T03:33:00+05:30"


def test_a_dotted_day_first_date_in_the_header_dates_a_page_without_markup() -> None:
    # Continental Europe prints day.month.year; a time may follow after a bar or "um".
    for printed, expected in (("Von Ann Lee | 04.02.2022 | 15:33 Uhr", datetime(2022, 2, 4, 15, 33, tzinfo=timezone.utc)),
                              ("Ann Lee, 4.2.2022 um 9.05 Uhr", datetime(2022, 2, 4, 9, 5, tzinfo=timezone.utc)),
                              ("Erschienen: 12.01.2022", datetime(2022, 1, 12, tzinfo=timezone.utc))):
        choice = date.choose(page(f"https://{HOST}/news/harbour.html", header=f"<p>{printed}</p>"))
        assert (choice.source, choice.value) == ("printed header", expected), printed


def test_a_month_named_in_another_language_in_the_header_is_read() -> None:
    for printed, day in (("Von Ann Lee 1. Januar 2023", "2023-01-01"), ("Par Ann Lee | Le 19 février 2020", "2020-02-19"),
                         ("Por Ann Lee, 3 de febrero de 2020", "2020-02-03"), ("di Ann Lee, 7 maggio 2021", "2021-05-07"),
                         ("Ann Lee, 3 lutego 2020", "2020-02-03"), ("Ann Lee, 16. März 2024", "2024-03-16")):
        choice = date.choose(page(f"https://{HOST}/news/harbour.html", header=f"<p>{printed}</p>"))
        assert (choice.source, choice.value.date().isoformat()) == ("printed header", day), printed


def test_a_version_number_is_not_a_dotted_date() -> None:
    choice = date.choose(page(f"https://{HOST}/news/harbour.html", header="<p>Ann Lee. Release v1.2.2020 is out.</p>"))
    assert choice.source != "printed header"


JSON_LD_DRAFT = '<script type="application/ld+json">{"@type":"NewsArticle","datePublished":"2019-07-03T10:18:46Z"}</script>'


def test_a_date_after_a_publish_label_in_the_header_overrules_markup_naming_another_day() -> None:
    for printed, day in (("Publié le 29 juin 2019", "2019-06-29"), ("Erscheinungsdatum 25.06.2019", "2019-06-25"),
                         ("Veröffentlicht am 27.06.2019", "2019-06-27"), ("发布时间：2019-06-28 09:15", "2019-06-28")):
        choice = date.choose(page(f"https://{HOST}/news/harbour.html", JSON_LD_DRAFT, header=f"<p>{printed}</p>"))
        assert choice.value.date().isoformat() == day, printed
        assert choice.source.startswith("labelled publish date"), printed
        assert any("after a publish label" in lost.reason for lost in choice.passed_over)
    # A day with no time is a day: no time of day is made up for it.
    assert date.choose(page(f"https://{HOST}/news/harbour.html", JSON_LD_DRAFT, header="<p>Publié le 29 juin 2019</p>")).day_only


def test_a_labelled_date_within_a_day_of_the_markup_leaves_the_markup_time() -> None:
    choice = date.choose(page(f"https://{HOST}/news/harbour.html", JSON_LD_DRAFT, header="<p>Publié le 3 juillet 2019</p>"))
    assert (choice.source, choice.value) == ("json-ld datePublished", datetime(2019, 7, 3, 10, 18, 46, tzinfo=timezone.utc))


def test_teasers_labels_and_prose_do_not_overrule_the_markup() -> None:
    # The header prints the article's own day; the page's other labels are its teasers'.
    teasers = ("<aside><p>Older: the pier reopens. Published 21. Juli 2017</p>"
               "<p>A video posted June 14, 2022 shows the crossing.</p></aside>")
    html = (f"<html><head><meta charset='utf-8'><title>Harbour adds a ferry</title>{JSON_LD_DRAFT}</head><body>"
            f"<article><h1>Harbour adds a ferry</h1><p>Ann Lee, 3 juillet 2019</p>{PROSE}</article>{teasers}</body></html>")
    context = PageContext(Page.from_bytes(f"https://{HOST}/news/harbour.html", html.encode("utf-8")), timezone.utc)
    assert date.choose(context).source == "json-ld datePublished"
    # A label elsewhere that names the header's day is the article's: it overrules a comment's <time>.
    comment = "<time datetime='2019-07-09T03:36:11+02:00'>9. Juli 2019</time>"
    html = (f"<html><head><meta charset='utf-8'><title>Harbour adds a ferry</title></head><body>"
            f"<p>Harbour adds a ferry. 29.06.2019</p><article><h1>Harbour adds a ferry</h1>{PROSE}"
            f"<p>Veröffentlicht am 29.06.2019</p></article><p>Peter sagt: {comment}</p></body></html>")
    context = PageContext(Page.from_bytes(f"https://{HOST}/news/harbour.html", html.encode("utf-8")), timezone.utc)
    assert date.choose(context).value.date().isoformat() == "2019-06-29"


def test_a_post_labelled_zhangtie_on_a_page_without_a_dated_header_gives_its_minute() -> None:
    html = ("<html><head><meta charset='utf-8'><title>海姑娘的博客</title></head><body><div>最新文章 • 明天出远门了</div>"
            "<div><b>湘菜粤菜 兵分两路</b><p>" + "湘菜粤菜兵分两路，新鲜的是，湘菜浓妆。" * 10 + "</p>"
            "<p>[ 打印 ] 由海姑娘张贴 @ 2005-06-14 03:25:55 (370)</p></div></body></html>")
    context = PageContext(Page.from_bytes("https://blog.example.cn/archives.php?wid=2", html.encode("utf-8")), timezone.utc)
    choice = date.choose(context)
    assert choice.value == datetime(2005, 6, 14, 3, 25, 55, tzinfo=timezone.utc)


def test_two_markup_timestamps_that_agree_outvote_a_printed_label() -> None:
    head = JSON_LD_DRAFT + '<meta property="article:published_time" content="2019-07-03T12:18:46+02:00">'
    choice = date.choose(page(f"https://{HOST}/news/harbour.html", head, header="<p>Publié le 29 juin 2019</p>"))
    assert choice.source.startswith("json-ld datePublished")
    assert choice.value.date().isoformat() == "2019-07-03"


def dated_page(above: str, header: str) -> PageContext:
    """Return the context of a page printing *above* before its headline and *header* under it."""
    html = (f"<html><head><meta charset='utf-8'><title>Harbour adds a ferry</title></head><body>"
            f"<nav>{above}</nav><article><h1>Harbour adds a ferry</h1><p>{header}</p>{PROSE}</article></body></html>")
    return PageContext(Page.from_bytes(f"https://{HOST}/news/harbour.html", html.encode("utf-8")), timezone.utc)


def test_a_header_date_overrules_a_time_element_printed_above_the_headline() -> None:
    # The navigation bar's "today", a calendar day after the article on the site's own clock.
    today = "<time datetime='2023-11-01T13:56:20+01:00'>Mittwoch, 01. November 2023</time>"
    choice = date.choose(dated_page(today, "Von Ann Lee 31. Oktober 2023."))
    assert (choice.source, choice.value.date().isoformat(), choice.day_only) == ("printed header", "2023-10-31", True)
    assert any("the header under the headline prints 2023-10-31" in lost.reason for lost in choice.passed_over)


def test_a_time_element_keeps_its_date_under_the_headline_or_in_utc_a_day_on() -> None:
    # Under the headline the <time> is the article's own; in UTC, one calendar day on may be the
    # header's own moment (filed late in the evening, local time).
    own = date.choose(PageContext(Page.from_bytes(f"https://{HOST}/news/harbour.html", (
        "<html><head><title>Harbour adds a ferry</title></head><body><article><h1>Harbour adds a ferry</h1>"
        "<p>Ann Lee, 31 October 2023</p><time datetime='2023-11-02T09:00:00+01:00'>2 November</time>"
        f"{PROSE}</article></body></html>").encode("utf-8")), timezone.utc))
    assert (own.source, own.value.date().isoformat()) == ("<time datetime>", "2023-11-02")
    utc = date.choose(dated_page("<time datetime='2023-11-01T02:10:00Z'>1 Nov</time>", "Ann Lee, 31 October 2023"))
    assert (utc.source, utc.value.date().isoformat()) == ("<time datetime>", "2023-11-01")
