"""The generic site: every field read by the field modules (newsmirror/fields/), plus page identity.

Site modules fill what their layout is known to hold; their values enter the field
modules as the most precise candidates, and the generic sources fill the rest.
"""

from __future__ import annotations

import re
from datetime import tzinfo
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import tldextract

from newsmirror.clean import absolute_url
from newsmirror.extract.language import guess_timezone, is_chinese
from newsmirror.extract.page import Page
from newsmirror.fields import author, body, date, image, title
from newsmirror.fields.base import PageContext
from newsmirror.fields.image import is_default_image
from newsmirror.sites.base import PageFields, Site

__all__ = [
    "SITE", "canonical_url", "extract", "fill_missing", "guess_timezone", "is_chinese",
    "is_default_image", "normalize_url", "registrable_domain", "site_name",
]

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


def canonical_url(page: Page) -> str:
    """Return the page's declared canonical URL when it stays on the page's own site."""
    own = urlsplit(page.url).hostname or ""
    for candidate in (
        page.selector.xpath('//link[@rel="canonical"]/@href').get(),
        page.meta("og:url"),
    ):
        if not candidate:
            continue
        # Resolved against the page's own URL, never <base href>, which the page controls.
        resolved = absolute_url(candidate, page.url)
        # A page may not claim another site's URL: that would let it replace that article's post.
        if resolved and registrable_domain(urlsplit(resolved).hostname or "") == registrable_domain(own):
            return normalize_url(resolved)
    return normalize_url(page.url)


def site_name(page: Page) -> str:
    """Return the publication's name: og:site_name, application-name, or the bare host."""
    name = page.meta("og:site_name", "application-name")
    if name:
        return name
    host = urlsplit(page.url).hostname or ""
    return host.removeprefix("www.")


def fill_missing(fields: PageFields, page: Page, zone: tzinfo) -> PageFields:
    """Choose every field of *fields* by its field module, the site's values first; return it."""
    fields.site_name = fields.site_name or site_name(page)
    names = tuple(dict.fromkeys(name for name in (fields.site_name, site_name(page)) if name))
    context = PageContext(page, zone, names)
    choices = fields.choices
    choices["title"] = title.choose(context, fields.title)
    context.title = fields.title = choices["title"].value or ""
    choices["date"] = date.choose(context, fields.date)
    fields.date = choices["date"].value
    fields.date_problem = fields.date_problem or choices["date"].problem
    choices["author"] = author.choose(context, fields.author)
    fields.author = choices["author"].value or ""
    fields.title = title.without_byline_suffix(fields.title, fields.author)
    fields.canonical_url = fields.canonical_url or canonical_url(page)
    choices["share_image"] = image.choose(context, fields.share_image)
    fields.share_image = choices["share_image"].value or ""
    choices["body"] = body.choose(context, fields.body)
    fields.body = choices["body"].value
    return fields


def extract(page: Page, zone: tzinfo) -> PageFields:
    """Read every field with the generic rules."""
    return fill_missing(PageFields(), page, zone)


SITE = Site(key="generic", hosts=(), extract=extract, is_default_image=is_default_image)
