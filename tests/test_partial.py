"""Teasers and paywalls (issue 16): a body that is only part of its article is said to be partial.

The signs offline first, then ``scrapy crawl feed`` against the loopback server: with
``MIRROR_PARTIAL=keep`` every article is posted and the index and the run report say
which are partial and why; with ``skip`` those get no post.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsmirror.teasers import WALL_WINDOW, _folded, _folded_tail, subscription_wall, teaser_reason
from tests.support.crawl import run_crawl
from tests.support.localsite import LocalSite, running_site
from tests.test_duplicates import paragraphs

FEED_HOST = "feeds.example.com"
NEWS_HOST = "news.example.com"
FULL = paragraphs(11, 8)


def page(title: str, body: list[str], *, json_ld: str = "") -> bytes:
    text = "".join(f"<p>{paragraph}</p>" for paragraph in body)
    script = f"<script type='application/ld+json'>{json_ld}</script>" if json_ld else ""
    return (
        f"<html><head><meta charset='utf-8'><title>{title}</title>{script}</head>"
        f"<body><h1>{title}</h1><article>{text}</article></body></html>"
    ).encode()


# (path, feed content or None, page): the feed's item for each page, and what it should be called.
ARTICLES = {
    "paywall.html": (
        "A summary.",
        page("Paywalled story", FULL, json_ld='{"@type": "NewsArticle", "headline": "Paywalled story", '
             '"isAccessibleForFree": "False", "hasPart": {"@type": "WebPageElement", "isAccessibleForFree": false}}'),
        "isAccessibleForFree",
    ),
    "shorter.html": ("".join(f"<p>{paragraph}</p>" for paragraph in FULL), page("Teaser of the feed", FULL[:1]), "much shorter than the feed's"),
    "wall.html": (None, page("Wall story", [*FULL[:2], "Subscribe to continue reading."]), "subscription wall"),
    "wall-zh.html": (None, page("付费文章", ["国家统计局今天发布数据显示，十一月份全国居民消费价格同比上涨。", "剩余内容请订阅后阅读全文"]), "subscription wall"),
    "short.html": (None, page("A short note", FULL[:1]), None),  # short, no feed text, no wall: whole
    "whole.html": ("A summary.", page("A whole story", FULL), None),
}


def test_a_wall_counts_only_where_the_body_ends() -> None:
    body = " ".join(FULL)
    assert subscription_wall(body + " Already a subscriber? Log in") == "Already a subscriber? Log in"
    assert subscription_wall(body + " Ｓｕｂｓｃｒｉｂｅ to continue reading.") is not None  # full-width letters
    assert subscription_wall("Subscribe to continue reading. " + body) is None  # a promo at the top is no wall
    assert subscription_wall(body + " Il vous reste 80 % de cet article à lire.") is not None


def test_a_feed_summary_is_no_evidence_and_a_feed_without_content_is_none() -> None:
    assert teaser_reason(FULL[0], "A summary of it.") is None  # the page is longer than a summary: whole
    assert teaser_reason(FULL[0], None) is None
    assert teaser_reason(FULL[0], "") is None
    assert "much shorter" in (teaser_reason(FULL[0], " ".join(FULL)) or "")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSite]:
    root = tmp_path_factory.mktemp("site")
    entries = ""
    for number, (path, (content, body, _)) in enumerate(ARTICLES.items(), 1):
        description = f"<description><![CDATA[{content}]]></description>" if content else ""
        entries += (
            f"<item><title>Item {number}</title><link>http://{NEWS_HOST}/{path}</link>"
            f"<pubDate>Mon, 0{number} Jul 2024 08:00:00 GMT</pubDate>{description}</item>"
        )
        (root / NEWS_HOST).mkdir(exist_ok=True)
        (root / NEWS_HOST / path).write_bytes(body)
    feed = f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Teasers</title>{entries}</channel></rss>'
    (root / FEED_HOST).mkdir()
    (root / FEED_HOST / "teasers.xml").write_text(feed, encoding="utf-8")
    with running_site(root, tmp_path_factory.mktemp("log") / "requests.jsonl") as running:
        yield running


def crawl(site: LocalSite, tmp_path: Path, policy: str):
    out = tmp_path / "mirror"
    result = run_crawl(
        "feed",
        "-a",
        f"url=http://{FEED_HOST}/teasers.xml",
        env=site.proxy_env(),
        settings={"MIRROR_DIR": str(out), "MIRROR_PARTIAL": policy, "MIRROR_REPORT": str(tmp_path / "report.json")},
        index=tmp_path / "index.jsonl",
    )
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))["sources"][0]
    return {item["url"].rsplit("/", 1)[1]: item for item in result.items}, report, out


def test_keep_posts_every_article_and_the_index_and_report_say_which_are_partial(site: LocalSite, tmp_path: Path) -> None:
    items, report, out = crawl(site, tmp_path, "keep")
    assert set(items) == set(ARTICLES)
    for path, (_, _, sign) in ARTICLES.items():
        item = items[path]
        assert item["status"] == "new" and (out / item["post_path"]).is_file()
        if sign is None:
            assert item["partial"] is None, path
        else:
            assert sign in (item["partial"] or ""), (path, item["partial"])
    assert sorted(entry["url"].rsplit("/", 1)[1] for entry in report["partial"]) == sorted(
        path for path, (_, _, sign) in ARTICLES.items() if sign
    )
    assert all(entry["posted"] for entry in report["partial"])


def test_skip_writes_no_post_for_a_partial_article(site: LocalSite, tmp_path: Path) -> None:
    items, report, out = crawl(site, tmp_path, "skip")
    partial = {path for path, (_, _, sign) in ARTICLES.items() if sign}
    for path, item in items.items():
        if path in partial:
            assert (item["status"], item["post_path"]) == ("partial", None), path
        else:
            assert item["status"] == "new" and (out / item["post_path"]).is_file()
    assert len(list(out.rglob("*.md"))) == len(ARTICLES) - len(partial)
    assert report["posts"] == {"new": len(ARTICLES) - len(partial), "partial": len(partial)}
    assert not any(entry["posted"] for entry in report["partial"])


TAIL_PIECES = ["word", "中文内容，", "Ｓｕｂ", " ", "\xa0", "\u3000", "\n", "e\u0301", "\u0301", "\u00a8", "\ufdfa",
               "\u1100\u1161", "\u11a8", "ﬁ", "① ", "Subscribe to continue reading."]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(TAIL_PIECES), min_size=350, max_size=600))
def test_the_folded_tail_is_the_tail_of_the_whole_fold(pieces: list[str]) -> None:
    """Folding only the end of a body gives exactly the last window of folding all of it."""
    text = "".join(pieces)
    assert _folded_tail(text) == _folded(text)[-WALL_WINDOW:]
