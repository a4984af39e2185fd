"""Feeds: the reader offline (our fixtures and the corpus's real feeds), then ``scrapy crawl feed``.

The crawls run the real engine against the loopback server, which serves the feeds on
feeds.example.com and the article pages on news.example.com.
"""

from __future__ import annotations

import json
import time
import tracemalloc
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from newsmirror.feeds import FeedError, read_feed
from tests.support.crawl import read_tree, run_crawl
from tests.support.feedfixtures import (
    ALL_FEEDS,
    ATOM_10,
    FEED_HOST,
    JSON_FEED,
    MISSING_PUBDATE,
    NOT_A_FEED,
    RSS_091,
    RSS_20_CONTENT_ENCODED,
    RSSHUB,
    FeedFixture,
)
from tests.support.localsite import LocalSite, running_site
from tests.support.posts import check_posts, split_post

NEWS_HOST = "news.example.com"
LONG_FEED = 30


def utc(moment: datetime | None) -> str | None:
    return moment.astimezone(timezone.utc).isoformat() if moment is not None else None


def utc_of(value: str) -> str:
    return datetime.fromisoformat(value).astimezone(timezone.utc).isoformat()


# --- the reader, offline ----------------------------------------------------------------


@pytest.mark.parametrize("fixture", ALL_FEEDS, ids=lambda fixture: fixture.name)
def test_each_written_feed_reads_to_its_items(fixture: FeedFixture) -> None:
    feed = read_feed(fixture.body, fixture.url, fixture.content_type)
    assert (feed.title, feed.format) == (fixture.title, fixture.format)
    assert [(entry.text_title, entry.link, utc(entry.date)) for entry in feed.entries] == [
        item[:3] for item in fixture.items
    ]
    for entry, item in zip(feed.entries, fixture.items, strict=True):
        assert item[3] in (entry.content_html or "")


def test_reader_keeps_offsets_authors_and_relative_links() -> None:
    entry = read_feed(RSS_20_CONTENT_ENCODED.body, RSS_20_CONTENT_ENCODED.url, "application/rss+xml").entries[0]
    assert entry.author == "Grace Hopper"
    # Left for the clean pipeline, which resolves it against the article's URL, not the feed's.
    assert 'href="/rss20/more.html"' in (entry.content_html or "")
    atom = read_feed(ATOM_10.body, ATOM_10.url).entries[0]
    assert atom.date is not None and atom.date.utcoffset().total_seconds() == 7200  # type: ignore[union-attr]
    assert atom.date_raw == "2024-05-01T10:00:00+02:00" and atom.author == "Tim Bray"
    assert read_feed(JSON_FEED.body, JSON_FEED.url, JSON_FEED.content_type).entries[0].author == "Manton Reece"


def test_naive_feed_dates_are_read_in_the_given_zone() -> None:
    body = RSS_20_CONTENT_ENCODED.body.replace(b"Tue, 29 Mar 2022 11:47:10 GMT", b"2022-03-29 19:47:10")
    entry = read_feed(body, RSS_20_CONTENT_ENCODED.url, zone=ZoneInfo("Asia/Shanghai")).entries[0]
    assert entry.date == datetime(2022, 3, 29, 19, 47, 10, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert utc(entry.date) == "2022-03-29T11:47:10+00:00"


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (NOT_A_FEED, "text/html", "not a feed"),
        (b"", "application/xml", "not a feed"),
        (b'{"version": "https://jsonfeed.org/version/1.1", "items": [', "application/feed+json", "invalid JSON"),
        (b'{"title": "no version"}', "application/json", "no jsonfeed.org version"),
    ],
)
def test_what_is_not_a_feed_is_a_clear_error(body: bytes, content_type: str, message: str) -> None:
    with pytest.raises(FeedError, match=message):
        read_feed(body, "http://feeds.example.com/x", content_type)


