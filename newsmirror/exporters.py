"""The post format: one article as front-matter Markdown, byte for byte.

The layout copies the older system's posts (``shared/corpus/reference/sample-post.md``)
so that existing Hexo sites diff cleanly, minus its defects: no leading blank line,
no placeholder image, titles never altered, front matter never brace-escaped.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import format_datetime
from typing import IO, Any

from itemadapter import ItemAdapter
from scrapy.exporters import BaseItemExporter

from newsmirror.text import fold_text

# Words that YAML 1.1 (PyYAML) or 1.2 (js-yaml, used by Hexo) read as something other
# than a string when plain.
_YAML_WORDS = frozenset(
    "y n yes no on off true false null".split()
)
# A plain scalar must not contain these: a comment start, a mapping indicator, or
# flow indicators that a flow context would read.
_PLAIN_BREAKERS = (": ", " #", "\t")


def _is_safe_plain(value: str) -> bool:
    """Tell whether *value* reads back as the same string when written as a plain YAML scalar."""
    if not value or value != value.strip():
        return False
    first = value[0]
    # Only a letter may start a plain scalar: digits, signs and dots can become numbers
    # or dates, and every YAML indicator character is punctuation.
    if not unicodedata.category(first).startswith("L"):
        return False
    if value.lower() in _YAML_WORDS:
        return False
    if value.endswith(":") or any(breaker in value for breaker in _PLAIN_BREAKERS):
        return False
    # Format characters (zero-width, bidi marks) are legal YAML but invisible in a diff:
    # quoting makes them obvious to a reader and unambiguous to every parser.
    return all(unicodedata.category(ch)[0] not in "CZ" or ch == " " for ch in value)


def yaml_single_quoted(value: str) -> str:
    """Return *value* as a YAML single-quoted scalar (``'`` doubled)."""
    return "'" + value.replace("'", "''") + "'"


def yaml_scalar(value: str) -> str:
    """Return *value* plain when that is safe YAML, single-quoted otherwise."""
    return value if _is_safe_plain(value) else yaml_single_quoted(value)


def rfc1123_gmt(moment: datetime) -> str:
    """Return an aware datetime as the sample's date line: ``Tue, 29 Mar 2022 11:47:10 GMT``."""
    if moment.tzinfo is None:
        raise ValueError("a post date must carry its time zone")
    return format_datetime(moment.astimezone(timezone.utc).replace(microsecond=0), usegmt=True)


def escape_braces(html: str) -> str:
    """Write ``{`` and ``}`` as HTML entities so Hexo's Nunjucks never sees a tag."""
    return html.replace("{", "&#123;").replace("}", "&#125;")


@dataclass(frozen=True)
class Post:
    """What a post file holds, already extracted and cleaned."""

    title: str
    categories: tuple[str, ...]
    author: str
    date: datetime
    body_html: str
    lead_image: str | None = None
    source_url: str | None = None  # written as ``link:`` only when MIRROR_FRONT_MATTER_LINK is on


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
    lines.append(f"date: {rfc1123_gmt(post.date)}")
    if lead_image:
        lines.append(f"thumbnail: {yaml_single_quoted(lead_image)}")
    if with_link and post.source_url:
        lines.append(f"link: {yaml_single_quoted(fold_text(post.source_url))}")
    lines += ["---", "", "<div>", escape_braces(post.body_html.strip("\n")), "</div>", ""]
    return "\n".join(lines).encode("utf-8")


class PostExporter(BaseItemExporter):
    """Scrapy item exporter that writes one article item as one post file.

    Scrapy's exporters write many items to one file; a post is one item per file, so
    the writer pipeline opens one exporter per post on an in-memory buffer.
    """

    def __init__(self, file: IO[bytes], *, with_link: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)  # unknown exporter options raise, as in Scrapy's own exporters
        self.file = file
        self.with_link = with_link

    def export_item(self, item: Any) -> None:
        """Write *item*'s post bytes to the file."""
        self.file.write(render_post(post_from_item(item), with_link=self.with_link))


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
    )
