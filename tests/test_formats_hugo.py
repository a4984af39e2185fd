"""The hugo format, proven by real Hugo: a test crawl's posts build a site that reads them right.

One crawl (``MIRROR_FORMAT=hugo``) of ordinary and hostile articles; one ``hugo`` build
of its posts with a probe layout printing what Hugo read. A second group switches an
existing Hexo mirror to Hugo, and a third builds page bundles with ``MIRROR_IMAGES``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsmirror.formats import get_format
from newsmirror.formats.frontmatter import Post
from newsmirror.paths import DEFAULT_PATH_TEMPLATE
from newsmirror.text import fold_text

from tests.support.crawl import CrawlResult, read_tree
from tests.support.formatcrawl import ARTICLES, CATEGORIES, HOST, body_of, by_url, crawl_formats, serve_articles, text_of
from tests.support.hugo import hugo_build, require_hugo
from tests.support.inert import active_parts
from tests.support.localsite import LocalSite, running_site
from tests.support.sitetools import BuiltPage
from tests.test_formats import WHEN, remote_text, split

# A 1x1 PNG: the lead image MIRROR_IMAGES copies into the page bundle.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63000100000500010d0a2db40000000049454e44ae426082"
)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSite]:
    root = tmp_path_factory.mktemp("site")
    serve_articles(root)
    (root / HOST / "lead.jpg").write_bytes(PNG)
    with running_site(root, tmp_path_factory.mktemp("log") / "requests.jsonl") as running:
        yield running


# Written by hand with literal braces: Hugo runs its shortcodes, which shows that the
# assertions on the crawled posts would notice a shortcode that ran.
CONTROL_PATH = "control/literal.html"
CONTROL = "---\ntitle: Control title\ndate: 2024-07-09T10:00:00+08:00\n---\n<p>Says {{< param title >}}.</p>\n"


@pytest.fixture(scope="module")
def hugo_crawl(site: LocalSite, tmp_path_factory: pytest.TempPathFactory) -> tuple[CrawlResult, Path, dict[str, BuiltPage]]:
    require_hugo()
    work = tmp_path_factory.mktemp("hugo")
    result, out = crawl_formats(site, work, settings={"MIRROR_FORMAT": "hugo"})
    assert len(result.items) == len(ARTICLES), result.log[-3000:]
    return result, out, hugo_build(out, work / "site", extra={CONTROL_PATH: CONTROL})


def test_every_post_is_an_html_content_file_and_the_index_names_its_format(
    hugo_crawl: tuple[CrawlResult, Path, dict[str, BuiltPage]],
) -> None:
    result, out, _ = hugo_crawl
    written = sorted(path.relative_to(out).as_posix() for path in out.rglob("*") if path.is_file())
    assert written == sorted(item["post_path"] for item in result.items)
    for item in result.items:
        assert item["post_path"].endswith(".html") and item["format"] == "hugo"
        assert item["post_path"].startswith("News & Views/x_ y/")  # the path template's folders


def test_hugo_reads_title_date_author_categories_and_lead_image(
    hugo_crawl: tuple[CrawlResult, Path, dict[str, BuiltPage]],
) -> None:
    result, out, pages = hugo_crawl
    items = by_url(result)
    posts = set(pages) - {CONTROL_PATH}
    assert posts == {item["post_path"] for item in result.items}, "Hugo must render every post, and only those"
    for article in ARTICLES:
        item = items[article.url]
        data = (out / item["post_path"]).read_bytes()
        front = split(data)[0]
        meta = pages[item["post_path"]].meta
        assert meta["title"] == front["title"] == item["title"] == article.title, article.name
        assert meta["author"] == front["author"] == item["author"] == article.author, article.name
        assert meta["categories"] == front["categories"] == CATEGORIES, article.name
        # RFC 3339 in the article's own zone; Hugo reads the same instant and offset.
        assert isinstance(front["date"], datetime)
        assert datetime.fromisoformat(meta["date"]) == front["date"] == datetime.fromisoformat(item["date"])
        written = datetime.fromisoformat(item["date"])
        assert datetime.fromisoformat(meta["date"]).utcoffset() == written.utcoffset(), "Hugo keeps the offset"
        if item["lead_image"]:
            assert meta["images"] == front["images"] == [item["lead_image"]]
            assert meta["featured_image"] == item["lead_image"]
    assert items[ARTICLES[0].url]["lead_image"] == f"http://{HOST}/lead.jpg"


def test_the_rendered_page_holds_the_whole_body(hugo_crawl: tuple[CrawlResult, Path, dict[str, BuiltPage]]) -> None:
    result, out, pages = hugo_crawl
    for item in result.items:
        page = pages[item["post_path"]]
        assert "raw HTML omitted" not in page.content_html
        body_text = text_of(body_of((out / item["post_path"]).read_bytes()))
        assert body_text and text_of(page.content_html) == body_text, item["url"]
    plain = pages[by_url(result)[ARTICLES[0].url]["post_path"]]
    assert "<figure>" in plain.content_html and "The quay" in plain.content_html


def test_no_shortcode_or_template_runs_and_nothing_active_gets_through(
    hugo_crawl: tuple[CrawlResult, Path, dict[str, BuiltPage]],
) -> None:
    result, _, pages = hugo_crawl
    assert text_of(pages[CONTROL_PATH].content_html) == "Says Control title."
    items = by_url(result)
    templates = pages[items[ARTICLES[1].url]["post_path"]]
    text = text_of(templates.content_html)
    # Had {{< param title >}} run, the page would print the title; it prints the shortcode.
    assert 'Hugo {{< param title >}} and {{% param "title" %}} and {{</* comment */>}}.' in text
    assert "{{ site.time }}" in text and "{% include nosuch.html %}" in text and "{{ 7*7 }}" in text
    assert "49" not in text
    active = pages[items[ARTICLES[2].url]["post_path"]]
    for page in (pages[item["post_path"]] for item in result.items):
        assert active_parts(page.content_html) == [], page.source
        assert "alert(" not in page.content_html
    assert "Paragraph with a handler." in active.content_html


def test_switching_from_hexo_to_hugo_moves_and_rewrites_nothing(site: LocalSite, tmp_path: Path) -> None:
    require_hugo()
    plain, templates, *_ = ARTICLES
    out = tmp_path / "mirror"
    first, _ = crawl_formats(site, tmp_path / "hexo", urls=[plain.url], mirror=out)
    [hexo_item] = first.items
    assert hexo_item["format"] == "hexo" and hexo_item["post_path"].endswith(".md")
    before = read_tree(out)

    # A cron run in the new format: the known article is not fetched again, the new one is Hugo's.
    second, _ = crawl_formats(site, tmp_path / "hugo", urls=[plain.url, templates.url], mirror=out,
                              settings={"MIRROR_FORMAT": "hugo"})  # fmt: skip
    [hugo_item] = second.items
    assert hugo_item["url"] == templates.url and hugo_item["format"] == "hugo"
    after = read_tree(out)
    assert {path: after[path] for path in before} == before, "the Hexo post is untouched, byte for byte"
    assert set(after) - set(before) == {hugo_item["post_path"]}, "no second post of the known article"

    # Even fetched again (a refresh), the Hexo post stays where and as it is, and the log says why.
    third, _ = crawl_formats(site, tmp_path / "refresh", urls=[plain.url], mirror=out,
                             settings={"MIRROR_FORMAT": "hugo", "MIRROR_REFRESH_DAYS": "100000"})  # fmt: skip
    [kept] = third.items
    assert kept["status"] == "other-format" and kept["format"] == "hexo" and kept["post_path"] == hexo_item["post_path"]
    assert f"Post {hexo_item['post_path']} is kept as it is: it was written in the hexo format, this run writes hugo" in third.log
    assert read_tree(out) == after


def test_with_images_each_post_is_a_page_bundle(site: LocalSite, tmp_path: Path) -> None:
    require_hugo()
    plain = ARTICLES[0]
    settings = {"MIRROR_FORMAT": "hugo", "MIRROR_IMAGES": "True"}
    result, out = crawl_formats(site, tmp_path, urls=[plain.url], settings=settings)
    [item] = result.items
    assert item["post_path"] == f"News & Views/x_ y/{plain.title}/index.html"
    bundle = (out / item["post_path"]).parent
    [image] = [path.name for path in bundle.iterdir() if path.name != "index.html"]
    front = split((out / item["post_path"]).read_bytes())[0]
    assert front["images"] == [image] and front["featured_image"] == image
    page = hugo_build(out, tmp_path / "site")[item["post_path"]]
    assert page.meta["resources"] == [image], "Hugo sees the image as the bundle's own resource"
    assert f'src="{image}"' in page.content_html
    built = tmp_path / "site" / "public"
    assert [path for path in built.rglob(image)], "Hugo publishes the image beside the page"


def test_front_matter_reads_back_as_written_in_hugo(tmp_path: Path) -> None:
    require_hugo()
    posts, written = tmp_path / "posts", {}
    hugo = get_format("hugo", path_template=DEFAULT_PATH_TEMPLATE)

    @settings(max_examples=60, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(title=remote_text, author=remote_text, categories=st.lists(remote_text, min_size=1, max_size=3))
    def write_one(title: str, author: str, categories: list[str]) -> None:
        name = f"p{len(written):04d}.html"
        post = Post(title=title, categories=tuple(categories), author=author, date=WHEN, body_html="<p>x</p>")
        (posts / name).parent.mkdir(parents=True, exist_ok=True)
        (posts / name).write_bytes(hugo.render(post))
        written[name] = (fold_text(title), fold_text(author), [fold_text(category) for category in categories])

    write_one()
    pages = hugo_build(posts, tmp_path / "site")
    assert set(pages) == set(written)
    for name, (title, author, categories) in written.items():
        meta = pages[name].meta
        assert (meta["title"], meta["author"], meta["categories"]) == (title, author, categories), name
        assert datetime.fromisoformat(meta["date"]) == WHEN