def test_real_feeds_of_the_corpus_read_to_their_expected_data(corpus: Path) -> None:
    cases = sorted((corpus / "pages" / "feeds").iterdir())
    assert len(cases) >= 10
    for case in cases:
        meta = json.loads((case / "case.json").read_text(encoding="utf-8"))
        expected = meta["expected"]
        feed = read_feed((case / meta["body_file"]).read_bytes(), meta["url"] or "http://feeds.example.com/")
        assert (feed.title, feed.link, feed.format) == (
            expected["feed_title"], expected["feed_link"], expected["format"]
        ), case.name  # fmt: skip
        assert len(feed.entries) == expected["item_count"], case.name
        got = [
            (entry.title, entry.link, entry.date_raw, utc(entry.date).replace("+00:00", "Z") if entry.date else None)
            for entry in feed.entries
        ]
        want = [(item["title"], item["link"], item["date_raw"], item["date_utc"]) for item in expected["items"]]
        assert got == want, case.name


def test_a_feed_read_in_chunks_reads_exactly_as_whole(corpus: Path) -> None:
    # Large feeds are read a chunk of items at a time; forced on every feed here
    # (chunked_over=0), each must give the very same Feed, field by field.
    bodies = [(fixture.body, fixture.url, fixture.content_type) for fixture in ALL_FEEDS]
    for case in sorted((corpus / "pages" / "feeds").iterdir()):
        meta = json.loads((case / "case.json").read_text(encoding="utf-8"))
        bodies.append(((case / meta["body_file"]).read_bytes(), meta["url"] or "http://feeds.example.com/", ""))
    for body, url, content_type in bodies:
        assert read_feed(body, url, content_type, chunked_over=0) == read_feed(body, url, content_type), url


def test_a_large_feed_is_read_without_holding_it_whole() -> None:
    # feedparser holds a dict per element of the whole document: its peak grows with
    # the feed. Streamed in chunks, the peak is the entries plus one chunk.
    items = "".join(
        f"<item><title>Item {n} of a long day</title><link>http://{NEWS_HOST}/big/{n}.html</link>"
        f"<pubDate>Mon, 01 Jul 2024 08:00:00 GMT</pubDate><description>Summary {n}.</description></item>"
        for n in range(6000)
    )
    body = f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Big</title>{items}</channel></rss>'.encode()
    peaks = []
    for chunked_over in (len(body), len(body) - 1):  # whole, then in chunks
        tracemalloc.start()
        feed = read_feed(body, "http://feeds.example.com/big.xml", "application/rss+xml", chunked_over=chunked_over)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        assert len(feed.entries) == 6000 and feed.entries[-1].link == f"http://{NEWS_HOST}/big/5999.html"
    whole, chunked = peaks
    assert chunked < whole / 2, peaks


def test_titles_written_as_html_become_text_for_posts(corpus: Path) -> None:
    # The corpus keeps feedparser's title; the post gets the text a reader of the feed saw.
    body = (corpus / "pages" / "feeds" / "rssparser-craigslist" / "body.xml").read_bytes()
    entry = read_feed(body, "http://feeds.example.com/").entries[0]
    assert entry.title.endswith("&#x0024;4300 3bd 1930ft<sup>2</sup>")  # type: ignore[union-attr]
    assert entry.text_title.endswith("(oakland north / temescal) $4300 3bd 1930ft2")  # type: ignore[union-attr]


def test_feedburner_wrapped_links_go_to_the_original_article(corpus: Path) -> None:
    body = (corpus / "pages" / "feeds" / "rssparser-feedburner" / "body.xml").read_bytes()
    entry = read_feed(body, "http://feeds.feedburner.com/blogspot/lQlzL").entries[0]
    assert entry.link.startswith("http://feedproxy.google.com/")  # type: ignore[union-attr]
    assert entry.article_url == "http://googleadsdeveloper.blogspot.com/2016/06/adwords-and-dfp-java-client-library.html"


# --- crawls ---------------------------------------------------------------------------------


def serve(root: Path, host: str, name: str, body: bytes, headers: str | None = None) -> str:
    """Put a file (and its header sidecar) on *host*; return its URL."""
    target = root / host / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(body)
    if headers is not None:
        Path(f"{target}.headers").write_text(headers, encoding="utf-8")
    return f"http://{host}/{name}"


