"""The layout-change alarm: a site module whose fields all come back empty for a whole run."""

from __future__ import annotations

from collections.abc import Iterator
import json
from pathlib import Path

import pytest

from newsmirror.layout import changed_layouts
from tests.support.cases import build_site, load_cases
from tests.support.crawl import run_crawl
from tests.support.localsite import LocalSite, running_site

SINA_HOST = "finance.sina.com.cn"
ALARM = "its layout has probably changed"


def redesigned_sina_page(number: int) -> bytes:
    """A Sina article after an imagined redesign: none of the module's selectors match,
    but the generic rules still read a whole article from it."""
    return (
        "<html><head><meta charset='utf-8'><title>新版页面标题{n}_新浪财经_新浪网</title>"
        "<meta property='og:title' content='新版页面标题{n}'>"
        "<meta property='article:published_time' content='2024-06-0{n}T10:00:00+08:00'>"
        "<meta name='author' content='示例日报'></head>"
        "<body><h1 class='headline-2025'>新版页面标题{n}</h1>"
        "<section class='story-2025'><p>{text}</p></section></body></html>"
    ).format(n=number, text="改版后的正文内容，仍然是一篇完整的文章。" * 20).encode("utf-8")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSite]:
    root = build_site(tmp_path_factory.mktemp("site"), load_cases("sina"))
    for number in (1, 2, 3):
        target = root / SINA_HOST / "roll" / f"doc-redesign{number}.shtml"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(redesigned_sina_page(number))
    with running_site(root, tmp_path_factory.mktemp("log") / "requests.jsonl") as running:
        yield running


def crawl(site: LocalSite, tmp_path: Path, urls: list[str], **settings: str):
    url_file = tmp_path / "urls.txt"
    url_file.write_text("\n".join(urls) + "\n", encoding="utf-8")
    return run_crawl(
        "article", "-a", f"urls={url_file}", env=site.proxy_env(),
        settings={"MIRROR_DIR": str(tmp_path / "mirror"), **settings},
    )


def test_a_redesigned_site_raises_the_alarm_at_the_end_of_the_run(site: LocalSite, tmp_path: Path) -> None:
    urls = [f"https://{SINA_HOST}/roll/doc-redesign{number}.shtml" for number in (1, 2, 3)]
    result = crawl(site, tmp_path, urls)
    # The generic rules still mirror every article: nothing fails, which is why the alarm matters.
    assert result.stat("newsmirror/posts/new") == 3
    assert result.stat("newsmirror/site/sina/articles") == 3
    assert result.stat("newsmirror/site/sina/empty/title") == 3
    assert result.stat("newsmirror/site/sina/layout_changed") == "title date author body"
    alarms = [line for line in result.log.splitlines() if ALARM in line and "WARNING" in line]
    assert len(alarms) == 1 and "Site sina" in alarms[0], result.log[-3000:]
    # The run report says so too, in its summary and its JSON.
    assert "  Site sina: its rules found no title, date, author, body on any of 3 articles" in result.log
    report = json.loads((tmp_path / ".newsmirror" / "mirror" / "last-run.json").read_text(encoding="utf-8"))
    assert report["layout_changed"] == {"sina": {"articles": 3, "empty": ["title", "date", "author", "body"]}}


def test_a_site_read_by_its_own_rules_raises_no_alarm(site: LocalSite, tmp_path: Path) -> None:
    case = load_cases("sina")[0]
    result = crawl(site, tmp_path, [case.url], LAYOUT_ALARM_MIN_ARTICLES="1")
    assert result.stat("newsmirror/site/sina/articles") == 1
    assert result.stat("newsmirror/site/sina/empty/title") is None
    assert ALARM not in result.log


@pytest.mark.parametrize(
    ("stats", "changed"),
    [
        ({"newsmirror/site/sina/articles": 5, "newsmirror/site/sina/empty/date": 5}, {"sina": (5, ["date"])}),
        ({"newsmirror/site/sina/articles": 5, "newsmirror/site/sina/empty/date": 4}, {}),
        ({"newsmirror/site/sina/articles": 2, "newsmirror/site/sina/empty/date": 2}, {}),
        ({"newsmirror/posts/new": 5}, {}),
    ],
    ids=["all-empty", "one-filled", "too-few-articles", "no-site-counts"],
)
def test_changed_layouts_need_every_article_empty_and_enough_articles(stats: dict, changed: dict) -> None:
    assert changed_layouts(stats, min_articles=3) == changed
