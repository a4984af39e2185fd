"""The jekyll format, proven by real Jekyll: a test crawl's posts build a site that reads them right.

One crawl (the source's ``format = "jekyll"`` in sources.toml) of ordinary and hostile
articles; one ``jekyll build`` of its posts with a probe layout printing what Jekyll read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsmirror.formats import get_format
from newsmirror.formats.frontmatter import Post
from newsmirror.formats.jekyll import jekyll_categories
from newsmirror.paths import DEFAULT_PATH_TEMPLATE
from newsmirror.text import fold_text

from tests.support.crawl import CrawlResult
from tests.support.formatcrawl import ARTICLES, CATEGORIES, body_of, by_url, crawl_formats, serve_articles, text_of
from tests.support.inert import active_parts
from tests.support.jekyll import jekyll_build, require_jekyll
from tests.support.localsite import LocalSite, running_site
from tests.support.sitetools import BuiltPage
from tests.test_formats import WHEN, remote_text, split


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSite]:
    root = tmp_path_factory.mktemp("site")
    serve_articles(root)
    with running_site(root, tmp_path_factory.mktemp("log") / "requests.jsonl") as running:
        yield running


# Written by hand with literal braces: Jekyll runs its Liquid, which shows that the
# assertions on the crawled posts would notice Liquid that ran.
CONTROL_PATH = "_posts/2024-07-09-control.md"
CONTROL = "---\ntitle: Control\n---\n\n<p>Says {% assign seven = 7 | times: 7 %}{{ seven }}.</p>\n"


@pytest.fixture(scope="module")
def jekyll_crawl(site: LocalSite, tmp_path_factory: pytest.TempPathFactory) -> tuple[CrawlResult, Path, dict[str, BuiltPage]]:
    require_jekyll()
    work = tmp_path_factory.mktemp("jekyll")
    result, out = crawl_formats(site, work, post_format="jekyll")
    assert len(result.items) == len(ARTICLES), result.log[-3000:]
    return result, out, jekyll_build(out, work / "site", extra={CONTROL_PATH: CONTROL})


def test_every_post_is_under_posts_named_by_date_and_slug(jekyll_crawl: tuple[CrawlResult, Path, dict[str, BuiltPage]]) -> None:
    result, out, _ = jekyll_crawl
    written = sorted(path.relative_to(out).as_posix() for path in out.rglob("*") if path.is_file())
    assert written == sorted(item["post_path"] for item in result.items)
    for item in result.items:
        assert item["format"] == "jekyll"
        # The date in the article's own zone: the day its readers saw.
        day = datetime.fromisoformat(item["date"]).strftime("%Y-%m-%d")
        assert re.fullmatch(rf"_posts/{day}-[\w-]+\.md", item["post_path"]), item["post_path"]
    assert by_url(result)[ARTICLES[0].url]["post_path"] == "_posts/2024-07-09-harbour-adds-a-morning-ferry.md"
    assert by_url(result)[ARTICLES[3].url]["post_path"] == "_posts/2024-07-12-港口-新增早班渡轮.md"


def test_jekyll_reads_title_date_author_categories_and_lead_image(
    jekyll_crawl: tuple[CrawlResult, Path, dict[str, BuiltPage]],
) -> None:
    result, out, pages = jekyll_crawl
    items = by_url(result)
    posts = set(pages) - {CONTROL_PATH}
    assert posts == {item["post_path"] for item in result.items}, "Jekyll must render every post, and only those"
    for article in ARTICLES:
        item = items[article.url]
        front = split((out / item["post_path"]).read_bytes())[0]
        meta = pages[item["post_path"]].meta
        assert meta["title"] == front["title"] == item["title"] == article.title, article.name
        assert meta["author"] == front["author"] == item["author"] == article.author, article.name
        assert meta["categories"] == front["categories"] == CATEGORIES, article.name
        # Quoted, so PyYAML reads the string as written; Jekyll reads the same instant.
        assert isinstance(front["date"], str)
        assert datetime.strptime(front["date"], "%Y-%m-%d %H:%M:%S %z") == datetime.fromisoformat(item["date"])
        assert datetime.fromisoformat(meta["date"]) == datetime.fromisoformat(item["date"]), article.name
        assert meta["image"] == front.get("image") == item["lead_image"], article.name


def test_the_rendered_page_holds_the_whole_body(jekyll_crawl: tuple[CrawlResult, Path, dict[str, BuiltPage]]) -> None:
    result, out, pages = jekyll_crawl
    for item in result.items:
        page = pages[item["post_path"]]
        body_text = text_of(body_of((out / item["post_path"]).read_bytes()))
        assert body_text and text_of(page.content_html) == body_text, item["url"]
    plain = pages[by_url(result)[ARTICLES[0].url]["post_path"]]
    assert "<figure>" in plain.content_html and "The quay" in plain.content_html


def test_no_liquid_runs_and_nothing_active_gets_through(jekyll_crawl: tuple[CrawlResult, Path, dict[str, BuiltPage]]) -> None:
    result, _, pages = jekyll_crawl
    assert text_of(pages[CONTROL_PATH].content_html) == "Says 49."
    items = by_url(result)
    text = text_of(pages[items[ARTICLES[1].url]["post_path"]].content_html)
    # Had Liquid run, {% include nosuch.html %} would have failed the build, and 49 would show.
    assert "Liquid {{ site.time }} and {% assign seven = 7 | times: 7 %}{{ seven }} and {% include nosuch.html %}" in text
    assert "and {% raw %}raw{% endraw %} and a stray {% endraw %} end." in text
    assert "49" not in text
    for page in (pages[item["post_path"]] for item in result.items):
        assert active_parts(page.content_html) == [], page.source
        assert "alert(" not in page.content_html
    assert "Paragraph with a handler." in pages[items[ARTICLES[2].url]["post_path"]].content_html


def test_front_matter_reads_back_as_written_in_jekyll(tmp_path: Path) -> None:
    require_jekyll()
    posts, written = tmp_path / "posts", {}
    jekyll = get_format("jekyll", path_template=DEFAULT_PATH_TEMPLATE)

    @settings(max_examples=60, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(title=remote_text, author=remote_text, categories=st.lists(remote_text, min_size=1, max_size=3))
    def write_one(title: str, author: str, categories: list[str]) -> None:
        name = f"_posts/2022-03-29-p{len(written):04d}.md"
        post = Post(title=title, categories=tuple(categories), author=author, date=WHEN, body_html="<p>x</p>")
        (posts / name).parent.mkdir(parents=True, exist_ok=True)
        (posts / name).write_bytes(jekyll.render(post))
        written[name] = (fold_text(title), fold_text(author), jekyll_categories([fold_text(c) for c in categories]))

    write_one()
    pages = jekyll_build(posts, tmp_path / "site")
    assert set(pages) == set(written)
    for name, (title, author, categories) in written.items():
        meta = pages[name].meta
        assert (meta["title"], meta["author"], meta["categories"]) == (title, author, categories), name
        assert datetime.fromisoformat(meta["date"]) == WHEN
