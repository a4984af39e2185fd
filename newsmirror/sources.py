"""The sources file (``sources.toml``): what ``scrapy crawl mirror`` mirrors.

Read with the standard library's ``tomllib`` and checked completely before the crawl
starts: a mistake stops the run with the file name, the line and what is wrong, before
any request.  Each source is one ``[[source]]`` table; docs/spiders.md lists every key.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from newsmirror.feeds import FULLTEXT_MODES
from newsmirror.formats import FORMATS
from newsmirror.screening import DUPLICATE_POLICIES, PARTIAL_POLICIES
from newsmirror.sites import sina
from newsmirror.spiders.article import read_url_file
from newsmirror.spiders.base import SpiderArgumentError, check_url, split_list

SOURCE_TYPES = ("sina", "feed", "sitemap", "urls")
COMMON_KEYS = frozenset(
    {"name", "type", "categories", "site_name", "timezone", "max_items", "enabled", "format", "partial", "duplicates"}
)
# Keys only some types understand; any other key is a mistake worth stopping for.
TYPE_KEYS: dict[str, frozenset[str]] = {
    "sina": frozenset({"channel", "pages"}),
    "feed": frozenset({"url", "fulltext"}),
    "sitemap": frozenset({"url", "since"}),
    "urls": frozenset({"urls", "file"}),
}
REQUIRED_KEYS: dict[str, tuple[str, ...]] = {"sina": ("channel",), "feed": ("url",), "sitemap": ("url",)}
_WINDOW = re.compile(r"^\s*(\d+)\s*([mhdw])\s*$")
_WINDOW_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column \d+\)$")
_SOURCE_HEADER = re.compile(r"^\s*\[\[\s*source\s*\]\]")


class SourcesError(ValueError):
    """The sources file is missing or wrong; the message names the file and the line."""


@dataclass(frozen=True)
class Source:
    """One enabled or disabled entry of the sources file."""

    name: str
    type: str
    line: int  # where its [[source]] table starts, for messages
    url: str | None = None
    channel: str | None = None
    categories: list[str] = field(default_factory=list)
    site_name: str | None = None
    timezone: str | None = None
    fulltext: str = "auto"
    max_items: int | None = None
    enabled: bool = True
    since: timedelta | None = None
    pages: int = 1
    urls: list[str] = field(default_factory=list)
    format: str | None = None  # its post format; None: MIRROR_FORMAT
    # MIRROR_PARTIAL and MIRROR_DUPLICATES for this source alone (None: the setting's).
    partial: str | None = None
    duplicates: str | None = None


def parse_window(value: str) -> timedelta:
    """Parse a time window such as ``30m``, ``12h``, ``2d`` or ``1w``; raise ValueError otherwise."""
    match = _WINDOW.match(value)
    if match is None or int(match.group(1)) == 0:
        raise ValueError(f"not a time window like 30m, 12h, 2d or 1w: {value!r}")
    return timedelta(**{_WINDOW_UNITS[match.group(2)]: int(match.group(1))})


def load_sources(path: str | Path) -> list[Source]:
    """Read and check a sources file; raise :class:`SourcesError` on the first mistake."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise SourcesError(f"{path}: cannot read the sources file: {error.strerror}") from None
    except UnicodeDecodeError as error:
        raise SourcesError(f"{path}: not UTF-8 text ({error.reason} at byte {error.start})") from None
    return parse_sources(text, path)


def parse_sources(text: str, path: Path) -> list[Source]:
    """Check the text of a sources file read from *path* (relative ``file`` keys resolve there)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        position = _TOML_POSITION.search(message)
        line = position.group(1) if position else "?"
        raise SourcesError(f"{path}:{line}: not valid TOML: {_TOML_POSITION.sub('', message)}") from None
    lines = text.splitlines()
    for key in data:
        if key != "source":
            line = _top_level_line(lines, key)
            raise SourcesError(f"{path}:{line}: unknown top-level key {key!r}; sources are [[source]] tables")
    entries = data.get("source", [])
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        raise SourcesError(f"{path}:{_top_level_line(lines, 'source')}: 'source' must be [[source]] tables")
    if not entries:
        raise SourcesError(f"{path}:1: no [[source]] tables: nothing to mirror")
    starts = [number for number, line in enumerate(lines, 1) if _SOURCE_HEADER.match(line)]
    sources: list[Source] = []
    for index, entry in enumerate(entries):
        start = starts[index] if index < len(starts) else 1
        end = starts[index + 1] if index + 1 < len(starts) else len(lines) + 1
        source = _check_entry(entry, _EntryText(path, lines, start, end), index + 1)
        if any(known.name == source.name for known in sources):
            raise _EntryText(path, lines, start, end).error("name", f"the name {source.name!r} is used twice")
        sources.append(source)
    return sources


def _top_level_line(lines: list[str], key: str) -> int:
    """Return the line where a top-level key or table is written, else 1."""
    pattern = re.compile(rf"^\s*(\[+\s*{re.escape(key)}\b|{re.escape(key)}\s*=)")
    return next((number for number, line in enumerate(lines, 1) if pattern.match(line)), 1)


@dataclass(frozen=True)
class _EntryText:
    """Where one [[source]] table lies in the file, to point messages at the right line."""

    path: Path
    lines: list[str]
    start: int  # line of its [[source]] header
    end: int  # line of the next header, or past the end

    def line_of(self, key: str) -> int:
        """Return the line that sets *key* in this table, else its header's line."""
        pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
        for number in range(self.start, self.end):
            if pattern.match(self.lines[number - 1]):
                return number
        return self.start

    def error(self, key: str | None, message: str) -> SourcesError:
        """Return the error for a mistake in *key* (None: the table as a whole)."""
        line = self.line_of(key) if key else self.start
        return SourcesError(f"{self.path}:{line}: {message}")


