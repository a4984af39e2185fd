"""The main content: the site module's element, readability's choice, or the densest text block."""

from __future__ import annotations

import re
from copy import deepcopy

import lxml.etree
import lxml.html
from readability.readability import REGEXES, Unparseable

from newsmirror.clean import MIN_IMAGE_SIDE, is_hidden_remainder
from newsmirror.extract.mainblock import MainBlockDocument
from newsmirror.extract.page import squash
from newsmirror.fields.body_refine import is_furniture, refine
from newsmirror.fields.base import Candidate, FieldChoice, PageContext, Tier

# Main content shorter than this (characters) is checked against the densest text block.
_SHORT_CONTENT = 400
# ... and replaced only by a block with at least this much prose of its own (a related
# story's teaser in a card is a few hundred characters; a forum post is more).
_DENSE_ENOUGH = 1000
_CONTENT_BLOCKS = frozenset({"td", "div", "article", "section"})
# What the URL standard removes from a URL before reading it.
_URL_TABS_AND_BREAKS = re.compile(r"[\t\n\r]")
_C0_AND_SPACE = "".join(map(chr, range(0x21)))
# Elements that never hold article text: trimmed before readability scores the page.
_NEVER_CONTENT = ("script", "style", "noscript", "template", "svg", "math", "link", "meta")
# Text under these is never a block's own prose: lists, navigation, forms.
_NOT_CONTENT = frozenset({"li", "ul", "ol", "dl", "nav", "header", "footer", "aside", "form", "select", "button", "th"})
# The plain contains() test runs first because it is cheap and rejects nearly every element;
# the whole-word test then runs only on the few whose class mentions "hidden" at all
# (0.49 -> 0.21 ms a page over the corpus, the same elements found).
_HIDDEN_BY_CLASS = lxml.etree.XPath(
    "//body//*[contains(@class, 'hidden')][contains(concat(' ', normalize-space(@class), ' '), ' hidden ')]"
)
# A standfirst: a description the page prints whole, in a leaf block or a heading.
_PRINTS_TEXT = lxml.etree.XPath(
    "//body//*[self::p or self::h2 or self::h3 or self::span or (self::div and not(*))][normalize-space(.) = $text]"
)
_SUMMARY_SHORTEST = 30  # characters: shorter is a label
# The body's text as XPath's string() joins it, for a cheap test before _PRINTS_TEXT.
_BODY_STRING = lxml.etree.XPath("string(//body)")


def _printed_run(summary: str) -> re.Pattern[str]:
    """Return a pattern any element printing *summary* (by normalize-space) holds: its words, XPath-spaced."""
    return re.compile("[ \t\n\r]+".join(map(re.escape, summary.split(" "))))


_SUMMARY_LONGEST = 400  # characters: longer is a paragraph of the text


def text_size(element: lxml.html.HtmlElement | None) -> int:
    """Return the length of an element's squashed text, 0 for none."""
    return len(squash(element.text_content())) if element is not None else 0


def candidates(context: PageContext, site_value: lxml.html.HtmlElement | None = None) -> list[Candidate]:
    """Return the content elements on offer: the site module's, readability's, the densest block."""
    if site_value is not None:
        # The site module knows its layout's body element: no scoring needed.
        return [Candidate(site_value, "site module", Tier.SITE)]
    found = []
    readable = readability_content(context.page.tree)
    size = text_size(readable)
    if readable is not None and size:
        found.append(Candidate(readable, "readability", Tier.LIBRARY, note=f"{size} characters", score=size))
    if size < _SHORT_CONTENT:
        # Few pages get here: the trimmed copy readability took apart is not kept for them.
        densest, dense_size = densest_block(content_candidates(context.page.tree))
        if densest is not None:
            found.append(Candidate(
                densest, "densest block", Tier.FALLBACK, note=f"{dense_size} characters of its own", score=dense_size
            ))
    return found