def page(title: str, date: str | None, text: str, extra_head: str = "") -> bytes:
    """A minimal article page; *date* None leaves the page undated."""
    meta = f"<meta property='article:published_time' content='{date}'>" if date else ""
    return (
        f"<html><head><title>{title}</title>{meta}{extra_head}</head>"
        f"<body><h1>{title}</h1><article><p>{text}</p></article></body></html>"
    ).encode()


@pytest.fixture(scope="module")
def site_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("site")
    for fixture in ALL_FEEDS:
        serve(root, FEED_HOST, fixture.name, fixture.body, f"Content-Type: {fixture.content_type}\n")
    serve(root, FEED_HOST, "not-a-feed.html", NOT_A_FEED)
    # The fulltext feed: five items whose pages each behave differently.
    items = [
        ("Feed headline one", "page/1.html", "<pubDate>Mon, 01 Jul 2024 08:00:00 GMT</pubDate>", "Feed HTML one."),
        ("Feed headline two", "page/2.html", "", "Feed HTML two, undated item."),
        ("Feed headline three", "page/3-missing.html", "<pubDate>Wed, 03 Jul 2024 08:00:00 GMT</pubDate>", "Feed HTML three."),
        ("Feed headline four", "page/4-empty.html", "<pubDate>Thu, 04 Jul 2024 08:00:00 GMT</pubDate>", "Feed HTML four."),
        ("Feed headline five", "go/5", "<pubDate>Fri, 05 Jul 2024 08:00:00 GMT</pubDate>", "Feed HTML five."),
        ("Feed headline six", "page/6.jpg", "<pubDate>Sat, 06 Jul 2024 08:00:00 GMT</pubDate>", "Feed HTML six."),
    ]
    entries = "".join(
        f"<item><title>{title}</title><link>http://{NEWS_HOST}/{path}</link>{date}"
        f"<description><![CDATA[<p>{html}</p>]]></description></item>"
        for title, path, date, html in items
    )
    feed = f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Fulltext News</title>{entries}</channel></rss>'
    serve(root, FEED_HOST, "fulltext.xml", feed.encode(), "Content-Type: application/rss+xml\n")
    serve(root, NEWS_HOST, "page/1.html", page("Page headline one", "2024-06-30T00:00:00Z", "Page body one."))
    serve(root, NEWS_HOST, "page/2.html", page("Page headline two", "2024-07-02T09:30:00+08:00", "Page body two."))
    serve(root, NEWS_HOST, "page/6.jpg", b"\xff\xd8\xff\xe0 an image, not the article")
    serve(root, NEWS_HOST, "page/4-empty.html", b"<html><head><title>Feed headline four</title></head><body><script>app()</script></body></html>")
    # A redirector in the feed; the page names its canonical URL.
    serve(root, NEWS_HOST, "go/5", b"", "STATUS 302\nLocation: http://news.example.com/page/5.html?utm_source=feed\n")
    canonical = "<link rel='canonical' href='http://news.example.com/page/5.html'>"
    serve(root, NEWS_HOST, "page/5.html", page("Page headline five", "2024-07-05T00:00:00Z", "Page body five.", canonical))
    # A long feed, for pacing: LONG_FEED items, each with a page of its own.
    long_entries = "".join(
        f"<item><title>Long item {n}</title><link>http://{NEWS_HOST}/long/{n}.html</link>"
        f"<pubDate>Mon, 01 Jul 2024 08:{n:02d}:00 GMT</pubDate></item>"
        for n in range(LONG_FEED)
    )
    long_feed = f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Long</title>{long_entries}</channel></rss>'
    serve(root, FEED_HOST, "long.xml", long_feed.encode(), "Content-Type: application/rss+xml\n")
    for n in range(LONG_FEED):
        serve(root, NEWS_HOST, f"long/{n}.html", page(f"Long item {n}", "2024-07-01T08:00:00Z", f"Long body {n}."))
    for host in (FEED_HOST, NEWS_HOST):
        serve(root, host, "robots.txt", b"User-agent: *\nAllow: /\n")
    return root


