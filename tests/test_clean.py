"""Body cleaning: boilerplate out, links absolute, images usable, nothing active left."""

from __future__ import annotations

import lxml.html
import pytest
from lxml.cssselect import CSSSelector

from newsmirror.clean import clean_body, first_image, has_content, is_generic_junk, is_hidden_remainder, sanitize

BASE = "https://news.example.com/2024/05/story.html"


def clean(fragment: str, junk: tuple[str, ...] = (), title: str = "") -> str:
    return clean_body(lxml.html.fragment_fromstring(fragment, create_parent="div"), BASE, junk, title)


@pytest.mark.parametrize(
    "hostile",
    [
        '<p onclick="steal()">x</p>',
        '<a href="javascript:alert(1)">x</a>',
        '<a href="JaVaScRiPt:alert(1)">x</a>',
        '<a href="&#106;avascript:alert(1)">x</a>',
        '<a href=" javascript:alert(1)">x</a>',
        '<img src="data:image/png;base64,AAAA">',
        '<img src="x.png" onerror="steal()">',
        "<script>steal()</script>",
        "<svg><script>steal()</script></svg>",
        "<math><mi xlink:href='javascript:steal()'>x</mi></math>",
        '<iframe src="https://evil.example/"></iframe>',
        '<object data="x.swf"></object><embed src="x.swf">',
        '<form action="/steal"><input name="q"></form>',
        '<meta http-equiv="refresh" content="0;url=javascript:steal()">',
        '<base href="javascript:steal()//">',
        '<p style="background:url(javascript:steal())">x</p>',
        '<p style="width:expression(steal())">x</p>',
        '<img srcset="javascript:steal() 1x" src="ok.jpg">',
        "<style>p{x:expression(steal())}</style>",
    ],
)
def test_nothing_active_survives(hostile: str) -> None:
    cleaned = clean(f"<p>before</p>{hostile}<p>after</p>").lower()
    for active in ("javascript", "steal", "data:", "<script", "<svg", "<math", "<iframe", "<object", "<embed",
                   "<form", "<meta", "<base", "<style", "style=", "expression", "srcset", " on"):
        assert active not in cleaned, (hostile, active)
    assert "before" in cleaned and "after" in cleaned


def test_structure_is_kept_and_urls_made_absolute() -> None:
    cleaned = clean(
        "<h2>Head</h2><p>Para with <a href='../other.html'>a link</a> and <em>emphasis</em>.</p>"
        "<ul><li>one</li></ul><blockquote><p>quote</p></blockquote>"
        "<table><tr><td colspan='2'>cell</td></tr></table>"
        "<figure><img src='/img/a.jpg' alt='A'><figcaption>cap</figcaption></figure>"
    )
    assert '<a href="https://news.example.com/2024/other.html" rel="noopener noreferrer">a link</a>' in cleaned
    assert '<img src="https://news.example.com/img/a.jpg" alt="A" referrerpolicy="no-referrer">' in cleaned
    for kept in ("<h2>Head</h2>", "<em>emphasis</em>", "<ul><li>one</li></ul>", "<blockquote>", '<td colspan="2">', "<figcaption>cap</figcaption>"):
        assert kept in cleaned


def test_ruby_keeps_its_readings_over_the_base_text() -> None:
    # Unwrapped, furigana runs into the kanji: "子こどもを守まもる".
    cleaned = clean("<p><ruby>子<rt>こ</rt></ruby>どもを<ruby>守<rp>(</rp><rt class='x'>まも</rt><rp>)</rp></ruby>る</p>")
    assert "<ruby>子<rt>こ</rt></ruby>どもを<ruby>守<rp>(</rp><rt>まも</rt><rp>)</rp></ruby>る" in cleaned


def test_malformed_urls_are_dropped_not_fatal() -> None:
    cleaned = clean('<p><a href="http://[::1">bad</a><img src="https://[oops/x.jpg"> text</p>')
    assert cleaned == '<p><a rel="noopener noreferrer">bad</a> text</p>'


