"""``scrapy siterules check``: the real command, fetching test URLs through the loopback site as proxy."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.crawl import CRAWL_DEFAULTS, run_python
from tests.support.localsite import REPO_ROOT, LocalSite, running_site

PROSE = "The council met on Tuesday evening and voted to rebuild the old harbour wall before winter. " * 6
PAGE = (
    "<html><head><title>Harbour wall | Example</title></head><body><h1>Harbour wall</h1>"
    f"<div class='story'><p>{PROSE}</p></div>"
    "<aside><p>Most read: the ferry timetable changes from June.</p></aside></body></html>"
).encode()
RULES = {
    # Fresh: its block holds the snippet.
    "fresh.example.txt": (
        "body: //div[@class='story']\n"
        "test_url: https://fresh.example/2024/05/16/wall.html\n"
        "test_contains: voted to rebuild the old harbour wall\n"
    ),
    # Stale three ways: a block the redesign removed, a snippet the page lost, a page gone.
    "stale.example.txt": (
        "body: //div[@id='article-body']\n"
        "test_url: https://stale.example/2024/05/16/wall.html\n"
        "test_contains: The harbour authority said\n"
        "test_url: https://stale.example/2019/01/01/gone.html\n"
    ),
    # Its block holds the story, but the snippet is in the page's aside.
    "wrongblock.example.txt": (
        "body: //div[@class='story']\n"
        "test_url: https://wrongblock.example/2024/05/16/wall.html\n"
        "test_contains: Most read: the ferry timetable\n"
        "body: //div[@class=\n"
    ),
}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSite]:
    root = tmp_path_factory.mktemp("site")
    for host in ("fresh.example", "stale.example", "wrongblock.example"):
        folder = root / host / "2024" / "05" / "16"
        folder.mkdir(parents=True)
        (folder / "wall.html").write_bytes(PAGE)
    with running_site(root, tmp_path_factory.mktemp("log") / "requests.jsonl") as running:
        yield running


@pytest.fixture(scope="module")
def rules(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("rules")
    for name, text in RULES.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def check(site: LocalSite, *args: str, settings: dict[str, str] | None = None):
    command = ["-m", "scrapy", "siterules", *args]
    for name, value in {**CRAWL_DEFAULTS, **(settings or {})}.items():
        command += ["-s", f"{name}={value}"]
    return run_python(command, cwd=REPO_ROOT, env=site.proxy_env())


def test_stale_rules_are_named_with_their_reasons(site: LocalSite, rules: Path) -> None:
    done = check(site, "check", "--json", settings={"MIRROR_SITE_RULES": str(rules)})
    assert done.returncode == 1, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["rules"] == 3 and report["tests"] == 4
    assert report["stale"] == ["stale.example.txt", "wrongblock.example.txt"]
    outcomes = {(outcome["rule"], outcome["line"]): outcome for outcome in report["outcomes"]}
    assert outcomes[("fresh.example.txt", 2)] == {
        "rule": "fresh.example.txt", "line": 2, "url": "https://fresh.example/2024/05/16/wall.html",
        "stale": False, "reasons": []}
    redesigned = outcomes[("stale.example.txt", 2)]["reasons"]
    assert redesigned[0] == "no body line of the rule selects anything on the page"
    assert "lacks 'The harbour authority said' (the page no longer holds it)" in redesigned[1]
    assert outcomes[("stale.example.txt", 4)]["reasons"][0].startswith("could not fetch the page")
    wrong = outcomes[("wrongblock.example.txt", 2)]["reasons"]
    assert wrong == ["the body the rule extracts lacks 'Most read: the ferry timetable' "
                     "(the page holds it: the rule selects another block)"]
    assert report["broken_lines"][0].startswith("wrongblock.example.txt:4: body: broken XPath")


def test_fresh_rules_exit_0_and_the_text_report(site: LocalSite, rules: Path) -> None:
    done = check(site, "check", "fresh.example.txt", "--rules", str(rules))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines() == [
        "ok    fresh.example.txt:2 https://fresh.example/2024/05/16/wall.html",
        "1 rule files, 1 tests: none stale",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "say what to do: scrapy siterules check"),
        (("check",), "no rules to check: set MIRROR_SITE_RULES or give --rules DIR"),
        (("check", "--rules", "/nonexistent/rules"), "MIRROR_SITE_RULES: cannot read the folder"),
    ],
)
def test_usage_errors(site: LocalSite, args: tuple[str, ...], message: str) -> None:
    done = check(site, *args)
    assert done.returncode == 2
    assert message in done.stderr
