"""Generic extraction rules for pages without a site module: one small page per rule."""

from __future__ import annotations

import json
from pathlib import Path

import lxml.html
from scrapy.http import HtmlResponse

from newsmirror.pipelines import read_article

BODY = "<p>" + "正文内容，足够长的一段文字。" * 20 + "</p>"


def article(head: str, body: str, url: str = "https://news.example.cn/a/1.html"):
    page = f"<html><head><meta charset='utf-8'>{head}</head><body>{body}</body></html>"
    return read_article(HtmlResponse(url, body=page.encode("utf-8")), undated="first-seen")


def test_a_chinese_title_reads_naive_times_in_china_time() -> None:
    # No lang attribute, UTF-8: only the title says the page is Chinese.
    item = article(
        "<title>市政府发布新规</title><meta property='article:published_time' content='2019-11-25 16:04:30'>",
        f"<h1>市政府发布新规</h1>{BODY}",
    )
    assert item.date.isoformat() == "2019-11-25T16:04:30+08:00"


def test_an_english_title_keeps_naive_times_in_utc() -> None:
    item = article(
        "<title>Council approves plan</title><meta property='article:published_time' content='2019-11-25 16:04:30'>",
        "<h1>Council approves plan</h1><p>" + "Body text of the article. " * 30 + "</p>",
    )
    assert item.date.isoformat() == "2019-11-25T16:04:30+00:00"


def test_the_printed_time_refines_a_day_only_structured_date() -> None:
    item = article(
        "<title>宇航员在太空中喝酒</title><meta name='publishdate' content='2017-03-10'>",
        f"<h1>宇航员在太空中喝酒</h1><div>2017-03-10 09:58 来源：网易科学人</div>{BODY}",
    )
    assert item.date.isoformat() == "2017-03-10T09:58:00+08:00"


def test_a_printed_time_of_another_day_does_not_override_structured_data() -> None:
    item = article(
        "<title>宇航员在太空中喝酒</title><meta name='publishdate' content='2017-03-10'>",
        f"<h1>宇航员在太空中喝酒</h1><div>2017-03-12 09:58 来源：网易科学人</div>{BODY}",
    )
    assert item.date.isoformat() == "2017-03-10T00:00:00+08:00"


def test_a_truncated_og_title_gives_way_to_the_h1_that_continues_it() -> None:
    # An unescaped quote ended the attribute: content="…龙湖集团" then stray text.
    item = article(
        '<meta property="og:title" content="狂奔的龙湖集团"暗伤"曝露？">',
        f'<h1>狂奔的龙湖集团"暗伤"曝露？</h1>{BODY}',
    )
    assert item.title == '狂奔的龙湖集团"暗伤"曝露？'


def test_the_header_is_the_headline_print_followed_by_a_date() -> None:
    # The headline also appears in the breadcrumbs, before the real header.
    item = article(
        "<title>入选国家绿色制造名单</title>",
        "<div>首页 &gt; <span>入选国家绿色制造名单</span></div><p>导航 链接 其他</p>"
        f"<div><div>入选国家绿色制造名单</div><p>发布时间：2022-02-13 04:22:18 来源：云南日报</p></div>{BODY}",
    )
    assert item.date.isoformat() == "2022-02-13T04:22:18+08:00"
    assert item.author == "云南日报"


def test_a_headline_printed_as_loose_text_still_finds_the_header() -> None:
    # Old table layouts print headline, time and byline in one cell, no element of its own.
    item = article(
        "<title>民间资本路在何方-搜狐财经</title>",
        f"<table><tr><td>财经频道 &gt; 国内财经 民间资本路在何方 时间：2004年10月21日14:18 作者：郭励弘</td></tr></table>{BODY}",
        url="http://business.example.cn/20041021/n1.shtml",
    )
    assert item.date.isoformat() == "2004-10-21T14:18:00+08:00"
    assert item.author == "郭励弘"


def test_cdata_wrapped_json_ld_is_read() -> None:
    item = article(
        '<title>Storm hits coast</title><script type="application/ld+json">\n<![CDATA[\n'
        '{"@type": "NewsArticle", "headline": "Storm hits coast", "author": [{"@type": "Person", "name": "Stella Kim"}],'
        ' "datePublished": "2024-12-06T22:00:40Z"}\n]]>\n</script>',
        "<h1>Storm hits coast</h1><p>" + "Body text of the article. " * 30 + "</p>",
        url="https://news.example.com/a/1",
    )
    assert (item.author, item.date.isoformat()) == ("Stella Kim", "2024-12-06T22:00:40+00:00")


def test_on_chinese_pages_the_printed_source_beats_the_meta_author() -> None:
    # <meta name=author> holds the portal's name; the header prints the real source.
    item = article(
        "<title>狂奔的龙湖集团</title><meta name='author' content='网易'>",
        f"<h1>狂奔的龙湖集团</h1><div>2019-09-07 13:43:45 来源: 证券市场红周刊</div>{BODY}",
    )
    assert item.author == "证券市场红周刊"


