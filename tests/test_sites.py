"""Site rules: every registered site has fixtures, and every fixture reads as expected.

Also runs the real Sina pages of ``../shared/corpus`` through the same extraction path.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import lxml.html
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scrapy.http import HtmlResponse

from newsmirror.exporters import post_from_item, render_post
from newsmirror.extract.page import squash

from newsmirror.items import ListingHints
from newsmirror.pipelines import ArticleDropped, NoTitle, read_article
from newsmirror.sites import SITES, generic, site_for
from tests.support.cases import SITES_DIR, SiteCase, load_cases
from tests.support.posts import check_layout

CASES = load_cases()


def test_every_registered_site_has_fixtures() -> None:
    for site in SITES:
        assert load_cases(site.key), f"site {site.key!r} has no fixture under {SITES_DIR / site.key}"
    registered = {site.key for site in SITES} | {"generic"}
    assert {case.site for case in CASES} <= registered, "a fixture folder names no registered site"


@pytest.mark.parametrize("case", CASES, ids=[f"{case.site}/{case.name}" for case in CASES])
def test_site_fixture(case: SiteCase) -> None:
    assert site_for(case.url).key == case.site
    item = read_article(case.response())
    expected = case.expected
    assert item.title == expected["title"]
    assert item.author == expected["author"]
    assert item.date is not None and item.date.isoformat() == expected["date"]
    assert item.canonical_url == expected["canonical_url"]
    assert item.lead_image == expected["lead_image"]
    assert item.site_name == expected["site_name"]
    for snippet in expected["body_has"]:
        assert snippet in item.body_html, snippet
    for snippet in expected["body_lacks"]:
        assert snippet not in item.body_html, snippet


def test_page_without_title_is_dropped_with_a_reason() -> None:
    case = CASES[0]
    response = case.response().replace(body=b"<html><body><p>Only a paragraph.</p></body></html>")
    with pytest.raises(NoTitle, match="no title found"):
        read_article(response)


def corpus_cases(corpus: Path, set_name: str) -> list[tuple[str, dict]]:
    return [
        (case_file.parent.name, json.loads(case_file.read_text(encoding="utf-8")))
        for case_file in sorted((corpus / "pages" / set_name).glob("*/case.json"))
    ]


def test_real_sina_pages(corpus: Path) -> None:
    cases = corpus_cases(corpus, "sina")
    assert len(cases) == 5
    for name, case in cases:
        body = (corpus / "pages" / "sina" / name / case["body_file"]).read_bytes()
        item = read_article(HtmlResponse(case["url"], body=body))
        gold = case["expected"]
        local = item.date.astimezone(datetime.fromisoformat(f"2000-01-01T00:00{gold['tz']}").tzinfo)
        assert item.title == gold["title"], name
        assert local.strftime("%Y-%m-%d %H:%M") == gold["date"], name
        assert item.author in gold["author_any_of"], name
        for junk in ("appendQr", "<!--", "<script", "<style"):
            assert junk not in item.body_html, (name, junk)
        paragraphs = [
            line.strip()
            for line in (corpus / "pages" / "sina" / name / gold["body_text_file"]).read_text(encoding="utf-8").splitlines()
            if line.strip()
        ]
        text = squash(lxml.html.fromstring(item.body_html).text_content())
        # The first and the last paragraph of the gold text, compared as text (spacing squashed).
        for paragraph in (paragraphs[0], paragraphs[-1]):
            assert squash(paragraph) in text, (name, paragraph)


def test_listing_hints_win_over_the_page() -> None:
    case = next(case for case in CASES if case.site == "sina")
    listed = datetime.fromisoformat("2022-03-29T11:47:10+00:00")
    item = read_article(case.response(), ListingHints(title="列表里的标题", date=listed, author="列表来源"))
    assert (item.title, item.date, item.author) == ("列表里的标题", listed, "列表来源")


def test_naive_times_use_the_configured_zone() -> None:
    page = (
        b"<html><head><title>t</title><meta property='article:published_time' content='2024-03-01 10:00'>"
        b"</head><body><h1>Zoned</h1><p>Body text.</p></body></html>"
    )
    response = HtmlResponse("https://news.example.de/a.html", body=page)
    assert read_article(response).date.isoformat() == "2024-03-01T10:00:00+00:00"
    zoned = read_article(response, timezones={"example.de": "Europe/Berlin"})
    assert zoned.date.isoformat() == "2024-03-01T10:00:00+01:00"
    with pytest.raises(ValueError, match="not a time zone name"):
        read_article(response, timezones={"example.de": "Mars/Olympus"})


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("https://Finance.Sina.com.cn:443/a/index.shtml?cre=tianyi&mod=x&loc=2&r=0&utm_source=y#top",
         "https://finance.sina.com.cn/a/index.shtml"),
        ("http://finance.sina.com.cn/a/index.shtml?id=5&r=0", "https://finance.sina.com.cn/a/index.shtml?id=5"),
        # One Sina article: desktop and mobile, http and https, tracked or not.
        ("http://finance.sina.com.cn/china/gncj/2022-03-29/doc-imcwiwss8606397.shtml?cre=tianyi&mod=pcpager_fin&loc=2&r=0",
         "https://finance.sina.com.cn/doc-imcwiwss8606397.shtml"),
        ("https://finance.sina.cn/2022-03-29/detail-imcwiwss8606397.d.html?vt=4&pos=108",
         "https://finance.sina.com.cn/doc-imcwiwss8606397.shtml"),
        ("https://tech.sina.cn/t/2019-09-11/detail-iicezzrq4972166.d.html",
         "https://tech.sina.com.cn/doc-iicezzrq4972166.shtml"),
        ("https://news.example.com/story?id=7&r=3&utm_medium=x", "https://news.example.com/story?id=7&r=3"),
        ("http://news.example.com:8080/a", "http://news.example.com:8080/a"),
        ("http://news.example.com:99999/a#x", "http://news.example.com:99999/a"),
    ],
)
def test_canonical_urls_drop_tracking_only(url: str, canonical: str) -> None:
    assert site_for(url).canonicalize(generic.normalize_url(url)) == canonical


@pytest.mark.parametrize(
    ("body", "outcome"),
    [
        (b"", "NoTitle"),
        (b"w:;%\x18\x81", "NoTitle"),
        (b"<p>a\x15b\x00c</p>", "NoTitle"),
        (b"<html><head><title>t</title><link rel='canonical' href='http://[::1'>"
         b"<meta property='og:image' content='http://[x'></head><body><h1>x</h1><p>body</p></body></html>", "mirrored"),
    ],
    ids=["empty", "garbage-bytes", "control-characters", "broken-ipv6-urls"],
)
def test_malformed_pages_are_dropped_or_mirrored_never_crash(body: bytes, outcome: str) -> None:
    try:
        item = read_article(HtmlResponse("https://x.example/a", body=body), undated="first-seen")
    except ArticleDropped as dropped:
        assert type(dropped).__name__ == outcome
        return
    assert outcome == "mirrored"
    check_layout(render_post(post_from_item(replace(item, date=item.date or datetime(2020, 1, 1, tzinfo=timezone.utc)))))
    assert item.body_html == "<p>body</p>" and item.lead_image is None  # the broken image URL is gone


_TAGS = st.sampled_from(["p", "div", "h1", "title", "a", "img", "script", "meta", "time", "article", "span", "td", "base"])
_ATTRS = st.sampled_from([
    'href="javascript:x"', 'src="//a/b.jpg"', 'property="og:title" content="T: x"',
    'property="article:published_time" content="2024-02-30"', 'rel="canonical" href="http://[::1"',
    'datetime="2020-01-01T00:00:00Z"', 'width="0"', 'data-src="data:x"', 'class="date"', 'id="artibody"',
])
_HTML = st.recursive(
    st.text(max_size=20),
    lambda inner: st.tuples(_TAGS, st.lists(_ATTRS, max_size=2), st.lists(inner, max_size=3)).map(
        lambda parts: f"<{parts[0]} {' '.join(parts[1])}>{''.join(parts[2])}</{parts[0]}>"
    ),
    max_leaves=15,
)


@settings(max_examples=200, deadline=None)
@given(html=_HTML, url=st.sampled_from(["https://finance.sina.com.cn/a.shtml", "https://x.example/a"]))
def test_any_page_becomes_a_valid_post_or_a_reasoned_drop(html: str, url: str) -> None:
    body = f"<html><head><title>t</title></head><body>{html}</body></html>".encode()
    try:
        item = read_article(HtmlResponse(url, body=body), undated="first-seen")
    except ArticleDropped as dropped:
        assert str(dropped)
        return
    post = render_post(post_from_item(replace(item, date=item.date or datetime(2020, 1, 1, tzinfo=timezone.utc))))
    check_layout(post)


def test_listing_times_use_the_source_zone_then_the_configured_one() -> None:
    from zoneinfo import ZoneInfo

    from newsmirror.sites import listing_timezone

    configured = {"example.de": "Europe/Berlin"}
    assert listing_timezone("https://news.example.de/feed.xml", None, configured) == ZoneInfo("Europe/Berlin")
    assert listing_timezone("https://news.example.de/feed.xml", "Asia/Tokyo", configured) == ZoneInfo("Asia/Tokyo")
    assert listing_timezone("https://feed.mix.sina.com.cn/api/roll/get", None, {}) == ZoneInfo("Asia/Shanghai")
    assert listing_timezone("https://news.example.org/rss.xml", None, configured) == ZoneInfo("UTC")
