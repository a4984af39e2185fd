"""``scrapy crawl article`` end to end: the real engine against a loopback site.

Real hostnames (finance.sina.com.cn, ...) are served by the loopback server acting as
the crawl's HTTP(S) proxy, so site rules keyed on hosts run as in production.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cases import build_site, load_cases
from tests.support.crawl import mtimes, read_tree, run_crawl
from tests.support.localsite import LocalSite, running_site
from tests.support.posts import check_posts

GOLDEN = Path(__file__).resolve().parent / "golden" / "article-crawl"
CASES = load_cases()
EXTRA_HOST = "extra.example.com"
# Pages only the crawl tests need: same headline twice, no date, no title, not HTML.
EXTRA_PAGES = {
    "same-title-1.html": "<html><head><title>Storm warning</title><meta property='article:published_time' "
    "content='2024-05-01T08:00:00Z'></head><body><h1>Storm warning</h1><p>First storm article.</p></body></html>",
    "same-title-2.html": "<html><head><title>Storm warning</title><meta property='article:published_time' "
    "content='2024-05-02T08:00:00Z'></head><body><h1>Storm warning</h1><p>Second, different article.</p></body></html>",
    "undated.html": "<html><head><title>Undated note</title><meta property='article:published_time' "
    "content='sometime soon'></head><body><h1>Undated note</h1><p>No usable date here.</p></body></html>",
    "untitled.html": "<html><body><p>A page without any headline at all.</p></body></html>",
    "photo.jpg": "\xff\xd8\xff\xe0 not really a jpeg",
}


def extra_url(name: str) -> str:
    return f"http://{EXTRA_HOST}/{name}"


@pytest.fixture(scope="module")
def site_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = build_site(tmp_path_factory.mktemp("site"), CASES)
    for name, text in EXTRA_PAGES.items():
        serve(root, name, text.encode("latin-1" if name.endswith(".jpg") else "utf-8"))
    return root


@pytest.fixture(scope="module")
def site(site_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSite]:
    with running_site(site_root, tmp_path_factory.mktemp("log") / "requests.jsonl") as running:
        yield running


def serve(root: Path, name: str, body: bytes) -> str:
    """Put a page on the extra host (the server reads files on every request); return its URL."""
    target = root / EXTRA_HOST / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(body)
    return extra_url(name)


def news_page(title: str, date: str, text: str) -> bytes:
    """A minimal article page."""
    return (
        f"<html><head><title>{title}</title><meta property='article:published_time' content='{date}'></head>"
        f"<body><h1>{title}</h1><p>{text}</p></body></html>"
    ).encode("utf-8")


def crawl(site: LocalSite, out: Path, *args: str, **kwargs: object):
    return run_crawl(
        "article",
        *args,
        env=site.proxy_env(),
        settings={"MIRROR_DIR": str(out), **kwargs.pop("settings", {})},  # type: ignore[dict-item]
        index=out.parent / "index.jsonl",
        **kwargs,  # type: ignore[arg-type]
    )


def test_crawl_writes_the_golden_posts_and_rewrites_nothing_the_second_time(site: LocalSite, tmp_path: Path) -> None:
    out = tmp_path / "mirror"
    result = crawl(site, out, "-a", "url=" + ",".join(case.url for case in CASES))
    produced = read_tree(out)
    if os.environ.get("NEWSMIRROR_UPDATE_GOLDEN"):
        shutil.rmtree(GOLDEN, ignore_errors=True)
        shutil.copytree(out, GOLDEN)
    assert produced == read_tree(GOLDEN)
    assert sorted(item["url"] for item in result.items) == sorted(case.url for case in CASES)
    for item in result.items:
        assert item["status"] == "new"
        assert item["source"] == "article"
        assert (out / item["post_path"]).is_file()
    check_posts(out, result.items)
    # The ledger lives beside MIRROR_DIR, never inside it.
    assert (tmp_path / ".newsmirror" / "mirror" / "state.sqlite").is_file()

    before = mtimes(out)
    time.sleep(0.05)
    # Known articles are not fetched again (tests/test_incremental.py counts the requests)...
    again = crawl(site, out, "-a", "url=" + ",".join(case.url for case in CASES))
    assert again.items == [] and again.stat("newsmirror/skipped/known") == len(CASES)
    # ...and when they are (refresh), identical posts are not rewritten.
    refreshed = crawl(site, out, "-a", "url=" + ",".join(case.url for case in CASES), "-a", "refresh=all")
    assert [item["status"] for item in refreshed.items] == ["unchanged"] * len(CASES)
    assert mtimes(out) == before and read_tree(out) == produced


def test_url_file_and_categories(site: LocalSite, tmp_path: Path) -> None:
    sina = next(case for case in CASES if case.site == "sina")
    urls = tmp_path / "urls.txt"
    urls.write_text(f"# a comment\n\n  {sina.url}  \n# {extra_url('same-title-1.html')}\n", encoding="utf-8")
    out = tmp_path / "mirror"
    result = crawl(site, out, "-a", f"urls={urls}", "-a", "categories=金融,新浪财经,新浪财经－国內")
    assert [item["url"] for item in result.items] == [sina.url]
    assert list(read_tree(out)) == ["金融/新浪财经/新浪财经－国內/央行：稳健货币政策要灵活适度，保持流动性合理充裕.md"]
    fronts = check_posts(out, result.items)
    assert next(iter(fronts.values()))["categories"] == ["金融", "新浪财经", "新浪财经－国內"]


def test_articles_with_one_title_never_overwrite_each_other(site: LocalSite, tmp_path: Path) -> None:
    out = tmp_path / "mirror"
    urls = "url=" + extra_url("same-title-1.html") + "," + extra_url("same-title-2.html")
    first = crawl(site, out, "-a", urls, "-s", "CONCURRENT_REQUESTS=1")
    paths = {item["url"]: item["post_path"] for item in first.items}
    assert len(set(paths.values())) == 2
    assert "extra.example.com/Storm warning.md" in paths.values()
    texts = {path: data.decode() for path, data in read_tree(out).items()}
    assert sorted("First storm" in text for text in texts.values()) == [False, True]
    assert sorted("Second, different" in text for text in texts.values()) == [False, True]
    check_posts(out, first.items)
    # Each article keeps its own path on the next run, whatever order the pages arrive in.
    second = crawl(
        site, out, "-a", "url=" + extra_url("same-title-2.html") + "," + extra_url("same-title-1.html"), "-a", "refresh=all"
    )
    assert {item["url"]: item["post_path"] for item in second.items} == paths
    assert [item["status"] for item in second.items] == ["unchanged", "unchanged"]


def test_articles_declaring_the_front_page_as_canonical_stay_separate_posts(
    site: LocalSite, site_root: Path, tmp_path: Path
) -> None:
    """Issue 14: a CMS that declares https://<host>/ canonical on every article merged them all."""
    urls = []
    for number in range(3):
        story = news_page(f"Story number {number}", f"2024-05-0{number + 1}T08:00:00Z", f"The text of story {number}.")
        story = story.replace(b"<head>", f"<head><link rel='canonical' href='https://{EXTRA_HOST}/'>".encode(), 1)
        urls.append(serve(site_root, f"2024/05/story-{number}.html", story))
    out = tmp_path / "mirror"
    result = crawl(site, out, "-a", "url=" + ",".join(urls), "-s", "CONCURRENT_REQUESTS=1")
    assert sorted(item["canonical_url"] for item in result.items) == sorted(urls)
    assert len({item["post_path"] for item in result.items}) == 3
    texts = [data.decode() for data in read_tree(out).values()]
    assert len(texts) == 3
    for number in range(3):
        (text,) = [text for text in texts if f"Story number {number}" in text]
        assert f"The text of story {number}." in text and f"0{number + 1} May 2024" in text
    check_posts(out, result.items)
    assert "not taken, it is the site's front page" in result.log


