"""Site rules in real crawls: ``scrapy crawl article`` and ``scrapy extract`` through the loopback proxy."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.crawl import CRAWL_DEFAULTS, CrawlResult, run_crawl, run_python
from tests.support.localsite import REPO_ROOT, LocalSite, running_site

HOST = "news.example"
THIN_HOST = "local.thin.example"
SPLIT_HOST = "split.example"
PROSE = "The council met on Tuesday evening and voted to rebuild the old harbour wall before winter. " * 6
RELATED = "Read also: the ferry timetable changes from June, and the car park by the pier closes for repairs. " * 2
RULES = {
    # Line 2 is broken: the error names the file and the line, and the other lines still apply.
    f"{HOST}.txt": (
        "title: //h2[@class='headline']\n"
        "body: //article[@class=\n"
        "body: //article\n"
        "strip_id_or_class: readalso\n"
        "author: substring-after(//p[@class='byline'], 'By ')\n"
        "http_header(cookie): consent=yes\n"
        "http_header(user-agent): Mozilla/5.0 (pretending to be a browser)\n"
    ),
    # A stale rule: its block is a one-line kicker on every page of the host.
    ".thin.example.txt": "body: //p[@class='kicker']\n",
    # Articles split over pages, with a link to the whole story on one page.
    f"{SPLIT_HOST}.txt": "single_page_link: //a[@class='whole']\n",
}
SECOND_HALF = "After the vote the mayor thanked the fishermen who had campaigned for the repairs. " * 6


def article(headline: str, banner: str = "Local News") -> bytes:
    """A page whose h1 is a section *banner* and whose article holds a related-stories box."""
    return (
        f"<html><head><title>{banner} | Example</title></head><body><h1>{banner}</h1>"
        f"<h2 class='headline'>{headline}</h2><p class='byline'>By Ana Ruiz</p>"
        "<p class='kicker'>Harbour</p><p class='dateline'>Published 16 May 2024 09:30</p>"
        f"<article><p>{PROSE}</p><p class='readalso'>{RELATED}</p><p>{PROSE}</p></article>"
        "</body></html>"
    ).encode()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalSite, Path]]:
    root = tmp_path_factory.mktemp("site")
    for host in (HOST, THIN_HOST):
        folder = root / host / "2024" / "05" / "16"
        folder.mkdir(parents=True)
        for number in (1, 2, 3):
            headline = f"Harbour wall to be rebuilt, part {number}"
            (folder / f"wall-{number}.html").write_bytes(article(headline, "Local News" if host == HOST else headline))
    split = root / SPLIT_HOST / "2024" / "05" / "16"
    split.mkdir(parents=True)
    first_page = article("Harbour wall vote", "Harbour wall vote").replace(
        b"</article>", b"</article><a class='whole' href='/2024/05/16/vote.html?view=all'>Read on one page</a>")
    (split / "vote.html").write_bytes(first_page)
    (split / "vote.html?view=all").write_bytes(
        article("Harbour wall vote", "Harbour wall vote").replace(b"</article>", f"<p>{SECOND_HALF}</p></article>".encode()))
    # A link to another host is never followed.
    (split / "away.html").write_bytes(first_page.replace(b"href='/2024/05/16/vote.html?view=all'",
                                                         b"href='https://elsewhere.example/vote.html'"))
    # A single-page view that is gone: the first page is read.
    (split / "gone.html").write_bytes(first_page.replace(b"vote.html?view=all", b"missing.html?view=all"))
    log = tmp_path_factory.mktemp("log") / "requests.jsonl"
    with running_site(root, log) as running:
        yield running, log


@pytest.fixture(scope="module")
def rules(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("rules")
    for name, text in RULES.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def crawl(site: LocalSite, tmp_path: Path, urls: list[str], **settings: str) -> CrawlResult:
    url_file = tmp_path / "urls.txt"
    tmp_path.mkdir(parents=True, exist_ok=True)
    url_file.write_text("\n".join(urls) + "\n", encoding="utf-8")
    return run_crawl("article", "-a", f"urls={url_file}", env=site.proxy_env(),
                     settings={"MIRROR_DIR": str(tmp_path / "mirror"), **settings})


def posts(mirror: Path) -> dict[str, str]:
    """Return every post under *mirror* by its title line."""
    found = {}
    for path in mirror.rglob("*.md"):
        text = path.read_text(encoding="utf-8")
        title = next(line for line in text.splitlines() if line.startswith("title: "))
        found[title.removeprefix("title: ").strip("'\"")] = text
    return found


def test_a_rule_reads_title_author_and_body_and_a_broken_line_is_named(
    site: tuple[LocalSite, Path], rules: Path, tmp_path: Path
) -> None:
    running, _ = site
    url = f"https://{HOST}/2024/05/16/wall-1.html"
    plain = posts_of(crawl(running, tmp_path / "plain", [url]), tmp_path / "plain")
    ruled_result = crawl(running, tmp_path / "ruled", [url], MIRROR_SITE_RULES=str(rules))
    ruled = posts_of(ruled_result, tmp_path / "ruled")
    # Without rules the generic path takes the section banner for the headline and keeps the box.
    assert list(plain) == ["Local News"]
    assert "Read also: the ferry timetable" in plain["Local News"]
    # With the rule: its headline and byline, and its strip removes the box from the body.
    assert list(ruled) == ["Harbour wall to be rebuilt, part 1"]
    post = ruled["Harbour wall to be rebuilt, part 1"]
    assert "author: Ana Ruiz" in post
    assert "rebuild the old harbour wall" in post and "Read also" not in post
    # The broken line is reported with its file and line; the run went on with the others.
    assert f"Site rule {HOST}.txt:2: body: broken XPath" in ruled_result.log
    assert ruled_result.stat("newsmirror/posts/new") == 1


def posts_of(result: CrawlResult, tmp_path: Path) -> dict[str, str]:
    assert result.stat("newsmirror/posts/new") == 1, result.log[-3000:]
    return posts(tmp_path / "mirror")


def test_a_rule_yielding_too_little_falls_back_and_raises_the_alarm(
    site: tuple[LocalSite, Path], rules: Path, tmp_path: Path
) -> None:
    running, _ = site
    urls = [f"https://{THIN_HOST}/2024/05/16/wall-{number}.html" for number in (1, 2, 3)]
    result = crawl(running, tmp_path, urls, MIRROR_SITE_RULES=str(rules))
    written = posts(tmp_path / "mirror")
    assert len(written) == 3
    # The generic body stands on every page: the kicker alone never becomes the post.
    assert all("rebuild the old harbour wall" in post for post in written.values())
    key = "newsmirror/site/rule:.thin.example.txt"
    assert result.stat(f"{key}/articles") == 3
    assert result.stat(f"{key}/empty/body") == 3
    assert result.stat(f"{key}/layout_changed") == "body"
    assert "Site rule:.thin.example.txt: its rules found no body on any of the 3 articles" in result.log
    assert f"Site rule .thin.example.txt on {urls[0]}: body falls back to the generic rules" in result.log


def test_a_rules_headers_go_to_its_host_only_and_never_the_user_agent(
    site: tuple[LocalSite, Path], rules: Path, tmp_path: Path
) -> None:
    running, log = site
    start = len(log.read_text(encoding="utf-8").splitlines())
    urls = [f"https://{HOST}/2024/05/16/wall-2.html", f"https://{THIN_HOST}/2024/05/16/wall-2.html"]
    crawl(running, tmp_path, urls, MIRROR_SITE_RULES=str(rules))
    requests = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()[start:]]
    pages = {request["host"]: {name.lower(): value for name, value in request["headers"].items()}
             for request in requests if request["path"] == "/2024/05/16/wall-2.html"}
    assert pages[HOST]["cookie"] == "consent=yes"
    assert CRAWL_DEFAULTS["MIRROR_CONTACT"] in pages[HOST]["user-agent"]
    assert "cookie" not in pages[THIN_HOST]


def test_scrapy_extract_shows_which_rule_spoke(site: tuple[LocalSite, Path], rules: Path) -> None:
    running, _ = site
    command = ["-m", "scrapy", "extract", "--json", f"https://{HOST}/2024/05/16/wall-3.html"]
    for name, value in {**CRAWL_DEFAULTS, "MIRROR_SITE_RULES": str(rules)}.items():
        command += ["-s", f"{name}={value}"]
    done = run_python(command, cwd=REPO_ROOT, env=running.proxy_env())
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["site_rule"] == {"file": f"{HOST}.txt", "fallbacks": {}}
    assert report["fields"]["title"]["source"] == f"site rule {HOST}.txt:1"
    assert report["fields"]["body"]["source"] == f"site rule {HOST}.txt:3"
    rivals = {rival["source"]: rival["reason"] for rival in report["fields"]["title"]["passed_over"]}
    assert rivals["h1"] == f"site rule {HOST}.txt:1 is more precise"


def test_a_single_page_view_is_read_instead_of_the_first_page(
    site: tuple[LocalSite, Path], rules: Path, tmp_path: Path
) -> None:
    running, _ = site
    url = f"https://{SPLIT_HOST}/2024/05/16/vote.html"
    away = f"https://{SPLIT_HOST}/2024/05/16/away.html"
    gone = f"https://{SPLIT_HOST}/2024/05/16/gone.html"
    result = run_crawl("article", "-a", f"url={url},{away},{gone}", env=running.proxy_env(), index=tmp_path / "index.jsonl",
                       settings={"MIRROR_DIR": str(tmp_path / "mirror"), "MIRROR_SITE_RULES": str(rules),
                                 "MIRROR_PATH_TEMPLATE": "{id}.md"})
    assert result.stat("newsmirror/posts/new") == 3, result.log[-3000:]
    assert result.stat("newsmirror/single_page_view") == 1
    by_url = {item["url"]: item for item in result.items}
    # The whole story, keyed on the article's own page, not on its single-page view.
    assert by_url[url]["canonical_url"] == url
    texts = [path.read_text(encoding="utf-8") for path in (tmp_path / "mirror").rglob("*.md")]
    assert sum("thanked the fishermen" in text for text in texts) == 1
    assert f"Single-page view https://{SPLIT_HOST}/2024/05/16/missing.html?view=all of {gone} failed" in result.log
    assert by_url[gone]["canonical_url"] == gone
    assert f"Single-page view of {away} not followed: https://elsewhere.example/vote.html is on another host" in result.log
