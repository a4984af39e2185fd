"""The headline: the site module, then a vote of JSON-LD, og:title, twitter:title, the printed h1 and the <title>."""

from __future__ import annotations

import copy
import html
import re
import unicodedata
from urllib.parse import urljoin, urlsplit

import lxml.etree
import lxml.html

from newsmirror.extract.metadata import ld_text
from newsmirror.extract.page import rendered_text, squash
from newsmirror.extract.titles import (
    headline_beside_site_name,
    headline_from_document_title,
    label_segments,
    names_site,
    strip_site_suffix,
    title_segments,
)
from newsmirror.fields.base import Candidate, FieldChoice, PageContext, Tier, by_tier
from newsmirror.text import RUBY_ANNOTATIONS

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
LEAD_HEADING = "first heading of the content"
# A heading's first child that is a kicker: a block of its own, or a label by its class.
_BLOCK_TAGS = frozenset({"div", "p"})
_KICKER_CLASS = re.compile(r"kicker|topline|overline|eyebrow|dachzeile|roofline|topic|label", re.IGNORECASE)
# A label glued to a headline ("Opinion", "Pétition", "Ratgeber Recht") is a word or a few.
_MAX_LABEL_WORDS = 3
# Where a heading is out of the reader's sight or outside the page's own content.
_OUTSIDE_CONTENT = "ancestor::nav or ancestor::header or ancestor::footer or ancestor::aside or ancestor::form"
_CONTENT_H2 = lxml.etree.XPath(f"//h2[not({_OUTSIDE_CONTENT})]")
# Classes that hide an element from sight and leave it to screen readers (or to nobody).
_HIDDEN_CLASS = re.compile(
    r"(?:^|\s)(?:sr-only|screen-reader-text|visually-hidden|visuallyhidden|text-hide|hidden|hide|offscreen)(?:\s|$)"
)
# What a link to a site's home page looks like, once resolved: no path, or an index page.
_HOME_PATHS = frozenset({"", "/", "/index.html", "/index.php", "/index.htm"})


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
    # An h1 that is the site's logo or name above every page says nothing of this one.
    banner = _h1_names_site(context, h1)
    banner_text = h1 if banner else ""
    if (
        (not h1 or banner or _one_word(h1))
        and not any(candidate.value for candidate in found)
        and (heading := _lead_heading(context, from_title))
    ):
        # Nothing but the <title> names the page, and it names the site, a path, a short
        # form of the first heading of the content, or that heading beside the site's
        # name: that heading is the page's headline.
        note = f"h1 {h1!r} is the site's name" if banner else ""
        h1 = heading
        found.append(Candidate(h1, LEAD_HEADING, Tier.PRINTED, note=note))
    elif h1 and h1 not in document_title and _printed_as_heading(context, from_title):
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
    from_title, note = headline_from_document_title(document_title, h1), ""
    if not any(candidate.value for candidate in found) and (
        beside := headline_beside_site_name(
            document_title, (*context.site_names, banner_text), urlsplit(page.url).hostname or ""
        )
    ):
        # Only the <title> names the page, and one of its segments names the site: the
        # rest is headline, section and motto, and the headline is the longest of them.
        from_title, note = beside, "beside the site's name"
    found.append(Candidate(from_title, "<title>", Tier.FALLBACK, note=note))
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
    if choice.value and choice.source != "site module":
        # Only the printed heading says which labels the reader sees: metadata adds some
        # for search engines and shares ("Pétition : …"), and a <title> cut at its
        # separators loses subtitles as often as labels.
        printed_headings = [c.value for c in choice.candidates if c.tier == Tier.PRINTED]
        if (bare := _without_labels(choice.value, printed_headings, context.site_names)) != choice.value:
            choice.value = bare
            choice.source += " - labels the printed heading leaves off"
    return choice


def _without_labels(headline: str, others: list[str], site_names: tuple[str, ...]) -> str:
    """Return *headline* without labels glued to it that one of *others* leaves off.

    "Pétition : Non à la mutilation" where the h1 prints "Non à la mutilation". A label is
    a word or a few ("Opinion", "Editorial", a site's name); a longer part is a subtitle.
    """
    for other in sorted({squash(other) for other in others}, key=len):
        if len(other) >= len(headline) or len(other) < _MIN_HEADING or _one_word(other):
            continue
        start = headline.find(other)
        if start < 0:
            continue
        before, after = headline[:start], headline[start + len(other):]
        if _labels_only(before, site_names, leading=True) and _labels_only(after, site_names, leading=False):
            return other
    return headline


