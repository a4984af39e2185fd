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
from newsmirror.formats.frontmatter import Post, escape_braces, post_day, yaml_scalar, yaml_single_quoted
from newsmirror.text import fold_text


def rfc1123_gmt(moment: datetime) -> str:
    """Return an aware datetime as the sample's date line: ``Tue, 29 Mar 2022 11:47:10 GMT``."""
    if moment.tzinfo is None:
        raise ValueError("a post date must carry its time zone")
    return format_datetime(moment.astimezone(timezone.utc).replace(microsecond=0), usegmt=True)


def render_post(post: Post, *, with_link: bool = False) -> bytes:
    """Return the post file's bytes in the sample's layout."""
    title = fold_text(post.title)
    if not title:
        raise ValueError("a post needs a non-empty title")
    categories = [fold_text(category) for category in post.categories]
    if not categories or not all(categories):
        raise ValueError("a post needs at least one non-empty category")
    lines = ["---", f"title: {yaml_single_quoted(title)}", "categories: "]
    lines += [f" - {yaml_scalar(category)}" for category in categories]
    lead_image = fold_text(post.lead_image or "")
    if lead_image:
        lines.append(f"headimg: {yaml_single_quoted(lead_image)}")
    lines.append(f"author: {yaml_scalar(fold_text(post.author))}")
    lines.append("comments: false")
    lines.append(f"date: {post_day(post) if post.day_only else rfc1123_gmt(post.date)}")
    if lead_image:
        lines.append(f"thumbnail: {yaml_single_quoted(lead_image)}")
    if with_link and post.source_url:
        lines.append(f"link: {yaml_single_quoted(fold_text(post.source_url))}")
    lines += ["---", "", "<div>", escape_braces(post.body_html.strip("\n")), "</div>", ""]
    return "\n".join(lines).encode("utf-8")


class HexoFormat(PostFormat):
    """``source/_posts`` posts for Hexo, images in Hexo's ``post_asset_folder`` layout."""

    name: ClassVar[str] = "hexo"

    def render(self, post: Post, *, with_link: bool = False) -> bytes:
        """Return the post in the older system's layout."""
        return render_post(post, with_link=with_link)
