"""News sitemaps: the reader offline, then ``scrapy crawl sitemap`` from a robots.txt through a gzipped index."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from newsmirror.sitemaps import SitemapError, decompress, read_sitemap, robots_sitemaps
from tests.support.crawl import run_crawl
from tests.support.localsite import LocalSite, running_site
from tests.support.pages import article_page
from tests.support.posts import check_posts, split_post

HOST = "news.example.com"
NOW = datetime.now(timezone.utc).replace(microsecond=0)


def w3c(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def news_sitemap(entries: list[tuple[str, datetime | None, str | None, datetime | None]]) -> bytes:
    """A urlset; each entry is (path, lastmod, news:title, news:publication_date)."""
    parts = []
    for path, lastmod, title, published in entries:
        news = ""
        if title or published:
            news = (
                "<news:news><news:publication><news:name>Example</news:name><news:language>en</news:language>"
                "</news:publication>"
                + (f"<news:publication_date>{w3c(published)}</news:publication_date>" if published else "")
                + (f"<news:title>{title}</news:title>" if title else "")
                + "</news:news>"
            )
        lastmod_tag = f"<lastmod>{w3c(lastmod)}</lastmod>" if lastmod else ""
        parts.append(f"<url><loc>http://{HOST}/{path}</loc>{lastmod_tag}{news}</url>")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">' + "".join(parts) + "</urlset>"
    ).encode()


def sitemap_index(entries: list[tuple[str, datetime]]) -> bytes:
    items = "".join(f"<sitemap><loc>http://{HOST}/{path}</loc><lastmod>{w3c(when)}</lastmod></sitemap>" for path, when in entries)
    return (
        '<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        + items + "</sitemapindex>"
    ).encode()  # fmt: skip


# --- the reader, offline --------------------------------------------------------------------


def test_news_entries_keep_their_title_and_publication_date() -> None:
    published = datetime(2024, 7, 9, 10, 0, tzinfo=timezone(timedelta(hours=8)))
    body = news_sitemap([("a.html", NOW, "Harbour &amp; quay reopen", published), ("b.html", None, None, None)])
    sitemap = read_sitemap(body, timezone.utc)
    assert not sitemap.is_index
    first, second = sitemap.entries
    assert (first.url, first.news_title, first.news_date, first.lastmod) == (f"http://{HOST}/a.html", "Harbour & quay reopen", published, NOW)
    assert first.news_date.utcoffset() == timedelta(hours=8)  # type: ignore[union-attr]
    assert (second.news_title, second.news_date, second.lastmod) == (None, None, None)


def test_an_index_lists_its_sitemaps() -> None:
    sitemap = read_sitemap(sitemap_index([("one.xml.gz", NOW)]), timezone.utc)
    assert sitemap.is_index and [entry.url for entry in sitemap.entries] == [f"http://{HOST}/one.xml.gz"]


def test_gzip_is_read_and_capped() -> None:
    body = news_sitemap([("a.html", NOW, "A", NOW)])
    assert decompress(gzip.compress(body), max_size=10_000) == body
    assert decompress(body, max_size=10) == body  # not gzip: untouched
    bomb = gzip.compress(b"<urlset>" + b" " * 2_000_000 + b"</urlset>")
    with pytest.raises(SitemapError, match="larger than 100000 bytes once decompressed"):
        decompress(bomb, max_size=100_000)
    with pytest.raises(SitemapError, match="broken gzip"):
        decompress(b"\x1f\x8b\x08\x00garbage", max_size=0)


@pytest.mark.parametrize(
    ("body", "message"),
    [(b"<html><body>not a sitemap</body></html>", "root element <html>"), (b"", "not XML"), (b"\x00\x01", "not XML")],
)
def test_what_is_not_a_sitemap_is_a_clear_error(body: bytes, message: str) -> None:
    with pytest.raises(SitemapError, match=message):
        read_sitemap(body, timezone.utc)


def test_entities_are_never_expanded() -> None:
    body = (
        b'<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>http://a.example/&x;</loc></url></urlset>'
    )
    entries = read_sitemap(body, timezone.utc).entries
    assert [entry.url for entry in entries] == ["http://a.example/"]  # the entity read as nothing


def test_robots_txt_sitemap_lines() -> None:
    robots = b"User-agent: *\nDisallow: /private\nSitemap: http://a.example/one.xml\nsitemap:   http://a.example/two.xml.gz  \n"
    assert robots_sitemaps(robots) == ["http://a.example/one.xml", "http://a.example/two.xml.gz"]


# --- crawl ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSite]:
    root = tmp_path_factory.mktemp("site") / HOST
    root.mkdir()
    fresh, yesterday, old = NOW - timedelta(hours=1), NOW - timedelta(days=1), NOW - timedelta(days=10)
    files = {
        "robots.txt": f"User-agent: *\nAllow: /\nSitemap: http://{HOST}/sitemap-index.xml.gz\n".encode(),
        "sitemap-index.xml.gz": gzip.compress(sitemap_index([("news-1.xml.gz", NOW), ("archive-2010.xml", old)])),
        "news-1.xml.gz": gzip.compress(news_sitemap([
            ("fresh.html", fresh, "Sitemap headline wins", fresh),
            ("yesterday.html", yesterday, None, None),
            ("old.html", old, "Too old", old),
        ])),  # fmt: skip
        "archive-2010.xml": news_sitemap([("archived.html", old, None, None)]),
        "fresh.html": article_page("Page headline", w3c(fresh - timedelta(minutes=5)), "Fresh article body."),
        "yesterday.html": article_page("Yesterday's news", w3c(yesterday), "Yesterday's article body."),
        "old.html": article_page("Too old", w3c(old), "Old article body."),
        "archived.html": article_page("Archived", w3c(old), "Archived body."),
    }
    for name, body in files.items():
        (root / name).write_bytes(body)
    with running_site(root.parent, tmp_path_factory.mktemp("log") / "requests.jsonl") as running:
        yield running


def test_sitemap_crawl_from_robots_txt_through_a_gzipped_news_index(site: LocalSite, tmp_path: Path) -> None:
    out = tmp_path / "mirror"
    result = run_crawl(
        "sitemap",
        "-a", f"url=http://{HOST}/robots.txt", "-a", "since=2d", "-a", "categories=News",
        env=site.proxy_env(),
        settings={"MIRROR_DIR": str(out)},
        index=tmp_path / "index.jsonl",
    )  # fmt: skip
    by_url = {item["url"]: item for item in result.items}
    assert set(by_url) == {f"http://{HOST}/fresh.html", f"http://{HOST}/yesterday.html"}
    fresh = by_url[f"http://{HOST}/fresh.html"]
    # news:title and news:publication_date win over the page's.
    assert fresh["title"] == "Sitemap headline wins"
    assert datetime.fromisoformat(fresh["date"]) == NOW - timedelta(hours=1)
    assert by_url[f"http://{HOST}/yesterday.html"]["title"] == "Yesterday's news"
    front, body = split_post((out / fresh["post_path"]).read_bytes())
    assert front["categories"] == ["News"] and "Fresh article body." in body
    # Entries and whole sitemaps older than the window are never fetched.
    fetched = {request["path"] for request in site.requests()}
    assert {"/sitemap-index.xml.gz", "/news-1.xml.gz"} <= fetched
    assert not fetched & {"/old.html", "/archive-2010.xml", "/archived.html"}
    assert result.stat("newsmirror/sitemap/older_than_since") == 1
    check_posts(out, result.items)


def test_a_sitemap_that_is_not_one_fails_the_source_clearly(site: LocalSite, tmp_path: Path) -> None:
    result = run_crawl(
        "sitemap", "-a", f"url=http://{HOST}/fresh.html", env=site.proxy_env(), settings={"MIRROR_DIR": str(tmp_path / "m")}
    )
    assert f"Source http://{HOST}/fresh.html failed: http://{HOST}/fresh.html: sitemap unreadable: not a sitemap (root element <html>)" in result.log


@pytest.mark.parametrize(
    ("args", "message"),
    [((), "give the sitemap or robots.txt URL"), (("-a", "url=http://a.example/s.xml", "-a", "since=yesterday"), "since: not a time window")],
)
def test_bad_sitemap_arguments_fail_before_any_request(args: tuple[str, ...], message: str, tmp_path: Path) -> None:
    result = run_crawl("sitemap", *args, settings={"MIRROR_DIR": str(tmp_path / "m")}, check=False)
    assert result.returncode != 0 and message in result.log