def test_a_canonical_naming_another_known_article_does_not_take_its_post(
    site: LocalSite, site_root: Path, tmp_path: Path
) -> None:
    """Issue 14: the first article to claim a key owned the post, and later claimants rewrote it."""
    first = serve(site_root, "2024/05/claimed.html", news_page("The claimed story", "2024-05-10T08:00:00Z", "Its own text."))
    claimant = news_page("A different story", "2024-05-11T08:00:00Z", "Another text.")
    claimant = claimant.replace(b"<head>", f"<head><link rel='canonical' href='{first}'>".encode(), 1)
    second = serve(site_root, "2024/05/claimant.html", claimant)
    out = tmp_path / "mirror"
    crawl(site, out, "-a", "url=" + first)
    before = read_tree(out)
    result = crawl(site, out, "-a", "url=" + second)
    assert [item["canonical_url"] for item in result.items] == [second]
    assert [item["status"] for item in result.items] == ["new"]
    after = read_tree(out)
    assert len(after) == 2 and all(after[path] == data for path, data in before.items())
    assert "not taken, the ledger holds another article there" in result.log


def test_undated_article_is_dropped_with_its_reason(site: LocalSite, tmp_path: Path) -> None:
    out = tmp_path / "mirror"
    result = crawl(site, out, "-a", "url=" + extra_url("undated.html"))
    assert result.items == []
    assert "no usable publish date on http://extra.example.com/undated.html" in result.log
    assert "unrecognised date format: 'sometime soon'" in result.log
    assert result.stat("item_dropped_reasons_count/NoDate") == 1
    assert not list(out.rglob("*.md"))