@pytest.fixture(scope="module")
def site(site_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSite]:
    with running_site(site_root, tmp_path_factory.mktemp("log") / "requests.jsonl") as running:
        yield running


def crawl_feed(site: LocalSite, out: Path, *args: str, **kwargs: object):
    return run_crawl(
        "feed",
        *args,
        env=site.proxy_env(),
        settings={"MIRROR_DIR": str(out), **kwargs.pop("settings", {})},  # type: ignore[dict-item]
        index=out.parent / "index.jsonl",
        **kwargs,  # type: ignore[arg-type]
    )


def posts_by_url(out: Path, items: list[dict]) -> dict[str, tuple[dict, str]]:
    return {item["url"]: split_post((out / item["post_path"]).read_bytes()) for item in items}


def test_fulltext_feed_mirrors_every_format_without_fetching_pages(site: LocalSite, tmp_path: Path) -> None:
    out = tmp_path / "mirror"
    urls = ",".join(fixture.url for fixture in ALL_FEEDS)
    before = len(site.requests())
    result = crawl_feed(site, out, "-a", f"url={urls}", "-a", "fulltext=feed")
    dated = [(fixture, item) for fixture in ALL_FEEDS for item in fixture.items if item[2] is not None]
    assert sorted(item["url"] for item in result.items) == sorted(item[1] for _, item in dated)
    posts = posts_by_url(out, result.items)
    records = {item["url"]: item for item in result.items}
    for fixture, (title, link, date, snippet) in dated:
        front, body = posts[link]
        assert front["title"] == title
        assert front["categories"] == [fixture.title]
        assert utc_of(records[link]["date"]) == date
        assert snippet.replace("{", "&#123;").replace("}", "&#125;") in body, (fixture.name, body)
        assert records[link]["source"] == fixture.url
    assert posts[RSS_20_CONTENT_ENCODED.items[0][1]][0]["author"] == "Grace Hopper"
    assert 'href="http://news.example.com/rss20/more.html"' in posts[RSS_20_CONTENT_ENCODED.items[0][1]][1]
    assert posts[RSSHUB.items[0][1]][0]["headimg"] == "https://n.sinaimg.cn/finance/demo.jpg"
    # An item with no date and no page to ask: the undated rule (drop) applies, with its reason.
    assert result.stat("item_dropped_reasons_count/NoDate") == 2
    for undated in (RSS_091, MISSING_PUBDATE):
        assert f"no usable publish date in the feed item for {undated.items[0][1]}" in result.log
    assert not [request for request in site.requests()[before:] if request["host"] == NEWS_HOST]
    check_posts(out, result.items)


def test_fulltext_auto_takes_pages_and_falls_back_to_the_feed(site: LocalSite, tmp_path: Path) -> None:
    out = tmp_path / "mirror"
    result = crawl_feed(site, out, "-a", f"url=http://{FEED_HOST}/fulltext.xml", "-a", "categories=Auto,Test")
    posts = posts_by_url(out, result.items)
    one, two, three, four, five, six = (f"http://{NEWS_HOST}/{path}" for path in (
        "page/1.html", "page/2.html", "page/3-missing.html", "page/4-empty.html", "go/5", "page/6.jpg"))  # fmt: skip
    assert set(posts) == {one, two, three, four, five, six}
    # The page's body, the feed's title and date.
    assert posts[one][0]["title"] == "Feed headline one" and "Page body one." in posts[one][1]
    assert posts[one][0]["date"] == "Mon, 01 Jul 2024 08:00:00 GMT"
    # An undated item takes the page's date.
    assert posts[two][0]["date"] == "Tue, 02 Jul 2024 01:30:00 GMT"
    # No page (404), no body on the page, or no HTML page at all: the feed's HTML.
    assert "Feed HTML three." in posts[three][1] and "Feed HTML four." in posts[four][1]
    assert "Feed HTML six." in posts[six][1]
    assert "using the feed's HTML" in result.log
    # A redirector is followed; the post keys on the page's canonical URL.
    record = next(item for item in result.items if item["url"] == five)
    assert record["canonical_url"] == f"http://{NEWS_HOST}/page/5.html" and "Page body five." in posts[five][1]
    assert all(front["categories"] == ["Auto", "Test"] for front, _ in posts.values())
    check_posts(out, result.items)


