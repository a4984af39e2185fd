"""Where a post goes: remote titles and categories become safe, contained file paths.

The default layout, ``<category 1>/<category 2>/<category 3>/<title>.md``, and the
file-name rule are the older system's, so existing Hexo permalinks survive a switch.
On top of that rule nothing a remote site sends can leave ``MIRROR_DIR``, hide a file,
name a device, or overwrite another article's post.
"""

from __future__ import annotations

import hashlib
import re
import string
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from newsmirror.hexo_slug import hexo_slug

DEFAULT_PATH_TEMPLATE = "{categories}/{title}.md"
MAX_NAME_BYTES = 200
# Hexo turns a post's whole path into one URL segment, so one folder name under
# public/ (slugize("a/b/title") is "a-b-title"), and file systems refuse names over
# 255 bytes: past that, `hexo generate` fails for the whole site. The bound leaves room
# for the "-xxxxxxxx" suffix of a colliding post.
MAX_PATH_BYTES = 230
MIN_STEM_BYTES = 60

# The older system's rule: these become "_" ...
_TO_UNDERSCORE = re.compile(r'[:/\\?*<>|\[\]“”]')
# ... and these are removed.  Folders keep their dots ("Node.js"); only a leading or
# trailing one goes, so "." and ".." cannot be formed.
_REMOVED = re.compile(r"[\r\n#.]")
_REMOVED_FROM_FOLDERS = re.compile(r"[\r\n#]")
# Control characters (C0, DEL, C1) and non-characters never belong in a file name.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# Names Windows reserves for devices, with or without an extension ("con", "CON.x").
_DEVICE_NAME = re.compile(r"^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(?=\.|$)", re.IGNORECASE)
_BAD_STARTS = " \u3000_."
_BAD_ENDINGS = " \u3000~%."
_SLUG_BREAK = re.compile(r"[^\w]+")
_FIELDS = frozenset({"categories", "title", "slug", "date", "site", "id"})


class PathTemplateError(ValueError):
    """``MIRROR_PATH_TEMPLATE`` cannot produce valid post paths."""


def url_token(url: str) -> str:
    """Return a short, stable token for *url*: the suffix that separates colliding posts."""
    return hashlib.sha1(url.encode("utf-8")).hexdigest()[:8]


def _cut_utf8(text: str, max_bytes: int) -> str:
    """Cut *text* to at most *max_bytes* of UTF-8 without splitting a character."""
    return text.encode("utf-8")[:max_bytes].decode("utf-8", "ignore")


def safe_name(text: str, *, folder: bool = False) -> str:
    """Apply the file-name rule (or the folder rule) to one path segment; may return ''."""
    removed = _REMOVED_FROM_FOLDERS if folder else _REMOVED
    name = _CONTROL.sub("", removed.sub("", _TO_UNDERSCORE.sub("_", text)))
    # Hexo URI-decodes source paths: "5% rise" fails to load ("URI malformed") and "%41"
    # would name another file. The full-width sign reads the same and decodes as itself.
    name = name.replace("%", "\uff05")
    # Windows and most tools mishandle leading and trailing spaces in names.  Hexo
    # silently skips files and folders whose name starts with "_" or "." or ends with
    # "~" or "%" (hidden, drafts, editor backups), so a post there would never be published.
    name = name.lstrip(_BAD_STARTS).rstrip(_BAD_ENDINGS)
    # "_" after the device word ("CON_"): a leading "_" would hide the post from Hexo.
    name = _DEVICE_NAME.sub(r"\1_", name)
    return name


def slugify(text: str) -> str:
    """Return a lower-case, dash-separated slug; letters of every script are kept."""
    return _SLUG_BREAK.sub("-", unicodedata.normalize("NFKC", text).lower()).strip("-_")


def path_key(relpath: str) -> str:
    """Return the key under which two post paths clash: on case-insensitive or normalizing
    disks, or as one Hexo page (Hexo names it after the slug of the whole path)."""
    stem = relpath.removesuffix(".md")
    return hexo_slug(unicodedata.normalize("NFC", stem)).casefold()


@dataclass(frozen=True)
class PathBuilder:
    """Renders ``MIRROR_PATH_TEMPLATE`` into a contained, relative POSIX path."""

    template: str = DEFAULT_PATH_TEMPLATE

    def __post_init__(self) -> None:
        if not self.template.endswith(".md"):
            raise PathTemplateError(f"MIRROR_PATH_TEMPLATE must end with '.md': {self.template!r}")
        try:
            fields = {name for _, name, _, _ in string.Formatter().parse(self.template) if name}
        except ValueError as error:
            raise PathTemplateError(f"MIRROR_PATH_TEMPLATE is malformed: {error}") from None
        unknown = fields - _FIELDS
        if unknown:
            raise PathTemplateError(
                f"MIRROR_PATH_TEMPLATE uses unknown fields {sorted(unknown)}; "
                f"known fields are {sorted(_FIELDS)}"
            )

    def build(
        self,
        *,
        title: str,
        categories: list[str] | tuple[str, ...],
        date: datetime,
        url: str,
        site: str = "",
    ) -> str:
        """Return the post's path relative to ``MIRROR_DIR``, using ``/`` separators."""
        folders = [name for name in (safe_name(c, folder=True) for c in categories) if name]
        values = {
            "categories": "/".join(folders),
            "title": safe_name(title),
            "slug": slugify(title),
            "date": date,
            "site": safe_name(site, folder=True),
            "id": url_token(url),
        }
        rendered = self.template.format_map(values)
        *folder_parts, stem = rendered[: -len(".md")].split("/")
        segments = [name for name in (safe_name(part, folder=True) for part in folder_parts) if name]
        stem = safe_name(stem)
        if not stem:
            # A title made only of removed characters still needs a name of its own.
            stem = f"post-{url_token(url)}"
        # A cut can expose an ending Hexo skips ("~", "%") or Windows mangles (" ", ".").
        segments = [_cut_utf8(segment, MAX_NAME_BYTES).rstrip(_BAD_ENDINGS) for segment in segments]
        stem = _cut_utf8(stem, MAX_NAME_BYTES - len(".md")).rstrip(_BAD_ENDINGS)
        segments, stem = _fit_path(segments, stem)
        return "/".join([*segments, f"{stem}.md"])


def _fit_path(segments: list[str], stem: str) -> tuple[list[str], str]:
    """Cut the name, then the folders, until the path (without ".md") fits ``MAX_PATH_BYTES``."""

    def size() -> int:
        return sum(len(segment.encode("utf-8")) + 1 for segment in segments) + len(stem.encode("utf-8"))

    excess = size() - MAX_PATH_BYTES
    if excess > 0:
        room = max(MIN_STEM_BYTES, len(stem.encode("utf-8")) - excess)
        stem = _cut_utf8(stem, room).rstrip(_BAD_ENDINGS)
    if size() > MAX_PATH_BYTES and segments:
        share = max(8, (MAX_PATH_BYTES - len(stem.encode("utf-8"))) // len(segments) - 1)
        segments = [name for name in (_cut_utf8(s, share).rstrip(_BAD_ENDINGS) for s in segments) if name]
    return segments, stem


def with_suffix(relpath: str, token: str) -> str:
    """Return *relpath* with ``-token`` before ``.md``, still within the name limit."""
    folder, _, name = relpath.rpartition("/")
    tail = f"-{token}.md"
    stem = _cut_utf8(name[: -len(".md")], MAX_NAME_BYTES - len(tail.encode("utf-8")))
    return f"{folder}/{stem}{tail}" if folder else f"{stem}{tail}"
