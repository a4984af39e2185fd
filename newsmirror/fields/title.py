"""The headline: the site module, JSON-LD, og:title, the printed h1, then the <title>."""

from __future__ import annotations

from newsmirror.extract.metadata import ld_text
from newsmirror.extract.titles import headline_from_document_title, strip_site_suffix
from newsmirror.fields.base import Candidate, FieldChoice, PageContext, Tier, by_tier

# A shorter text is found in too many places to tell a heading by it.
_MIN_HEADING = 6


def candidates(context: PageContext, site_value: str = "") -> list[Candidate]:
    """Return every headline the page offers, with its source."""
    page = context.page
    found = [Candidate(site_value, "site module", Tier.SITE)] if site_value else []
    found.append(Candidate(ld_text(context.article, "headline"), "json-ld headline", Tier.STRUCTURED))
    found.append(Candidate(page.meta("og:title", "twitter:title"), "og:title", Tier.META))
    h1 = page.first_text("h1")
    document_title = page.first_text("title")
    from_title = headline_from_document_title(document_title)
    if h1 and h1 not in document_title and _printed_as_heading(context, from_title):
        # The h1 is a section banner ("Allergies Health Center"); the <title>'s headline is
        # printed as the article's own heading lower down.
        note = f"h1 {h1!r} is a section banner"
        h1 = from_title
        found.append(Candidate(h1, "h2/h3 = <title>", Tier.PRINTED, note=note))
    else:
        found.append(Candidate(h1, "h1", Tier.PRINTED))
    found.append(Candidate(headline_from_document_title(document_title, h1), "<title>", Tier.FALLBACK))
    return [candidate for candidate in found if candidate.value]


def choose(context: PageContext, site_value: str = "") -> FieldChoice:
    """Choose the headline: the most precise source, its site-name suffix removed."""
    choice = FieldChoice("title")
    choice.candidates = by_tier(candidates(context, site_value))
    printed = next((c.value for c in choice.candidates if c.tier == Tier.PRINTED), "")
    for candidate in choice.candidates:
        if choice.source:
            choice.pass_over(candidate, f"{choice.source} is more precise")
            continue
        if candidate.tier in (Tier.SITE, Tier.FALLBACK):
            choice.win(candidate)
            continue
        headline = strip_site_suffix(candidate.value, context.site_names)
        # A headline with an unescaped quote ends the content="..." attribute early;
        # the visible h1 that continues it is the whole headline.
        if len(printed) > len(headline) and printed.startswith(headline):
            headline = printed
        choice.win(candidate, headline)
    return choice


def without_byline_suffix(title: str, byline: str) -> str:
    """Return *title* without a trailing " | <author>" segment some sites add to og:title."""
    for separator in (" | ", " - ", " – ", " — "):
        if byline and title.endswith(separator + byline) and len(title) > len(separator + byline):
            return title[: -len(separator + byline)].strip()
    return title


def _printed_as_heading(context: PageContext, text: str) -> bool:
    """Tell whether *text* is the whole text of a heading element (h2-h3) of the page."""
    return len(text) >= _MIN_HEADING and bool(
        context.page.tree.xpath("//h2[normalize-space(.) = $text] | //h3[normalize-space(.) = $text]", text=text)
    )