def test_undated_article_kept_as_first_seen_keeps_its_date(site: LocalSite, tmp_path: Path) -> None:
    out = tmp_path / "mirror"
    args = ("-a", "url=" + extra_url("undated.html"))
    first = crawl(site, out, *args, settings={"MIRROR_UNDATED": "first-seen"})
    assert len(first.items) == 1
    time.sleep(1.1)  # a second later, "now" has moved on; the post's date must not
    second = crawl(site, out, *args, "-a", "refresh=all", settings={"MIRROR_UNDATED": "first-seen"})
    assert second.items[0]["date"] == first.items[0]["date"]
    assert second.items[0]["status"] == "unchanged"
    check_posts(out, second.items)


def test_failures_are_logged_and_the_run_goes_on(site: LocalSite, tmp_path: Path) -> None:
    out = tmp_path / "mirror"
    sina = next(case for case in CASES if case.site == "sina")
    urls = [extra_url("untitled.html"), extra_url("photo.jpg"), extra_url("missing.html"), sina.url]
    result = crawl(site, out, "-a", "url=" + ",".join(urls))
    assert [item["url"] for item in result.items] == [sina.url]
    assert "no title found on http://extra.example.com/untitled.html" in result.log
    assert "Article not mirrored: http://extra.example.com/photo.jpg: not an HTML page (Content-Type: image/jpeg)" in result.log
    assert "Article not mirrored: http://extra.example.com/missing.html" in result.log
    assert result.stat("newsmirror/failed") == 2
    assert result.stat("item_dropped_reasons_count/NoTitle") == 1
    check_posts(out, result.items)


def test_an_unexpected_pipeline_error_counts_as_failed(site: LocalSite, site_root: Path, tmp_path: Path) -> None:
    """A category that folds to nothing makes the post exporter raise ValueError, which no
    pipeline expects: the article is failed, in the report and the exit code, with one traceback."""
    out = tmp_path / "mirror"
    report = tmp_path / "report.json"
    url = serve(site_root, "odd-category.html", news_page("Odd category", "2024-05-03T08:00:00Z", "Body text."))
    result = crawl(
        site,
        out,
        "-a",
        f"url={url}",
        "-a",
        "categories=\ufffe",  # a non-character: kept by the argument parser, folded away by the exporter
        settings={"MIRROR_MAX_FAILED_RATIO": "0.5", "MIRROR_REPORT": str(report)},
        check=False,
    )
    assert result.returncode == 3, result.log[-4000:]
    assert "1 of 1 articles failed" in result.log
    assert result.log.count("Traceback (most recent call last)") == 1, result.log[-4000:]
    assert result.log.count("\nValueError: a post needs at least one non-empty category") == 1  # the traceback
    assert (
        f"not mirrored: {url}: unexpected error in the pipelines: ValueError: a post needs at least one "
        "non-empty category" in result.log
    )
    assert result.stat("newsmirror/failed") == 1
    assert result.stat("newsmirror/failed/pipeline-error") == 1
    (source,) = json.loads(report.read_text(encoding="utf-8"))["sources"]
    assert source["failed"] == 1
    assert source["failures"] == [
        {"url": url, "reason": "unexpected error in the pipelines: ValueError: a post needs at least one non-empty category"}
    ]
    assert not out.exists() or not list(out.rglob("*.md"))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "give article URLs with -a url=URL"),
        (("-a", "url=ftp://example.com/a"), "not an http(s) URL: 'ftp://example.com/a'"),
        (("-a", "url=https://example.com/a", "-a", "colour=red"), "unknown argument(s) for spider 'article': colour"),
        (("-a", "urls=/nonexistent/urls.txt"), "cannot read the URL file '/nonexistent/urls.txt'"),
    ],
)
def test_bad_arguments_fail_before_any_request(args: tuple[str, ...], message: str, tmp_path: Path) -> None:
    result = run_crawl("article", *args, settings={"MIRROR_DIR": str(tmp_path / "m")}, check=False)
    assert result.returncode != 0
    assert message in result.log