def _check_entry(entry: dict[str, Any], where: _EntryText, number: int) -> Source:
    """Check one [[source]] table and return its Source."""
    kind = entry.get("type")
    if kind not in SOURCE_TYPES:
        found = "no type" if kind is None else f"type {kind!r}"
        raise where.error(
            "type" if kind is not None else None,
            f"source #{number} has {found}; type must be one of {', '.join(SOURCE_TYPES)}",
        )
    allowed = COMMON_KEYS | TYPE_KEYS[kind]
    for key in entry:
        if key not in allowed:
            raise where.error(key, f"unknown key {key!r} for a {kind} source; it takes {', '.join(sorted(allowed))}")
    for key in REQUIRED_KEYS.get(kind, ()):
        if key not in entry:
            raise where.error(None, f"a {kind} source needs {key!r}")

    def text(key: str) -> str | None:
        value = entry.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            raise where.error(key, f"{key!r} must be a non-empty string")
        return value.strip()

    def positive(key: str) -> int | None:
        value = entry.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise where.error(key, f"{key!r} must be a positive whole number, not {value!r}")
        return value

    url = text("url")
    if url is not None:
        try:
            check_url(url)
        except SpiderArgumentError as error:
            raise where.error("url", f"'url': {error}") from None
    channel = entry.get("channel")
    if channel is not None:
        if isinstance(channel, bool) or not isinstance(channel, (str, int)) or not str(channel).strip():
            raise where.error("channel", f"'channel' must be a channel id such as 1686, not {channel!r}")
        channel = str(channel).strip()
        try:
            sina.find_channel(channel)  # checked now, before any request
        except sina.UnknownChannel as error:
            raise where.error("channel", f"'channel': {error}") from None
    categories = entry.get("categories", [])
    if isinstance(categories, str):
        categories = split_list(categories)
    if not isinstance(categories, list) or not all(isinstance(item, str) and item.strip() for item in categories):
        raise where.error("categories", "'categories' must be a list of non-empty strings")
    zone = text("timezone")
    if zone is not None:
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            message = f"'timezone': {zone!r} is not a time zone name such as Asia/Shanghai"
            raise where.error("timezone", message) from None
    fulltext = entry.get("fulltext", "auto")
    if fulltext not in FULLTEXT_MODES:
        raise where.error("fulltext", f"'fulltext' must be one of {', '.join(FULLTEXT_MODES)}, not {fulltext!r}")
    enabled = entry.get("enabled", True)
    if not isinstance(enabled, bool):
        raise where.error("enabled", f"'enabled' must be true or false, not {enabled!r}")
    since = None
    if entry.get("since") is not None:
        try:
            since = parse_window(str(entry["since"]))
        except ValueError as error:
            raise where.error("since", f"'since': {error}") from None
    post_format = text("format")
    if post_format is not None and post_format not in FORMATS:
        raise where.error("format", f"'format' must be one of {', '.join(FORMATS)}, not {post_format!r}")
    policies = {}
    for key, allowed in (("partial", PARTIAL_POLICIES), ("duplicates", DUPLICATE_POLICIES)):
        value = entry.get(key)
        if value is not None and value not in allowed:
            raise where.error(key, f"{key!r} must be one of {', '.join(allowed)}, not {value!r}")
        policies[key] = value
    urls = _entry_urls(entry, where) if kind == "urls" else []
    default_name = {"sina": f"sina-{channel}", "urls": f"urls-{number}"}.get(kind, url or "")
    return Source(
        name=text("name") or default_name,
        type=kind,
        line=where.start,
        url=url,
        channel=channel,
        categories=[item.strip() for item in categories],
        site_name=text("site_name"),
        timezone=zone,
        fulltext=fulltext,
        max_items=positive("max_items"),
        enabled=enabled,
        since=since,
        pages=positive("pages") or 1,
        urls=urls,
        format=post_format,
        **policies,
    )


def _entry_urls(entry: dict[str, Any], where: _EntryText) -> list[str]:
    """Return the article URLs of a ``urls`` source: its ``urls`` list, then its ``file``'s lines."""
    listed = entry.get("urls", [])
    if not isinstance(listed, list) or not all(isinstance(item, str) for item in listed):
        raise where.error("urls", "'urls' must be a list of URL strings")
    found = list(listed)
    if entry.get("file") is not None:
        if not isinstance(entry["file"], str):
            raise where.error("file", "'file' must be a path string")
        try:
            found += read_url_file(str(where.path.parent / entry["file"]))
        except SpiderArgumentError as error:
            raise where.error("file", f"'file': {error}") from None
    if not found:
        raise where.error(None, "a urls source needs 'urls' or 'file'")
    for url in found:
        try:
            check_url(url.strip())
        except SpiderArgumentError as error:
            raise where.error("urls" if url in listed else "file", f"{error}") from None
    return list(dict.fromkeys(url.strip() for url in found))
