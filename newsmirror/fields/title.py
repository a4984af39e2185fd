"""The headline: the site module, then a vote of JSON-LD, og:title, twitter:title, the printed h1 and the <title>."""

from __future__ import annotations

import copy
import html
import re
import unicodedata

import lxml.etree
import lxml.html

from newsmirror.extract.metadata import ld_text
from newsmirror.extract.page import rendered_text, squash
from newsmirror.extract.titles import headline_from_document_title, strip_site_suffix
from newsmirror.fields.base import Candidate, FieldChoice, PageContext, Tier, by_tier

# A shorter text is found in too many places to tell a heading by it.
_MIN_HEADING = 6
# A character reference left in a value that was escaped twice ("India&#039;s").
_LEFT_ESCAPED = re.compile(r"&(?:#\d{2,6}|#x[0-9a-fA-F]{2,5}|[a-zA-Z]{2,8});")
# Where sites join a headline to a section or site name, in metadata as in <title>.
_SEGMENT_SEPARATORS = re.compile(r"\s+(?:\||-|–|—|::|»|--)\s+")
# Scripts written without spaces between words: there one word can be a whole headline.
_UNSPACED_SCRIPT = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff\uac00-\ud7af]")
# h1 elements inside the article's own container, outside its navigation and asides.
_ARTICLE_H1 = lxml.etree.XPath(
    "//h1[ancestor::article or ancestor::main][not(ancestor::nav or ancestor::aside or ancestor::footer)]"
)
ARTICLE_H1 = "h1 of the article"


def candidates(context: PageContext, site_value: str = "") -> list[Candidate]:
    """Return every headline the page offers, with its source."""
    page = context.page
    found = [Candidate(site_value, "site module", Tier.SITE)] if site_value else []
    found.append(Candidate(ld_text(context.article, "headline"), "json-ld headline", Tier.STRUCTURED))
    found.append(Candidate(page.meta("og:title"), "og:title", Tier.META))
    found.append(Candidate(page.meta("twitter:title"), "twitter:title", Tier.META))
    h1 = page.first_text("h1")
    document_title = page.first_text("title")
    from_title = headline_from_document_title(document_title)
    if h1 and h1 not in document_title and _printed_as_heading(context, from_title):
        # The h1 is a section banner ("Allergies Health Center"); the <title>'s headline is
        # printed as the article's own heading lower down.
        note = f"h1 {h1!r} is a section banner"
        h1 = from_title
        found.append(Candidate(h1, "h2/h3 = <title>", Tier.PRINTED, note=note))
    elif own := _article_h1(context):
        # The page's one h1 inside <article>/<main> is the heading readers see above the
        # story; the metadata around it may be written for search engines.
        h1 = own
        found.append(Candidate(h1, ARTICLE_H1, Tier.PRINTED))
    elif not h1 and (segment := _segment_printed_as_heading(context, document_title)):
        # No h1 at all: the part of the <title> the page prints as a heading is the headline,
        # whichever side of the separators the site's name sits on.
        h1 = segment
        found.append(Candidate(h1, "h2/h3 = <title> segment", Tier.PRINTED))
    else:
        found.append(Candidate(h1, "h1", Tier.PRINTED))
    found.append(Candidate(headline_from_document_title(document_title, h1), "<title>", Tier.FALLBACK))
    return [candidate for candidate in found if candidate.value]


def choose(context: PageContext, site_value: str = "") -> FieldChoice:
    """Choose the headline: the most precise source, its site-name suffix removed.

    The printed h1 takes part in the vote: when any metadata headline (JSON-LD, og:title,
    twitter:title, the <title>) is the h1 re-typed, the h1 wins with its own spelling,
    even over a more precise source that says something else. Structured data often
    carries the search-engine headline while og:title and the page print the reader's.
    """
    choice = FieldChoice("title")
    choice.candidates = by_tier(candidates(context, site_value))
    printed = next((c.value for c in choice.candidates if c.tier == Tier.PRINTED), "")
    seconded = _seconded(choice.candidates, printed, context)
    sources = {candidate.source for candidate in choice.candidates}
    for candidate in choice.candidates:
        if choice.source:
            choice.pass_over(candidate, f"{choice.source} is more precise")
            continue
        if candidate.tier == Tier.SITE:
            choice.win(candidate)
            continue
        if seconded is not None and candidate is not seconded:
            choice.pass_over(candidate, f"the h1 prints the {seconded.source} headline, not this one")
            continue
        if seconded is None and candidate.source != ARTICLE_H1 and ARTICLE_H1 in sources:
            choice.pass_over(candidate, f"the {ARTICLE_H1} is printed above the story, and no metadata says it")
            continue
        if candidate.tier == Tier.FALLBACK and candidate is not seconded:
            choice.win(candidate)
            continue
        headline = _headline(candidate, context.site_names)
        # A headline with an unescaped quote ends the content="..." attribute early;
        # the visible h1 that continues it is the whole headline.
        if len(printed) > len(headline) and printed.startswith(headline):
            headline = printed
        elif candidate is seconded and printed != headline:
            choice.win(candidate, printed)
            choice.source = f"{candidate.source} + h1 spelling"
            continue
        choice.win(candidate, headline)
    return choice