def test_changed_article_is_rewritten_in_place_and_keeps_its_path(site: LocalSite, site_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "mirror"
    url = serve(site_root, "changing.html", news_page("Bridge reopens", "2024-06-01T10:00:00Z", "First version."))
    first = crawl(site, out, "-a", f"url={url}")
    path = first.items[0]["post_path"]
    assert path == "extra.example.com/Bridge reopens.md"
    serve(site_root, "changing.html", news_page("Bridge reopens", "2024-06-01T10:00:00Z", "Corrected version."))
    second = crawl(site, out, "-a", f"url={url}", "-a", "refresh=all")
    assert second.items[0]["status"] == "updated" and second.items[0]["post_path"] == path
    assert "Corrected version." in (out / path).read_text(encoding="utf-8")
    # A new headline does not move the post: its permalink stays.
    serve(site_root, "changing.html", news_page("Bridge reopens early", "2024-06-01T10:00:00Z", "Corrected version."))
    third = crawl(site, out, "-a", f"url={url}", "-a", "refresh=all")
    assert third.items[0]["post_path"] == path and third.items[0]["title"] == "Bridge reopens early"
    assert list(read_tree(out)) == [path]
    check_posts(out, third.items)


def test_a_post_from_before_the_ledger_is_taken_over_only_if_it_is_the_same_article(
    site: LocalSite, site_root: Path, tmp_path: Path
) -> None:
    out = tmp_path / "mirror"
    same = serve(site_root, "older-same.html", news_page("Harbour fees: rise", "2022-03-29T11:47:10Z", "New body."))
    other = serve(site_root, "older-other.html", news_page("Tram line opens", "2024-01-01T00:00:00Z", "Ours."))
    # As the older system wrote them: a leading blank line, ':' turned into '_' in the title.
    older_same = "\n---\ntitle: 'Harbour fees_ rise'\ncategories: \n - extra.example.com\nauthor: x\n" \
        "comments: false\ndate: Tue, 29 Mar 2022 11:47:10 GMT\n---\n\n<div>old body</div>\n"
    older_other = older_same.replace("Harbour fees_ rise", "Tram line opens").replace("29 Mar 2022", "01 Jan 2019")
    (out / "extra.example.com").mkdir(parents=True)
    (out / "extra.example.com" / "Harbour fees_ rise.md").write_text(older_same, encoding="utf-8")
    (out / "extra.example.com" / "Tram line opens.md").write_text(older_other, encoding="utf-8")
    result = crawl(site, out, "-a", f"url={same},{other}", "-s", "CONCURRENT_REQUESTS=1")
    paths = {item["url"]: (item["post_path"], item["status"]) for item in result.items}
    # Same path and date: the older system's post for this article, replaced in place.
    assert paths[same] == ("extra.example.com/Harbour fees_ rise.md", "updated")
    replaced = (out / "extra.example.com" / "Harbour fees_ rise.md").read_text(encoding="utf-8")
    assert "New body." in replaced and replaced.startswith("---\ntitle: 'Harbour fees: rise'\n")
    # Same path, other date: another article's file, left exactly as it was.
    assert paths[other][0].startswith("extra.example.com/Tram line opens-") and paths[other][1] == "new"
    assert (out / "extra.example.com" / "Tram line opens.md").read_text(encoding="utf-8") == older_other


def test_path_template_and_link_line_settings(site: LocalSite, site_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "mirror"
    url = serve(site_root, "templated.html", news_page("Quay: works begin", "2024-07-09T23:30:00+08:00", "Text."))
    result = crawl(
        site, out, "-a", f"url={url}",
        settings={"MIRROR_PATH_TEMPLATE": "{date:%Y/%m}/{slug}.md", "MIRROR_FRONT_MATTER_LINK": "True"},
    )  # fmt: skip
    # The folder follows the article's own date and zone (9 July in +08:00).
    assert result.items[0]["post_path"] == "2024/07/quay-works-begin.md"
    text = (out / "2024/07/quay-works-begin.md").read_text(encoding="utf-8")
    assert f"\nlink: '{url}'\n---\n" in text
    assert "date: Tue, 09 Jul 2024 15:30:00 GMT\n" in text


def test_bad_settings_stop_the_run_with_a_reason(tmp_path: Path) -> None:
    for name, value, message in (
        ("MIRROR_PATH_TEMPLATE", "{nope}.md", "unknown fields ['nope']"),
        ("MIRROR_UNDATED", "guess", "MIRROR_UNDATED must be one of"),
        ("MIRROR_FORMAT", "wordpress", "unknown post format 'wordpress'; the formats are hexo, hugo, jekyll"),
    ):
        result = run_crawl(
            "article", "-a", "url=https://example.com/a", settings={"MIRROR_DIR": str(tmp_path / "m"), name: value}, check=False
        )
        assert result.returncode != 0 and message in result.log, result.log[-3000:]
        assert "Spider opened" not in result.log  # stopped before the first request


@pytest.mark.parametrize("processes", ["0", "2"])
def test_posts_are_the_same_whether_pages_are_read_in_worker_processes_or_not(
    site: LocalSite, tmp_path: Path, processes: str
) -> None:
    out = tmp_path / "mirror"
    result = crawl(
        site,
        out,
        "-a",
        "url=" + ",".join(case.url for case in CASES),
        settings={"MIRROR_READER_PROCESSES": processes},
    )
    assert read_tree(out) == read_tree(GOLDEN)
    assert ("Reading pages in 2 worker processes" in result.log) == (processes == "2")
