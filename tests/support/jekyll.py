"""Build a real Jekyll site (Debian's jekyll, 4.3 here) from a folder of posts and read back each page."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.support.sitetools import BuiltPage, read_page, require_tool, run_tool

# One default: every page uses the probe layout. Nothing else differs from Jekyll's defaults.
CONFIG = """\
defaults:
  - scope: {path: ""}
    values: {layout: probe}
"""
# Captured, then escaped: the JSON holds page text, which must not end the <pre>.
LAYOUT = """\
{%- capture meta -%}
{"title": {{ page.title | jsonify }}, "date": {{ page.date | date_to_xmlschema | jsonify }},
 "author": {{ page.author | jsonify }}, "categories": {{ page.categories | jsonify }},
 "image": {{ page.image | jsonify }}, "path": {{ page.relative_path | jsonify }}}
{%- endcapture -%}
<html><body><pre id="meta">{{ meta | xml_escape }}</pre>
<main id="content">{{ content }}</main></body></html>
"""


def require_jekyll() -> str:
    """Return the jekyll binary, or skip the test (locally) when it is absent."""
    return require_tool("jekyll")


def jekyll_build(posts_dir: Path, site_dir: Path, extra: dict[str, str] | None = None) -> dict[str, BuiltPage]:
    """Copy *posts_dir* as the site's source, run ``jekyll build``, and return each post by its path.

    *extra* adds files (path -> text), such as a control post written by hand.
    """
    jekyll = require_jekyll()
    shutil.copytree(posts_dir, site_dir)
    for relpath, text in (extra or {}).items():
        (site_dir / relpath).parent.mkdir(parents=True, exist_ok=True)
        (site_dir / relpath).write_text(text, encoding="utf-8")
    (site_dir / "_layouts").mkdir()
    (site_dir / "_config.yml").write_text(CONFIG, encoding="utf-8")
    (site_dir / "_layouts" / "probe.html").write_text(LAYOUT, encoding="utf-8")
    run_tool([jekyll, "build", "--quiet", "--safe", "--destination", "_site"], cwd=site_dir)
    pages = {}
    for path in sorted((site_dir / "_site").rglob("*.html")):
        meta, content, page = read_page(path)
        pages[meta["path"]] = BuiltPage(meta["path"], meta, content, page)
    return pages
