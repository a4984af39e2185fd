"""A fetched page, decoded and parsed once, that every extraction rule reads."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import lxml.etree
import lxml.html
from lxml.etree import ParserError
from parsel import Selector
from w3lib.encoding import http_content_type_encoding

from newsmirror.extract.encoding import decode_html

if TYPE_CHECKING:  # only a type here: reader processes import this module without Scrapy
    from scrapy.http import Response

# The text is decoded already: a declaration naming another encoding must not re-decode it.
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
# Characters lxml cannot hold in a tree (C0 controls but tab and newlines, non-characters);
# HTML gives them no meaning, and one of them would make every later tree edit raise.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# The C0 controls of _NOT_XML as bytes: in UTF-8 they never occur inside another character,
# so deleting them from the encoded page tells in one C pass whether the text holds any.
_NOT_XML_CONTROLS = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])
# The same characters written as references (&#31;, &#x0;): the parser decodes them
# into the tree, where the first edit near them raises.
_CHARACTER_REFERENCE = re.compile(r"&#(?:[xX]([0-9a-fA-F]{1,8})|([0-9]{1,10}));?")
# Every reference _CHARACTER_REFERENCE matches and _drop_unholdable_reference drops also
# matches this (it admits a few harmless ones too, such as 7-digit codes): a page without a
# match, nearly every page, skips the substitution and its Python call per reference
# (&#39; alone is on half the corpus). The digit runs are whole, as the greedy match takes
# them, unless longer than it reads (10 decimal, 8 hex digits).
_UNHOLDABLE_REFERENCE = re.compile(
    r"&#(?:[0-9]{11}|0*(?:[0-8]|1[124-9]|2[0-9]|3[01]|5[5-7][0-9]{3}|6553[45]|[0-9]{7,10})(?![0-9])"
    r"|[xX](?:[0-9a-fA-F]{9}|0*(?:[0-8bBcCeEfF]|1[0-9a-fA-F]|[dD][89a-fA-F][0-9a-fA-F]{2}|[fF]{3}[eEfF]"
    r"|[0-9a-fA-F]{6,8})(?![0-9a-fA-F])))"
)
_EMPTY_DOCUMENT = b"<html><body></body></html>"


def _drop_unholdable_reference(match: re.Match[str]) -> str:
    """Return '' for a reference to a character lxml cannot hold, the reference itself otherwise."""
    hex_digits, decimal = match.groups()
    code = int(hex_digits, 16) if hex_digits else int(decimal)
    if code > 0x10FFFF or _NOT_XML.match(chr(code)):
        return ""
    return match.group(0)


def _holdable_markup(text: str) -> tuple[str, bytes]:
    """Return *text* without the characters lxml cannot hold, and its UTF-8 bytes for the parser."""
    # Three C-speed tests instead of a scan with _NOT_XML, which cost 0.7 ms a page: strict
    # UTF-8 refuses a lone surrogate, and the two non-characters are single-character finds.
    try:
        markup = text.encode("utf-8")
        holdable = (
            "\ufffe" not in text and "\uffff" not in text
            and len(markup.translate(None, _NOT_XML_CONTROLS)) == len(markup)
        )
    except UnicodeEncodeError:
        holdable = False
    if not holdable:
        text = _NOT_XML.sub("", text)
        markup = text.encode("utf-8")
    if _UNHOLDABLE_REFERENCE.search(text):
        text = _CHARACTER_REFERENCE.sub(_drop_unholdable_reference, text)
        markup = text.encode("utf-8")
    return text, markup


_META_KEYS = ("property", "name", "itemprop")
# The HTML parser reads a script or style as one text node with no elements inside, so
# a text node's parent tells what its ancestors would (a cheaper test for every node).
# Plain strings: lxml's default "smart" ones each carry a link back to their element, and
# building those cost 0.7 ms a page here; nothing reads that link.
_VISIBLE_TEXT = lxml.etree.XPath(".//text()[not(parent::script or parent::style)]", smart_strings=False)


def header_charset(response: Response) -> str | None:
    """Return the encoding a response's Content-Type header names, if any."""
    content_type = response.headers.get(b"Content-Type", b"").decode("latin-1")
    return http_content_type_encoding(content_type)


# Elements a browser lays out on a line of their own: their text never runs into the next.
_BREAKING = frozenset(
    "address article aside blockquote br dd div dl dt figcaption figure footer h1 h2 h3 h4 h5 h6"
    " header hr li main nav ol p pre section table td th tr ul".split()
)


def rendered_text(element: lxml.html.HtmlElement) -> str:
    """Return an element's text as a browser joins it: inline markup adds no space.

    ``Kotaku<span>'s</span>`` reads "Kotaku's", not "Kotaku 's"; a ``<br>`` or a block
    child still separates the words on each side of it.
    """
    parts: list[str] = []

    def walk(node: lxml.html.HtmlElement) -> None:
        if not isinstance(node.tag, str):  # a comment or processing instruction
            parts.append(node.tail or "")
            return
        breaking = node.tag in _BREAKING
        if breaking:
            parts.append(" ")
        parts.append(node.text or "")
        for child in node:
            walk(child)
        if breaking:
            parts.append(" ")
        if node is not element:
            parts.append(node.tail or "")

    walk(element)
    return "".join(parts)


