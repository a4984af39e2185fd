"""The markdown post format: front matter PyYAML reads back as written, and a body whose
Markdown, rendered back by a CommonMark renderer, shows the text of the HTML body.

Run as a script for the whole corpus, every set, with the reason for each miss:
``.venv/bin/python -m tests.test_format_markdown``.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import lxml.html
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from newsmirror.formats import get_format
from newsmirror.formats.frontmatter import Post
from newsmirror.formats.markdown import body_markdown, render_markdown
from newsmirror.items import ArticleItem
from newsmirror.reading import FetchedPage, read_page
from newsmirror.text import fold_text
from tests.support.crawl import CrawlResult
from tests.test_formats import split

# CommonMark with GFM's tables and strikethrough: what the format promises a reader.
RENDERER = MarkdownIt("commonmark").enable(["table", "strikethrough"])
SAMPLE_TIME = datetime(2024, 7, 9, 10, 0, 5, tzinfo=timezone(timedelta(hours=8)))
CORPUS_SETS = ("sina", "zh-news", "en-news", "dates", "multilang")
# The test runs every Sina page, every second zh-news page and every sixth of the others (extraction
# is the slow part); the script form above runs them all.
CORPUS_STRIDE = {"sina": 1, "zh-news": 2, "en-news": 6, "dates": 6, "multilang": 6}


def html_text(fragment: str) -> str:
    """Return the text a reader sees in an HTML fragment, white space removed.

    ``<q>`` counts with the quotes a browser puts around it, since the Markdown spells them out.
    """
    root = lxml.html.fragment_fromstring(fragment or "<p></p>", create_parent="div")
    for quote in root.iter("q"):
        quote.text = '"' + (quote.text or "")
        closing = lxml.html.Element("span")
        closing.text = '"'
        quote.append(closing)
    return re.sub(r"\s+", "", root.text_content())


def rendered(markdown: str) -> lxml.html.HtmlElement:
    """Return the HTML a CommonMark renderer makes of *markdown*, parsed."""
    return lxml.html.fragment_fromstring(RENDERER.render(markdown) or "<p></p>", create_parent="div")


def round_trip_miss(body_html: str) -> str | None:
    """Return where the rendered-back Markdown's text first differs from the body's, or None."""
    markdown = body_markdown(body_html)
    want = html_text(body_html)
    got = re.sub(r"\s+", "", rendered(markdown).text_content())
    if got == want:
        return None
    at = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))
    return f"at {at}: rendered {got[max(0, at - 20):at + 30]!r}, body {want[max(0, at - 20):at + 30]!r}"


def post(**changes: object) -> Post:
    """A post with ordinary values."""
    values: dict[str, object] = {
        "title": "夜航渡轮复航",
        "categories": ("本地", "交通"),
        "author": "新华社",
        "date": SAMPLE_TIME,
        "body_html": "<p>正文。</p>",
        "lead_image": "https://img.example.cn/a.jpg",
        "source_url": "https://news.example.cn/a/1.html",
    }
    values.update(changes)
    return Post(**values)  # type: ignore[arg-type]


# name: (body HTML, XPath checks on the rendered-back HTML)
BODIES: dict[str, tuple[str, list[str]]] = {
    "table": (
        "<table><thead><tr><th>城市</th><th>增幅</th></tr></thead><tbody><tr><td>上海</td><td>4.5%</td></tr>"
        "<tr><td>北京</td><td>3.9% | 持平</td><td>多出的一格</td></tr></tbody></table>",
        ["count(//table//tr)=3", "//th[.='城市']", "//td[.='3.9% | 持平']", "//td[.='多出的一格']"],
    ),
    "table-with-a-foot-and-spans": (
        "<table><tr><td colspan='2'>合计</td></tr><tr><td>甲</td><td>乙</td></tr>"
        "<tfoot><tr><th>注</th><th>单位：元</th></tr></tfoot></table>",
        ["count(//table)=1", "count(//table//tr)=3", "//th[.='合计']", "//td[.='单位：元']"],
    ),
    "layout-table": (
        "<table><tr><td><p>第一段。</p><ul><li>要点一</li><li>要点二</li></ul></td>"
        "<td><table><tr><th>内</th></tr><tr><td>表</td></tr></table></td></tr></table>",
        ["count(//ul/li)=2", "count(//table)=1", "//td[.='表']"],
    ),
    "figure": (
        '<figure><img src="https://img.example.com/a b(1).jpg" alt="渡轮 [1" title="夜"><figcaption>夜航渡轮复航。</figcaption>'
        "</figure><p>正文第一段。</p>",
        ["//img[@src='https://img.example.com/a%20b(1).jpg' and @alt='渡轮 [1' and @title='夜']",
         "//p[.='夜航渡轮复航。']", "//p[.='正文第一段。']"],
    ),
    "lists": (
        "<ul><li>第一条<ul><li>子条<ol start='3'><li>三</li><li>四</li></ol></li></ul></li><li>第二条</li></ul>"
        "<ol><li><p>段落项</p><p>第二段</p></li><li>1. 不是新列表</li></ol>",
        ["count(/div/ul/li)=2", "//ul/li/ul/li/ol[@start='3']/li[.='四']", "count(/div/ol/li)=2",
         "//ol/li[contains(., '1. 不是新列表')]"],
    ),
    "blockquotes": (
        "<blockquote><p>引用的话。</p><blockquote><p>再引一层。</p></blockquote></blockquote><p>&gt; 不是引用</p>",
        ["//blockquote/blockquote/p[.='再引一层。']", "count(//blockquote)=2", "//div/p[.='> 不是引用']"],
    ),
    "code": (
        "<pre>  def f():\n\treturn {'a': 1}\n```\n</pre><p>行内 <code>a`b</code> 与 <code>x*y</code></p>"
        "<pre><h3>内</h3><br>第二行</pre>",
        ["//pre/code[.=\"  def f():\n\treturn {'a': 1}\n```\n\"]", "//code[.='a`b']", "//code[.='x*y']",
         "count(//h3)=0", "//pre/code[contains(., '第二行')]"],
    ),
    "chinese": (
        "<p>　　央行表示：“稳健的货币政策要灵活适度”——保持流动性合理充裕；（完）……</p>"
        "<p>《人民日报》【评论】「引号」＊星号＊ ＃井号 １．全角数字 ｛｛全角括号｝｝</p>",
        ["count(//p)=2", "count(//em)=0", "count(//h1)=0"],
    ),
    "links": (
        '<p>据<a href="https://news.example.com/a?x=1&amp;y=2">新华社</a>报道，见<a href="https://example.com/path_(1)">附件</a>'
        '，<a href="/local/1.html" title="站内 &quot;页&quot;">站内</a>，<a href="mailto:desk@example.com">来信</a>。</p>',
        ["//a[@href='https://news.example.com/a?x=1&y=2' and .='新华社']", "//a[@href='https://example.com/path_(1)']",
         "//a[@href='/local/1.html' and @title='站内 \"页\"']", "//a[@href='mailto:desk@example.com']"],
    ),
    "emphasis": (
        "<p><strong>“引号”</strong>中文<em>斜体</em>与<b><a href='https://a.example.cn'>粗链接</a></b>。"
        "<em>分</em><em>开</em>的<strong>a</strong><strong>b</strong>，<del>删去</del>，H<sub>2</sub>O，"
        "x<sup>2</sup>，<q>引</q>，<b><p>块</p></b></p>",
        ["//strong[.='“引号”']", "//em[.='斜体']", "//strong/a[.='粗链接']", "//em[.='分开']", "//strong[.='ab']",
         "//s[.='删去'] | //del[.='删去']", "//sub[.='2']", "//sup[.='2']"],
    ),
    "delimiter-runs": (  # found by fuzzing: runs that touch, or punctuation at an edge
        "<p><code>a</code><code>b</code> <del>- “删”</del>字 <s>x</s><del>y</del></p>"
        "<table><tr><td><code>a|b</code></td><td>c</td></tr></table><blockquote><p><code>x\n1. y</code></p></blockquote>",
        ["//code[.='ab']", "//s[.='- “删”'] | //del[.='- “删”']", "//th/code[.='a|b']", "count(//ol)=0",
         "//blockquote//code[.='x 1. y']"],
    ),
    "ruby": (  # furigana: the reading stays over its kanji, not run into the text as "子こども"
        "<p><ruby>子<rt>こ</rt></ruby>どもを<ruby>守<rp>(</rp><rt>まも</rt><rp>)</rp></ruby>る"
        "<a href='https://e.com/k'><ruby>法律<rt>ほうりつ</rt></ruby></a></p>",
        ["//ruby[starts-with(., '子')]/rt[.='こ']", "//ruby/rt[.='まも']", "count(//ruby/rp)=2",
         "//a/ruby/rt[.='ほうりつ']"],
    ),
    "bang-before-a-link": (
        '<p>Wow!<a href="https://e.com/1">one</a> and!<span><u><a href="https://e.com/2">two</a></u></span></p>',
        ["count(//img)=0", "count(//a)=2"],
    ),
    "hostile-text": (
        "<p>* not a list, # not a heading, 1. not ordered, [x](y) not a link, ![i](j), `tick`, _under_ "
        "&lt;b&gt;not bold&lt;/b&gt; &lt;script&gt;alert(1)&lt;/script&gt; &amp;amp; &amp;#123; AT&amp;T ~~no~~ a|b</p>"
        "<p>+ plus</p><p>- dash</p><p>---</p><p>===</p><p>&gt; not a quote</p><p># h</p><p>    four spaces</p>"
        "<p>{{ site.time }} {% include x.html %} {# c #} {{< shortcode >}} {{% shortcode %}} ${{ 1 + 1 }}</p>",
        ["count(//ul | //ol | //h1 | //h2 | //blockquote | //a | //img | //code | //em | //strong | //b"
         " | //script | //hr | //table | //s | //del | //pre)=0"],
    ),
    "template-syntax-in-code-and-links": (
        "<pre>{{ x }}\n\n{% if y %}z{% endif %}</pre><p><code>{{ page.title }}</code> "
        "<a href='https://example.com/?q={{x}}' title='{{ t }}'>{% tag %}</a> <img src='https://img.example.com/{{i}}.png' alt='{{ a }}'></p>",
        ["//pre/code[.='{{ x }}\n\n{% if y %}z{% endif %}']", "//code[.='{{ page.title }}']",
         "//a[.='{% tag %}' and @title='{{ t }}']", "//img[@alt='{{ a }}']"],
    ),
}


@pytest.mark.parametrize("name", list(BODIES))
def test_a_body_round_trips_through_a_commonmark_renderer(name: str) -> None:
    body, checks = BODIES[name]
    assert round_trip_miss(body) is None
    tree = rendered(body_markdown(body))
    missing = [check for check in checks if not tree.xpath(check)]
    assert not missing, f"{body_markdown(body)}\n{lxml.html.tostring(tree, encoding='unicode')}"


def test_headings_are_atx_and_chinese_text_is_written_unchanged() -> None:
    chinese = "央行表示：“稳健的货币政策要灵活适度”——保持流动性合理充裕；（完）……《人民日报》【评论】「引号」＊星号＊　全角"
    markdown = body_markdown(f"<h2>标题 #1</h2><p>{chinese}</p>")
    assert markdown == f"## 标题 #1\n\n{chinese}\n"


def test_a_figure_is_its_image_then_its_caption() -> None:
    markdown = body_markdown('<figure>\n<img src="https://img.example.com/a.jpg" alt="渡轮">\n<figcaption>夜航。</figcaption>\n</figure><p>正文</p>')
    assert markdown == "![渡轮](https://img.example.com/a.jpg)\n\n夜航。\n\n正文\n"


def test_code_blocks_are_fenced_longer_than_any_backtick_run_inside() -> None:
    markdown = body_markdown("<pre>a\n```\n  b</pre>")
    assert markdown == "````\na\n```\n  b\n````\n"


@pytest.mark.parametrize("opener", ["{{", "{%", "{#", "{{<", "{{%"])
def test_no_template_opener_survives_anywhere_in_the_body(opener: str) -> None:
    # Liquid (Jekyll), Hugo shortcodes, Nunjucks (Hexo) and Jinja all run before Markdown.
    body = (
        f"<h2>{opener} h {opener[::-1]}</h2><p>{opener} text</p><p><em>{opener}</em></p>"
        f"<pre>{opener} code</pre><p><code>{opener} span</code></p>"
        f"<p><a href='https://example.com/{opener}' title='{opener}'>{opener}</a>"
        f"<img src='https://example.com/{opener}.png' alt='{opener}' title='{opener}'></p>"
        f"<table><tr><th>{opener}</th></tr></table>"
    )
    markdown = body_markdown(body)
    assert "{" not in markdown and "}" not in markdown, markdown  # entities, or %7B in a URL
    assert round_trip_miss(body) is None


@pytest.mark.parametrize(
    "href",
    ["javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:alert(1)", "java\tscript:alert(1)",
     "vbscript:x", "data:text/html,<b>x</b>", "javascript&#58;alert(1)", "javascript&amp;#58;alert(1)"],
)
def test_links_and_images_to_active_targets_keep_only_their_text(href: str) -> None:
    body = f'<p><a href="{href}">点这里</a><img src="{href}" alt="图"></p>'
    markdown = body_markdown(body)
    tree = rendered(markdown)
    assert tree.xpath("//a | //img") == []
    assert "点这里" in tree.text_content()
    assert "javascript:" not in markdown.lower().replace("\t", "")


def test_the_post_has_yaml_front_matter_then_the_markdown_body() -> None:
    data = render_markdown(post(title="it's: a title", body_html="<p>第一段</p><h2>小标题</h2><p><b>粗</b></p>"))
    assert data.decode("utf-8") == (
        "---\n"
        "title: 'it''s: a title'\n"
        "date: 2024-07-09T10:00:05+08:00\n"
        "author: 新华社\n"
        "categories:\n"
        "  - 本地\n"
        "  - 交通\n"
        "link: 'https://news.example.cn/a/1.html'\n"
        "image: 'https://img.example.cn/a.jpg'\n"
        "---\n"
        "\n"
        "第一段\n"
        "\n"
        "## 小标题\n"
        "\n"
        "**粗**\n"
    )


def test_the_format_is_registered_and_renders_through_get_format() -> None:
    markdown_format = get_format("markdown", path_template="{date:%Y}/{slug}.md")
    assert markdown_format.render(post()) == render_markdown(post())
    assert markdown_format.build_path(
        title="夜航渡轮复航", categories=["本地"], date=SAMPLE_TIME, url="https://news.example.cn/a/1.html"
    ).endswith(".md")


# Any text a remote site can send: every code point but surrogates.
remote_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=60).filter(
    lambda text: bool(fold_text(text))
)
# Offsets in whole minutes, as RFC 3339 writes them.
zones = st.integers(min_value=-(23 * 60 + 59), max_value=23 * 60 + 59).map(lambda minutes: timezone(timedelta(minutes=minutes)))
dates = st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2100, 1, 1), timezones=zones)


@settings(max_examples=400, deadline=None)
@given(
    title=remote_text,
    author=remote_text,
    categories=st.lists(remote_text, min_size=1, max_size=4),
    lead_image=st.one_of(st.none(), remote_text),
    source_url=st.one_of(st.none(), remote_text),
    date=dates,
)
def test_front_matter_reads_back_in_pyyaml_as_written(
    title: str, author: str, categories: list[str], lead_image: str | None, source_url: str | None, date: datetime
) -> None:
    front, _ = split(render_markdown(post(
        title=title, author=author, categories=tuple(categories), lead_image=lead_image, source_url=source_url, date=date
    )))
    assert front["title"] == fold_text(title)
    assert front["author"] == fold_text(author)
    assert front["categories"] == [fold_text(category) for category in categories]
    assert front.get("image") == (fold_text(lead_image or "") or None)
    assert front.get("link") == (fold_text(source_url or "") or None)
    # PyYAML reads an RFC 3339 timestamp as an aware datetime: the same instant, in the same zone.
    assert front["date"] == date.replace(microsecond=0)
    assert front["date"].utcoffset() == date.utcoffset()
    assert list(front)[:4] == ["title", "date", "author", "categories"]


@settings(max_examples=300, deadline=None)
@given(text=remote_text)
def test_any_paragraph_text_round_trips(text: str) -> None:
    from html import escape

    body = f"<p>{escape(text)}</p><ul><li>{escape(text)}</li></ul><table><tr><td>{escape(text)}</td></tr></table>"
    assert round_trip_miss(body) is None


@dataclass
class CorpusRoundTrip:
    """What the corpus pages gave: how many were read and round-tripped, and each miss."""

    read: int = 0
    passed: int = 0
    unreadable: int = 0
    misses: list[str] | None = None
    unread: list[str] | None = None  # pages extraction drops (no title, date or body): nothing to convert


def corpus_round_trip(corpus: Path, sets: tuple[str, ...], stride: dict[str, int]) -> CorpusRoundTrip:
    """Read corpus pages as a crawl does (newsmirror.reading), convert each body and round-trip it."""
    outcome = CorpusRoundTrip(misses=[], unread=[])
    for set_name in sets:
        for case_file in sorted((corpus / "pages" / set_name).glob("*/case.json"))[:: stride.get(set_name, 1)]:
            meta = json.loads(case_file.read_text(encoding="utf-8"))
            url = meta.get("url") or f"https://corpus.invalid/{set_name}/{case_file.parent.name}.html"
            page = FetchedPage(url, (case_file.parent / meta["body_file"]).read_bytes(), None)
            read = read_page(ArticleItem(url=url), page, {}, "first-seen")
            if read.item is None or not read.item.body_html:
                outcome.unreadable += 1
                outcome.unread.append(f"{set_name}/{case_file.parent.name}: no {read.problem.kind if read.problem else 'body'}")
                continue
            outcome.read += 1
            miss = round_trip_miss(read.item.body_html)
            if miss is None:
                outcome.passed += 1
            else:
                outcome.misses.append(f"{set_name}/{case_file.parent.name}: {miss}")
    return outcome


def test_corpus_bodies_round_trip(corpus: Path) -> None:
    outcome = corpus_round_trip(corpus, CORPUS_SETS, CORPUS_STRIDE)
    assert outcome.read > 100
    assert outcome.passed == outcome.read, "\n".join(outcome.misses or [])


if __name__ == "__main__":
    corpus_dir = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
    if not (corpus_dir / "pages").is_dir():
        sys.exit(f"the shared corpus is not at {corpus_dir}")
    for set_name in CORPUS_SETS:
        result = corpus_round_trip(corpus_dir, (set_name,), {})
        print(f"{set_name:10} read {result.read:4}  round-trip {result.passed:4}  unreadable {result.unreadable}")
        for line in result.misses or []:
            print(f"  round-trip miss {line}")
        for line in result.unread or []:
            print(f"  unreadable {line}")


# --- A real crawl with MIRROR_FORMAT=markdown ---


@pytest.fixture(scope="module")
def markdown_crawl(tmp_path_factory: pytest.TempPathFactory) -> tuple[CrawlResult, Path]:
    """Crawl the format test articles with ``MIRROR_FORMAT=markdown``; return the result and ``MIRROR_DIR``."""
    from tests.support.formatcrawl import ARTICLES, crawl_formats, serve_articles
    from tests.support.localsite import running_site

    root = tmp_path_factory.mktemp("site")
    serve_articles(root)
    with running_site(root, tmp_path_factory.mktemp("log") / "requests.jsonl") as site:
        result, out = crawl_formats(site, tmp_path_factory.mktemp("markdown"), settings={"MIRROR_FORMAT": "markdown"})
    assert len(result.items) == len(ARTICLES), result.log[-3000:]
    return result, out


def test_a_crawl_with_mirror_format_markdown_writes_markdown_posts(markdown_crawl: tuple[CrawlResult, Path]) -> None:
    from tests.support.formatcrawl import ARTICLES, PARAGRAPHS, by_url, text_of
    from tests.support.inert import active_parts

    result, out = markdown_crawl
    items = by_url(result)
    assert sorted(path.relative_to(out).as_posix() for path in out.rglob("*.md")) == sorted(
        item["post_path"] for item in result.items
    )
    for article in ARTICLES:
        item = items[article.url]
        assert item["format"] == "markdown"
        front, body = split((out / item["post_path"]).read_bytes())
        assert (front["title"], front["author"]) == (item["title"], item["author"]) == (article.title, article.author)
        assert front["categories"] == ["News & Views", "x: y"]
        assert front["date"] == datetime.fromisoformat(item["date"])
        assert front["link"] == article.url and front.get("image") == item["lead_image"]
        # Markdown, not an HTML blob: no tag of the HTML body is left in it.
        assert not re.search(r"</?(div|p|figure|img|a)\b", body), body
        assert "{" not in body and "}" not in body
        shown = RENDERER.render(body)
        assert active_parts(shown) == [] and "alert(" not in shown, article.name
    plain = RENDERER.render(split((out / items[ARTICLES[0].url]["post_path"]).read_bytes())[1])
    assert html_text(PARAGRAPHS) in html_text(plain) and "The quay" in plain
    assert lxml.html.fragment_fromstring(plain, create_parent="div").xpath("//img[@src='http://formats.example.com/lead.jpg']")
    templates = text_of(RENDERER.render(split((out / items[ARTICLES[1].url]["post_path"]).read_bytes())[1]))
    assert "Liquid {{ site.time }} and {% assign seven = 7 | times: 7 %}{{ seven }} and {% include nosuch.html %}" in templates
    assert "Hugo {{< param title >}} and {{% param \"title\" %}}" in templates and "Nunjucks {# comment #}" in templates


def test_jekyll_runs_no_liquid_in_markdown_posts(markdown_crawl: tuple[CrawlResult, Path], tmp_path: Path) -> None:
    # Jekyll renders every .md page with Liquid, then kramdown: a pipeline of the kind the format is for.
    from tests.support.formatcrawl import ARTICLES, text_of
    from tests.support.jekyll import jekyll_build, require_jekyll

    require_jekyll()
    result, out = markdown_crawl
    # Under _posts, where Jekyll names what it read (a plain page's relative_path is nil).
    source = tmp_path / "posts"
    names = {}
    for number, item in enumerate(result.items):
        names[item["url"]] = f"_posts/2024-07-01-post{number}.md"
        (source / names[item["url"]]).parent.mkdir(parents=True, exist_ok=True)
        (source / names[item["url"]]).write_bytes((out / item["post_path"]).read_bytes())
    control = "---\ntitle: Control\n---\n\nSays {% assign seven = 7 | times: 7 %}{{ seven }}.\n"
    pages = jekyll_build(source, tmp_path / "site", extra={"_posts/2024-07-01-control.md": control})
    assert text_of(pages["_posts/2024-07-01-control.md"].content_html) == "Says 49."
    templates = text_of(pages[names[ARTICLES[1].url]].content_html)
    assert "Liquid {{ site.time }} and {% assign seven = 7 | times: 7 %}{{ seven }} and {% include nosuch.html %}" in templates
    assert "and {% raw %}raw{% endraw %} and a stray {% endraw %} end." in templates and "49" not in templates
    assert "Hugo {{< param title >}}" in templates and "Nunjucks {# comment #} and {{ 7*7 }}." in templates
