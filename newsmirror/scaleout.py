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
- the ledger is :class:`RedisLedger`, with the interface of the SQLite one.

Our spiders keep ``async def start()``; scrapy-redis's own spiders (which rely on
``start_requests()``, no longer called by Scrapy 2.19) are not used.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import fields
from datetime import datetime
from pathlib import Path
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
from newsmirror.state import SCHEMA_VERSION, LedgerEntry, LedgerError, redis_url_for

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


# --------------------------------------------------------------------------- ledger
_ENTRY_FIELDS = [field.name for field in fields(LedgerEntry)]


class RedisLedger:
    """The ledger in Redis, shared by every worker: same interface as ``newsmirror.state.Ledger``.

    Keys (under ``MIRROR_REDIS_PREFIX``): ``:meta`` (schema version), ``:post:<url>`` (a
    hash per article, with the ``mirror_dir`` of the worker that wrote it), ``:aliases``
    (requested URL -> canonical URL) and ``:paths`` (path key -> canonical URL).
    """

    def __init__(self, url: str, mirror_dir: Path, *, prefix: str = "newsmirror") -> None:
        self.url = url
        self.mirror_dir = str(mirror_dir.resolve())
        self.prefix = prefix
        self._server: redis.Redis | None = None

    @property
    def server(self) -> redis.Redis:
        if self._server is None:
            raise LedgerError("the ledger is not open")
        return self._server

    def open(self) -> None:
        """Connect; refuse a Redis ledger of an unknown schema version."""
        server = redis.Redis.from_url(self.url, decode_responses=True)
        try:
            server.hsetnx(f"{self.prefix}:meta", "schema_version", str(SCHEMA_VERSION))
            version = server.hget(f"{self.prefix}:meta", "schema_version")
        except redis.RedisError as error:
            raise LedgerError(f"the Redis ledger at {_safe(self.url)} cannot be reached ({error})") from error
        if version != str(SCHEMA_VERSION):
            raise LedgerError(
                f"the Redis ledger at {_safe(self.url)} has schema version {version}, this newsmirror reads {SCHEMA_VERSION}"
            )
        self._server = server

    def close(self) -> None:
        """Disconnect."""
        if self._server is not None:
            self._server.close()
            self._server = None

    def _entry(self, values: dict[str, str]) -> LedgerEntry | None:
        if not values:
            return None
        return LedgerEntry(**{name: (values.get(name) or None) for name in _ENTRY_FIELDS})  # type: ignore[arg-type]

    def get(self, canonical_url: str) -> LedgerEntry | None:
        """Return the entry of an article, or None."""
        return self._entry(self.server.hgetall(f"{self.prefix}:post:{canonical_url}"))

    def where(self, canonical_url: str) -> str | None:
        """Return the MIRROR_DIR of the worker that last wrote an article."""
        return self.server.hget(f"{self.prefix}:post:{canonical_url}", "mirror_dir")

    def find(self, url: str) -> LedgerEntry | None:
        """Return the entry of the article a URL is known to lead to, if any."""
        canonical = self.server.hget(f"{self.prefix}:aliases", url)
        return self.get(canonical) if canonical else None

    def owner_of(self, path_key: str) -> str | None:
        """Return the canonical URL of the article that owns a post path, if any."""
        return self.server.hget(f"{self.prefix}:paths", path_key)

    def claim_path(self, path_key: str, canonical_url: str) -> bool:
        """Reserve a post path for an article before writing it, atomically across workers (HSETNX).

        Two workers that find two articles with one title at once cannot both take the
        path: the loser gets the suffixed path.  A claim whose post a killed worker never
        wrote stays with its article, which takes the path when it is tried again.
        """
        if self.server.hsetnx(f"{self.prefix}:paths", path_key, canonical_url):
            return True
        return self.server.hget(f"{self.prefix}:paths", path_key) == canonical_url

    def record(self, entry: LedgerEntry, aliases: Iterable[str] = ()) -> None:
        """Record an article whose post is already in place, in one transaction."""
        values = {name: ("" if getattr(entry, name) is None else getattr(entry, name)) for name in _ENTRY_FIELDS}
        pipe = self.server.pipeline(transaction=True)
        pipe.hset(f"{self.prefix}:post:{entry.canonical_url}", mapping={**values, "mirror_dir": self.mirror_dir})
        pipe.hset(f"{self.prefix}:paths", entry.path_key, entry.canonical_url)
        pipe.hset(f"{self.prefix}:aliases", mapping={url: entry.canonical_url for url in {entry.canonical_url, *aliases}})
        pipe.execute()

    def set_status(self, canonical_url: str, status: str) -> None:
        """Change the status of a recorded article."""
        self.server.hset(f"{self.prefix}:post:{canonical_url}", "status", status)

    def entries(self) -> Iterator[LedgerEntry]:
        """Yield every recorded article."""
        for key in self.server.scan_iter(match=f"{self.prefix}:post:*", count=1000):
            entry = self._entry(self.server.hgetall(key))
            if entry is not None:
                yield entry


def _safe(url: str) -> str:
    """A Redis URL without its password, for messages."""
    head, at, tail = url.rpartition("@")
    return f"{url.split('://', 1)[0]}://***@{tail}" if at else url

