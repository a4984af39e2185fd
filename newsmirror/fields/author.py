"""The byline: the site module, JSON-LD, meta tags, the printed byline or 来源, then signatures."""

from __future__ import annotations

import re
from collections.abc import Callable

from newsmirror.extract.bylines import (
    chinese_byline,
    clean_author,
    english_byline,
    forum_poster,
    is_editor,
    leading_byline,
    signed_reporter,
)
from newsmirror.extract.metadata import ld_authors
from newsmirror.extract.page import Page
from newsmirror.fields.base import Candidate, FieldChoice, PageContext, Tier, by_tier

_AUTHOR_METAS = ("author", "article:author", "byl", "dc.creator", "DC.creator", "sailthru.author", "parsely-author")
# Elements that may print the byline; the class test below narrows "author" to real byline
# classes (byline, article__author, author-name), not author__img or author-bio.
_BYLINE_ELEMENTS = (
    "//body//*[@rel='author' or @itemprop='author' or contains(@class, 'byline') or contains(@class, 'author')]"
    "[not(ancestor::script or ancestor::style)]"
)
_BYLINE_CLASS = re.compile(r"(?:\w+(?:__|-))?(?:byline|author)(?:(?:__|-|_)(?:author|name|link|fmt))?", re.IGNORECASE)
_MAX_BYLINE_ELEMENTS = 40


def candidates(context: PageContext, site_value: str = "") -> list[Candidate]:
    """Return every byline the page offers, with its source, in the order they are believed."""
    found = [candidate for tier in _tiers(context, site_value) for candidate in tier()]
    return [candidate for candidate in found if candidate.value]


def _tiers(context: PageContext, site_value: str) -> tuple[Callable[[], list[Candidate]], ...]:
    """Return the sources in the order they are believed, each computed only when called."""
    return (
        lambda: [Candidate(site_value, "site module", Tier.SITE)] if site_value else [],
        lambda: [Candidate(clean_author(name), "json-ld author", Tier.STRUCTURED) for name in ld_authors(context.article)],
        lambda: _page_candidates(context),
    )


def _page_candidates(context: PageContext) -> list[Candidate]:
    """Return the bylines the page's meta tags and printed text offer (below the structured data)."""
    page = context.page
    found = []
    meta = clean_author(page.meta(*_AUTHOR_METAS))
    if context.chinese:
        # On Chinese pages <meta name=author> often holds the responsible editor, the
        # portal's name or a CMS user id: the printed 来源/作者/记者 comes first.
        found.append(Candidate(chinese_byline(context.header), "printed 来源/作者/记者", Tier.PRINTED))
        found.append(_meta_candidate(meta, context, Tier.PRINTED, "meta author, after the printed byline on Chinese pages"))
        found.append(Candidate(leading_byline(context.header), "name before the printed time", Tier.FALLBACK))
        found.append(Candidate(signed_reporter(context.visible_text), "signed （记者 …）", Tier.FALLBACK))
        found.append(Candidate(forum_poster(context.visible_text), "forum poster", Tier.FALLBACK))
    else:
        found.append(_meta_candidate(meta, context, Tier.META, ""))
        found.append(Candidate(printed_byline(page), "byline element", Tier.PRINTED))
        found.append(Candidate(chinese_byline(context.header), "printed 来源/作者/记者", Tier.PRINTED))
    return found


def _meta_candidate(meta: str, context: PageContext, tier: Tier, note: str) -> Candidate:
    """Return the meta author as a candidate; none when the page prints that name as the editor."""
    if meta and is_editor(meta, context.header):
        return Candidate("", "meta author", tier)  # the responsible editor is not the author
    return Candidate(meta, "meta author", tier, note)


def choose(context: PageContext, site_value: str = "") -> FieldChoice:
    """Choose the byline: the most precise source that names someone.

    The sources are asked tier by tier: once one names someone, the weaker ones (the
    printed header, the visible text) are not computed, unless ``context.explain``.
    """
    found: list[Candidate] = []
    for tier in _tiers(context, site_value):
        found += [candidate for candidate in tier() if candidate.value]
        if found and not context.explain:
            break
    return FieldChoice("author").take_first(by_tier(found), "is more precise")


def printed_byline(page: Page) -> str:
    """Return the name in the page's first byline element (class byline/author, rel=author)."""
    for element in page.tree.xpath(_BYLINE_ELEMENTS)[:_MAX_BYLINE_ELEMENTS]:
        classes = (element.get("class") or "").split()
        if not (element.get("rel") == "author" or element.get("itemprop") == "author"
                or any(_BYLINE_CLASS.fullmatch(token) for token in classes)):
            continue
        # The link to the author's page holds the name alone; the element may add a role
        # ("Games Editor") or the desk ("WebMD Health News").
        for text in (*(link.text_content() for link in element.iter("a")), element.text_content()):
            name = english_byline(text)
            if name:
                return name
    return ""
