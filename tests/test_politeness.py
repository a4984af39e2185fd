"""Politeness by default: robots.txt and its Crawl-delay, a User-Agent that names a contact."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.crawl import CrawlResult, run_crawl
from tests.support.localsite import LocalSite, running_site
from tests.support.offline import OFFLINE, REFUSED

SLOW_HOST = "slow.example.com"
CRAWL_DELAY = 1.5


def article(title: str) -> str:
    return (
        f"<html><head><title>{title}</title><meta property='article:published_time' content='2024-04-05T06:07:08Z'>"
        f"</head><body><h1>{title}</h1><p>Body of {title}.</p></body></html>"
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSite]:
    root = tmp_path_factory.mktemp("site")
    folder = root / SLOW_HOST
    (folder / "private").mkdir(parents=True)
    (folder / "robots.txt").write_text(
        f"User-agent: *\nCrawl-delay: {CRAWL_DELAY}\nDisallow: /private/\n", encoding="utf-8"
    )
    for number in range(3):
        (folder / f"{number}.html").write_text(article(f"Slow story {number}"), encoding="utf-8")
    (folder / "private" / "secret.html").write_text(article("Secret"), encoding="utf-8")
    with running_site(root, tmp_path_factory.mktemp("log") / "requests.jsonl") as running:
        yield running


def crawl(site: LocalSite, tmp_path: Path, urls: list[str], **settings: str) -> CrawlResult:
    return run_crawl(
        "article",
        "-a",
        "url=" + ",".join(urls),
        env=site.proxy_env(),
        settings={"MIRROR_DIR": str(tmp_path / "mirror"), **settings},
        index=tmp_path / "index.jsonl",
    )


@pytest.mark.parametrize("autothrottle", ["False", "True"])
def test_crawl_delay_spaces_requests_to_the_host(site: LocalSite, tmp_path: Path, autothrottle: str) -> None:
    urls = [f"http://{SLOW_HOST}/{number}.html" for number in range(3)]
    start = len(site.requests())
    result = crawl(site, tmp_path, urls, AUTOTHROTTLE_ENABLED=autothrottle, AUTOTHROTTLE_START_DELAY="0")
    assert len(result.items) == 3
    assert f"robots.txt of {SLOW_HOST}: Crawl-delay 1.5 s" in result.log
    times = sorted(entry["time"] for entry in site.requests()[start:] if entry["path"].endswith(".html"))
    gaps = [later - earlier for earlier, later in zip(times, times[1:])]
    # The slot waits Crawl-delay between requests (measured by the server; a little slack
    # for the moment a thread takes to log).
    assert len(gaps) == 2 and min(gaps) >= CRAWL_DELAY - 0.1, gaps


def test_robots_txt_is_obeyed(site: LocalSite, tmp_path: Path) -> None:
    url = f"http://{SLOW_HOST}/private/secret.html"
    result = crawl(site, tmp_path, [url])
    assert f"Article not mirrored: {url}: Forbidden by robots.txt" in result.log
    assert not any(entry["path"] == "/private/secret.html" for entry in site.requests())


def test_an_unreachable_robots_txt_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    # No proxy: the name is looked up here, by a resolver that answers as an offline machine does.
    env = {name: value for name, value in os.environ.items() if "proxy" not in name.lower()}
    url = "http://newsmirror-test.invalid/a.html"
    result = run_crawl(
        "article", "-a", f"url={url}", env=env,
        settings={"MIRROR_DIR": str(tmp_path / "mirror"), "RETRY_TIMES": "0", **OFFLINE},
    )  # fmt: skip
    assert f"{REFUSED} " in result.log  # no lookup left this machine
    robots_lines = [line for line in result.log.splitlines() if "robots.txt" in line and "newsmirror-test" in line]
    assert len(robots_lines) == 1, robots_lines
    assert "robots.txt of newsmirror-test.invalid could not be fetched (DNS lookup failed" in robots_lines[0]
    assert robots_lines[0].rstrip().endswith("crawling it as if it had none")
    assert "Traceback" not in result.log
    assert f"Article not mirrored: {url}: DNS lookup failed" in result.log


def test_user_agent_names_the_contact(site: LocalSite, tmp_path: Path) -> None:
    start = len(site.requests())
    crawl(site, tmp_path, [f"http://{SLOW_HOST}/0.html"], MIRROR_CONTACT="mailto:ops@news.example.net")
    agents = {entry["headers"]["User-Agent"] for entry in site.requests()[start:]}
    assert agents == {"newsmirror/0.1 (+mailto:ops@news.example.net)"}


@pytest.mark.parametrize(
    ("contact", "problem"),
    [("", "it is not set"), ("https://example.com/contact", "it is not set"), ("https://www.example.org/me", "is a placeholder"), ("ops team", "is not an http(s) or mailto: URL")],
)
def test_an_unattended_run_refuses_to_start_without_a_contact(tmp_path: Path, contact: str, problem: str) -> None:
    # MIRROR_CONTACT_REQUIRED names the spiders that need one ("mirror" by default).
    result = run_crawl(
        "article", "-a", "url=http://a.example.com/x.html", check=False,
        settings={"MIRROR_DIR": str(tmp_path / "m"), "MIRROR_CONTACT": contact, "MIRROR_CONTACT_REQUIRED": "article"},
    )  # fmt: skip
    assert result.returncode != 0
    assert "MIRROR_CONTACT: " in result.log and problem in result.log
    assert "Crawled (" not in result.log


def test_a_run_by_hand_without_a_contact_sends_the_project_url(site: LocalSite, tmp_path: Path) -> None:
    start = len(site.requests())
    crawl(site, tmp_path, [f"http://{SLOW_HOST}/1.html"], MIRROR_CONTACT="")
    agents = {entry["headers"]["User-Agent"] for entry in site.requests()[start:]}
    assert agents == {"newsmirror/0.1 (+https://github.com/newsmirror/newsmirror)"}
