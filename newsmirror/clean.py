"""Article HTML cleaning: boilerplate out, links absolute, nothing active left.

Two stages: an lxml pass that needs the document's structure (junk blocks, hidden
elements, lazy images, URL resolution), then nh3, an allow-list sanitizer, which is
the security boundary: whatever the first pass misses, nh3 still removes.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Iterable
from itertools import islice
from urllib.parse import urljoin, urlsplit

import lxml.etree
import lxml.html
import nh3
from lxml.cssselect import CSSSelector

from newsmirror.extract.page import squash

# Blocks that are never article content, on any site: page furniture, boxes the page hides,
# sharing, promos, related links, ads. The CSS each set stands for: `nav, aside, footer, form,
# button, noscript, template`, `[hidden], [aria-hidden=true]`, `[style*="display:none"]` (and
# the other spellings), `.share, .related, .ad, ...`, `ins.adsbygoogle, ins.sinaads`.
# is_generic_junk tests them all in one walk over the body: one CSS selector each cost 32 walks
# (bench/RESULTS.md, issue 15, "What the two commits save"); tests/test_clean.py holds the
# walk to those selectors.
JUNK_TAGS = frozenset({"nav", "aside", "footer", "form", "button", "noscript", "template"})
JUNK_STYLES = ("display:none", "display: none", "visibility:hidden", "visibility: hidden")
# A hidden run of blocks with this many paragraphs of this many characters is the article's
# remainder, not junk (is_hidden_remainder).
REMAINDER_PARAGRAPHS = 3
REMAINDER_PROSE = 80
_REMAINDER_RUN = 64
JUNK_CLASSES = frozenset({
    "share", "shares", "social-share", "share-bar", "sharebar", "bdsharebuttonbox",
    "qrcode", "qr-code", "app-download", "related", "related-news", "relatedNews",
    "recommend", "ad", "ads", "advert", "advertisement",
})  # fmt: skip
# Ad slots the ad scripts fill: only on <ins>, where these class names mean nothing else.
AD_SLOT_CLASSES = frozenset({"adsbygoogle", "sinaads"})
# CSS splits a class list on whitespace as XPath's normalize-space reads it: space, tab, CR, LF.
_CLASS_SEPARATORS = str.maketrans("\t\n\r", "   ")
# Lazy-loading attributes, in the order sites prefer them over a placeholder src.
_LAZY_SOURCES = ("data-src", "data-original", "data-lazy-src", "data-actualsrc", "data-url")
# Ruby (furigana over kanji, pinyin over hanzi) is kept as markup: unwrapped, its reading
# would run into the base text ("子こども"), and every browser shows it over the text.
_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "dd", "del", "dfn",
    "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6",
    "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "rp", "rt", "ruby",
    "s", "samp", "small", "span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot",
    "th", "thead", "time", "tr", "u", "ul", "var",
}
_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "ol": {"start"},
    "time": {"datetime"},
    "blockquote": {"cite"},
    "q": {"cite"},
}
# Elements whose content goes with them (nh3 would otherwise keep their text).
_DROP_WITH_CONTENT = {
    "script", "style", "iframe", "object", "embed", "applet", "svg", "math", "canvas",
    "audio", "video", "select", "textarea", "noscript", "template", "head", "title",
    "frameset", "frame", "noembed", "noframes", "xmp", "plaintext", "param", "source",
}
_EMPTY_BLOCK = re.compile(r"<(p|div|span|figure|figcaption|li|ul|ol|strong|em|b|i|u|blockquote)>\s*</\1>")
_BLANK_LINES = re.compile(r"\n[ \t\r\f\v]*(?=\n)")
_FIRST_IMAGE = re.compile(r'<img\b[^>]*?\ssrc="([^"]+)"[^>]*>')
_SIZE = re.compile(r'\s(width|height)="(\d+)')
# The line that introduces a list of other stories at the end of an article.
_RELATED_LEAD = re.compile(
    r"^(?:you may also like|you might also like|related(?: stories| articles| coverage| news)?|"
    r"more (?:from|on|stories)\b.*|read more|recommended(?: for you)?|相关(?:新闻|阅读|文章|报道)|延伸阅读|推荐阅读)"
    r"\s*[.…:：]*$",
    re.IGNORECASE,
)
# Images this small are spacers, icons or tracking pixels: never a lead image.
MIN_IMAGE_SIDE = 50


@functools.cache
def _compiled(selectors: tuple[str, ...]) -> tuple[CSSSelector, ...]:
    """Return compiled CSS selectors; a site's list is compiled once per process."""
    return tuple(CSSSelector(selector) for selector in selectors)


def absolute_url(url: str | None, base: str) -> str | None:
    """Return *url* resolved against *base* if it is http(s); protocol-relative becomes https."""
    url = (url or "").strip()
    if not url:
        return None
    if url.startswith("//"):
        url = "https:" + url
    try:
        resolved = urljoin(base, url)
        scheme = urlsplit(resolved).scheme
    except ValueError:  # e.g. an unclosed IPv6 bracket: no usable URL
        return None
    return resolved if scheme in ("http", "https") else None


