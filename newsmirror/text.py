"""Text folding shared by the readers (which run without Scrapy) and the post exporter."""

from __future__ import annotations

import re

import lxml.etree
import lxml.html

# Characters YAML cannot hold in a single-quoted scalar (C0 and C1 controls, DEL) plus
# line and paragraph separators, which YAML folds as line breaks.  They fold to one space.
_FOLDED_RUN = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
# Ruby annotations (furigana over kanji, pinyin over hanzi) are a reading aid printed
# above the base text, not text of their own: "子<rt>こ</rt>ども" reads "子ども", and the
# fallback parentheses of <rp> go with them. Every reading of a text leaves them out.
RUBY_ANNOTATIONS = ("rt", "rp")
# Code points that are not characters at all: they cannot be encoded or printed.
_NON_CHARACTERS = re.compile(r"[\ud800-\udfff\ufffe\uffff]")


def fold_text(value: str) -> str:
    """Return *value* on one line: control characters and breaks fold to one space."""
    value = _NON_CHARACTERS.sub("", value)
    return _FOLDED_RUN.sub(" ", value).strip()


def html_text(fragment: str) -> str:
    """Return the readable text of an HTML fragment (a cleaned body, a feed item's HTML), blocks apart."""
    if not fragment.strip():
        return ""
    try:
        # The guarded parser settings every remote fragment gets: no network, no entities expanded.
        parser = lxml.html.HTMLParser(recover=True, no_network=True, remove_comments=True, remove_pis=True)
        root = lxml.html.fragment_fromstring(fragment, create_parent="div", parser=parser)
    except (lxml.etree.ParserError, ValueError):
        return ""
    lxml.etree.strip_elements(root, "script", "style", *RUBY_ANNOTATIONS, with_tail=False)
    return " ".join(root.itertext())