def test_fulltext_page_never_uses_the_feed_html(site: LocalSite, tmp_path: Path) -> None:
    out = tmp_path / "mirror"
    result = crawl_feed(site, out, "-a", f"url=http://{FEED_HOST}/fulltext.xml", "-a", "fulltext=page")
    urls = {item["url"] for item in result.items}
    assert urls == {f"http://{NEWS_HOST}/page/1.html", f"http://{NEWS_HOST}/page/2.html", f"http://{NEWS_HOST}/go/5"}
    assert f"Article not mirrored: http://{NEWS_HOST}/page/3-missing.html" in result.log
    assert f"no article body found on http://{NEWS_HOST}/page/4-empty.html" in result.log
    assert f"Article not mirrored: http://{NEWS_HOST}/page/6.jpg: not an HTML page" in result.log
    assert "Feed HTML" not in "".join(data.decode() for data in read_tree(out).values())


def test_feed_max_items_and_default_category(site: LocalSite, tmp_path: Path) -> None:
    out = tmp_path / "mirror"
    result = crawl_feed(site, out, "-a", f"url=http://{FEED_HOST}/fulltext.xml", "-a", "fulltext=feed", "-a", "max_items=1")
    assert [item["url"] for item in result.items] == [f"http://{NEWS_HOST}/page/1.html"]
    assert result.items[0]["categories"] == ["Fulltext News"]


@pytest.mark.parametrize("backlog", [3, 0])
def test_a_long_feed_hands_its_requests_over_as_the_queue_drains(site: LocalSite, tmp_path: Path, backlog: int) -> None:
    # Scrapy's queue is last in, first out: given all at once, the feed's last item is
    # fetched first. Paced, the queue never holds more than the backlog, so the first page
    # fetched is among the first backlog + 1 items. Either way every item is mirrored.
    before = len(site.requests())
    out = tmp_path / "mirror"
    settings = {"MIRROR_SCHEDULER_BACKLOG": str(backlog), "CONCURRENT_REQUESTS": "1"}
    result = crawl_feed(site, out, "-a", f"url=http://{FEED_HOST}/long.xml", settings=settings)
    assert len(result.items) == LONG_FEED
    fetched = [request["path"] for request in site.requests()[before:] if request["path"].startswith("/long/")]
    first = int(fetched[0].removeprefix("/long/").removesuffix(".html"))
    if backlog:
        assert first <= backlog
    else:
        assert first == LONG_FEED - 1


def test_a_feed_larger_than_scrapys_processing_limit_is_released_and_stays_paced(site: LocalSite, tmp_path: Path) -> None:
    # Scrapy takes nothing from its queue while the responses in processing pass
    # SCRAPER_SLOT_MAX_ACTIVE_SIZE. A feed whose callback handed its requests out itself
    # stayed in processing until done: over the limit, it blocked every fetch, and
    # pacing had to give way (all requests at once, the last item fetched first). Now
    # the callback ends once the feed is read (its response leaves the scraper slot),
    # the items wait on the spider, and the queue still never holds more than 3.
    before = len(site.requests())
    out = tmp_path / "mirror"
    settings = {"MIRROR_SCHEDULER_BACKLOG": "3", "SCRAPER_SLOT_MAX_ACTIVE_SIZE": "1000", "CONCURRENT_REQUESTS": "1"}
    result = crawl_feed(site, out, "-a", f"url=http://{FEED_HOST}/long.xml", settings=settings)
    assert len(result.items) == LONG_FEED
    pages = [request for request in site.requests()[before:] if request["path"].startswith("/long/")]
    fetched = [request["path"] for request in pages]
    assert len(fetched) == LONG_FEED
    first = int(fetched[0].removeprefix("/long/").removesuffix(".html"))
    assert first <= 3
    # Handed to the engine, not through the spider middlewares: the Referer Scrapy's
    # RefererMiddleware would have set is set all the same.
    assert {request["headers"].get("Referer") for request in pages} == {f"http://{FEED_HOST}/long.xml"}
    assert result.stat("newsmirror/listings/waiting_max") == LONG_FEED