def test_a_meta_author_the_header_shows_as_editor_is_not_the_author() -> None:
    item = article(
        "<title>宇航员在太空中喝酒</title><meta name='author' content='肖春芳'>",
        f"<h1>宇航员在太空中喝酒</h1><div>2017-03-10 09:58 作者： 责任编辑：肖春芳</div>{BODY}",
    )
    assert item.author == item.site_name  # nobody named: the post falls back to the site


def test_an_english_byline_element_names_the_author_without_the_role() -> None:
    item = article(
        "<title>Games of the year</title>",
        '<h1>Games of the year</h1><div class="author Mb(4px)"><a class="author-link" href="/author/b">Ben Silverman</a>'
        '<div class="author-title">Games Editor</div></div><p>' + "Body text of the article. " * 30 + "</p>",
        url="https://news.example.com/a/2",
    )
    assert item.author == "Ben Silverman"


def test_the_declared_share_image_beats_the_first_body_image() -> None:
    item = article(
        "<title>Worlds final</title><meta property='og:image' content='https://cdn.example.com/final.jpg'>",
        "<h1>Worlds final</h1><p><img src='https://cdn.example.com/gift-card-ad.jpg' width='600' height='300'></p><p>"
        + "Body text of the article. " * 30 + "</p>",
        url="https://news.example.com/a/3",
    )
    assert item.lead_image == "https://cdn.example.com/final.jpg"


def test_a_site_default_share_image_gives_way_to_the_body_image() -> None:
    item = article(
        "<title>Worlds final</title><meta property='og:image' content='https://cdn.example.com/img/default/share.png'>",
        "<h1>Worlds final</h1><p><img src='https://cdn.example.com/final.jpg' width='600' height='300'></p><p>"
        + "Body text of the article. " * 30 + "</p>",
        url="https://news.example.com/a/4",
    )
    assert item.lead_image == "https://cdn.example.com/final.jpg"


def test_a_section_banner_h1_gives_way_to_the_headline_printed_below() -> None:
    item = article(
        "<title>Babies Who Eat Peanuts Early May Avoid Allergy</title>",
        "<h1>Allergies Health Center</h1><h2>Tools &amp; Resources</h2>"
        "<h2>Babies Who Eat Peanuts Early May Avoid Allergy</h2><p>" + "Body text of the article. " * 30 + "</p>",
        url="https://news.example.com/a/5",
    )
    assert item.title == "Babies Who Eat Peanuts Early May Avoid Allergy"


def test_the_author_suffix_of_og_title_is_not_part_of_the_headline() -> None:
    item = article(
        "<meta property='og:title' content='Tribes fearful over whale strandings | Eleanor Ainge Roy'>"
        "<meta name='author' content='Eleanor Ainge Roy'>",
        "<h1>Tribes fearful over whale strandings</h1><p>" + "Body text of the article. " * 30 + "</p>",
        url="https://news.example.com/a/6",
    )
    assert (item.title, item.author) == ("Tribes fearful over whale strandings", "Eleanor Ainge Roy")


def test_an_english_dateline_dates_a_page_without_metadata() -> None:
    item = article(
        "<title>The Hidden Heroines of Chaos</title>",
        "<h1>The Hidden Heroines of Chaos</h1><div>By Joshua Sokol May 20, 2019</div><p>"
        + "Body text of the article. " * 30 + "</p>",
        url="https://news.example.com/a/7",
    )
    assert item.date.isoformat() == "2019-05-20T00:00:00+00:00"


def test_a_stray_text_element_does_not_take_the_body_with_it() -> None:
    item = article("<title>犬儒病</title>", f"<text id='x' title='显示'><h1>犬儒病</h1>{BODY}</text>")
    assert "正文内容" in item.body_html


def test_a_forum_post_is_dated_by_its_publish_label() -> None:
    # The headline is the board's name, printed nowhere near the post's own time.
    item = article(
        "<title>网易娱乐</title>",
        f"<div>网易娱乐 明星话题</div>{BODY}<div>〓 网易娱乐 发布时间 2005/03/15 22:36:13 by duscha 〓</div>",
        url="http://bbs.example.cn/readboardthread.php?postid=159166",
    )
    assert item.date.isoformat() == "2005-03-15T22:36:13+08:00"


def test_a_reporter_signed_at_the_end_is_the_author_when_the_header_names_nobody() -> None:
    item = article(
        "<title>著名戏曲导演去世</title>",
        f"<h1>著名戏曲导演去世</h1><div>2022-02-13 23:37</div>{BODY}<p>（总台记者 张倩）</p>",
    )
    assert item.author == "张倩"


