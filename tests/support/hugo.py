"""Build a real Hugo site (Debian's hugo, 0.111 here) from a folder of posts and read back each page."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.support.sitetools import BuiltPage, read_page, require_tool, run_tool

# Hugo's defaults: every kind of page is built (category pages too, whose names come
# from the posts), so a post that breaks any of them breaks this build.
CONFIG = """\
baseURL = "http://example.org/"
"""
# Lists (home, sections, taxonomies, terms) print the titles of their pages, nothing else.
LIST_LAYOUT = """\
<html><body><ul>{{ range .Pages }}<li>{{ .Title }}</li>{{ end }}</ul></body></html>
"""
# Go's json escapes <, > and & in strings, so the JSON is safe inside <pre>.
LAYOUT = """\
{{- $resources := slice -}}
{{- range .Resources -}}{{- $resources = $resources | append .Name -}}{{- end -}}
{{- $meta := dict "title" .Title "date" (.Date.Format "2006-01-02T15:04:05Z07:00") "author" .Params.author
    "categories" .Params.categories "images" .Params.images "featured_image" .Params.featured_image
    "path" .File.Path "resources" $resources -}}
<html><body><pre id="meta">{{ $meta | jsonify }}</pre>
<main id="content">{{ .Content }}</main></body></html>
"""


def require_hugo() -> str:
    """Return the hugo binary, or skip the test (locally) when it is absent."""
    return require_tool("hugo")


def hugo_build(posts_dir: Path, site_dir: Path, extra: dict[str, str] | None = None) -> dict[str, BuiltPage]:
    """Copy *posts_dir* to a site's ``content/``, run ``hugo``, and return each page by its source path.

    *extra* adds content files (path -> text), such as a control post written by hand.
    """
    hugo = require_hugo()
    (site_dir / "layouts" / "_default").mkdir(parents=True)
    (site_dir / "config.toml").write_text(CONFIG, encoding="utf-8")
    (site_dir / "layouts" / "_default" / "single.html").write_text(LAYOUT, encoding="utf-8")
    (site_dir / "layouts" / "_default" / "list.html").write_text(LIST_LAYOUT, encoding="utf-8")
    shutil.copytree(posts_dir, site_dir / "content")
    for relpath, text in (extra or {}).items():
        (site_dir / "content" / relpath).parent.mkdir(parents=True, exist_ok=True)
        (site_dir / "content" / relpath).write_text(text, encoding="utf-8")
    run_tool([hugo, "--quiet", "--destination", "public"], cwd=site_dir)
    pages = {}
    for path in sorted((site_dir / "public").rglob("*.html")):
        if 'id="meta"' not in path.read_text(encoding="utf-8"):
            continue  # a list page
        meta, content, page = read_page(path)
        pages[meta["path"]] = BuiltPage(meta["path"], meta, content, page)
    return pages
