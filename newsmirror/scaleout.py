"""Scale-out on Redis: N workers share one crawl through a Redis scheduler, dupefilter and ledger.

``-s REDIS_URL=redis://host:6379/0`` (or ``MIRROR_REDIS_URL``) switches it on, through
:class:`ScaleOutAddon`:

- the scheduler is scrapy-redis's (a shared priority queue), in a subclass that keeps to
  Scrapy 2.19's API; the queue persists, so a worker that finishes early never empties
  it under the others' feet, and requests a killed worker left behind are resumed;
- requests are stored as JSON (:func:`dumps` / :func:`loads`), never as pickles: what
  comes back from Redis can only ever be plain data, a ``ListingHints`` and datetimes;
- the dupefilter (:class:`ArticleDupeFilter`) lets exactly one worker schedule each
  article, for ``MIRROR_REDIS_SEEN_TTL`` seconds (an article that failed is tried again
  by a later run); list and feed requests are deduplicated per worker only, so every
  run reads its lists afresh;
- the ledger is :class:`newsmirror.store.redis.RedisLedger`, with the interface of the SQLite one.

Our spiders keep ``async def start()``; scrapy-redis's own spiders (which rely on
``start_requests()``, no longer called by Scrapy 2.19) are not used.
"""

from __future__ import annotations

import base64
import json
import logging
from dataclasses import fields
from datetime import datetime
from typing import Any

import redis
from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.dupefilters import BaseDupeFilter
from scrapy.settings import Settings
from scrapy.utils.misc import load_object
from scrapy_redis.scheduler import Scheduler

from newsmirror.incremental import is_article_request
from newsmirror.items import ListingHints
from newsmirror.store import redis_url_for

logger = logging.getLogger(__name__)


