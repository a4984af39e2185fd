"""A refresh that finds a changed canonical URL re-keys the post in place (issue 14).

The real ``scrapy crawl article`` runs twice against the loopback site: the first run
mirrors a page declaring canonical X; the page then declares Y; the refresh must
rewrite the same file (no suffixed duplicate) and leave the ledger keyed on Y.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.crawl import read_tree, run_crawl
from tests.support.localsite import LocalSite, running_site

HOST = "rekey.example.com"


@pytest.fixture(scope="module")
def site_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("site")
    (root / HOST).mkdir()
    return root


@pytest.fixture(scope="module")
def site(site_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSite]:
    with running_site(site_root, tmp_path_factory.mktemp("log") / "requests.jsonl") as running:
        yield running


def serve(root: Path, name: str, title: str, date: str, text: str, canonical: str | None = None) -> str:
    """Put an article page on the test host (read on every request), declaring *canonical*; return its URL."""
    link = f"<link rel='canonical' href='{canonical}'>" if canonical else ""
    page = (
        f"<html><head><title>{title}</title>{link}<meta property='article:published_time' content='{date}'></head>"
        f"<body><h1>{title}</h1><article><p>{text}</p></article></body></html>"
    )
    target = root / HOST / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(page, encoding="utf-8")
    return f"http://{HOST}/{name}"


def crawl(site: LocalSite, out: Path, *args: str):
    return run_crawl("article", *args, env=site.proxy_env(), settings={"MIRROR_DIR": str(out)}, index=out.parent / "index.jsonl")


def ledger_rows(out: Path) -> tuple[dict[str, str], dict[str, str]]:
    """Return the ledger's posts (canonical URL -> post path) and aliases (URL -> canonical URL)."""
    with sqlite3.connect(out.parent / ".newsmirror" / out.name / "state.sqlite") as db:
        posts = dict(db.execute("SELECT canonical_url, post_path FROM posts").fetchall())
        aliases = dict(db.execute("SELECT url, canonical_url FROM aliases").fetchall())
    return posts, aliases


def test_a_refresh_finding_a_new_canonical_rewrites_the_post_in_place(site: LocalSite, site_root: Path, tmp_path: Path) -> None:
    old_canonical = f"http://{HOST}/2024/05/harbour-opens"
    new_canonical = f"http://{HOST}/news/2024/05/03/harbour-opens-to-ferries"  # the CMS renamed the slug
    url = serve(site_root, "story/4711.html", "Harbour opens", "2024-05-03T08:00:00Z", "First report.", old_canonical)
    out = tmp_path / "mirror"
    first = crawl(site, out, "-a", f"url={url}")
    ((path, canonical),) = [(item["post_path"], item["canonical_url"]) for item in first.items]
    assert canonical == old_canonical

    serve(site_root, "story/4711.html", "Harbour opens", "2024-05-03T08:00:00Z", "Updated report.", new_canonical)
    refreshed = crawl(site, out, "-a", f"url={url}", "-a", "refresh=all")
    assert [(item["canonical_url"], item["status"], item["post_path"]) for item in refreshed.items] == [
        (new_canonical, "updated", path)
    ]
    assert list(read_tree(out)) == [path]  # the same file, and no suffixed duplicate beside it
    assert "Updated report." in (out / path).read_text(encoding="utf-8")
    posts, aliases = ledger_rows(out)
    assert posts == {new_canonical: path}  # the old key claims no post of its own any more
    assert aliases[url] == aliases[old_canonical] == new_canonical
    assert f"re-keyed in place from {old_canonical}" in refreshed.log
    assert refreshed.stat("newsmirror/rekeyed") == 1

    again = crawl(site, out, "-a", f"url={url},{old_canonical}")  # both lead to the one post: nothing fetched
    assert again.items == [] and again.stat("newsmirror/skipped/known") == 2


def test_a_refresh_whose_new_canonical_names_another_known_article_keys_on_its_own_url(
    site: LocalSite, site_root: Path, tmp_path: Path
) -> None:
    other = serve(site_root, "2024/05/other.html", "Bridge closes", "2024-05-01T08:00:00Z", "Bridge text.")
    old_canonical = f"http://{HOST}/2024/05/market-day"
    url = serve(site_root, "story/4712.html", "Market day", "2024-05-02T08:00:00Z", "Market text.", old_canonical)
    out = tmp_path / "mirror"
    first = crawl(site, out, "-a", f"url={other},{url}", "-s", "CONCURRENT_REQUESTS=1")
    paths = {item["url"]: item["post_path"] for item in first.items}
    before = read_tree(out)

    # The page now names the other article as its canonical: a misconfigured template.
    serve(site_root, "story/4712.html", "Market day", "2024-05-02T08:00:00Z", "Market text, revised.", other)
    refreshed = crawl(site, out, "-a", f"url={url}", "-a", "refresh=all")
    assert [(item["canonical_url"], item["status"], item["post_path"]) for item in refreshed.items] == [
        (url, "updated", paths[url])
    ]
    after = read_tree(out)
    assert sorted(after) == sorted(before)  # no duplicate
    assert after[paths[other]] == before[paths[other]]  # the other article's post is untouched
    assert "Market text, revised." in after[paths[url]].decode()
    assert f"{url} declares canonical {other}; not taken, the ledger holds another article there" in refreshed.log
    posts, aliases = ledger_rows(out)
    assert posts == {other: paths[other], url: paths[url]}
    assert aliases[old_canonical] == url and aliases[other] == other