def _headline(candidate: Candidate, site_names: tuple[str, ...]) -> str:
    """Return a metadata candidate's headline: references decoded, the site's name removed."""
    if candidate.tier == Tier.FALLBACK:
        return candidate.value
    return strip_site_suffix(unescape_leftover(candidate.value), site_names)


def _seconded(found: list[Candidate], printed: str, context: PageContext) -> Candidate | None:
    """Return the most precise metadata candidate whose headline the printed h1 is, or None."""
    if not printed:
        return None
    for candidate in found:
        if candidate.tier in (Tier.SITE, Tier.PRINTED):
            continue
        if candidate.tier == Tier.FALLBACK:
            # The <title> candidate is cut at the h1 when the <title> starts with it, so it
            # agrees by construction; what the <title> says on its own is what votes.
            headline = headline_from_document_title(context.page.first_text("title"))
        else:
            headline = _headline(candidate, context.site_names)
        if headline == printed or _prints(headline, printed):
            return candidate
    return None


def _article_h1(context: PageContext) -> str:
    """Return the text of the page's only h1 inside <article>/<main>, if it reads as a headline."""
    headings = [text for text in (_heading_text(node) for node in _ARTICLE_H1(context.page.tree)) if text]
    if len(headings) != 1:
        return ""
    heading = headings[0]
    # One word ("Politik", "Sport") is a section's name, not an article's headline.
    if len(heading) < _MIN_HEADING or (" " not in heading and not _UNSPACED_SCRIPT.search(heading)):
        return ""
    return heading


def _heading_text(node: lxml.html.HtmlElement) -> str:
    """Return a heading's text as read, without ruby annotations (furigana above the kanji)."""
    if node.find(".//rt") is None:
        return squash(rendered_text(node))
    node = copy.deepcopy(node)
    for annotation in node.xpath(".//rt | .//rp"):
        annotation.drop_tree()
    return squash(rendered_text(node))


def unescape_leftover(text: str) -> str:
    """Return *text* with character references decoded that a double escape left in it."""
    return html.unescape(text) if _LEFT_ESCAPED.search(text) else text


def _prints(headline: str, printed: str) -> bool:
    """Tell whether the printed h1 is *headline* as the reader sees it.

    Metadata often carries the headline re-typed: straight quotes for curly ones, Title
    Case for the printed sentence case, or with the site or section glued on (" - Site",
    " | Editorial"). When the h1 is that same headline, or one segment of it, the h1 is
    what the page printed, and its spelling is the one to keep.
    """
    key = _comparable(printed)
    if len(key) < _MIN_HEADING:
        return False
    if _comparable(headline) == key:
        return True
    segments = _SEGMENT_SEPARATORS.split(headline)
    return len(segments) > 1 and _comparable(segments[0]) == key


def _comparable(text: str) -> str:
    """Return *text* folded for comparison: case, quotes, dashes and punctuation dropped."""
    folded = unicodedata.normalize("NFKC", html.unescape(text)).casefold()
    return "".join(char for char in folded if char.isalnum())


def without_byline_suffix(title: str, byline: str) -> str:
    """Return *title* without a trailing " | <author>" segment some sites add to og:title."""
    for separator in (" | ", " - ", " – ", " — "):
        if byline and title.endswith(separator + byline) and len(title) > len(separator + byline):
            return title[: -len(separator + byline)].strip()
    return title


def _segment_printed_as_heading(context: PageContext, document_title: str) -> str:
    """Return the segment of *document_title* that is the whole text of an h2/h3, or ''."""
    segments = _SEGMENT_SEPARATORS.split(document_title)
    if len(segments) < 2:
        return ""
    return next((segment for segment in segments if _printed_as_heading(context, segment)), "")


def _printed_as_heading(context: PageContext, text: str) -> bool:
    """Tell whether *text* is the whole text of a heading element (h2-h3) of the page."""
    return len(text) >= _MIN_HEADING and bool(
        context.page.tree.xpath("//h2[normalize-space(.) = $text] | //h3[normalize-space(.) = $text]", text=text)
    )
