"""Sends a site rule's ``http_header(name): value`` lines on the requests to its hosts."""

from __future__ import annotations

from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from newsmirror.siterules.book import RuleBook, rule_book_for

# Where a request records the header names a rule added, so they can be taken off again.
_ADDED = "newsmirror_rule_headers"


class SiteRuleHeadersMiddleware:
    """A downloader middleware: adds the headers of the rule for each request's host.

    A header the request already carries (a Referer, a conditional header, a cookie from
    the jar) stays as it is; it runs after Scrapy's CookiesMiddleware, which rewrites the
    Cookie header on every pass.
    Headers a rule added are taken off again when a redirect leads to a host the rule
    does not cover, so a consent cookie never travels to another site. User-Agent is never
    a rule's to set (see :data:`newsmirror.siterules.rules.REFUSED_HEADERS`).
    """

    def __init__(self, rules: RuleBook) -> None:
        self.rules = rules

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SiteRuleHeadersMiddleware:
        """Build the middleware; off (NotConfigured) unless ``MIRROR_SITE_RULES`` names a folder with headers."""
        rules = rule_book_for(crawler.settings.get("MIRROR_SITE_RULES"))
        # No message: Scrapy logs a NotConfigured message as a warning, and off is the default.
        if rules is None or not any(rule.headers for rule in rules.rules):
            raise NotConfigured
        return cls(rules)

    def process_request(self, request: Request) -> None:
        """Add the rule's headers for the request's host; drop those a rule added for another host."""
        rule = self.rules.rule_for_host(urlsplit(request.url).hostname or "")
        headers = dict(rule.headers) if rule is not None else {}
        for name in request.meta.get(_ADDED, ()):
            if name not in headers:
                request.headers.pop(name, None)
        added = [name for name in headers if name not in request.headers or name in request.meta.get(_ADDED, ())]
        for name in added:
            request.headers[name] = headers[name]
        if added or _ADDED in request.meta:
            request.meta[_ADDED] = tuple(added)
