"""The site registry: site rules first, the generic rules for whatever they leave empty."""

from __future__ import annotations

from datetime import tzinfo
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from newsmirror.extract.page import Page
from newsmirror.sites import generic, sina
from newsmirror.sites.base import LAYOUT_FIELDS, PageFields, Site
from newsmirror.siterules.rules import SiteRule

# One module per site. Every entry needs fixtures under tests/sites/<key>/ (a test checks).
SITES: tuple[Site, ...] = (sina.SITE,)


def site_for(url: str) -> Site:
    """Return the site whose hosts cover *url*, or the generic rules."""
    host = urlsplit(url).hostname or ""
    return next((site for site in SITES if site.covers(host)), generic.SITE)


def configured_timezone(url: str, overrides: dict[str, str] | None) -> ZoneInfo | None:
    """Return the ``MIRROR_TIMEZONES`` zone for *url*'s host (or a parent domain), if any."""
    host = (urlsplit(url).hostname or "").lower()
    for suffix, zone in (overrides or {}).items():
        if host == suffix or host.endswith("." + suffix):
            return ZoneInfo(zone)
    return None


def listing_timezone(url: str, source_zone: str | None, overrides: dict[str, str] | None) -> ZoneInfo:
    """Return the zone for a feed's or sitemap's naive dates.

    The source's own ``timezone``, else ``MIRROR_TIMEZONES`` for the listing's host, else
    the site module's zone, else UTC (a listing has no language to guess from).
    """
    if source_zone:
        return ZoneInfo(source_zone)
    return configured_timezone(url, overrides) or ZoneInfo(site_for(url).timezone or "UTC")


def timezone_for(page: Page, site: Site, overrides: dict[str, str] | None = None) -> tzinfo:
    """Return the zone for naive times: a per-host setting, the site's zone, or a guess."""
    configured = configured_timezone(page.url, overrides)
    if configured is not None:
        return configured
    return ZoneInfo(site.timezone) if site.timezone else generic.guess_timezone(page)


def extract_article(
    page: Page, timezones: dict[str, str] | None = None, rule: SiteRule | None = None, explain: bool = False
) -> tuple[Site, PageFields]:
    """Read the article fields of *page*: its site's rules, then the generic ones; *rule*'s values first.

    *explain*: every field collects all its candidates (``scrapy extract``), not only
    those up to the tier that settles it.
    """
    site = site_for(page.url)
    zone = timezone_for(page, site, timezones)
    if site is generic.SITE:
        return site, generic.fill_missing(PageFields(), page, zone, rule, explain)
    fields = site.extract(page, zone)
    fields.site_empty = tuple(name for name in LAYOUT_FIELDS if getattr(fields, name) in (None, ""))
    return site, generic.fill_missing(fields, page, zone, rule, explain)