def drop_comment_spans(body: lxml.html.HtmlElement, names: Iterable[str]) -> None:
    """Remove what sits between ``<!-- NAMEbegin -->`` (or ``start``) and ``<!-- NAMEend -->``. In place.

    Some sites mark embedded widgets (a video player, a stock chart) only by comments
    around them, in the body's own flow, with no element to select.
    """
    for name in names:
        opening = re.compile(rf"^\s*{re.escape(name)}\s*(?:begin|start)\s*$", re.IGNORECASE)
        closing = re.compile(rf"^\s*{re.escape(name)}\s*end\s*$", re.IGNORECASE)
        for comment in list(body.iter(lxml.etree.Comment)):
            if comment.getparent() is None or not opening.match(comment.text or ""):
                continue
            doomed = []
            for sibling in comment.itersiblings():
                if isinstance(sibling, lxml.etree._Comment) and closing.match(sibling.text or ""):
                    break
                doomed.append(sibling)
            else:
                continue  # no closing marker among its siblings: remove nothing rather than too much
            comment.tail = None  # text between the markers belongs to the widget
            for element in doomed:
                element.tail = None
                element.getparent().remove(element)


def _hidden_by_style(element: lxml.html.HtmlElement) -> bool:
    """Tell whether *element*'s own style hides it (:data:`JUNK_STYLES`)."""
    style = element.get("style")
    return bool(style) and any(rule in style for rule in JUNK_STYLES)


def is_hidden_remainder(element: lxml.html.HtmlElement) -> bool:
    """Tell whether *element*, hidden by its style, is the rest of the article a script will show.

    A paywalled page often sends its whole text and hides all but the first paragraphs
    with display:none, in one block or in a run of like blocks: several paragraphs of
    prose in all (:data:`REMAINDER_PARAGRAPHS`). An appeal or a form that waits hidden
    in the text holds one paragraph at most, and stays junk.
    """
    parent = element.getparent()
    kind = element.get("class")
    # The first like siblings only: a remainder shows its prose in its first blocks, and a
    # page of ten thousand empty hidden twins must not cost ten thousand squared.
    run = [element] if parent is None else [
        sibling for sibling in islice(parent.iterchildren(element.tag), _REMAINDER_RUN)
        if sibling.get("class") == kind and _hidden_by_style(sibling)
    ]
    prose = 0
    for block in run:
        for paragraph in block.iter("p"):
            if len(paragraph.text_content().strip()) >= REMAINDER_PROSE:
                prose += 1
                if prose >= REMAINDER_PARAGRAPHS:
                    return True
    return False


def is_generic_junk(element: lxml.html.HtmlElement) -> bool:
    """Tell whether *element* is a block no article holds, on any site (:data:`JUNK_TAGS` and the rest)."""
    tag = element.tag
    if not isinstance(tag, str):
        return False  # a comment or processing instruction
    if tag in JUNK_TAGS:
        return True
    attributes = element.attrib
    if not attributes:
        return False
    if "hidden" in attributes or attributes.get("aria-hidden") == "true":
        return True
    style = attributes.get("style")
    if style and any(rule in style for rule in JUNK_STYLES) and not is_hidden_remainder(element):
        return True
    classes = attributes.get("class")
    if not classes:
        return False
    names = classes.translate(_CLASS_SEPARATORS).split(" ")
    return not JUNK_CLASSES.isdisjoint(names) or (tag == "ins" and not AD_SLOT_CLASSES.isdisjoint(names))


def prepare(
    body: lxml.html.HtmlElement,
    base_url: str,
    junk: Iterable[str] = (),
    title: str = "",
    junk_spans: Iterable[str] = (),
) -> lxml.html.HtmlElement:
    """Strip junk, hidden blocks and the repeated headline; activate lazy images; resolve URLs. In place."""
    drop_comment_spans(body, junk_spans)
    doomed = [element for element in body.iter() if element is not body and is_generic_junk(element)]
    doomed.extend(element for selector in _compiled(tuple(junk)) for element in selector(body) if element is not body)
    for element in doomed:
        # Any order gives the same body: an element inside one already dropped leaves with it.
        if element.getparent() is not None:
            element.drop_tree()  # keeps the text that follows it
    for stray in body.xpath(".//text[not(ancestor::svg)]"):
        # An HTML parser keeps a stray <text> (an SVG name) as an element; nh3 drops it
        # with everything inside, so a page wrapped in one would lose its whole body.
        stray.drop_tag()
    folded_title = squash(title).casefold()
    for heading in body.xpath(".//h1"):
        # The post's title is shown by the site generator; a copy in the body shows it twice.
        if folded_title and squash(heading.text_content()).casefold() == folded_title:
            heading.drop_tree()
    _drop_leading_title(body, folded_title)
    _drop_trailing_links(body)
    for image in list(body.iter("img")):
        source = next((image.get(name) for name in _LAZY_SOURCES if image.get(name)), None)
        resolved = absolute_url(source or image.get("src"), base_url)
        if resolved is None:
            image.drop_tree()
        else:
            image.set("src", resolved)
    for link in body.iter("a"):
        resolved = absolute_url(link.get("href"), base_url)
        if resolved is None:
            link.attrib.pop("href", None)
        else:
            link.set("href", resolved)
    return body


