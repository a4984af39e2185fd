"""The layout-change alarm: a site module whose rules left a field empty on a whole run.

When a site is redesigned, its module's selectors stop matching. The generic rules
usually still fill the post, so nothing fails, and the quality drop goes unseen. So the
extract step counts, per site module, the articles it read and the fields its own rules
left empty (stats ``newsmirror/site/<key>/articles`` and
``newsmirror/site/<key>/empty/<field>``), and at the end of the run this extension warns
about every site where a field was empty on every article, and records it in the stats
(``newsmirror/site/<key>/layout_changed``: the empty fields, space-separated) for the
run report.
"""

from __future__ import annotations

import logging

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.statscollectors import StatsCollector

from newsmirror.sites.base import LAYOUT_FIELDS

logger = logging.getLogger(__name__)

_PREFIX = "newsmirror/site/"


def rule_key(rule_name: str) -> str:
    """Return the key a site rule file is counted under: ``rule:<file name>``.

    For a rule, "empty" means its value lost to the generic rules (it selected nothing,
    too little, or contradicted a confident generic value): the sign of a stale rule.
    """
    return f"rule:{rule_name}"


def count_site_fields(stats: StatsCollector, site_key: str, site_empty: tuple[str, ...]) -> None:
    """Count one article read by a site module, and each layout field its own rules left empty."""
    if site_key == "generic":
        return  # the generic rules have no layout to change
    stats.inc_value(f"{_PREFIX}{site_key}/articles")
    for name in site_empty:
        stats.inc_value(f"{_PREFIX}{site_key}/empty/{name}")


def changed_layouts(stats: dict[str, object], min_articles: int) -> dict[str, tuple[int, list[str]]]:
    """Return ``{site key: (articles, fields empty on every one)}`` from a run's stats."""
    changed: dict[str, tuple[int, list[str]]] = {}
    for name, value in stats.items():
        if not (name.startswith(_PREFIX) and name.endswith("/articles")) or not isinstance(value, int):
            continue
        key = name[len(_PREFIX) : -len("/articles")]
        if value < min_articles:
            continue  # one or two odd pages are no evidence of a redesign
        empty = [field for field in LAYOUT_FIELDS if stats.get(f"{_PREFIX}{key}/empty/{field}") == value]
        if empty:
            changed[key] = (value, empty)
    return changed


class LayoutAlarm:
    """Warns at the end of a run about site modules whose fields all came back empty."""

    def __init__(self, stats: StatsCollector, min_articles: int) -> None:
        self.stats = stats
        self.min_articles = min_articles

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LayoutAlarm:
        """Build the extension; ``LAYOUT_ALARM_MIN_ARTICLES = 0`` switches it off."""
        min_articles = crawler.settings.getint("LAYOUT_ALARM_MIN_ARTICLES")
        if min_articles <= 0:
            raise NotConfigured("LAYOUT_ALARM_MIN_ARTICLES is 0")
        extension = cls(crawler.stats, min_articles)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_closed(self) -> None:
        """Log and record every site whose layout has probably changed."""
        for key, (articles, empty) in sorted(changed_layouts(self.stats.get_stats(), self.min_articles).items()):
            logger.warning(
                "Site %s: its rules found no %s on any of the %d articles of this run; "
                "its layout has probably changed (the generic rules filled in)",
                key, ", ".join(empty), articles,
            )
            self.stats.set_value(f"{_PREFIX}{key}/layout_changed", " ".join(empty))
