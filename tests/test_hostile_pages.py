"""Hostile pages, end to end: what attackers control becomes valid, contained, inert posts.

Each group of pages is crawled once by the real engine through the loopback proxy
(real host names); the posts are then read back with PyYAML and rendered by real Hexo,
and the HTML Hexo generates is searched for anything active.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import lxml.html
import pytest

from tests.support.crawl import CrawlResult, run_crawl
from tests.support.hexo import hexo_load, require_hexo
from tests.support.inert import active_parts
from tests.support.localsite import LocalSite, running_site
from tests.support.posts import check_posts, split_post

DATE = "2024-01-05T06:07:08Z"


def page(title: str, body: str, *, head: str = "", date: str = DATE, author: str | None = None) -> str:
    """Return an article page; *title* and *author* are HTML-escaped into the markup."""
    escaped = html.escape(title, quote=True)
    author_meta = f"<meta name='author' content='{html.escape(author, quote=True)}'>" if author is not None else ""
    return (
        f"<html><head><meta charset='utf-8'><title>{escaped}</title><meta property='og:title' content='{escaped}'>"
        f"<meta property='article:published_time' content='{date}'>{author_meta}{head}</head>"
        f"<body><article><h1>{escaped}</h1>{body}</article></body></html>"
    )


PARAGRAPHS = (
    "<p>The harbour office said the new schedule keeps the night crossing and adds a morning one.</p>"
    "<p>Passengers with season tickets need not buy new ones, the operator added on Tuesday.</p>"
)


class Site:
    """Pages served under their host name; the loopback server reads files on every request."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def put(self, host: str, name: str, body: bytes | str, headers: str | None = None) -> str:
        target = self.root / host / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body.encode("utf-8") if isinstance(body, str) else body)
        if headers is not None:
            target.with_name(target.name + ".headers").write_text(headers, encoding="latin-1")
        return f"http://{host}/{name}"


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> Site:
    return Site(tmp_path_factory.mktemp("site"))


@pytest.fixture(scope="module")
def server(pages: Site, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSite]:
    with running_site(pages.root, tmp_path_factory.mktemp("log") / "requests.jsonl") as running:
        yield running


def crawl(server: LocalSite, out: Path, urls: list[str], **settings: str) -> CrawlResult:
    url_file = out.parent / f"{out.name}-urls.txt"
    url_file.parent.mkdir(parents=True, exist_ok=True)
    url_file.write_text("\n".join(urls) + "\n", encoding="utf-8")
    return run_crawl(
        "article",
        "-a",
        f"urls={url_file}",
        env=server.proxy_env(),
        # Loopback is not let through: these pages point there, and must not get in.
        settings={"MIRROR_DIR": str(out), "MIRROR_ALLOWED_HOSTS": "", **settings},
        index=out.parent / f"{out.name}-index.jsonl",
    )


def by_url(result: CrawlResult) -> dict[str, dict[str, Any]]:
    return {item["url"]: item for item in result.items}


# --------------------------------------------------------------------------- head tricks

TRICKS = "tricks.example.com"


@pytest.fixture(scope="module")
def head_tricks(pages: Site, server: LocalSite, tmp_path_factory: pytest.TempPathFactory) -> tuple[CrawlResult, Path, dict[str, str]]:
    refresh = "<meta http-equiv='refresh' content='{}'>"
    urls = {
        "javascript": pages.put(TRICKS, "js.html", page("Refresh to javascript", PARAGRAPHS, head=refresh.format("0;url=javascript:alert(1)"))),
        "metadata": pages.put(TRICKS, "meta.html", page("Refresh to metadata", PARAGRAPHS, head=refresh.format("0; URL=http://169.254.169.254/latest/meta-data/"))),
        "self": pages.put(TRICKS, "self.html", page("Refresh to itself", PARAGRAPHS, head=refresh.format("1;url=self.html"))),
        "base-private": pages.put(TRICKS, "base.html", page("Base to loopback", PARAGRAPHS + "<p><a href='more.html'>more</a> <img src='pic.jpg' width='400' height='300'></p>",
                                  head="<base href='http://127.0.0.1:1/'>" + refresh.format("0;url=admin"))),
        "base-javascript": pages.put(TRICKS, "basejs.html", page("Base to javascript", PARAGRAPHS + "<p><a href='more.html'>more</a></p>", head="<base href='javascript:alert(1)//'>")),
        # A real redirect page: no content, a refresh to the article.
        "redirect-page": pages.put(TRICKS, "go.html", "<html><head><meta http-equiv='refresh' content='0; url=/real.html'></head><body></body></html>"),
    }  # fmt: skip
    pages.put(TRICKS, "real.html", page("The real article", PARAGRAPHS))
    out = tmp_path_factory.mktemp("tricks") / "mirror"
    return crawl(server, out, list(urls.values())), out, urls