def test_lazy_and_protocol_relative_images() -> None:
    cleaned = clean(
        '<p><img data-original="/real.jpg" src="/blank.gif"></p><p><img data-src="//cdn.example.net/b.jpg"></p>'
        '<p><img src="//n.sinaimg.cn/finance/c.jpg"></p>'
    )
    assert "blank.gif" not in cleaned
    assert 'src="https://news.example.com/real.jpg"' in cleaned
    assert 'src="https://cdn.example.net/b.jpg"' in cleaned
    assert 'src="https://n.sinaimg.cn/finance/c.jpg"' in cleaned
    assert cleaned.count('referrerpolicy="no-referrer"') == 3


def test_junk_hidden_blocks_and_repeated_headline_go() -> None:
    cleaned = clean(
        "<h1>The Headline</h1><p>text</p><div class='share'>Share!</div><div style='display: none'>hidden</div>"
        "<div class='promo'>promo</div><aside>aside</aside><!-- comment --><p hidden>also hidden</p>",
        junk=(".promo",),
        title="the headline",
    )
    assert cleaned == "<p>text</p>"


# The selectors is_generic_junk stands for, as CSS: the one-walk test must find what they find.
GENERIC_JUNK_CSS = (
    "nav, aside, footer, form, button, noscript, template, [hidden], [aria-hidden=true],"
    ' [style*="display:none"], [style*="display: none"], [style*="visibility:hidden"],'
    ' [style*="visibility: hidden"], .share, .shares, .social-share, .share-bar, .sharebar,'
    " .bdsharebuttonbox, .qrcode, .qr-code, .app-download, .related, .related-news, .relatedNews,"
    " .recommend, .ad, .ads, .advert, .advertisement, ins.adsbygoogle, ins.sinaads"
)
# Near misses next to every kind of match: other classes that only contain a junk name, the
# wrong case, a non-ASCII space inside a class list, aria-hidden=false, an ad class off <ins>.
JUNK_EDGES = """<div><nav>n</nav><NAV>N</NAV><aside><p class="share">inside</p></aside>
<p class="ad">a</p><p class="adx">x</p><p class="head ad\ttail">tab</p><p class="x\nrelated">lf</p>
<p class="relatednews">case</p><p class="relatedNews">camel</p><p class="ad\u00a0x">nbsp</p>
<p aria-hidden="false">shown</p><p aria-hidden="true">gone</p><p hidden="">gone</p>
<p style="color:red">red</p><p style="margin:0;display:none">gone</p><span style="visibility: hidden">v</span>
<div class="adsbygoogle">not an ins</div><ins class="adsbygoogle">slot</ins><ins>plain</ins>
<!-- a comment --><form><button>b</button></form><template>t</template><p class="">empty</p></div>"""


def test_generic_junk_is_what_its_css_selectors_select() -> None:
    page = lxml.html.fragment_fromstring(JUNK_EDGES)
    by_css = CSSSelector(GENERIC_JUNK_CSS)(page)
    by_walk = [element for element in page.iter() if is_generic_junk(element)]
    assert by_walk == by_css
    texts = [element.text for element in by_walk]
    assert "x" not in texts and "case" not in texts and "nbsp" not in texts and "shown" not in texts
    assert {"a", "tab", "lf", "camel", "gone", "slot"} <= set(texts)


PROSE = "A sentence of the article, long enough to be prose and not a label, nor a button."


@pytest.mark.parametrize(
    ("hidden", "kept"),
    [
        # The rest of the text, hidden in one block or one block a paragraph: kept.
        (f"<div style='display:none'><p>{PROSE}</p><p>{PROSE}</p><p>{PROSE}</p></div>", True),
        (f"<div class='rest' style='display:none'><p>{PROSE}</p></div>" * 3, True),
        # An appeal, short hidden lines, or unlike blocks that add up: junk.
        (f"<div style='display:none'><p>{PROSE}</p><p>{PROSE}</p></div>", False),
        ("<div class='rest' style='display:none'><p>Sign in</p></div>" * 5, False),
        (f"<div class='a' style='display:none'><p>{PROSE}</p></div><div class='b' style='display:none'><p>{PROSE}</p></div>"
         f"<p class='c' style='display:none'>{PROSE}</p>", False),
    ],
)
def test_a_hidden_remainder_of_the_text_stays_and_other_hidden_blocks_go(hidden: str, kept: bool) -> None:
    cleaned = clean(f"<p>first</p>{hidden}")
    assert (PROSE in cleaned) is kept
    assert cleaned.startswith("<p>first</p>")