# --------------------------------------------------------------------------- JSON requests
def _encode(value: Any) -> Any:
    """Turn a request dict's values into JSON values, tagging what JSON cannot say."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, bytes):
        return {"$bytes": base64.b64encode(value).decode("ascii")}
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, ListingHints):
        return {"$hints": {field.name: _encode(getattr(value, field.name)) for field in fields(value)}}
    if isinstance(value, list):
        return [_encode(item) for item in value]
    if isinstance(value, tuple):
        return {"$tuple": [_encode(item) for item in value]}
    if isinstance(value, dict):
        if all(isinstance(key, str) and not key.startswith("$") for key in value):
            return {key: _encode(item) for key, item in value.items()}
        return {"$dict": [[_encode(key), _encode(item)] for key, item in value.items()]}
    raise TypeError(f"cannot store a {type(value).__name__} in a queued request: give plain data in cb_kwargs and meta")


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(item) for item in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        (tag, inner), = value.items()
        if tag == "$bytes":
            return base64.b64decode(inner)
        if tag == "$datetime":
            return datetime.fromisoformat(inner)
        if tag == "$hints":
            return ListingHints(**{key: _decode(item) for key, item in inner.items()})
        if tag == "$tuple":
            return tuple(_decode(item) for item in inner)
        if tag == "$dict":
            return {_decode(key): _decode(item) for key, item in inner}
    return {key: _decode(item) for key, item in value.items()}


def dumps(request_dict: dict[str, Any]) -> str:
    """Serialize ``Request.to_dict()`` as JSON (scrapy-redis ``SCHEDULER_SERIALIZER`` interface)."""
    return json.dumps(_encode(request_dict), ensure_ascii=False, separators=(",", ":"))


def loads(data: bytes | str) -> dict[str, Any]:
    """Read back what :func:`dumps` wrote; anything else is plain JSON data, never code."""
    return _decode(json.loads(data))


# --------------------------------------------------------------------------- scheduler
class RedisScheduler(Scheduler):
    """scrapy-redis's scheduler, kept to the APIs Scrapy 2.19 has not deprecated.

    scrapy-redis 0.9.1 passes ``spider=`` to the stats collector and logs through
    ``Spider.log()``; both warn on Scrapy 2.13+.  The queue and the connection are its own.
    """

    def open(self, spider: Any) -> None:
        """Attach the shared queue and the dupefilter to the opened spider."""
        self.spider = spider
        self.queue = load_object(self.queue_cls)(
            server=self.server, spider=spider, key=self.queue_key % {"spider": spider.name}, serializer=self.serializer
        )
        if not self.df:
            self.df = load_object(self.dupefilter_cls).from_spider(spider)
        if self.flush_on_start:
            self.flush()
        if len(self.queue):
            logger.info("Joining a shared crawl: %d requests already queued in Redis", len(self.queue))

    def enqueue_request(self, request: Request) -> bool:
        """Queue a request unless the dupefilter has seen it."""
        if not request.dont_filter and self.df.request_seen(request):
            # Normal here, every worker offers every article: debug only.
            logger.debug("Taken by another worker or seen before: %s", request.url)
            return False
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis")
        self.queue.push(request)
        return True

    def next_request(self) -> Request | None:
        """Take the next request from the shared queue, if any."""
        request = self.queue.pop(self.idle_before_close)
        if request and self.stats:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request


class ArticleDupeFilter(BaseDupeFilter):
    """One worker per article: the first ``SET NX`` of an article's fingerprint wins, for a TTL.

    Non-article requests (lists, feeds, robots) are deduplicated in this worker only, so
    each run fetches its lists again and every worker can read them.
    """

    def __init__(self, server: redis.Redis, key_prefix: str, ttl: int, fingerprinter: Any) -> None:
        self.server = server
        self.key_prefix = key_prefix
        self.ttl = ttl
        self.fingerprinter = fingerprinter
        self.local: set[bytes] = set()

    @classmethod
    def from_spider(cls, spider: Any) -> ArticleDupeFilter:
        """Build the filter for the opened spider.

        The name is scrapy-redis's: its scheduler builds a dupefilter without one from the
        settings alone, before any spider exists.
        """
        crawler = spider.crawler
        settings = crawler.settings
        server = redis.Redis.from_url(settings.get("REDIS_URL"))
        prefix = f"{settings.get('MIRROR_REDIS_PREFIX')}:{spider.name}:seen:"
        return cls(server, prefix, settings.getint("MIRROR_REDIS_SEEN_TTL"), crawler.request_fingerprinter)

    def request_seen(self, request: Request) -> bool:
        """Tell whether another request (here or on any worker) already took this one."""
        fingerprint = self.fingerprinter.fingerprint(request)
        if not is_article_request(request):
            if fingerprint in self.local:
                return True
            self.local.add(fingerprint)
            return False
        claimed = self.server.set(self.key_prefix + fingerprint.hex(), "1", nx=True, ex=self.ttl)
        return not claimed

    def clear(self) -> None:
        """Nothing to clear: claims expire on their own."""


class ScaleOutAddon:
    """Switches the crawl to Redis when ``REDIS_URL`` or ``MIRROR_REDIS_URL`` is set; otherwise does nothing."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ScaleOutAddon:
        """Build the add-on."""
        return cls()

    def update_settings(self, settings: Settings) -> None:
        """Point the scheduler, dupefilter and serializer at Redis."""
        url = redis_url_for(settings)
        if not url:
            return
        prefix = settings.get("MIRROR_REDIS_PREFIX")
        for name, value in {
            "REDIS_URL": url,
            "SCHEDULER": "newsmirror.scaleout.RedisScheduler",
            "DUPEFILTER_CLASS": "newsmirror.scaleout.ArticleDupeFilter",
            "SCHEDULER_SERIALIZER": "newsmirror.scaleout",
            "SCHEDULER_PERSIST": True,
            "SCHEDULER_QUEUE_KEY": f"{prefix}:%(spider)s:requests",
        }.items():
            settings.set(name, value, priority="addon")
