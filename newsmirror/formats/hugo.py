"""The Hugo format: ``.html`` content files, which Hugo's default configuration renders whole.

A Markdown body would need ``markup.goldmark.renderer.unsafe = true`` (Hugo's default
Goldmark drops raw HTML), while an ``.html`` content file is used as it is, front
matter apart: no site configuration needed. Shortcodes (``{{< >}}``, ``{{% %}}``) still
run in ``.html`` content, so every brace in the body is written as an entity.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from newsmirror.formats.base import PostFormat
from newsmirror.formats.frontmatter import (
    Post,
    clean_fields,
    html_body_lines,
    post_day,
    rfc3339,
    yaml_list,
    yaml_scalar,
    yaml_single_quoted,
)



def render_hugo(post: Post, *, with_link: bool = False) -> bytes:
    """Return a Hugo content file: YAML front matter, then the body as HTML."""
    fields = clean_fields(post)
    lines = ["---", f"title: {yaml_single_quoted(fields.title)}", f"date: {post_day(post) if post.day_only else rfc3339(post.date)}"]
    lines.append(f"author: {yaml_scalar(fields.author)}")
    lines += yaml_list("categories", fields.categories)
    if fields.lead_image:
        # `images` is what Hugo's own opengraph and twitter_cards templates read;
        # `featured_image` is what Ananke (the theme of Hugo's quick start) shows.
        lines += ["images:", f"  - {yaml_single_quoted(fields.lead_image)}"]
        lines.append(f"featured_image: {yaml_single_quoted(fields.lead_image)}")
    if with_link and fields.source_url:
        lines.append(f"link: {yaml_single_quoted(fields.source_url)}")
    lines += ["---", *html_body_lines(post)]
    return "\n".join(lines).encode("utf-8")


class HugoFormat(PostFormat):
    """Hugo content: ``<name>.html``, or with ``MIRROR_IMAGES`` a page bundle ``<name>/index.html``."""

    name: ClassVar[str] = "hugo"
    extension: ClassVar[str] = ".html"

    def render(self, post: Post, *, with_link: bool = False) -> bytes:
        """Return the post as a Hugo ``.html`` content file."""
        return render_hugo(post, with_link=with_link)

    def place(self, built: str) -> str:
        """Return ``<name>.html``, or ``<name>/index.html`` (a leaf bundle) when images are copied."""
        stem = built.removesuffix(".md")
        return f"{stem}/index.html" if self.images else f"{stem}.html"

    def asset_folder(self, post_file: Path) -> Path:
        """Return the bundle's folder: a leaf bundle's images sit beside its ``index.html``."""
        # By the file, not the setting: a post written before MIRROR_IMAGES was on stays a single file.
        return post_file.parent if post_file.name == "index.html" else post_file.with_suffix("")
