"""The post exporter: one article item as one post file, in the run's post format.

The formats themselves live in :mod:`newsmirror.formats` (one module per tool); this
module keeps the Scrapy side, and the names older code imports from here.
"""

from __future__ import annotations

from typing import IO, Any

from itemadapter import ItemAdapter
from scrapy.exporters import BaseItemExporter

from newsmirror.formats.base import PostFormat
from newsmirror.formats.frontmatter import Post, escape_braces, yaml_scalar, yaml_single_quoted
from newsmirror.formats.hexo import render_post, rfc1123_gmt
from newsmirror.text import fold_text


class PostExporter(BaseItemExporter):
    """Scrapy item exporter that writes one article item as one post file.

    Scrapy's exporters write many items to one file; a post is one item per file, so
    the writer pipeline opens one exporter per post on an in-memory buffer. Without
    *post_format* the post is Hexo's (today's bytes).
    """

    def __init__(
        self, file: IO[bytes], *, with_link: bool = False, post_format: PostFormat | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)  # unknown exporter options raise, as in Scrapy's own exporters
        self.file = file
        self.with_link = with_link
        self.post_format = post_format

    def export_item(self, item: Any) -> None:
        """Write *item*'s post bytes to the file."""
        post = post_from_item(item)
        if self.post_format is None:
            self.file.write(render_post(post, with_link=self.with_link))
        else:
            self.file.write(self.post_format.render(post, with_link=self.with_link))


def post_from_item(item: Any) -> Post:
    """Build the :class:`Post` an article item describes."""
    adapter = ItemAdapter(item)
    return Post(
        title=adapter["title"],
        categories=tuple(adapter["categories"]),
        author=adapter["author"],
        date=adapter["date"],
        body_html=adapter["body_html"],
        lead_image=adapter.get("lead_image"),
        source_url=adapter.get("canonical_url") or adapter.get("url"),
        day_only=bool(adapter.get("date_day_only")),
    )


__all__ = [
    "Post",
    "PostExporter",
    "escape_braces",
    "fold_text",
    "post_from_item",
    "render_post",
    "rfc1123_gmt",
    "yaml_scalar",
    "yaml_single_quoted",
]
