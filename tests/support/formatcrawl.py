"""One test crawl per post format: ordinary and hostile articles, mirrored by the real engine.

The Hugo and Jekyll tests crawl these pages once each (``scrapy crawl mirror`` over a
sources file, against the loopback server), then build a real site from the posts.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lxml.html

from tests.support.crawl import CrawlResult, run_crawl
from tests.support.localsite import LocalSite

HOST = "formats.example.com"
CATEGORIES = ["News & Views", "x: y"]  # a folder-unsafe name, and a YAML-unsafe one

# Template syntax of every tool a post may meet: none of it may ever run.
TEMPLATES = (
    "<p>Hugo {{< param title >}} and {{% param \"title\" %}} and {{&lt;/* comment */&gt;}}.</p>"
    "<p>Liquid {{ site.time }} and {% assign seven = 7 | times: 7 %}{{ seven }} and {% include nosuch.html %}"
    " and {% raw %}raw{% endraw %} and a stray {% endraw %} end.</p>"
    "<p>Nunjucks {# comment #} and {{ 7*7 }}.</p>"
)
ACTIVE = (
    "<script>alert('script')</script><p onclick=\"alert(1)\">Paragraph with a handler.</p>"
    "<img src=x onerror=alert(2) width=300 height=200>"
    "<p><a href=\"javascript:alert(3)\">js link</a> <a href=\"data:text/html;base64,PHNjcmlwdD4=\">data</a></p>"
    "<svg onload=alert(4)><script>alert(5)</script></svg><iframe src=\"javascript:alert(6)\"></iframe>"
    "<style>body{background:url(javascript:alert(7))}</style>"
)


@dataclass(frozen=True)
class Article:
    """One served article and what every tool must read from its post."""

    name: str
    title: str
    author: str
    date: str  # as the page states it (ISO 8601 with its offset)
    body: str

    @property
    def url(self) -> str:
        return f"http://{HOST}/{self.name}.html"

    def page(self) -> bytes:
        """Return the article page (title, author and date in the head; the body in <article>)."""
        title, author = html.escape(self.title, quote=True), html.escape(self.author, quote=True)
        return (
            f"<html><head><meta charset='utf-8'><title>{title}</title><meta property='og:title' content='{title}'>"
            f"<meta name='author' content='{author}'><meta property='article:published_time' content='{self.date}'>"
            f"<meta property='og:image' content='http://{HOST}/lead.jpg'></head>"
            f"<body><article><h1>{title}</h1>{self.body}</article></body></html>"
        ).encode("utf-8")


PARAGRAPHS = (
    "<p>The harbour office said the new schedule keeps the night crossing and adds a morning one.</p>"
    "<p>Passengers with season tickets need not buy new ones, the operator added on Tuesday.</p>"
)
ARTICLES = [
    Article("plain", "Harbour adds a morning ferry", "Maria Jensen", "2024-07-09T10:00:00+08:00",
            PARAGRAPHS + f"<figure><img src='http://{HOST}/lead.jpg' width='640' height='480'><figcaption>The quay</figcaption></figure>"),
    Article("templates", "Templates {{< x >}} {{ y }} {% z %}: it's #1", "no", "2024-07-10T08:00:00Z",
            PARAGRAPHS + TEMPLATES),
    Article("active", "Active content in a page", "Yes", "2024-07-11T23:30:00-05:00", PARAGRAPHS + ACTIVE),
    Article("chinese", "港口：新增早班渡轮", "新浪财经", "2024-07-12 09:15:00",
            "<p>港口管理处表示，新时刻表保留夜班，并增加一班早班渡轮。</p><p>持季票的乘客无需重新购票。</p>"),
]  # fmt: skip


def serve_articles(root: Path) -> None:
    """Write the articles (and a lead image) where the loopback server serves them."""
    folder = root / HOST
    folder.mkdir(parents=True, exist_ok=True)
    for article in ARTICLES:
        (folder / f"{article.name}.html").write_bytes(article.page())


def sources_file(path: Path, *, post_format: str | None = None, urls: list[str] | None = None) -> Path:
    """Write a sources file with one ``urls`` source over the articles (and its ``format``, if given)."""
    listed = ", ".join(f'"{url}"' for url in (urls or [article.url for article in ARTICLES]))
    lines = [
        "[[source]]",
        'name = "formats"',
        'type = "urls"',
        f"urls = [{listed}]",
        'categories = ["News & Views", "x: y"]',
        'timezone = "Asia/Shanghai"',
    ]
    if post_format is not None:
        lines.append(f'format = "{post_format}"')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def crawl_formats(site: LocalSite, work: Path, *, post_format: str | None = None,
                  settings: dict[str, str] | None = None, urls: list[str] | None = None,
                  mirror: Path | None = None) -> tuple[CrawlResult, Path]:
    """Run ``scrapy crawl mirror`` over the articles; return the result and ``MIRROR_DIR``."""
    work.mkdir(parents=True, exist_ok=True)
    out = mirror or work / "mirror"
    sources = sources_file(work / "sources.toml", post_format=post_format, urls=urls)
    result = run_crawl(
        "mirror",
        env=site.proxy_env(),
        settings={"MIRROR_SOURCES": str(sources), "MIRROR_DIR": str(out), **(settings or {})},
        index=work / "index.jsonl",
    )
    return result, out


def text_of(fragment: str) -> str:
    """Return the text of an HTML fragment as a reader sees it, whitespace folded."""
    if not fragment.strip():
        return ""
    text = lxml.html.fragment_fromstring(fragment, create_parent="div").text_content()
    return re.sub(r"\s+", " ", text).strip()


def body_of(post: bytes) -> str:
    """Return the HTML body of a post file (everything after its front matter)."""
    return post.decode("utf-8").split("\n---\n", 1)[1]


def by_url(result: CrawlResult) -> dict[str, dict[str, Any]]:
    """Index a crawl's index records by article URL."""
    return {item["url"]: item for item in result.items}