def squash(text: str | None) -> str:
    """Collapse whitespace runs to one space and trim."""
    # str.split() knows the same whitespace as re's \s (both ask str.isspace), and is
    # several times faster: squash runs 73,000 times over the corpus.
    return " ".join(text.split()) if text else ""


# lxml.html's own lookup is a Python method called for every element proxy lxml creates
# (2.7 million calls over the corpus, a tenth of a read); this one is resolved in C.
# It gives every element lxml.html's HtmlElement, as the page's rules and readability
# expect, without the form-field classes (<input>, <select>), which nothing here uses.
_HTML_CLASSES = lxml.etree.ElementDefaultClassLookup(
    element=lxml.html.HtmlElement, comment=lxml.html.HtmlComment,
    pi=lxml.html.HtmlProcessingInstruction, entity=lxml.html.HtmlEntity,
)


def _parser() -> lxml.html.HTMLParser:
    # recover: real pages are malformed; no_network and no entity resolution: a page
    # must never make the parser fetch or expand anything. Comments stay in the tree:
    # some sites mark widgets only by comments around them (see clean.drop_comment_spans);
    # the sanitizer removes every comment from the post.
    # The page arrives as UTF-8 bytes with the encoding named: libxml2 reads those 0.7 ms a
    # page faster than a Python str, into the same tree, and no <meta charset> overrides it.
    parser = lxml.html.HTMLParser(
        recover=True, no_network=True, remove_comments=False, remove_pis=True, huge_tree=False,
        encoding="utf-8",
    )
    parser.set_element_class_lookup(_HTML_CLASSES)
    return parser


@dataclass
class Page:
    """The decoded text and parsed tree of one response, at the URL it was fetched from."""

    url: str
    text: str
    encoding: str
    tree: lxml.html.HtmlElement

    @classmethod
    def from_bytes(
        cls, url: str, body: bytes, header_charset: str | None = None, rewrite: Callable[[str], str] | None = None
    ) -> Page:
        """Decode and parse page bytes fetched from *url*; *rewrite* edits the decoded text before parsing."""
        text, encoding = decode_html(body, header_charset)
        if rewrite is not None:  # a site rule's find_string/replace_string
            text = rewrite(text)
        text, markup = _holdable_markup(_XML_DECLARATION.sub("", text, count=1))
        try:
            tree = lxml.html.document_fromstring(markup or _EMPTY_DOCUMENT, parser=_parser())
        except (ParserError, ValueError):
            tree = lxml.html.document_fromstring(_EMPTY_DOCUMENT, parser=_parser())
        # Links resolve against the page's own URL, never a <base href> the page controls;
        # readability would otherwise apply it to every link and image it keeps.
        for base in list(tree.iter("base")):
            base.drop_tree()
        if tree.find("body") is None:  # rules and readability expect a <body>, even an empty one
            tree.append(lxml.html.Element("body"))
        return cls(url=url, text=text, encoding=encoding, tree=tree)

    @classmethod
    def from_response(cls, response: Response) -> Page:
        """Decode and parse a Scrapy response."""
        return cls.from_bytes(response.url, response.body, header_charset(response))

    @cached_property
    def selector(self) -> Selector:
        """A parsel selector over the same tree, for CSS and XPath queries."""
        return Selector(root=self.tree, type="html")

    @cached_property
    def visible_text(self) -> str:
        """The squashed text of the page's body, without scripts and styles."""
        body = self.tree.find("body")
        return squash(" ".join(_VISIBLE_TEXT(body))) if body is not None else ""

    def first_text(self, *css: str) -> str:
        """Return the squashed text of the first element matching any selector, or ''."""
        for query in css:
            for node in self.selector.css(query):
                text = squash(rendered_text(node.root))
                if text:
                    return text
        return ""

    @cached_property
    def _meta_contents(self) -> dict[tuple[str, str], str]:
        """The content of the first ``<meta>`` per (attribute, key), read in one pass over the page."""
        contents: dict[tuple[str, str], str] = {}
        for element in self.tree.iter("meta"):
            content = element.get("content")
            if content is None:
                continue
            for attr in _META_KEYS:
                key = element.get(attr)
                if key is not None:
                    contents.setdefault((attr, key), content)
        return contents

    def meta(self, *keys: str) -> str:
        """Return the first non-empty ``<meta>`` content for the given property/name/itemprop keys."""
        contents = self._meta_contents
        for key in keys:
            for attr in _META_KEYS:
                value = squash(contents.get((attr, key)))
                if value:
                    return value
        return ""
