"""The generic site: every field read by the field modules (newsmirror/fields/), plus page identity.

Site modules fill what their layout is known to hold; their values enter the field
modules as the most precise candidates, and the generic sources fill the rest.
"""

from __future__ import annotations

import logging
import re
from datetime import tzinfo
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import tldextract

from newsmirror.clean import absolute_url
from newsmirror.extract.language import guess_timezone, is_chinese
from newsmirror.extract.page import Page
from newsmirror.fields import access, author, body, date, image, title
from newsmirror.fields.base import FieldChoice, PageContext
from newsmirror.fields.image import is_default_image
from newsmirror.sites.base import PageFields, Site
from newsmirror.siterules.apply import read_rule
from newsmirror.siterules.rules import SiteRule

__all__ = [
    "SITE", "canonical_url", "extract", "fill_missing", "guess_timezone", "is_chinese",
    "is_default_image", "listing_reason", "normalize_url", "registrable_domain", "site_name",
]

logger = logging.getLogger(__name__)

# Query parameters that only track a click, on any site; the same article with or without
# them is one article. Site modules drop their own (Sina's cre, mod, loc, r).
_TRACKING = re.compile(r"^(utm_\w+|fbclid|gclid|dclid|msclkid|mc_cid|mc_eid|_ga|spm|share_token|igshid)$")


# The Public Suffix List as tldextract bundles it: no download at run time (suffix_list_urls
# empty, no cache), and with the private section, so that each user of blogspot.com, github.io
# or a hosting service like them is a site of their own.
_PUBLIC_SUFFIXES = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True)


def registrable_domain(host: str) -> str:
    """Return the domain one label under *host*'s public suffix (PSL, private suffixes included).

    A host with no public suffix (an IP address, ``localhost``) is its own domain.
    """
    host = host.lower().rstrip(".")
    return _PUBLIC_SUFFIXES(host).top_domain_under_public_suffix or host


def normalize_url(url: str, site_tracking: re.Pattern[str] | None = None) -> str:
    """Return *url* without fragment, tracking parameters or default port, host lower-cased.

    *site_tracking* matches a site's own tracking parameters, dropped as well.
    """
    parts = urlsplit(url.strip())
    try:
        port = parts.port
    except ValueError:  # a port out of range: keep the URL as written, minus the fragment
        return urlunsplit(parts._replace(fragment=""))
    query = urlencode(
        [
            (name, value)
            for name, value in parse_qsl(parts.query, keep_blank_values=True)
            if not _TRACKING.match(name) and not (site_tracking and site_tracking.match(name))
        ]
    )
    host = (parts.hostname or "").lower()
    if port and (parts.scheme, port) not in {("http", 80), ("https", 443)}:
        host = f"{host}:{port}"
    return urlunsplit((parts.scheme.lower(), host, parts.path or "/", query, ""))


# The last path segment of a site's front page: "/index.html" is the root as much as "/" is.
_INDEX_FILE = re.compile(r"^(index|default|home)(\.[a-z]+)?$", re.IGNORECASE)
# Path words that introduce a list of articles rather than one: /category/x, /tag/y, /page/2.
_LISTING_WORD = frozenset(
    {"category", "categories", "tag", "tags", "topic", "topics", "section", "sections", "label", "labels",
     "archive", "archives", "author", "authors", "page", "search", "feed", "feeds"}
)
# A segment that names one article: it carries a number (an id, a date) or a file extension,
# or it is a slug of several words (my-long-story).
_ARTICLE_SEGMENT = re.compile(r"\d|\.[a-z0-9]{2,5}$|^[^-_]+([-_][^-_]+){2,}$", re.IGNORECASE)


def listing_reason(url: str) -> str | None:
    """Say why *url* is its site's front page or an obvious listing page, or return None.

    Conservative: a path with any article-like segment (a number, a file extension, a
    several-word slug) outside a /category/, /tag/, /page/ ... part is an article.
    """
    parts = urlsplit(url)
    segments = [segment for segment in parts.path.split("/") if segment]
    if segments and _INDEX_FILE.match(segments[-1]):
        segments.pop()
    if not segments:
        # "/?p=123" is WordPress's own article URL; only a bare root is the front page.
        return None if parts.query else "it is the site's front page"
    for position, segment in enumerate(segments):
        # The word and at most two segments after it (/category/world/page/2 is two words deep).
        if segment.lower() in _LISTING_WORD and len(segments) - position <= 3 and not any(
            "." in later for later in segments[position + 1:]
        ):
            return f"it is a listing page (/{segment}/...)"
    if any(_ARTICLE_SEGMENT.search(segment) for segment in segments):
        return None
    if any(any(ch.isdigit() for ch in value) for _, value in parse_qsl(parts.query)):
        return None  # /news?id=5
    return "it is a section page (no segment of its path names an article)"


