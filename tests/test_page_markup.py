"""The page's fast path to holdable markup gives exactly what the plain substitutions give."""

from __future__ import annotations

import random
import re

import lxml.etree
from hypothesis import given, settings
from hypothesis import strategies as st

from newsmirror.extract.page import (
    _CHARACTER_REFERENCE,
    _NOT_XML,
    _UNHOLDABLE_REFERENCE,
    Page,
    _drop_unholdable_reference,
    _holdable_markup,
    squash,
)


def plain_holdable(text: str) -> str:
    """The two substitutions as they ran on every page before the fast path."""
    return _CHARACTER_REFERENCE.sub(_drop_unholdable_reference, _NOT_XML.sub("", text))


def reference_forms(code: int) -> list[str]:
    """The ways a page can write a reference to *code*: decimal, hex, padded, unterminated."""
    return [f"&#{code};", f"&#{code}", f"&#00{code};", f"&#x{code:x};", f"&#X{code:X}", f"&#x000{code:X};",
            f"&#{code}5;", f"&#x{code:x}g"]


def test_every_dropped_reference_is_caught_by_the_prefilter() -> None:
    """A reference the substitution drops is always seen by the cheap search that guards it."""
    rng = random.Random(15)
    codes = [*range(0, 0x3000), *range(0xD700, 0xE100), *range(0xFFF0, 0x10010),
             *range(0x10FFF0, 0x110010), 10**9, 10**10 - 1, 0xFFFFFFFF,
             *(rng.randrange(0x110000, 10**10) for _ in range(500))]
    missed = []
    for code in codes:
        for written in reference_forms(code):
            dropped = _CHARACTER_REFERENCE.sub(_drop_unholdable_reference, written) != written
            if dropped and not _UNHOLDABLE_REFERENCE.search(written):
                missed.append(written)
    assert missed == []


def test_long_digit_runs_are_read_as_the_substitution_reads_them() -> None:
    """Eleven digits are cut at ten (a code out of range); nine hex digits at eight."""
    for written in ("&#00000000031;", "&#12345678901", "&#x0000001f1;", "&#x110000000"):
        assert plain_holdable(written) != written
        assert _holdable_markup(written)[0] == plain_holdable(written)


PIECES = ["a", "é", "中", "\U0001f600", "\ufffe", "\uffff", "\ud800", "\udfff", "\x00", "\x08", "\x0b",
          "\x1f", "\t", "\n", "\r", "&#", "x", "X", "0", "1", "3", "9", "f", "D", "8", ";", "&#39;",
          "&#x1b;", "&#31", "&#xD800;", "&#1114112;", "&#65534;", "&#xFFFF;", "<p>", "</p>"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=40))
def test_fast_path_equals_the_plain_substitutions(pieces: list[str]) -> None:
    """Whatever the text holds, the result and its UTF-8 bytes are those of the plain path."""
    text = "".join(pieces)
    holdable, markup = _holdable_markup(text)
    assert holdable == plain_holdable(text)
    assert markup == holdable.encode("utf-8")


def test_a_meta_charset_does_not_redecode_the_utf8_markup() -> None:
    """The parser is handed UTF-8 and told so: a page's own <meta charset> cannot change the text."""
    html = '<html><head><meta charset="iso-8859-1"></head><body><p>新闻 café</p></body></html>'
    page = Page.from_bytes("https://example.org/a", html.encode("utf-8"), "utf-8")
    assert page.tree.findtext(".//p") == "新闻 café"
    assert lxml.etree.tostring(page.tree.find("body"), encoding="unicode") == "<body><p>新闻 café</p></body>"


def test_control_characters_never_reach_the_tree() -> None:
    """Raw and referenced controls, surrogates and non-characters are gone; the rest stays."""
    html = "<html><body><p>a\x00b&#31;c&#x1b;d\ufffee&#65;f&#10;g</p></body></html>"
    page = Page.from_bytes("https://example.org/a", html.encode("utf-8", "surrogatepass"), "utf-8")
    assert page.tree.findtext(".//p") == "abcdeAf\ng"


WHITESPACE_PIECES = ["a", "中", " ", "\t", "\n", "\r", "\x0b", "\x0c", "\x1c", "\x1f", "\x85", "\xa0", "\u2028",
                     "\u3000", "\u200b", "\ufeff", "\u180e"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(WHITESPACE_PIECES), max_size=30))
def test_squash_collapses_what_a_regex_whitespace_run_would(pieces: list[str]) -> None:
    """squash's str.split() and re's \\s agree on every kind of space, breaking and not."""
    text = "".join(pieces)
    assert squash(text) == re.sub(r"\s+", " ", text).strip()
    assert squash(None) == ""
