"""Text folding shared by the readers (which run without Scrapy) and the post exporter."""

from __future__ import annotations

import re

# Characters YAML cannot hold in a single-quoted scalar (C0 and C1 controls, DEL) plus
# line and paragraph separators, which YAML folds as line breaks.  They fold to one space.
_FOLDED_RUN = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
# Code points that are not characters at all: they cannot be encoded or printed.
_NON_CHARACTERS = re.compile(r"[\ud800-\udfff\ufffe\uffff]")


def fold_text(value: str) -> str:
    """Return *value* on one line: control characters and breaks fold to one space."""
    value = _NON_CHARACTERS.sub("", value)
    return _FOLDED_RUN.sub(" ", value).strip()