def _labels_only(glue: str, site_names: tuple[str, ...], leading: bool) -> bool:
    """Tell whether *glue*, the text on one side of a headline, is separators and short labels."""
    if not glue:
        return True
    # The glue must meet the headline at a separator, or the headline was cut mid-sentence.
    edge = glue + "\u0000" if leading else "\u0000" + glue
    parts = label_segments(edge)
    if (leading and parts[-1] != "\u0000") or (not leading and parts[0] != "\u0000"):
        return False
    labels = parts[:-1] if leading else parts[1:]
    names = {_comparable(name) for name in site_names}
    return bool(labels) and all(
        len(label.split()) <= _MAX_LABEL_WORDS or _comparable(label) in names for label in labels
    )


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
    """Return a heading's text as read: without ruby annotations (furigana above the kanji),
    and without a kicker, the label printed on a line of its own above the headline."""
    kicker = _kicker(node)
    if node.find(".//rt") is None and kicker is None:
        return squash(rendered_text(node))
    node = copy.deepcopy(node)
    lxml.etree.strip_elements(node, *RUBY_ANNOTATIONS, with_tail=False)
    if kicker is not None:
        node[0].drop_tree()
    return squash(rendered_text(node))


def _kicker(node: lxml.html.HtmlElement) -> lxml.html.HtmlElement | None:
    """Return the heading's first child when it is a kicker: a block or a label before the headline."""
    if len(node) < 1 or squash(node.text) or not isinstance(node[0].tag, str):
        return None
    first = node[0]
    label = first.tag in _BLOCK_TAGS or _KICKER_CLASS.search(first.get("class", ""))
    label_text, rest = squash(rendered_text(first)), squash(first.tail) or any(squash(rendered_text(c)) for c in node[1:])
    if not (label and label_text and rest) or len(label_text.split()) > _MAX_LABEL_WORDS:
        return None
    return first


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


def _h1_names_site(context: PageContext, h1: str) -> bool:
    """Tell whether the page's first h1 is the site's logo or name rather than a headline.

    It is when it links to the site's home page, or says one of the site's names.
    """
    if not h1:
        return False
    node = next((node for node in context.page.tree.iter("h1") if squash(rendered_text(node))), None)
    if node is None:
        return False
    links = node.xpath("ancestor-or-self::a[@href] | .//a[@href]")
    if len(links) == 1 and squash(rendered_text(links[0])) in (h1, "") and _links_home(context, links[0].get("href", "")):
        return True
    key = _comparable(h1)
    return any(_comparable(name) == key for name in context.site_names if name)


def _links_home(context: PageContext, href: str) -> bool:
    """Tell whether *href* leads to the home page of the site *context* is on."""
    target = urlsplit(urljoin(context.page.url, href.strip()))
    own = urlsplit(context.page.url)
    return (target.hostname or "") == (own.hostname or "") and target.path in _HOME_PATHS and not target.query


def _one_word(text: str) -> bool:
    """Tell whether *text* is one word of a spaced script: a panel's or a section's label."""
    return " " not in text and not _UNSPACED_SCRIPT.search(text)


def _lead_heading(context: PageContext, from_title: str) -> str:
    """Return the first visible h2 of the content, when the <title> does not name the article.

    The <title> does not when it is empty, names the site (its domain or one of its
    names), is a path with no space in it, or is a shorter form of that heading.
    """
    heading = next((text for text in map(_visible_heading, _CONTENT_H2(context.page.tree)) if text), "")
    if not heading:
        return ""
    title_key, heading_key = _comparable(from_title), _comparable(heading)
    if not title_key or ("/" in from_title and " " not in from_title.strip()) or title_key in heading_key:
        return heading
    # A <title> with the site's name in one segment and more beside it names the article there.
    host = urlsplit(context.page.url).hostname or ""
    segments = title_segments(context.page.first_text("title"))
    site_only = bool(segments) and all(names_site(segment, context.site_names, host) for segment in segments)
    beside = headline_beside_site_name(context.page.first_text("title"), context.site_names, host)
    return heading if site_only or _comparable(beside) == heading_key else ""


def _visible_heading(node: lxml.html.HtmlElement) -> str:
    """Return the text of a heading a reader sees, of two words at least, or ''."""
    hidden = (
        _HIDDEN_CLASS.search(element.get("class", "")) or "display:none" in element.get("style", "").replace(" ", "")
        for element in (node, *node.iterancestors())
    )
    if any(hidden):
        return ""
    text = _heading_text(node)
    return text if len(text) >= _MIN_HEADING and not _one_word(text) else ""

