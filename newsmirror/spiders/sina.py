"""``scrapy crawl sina``: mirror the articles of Sina's roll lists (the older system's source)."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timezone
from typing import Any

import scrapy
from scrapy.http import Response, TextResponse

from newsmirror.incremental import LISTING_META
from newsmirror.items import ListingHints
from newsmirror.sites import sina
from newsmirror.spiders.base import MirrorSpider, SpiderArgumentError, positive_int
from newsmirror.spiders.discovery import ListingDiscovery

logger = logging.getLogger(__name__)

# JSONP: the roll API wraps its JSON in callback(...) when asked for a callback.
_JSONP = re.compile(r"^\s*[\w$.]+\s*\(\s*(?P<json>.*?)\s*\)\s*;?\s*$", re.DOTALL)


class RollListError(ValueError):
    """A roll list page that holds no usable list; the message says why."""


def read_roll(text: str) -> list[dict[str, Any]]:
    """Return the ``result.data`` items of a roll API answer (JSON or JSONP)."""
    match = _JSONP.match(text)
    body = match.group("json") if match and not text.lstrip().startswith(("{", "[")) else text
    try:
        answer = json.loads(body)
    except ValueError as error:
        raise RollListError(f"not JSON ({error})") from None
    result = answer.get("result") if isinstance(answer, dict) else None
    if not isinstance(result, dict):
        raise RollListError("no 'result' object in the answer")
    status = result.get("status") or {}
    code = status.get("code") if isinstance(status, dict) else status
    if str(code) != "0":
        message = status.get("msg", "") if isinstance(status, dict) else ""
        raise RollListError(f"status code {code!r} {message}".strip())
    data = result.get("data")
    if not isinstance(data, list):
        raise RollListError("'result.data' is not a list")
    return [entry for entry in data if isinstance(entry, dict)]


def roll_hints(entry: dict[str, Any], *, site_name: str | None = None, timezone_name: str | None = None) -> ListingHints:
    """Return what a roll list item says about its article: title, ``intime`` in UTC, media source.

    *site_name* and *timezone_name* come from the source's entry in the sources file.
    """
    date = None
    try:
        date = datetime.fromtimestamp(int(str(entry.get("intime", "")).strip()), timezone.utc)
    except (ValueError, OverflowError, OSError):
        pass  # no usable intime: the page's printed time decides
    title = entry.get("title")
    media = entry.get("media_name")
    return ListingHints(
        title=title.strip() if isinstance(title, str) and title.strip() else None,
        date=date,
        fallback_author=media.strip() if isinstance(media, str) and media.strip() else None,
        site_name=site_name,
        timezone=timezone_name,
    )


class SinaRollDiscovery(ListingDiscovery):
    """Spider methods that read Sina's roll lists; mixed into the spiders that use them."""

    name: str

    def roll_requests(
        self,
        channel: str,
        *,
        pages: int = 1,
        num: int = 50,
        source: str,
        categories: list[str] | None,
        site_name: str | None = None,
        timezone_name: str | None = None,
    ) -> list[scrapy.Request]:
        """Return the requests for the first *pages* list pages of *channel*.

        *site_name* and *timezone_name* are the source's (sources file), handed to each article.
        """
        try:
            roll = sina.find_channel(channel)
        except sina.UnknownChannel as error:
            raise SpiderArgumentError(str(error)) from None
        chosen = list(categories) if categories else list(roll.categories)
        return [
            scrapy.Request(
                roll.list_url(page, num),
                callback=self.parse_roll,
                errback=self.source_request_failed,
                cb_kwargs={
                    "channel": roll.key,
                    "source": source,
                    "categories": chosen,
                    "site_name": site_name,
                    "timezone_name": timezone_name,
                },
                # Every run must read the list afresh, even when an earlier request of
                # this crawl (another worker's, with Redis) had the same URL.
                dont_filter=True,
                priority=10,
                # Asked for conditionally; on 304 the stored list is read again, and its
                # known articles are skipped (incremental.ListingCacheMiddleware).
                meta={LISTING_META: True},
            )
            for page in range(1, pages + 1)
        ]

    def parse_roll(
        self,
        response: Response,
        channel: str,
        source: str,
        categories: list[str],
        site_name: str | None = None,
        timezone_name: str | None = None,
    ) -> Iterator[scrapy.Request]:
        """Request every article a roll list page names, once per article."""
        self.note_not_modified(response, source)
        try:
            if not isinstance(response, TextResponse):
                raise RollListError(f"not text (Content-Type: {response.headers.get(b'Content-Type', b'none').decode('latin-1')})")
            entries = read_roll(response.text)
        except RollListError as error:
            self.report_source_failure(source, response.url, f"Sina roll list unusable: {error}")
            return
        # Canonical keys listed so far in this crawl: a later page may list an article again,
        # or by its other (mobile or desktop) URL, which the URL dupefilter cannot tell.
        seen: set[str] = self.__dict__.setdefault("_listed_articles", set())
        listed = 0
        for entry in entries:
            url = entry.get("url")
            if not isinstance(url, str) or not url.startswith(("http://", "https://")):
                logger.warning("Sina roll list %s: item without an article URL skipped: %r", response.url, entry.get("title"))
                continue
            key = sina.canonicalize(url)
            if key in seen:
                continue  # the desktop and mobile URLs of one article, or a repeat
            seen.add(key)
            listed += 1
            hints = roll_hints(entry, site_name=site_name, timezone_name=timezone_name)
            yield self.article_request(url, hints, source=source, categories=categories)  # type: ignore[attr-defined]
        logger.info("Sina roll list %s (%s): %d new to this crawl", channel, response.url, listed)


class SinaSpider(SinaRollDiscovery, MirrorSpider):
    """Mirrors the articles of one Sina roll list.

    ``-a channel=1686`` (a lid, ``pageid:lid`` or a list name; default 1686, 国内滚动),
    ``-a pages=N`` (default 1), ``-a num=N`` (items per page, default 50),
    ``-a categories=A,B,C`` (default: the channel's).
    """

    name = "sina"

    def __init__(
        self, channel: str = sina.DEFAULT_CHANNEL, pages: str = "1", num: str = "50", **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        try:
            roll = sina.find_channel(channel)
        except sina.UnknownChannel as error:
            raise SpiderArgumentError(str(error)) from None
        self.list_requests = self.roll_requests(
            roll.key,
            pages=positive_int(pages, "pages"),
            num=positive_int(num, "num"),
            source=f"sina:{roll.key}",
            categories=self.categories or None,
        )

    async def start(self) -> AsyncIterator[Any]:
        """Request the list pages."""
        for request in self.list_requests:
            yield request