def test_a_feed_of_known_articles_is_sifted_and_nothing_waits(site: LocalSite, tmp_path: Path) -> None:
    # The second run over the same feed: every item is known, found by batched ledger
    # lookups while the feed is read; nothing waits on the spider, nothing is fetched.
    out = tmp_path / "mirror"
    feed = f"http://{FEED_HOST}/long.xml"
    assert len(crawl_feed(site, out, "-a", f"url={feed}").items) == LONG_FEED
    before = len(site.requests())
    again = crawl_feed(site, out, "-a", f"url={feed}")
    assert again.items == []
    assert again.stat("newsmirror/skipped/known") == LONG_FEED
    assert again.stat("newsmirror/listings/waiting_max") == 0
    assert not [request for request in site.requests()[before:] if request["path"].startswith("/long/")]


def test_an_unchanged_feed_is_a_304_and_nothing_more(site: LocalSite, site_root: Path, tmp_path: Path) -> None:
    serve(
        site_root, FEED_HOST, "etag.xml", RSS_20_CONTENT_ENCODED.body,
        'Content-Type: application/rss+xml\nETag: "v1"\nLast-Modified: Tue, 29 Mar 2022 12:00:00 GMT\n',
    )  # fmt: skip
    out = tmp_path / "mirror"
    args = ("-a", f"url=http://{FEED_HOST}/etag.xml", "-a", "fulltext=feed")
    first = crawl_feed(site, out, *args)
    assert [item["status"] for item in first.items] == ["new"]
    assert (tmp_path / ".newsmirror" / "mirror" / "httpcache").is_dir()  # the stored feed, beside the ledger
    before = len(site.requests())
    time.sleep(0.05)
    second = crawl_feed(site, out, *args)
    assert second.items == []
    assert second.stat("newsmirror/listings/not_modified") == 1
    assert second.stat("newsmirror/skipped/known") == 1  # the stored feed was read again
    assert f"not modified since the last run: http://{FEED_HOST}/etag.xml" in second.log
    report = json.loads((tmp_path / ".newsmirror" / "mirror" / "last-run.json").read_text(encoding="utf-8"))
    assert [entry["status"] for entry in report["sources"]] == ["not_modified"]
    feed_requests = [request for request in site.requests()[before:] if request["path"] == "/etag.xml"]
    assert [request["status"] for request in feed_requests] == [304]
    headers = {name.lower(): value for name, value in feed_requests[0]["headers"].items()}
    assert headers["if-none-match"] == '"v1"'
    assert headers["if-modified-since"] == "Tue, 29 Mar 2022 12:00:00 GMT"


def test_a_feed_that_is_not_a_feed_fails_clearly_and_the_others_go_on(site: LocalSite, tmp_path: Path) -> None:
    out = tmp_path / "mirror"
    urls = f"http://{FEED_HOST}/not-a-feed.html,http://{FEED_HOST}/nowhere.xml,{RSS_20_CONTENT_ENCODED.url}"
    result = crawl_feed(site, out, "-a", f"url={urls}", "-a", "fulltext=feed")
    assert [item["url"] for item in result.items] == [RSS_20_CONTENT_ENCODED.items[0][1]]
    assert f"Source http://{FEED_HOST}/not-a-feed.html failed: http://{FEED_HOST}/not-a-feed.html: not a feed" in result.log
    assert f"Source http://{FEED_HOST}/nowhere.xml failed: http://{FEED_HOST}/nowhere.xml: HTTP 404 Not Found" in result.log
    assert result.stat("newsmirror/sources/failed") == 2
    report = json.loads((tmp_path / ".newsmirror" / "mirror" / "last-run.json").read_text(encoding="utf-8"))
    assert [(entry["name"], entry["status"]) for entry in report["sources"]] == [
        (f"http://{FEED_HOST}/not-a-feed.html", "failed"),
        (f"http://{FEED_HOST}/nowhere.xml", "failed"),
        (RSS_20_CONTENT_ENCODED.url, "ok"),
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "give the feed URL with -a url=URL"),
        (("-a", "url=http://feeds.example.com/a.xml", "-a", "fulltext=some"), "fulltext must be one of auto, feed, page"),
        (("-a", "url=http://feeds.example.com/a.xml", "-a", "max_items=0"), "-a max_items= must be at least 1, not 0"),
    ],
)
def test_bad_feed_arguments_fail_before_any_request(args: tuple[str, ...], message: str, tmp_path: Path) -> None:
    result = run_crawl("feed", *args, settings={"MIRROR_DIR": str(tmp_path / "m")}, check=False)
    assert result.returncode != 0 and message in result.log


