"""The Hexo format (the default): the older system's posts, byte for byte.

The layout copies the older system's posts (``shared/corpus/reference/sample-post.md``)
so that existing Hexo sites diff cleanly, minus its defects: no leading blank line,
no placeholder image, titles never altered, front matter never brace-escaped. Hexo
renders the body through Nunjucks, so braces in it are written as entities.
"""

from __future__ import annotations

from datetime import datetime, timezone
from email.utils import format_datetime
from typing import ClassVar

from newsmirror.formats.base import PostFormat
from newsmirror.formats.frontmatter import Post, clean_fields, html_body_lines, post_day, yaml_scalar, yaml_single_quoted


def rfc1123_gmt(moment: datetime) -> str:
    """Return an aware datetime as the sample's date line: ``Tue, 29 Mar 2022 11:47:10 GMT``."""
    if moment.tzinfo is None:
        raise ValueError("a post date must carry its time zone")
    return format_datetime(moment.astimezone(timezone.utc).replace(microsecond=0), usegmt=True)


def render_post(post: Post, *, with_link: bool = False) -> bytes:
    """Return the post file's bytes in the sample's layout."""
    fields = clean_fields(post)
    lines = ["---", f"title: {yaml_single_quoted(fields.title)}", "categories: "]
    lines += [f" - {yaml_scalar(category)}" for category in fields.categories]
    if fields.lead_image:
        lines.append(f"headimg: {yaml_single_quoted(fields.lead_image)}")
    lines.append(f"author: {yaml_scalar(fields.author)}")
    lines.append("comments: false")
    lines.append(f"date: {post_day(post) if post.day_only else rfc1123_gmt(post.date)}")
    if fields.lead_image:
        lines.append(f"thumbnail: {yaml_single_quoted(fields.lead_image)}")
    if with_link and fields.source_url:
        lines.append(f"link: {yaml_single_quoted(fields.source_url)}")
    lines += ["---", "", *html_body_lines(post)]
    return "\n".join(lines).encode("utf-8")


class HexoFormat(PostFormat):
    """``source/_posts`` posts for Hexo, images in Hexo's ``post_asset_folder`` layout."""

    name: ClassVar[str] = "hexo"

    def render(self, post: Post, *, with_link: bool = False) -> bytes:
        """Return the post in the older system's layout."""
        return render_post(post, with_link=with_link)