def test_a_remainder_is_judged_on_its_first_like_siblings_only() -> None:
    empty = "<div class='x' style='display:none'>.</div>"
    prose = f"<div class='x' style='display:none'><p>{PROSE}</p></div>"
    behind_many_empty_twins = lxml.html.fragment_fromstring(empty * 100 + prose * 3, create_parent="div")
    among_a_few = lxml.html.fragment_fromstring(empty * 10 + prose * 3, create_parent="div")
    assert not is_hidden_remainder(behind_many_empty_twins[-1])
    assert is_hidden_remainder(among_a_few[-1]) and is_hidden_remainder(among_a_few[0])


def test_junk_inside_junk_and_a_sites_own_selectors_go_together() -> None:
    cleaned = clean(
        "<p>one</p><aside>side<div class='share'>s</div>after</aside>tail<div class='promo'><p class='ad'>ad</p></div><p>two</p>",
        junk=(".promo", "aside p"),
    )
    assert cleaned == "<p>one</p>tail<p>two</p>"


def test_the_title_as_the_first_line_goes_whatever_its_tag_and_only_there() -> None:
    cleaned = clean(
        "<div><div><p class='titulo'> Harbour wall to be rebuilt </p><p><b>The board</b> voted on Tuesday.</p>"
        "<h3>Harbour wall to be rebuilt</h3><p>Work starts in May.</p></div></div>",
        title="Harbour Wall to be rebuilt",
    )
    assert cleaned.count("Harbour wall to be rebuilt") == 1  # the heading further down is the article's
    assert cleaned.index("The board") < cleaned.index("Harbour wall")
    # A body that is nothing but the title keeps it: an empty post would say less.
    assert "Just the headline" in clean("<p>Just the headline</p>", title="Just the headline")


def test_no_blank_lines_so_markdown_sees_one_html_block() -> None:
    cleaned = clean("<p>a</p>\n\n\n<p>b</p>\n   \n<div>\n\n<p>c</p></div>")
    assert "\n\n" not in cleaned and cleaned.splitlines() == [line.strip() for line in cleaned.splitlines()]


def test_first_image_skips_icons_and_pixels() -> None:
    cleaned = sanitize('<img src="https://a/pixel.gif" width="1" height="1"><img src="https://a/icon.png" width="16">'
                       '<img src="https://a/photo.jpg?x=1&amp;y=2">')
    assert first_image(cleaned) == "https://a/photo.jpg?x=1&y=2"
    assert first_image("<p>no image</p>") is None


def test_has_content() -> None:
    assert not has_content("<div><p>  </p>\n</div>")
    assert has_content("<p>x</p>") and has_content('<img src="https://a/b.jpg">')


def test_a_trailing_list_of_other_stories_is_dropped_with_its_lead() -> None:
    body = lxml.html.fragment_fromstring(
        "<div><p>The band sits third in the <a href='/vote'>Fan Vote</a>.</p><p>You may also like...</p>"
        "<p><a href='/a'>Who will make the Rock Hall in 2020?</a></p><p><a href='/b'>Fans want the band in</a></p></div>"
    )
    cleaned = clean_body(body, "https://news.example.com/story")
    assert "Fan Vote" in cleaned and "also like" not in cleaned and "Rock Hall in 2020" not in cleaned


def test_a_link_paragraph_inside_the_text_stays() -> None:
    body = lxml.html.fragment_fromstring(
        "<div><p>Read the report first.</p><p><a href='/report'>The full report</a></p><p>Then the reply.</p></div>"
    )
    assert "The full report" in clean_body(body, "https://news.example.com/story")


@pytest.mark.parametrize(
    ("tail", "kept"),
    [
        ("<p><a href='/report'>The full report</a></p>", True),  # one closing link can be the article's own
        ("<p><a href='/more'>more</a> <img src='/pic.jpg' width='400' height='300'></p>", True),  # shows a picture
        ("<p>Related stories</p><p><a href='/a'>Another story</a></p>", False),  # introduced as other stories
        ("<p><a href='/a'>Another story</a></p><p><a href='/b'>A third story</a></p>", False),  # a list
    ],
)
def test_only_a_list_of_other_stories_ends_a_body(tail: str, kept: bool) -> None:
    body = lxml.html.fragment_fromstring(f"<div><p>The last sentence of the article.</p>{tail}</div>")
    cleaned = clean_body(body, "https://news.example.com/story")
    assert "last sentence" in cleaned
    assert ("href=" in cleaned) is kept


