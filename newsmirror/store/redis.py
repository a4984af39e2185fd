"""The Redis ledger, shared by every worker of a scaled-out run."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import fields
from pathlib import Path

import redis

from newsmirror.store.ledger import DEFAULT_FORMAT, SCHEMA_VERSION, LedgerEntry, LedgerError, StoredFingerprint

logger = logging.getLogger(__name__)

# The Redis ledger's own version, one ahead of SQLite's (SCHEMA_VERSION): v5 keeps one
# fingerprint per article, replaced in place on a refresh, where v4 appended every write to a
# list that only grew (a refreshed article once a line per write, read whole at every run's
# start). A v4 newsmirror refuses a v5 ledger, rather than write to a list nobody reads.
REDIS_SCHEMA_VERSION = SCHEMA_VERSION + 1
# Ledgers of these versions are opened and brought to v5: v2 lacked the post format, v3 the
# body fingerprints (nothing to rewrite for either), v4 had the fingerprint list (folded in).
_READABLE_VERSIONS = {"2", "3", str(SCHEMA_VERSION), str(REDIS_SCHEMA_VERSION)}
# Fingerprints read per round trip: a worker's start reads them all, and one Redis call
# should not block the server (it serves every worker) for long.
_FINGERPRINT_CHUNK = 1000

# Recording a fingerprint: the next number of the shared sequence becomes the article's
# position (its earlier one, if any, is replaced), atomically, so a reader that has read up
# to position p never misses a write numbered below p that lands after it read.
# KEYS: sequence, order (sorted set url -> position), values (hash url -> JSON line). ARGV: url, line.
_RECORD = """
local position = redis.call('INCR', KEYS[1])
redis.call('ZADD', KEYS[2], position, ARGV[1])
redis.call('HSET', KEYS[3], ARGV[1], ARGV[2])
return position
"""
# Reading the fingerprints recorded after a position, in order, with their positions.
# KEYS: order, values. ARGV: position, count. Returns position, line, position, line, ...
_READ_AFTER = """
local found = redis.call('ZRANGE', KEYS[1], '(' .. ARGV[1], '+inf', 'BYSCORE', 'LIMIT', 0, ARGV[2], 'WITHSCORES')
if #found == 0 then return {} end
local urls = {}
for index = 1, #found, 2 do urls[#urls + 1] = found[index] end
local lines = redis.call('HMGET', KEYS[2], unpack(urls))
local reply = {}
for index = 1, #urls do
    reply[#reply + 1] = found[2 * index]
    reply[#reply + 1] = lines[index]
end
return reply
"""
# Bringing a v2-v4 ledger to v5 once, whichever worker opens it first: v4's fingerprint list
# is folded in, in order, so each article keeps its last line. KEYS: meta, list, sequence,
# order, values. ARGV: the version. Returns the number of lines folded, or -1 if already done.
_MIGRATE = """
if redis.call('HGET', KEYS[1], 'schema_version') == ARGV[1] then return -1 end
local lines = redis.call('LRANGE', KEYS[2], 0, -1)
for _, line in ipairs(lines) do
    local url = cjson.decode(line)[2]
    local position = redis.call('INCR', KEYS[3])
    redis.call('ZADD', KEYS[4], position, url)
    redis.call('HSET', KEYS[5], url, line)
end
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[1], 'schema_version', ARGV[1])
return #lines
"""


_ENTRY_FIELDS = [field.name for field in fields(LedgerEntry)]

# A claim on a fingerprint older than this (seconds) belongs to a worker that died mid-article.
CLAIM_SECONDS = 600
# KEYS[1] the claims hash; ARGV: the article's URL, the claim's JSON, CLAIM_SECONDS.
# Each claim is stored as "<server time> <json>"; returns the live claims, flat (url, claim, ...).
_CLAIM_SCRIPT = """
local now = tonumber(redis.call('TIME')[1])
redis.call('HSET', KEYS[1], ARGV[1], now .. ' ' .. ARGV[2])
local claims = redis.call('HGETALL', KEYS[1])
local live = {}
for i = 1, #claims, 2 do
  local at = tonumber(string.match(claims[i + 1], '^(%d+) '))
  if at and now - at <= tonumber(ARGV[3]) then
    live[#live + 1] = claims[i]
    live[#live + 1] = claims[i + 1]
  else
    redis.call('HDEL', KEYS[1], claims[i])
  end
end
return live
"""
# KEYS[1] the claims hash; ARGV: the article's URL, the worker's name as JSON (the claim's
# JSON starts with it): the claim goes only if it is still that worker's.
_RELEASE_SCRIPT = """
local claim = redis.call('HGET', KEYS[1], ARGV[1])
if claim and string.find(claim, ' [' .. ARGV[2] .. ',', 1, true) then
  redis.call('HDEL', KEYS[1], ARGV[1])
end
return 0
"""


class RedisLedger:
    """The ledger in Redis, shared by every worker: same interface as ``newsmirror.store.sqlite.Ledger``.

    Keys (under ``MIRROR_REDIS_PREFIX``): ``:meta`` (schema version), ``:post:<url>`` (a
    hash per article, with the ``mirror_dir`` of the worker that wrote it), ``:aliases``
    (requested URL -> canonical URL), ``:paths`` (path key -> canonical URL) and
    the body fingerprints, one per article: ``:fingerprint-values`` (url -> JSON ``[scheme,
    url, duplicate_of, hex]``), ``:fingerprint-order`` (a sorted set, url -> the position of
    its last write) and ``:fingerprint-sequence`` (the last position given). A refresh
    replaces the article's fingerprint and moves it to the end, so the fingerprints take
    what the articles take, however often they are rewritten, and every worker reads the
    ones written since its last position before each check. ``:fingerprint-claims``
    (canonical URL -> the fingerprint of an article a worker is checking and writing now,
    with the worker and the server time: see :meth:`claim_fingerprint`).
    """

    def __init__(self, url: str, mirror_dir: Path, *, prefix: str = "newsmirror") -> None:
        self.url = url
        self.mirror_dir = str(mirror_dir.resolve())
        self.prefix = prefix
        self._server: redis.Redis | None = None
        self._record: redis.commands.core.Script | None = None
        self._read_after: redis.commands.core.Script | None = None

    @property
    def server(self) -> redis.Redis:
        if self._server is None:
            raise LedgerError("the ledger is not open")
        return self._server

    def open(self) -> None:
        """Connect; refuse a Redis ledger of an unknown schema version, and bring an older one to this one."""
        server = redis.Redis.from_url(self.url, decode_responses=True)
        meta = f"{self.prefix}:meta"
        try:
            server.hsetnx(meta, "schema_version", str(REDIS_SCHEMA_VERSION))
            version = server.hget(meta, "schema_version")
            if version in _READABLE_VERSIONS and version != str(REDIS_SCHEMA_VERSION):
                folded = server.eval(
                    _MIGRATE, 5, meta, f"{self.prefix}:fingerprints", *self._fingerprint_keys, str(REDIS_SCHEMA_VERSION)
                )
                if folded >= 0:
                    logger.info(
                        "Redis ledger at %s brought from schema version %s to %d (%d fingerprint lines folded into one per article)",
                        _safe(self.url), version, REDIS_SCHEMA_VERSION, folded,
                    )  # fmt: skip
        except redis.RedisError as error:
            raise LedgerError(f"the Redis ledger at {_safe(self.url)} cannot be reached ({error})") from error
        if version not in _READABLE_VERSIONS:
            raise LedgerError(
                f"the Redis ledger at {_safe(self.url)} has schema version {version}, "
                f"this newsmirror reads versions 2 to {REDIS_SCHEMA_VERSION}"
            )
        self._server = server
        self._record = server.register_script(_RECORD)
        self._read_after = server.register_script(_READ_AFTER)

    @property
    def _fingerprint_keys(self) -> tuple[str, str, str]:
        """The keys of the fingerprints: the sequence, the order and the values."""
        return (f"{self.prefix}:fingerprint-sequence", f"{self.prefix}:fingerprint-order", f"{self.prefix}:fingerprint-values")

    def close(self) -> None:
        """Disconnect."""
        if self._server is not None:
            self._server.close()
            self._server = None

    def _entry(self, values: dict[str, str]) -> LedgerEntry | None:
        if not values:
            return None
        entry = {name: (values.get(name) or None) for name in _ENTRY_FIELDS}
        entry["format"] = entry["format"] or DEFAULT_FORMAT
        return LedgerEntry(**entry)  # type: ignore[arg-type]

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

    def find_many(self, urls: Iterable[str]) -> dict[str, LedgerEntry]:
        """Return {url: entry} for the URLs known to lead to an article: two round trips, whatever the count."""
        wanted = list(dict.fromkeys(urls))
        if not wanted:
            return {}
        canonicals = self.server.hmget(f"{self.prefix}:aliases", wanted)
        known = [(url, canonical) for url, canonical in zip(wanted, canonicals, strict=True) if canonical]
        pipeline = self.server.pipeline(transaction=False)
        for _, canonical in known:
            pipeline.hgetall(f"{self.prefix}:post:{canonical}")
        found = {}
        for (url, _), values in zip(known, pipeline.execute(), strict=True):
            entry = self._entry(values)
            if entry is not None:
                found[url] = entry
        return found

    def known_among(self, urls: Iterable[str]) -> set[str]:
        """Return which of the URLs lead to a recorded article: one round trip."""
        wanted = list(dict.fromkeys(urls))
        if not wanted:
            return set()
        canonicals = self.server.hmget(f"{self.prefix}:aliases", wanted)
        return {url for url, canonical in zip(wanted, canonicals, strict=True) if canonical}

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

    def rekey(self, old_url: str, new_url: str) -> None:
        """Move an article from *old_url* to *new_url*, a key no article holds; the old key becomes an alias.

        Its aliases are found by a scan of ``:aliases``: a re-key is rare (a refresh that
        finds a changed canonical URL), and the map has no index by value.
        """
        old_key, new_key = f"{self.prefix}:post:{old_url}", f"{self.prefix}:post:{new_url}"
        path_of = self.server.hget(old_key, "path_key")
        if path_of is None:
            return
        leading = [url for url, canonical in self.server.hscan_iter(f"{self.prefix}:aliases") if canonical == old_url]
        pipe = self.server.pipeline(transaction=True)
        pipe.rename(old_key, new_key)
        pipe.hset(new_key, "canonical_url", new_url)
        pipe.hset(f"{self.prefix}:paths", path_of, new_url)
        pipe.hset(f"{self.prefix}:aliases", mapping=dict.fromkeys({*leading, old_url, new_url}, new_url))
        pipe.execute()

    def add_aliases(self, canonical_url: str, urls: Iterable[str]) -> None:
        """Record more URLs that lead to a recorded article (a skipped copy's URLs lead to its original)."""
        mapping = dict.fromkeys(urls, canonical_url)
        if mapping:
            self.server.hset(f"{self.prefix}:aliases", mapping=mapping)

    def record_fingerprint(self, fingerprint: StoredFingerprint) -> None:
        """Record (or replace) an article's body fingerprint, after its post is in place."""
        line = [fingerprint.scheme, fingerprint.canonical_url, fingerprint.duplicate_of, fingerprint.signature.hex()]
        self._record(keys=self._fingerprint_keys, args=[fingerprint.canonical_url, json.dumps(line, ensure_ascii=False)])

    def fingerprints_after(self, position: int) -> tuple[list[StoredFingerprint], int]:
        """Return the fingerprints any worker recorded (or replaced) after *position*, and the position to ask from next."""
        _, order, values = self._fingerprint_keys
        found = []
        while True:
            reply = self._read_after(keys=[order, values], args=[position, _FINGERPRINT_CHUNK])
            for index in range(0, len(reply), 2):
                position = int(reply[index])
                if reply[index + 1] is None:
                    continue  # never so: a value is written with its position, and neither is deleted
                scheme, url, duplicate_of, signature = json.loads(reply[index + 1])
                found.append(StoredFingerprint(url, bytes.fromhex(signature), duplicate_of, scheme))
            if len(reply) < 2 * _FINGERPRINT_CHUNK:
                return found, position

    def claim_fingerprint(self, fingerprint: StoredFingerprint, worker: str) -> list[StoredFingerprint]:
        """Announce that *worker* is checking *fingerprint*'s article; return what other workers are checking now.

        One script adds the claim and reads every other claim, so of two workers checking
        copies of one story at the same instant, exactly one sees the other's (the later
        one's check runs after the earlier one's claim). A worker records the fingerprint
        before it releases the claim, so an article is always either claimed or recorded
        from its check to the end. Claims older than :data:`CLAIM_SECONDS` (a worker that
        died mid-article) are ignored and removed.
        """
        payload = json.dumps([worker, fingerprint.scheme, fingerprint.duplicate_of, fingerprint.signature.hex()])
        claim = self.server.register_script(_CLAIM_SCRIPT)
        found = claim(keys=[f"{self.prefix}:fingerprint-claims"], args=[fingerprint.canonical_url, payload, CLAIM_SECONDS])
        others = []
        for url, claim in zip(found[::2], found[1::2]):
            owner, scheme, duplicate_of, signature = json.loads(claim.split(" ", 1)[1])
            if owner != worker:
                others.append(StoredFingerprint(url, bytes.fromhex(signature), duplicate_of, scheme))
        return others

    def release_fingerprint(self, canonical_url: str, worker: str) -> None:
        """End *worker*'s claim on an article (recorded, or dropped), unless another worker holds it now."""
        release = self.server.register_script(_RELEASE_SCRIPT)
        release(keys=[f"{self.prefix}:fingerprint-claims"], args=[canonical_url, json.dumps(worker)])

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