def _drop_leading_title(body: lxml.html.HtmlElement, folded_title: str) -> None:
    """Drop the body's first line when it is the post's title, whatever its tag. In place.

    Pages without a headline element print the title as a paragraph or a <div> (``p.title``)
    above the text; the site generator shows the title already. Only the first line: the
    title's words further down are a sentence or a heading of the article's own.
    """
    if not folded_title:
        return
    whole = squash(body.text_content())
    node = body
    while not (node.text or "").strip():
        child = next((c for c in node if isinstance(c.tag, str) and c.text_content().strip()), None)
        if child is None:
            return
        text = squash(child.text_content())
        if text.casefold() == folded_title:
            if text != whole:  # the title is all there is: an empty post would say less
                child.drop_tree()
            return
        node = child


def _drop_trailing_links(body: lxml.html.HtmlElement) -> None:
    """Drop the run of link-only paragraphs that ends a body, and its "You may also like" lead.

    Articles end with their last sentence; a tail of paragraphs that are each nothing but a
    link is a list of other stories. One such paragraph alone is kept unless a "related"
    lead introduces it: a single closing link ("the full report") can be the article's own.
    A paragraph that shows an image is content. In place.
    """
    paragraphs = body.xpath(".//p")
    run = []
    for paragraph in reversed(paragraphs):
        text = squash(paragraph.text_content())
        link_text = squash(" ".join(link.text_content() for link in paragraph.iter("a")))
        if not text or text != link_text or next(paragraph.iter("img"), None) is not None:
            break
        run.append(paragraph)
    before = paragraphs[len(paragraphs) - len(run) - 1] if len(run) < len(paragraphs) else None
    has_lead = before is not None and bool(_RELATED_LEAD.match(squash(before.text_content())))
    if len(run) < 2 and not (run and has_lead):
        return
    for paragraph in run:
        paragraph.drop_tree()
    if has_lead and before is not None:
        before.drop_tree()


def sanitize(fragment: str) -> str:
    """Return *fragment* through the nh3 allow-list, one HTML block with no blank lines.

    No blank lines, because Markdown renderers (Hexo's included) end an HTML block at
    the first blank line and read the rest as Markdown.
    """
    cleaned = nh3.clean(
        fragment,
        tags=_TAGS,
        clean_content_tags=_DROP_WITH_CONTENT,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        strip_comments=True,
        link_rel="noopener noreferrer",
        set_tag_attribute_values={"img": {"referrerpolicy": "no-referrer"}},
    )
    # Blocks emptied by the removals above (a paragraph that held only a tracking pixel).
    while True:
        pruned = _EMPTY_BLOCK.sub("", cleaned)
        if pruned == cleaned:
            break
        cleaned = pruned
    # Inside <pre> every space and break is the text itself (code, verse, tables in ASCII):
    # its breaks become character references, so the line folding below cannot strip its
    # indentation or drop its blank lines, and the block still has no blank line.
    cleaned = _PREFORMATTED.sub(_keep_preformatted, cleaned.replace("\r\n", "\n"))
    lines = (line.strip() for line in _BLANK_LINES.sub("", cleaned.replace("\r", "")).split("\n"))
    return "\n".join(line for line in lines if line)


_PREFORMATTED = re.compile(r"<pre\b[^>]*>.*?</pre>", re.S | re.I)


def _keep_preformatted(match: re.Match[str]) -> str:
    """Return one ``<pre>`` element on one line, its line breaks written as ``&#10;``."""
    return match.group(0).replace("\r", "\n").replace("\n", "&#10;")


def clean_body(
    body: lxml.html.HtmlElement,
    base_url: str,
    junk: Iterable[str] = (),
    title: str = "",
    junk_spans: Iterable[str] = (),
) -> str:
    """Return the cleaned HTML of an article body element (which is modified in place)."""
    prepare(body, base_url, junk, title, junk_spans)
    parts = [html.escape(body.text or "", quote=False)]
    parts += [lxml.html.tostring(child, encoding="unicode") for child in body]
    return sanitize("".join(parts))


def first_image(cleaned_html: str) -> str | None:
    """Return the URL of the first image in cleaned HTML that is not a spacer or icon."""
    for match in _FIRST_IMAGE.finditer(cleaned_html):
        sizes = [int(value) for _, value in _SIZE.findall(match.group(0))]
        if sizes and min(sizes) < MIN_IMAGE_SIDE:
            continue
        return html.unescape(match.group(1))
    return None


_TAG = re.compile(r"<[^>]*>")


def has_content(cleaned_html: str) -> bool:
    """Tell whether cleaned HTML shows a reader anything: text or an image."""
    return "<img " in cleaned_html or bool(html.unescape(_TAG.sub("", cleaned_html)).strip())