def test_pages_whose_refresh_or_base_leads_nowhere_safe_are_mirrored_from_their_own_content(
    head_tricks: tuple[CrawlResult, Path, dict[str, str]], server: LocalSite
) -> None:
    result, out, urls = head_tricks
    items = by_url(result)
    expected = {
        "javascript": "Refresh to javascript",
        "metadata": "Refresh to metadata",
        "self": "Refresh to itself",
        "base-private": "Base to loopback",
        "base-javascript": "Base to javascript",
    }
    for case, title in expected.items():
        assert items[urls[case]]["title"] == title, case
    assert "Article not mirrored" not in result.log
    # None of the refresh targets was ever requested.
    requested = {entry["url"] for entry in server.requests()}
    assert not any("169.254.169.254" in url or "127.0.0.1:1" in url or "admin" in url for url in requested)
    # Links and images resolve against the page itself, never against the page's <base>.
    base_post = (out / items[urls["base-private"]]["post_path"]).read_text(encoding="utf-8")
    assert 'href="http://tricks.example.com/more.html"' in base_post
    assert 'src="http://tricks.example.com/pic.jpg"' in base_post
    js_post = (out / items[urls["base-javascript"]]["post_path"]).read_text(encoding="utf-8")
    assert "javascript" not in js_post.lower().replace("refresh to javascript", "").replace("base to javascript", "")
    check_posts(out, result.items)


def test_a_refresh_only_page_leads_to_its_article(head_tricks: tuple[CrawlResult, Path, dict[str, str]]) -> None:
    # Decision: a refresh to a fresh, allowed http(s) URL is a redirect, followed like a 3xx.
    result, out, urls = head_tricks
    item = by_url(result)[urls["redirect-page"]]
    assert item["title"] == "The real article"
    assert (out / item["post_path"]).is_file()


# --------------------------------------------------------------------------- hostile bodies

HOSTILE_BODY = """
<p>Safe opening paragraph of the hostile article, long enough to be the article body.</p>
<script>alert('script')</script><SCRIPT SRC=//evil.example/x.js></SCRIPT>
<p onclick="alert(1)" onmouseover=alert(2) ONFOCUS=alert(3)>Paragraph with handlers.</p>
<img src=x onerror=alert(4) width=300 height=200><img src="pic.jpg" onload="alert(5)" width=300 height=200>
<p><a href="javascript:alert(6)">js link</a> <a href="JaVaScRiPt:alert(7)">mixed case</a>
<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(8)">entities</a>
<a href="java&#x09;script:alert(9)">tab inside</a> <a href=" javascript:alert(10)">leading space</a>
<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxMSk8L3NjcmlwdD4=">data link</a>
<a href="vbscript:msgbox(12)">vbscript</a></p>
<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMTMpPg==" width=300 height=200>
<svg onload=alert(14)><script>alert(15)</script><a xlink:href="javascript:alert(16)"><text>svg text</text></a></svg>
<math><mtext><table><mglyph><style><img src=x onerror=alert(17)></style></mglyph></table></mtext></math>
<math href="javascript:alert(18)">math link</math>
<iframe src="javascript:alert(19)"></iframe><iframe srcdoc="&lt;script&gt;alert(20)&lt;/script&gt;"></iframe>
<object data="evil.swf"><param name=x value=y></object><embed src="evil.swf">
<meta http-equiv="refresh" content="0;url=javascript:alert(21)"><base href="javascript:alert(22)//">
<link rel=stylesheet href="javascript:alert(23)"><style>body{background:url(javascript:alert(24))}</style>
<form action="javascript:alert(25)"><input name=a onfocus=alert(26) autofocus><button formaction="javascript:alert(27)">go</button></form>
<div style="width: expression(alert(28))">Expression div.</div>
<p style="background:url(javascript:alert(29))">Background paragraph.</p>
<img srcset="javascript:alert(30) 1x, pic2.jpg 2x" src="pic3.jpg" width=300 height=200>
<p>Template {{ 7*7 }} and {% raw %}a tag{% endraw %} and {# a comment #} and {{ config.title }}.</p>
<p>Closing paragraph: the article continues with ordinary words about the harbour.</p>
"""
@pytest.fixture(scope="module")
def hostile_body(pages: Site, server: LocalSite, tmp_path_factory: pytest.TempPathFactory) -> tuple[CrawlResult, Path]:
    url = pages.put("hostile.example.com", "body.html", page("Hostile body", HOSTILE_BODY))
    out = tmp_path_factory.mktemp("hostile") / "mirror"
    result = crawl(server, out, [url])
    assert len(result.items) == 1, result.log[-3000:]
    return result, out


