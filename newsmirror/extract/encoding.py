"""Decode page bytes to text without trusting a charset label the bytes contradict."""

from __future__ import annotations

import codecs
import re

# Legacy Chinese pages label themselves with narrower charsets than they use; GB18030
# is a superset of both, so reading them as GB18030 loses nothing.
_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "cp936": "gb18030", "ascii": "utf-8"}
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
# Scrapy looks for <meta charset> only in the first 4 KB; pages with long inline scripts
# in <head> declare it later, so look further (the declaration itself is ASCII).
_META_SCAN_BYTES = 64 * 1024
_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_:.-]+)""", re.IGNORECASE
)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]+encoding\s*=\s*["']([a-zA-Z0-9_.-]+)""")


def canonical_codec(label: str | None) -> str | None:
    """Return Python's codec name for a charset label, widened to its superset; None if unknown."""
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip().strip("\"'")).name
    except LookupError:
        return None
    return _SUPERSETS.get(name, name)


def declared_charset(body: bytes) -> str | None:
    """Return the charset a page declares in its markup (XML declaration or <meta>), if any."""
    head = body[:_META_SCAN_BYTES]
    match = _XML_ENCODING.match(head) or _META_CHARSET.search(head)
    return match.group(1).decode("ascii") if match else None


def _strict(body: bytes, codec: str) -> str | None:
    """Return *body* decoded with *codec*, or None when the bytes are not valid in it."""
    try:
        return body.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


# Share of non-ASCII characters that may be broken before UTF-8 is ruled out: GBK or
# Latin-1 text read as UTF-8 breaks on nearly every non-ASCII character.
_DAMAGE_TOLERANCE = 0.05


def _mostly_valid(text: str) -> bool:
    """Tell whether text decoded as UTF-8 with replacements has only a little damage."""
    broken = text.count("\ufffd")
    non_ascii = len(text) - len(text.encode("ascii", "ignore"))
    return non_ascii > broken * 2 and broken <= non_ascii * _DAMAGE_TOLERANCE


def decode_html(body: bytes, header_charset: str | None = None) -> tuple[str, str]:
    """Return ``(text, codec)`` for page bytes.

    Order: a byte-order mark; valid UTF-8, or UTF-8 with a little damage (multi-byte text
    that is really GBK or Latin-1 practically never validates, while a wrong gb2312 label
    over UTF-8 bytes is common);
    the HTTP header's charset, then the markup's, each only if the bytes decode cleanly
    in it; GB18030; and last the first label, with invalid bytes replaced.
    """
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return body.decode(codec, "replace"), codec
    text = _strict(body, "utf-8")
    if text is not None:
        return text, "utf-8"
    damaged = body.decode("utf-8", "replace")
    if _mostly_valid(damaged):
        # UTF-8 with a few corrupt bytes: GB18030 would "decode" it all into nonsense.
        return damaged, "utf-8"
    labels = [canonical_codec(header_charset), canonical_codec(declared_charset(body)), "gb18030"]
    candidates = [codec for codec in dict.fromkeys(labels) if codec and codec != "utf-8"]
    for codec in candidates:
        text = _strict(body, codec)
        if text is not None:
            return text, codec
    # Mixed or corrupt bytes: keep the most plausible reading and mark what is broken.
    best = min(["utf-8", *candidates], key=lambda codec: body.decode(codec, "replace").count("\ufffd"))
    return body.decode(best, "replace"), best