def choose(context: PageContext, site_value: lxml.html.HtmlElement | None = None) -> FieldChoice:
    """Choose the main content element.

    Readability scores paragraphs; a forum post or an old page is one cell of text broken
    by <br>, and a short reply can outscore it. When readability's choice is short, the
    densest block wins if it holds several times more prose of its own.
    """
    choice = FieldChoice("body")
    choice.candidates = candidates(context, site_value)
    readable = next((c for c in choice.candidates if c.source == "readability"), None)
    dense = next((c for c in choice.candidates if c.source == "densest block"), None)
    found = readable.score if readable else 0
    winner = choice.candidates[0] if choice.candidates and choice.candidates[0].tier == Tier.SITE else None
    if winner is None and dense is not None and dense.score >= max(found * 3, _DENSE_ENOUGH):
        winner = dense
    winner = winner or readable
    if winner is not None and winner.tier != Tier.SITE:
        refine(winner.value)
        description = context.page.meta("og:description", "description")
        if not _same_words(description, context.title):  # a headline repeated: the title shows it
            add_printed_summary(context.page.tree, description, winner.value)
    for candidate in choice.candidates:
        if candidate is winner:
            choice.win(candidate)
        elif winner is not None:
            choice.pass_over(candidate, f"{winner.source} holds the article")
        else:
            choice.pass_over(candidate, "too little prose of its own")
    if winner is None:
        choice.problem = "no element holds article text"
    return choice


def readability_content(tree: lxml.html.HtmlElement) -> lxml.html.HtmlElement | None:
    """Return the main content readability-lxml finds in a page's tree (left unchanged), or None."""
    # No url= for readability: it would rewrite links itself; clean.prepare resolves them.
    # A parsed tree, not its serialization: re-serializing and re-parsing every page cost
    # a fifth of the extraction time.
    try:
        summary = _TrimmedDocument(tree).summary(html_partial=True)
    except Unparseable:  # readability found nothing it could score: no body, a reason is logged later
        return None
    return lxml.html.fragment_fromstring(summary, create_parent="div") if summary.strip() else None


def content_candidates(tree: lxml.html.HtmlElement) -> lxml.html.HtmlElement:
    """Return a copy of a page's tree holding only what can be article content.

    Scripts, styles, inline SVG, comments and the like can never be content, and the
    sanitizer drops them from the post anyway; removing them first spares readability,
    which copies, cleans and scores every element, much of its work (issue 8). Small
    images go too, because readability drops the width and height that tell a tracking
    pixel or an icon from a photo.
    """
    copy = deepcopy(tree)
    lxml.etree.strip_elements(copy, *_NEVER_CONTENT, lxml.etree.Comment, with_tail=False)
    for image in copy.xpath("//img[@width or @height]"):
        side = _declared_side(image)
        if side is not None and side < MIN_IMAGE_SIDE:
            image.drop_tree()
    for element in _HIDDEN_BY_CLASS(copy):
        # The CSS frameworks' "hidden" class is display:none: a box a script may show later
        # (an appeal, a player's error message), not what the page shows. A remainder of the
        # text hidden by its style is kept (_parse, clean.is_hidden_remainder); one hidden by
        # this class has not been seen on a page yet, so the class still drops it.
        if element.getparent() is not None:
            element.drop_tree()
    for element in copy.xpath("//a[@href] | //img[@src]"):
        # As browsers read URLs: without surrounding spaces and controls, without tabs and
        # line breaks inside ("java\tscript:" is "javascript:"). Left in, lxml would write
        # them out as %20 and %09, and the sanitizer would no longer see the scheme.
        name = "href" if element.tag == "a" else "src"
        value = element.get(name, "")
        url = _URL_TABS_AND_BREAKS.sub("", value).strip(_C0_AND_SPACE)
        if url != value:
            element.set(name, url)
    return copy


def _declared_side(image: lxml.html.HtmlElement) -> int | None:
    """Return the smaller of an image's declared width and height, if it declares one."""
    sides = [int(value) for value in (image.get("width", ""), image.get("height", "")) if value.strip().isdigit()]
    return min(sides) if sides else None