def test_nothing_active_survives_into_the_post(hostile_body: tuple[CrawlResult, Path]) -> None:
    result, out = hostile_body
    _, body = split_post((out / result.items[0]["post_path"]).read_bytes())
    assert active_parts(body) == []
    for word in ("alert(", "evil.example", "expression(", "{{", "{%", "{#"):
        assert word not in body
    assert "Safe opening paragraph" in body and "Closing paragraph" in body


def test_hexo_renders_the_hostile_post_inert(hostile_body: tuple[CrawlResult, Path]) -> None:
    result, out = hostile_body
    check_posts(out, result.items)
    require_hexo()
    (post,) = hexo_load(out, generate=True)
    generated = post["generated_html"]
    article = generated.split('<article class="post-body">', 1)[1].rsplit("</article>", 1)[0]
    assert active_parts(article) == []
    assert "alert(" not in article
    # Nunjucks did not run: the braces arrive as text, not as 49 or the site's config.
    text = lxml.html.fragment_fromstring(article, create_parent="div").text_content()
    assert "Template {{ 7*7 }} and" in text and "{{ config.title }}" in text
    assert "49" not in text


# --------------------------------------------------------------------------- titles and authors

HOSTILE_TITLES = {
    "newline": ("Line one\nline two\r\nline three", "Line one line two line three"),
    "quotes": ("It's a \"quoted\" 'title'", None),
    "colon-hash": ("Breaking: news #1 -- today: more #tags", None),
    "dashes": ("Markets ---\n--- close higher", "Markets --- --- close higher"),
    "yaml-no": ("no", None),
    "yaml-yes": ("yes", None),
    "yaml-null": ("null", None),
    "yaml-tilde": ("~", None),
    "yaml-date": ("2024-01-02", None),
    "indicators": ("*&!%@|> anchors, tags and blocks", None),
    "rtl": ("\u202eevil\u202c title \u200fمرحبا\u200f", None),
    "zero-width": ("zero\u200bwidth\u200d joiner\ufeff", None),
    "long": ("Long " + "headline " * 1250, None),
}


@pytest.fixture(scope="module")
def hostile_titles(pages: Site, server: LocalSite, tmp_path_factory: pytest.TempPathFactory) -> tuple[CrawlResult, Path, dict[str, str]]:
    urls = {}
    for case, (title, _) in HOSTILE_TITLES.items():
        urls[case] = pages.put("titles.example.com", f"{case}.html", page(title, PARAGRAPHS, author=title))
    out = tmp_path_factory.mktemp("titles") / "mirror"
    return crawl(server, out, list(urls.values())), out, urls


def test_hostile_titles_and_authors_load_back_as_the_same_text(
    hostile_titles: tuple[CrawlResult, Path, dict[str, str]]
) -> None:
    result, out, urls = hostile_titles
    items = by_url(result)
    assert set(items) == set(urls.values()), "every hostile title is still an article"
    fronts = check_posts(out, result.items)  # PyYAML and Hexo both read the same text
    for case, (title, folded) in HOSTILE_TITLES.items():
        expected = folded or title.strip()
        item = items[urls[case]]
        front = fronts[item["post_path"]]
        assert front["title"] == expected, case
        # The byline rules reject an "@" (an e-mail address), a date and a 10,000-character
        # name; the author then falls back to the site name, which must round-trip too.
        if "@" not in title and len(title) < 1000 and case != "yaml-date":
            assert front["author"] == expected, case
        else:
            assert front["author"] == "titles.example.com", case
        assert isinstance(front["title"], str) and isinstance(front["author"], str)


