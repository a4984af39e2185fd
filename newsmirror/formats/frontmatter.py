"""What every post format shares: the post itself, and YAML front matter that reads back as written.

Each value is written plain only when YAML 1.1 (PyYAML, Go's yaml for Hugo) and YAML 1.2
(js-yaml for Hexo, Psych for Jekyll) all read it back as the same string; otherwise it
is single-quoted, where the only escape is ``''``.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime

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


def escape_braces(html: str) -> str:
    """Write ``{`` and ``}`` as HTML entities, so no template language sees a tag.

    Nunjucks (Hexo), Liquid (Jekyll) and Hugo's shortcodes all start with ``{``; an
    entity reads the same to a browser and to an HTML parser, and opens no tag.
    """
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
    # The page gave the day only (a date in the URL path): ``date:`` names the day, never
    # a made-up time of day. :attr:`date` is still midnight in the page's zone, for paths.
    day_only: bool = False


@dataclass(frozen=True)
class CleanFields:
    """A post's front-matter values, folded to one line each and checked."""

    title: str
    categories: list[str]
    author: str
    lead_image: str
    source_url: str


def rfc3339(moment: datetime) -> str:
    """Return an aware datetime as RFC 3339 in its own zone, to the second: ``2022-03-29T19:47:10+08:00``."""
    if moment.tzinfo is None:
        raise ValueError("a post date must carry its time zone")
    return moment.replace(microsecond=0).isoformat()


def html_body_lines(post: Post) -> list[str]:
    """Return the lines of a post's HTML body as every format writes it: one ``<div>``, braces as entities."""
    return ["<div>", escape_braces(post.body_html.strip("\n")), "</div>", ""]


def post_day(post: Post) -> str:
    """Return the day of a day-only post as every tool reads a date without a time: ``2024-05-16``."""
    return post.date.strftime("%Y-%m-%d")


def clean_fields(post: Post) -> CleanFields:
    """Fold every front-matter value to one line; raise ValueError for a post without title or category."""
    if post.date.tzinfo is None:
        raise ValueError("a post date must carry its time zone")
    title = fold_text(post.title)
    if not title:
        raise ValueError("a post needs a non-empty title")
    categories = [fold_text(category) for category in post.categories]
    if not categories or not all(categories):
        raise ValueError("a post needs at least one non-empty category")
    return CleanFields(
        title=title,
        categories=categories,
        author=fold_text(post.author),
        lead_image=fold_text(post.lead_image or ""),
        source_url=fold_text(post.source_url or ""),
    )


def yaml_list(key: str, values: list[str]) -> list[str]:
    """Return the lines of a YAML block list under *key*, each value quoted as needed."""
    return [f"{key}:", *(f"  - {yaml_scalar(value)}" for value in values)]