class _TrimmedDocument(MainBlockDocument):
    """readability's ``Document`` reading the trimmed copy :func:`content_candidates` makes of a tree.

    readability cleans every input with lxml's ``Cleaner`` (scripts, styles, comments,
    links, javascript: URLs, style attributes), a deep copy and a pass over every link:
    14 % of a crawl's profile (bench/RESULTS.md, issue 8). The trimmed tree has none of
    the elements it removes, and the sanitizer drops the attributes from the post whatever
    happens here, so only the steps that change which text is content are kept: hidden
    elements go, the document's <base> applies. The bodies come out as with the Cleaner
    (tests/test_generic_rules.py checks corpus pages). Overrides a method of
    readability-lxml as pinned in requirements.txt.
    """

    def _parse(self, input: lxml.html.HtmlElement) -> lxml.html.HtmlElement:  # noqa: A002 (readability's name)
        # summary() takes its tree apart, once per attempt: each attempt gets a fresh
        # trimmed copy, the only copy made (the page's own tree is never changed).
        document = content_candidates(input)
        for element in document.xpath("//*[@hidden]"):
            element.drop_tree()
        for element in document.xpath("//*[@style]"):
            if REGEXES["displayNoneRe"].search(element.get("style")) and not is_hidden_remainder(element):
                element.drop_tree()
        document.resolve_base_href(handle_failures="discard")
        return document


def add_printed_summary(tree: lxml.html.HtmlElement, summary: str, body: lxml.html.HtmlElement) -> None:
    """Put the article's standfirst at the top of a generic *body* when the page prints it and the body lacks it. In place.

    A standfirst (dek, summary) sits between the headline and the text, outside the block
    readability scores; it is the page's description, printed. Only a description the page
    shows as a whole element counts: one that is only in <meta> is a search engine's.
    """
    if not _SUMMARY_SHORTEST <= len(summary) <= _SUMMARY_LONGEST or summary in squash(body.text_content()):
        return
    if _printed_run(summary).search(_BODY_STRING(tree)) is None:
        return  # the words never run in this order: no element can print them (and the XPath costs)
    printed = next(iter(_PRINTS_TEXT(tree, text=summary)), None)
    if printed is None or any(_teaser_or_furniture(ancestor) for ancestor in printed.iterancestors()):
        return
    standfirst = lxml.html.Element("p")
    standfirst.text = summary
    body.insert(0, standfirst)
    standfirst.tail, body.text = body.text, None


def _teaser_or_furniture(element: lxml.html.HtmlElement) -> bool:
    """Tell whether an ancestor makes a printed description a teaser: a link's card, a list, furniture."""
    # A description inside a link is a card pointing to a story (this one, in a list of
    # top stories); inside a share box or a promotion it is their preview.
    return element.tag == "a" or element.tag in _NOT_CONTENT or is_furniture(element)


def _same_words(text: str, other: str) -> bool:
    """Tell whether one of two texts holds the other, ignoring case (an empty one never)."""
    folded, other_folded = text.casefold(), squash(other).casefold()
    return bool(folded and other_folded) and (folded in other_folded or other_folded in folded)


def densest_block(tree: lxml.html.HtmlElement) -> tuple[lxml.html.HtmlElement | None, int]:
    """Return the block (td, div, article, section) holding the most text of its own, and that length.

    A block's own text is in it or in its inline elements and paragraphs, never in links,
    lists, scripts or nested blocks: navigation and link lists hold text too.
    """
    sizes: dict[lxml.html.HtmlElement, int] = {}
    for text in tree.xpath("//body//text()[not(ancestor::a or ancestor::script or ancestor::style)]"):
        owner = text.getparent()
        if text.is_tail and owner is not None:
            owner = owner.getparent()
        while owner is not None and owner.tag not in _CONTENT_BLOCKS and owner.tag not in _NOT_CONTENT:
            owner = owner.getparent()
        if owner is not None and owner.tag in _CONTENT_BLOCKS:
            sizes[owner] = sizes.get(owner, 0) + len(text.strip())
    if not sizes:
        return None, 0
    best = max(sizes, key=sizes.__getitem__)
    return best, sizes[best]
