"""The sources file: every key read, every mistake named with its file and line before any request."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from newsmirror.sources import SourcesError, load_sources, parse_window
from tests.support.crawl import REPO_ROOT, run_crawl

GOOD = """\
# a comment
[[source]]
name = "sina-guonei"
type = "sina"
channel = 1686
pages = 2
categories = ["金融", "新浪财经", "新浪财经－国內"]
site_name = "新浪财经"
timezone = "Asia/Shanghai"

[[source]]
type = "feed"
url = "https://rsshub.app/zhihu/daily"
fulltext = "feed"
max_items = 15
enabled = false

[[source]]
name = "gazette"
type = "sitemap"
url = "https://gazette.example.org/sitemaps/news.xml.gz"
since = "2d"
categories = "News, Gazette"

[[source]]
name = "by-hand"
type = "urls"
urls = ["https://example.com/a.html"]
file = "more-urls.txt"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_every_key_is_read(tmp_path: Path) -> None:
    (tmp_path / "more-urls.txt").write_text("# listed by hand\nhttps://example.com/b.html\n", encoding="utf-8")
    sina, feed, sitemap, urls = load_sources(write(tmp_path, GOOD))
    assert (sina.name, sina.type, sina.channel, sina.pages, sina.line) == ("sina-guonei", "sina", "1686", 2, 2)
    assert sina.categories == ["金融", "新浪财经", "新浪财经－国內"]
    assert (sina.site_name, sina.timezone, sina.enabled) == ("新浪财经", "Asia/Shanghai", True)
    # A source without a name is called by its URL.
    assert (feed.name, feed.fulltext, feed.max_items, feed.enabled) == ("https://rsshub.app/zhihu/daily", "feed", 15, False)
    assert (sitemap.since, sitemap.categories) == (timedelta(days=2), ["News", "Gazette"])
    assert urls.urls == ["https://example.com/a.html", "https://example.com/b.html"]


def test_a_source_may_choose_its_post_format(tmp_path: Path) -> None:
    (tmp_path / "more-urls.txt").write_text("https://example.com/b.html\n", encoding="utf-8")
    sina, feed, *_ = load_sources(write(tmp_path, GOOD.replace("pages = 2", 'pages = 2\nformat = "jekyll"', 1)))
    assert (sina.format, feed.format) == ("jekyll", None)  # None: MIRROR_FORMAT decides


def test_the_shipped_sources_file_is_valid() -> None:
    sources = load_sources(REPO_ROOT / "sources.toml")
    enabled = [source for source in sources if source.enabled]
    assert [(source.type, source.channel) for source in enabled] == [("sina", "1686")]
    assert enabled[0].categories == ["金融", "新浪财经", "新浪财经－国內"]


@pytest.mark.parametrize(
    ("change", "line", "message"),
    [
        (("fulltext = \"feed\"", "fulltext = \"full\""), 14, "'fulltext' must be one of auto, feed, page, not 'full'"),
        (("max_items = 15", "max_items = 15\ncolour = \"red\""), 16, "unknown key 'colour' for a feed source"),
        (("channel = 1686", "channel = true"), 5, "'channel' must be a channel id"),
        (("channel = 1686", "channel = 9999"), 5, "'channel': unknown Sina channel '9999'"),
        (("channel = 1686", 'channel = "股市"'), 5, "'channel': Sina channel '股市' is ambiguous"),
        (("timezone = \"Asia/Shanghai\"", "timezone = \"China\""), 9, "'timezone': 'China' is not a time zone name"),
        (("type = \"sitemap\"", "type = \"atom\""), 20, "type must be one of sina, feed, sitemap, urls"),
        (("url = \"https://rsshub.app/zhihu/daily\"", "url = \"rsshub.app/zhihu\""), 13, "not an http(s) URL"),
        (("since = \"2d\"", "since = \"two days\""), 22, "not a time window like 30m, 12h, 2d or 1w"),
        (("name = \"gazette\"", "name = \"sina-guonei\""), 19, "the name 'sina-guonei' is used twice"),
        (("max_items = 15", "max_items = -1"), 15, "'max_items' must be a positive whole number"),
        (("enabled = false", "enabled = \"no\""), 16, "'enabled' must be true or false"),
        (("url = \"https://rsshub.app/zhihu/daily\"\n", ""), 11, "a feed source needs 'url'"),
        (("urls = [\"https://example.com/a.html\"]\nfile = \"more-urls.txt\"\n", ""), 25, "a urls source needs 'urls' or 'file'"),
        (("pages = 2", "pages = 2\npages = 3"), 7, "not valid TOML: Cannot overwrite a value"),
        (("# a comment", "title = \"my sources\""), 1, "unknown top-level key 'title'"),
        (("pages = 2", "pages = 2\nformat = \"wordpress\""), 7, "'format' must be one of hexo, hugo, jekyll"),
    ],
)
def test_a_mistake_names_the_file_line_and_what_is_wrong(
    tmp_path: Path, change: tuple[str, str], line: int, message: str
) -> None:
    (tmp_path / "more-urls.txt").write_text("https://example.com/b.html\n", encoding="utf-8")
    assert change[0] in GOOD
    path = write(tmp_path, GOOD.replace(change[0], change[1], 1))
    with pytest.raises(SourcesError) as raised:
        load_sources(path)
    assert str(raised.value).startswith(f"{path}:{line}: "), str(raised.value)
    assert message in str(raised.value)


def test_a_missing_or_empty_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(SourcesError, match="cannot read the sources file"):
        load_sources(tmp_path / "absent.toml")
    with pytest.raises(SourcesError, match="no \\[\\[source\\]\\] tables"):
        load_sources(write(tmp_path, "# nothing yet\n"))


def test_time_windows() -> None:
    assert parse_window("30m") == timedelta(minutes=30)
    assert parse_window("12h") == timedelta(hours=12)
    assert parse_window(" 1w ") == timedelta(weeks=1)
    for bad in ("0d", "2", "d", "2 days", "-1d"):
        with pytest.raises(ValueError):
            parse_window(bad)


def test_an_invalid_sources_file_stops_the_crawl_before_any_request(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace('type = "sitemap"', 'type = "atom"'))
    result = run_crawl("mirror", settings={"MIRROR_SOURCES": str(path), "MIRROR_DIR": str(tmp_path / "m")}, check=False)
    assert result.returncode != 0
    assert f"{path}:20: source #3 has type 'atom'; type must be one of sina, feed, sitemap, urls" in result.log
    assert "Spider opened" not in result.log