# --------------------------------------------------------------------------- file names

HOSTILE_NAMES = {
    "dotdot": "../../../etc/passwd",
    "absolute": "/etc/cron.d/job",
    "windows": "C:\\Windows\\system32\\evil",
    "control": "bell\x07 and\x1b escape",
    "nul": "nul\x00byte",
    "long": "長" * 150,
    "device": "CON",
    "device-ext": "nul.txt",
    "case-a": "Storm Warning",
    "case-b": "storm warning",
    "dot": ".hidden",
    "underscore": "_draft",
    "tilde": "backup~",
    "only-dots": "...",
}


@pytest.fixture(scope="module")
def hostile_names(pages: Site, server: LocalSite, tmp_path_factory: pytest.TempPathFactory) -> tuple[CrawlResult, Path, dict[str, str]]:
    urls = {}
    for case, title in HOSTILE_NAMES.items():
        urls[case] = pages.put("names.example.com", f"{case}.html", page(title, PARAGRAPHS + f"<p>Case {case}.</p>"))
    out = tmp_path_factory.mktemp("names") / "mirror"
    # One by one, so that same-name collisions meet an existing post.
    return crawl(server, out, list(urls.values()), CONCURRENT_REQUESTS="1"), out, urls


def test_hostile_names_stay_inside_are_visible_and_never_collide(
    hostile_names: tuple[CrawlResult, Path, dict[str, str]]
) -> None:
    result, out, urls = hostile_names
    items = by_url(result)
    assert set(items) == set(urls.values())
    posts = sorted(out.rglob("*.md"))
    assert len(posts) == len(urls), "every article has its own post"
    root = out.resolve()
    folded = set()
    for post in posts:
        relative = post.resolve().relative_to(root)  # raises if outside MIRROR_DIR
        for segment in relative.parts:
            assert not segment.startswith((".", "_")) and not segment.endswith(("~", "%")), segment
            assert len(segment.encode("utf-8")) <= 255
            assert not re.search(r"[\x00-\x1f\\:]", segment), segment
            assert segment.split(".")[0].upper() not in {"CON", "PRN", "AUX", "NUL"}, segment
        folded.add(str(relative).lower())
    assert len(folded) == len(posts), "names differing only by case would overwrite each other"
    for case in urls:
        text = (out / items[urls[case]]["post_path"]).read_text(encoding="utf-8")
        assert f"Case {case}." in text, case
    check_posts(out, result.items)


# --------------------------------------------------------------------------- encodings

GBK_TITLE = "央行：稳健货币政策要灵活适度"
GBK_TEXT = "中国人民银行今日发布公告，保持流动性合理充裕。"


@pytest.fixture(scope="module")
def encodings(
    pages: Site, server: LocalSite, tmp_path_factory: pytest.TempPathFactory
) -> tuple[CrawlResult, Path, dict[str, str]]:
    def chinese(charset_meta: str, before: str = "") -> str:
        return (
            f"<html><head>{before}{charset_meta}<title>{GBK_TITLE}</title>"
            f"<meta property='article:published_time' content='{DATE}'></head>"
            f"<body><article><h1>{GBK_TITLE}</h1><p>{GBK_TEXT}</p><p>{GBK_TEXT}第二段。</p></article></body></html>"
        )

    host = "enc.example.cn"
    late_meta = chinese("<meta charset='gbk'>", before="<script>var filler = '" + "x" * 5200 + "';</script>")
    urls = {
        "late-meta": pages.put(host, "late.html", late_meta.encode("gbk"), "Content-Type: text/html\n"),
        "header-lies": pages.put(host, "lies.html", chinese("").encode("gbk"), "Content-Type: text/html; charset=utf-8\n"),
        "gb2312-but-utf8": pages.put(host, "utf8.html", chinese("<meta charset='gb2312'>").encode("utf-8"), "Content-Type: text/html\n"),
        "gb18030-chars": pages.put(
            host, "ext.html", chinese("<meta charset='gb2312'>").replace("今日", "今日𠀀").encode("gb18030"), "Content-Type: text/html\n"
        ),
        "mixed-invalid": pages.put(
            host, "mixed.html",
            chinese("<meta charset='utf-8'>").encode("utf-8").replace("保持".encode(), b"\xff\xfe\x80") ,
            "Content-Type: text/html\n",
        ),
    }  # fmt: skip
    out = tmp_path_factory.mktemp("enc") / "mirror"
    result = crawl(server, out, list(urls.values()))
    check_posts(out, result.items)
    return result, out, urls


