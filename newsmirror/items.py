"""The article item: what spiders hand to pipelines, and what the feed index exports."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # only a type here: reader processes import this module without Scrapy
    from scrapy.http import Response


def _isoformat(value: datetime | None) -> str | None:
    """Serialize a post date for the feed index: ISO 8601 with its offset."""
    return value.isoformat() if value is not None else None


@dataclass(frozen=True)
class ListingHints:
    """What a list, feed or sitemap said about an article before its page was fetched.

    Values given here win over what the page says, as the older system did: a feed's
    title and date are what its readers saw.
    """

    title: str | None = None
    date: datetime | None = None
    author: str | None = None
    # The article's HTML as the feed carried it (content:encoded, an HTML description):
    # the body when the page is not fetched, or yields none.
    content_html: str | None = None
    # Who published it, as the list says (Sina's media_name): the author when the page
    # names nobody, ahead of the site's own name.
    fallback_author: str | None = None
    # What the source's entry in the sources file says, carried to the pipelines:
    # the author when neither the feed nor the page names one, and the zone for naive times.
    site_name: str | None = None
    timezone: str | None = None
    # The article page's own canonical URL when its body is read from the single-page view
    # a site rule names (single_page_link): the post keeps the article's identity.
    canonical_url: str | None = None


@dataclass
class ArticleItem:
    """One article on its way from a fetched page to a post file.

    The spider fills ``url``, ``response``, ``source``, ``categories`` and ``hints``; the extract
    pipeline reads the article fields and drops ``response``; the clean pipeline turns
    ``content`` into ``body_html`` and picks ``lead_image``; the writer pipeline fills
    ``post_path`` and ``status``.  Feed exports write only ``INDEX_FIELDS``.
    """

    url: str
    response: Response | None = None
    fetched_url: str | None = None  # where the page really came from, after redirects
    hints: ListingHints = field(default_factory=ListingHints)
    categories: list[str] = field(default_factory=list)
    source: str = ""  # the name of the source (list, feed, sitemap, URL file) that found it
    canonical_url: str | None = None
    title: str | None = None
    author: str | None = None
    date: datetime | None = field(default=None, metadata={"serializer": _isoformat})
    # The page gave the day and no time of day (a date in the URL path): the post says the day only.
    date_day_only: bool = False
    lead_image: str | None = None
    share_image: str | None = None  # the page's og:image, used when the body has no image
    content: Any = None  # the lxml element of the article body, between extract and clean
    body_html: str | None = None
    site_name: str | None = None
    post_path: str | None = None
    # "new", "updated", "unchanged" or "hand-edited" once written; "duplicate" or "partial"
    # when MIRROR_DUPLICATES / MIRROR_PARTIAL = skip keeps it from being written at all.
    status: str | None = None
    format: str | None = None  # the post's format (MIRROR_FORMAT, or the source's) once written
    etag: str | None = None  # the article page's validators, kept in the ledger for refreshes
    last_modified: str | None = None
    # MIRROR_IMAGES: image URL -> its copy in the image store, filled by images.ImageCopyPipeline.
    local_images: dict[str, str] = field(default_factory=dict)
    # MIRROR_JOIN_PAGES: the article's later pages, in order, read with the first (then dropped).
    more_pages: list[Response] = field(default_factory=list)
    # The canonical URL of the first article of the same story, when this is a copy (issue 16).
    duplicate_of: str | None = None
    # Why the body is only part of the article (a teaser, a paywall), or None when it is whole.
    partial: str | None = None

    def __repr__(self) -> str:
        # Scrapy logs every scraped item; a full page body in the log helps nobody.
        return f"ArticleItem(url={self.url!r}, title={self.title!r}, post_path={self.post_path!r})"


# The index other tools read (`scrapy crawl ... -O items.jsonl`): one line per article.
INDEX_FIELDS: list[str] = [
    "source",
    "url",
    "canonical_url",
    "title",
    "author",
    "date",
    "categories",
    "lead_image",
    "post_path",
    "status",
    "format",
    "duplicate_of",
    "partial",
]

