"""``python -m newsmirror.demo``: the bundled offline demo mirrors its five articles."""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

from tests.support.crawl import mtimes, read_tree, run_crawl, run_python
from tests.support.localsite import running_site
from tests.support.pages import article_page
from tests.support.posts import split_post


def run_demo(cwd: Path, out: Path) -> subprocess.CompletedProcess[str]:
    """Run the demo from *cwd* (not the repository, so no scrapy.cfg is found) into *out*."""
    return run_python(["-m", "newsmirror.demo", "--out", str(out)], cwd=cwd)


def test_demo_mirrors_the_bundled_site_and_rewrites_nothing_the_second_time(tmp_path: Path) -> None:
    out = tmp_path / "demo-mirror"
    done = run_demo(tmp_path, out)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Mirrored 5 posts" in done.stdout
    assert str(out.resolve()) in done.stdout

    posts = sorted(out.rglob("*.md"))
    assert len(posts) == 5, posts
    fronts = {post.relative_to(out).as_posix(): split_post(post.read_bytes())[0] for post in posts}
    texts = {post.relative_to(out).as_posix(): post.read_text(encoding="utf-8") for post in posts}

    sina = next(name for name, front in fronts.items() if "新浪财经" in front["categories"])
    assert fronts[sina]["categories"] == ["新浪财经"]
    assert fronts[sina]["headimg"] == "https://n.sinaimg.cn/finance/transform/20240115/demo-harbour-cranes.jpg"
    assert fronts[sina]["author"] == "滨海经济观察"
    # The 文末二维码 QR promo is never content, nor a lead image.
    assert not any("demo-app-qr" in text or "新浪财经APP" in text for text in texts.values())

    # The GBK page's bytes were decoded as GBK, not mojibake.
    titles = {front["title"] for front in fronts.values()}
    assert "社区图书馆延长夜间开放时间 首周借阅量明显增加" in titles
    assert "Night skies: what the observatory's new camera shows us" in titles

    hostile = next(name for name, front in fronts.items() if front["title"] == "Why our comment section is changing")
    body = texts[hostile].split("\n---\n", 1)[1]
    assert "spam links" in body and "greet you as" in body
    for bad in ("onclick", "onmouseover", "javascript:", "<iframe", "<script", "{", "}"):
        assert bad not in texts[hostile], bad

    # Index and log sit beside the mirror, never inside it (a site generator would publish them).
    assert (tmp_path / "demo-mirror-index.jsonl").is_file()
    log = (tmp_path / "demo-mirror.log").read_text(encoding="utf-8")
    # Every page is mirrored cleanly: nothing skipped, nothing deprecated.
    assert not re.search(r" (WARNING|ERROR): |\b\w*Warning: ", log), log
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == sorted(fronts)

    before = (read_tree(out), mtimes(out))
    time.sleep(0.05)
    again = run_demo(tmp_path, out)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "Mirrored 5 posts" in again.stdout
    assert "5 unchanged" in again.stdout
    assert (read_tree(out), mtimes(out)) == before


MIRROR_HOST = "news.example.com"


def test_make_demo_then_make_mirror_in_one_folder_each_keep_a_ledger_of_their_own(tmp_path: Path) -> None:
    """Issue 14: ``make mirror`` after ``make demo`` stopped: "the ledger ... belongs to .../demo-mirror".

    What the two Makefile targets run, with their two mirror folders side by side in one
    folder; the mirror's sources are served by the loopback server, not the internet.
    """
    demo = run_demo(tmp_path, tmp_path / "demo-mirror")
    assert demo.returncode == 0, demo.stdout + demo.stderr
    root = tmp_path / "site"
    (root / MIRROR_HOST).mkdir(parents=True)
    (root / MIRROR_HOST / "ferry.html").write_bytes(article_page("Ferry returns", "2024-07-10T08:00:00Z", "Text."))
    sources = tmp_path / "sources.toml"
    sources.write_text(f'[[source]]\nname = "hand"\ntype = "urls"\nurls = ["http://{MIRROR_HOST}/ferry.html"]\n', "utf-8")
    mirror = tmp_path / "mirror"
    with running_site(root) as site:
        result = run_crawl(
            "mirror", env=site.proxy_env(), settings={"MIRROR_SOURCES": str(sources), "MIRROR_DIR": str(mirror)},
            index=tmp_path / "index.jsonl",
        )  # fmt: skip
    assert "belongs to" not in result.log
    assert [(item["url"], item["status"]) for item in result.items] == [(f"http://{MIRROR_HOST}/ferry.html", "new")]
    assert len(list(mirror.rglob("*.md"))) == 1 and len(list((tmp_path / "demo-mirror").rglob("*.md"))) == 5
    ledgers = sorted(path.relative_to(tmp_path).as_posix() for path in tmp_path.glob(".newsmirror/*/state.sqlite"))
    assert ledgers == [".newsmirror/demo-mirror/state.sqlite", ".newsmirror/mirror/state.sqlite"]
    again = run_demo(tmp_path, tmp_path / "demo-mirror")  # and the demo still runs after the mirror
    assert again.returncode == 0 and "5 unchanged" in again.stdout, again.stdout + again.stderr