@pytest.mark.parametrize("outage", ["STATUS 503\nContent-Type: text/html\n", "STATUS 404\nContent-Type: text/html\n"])
def test_a_feed_that_is_down_fails_even_when_a_stored_copy_exists(
    site: LocalSite, site_root: Path, tmp_path: Path, outage: str
) -> None:
    name = f"down-{outage[7:10]}.xml"
    serve(site_root, FEED_HOST, name, RSS_20_CONTENT_ENCODED.body, 'Content-Type: application/rss+xml\nETag: "v1"\n')
    out = tmp_path / "mirror"
    args = ("-a", f"url=http://{FEED_HOST}/{name}", "-a", "fulltext=feed")
    crawl_feed(site, out, *args)
    serve(site_root, FEED_HOST, name, b"<html>down for maintenance</html>", outage)
    second = crawl_feed(site, out, *args, settings={"RETRY_TIMES": "0"})
    # The stored copy from the first run must not pass for "not modified".
    assert second.stat("newsmirror/listings/not_modified") is None
    assert second.stat("newsmirror/sources/failed") == 1
    assert f"HTTP {outage[7:10]}" in second.log


@pytest.mark.parametrize(
    ("answer", "headers", "failure"),
    [
        (b"busy", "STATUS 503\n", "the post is kept as it was"),  # a transient failure
        (b"<html><head><title>Refreshed headline</title></head><body><script>app()</script></body></html>", None, "no article body found"),
    ],
    ids=["503", "no-body"],
)
def test_a_page_failing_on_refresh_never_replaces_the_full_text_with_the_feed_summary(
    site: LocalSite, site_root: Path, tmp_path: Path, answer: bytes, headers: str | None, failure: str
) -> None:
    name = "refreshed-503" if headers else "refreshed-empty"  # one page and feed per case: the site is shared
    item = (
        f"<item><title>Refreshed headline</title><link>http://{NEWS_HOST}/page/{name}.html</link>"
        "<pubDate>Mon, 08 Jul 2024 08:00:00 GMT</pubDate><description><![CDATA[<p>Feed summary only.</p>]]></description></item>"
    )
    feed = f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Refreshed</title>{item}</channel></rss>'
    feed_url = serve(site_root, FEED_HOST, f"{name}.xml", feed.encode(), "Content-Type: application/rss+xml\n")
    page_url = serve(site_root, NEWS_HOST, f"page/{name}.html", page("Refreshed headline", "2024-07-08T08:00:00Z", "The whole article text."))
    out = tmp_path / "mirror"
    first = crawl_feed(site, out, "-a", f"url={feed_url}")
    ((record, (_, body)),) = [(item, posts_by_url(out, [item])[page_url]) for item in first.items]
    assert "The whole article text." in body and "Feed summary only." not in body
    written = (out / record["post_path"]).read_bytes()

    # The page now fails, or shows no body: the refresh must keep the full text, and count the failure.
    serve(site_root, NEWS_HOST, f"page/{name}.html", answer, headers)
    second = crawl_feed(site, out, "-a", f"url={feed_url}", "-a", "refresh=all")
    assert second.items == []
    assert (out / record["post_path"]).read_bytes() == written
    assert second.stat("newsmirror/feed_fallback") is None and "using the feed's HTML" not in second.log
    failed = (second.stat("newsmirror/failed") or 0) + (second.stat("item_dropped_count") or 0)
    assert failed == 1
    assert failure in second.log
