"""What a site rule is, and what it returns: the fields read from one page."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

import lxml.html

from newsmirror.extract.page import Page
from newsmirror.fields.base import FieldChoice
from newsmirror.siterules.apply import RuleReading


# The fields every site module reads from its layout (the others are usually left to the
# generic rules on purpose); one of them empty on every article of a run means the
# layout has probably changed (newsmirror/layout.py).
LAYOUT_FIELDS = ("title", "date", "author", "body")


@dataclass
class PageFields:
    """Article fields read from a page; empty values mean "not found here"."""

    title: str = ""
    author: str = ""
    date: datetime | None = None
    date_problem: str = ""  # why a date the page shows could not be used
    date_day_only: bool = False  # the date's source gives the day, no time of day (the URL path)
    canonical_url: str = ""
    body: lxml.html.HtmlElement | None = None
    share_image: str = ""  # og:image or JSON-LD image, a lead-image candidate
    site_name: str = ""
    # The structured data says the article is not free to read (isAccessibleForFree false).
    paywalled: bool = False
    # The LAYOUT_FIELDS the site module's own rules left empty, before the generic rules
    # filled them: what the layout-change alarm counts.
    site_empty: tuple[str, ...] = ()
    # Field name -> how its value was chosen: the winner's source and the candidates
    # passed over, for ``scrapy extract`` and debugging (title, author, date, share_image, body).
    choices: dict[str, FieldChoice] = field(default_factory=dict)
    # The site rule file (MIRROR_SITE_RULES) that read this page, if any, and the fields
    # where its value lost to the generic rules: what the layout-change alarm counts for it.
    rule_name: str = ""
    rule_fallbacks: tuple[str, ...] = ()
    # What the rule itself read (its own candidates, winning or not): ``scrapy siterules check``.
    rule_reading: RuleReading | None = None


def _never(_url: str) -> bool:
    return False


def _unchanged(url: str) -> str:
    return url


@dataclass(frozen=True)
class Site:
    """One site's rules: which hosts they cover and how to read their pages.

    ``extract`` is a pure function of a page: it reads what the site's layout is known
    to hold and leaves the rest empty for the generic rules to fill.
    """

    key: str
    hosts: tuple[str, ...]
    extract: Callable[[Page, tzinfo], PageFields]
    timezone: str | None = None  # None: decided from the page's language
    junk: tuple[str, ...] = ()  # CSS selectors of non-article blocks inside the body
    junk_spans: tuple[str, ...] = ()  # widgets marked only by <!-- NAMEbegin --> ... <!-- NAMEend -->
    is_default_image: Callable[[str], bool] = _never  # site-wide share images and logos
    canonicalize: Callable[[str], str] = _unchanged  # one URL per article
    # The lead image is the body's first image, before the share image (og:image).
    body_image_first: bool = False

    def covers(self, host: str) -> bool:
        """Tell whether *host* belongs to this site."""
        host = host.lower().rstrip(".")
        return any(host == suffix or host.endswith("." + suffix) for suffix in self.hosts)