FORUM_POST = "<br>".join(["不得不承认，如果没有她在戛纳封后，就很少有人会去关注这部法国电影。"] * 40)


def test_a_forum_post_broken_by_br_beats_a_short_scored_reply() -> None:
    item = article(
        "<title>网易娱乐</title>",
        "<table><tr><td class='p4'>" + FORUM_POST + "</td></tr></table>"
        "<table><tr><td><div><p>如果不是阿萨亚斯，如果没有张曼玉，如果这种题材的电影交给别人，又会怎样呢？</p>"
        "<p>做一只猪挺难的，其实杀一只猪更难，还是安安心心做我的猪肉佬算了。</p></div></td></tr></table>",
        url="http://bbs.example.cn/readboardthread.php?postid=118233",
    )
    assert item.body_html.count("不得不承认") == 40
    assert "猪肉佬" not in item.body_html


def test_the_densest_block_counts_prose_not_links_lists_or_scripts() -> None:
    from newsmirror.extract.page import Page
    from newsmirror.fields.body import densest_block

    page = Page.from_bytes(
        "https://x.example/a",
        (
            "<html><body><div id='nav'><a>" + "链接" * 300 + "</a><ul><li>" + "列表" * 300 + "</li></ul>"
            "<script>var x = '" + "脚本" * 300 + "';</script></div>"
            "<div id='post'>正文第一段。<br>正文第二段。<font>第三段。</font></div></body></html>"
        ).encode("utf-8"),
    )
    block, size = densest_block(page.tree)
    assert block.get("id") == "post" and size == len("正文第一段。正文第二段。第三段。")


def test_meta_lookup_takes_the_first_tag_with_content_per_key_and_attribute() -> None:
    from newsmirror.extract.page import Page

    page = Page.from_bytes(
        "https://x.example/a",
        b"<html><head><meta property='og:title'><meta property='og:title' content=' First  title '>"
        b"<meta property='og:title' content='Second'><meta name='author' content=''>"
        b"<meta itemprop='author' content='Item Prop'></head><body></body></html>",
    )
    assert page.meta("og:title") == "First title"
    assert page.meta("author") == "Item Prop"  # an empty name= value falls through to itemprop=
    assert page.meta("missing", "og:title") == "First title"
    assert page.meta("missing") == ""


def test_readability_on_the_trimmed_tree_finds_the_bodies_its_own_cleaning_finds(corpus: Path) -> None:
    # fields.body._TrimmedDocument skips readability's Cleaner for speed (issue 8); the bodies
    # must stay what readability finds when it cleans the tree itself, after our cleaning.
    # The one difference is on purpose: a hidden remainder of the text is content
    # (clean.is_hidden_remainder), so readability's own run sees it unhidden.
    from readability import Document

    from newsmirror.clean import clean_body, is_hidden_remainder
    from newsmirror.extract.page import Page
    from newsmirror.fields.body import _TrimmedDocument, content_candidates

    cases = sorted((corpus / "pages").glob("*-news/*/case.json"))[::6]
    assert len(cases) >= 25
    for case_file in cases:
        case = json.loads(case_file.read_text(encoding="utf-8"))
        page = Page.from_bytes(case.get("url") or "https://corpus.invalid/", (case_file.parent / case["body_file"]).read_bytes())
        bodies = []
        unhidden = content_candidates(page.tree)
        for element in [element for element in unhidden.iter() if element.get("style") and is_hidden_remainder(element)]:
            del element.attrib["style"]
        for document in (Document(unhidden), _TrimmedDocument(content_candidates(page.tree))):
            summary = document.summary(html_partial=True)
            bodies.append(clean_body(lxml.html.fragment_fromstring(summary, create_parent="div"), page.url))
        assert bodies[0] == bodies[1], case_file.parent.name


# A paywalled page that sends its whole text and hides all but the first paragraph, one
# hidden block per paragraph, with an appeal between them that waits hidden too.
PAYWALLED_TEXT = [
    f"Paragraph {number} of the council story tells what the mayor said at the meeting on Tuesday night."
    for number in range(1, 6)
]
PAYWALLED = (
    "<article><h1>Council votes</h1><div class='text'>"
    f"<div class='free'><p>{PAYWALLED_TEXT[0]}</p></div>"
    "<div class='offer' style='display:none'><p>Already a subscriber? Sign in to keep reading the"
    " journalism you value, and support the newsroom that brings it to you every day.</p></div>"
    + "".join(f"<div class='rest' style='display:none'><p>{text}</p></div>" for text in PAYWALLED_TEXT[1:])
    + "</div></article>"
)


def test_the_hidden_remainder_of_a_paywalled_text_is_kept_and_the_hidden_appeal_is_not() -> None:
    item = article("<title>Council votes</title>", PAYWALLED, url="https://news.example.com/council.html")
    for text in PAYWALLED_TEXT:
        assert text in item.body_html
    assert "subscriber" not in item.body_html