CODE = 'def greet(name):\n    if name:\n\n        return f"hi {name}"\n\treturn "hi"'


def test_pre_keeps_its_line_breaks_and_indentation_through_reading_and_the_post() -> None:
    # A page written for the purpose, read the way a crawl reads it, then written as a post.
    import html as html_module
    import re

    from newsmirror.exporters import post_from_item, render_post
    from newsmirror.items import ArticleItem
    from newsmirror.reading import FetchedPage, read_page

    text = " ".join(["The release notes explain the new greeting helper in some detail."] * 6)
    page = (
        "<html><head><title>Greeting helper</title>"
        '<meta property="article:published_time" content="2024-05-01T08:00:00Z"></head>'
        f"<body><article><h1>Greeting helper</h1><p>{text}</p>"
        f"<pre><code>{html_module.escape(CODE)}</code></pre><p>{text}</p></article></body></html>"
    ).encode()
    outcome = read_page(ArticleItem(url=BASE), FetchedPage(BASE, page, "utf-8"), {}, "drop")
    assert outcome.item is not None, outcome.problem
    post = render_post(post_from_item(outcome.item)).decode()
    block = re.search(r"<pre><code>(.*?)</code></pre>", post, re.S)
    assert block is not None, post
    assert html_module.unescape(block.group(1)) == CODE
    # Still one HTML block for Markdown: no blank line anywhere in the post's body.
    assert "\n\n" not in post.split("---\n\n", 1)[1]


# What a code block says is its whitespace: indentation, blank lines, runs of spaces.
CODE = (
    "def mirror(feed):\n"
    "    for entry in feed:\n"
    "\n"
    "        if entry.ok:   # aligned\n"
    "\t\tyield entry\n"
    "\n"
    "\n"
    "    return None"
)


def test_pre_and_code_blocks_keep_their_line_breaks_and_indentation() -> None:
    code_html = CODE.replace("&", "&amp;").replace("<", "&lt;")
    cleaned = clean(f"<p>Before the code.</p><pre><code>{code_html}</code></pre><pre>  x  =  1\n\n  y</pre><p>After.</p>")
    blocks = lxml.html.fragment_fromstring(cleaned, create_parent="div").xpath(".//pre")
    assert [block.text_content() for block in blocks] == [CODE, "  x  =  1\n\n  y"]
    # Still one HTML block for Markdown: no line is blank, inside a <pre> or out.
    assert all(line.strip() for line in cleaned.split("\n")), cleaned


def test_a_code_block_reaches_the_post_file_as_written() -> None:
    from datetime import datetime, timezone

    from newsmirror.exporters import Post, render_post
    from newsmirror.items import ArticleItem
    from newsmirror.reading import FetchedPage, read_page

    code_html = CODE.replace("&", "&amp;").replace("<", "&lt;")
    page = (
        "<html><head><title>Mirroring feeds</title>"
        "<meta property='article:published_time' content='2024-05-01T08:00:00Z'></head>"
        "<body><article><h1>Mirroring feeds</h1><p>A mirror reads each feed entry in turn, "
        "and the loop below shows how little it takes to do so with a generator.</p>"
        f"<pre><code>{code_html}</code></pre><p>That is all the loop needs to do its work.</p>"
        "</article></body></html>"
    ).encode()
    url = "https://news.example.com/2024/05/feeds.html"
    outcome = read_page(ArticleItem(url=url), FetchedPage(url, page, "utf-8"), {}, "drop")
    assert outcome.item is not None, outcome
    post = render_post(
        Post(title="Mirroring feeds", categories=["news"], author="", date=datetime(2024, 5, 1, tzinfo=timezone.utc),
             body_html=outcome.item.body_html)
    ).decode()
    body = post.split("\n---\n", 1)[1]
    blocks = lxml.html.fragment_fromstring(body, create_parent="div").xpath(".//pre")
    assert [block.text_content() for block in blocks] == [CODE]
    html_block = body.strip().split("\n")
    assert all(line.strip() for line in html_block), body
