"""Which HTML-to-Markdown converter the markdown post format uses: markdownify or html2text.

Each case is a cleaned article body of the kind newsmirror writes (nh3's allow-list:
tables, figures, links, images, Chinese punctuation). A converter scores a case when
its Markdown, rendered back by a CommonMark renderer (markdown-it-py, with GFM tables),
keeps the body's text (all of it, in order) and the structure the case names.

    .venv/bin/python bench/markdown_converters.py
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable

import html2text
import lxml.html
import markdownify
from markdown_it import MarkdownIt

CASES: dict[str, tuple[str, list[str]]] = {
    # name: (body HTML, XPath expressions the rendered-back HTML must match)
    "table": (
        "<table><thead><tr><th>城市</th><th>增幅</th></tr></thead>"
        "<tbody><tr><td>上海</td><td>4.5%</td></tr><tr><td>北京</td><td>3.9%</td></tr></tbody></table>",
        ["//table//th[.='城市']", "//table//td[.='4.5%']", "count(//table//tr)=3"],
    ),
    "figure": (
        '<figure><img src="https://img.example.com/a.jpg" alt="渡轮"><figcaption>夜航渡轮复航。</figcaption></figure>'
        "<p>正文第一段。</p>",
        ["//img[@src='https://img.example.com/a.jpg' and @alt='渡轮']", "//*[contains(., '夜航渡轮复航。')]"],
    ),
    "links": (
        '<p>据<a href="https://news.example.com/a?x=1&amp;y=2">新华社</a>报道，'
        '见<a href="https://example.com/path_(1)">附件</a>。</p>',
        ["//a[@href='https://news.example.com/a?x=1&y=2' and .='新华社']", "//a[@href='https://example.com/path_(1)']"],
    ),
    "images": (
        '<p><img src="https://img.example.com/b c.png" alt="图 [1]"></p><p>图片说明：资料图。</p>',
        ["//img[@src='https://img.example.com/b%20c.png' or @src='https://img.example.com/b c.png']"],
    ),
    "chinese-punctuation": (
        "<p>央行表示：“稳健的货币政策要灵活适度”——保持流动性合理充裕；（完）……</p>"
        "<p>《人民日报》【评论】「引号」＊星号＊ ＃井号 1. 不是列表</p>",
        [],
    ),
    "markdown-lookalikes": (
        "<p>* not a list, # not a heading, 1. not ordered, [x](y) not a link, `tick`, _under_ &lt;tag&gt;</p>"
        "<p>+ plus line</p><p>- dash line</p><p>&gt; not a quote</p>",
        ["count(//ul)=0", "count(//ol)=0", "count(//h1)=0", "count(//blockquote)=0", "count(//a)=0"],
    ),
    "lists-and-quotes": (
        "<ul><li>第一条</li><li>第二条</li></ul><blockquote><p>引用的话。</p></blockquote>"
        "<p><strong>粗体</strong>与<em>斜体</em></p>",
        ["count(//ul/li)=2", "//blockquote/p", "//strong[.='粗体']", "//em[.='斜体']"],
    ),
}


def by_markdownify(html: str) -> str:
    """Convert with markdownify: ATX headings, GFM tables with the first row as header."""
    return markdownify.markdownify(html, heading_style="ATX", table_infer_header=True, escape_misc=True)


def by_html2text(html: str) -> str:
    """Convert with html2text: no line wrapping, tables as Markdown tables, links inline."""
    converter = html2text.HTML2Text()
    converter.body_width = 0
    converter.ignore_links = False
    converter.ignore_images = False
    converter.bypass_tables = False
    converter.escape_snob = True
    return converter.handle(html)


CONVERTERS: dict[str, Callable[[str], str]] = {"markdownify": by_markdownify, "html2text": by_html2text}
RENDERER = MarkdownIt("commonmark").enable("table")


def text_of(html: str) -> str:
    """Return the text of an HTML fragment with all white space removed."""
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    return re.sub(r"\s+", "", root.text_content())


def score(convert: Callable[[str], str]) -> dict[str, list[str]]:
    """Return, per case, what the converter lost (empty: nothing)."""
    lost: dict[str, list[str]] = {}
    for name, (html, checks) in CASES.items():
        markdown = convert(html)
        rendered = RENDERER.render(markdown)
        problems = []
        if text_of(rendered) != text_of(html):
            problems.append(f"text differs: {text_of(rendered)!r} != {text_of(html)!r}")
        tree = lxml.html.fragment_fromstring(rendered, create_parent="div")
        problems += [f"no {check}" for check in checks if not tree.xpath(check)]
        lost[name] = problems
    return lost


def main() -> int:
    """Print a table of cases kept per converter, then what each lost."""
    results = {name: score(convert) for name, convert in CONVERTERS.items()}
    print(f"{'case':22}" + "".join(f"{name:>13}" for name in results))
    for case in CASES:
        print(f"{case:22}" + "".join(f"{'kept' if not lost[case] else 'LOST':>13}" for lost in results.values()))
    print(f"{'total kept':22}" + "".join(f"{sum(not v for v in lost.values()):>10}/{len(CASES)}" for lost in results.values()))
    for name, lost in results.items():
        for case, problems in lost.items():
            for problem in problems:
                print(f"  {name} / {case}: {problem}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
