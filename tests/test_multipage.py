"""Multi-page articles (issue 16): ``MIRROR_JOIN_PAGES`` joins an article's pages into one post, in order.

Real crawls against the loopback server: ``rel="next"``, a ``下一页`` anchor and
``?page=2`` links are followed; a next page on another host and a loop are refused with
a logged reason; ``MIRROR_MAX_PAGES`` caps the pages (the article is then partial); a page
that fails fails the whole article. Off (the default), each post is its first page.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse

from newsmirror.spiders.pages import continues, next_page_candidates, next_page_link
from tests.support.crawl import read_tree, run_crawl
from tests.support.localsite import LocalSite, running_site
from tests.support.posts import split_post

HOST = "pages.example.com"
OTHER = "elsewhere.example.net"


def page(title: str, text: str, links: str = "") -> bytes:
    return (
        f"<html><head><meta charset='utf-8'><title>{title}</title>"
        "<meta property='article:published_time' content='2024-07-01T08:00:00Z'></head>"
        f"<body><h1>{title}</h1><article><p>{text}</p></article>{links}"
        "<a href='/other-story.html' rel='next'>Next story</a></body></html>"
    ).encode()


FILES = {
    # rel=next in <head>, three pages
    "story.html": page("Bridge", "Page one of the bridge story.", ""),
    "story.html?page=2": page("Bridge", "Page two of the bridge story.", ""),
    "story.html?page=3": page("Bridge", "Page three of the bridge story."),
    # a 下一页 anchor
    "zh/doc.html": page("大桥", "第一页的内容。", "<a href='/zh/doc_2.html'>下一页</a>"),
    "zh/doc_2.html": page("大桥", "第二页的内容。"),
    # page 2 on another host
    "away.html": page("Away", "Only page of away.", f"<a href='http://{OTHER}/away_2.html'>Next page</a>"),
    # a loop: page 2 names page 1 as next
    "loop.html": page("Loop", "Loop page one.", "<a href='/loop.html?page=2'>2</a>"),
    "loop.html?page=2": page("Loop", "Loop page two.", "<a href='/loop.html'>Next page</a>"),
    # only a site rule knows page 2: "Continue" is no next-page marker, and the path does not extend
    "ruled.html": page("Ruled", "Ruled page one.", "<a class='more' href='/r2/part.html'>Continue</a>"),
    "r2/part.html": page("Ruled", "Ruled page two."),
    # page 2 is missing: the whole article fails
    "broken.html": page("Broken", "Broken page one.", "<a href='/broken_2.html'>Next page</a>"),
}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSite]:
    root = tmp_path_factory.mktemp("site")
    for name, body in FILES.items():
        path = root / HOST / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
    # rel=next links in <head> for the three-page story (the files above are the bodies).
    for name, target in (("story.html", "/story.html?page=2"), ("story.html?page=2", "/story.html?page=3")):
        path = root / HOST / name
        path.write_bytes(path.read_bytes().replace(b"</head>", f"<link rel='next' href='{target}'></head>".encode()))
    (root / OTHER).mkdir()
    (root / OTHER / "away_2.html").write_bytes(page("Away", "Another host's page."))
    with running_site(root, tmp_path_factory.mktemp("log") / "requests.jsonl") as running:
        yield running


def test_next_page_links_are_found_and_a_next_article_is_not_a_next_page() -> None:
    def response(url: str, body: bytes) -> HtmlResponse:
        return HtmlResponse(url, body=body, encoding="utf-8")

    first = f"http://{HOST}/zh/doc.html"
    assert next_page_link(response(first, FILES["zh/doc.html"]), first) == f"http://{HOST}/zh/doc_2.html"
    loop = f"http://{HOST}/loop.html"
    assert next_page_link(response(loop, FILES["loop.html"]), loop) == f"http://{HOST}/loop.html?page=2"
    # Every page carries a rel=next "Next story" link: a candidate, passed over as not extending the path.
    last = response(f"http://{HOST}/zh/doc_2.html", FILES["zh/doc_2.html"])
    assert next_page_candidates(last) == [f"http://{HOST}/other-story.html"] and next_page_link(last, first) is None
    assert continues(f"http://{HOST}/a/story.html", f"http://{HOST}/a/story/2")


def crawl(site: LocalSite, tmp_path: Path, *names: str, **settings: str):
    out = tmp_path / "mirror"
    result = run_crawl(
        "article",
        "-a",
        "url=" + ",".join(f"http://{HOST}/{name}" for name in names),
        env=site.proxy_env(),
        settings={"MIRROR_DIR": str(out), "MIRROR_JOIN_PAGES": "True", "MIRROR_REPORT": str(tmp_path / "r.json"), **settings},
        index=tmp_path / "index.jsonl",
    )
    return result, {item["url"].split("/", 3)[3]: item for item in result.items}, out


def body_of(out: Path, item: dict) -> str:
    return split_post((out / item["post_path"]).read_bytes())[1]


def test_pages_are_joined_in_order(site: LocalSite, tmp_path: Path) -> None:
    result, items, out = crawl(site, tmp_path, "story.html", "zh/doc.html")
    body = body_of(out, items["story.html"])
    assert body.index("Page one") < body.index("Page two") < body.index("Page three")
    zh = body_of(out, items["zh/doc.html"])
    assert zh.index("第一页") < zh.index("第二页")
    assert items["story.html"]["partial"] is None
    assert result.stat("newsmirror/pages/joined") == 3


def test_off_by_default_each_post_is_its_first_page(site: LocalSite, tmp_path: Path) -> None:
    _, items, out = crawl(site, tmp_path, "story.html", MIRROR_JOIN_PAGES="False")
    assert "Page one" in body_of(out, items["story.html"]) and "Page two" not in body_of(out, items["story.html"])


def test_another_host_and_a_loop_are_refused_with_a_reason(site: LocalSite, tmp_path: Path) -> None:
    since = len(site.requests())
    result, items, out = crawl(site, tmp_path, "away.html", "loop.html")
    assert f"Next page of http://{HOST}/away.html refused: http://{OTHER}/away_2.html is on another host" in result.log
    assert not [entry for entry in site.requests()[since:] if entry["host"] == OTHER]
    assert "Another host" not in body_of(out, items["away.html"])
    assert "(a loop)" in result.log
    loop = body_of(out, items["loop.html"])
    assert loop.count("Loop page one") == 1 and "Loop page two" in loop


def test_max_pages_joins_that_many_and_says_partial(site: LocalSite, tmp_path: Path) -> None:
    _, items, out = crawl(site, tmp_path, "story.html", MIRROR_MAX_PAGES="2")
    body = body_of(out, items["story.html"])
    assert "Page two" in body and "Page three" not in body
    assert "MIRROR_MAX_PAGES=2" in (items["story.html"]["partial"] or "")


def test_a_page_that_fails_fails_the_whole_article(site: LocalSite, tmp_path: Path) -> None:
    result, items, out = crawl(site, tmp_path, "broken.html", "zh/doc.html")
    assert "broken.html" not in items and not [name for name in read_tree(out) if "Broken" in name]
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    (failure,) = report["sources"][0]["failures"]
    assert failure["url"] == f"http://{HOST}/broken.html"
    assert failure["reason"].startswith(f"page 2 (http://{HOST}/broken_2.html) failed: HTTP 404")
    assert "zh/doc.html" in items  # the run goes on


def test_a_site_rules_next_page_link_joins_pages_without_mirror_join_pages(site: LocalSite, tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / f"{HOST}.txt").write_text("next_page_link: //a[@class='more']\n", encoding="utf-8")
    _, items, out = crawl(site, tmp_path, "ruled.html", MIRROR_JOIN_PAGES="False", MIRROR_SITE_RULES=str(rules))
    body = body_of(out, items["ruled.html"])
    assert body.index("Ruled page one") < body.index("Ruled page two")
    _, items, out = crawl(site, tmp_path / "plain", "ruled.html", MIRROR_JOIN_PAGES="True")
    assert "Ruled page two" not in body_of(out, items["ruled.html"])  # no marker the generic rules know