# What each page's body must show once decoded, beyond the title.
DECODED_TEXT = {
    "late-meta": [GBK_TEXT],
    "header-lies": [GBK_TEXT],
    "gb2312-but-utf8": [GBK_TEXT],
    "gb18030-chars": ["中国人民银行今日𠀀发布公告", "保持流动性合理充裕"],  # a character GB2312 lacks
    "mixed-invalid": ["流动性合理充裕", "\ufffd"],  # the broken bytes, and only they, are replaced
}


@pytest.mark.parametrize("case", list(DECODED_TEXT))
def test_pages_decode_to_the_right_text(encodings: tuple[CrawlResult, Path, dict[str, str]], case: str) -> None:
    result, out, urls = encodings
    item = by_url(result)[urls[case]]
    assert item["title"] == GBK_TITLE
    post = (out / item["post_path"]).read_text(encoding="utf-8")
    for text in DECODED_TEXT[case]:
        assert text in post, (case, text)


# --------------------------------------------------------------------------- broken pages and dates

@pytest.fixture(scope="module")
def broken(pages: Site, server: LocalSite, tmp_path_factory: pytest.TempPathFactory) -> tuple[CrawlResult, Path, dict[str, str]]:
    host = "broken.example.com"
    urls = {
        "malformed": pages.put(host, "malformed.html",
                               f"<html><head><title>Malformed but readable</title><meta property='article:published_time' content='{DATE}'>"
                               "<body><h1>Malformed but readable</h1><div><p>Unclosed <b>bold <i>and"
                               "<p>The second paragraph of the malformed page carries the story. <table><tr><td>cell</p></div></span>"
                               "<p attr='unterminated>Text after a broken attribute.</p>\x00\x01</html></html><!-- unclosed comment"),
        "control-references": pages.put(host, "controls.html", page("Control references", PARAGRAPHS + "<p>Before<nav>menu</nav>&#31;after &#0; &#x1b; &#xFFFF; end.</p>")),
        "no-title": pages.put(host, "untitled.html", f"<html><head><meta property='article:published_time' content='{DATE}'></head><body>{PARAGRAPHS}</body></html>"),
        "unparseable-date": pages.put(host, "baddate.html", page("Bad date", PARAGRAPHS, date="the day after tomorrow")),
        "future-date": pages.put(host, "future.html", page("Future date", PARAGRAPHS, date="2999-01-01T00:00:00Z")),
        "ancient-date": pages.put(host, "ancient.html", page("Ancient date", PARAGRAPHS, date="1969-07-20T20:17:00Z")),
    }  # fmt: skip
    out = tmp_path_factory.mktemp("broken") / "mirror"
    return crawl(server, out, list(urls.values())), out, urls


def test_malformed_pages_are_mirrored(broken: tuple[CrawlResult, Path, dict[str, str]]) -> None:
    result, out, urls = broken
    items = by_url(result)
    assert sorted(items) == sorted([urls["malformed"], urls["control-references"]])
    assert items[urls["malformed"]]["title"] == "Malformed but readable"
    # References to characters lxml cannot hold (&#31;) once crashed the cleaning of the page.
    assert "Beforeafter" in (out / items[urls["control-references"]]["post_path"]).read_text(encoding="utf-8")
    assert "Traceback" not in result.log
    check_posts(out, result.items)


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("no-title", "no title found on http://broken.example.com/untitled.html"),
        ("unparseable-date", "no usable publish date on http://broken.example.com/baddate.html"),
        ("future-date", "is in the future"),
        ("ancient-date", "is before 1990"),
    ],
)
def test_pages_without_a_title_or_a_believable_date_are_dropped_with_the_reason(
    broken: tuple[CrawlResult, Path, dict[str, str]], case: str, reason: str
) -> None:
    result, out, urls = broken
    dropped = [line for line in result.log.splitlines() if "Dropped:" in line and urls[case] in line]
    assert len(dropped) == 1 and reason in dropped[0], dropped
    # Never a post titled "None" or empty, never a guessed date.
    for post in out.rglob("*.md"):
        front, _ = split_post(post.read_bytes())
        assert front["title"] not in ("None", "")
        assert "1969" not in front["date"] and "2999" not in front["date"]
