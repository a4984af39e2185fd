"""A date the page gives as a day only (its URL path, htmldate) is a day in every post format.

Never a made-up time of day: the post says ``2024-05-16``, and Hexo, Hugo and Jekyll
each read that day back.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest

from newsmirror.extract.page import Page
from newsmirror.fields import date
from newsmirror.fields.base import PageContext
from newsmirror.formats import get_format
from newsmirror.formats.frontmatter import Post
from newsmirror.paths import DEFAULT_PATH_TEMPLATE
from newsmirror.store.ledger import parse_post_date

from tests.support.crawl import run_crawl
from tests.support.hexo import hexo_load, require_hexo
from tests.support.hugo import hugo_build, require_hugo
from tests.support.jekyll import jekyll_build, require_jekyll
from tests.support.localsite import LocalSite, running_site

HOST = "dayonly.example.com"
PROSE = "<p>" + "The harbour office said the new schedule keeps the night crossing and adds one. " * 8 + "</p>"
# Midnight in the page's zone, as the date field holds a day-only value.
DAY = datetime(2024, 5, 16, tzinfo=timezone.utc)


def page(url: str, head: str = "", aside: str = "") -> PageContext:
    html = (f"<html><head><meta charset='utf-8'><title>Harbour adds a ferry</title>{head}</head><body>{aside}"
            f"<article><h1>Harbour adds a ferry</h1>{PROSE}</article></body></html>")
    return PageContext(Page.from_bytes(url, html.encode("utf-8")), timezone.utc)


def test_a_url_path_day_is_marked_day_only() -> None:
    choice = date.choose(page(f"https://{HOST}/2024/05/16/harbour.html"))
    assert (choice.value, choice.source, choice.day_only) == (DAY, "url path", True)


def test_a_json_ld_day_without_time_is_day_only_and_with_a_time_is_not() -> None:
    day = page(f"https://{HOST}/a.html", '<script type="application/ld+json">{"@type":"NewsArticle","datePublished":"2024-05-16"}</script>')
    timed = page(f"https://{HOST}/a.html", '<script type="application/ld+json">{"@type":"NewsArticle","datePublished":"2024-05-16T08:30:00Z"}</script>')
    assert date.choose(day).day_only is True
    assert date.choose(timed).day_only is False


DAY_POST = Post(title="Harbour adds a ferry", categories=("News",), author="Maria Jensen", date=DAY,
                body_html="<p>The harbour office said so.</p>", day_only=True)


@pytest.mark.parametrize(("name", "line"), [("hexo", "date: 2024-05-16"), ("hugo", "date: 2024-05-16"), ("jekyll", "date: '2024-05-16'")])
def test_every_format_writes_the_day_and_no_time(name: str, line: str) -> None:
    rendered = get_format(name, path_template=DEFAULT_PATH_TEMPLATE).render(DAY_POST).decode("utf-8")
    assert line in rendered.splitlines()
    assert parse_post_date(line.removeprefix("date: ")) == DAY  # a ledger rebuild reads it back


def test_hugo_and_jekyll_read_the_day(tmp_path: Path) -> None:
    require_hugo()
    require_jekyll()
    hugo_posts, jekyll_posts = tmp_path / "hugo-posts", tmp_path / "jekyll-posts"
    for folder, name, relpath in ((hugo_posts, "hugo", "ferry.html"), (jekyll_posts, "jekyll", "_posts/2024-05-16-ferry.md")):
        (folder / relpath).parent.mkdir(parents=True)
        (folder / relpath).write_bytes(get_format(name, path_template=DEFAULT_PATH_TEMPLATE).render(DAY_POST))
    [hugo_page] = hugo_build(hugo_posts, tmp_path / "hugo-site").values()
    [jekyll_page] = jekyll_build(jekyll_posts, tmp_path / "jekyll-site").values()
    # Both tools run in UTC (tests/support/sitetools.py): the day is read as that day's midnight.
    assert str(hugo_page.meta["date"]).startswith("2024-05-16T00:00:00")
    assert str(jekyll_page.meta["date"]).startswith("2024-05-16")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSite]:
    root = tmp_path_factory.mktemp("site")
    (root / HOST / "2024" / "05" / "16").mkdir(parents=True)
    (root / HOST / "2024" / "05" / "16" / "harbour.html").write_text(
        "<html><head><meta charset='utf-8'><title>Harbour adds a ferry</title></head>"
        f"<body><article><h1>Harbour adds a ferry</h1>{PROSE}</article></body></html>", encoding="utf-8")
    with running_site(root, tmp_path_factory.mktemp("log") / "requests.jsonl") as running:
        yield running


def test_a_crawled_page_dated_only_by_its_url_posts_the_day_and_hexo_reads_it(site: LocalSite, tmp_path: Path) -> None:
    require_hexo()
    sources = tmp_path / "sources.toml"
    sources.write_text(f'[[source]]\nname = "day"\ntype = "urls"\nurls = ["http://{HOST}/2024/05/16/harbour.html"]\n'
                       'timezone = "Asia/Shanghai"\n', encoding="utf-8")
    out = tmp_path / "mirror"
    result = run_crawl("mirror", env=site.proxy_env(), settings={"MIRROR_SOURCES": str(sources), "MIRROR_DIR": str(out)},
                       index=tmp_path / "index.jsonl")
    [item] = result.items
    post = (out / item["post_path"]).read_text(encoding="utf-8")
    assert "date: 2024-05-16" in post.splitlines()
    [loaded] = hexo_load(out)
    assert loaded["date"].startswith("2024-05-16T00:00:00")


def test_the_url_day_overrules_a_printed_time_element_naming_another_day() -> None:
    # A <time> of a comment or a related story, years from the permalink's day.
    context = page(f"https://{HOST}/2019/10/22/harbour.html", aside="<time datetime='2009-04-11T18:06:36Z'>old</time>")
    choice = date.choose(context)
    assert (choice.value, choice.source, choice.day_only) == (datetime(2019, 10, 22, tzinfo=timezone.utc), "url path", True)
    assert any("the URL path names 2019-10-22" in lost.reason for lost in choice.passed_over)


def test_the_url_day_does_not_overrule_the_pages_structured_data() -> None:
    context = page(f"https://{HOST}/2019/10/22/harbour.html",
                   '<script type="application/ld+json">{"@type":"NewsArticle","datePublished":"2019-11-30T08:00:00Z"}</script>')
    choice = date.choose(context)
    assert (choice.source, choice.value.date().isoformat()) == ("json-ld datePublished", "2019-11-30")
