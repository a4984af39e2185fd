"""Post formats: one module per tool that reads the posts (``MIRROR_FORMAT``).

A format turns a :class:`~newsmirror.formats.frontmatter.Post` into a file's bytes and
decides where under ``MIRROR_DIR`` the file goes; everything else (claims, atomic
writes, the ledger) is the writer pipeline's, the same for every format.
"""

from __future__ import annotations

from newsmirror.formats.base import PostFormat
from newsmirror.formats.hexo import HexoFormat
from newsmirror.formats.hugo import HugoFormat
from newsmirror.formats.jekyll import JekyllFormat
from newsmirror.formats.markdown import MarkdownFormat

DEFAULT_FORMAT = "hexo"
FORMATS: dict[str, type[PostFormat]] = {
    fmt.name: fmt for fmt in (HexoFormat, HugoFormat, JekyllFormat, MarkdownFormat)
}


class UnknownFormat(ValueError):
    """``MIRROR_FORMAT`` (or a source's ``format``) names no post format."""


def check_format_name(name: str) -> str:
    """Return *name* when it is a post format; raise :class:`UnknownFormat` otherwise."""
    if name not in FORMATS:
        raise UnknownFormat(f"unknown post format {name!r}; the formats are {', '.join(FORMATS)}")
    return name


def get_format(name: str, *, path_template: str, images: bool = False) -> PostFormat:
    """Return the post format called *name*, set up for ``MIRROR_PATH_TEMPLATE`` and ``MIRROR_IMAGES``."""
    return FORMATS[check_format_name(name)](path_template=path_template, images=images)


__all__ = ["DEFAULT_FORMAT", "FORMATS", "PostFormat", "UnknownFormat", "check_format_name", "get_format"]
