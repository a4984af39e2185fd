"""``python -m newsmirror.demo``: the bundled offline demo mirrors its five articles."""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

from tests.support.crawl import mtimes, read_tree, run_python
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
