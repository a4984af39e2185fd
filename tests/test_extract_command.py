"""``scrapy extract``: the real command, on saved bytes and through the loopback site as proxy."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.crawl import CRAWL_DEFAULTS, run_python
from tests.support.localsite import REPO_ROOT, LocalSite, running_site

HOST = "news.example.org"
ARTICLE = (
    "<html><head><title>Harbour reopens - Example News</title>"
    "<meta property='og:title' content='Harbour reopens after storm'>"
    '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Harbour reopens after the storm",'
    ' "datePublished": "2024-05-16T08:30:00+02:00", "author": {"@type": "Person", "name": "Ana Ruiz"}}</script>'
    "</head><body><h1>Harbour reopens after the storm</h1><article>"
    "<p>The harbour reopened on Thursday after three days of closure, the port authority said.</p>"
    "<p>Ferries resumed their normal timetable by noon.</p></article></body></html>"
).encode()
UNTITLED = b"<html><body><p>No headline anywhere on this page.</p></body></html>"


def extract(*args: str, env: dict[str, str] | None = None, settings: dict[str, str] | None = None):
    """Run ``scrapy extract ARGS`` from the repository root with the crawl tests' defaults."""
    command = ["-m", "scrapy", "extract", *args]
    for name, value in {**CRAWL_DEFAULTS, **(settings or {})}.items():
        command += ["-s", f"{name}={value}"]
    return run_python(command, cwd=REPO_ROOT, env=env)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalSite, Path]]:
    root = tmp_path_factory.mktemp("site")
    pages = root / HOST / "2024" / "05" / "16"
    pages.mkdir(parents=True)
    (pages / "harbour.html").write_bytes(ARTICLE)
    (pages / "untitled.html").write_bytes(UNTITLED)
    log = tmp_path_factory.mktemp("log") / "requests.jsonl"
    with running_site(root, log) as running:
        yield running, log


def test_saved_page_prints_every_field_and_writes_nothing(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_bytes(ARTICLE)
    mirror = tmp_path / "mirror"
    done = extract("--json", "--file", str(page), "--url", f"https://{HOST}/2024/05/16/harbour.html",
                   settings={"MIRROR_DIR": str(mirror)})
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    fields = report["fields"]
    assert report["article"] is True and report["site"] == "generic"
    assert fields["title"]["value"] == "Harbour reopens after the storm"
    assert fields["title"]["source"] == "json-ld headline"
    rivals = {rival["source"]: rival for rival in fields["title"]["passed_over"]}
    assert rivals["og:title"]["value"] == "Harbour reopens after storm"
    assert rivals["og:title"]["reason"]
    assert fields["author"]["value"] == "Ana Ruiz" and fields["author"]["source"] == "json-ld author"
    assert fields["date"]["value"] == "2024-05-16T08:30:00+02:00"
    assert fields["date"]["source"] == "json-ld datePublished"
    assert fields["body"]["source"] == "readability"
    assert fields["canonical_url"]["source"] == "the page's own URL"
    assert fields["body"]["value"].startswith("The harbour reopened on Thursday")
    assert "authority said. Ferries resumed" in fields["body"]["value"]
    assert fields["body"]["characters"] == len(fields["body"]["value"])
    assert not mirror.exists() and list(tmp_path.iterdir()) == [page]


def test_text_report_names_each_field(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_bytes(ARTICLE)
    done = extract("--file", str(page), "--url", f"https://{HOST}/2024/05/16/harbour.html")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[:3] == [f"url:   https://{HOST}/2024/05/16/harbour.html", "site:  generic", "read as an article"]
    assert 'title: "Harbour reopens after the storm"' in lines
    assert 'date: "2024-05-16T08:30:00+02:00"' in lines
    title_at = lines.index('title: "Harbour reopens after the storm"')
    assert lines[title_at + 1] == "  from: json-ld headline"
    assert lines[title_at + 2].startswith('  passed over: og:title "Harbour reopens after storm" (')
    # The crawl's INFO lines stay out of what the operator reads.
    assert "Scrapy 2." not in done.stdout + done.stderr


def test_fetches_through_the_project_settings(site: tuple[LocalSite, Path], tmp_path: Path) -> None:
    running, log = site
    url = f"http://{HOST}/2024/05/16/harbour.html"
    done = extract("--json", url, env=running.proxy_env(), settings={"MIRROR_DIR": str(tmp_path / "mirror")})
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["fields"]["title"]["value"] == "Harbour reopens after the storm"
    requests = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    page_requests = [request for request in requests if request["path"] == "/2024/05/16/harbour.html"]
    assert len(page_requests) == 1
    # The project's User-Agent, with its contact, and robots.txt asked first, as in a crawl.
    headers = {name.lower(): value for name, value in page_requests[0]["headers"].items()}
    assert CRAWL_DEFAULTS["MIRROR_CONTACT"] in headers["user-agent"]
    assert any(request["path"] == "/robots.txt" and request["host"] == HOST for request in requests)
    assert not (tmp_path / "mirror").exists()


def test_page_that_is_no_article_says_why(site: tuple[LocalSite, Path]) -> None:
    running, _ = site
    done = extract(f"http://{HOST}/2024/05/16/untitled.html", env=running.proxy_env())
    assert done.returncode == 1
    assert "not an article: no title found on" in done.stdout


def test_failed_fetch_exits_4_with_its_reason(site: tuple[LocalSite, Path]) -> None:
    running, _ = site
    done = extract(f"http://{HOST}/missing.html", env=running.proxy_env())
    assert done.returncode == 4
    assert f"could not fetch http://{HOST}/missing.html" in done.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "give exactly one URL"),
        (("--file", "x.html"), "with --file, give the page's URL"),
        (("ftp://example.org/x",), "not an http(s) URL"),
    ],
)
def test_usage_errors(args: tuple[str, ...], message: str) -> None:
    done = extract(*args)
    assert done.returncode == 2
    assert message in done.stderr


def test_a_date_from_the_url_alone_is_shown_with_its_source(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_bytes(b"<html><head><title>Tide tables</title></head><body><h1>Tide tables</h1>"
                     b"<article><p>" + b"The tide tables for the week are out. " * 8 + b"</p></article></body></html>")
    done = extract("--json", "--file", str(page), "--url", f"https://{HOST}/2024/05/16/tides.html")
    assert done.returncode == 0, done.stderr
    date = json.loads(done.stdout)["fields"]["date"]
    assert date["value"].startswith("2024-05-16")
    assert date["source"] == "url path"