def canonical_url(page: Page) -> str:
    """Return the page's declared canonical URL when it is believable, else the page's own URL.

    Believable: on the page's own registrable domain (Public Suffix List), and not that
    site's front page or a listing page, which a misconfigured CMS declares on every article.
    """
    own_url = normalize_url(page.url)
    own = urlsplit(page.url).hostname or ""
    for candidate in (
        page.selector.xpath('//link[@rel="canonical"]/@href').get(),
        page.meta("og:url"),
    ):
        if not candidate:
            continue
        # Resolved against the page's own URL, never <base href>, which the page controls.
        resolved = absolute_url(candidate, page.url)
        if not resolved:
            continue
        declared = normalize_url(resolved)
        if declared == own_url:
            return own_url
        # A page may not claim another site's URL: that would let it replace that article's post.
        if registrable_domain(urlsplit(resolved).hostname or "") != registrable_domain(own):
            reason = "it is on another site"
        else:
            reason = listing_reason(declared)
            if reason is None:
                return declared
        logger.info("%s declares canonical %s; not taken, %s: keyed on its own URL", page.url, declared, reason)
    return own_url


def site_name(page: Page) -> str:
    """Return the publication's name: og:site_name, application-name, or the bare host."""
    name = page.meta("og:site_name", "application-name")
    if name:
        return name
    host = urlsplit(page.url).hostname or ""
    return host.removeprefix("www.")


def fill_missing(
    fields: PageFields, page: Page, zone: tzinfo, rule: SiteRule | None = None, explain: bool = False
) -> PageFields:
    """Choose every field of *fields* by its field module, the site's values first; return it.

    With a site *rule*, its title, date, author and body are weighed first
    (:meth:`newsmirror.siterules.RuleReading.settle`: they win unless a confident
    generic value says otherwise). *explain*: collect every candidate of every field, for
    ``scrapy extract``; a crawl leaves it off, and the weaker sources of a field settled
    already are never computed.
    """
    fields.site_name = fields.site_name or site_name(page)
    names = tuple(dict.fromkeys(name for name in (fields.site_name, site_name(page)) if name))
    context = PageContext(page, zone, names, explain=explain)
    reading = read_rule(rule, page) if rule is not None else None

    def chosen(name: str, choice: FieldChoice) -> FieldChoice:
        return reading.settle(name, choice, context) if reading is not None else choice

    choices = fields.choices
    choices["title"] = chosen("title", title.choose(context, fields.title))
    context.title = fields.title = choices["title"].value or ""
    choices["date"] = chosen("date", date.choose(context, fields.date))
    fields.date = choices["date"].value
    fields.date_day_only = choices["date"].day_only and choices["date"].source != "site module"
    fields.date_problem = fields.date_problem or choices["date"].problem
    choices["author"] = chosen("author", author.choose(context, fields.author))
    fields.author = choices["author"].value or ""
    fields.title = title.without_byline_suffix(fields.title, fields.author)
    fields.canonical_url = fields.canonical_url or canonical_url(page)
    choices["share_image"] = image.choose(context, fields.share_image)
    fields.share_image = choices["share_image"].value or ""
    choices["body"] = chosen("body", body.choose(context, fields.body))
    fields.body = choices["body"].value
    if reading is not None:
        fields.rule_name = reading.rule.name
        fields.rule_fallbacks = tuple(reading.fallbacks)
        fields.rule_reading = reading
    fields.paywalled = fields.paywalled or access.paywalled(context)
    return fields


def extract(page: Page, zone: tzinfo) -> PageFields:
    """Read every field with the generic rules."""
    return fill_missing(PageFields(), page, zone)


SITE = Site(key="generic", hosts=(), extract=extract, is_default_image=is_default_image)
