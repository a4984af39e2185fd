"""Applying a site rule to a page: its values are candidates of the highest tier, checked first.

Order, as Full-Text RSS applies a rule: ``find_string``/``replace_string`` rewrite the
decoded HTML before it is parsed (:func:`rewrite_html`); title, author and date XPaths
read the whole page; ``strip``, ``strip_id_or_class`` and ``strip_image_src`` remove
elements from a copy of the page, and only then is the ``body`` XPath read on that
copy (so the generic rules still read the page as it came).

Public rule files go stale: a redesign leaves a rule selecting an old block, a teaser
or nothing. So a rule never makes a field worse than the generic path where the generic
path is confident. The generic value is *confident* when it comes from the page's own
structured data or a site module (:attr:`Tier.STRUCTURED` and above); for the title,
also when it is the article's own h1 (:func:`_confident_title`); for the date,
also when two generic sources agree on its day (:func:`_agreement`); for the body,
when the generic body is long (:data:`CONFIDENT_BODY` characters): then a rule's block
that holds less than half of its text, or is more than half other text (the page
around the article), contradicts it. A block that reads the same article as the generic
body (each holds half of the other's text, whether or not the generic body is confident)
is taken, but its extra text, what the generic body does not hold, is judged by its kind
(:func:`without_furniture`): lists of links and page furniture go, prose stays.
A rule value that is empty, too little (a body under
:data:`MIN_RULE_BODY` characters, a date that is no date) or contradicts a confident
generic value loses: the generic choice stands, the reason is logged and kept among the
candidates (``scrapy extract`` prints it), and the field is counted for the
layout-change alarm under ``rule:<file name>``.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from copy import deepcopy
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import Any

import lxml.etree
import lxml.html

from newsmirror.extract.bylines import clean_author
from newsmirror.extract.dates import DateProblem, check_plausible, find_printed_date, parse_date
from newsmirror.extract.page import Page, squash
from newsmirror.extract.titles import strip_site_suffix
from newsmirror.fields.base import Candidate, FieldChoice, PageContext, PassedOver, Tier
from newsmirror.fields.body_refine import is_furniture
from newsmirror.fields.date import candidates as date_candidates
from newsmirror.fields.date import url_day
from newsmirror.fields.title import ARTICLE_H1
from newsmirror.siterules.rules import RuleLine, SiteRule, compiled

logger = logging.getLogger(__name__)

# A rule's body with less text than this is a teaser, a caption or a stale block.
MIN_RULE_BODY = 200
# A generic body this long (characters) is an article, not a guess ...
CONFIDENT_BODY = 500
# ... and a rule's block holding less than this share of its text selects something else,
# as does one that is mostly text it does not hold (bench/site_rules.py measured both).
MIN_SHARED_TEXT = 0.5
# A block of a rule's extra text that is at least this share link text lists other pages:
# related stories, topic tags, promotion cards, "view comments" (readability's cut-off too).
LINK_DENSE = 0.5
# Page furniture (by its class or id, as the generic body's refine names it) holding more
# than this share of the rule's block is the block's own structure, whatever its class says.
MOST_OF_BLOCK = 0.25
# Phrasing elements: a link inside a sentence belongs to the sentence, not to a list of other pages.
_PHRASING = frozenset({"a", "abbr", "b", "bdi", "bdo", "cite", "code", "data", "dfn", "em", "font", "i", "kbd", "mark",
                       "q", "s", "samp", "small", "span", "strong", "sub", "sup", "time", "u", "var"})
# Two dates further apart than this name different days.
_DATE_AGREEMENT = timedelta(days=1)
_STRIP_ID_OR_CLASS = "//*[contains(@class, $needle) or contains(@id, $needle)]"
_STRIP_IMAGE_SRC = "//img[contains(@src, $needle)]"
_WORDS = re.compile(r"\w+")


def rewrite_html(rule: SiteRule, text: str) -> str:
    """Return the decoded page *text* with the rule's find/replace pairs applied, in file order."""
    for replacement in rule.replacements:
        text = text.replace(replacement.find, replacement.replace)
    return text


def evaluate(rule: SiteRule, line: RuleLine, tree: lxml.etree._Element, smart_strings: bool = False) -> list[Any]:
    """Return what one XPath line selects on *tree* (a list; a string or number result becomes one item)."""
    try:
        result = compiled(line.value, smart_strings)(tree)
    except lxml.etree.XPathError as error:  # compiled at load time; a page can still make it fail
        logger.error("Site rule %s:%d: XPath %r failed on this page (%s); line skipped", rule.name, line.line, line.value, error)
        return []
    if isinstance(result, list):
        return result
    if isinstance(result, bool):
        return []
    return [result]


def _text_of(found: Any) -> str:
    """Return the squashed text of one XPath result: an element's text, an attribute or a string."""
    if isinstance(found, lxml.etree._Element):
        return squash(found.text_content()) if hasattr(found, "text_content") else squash("".join(found.itertext()))
    if isinstance(found, float):
        return "" if found != found else squash(f"{found:g}")  # NaN: a string function on nothing
    return squash(str(found))


def first_text(rule: SiteRule, lines: tuple[RuleLine, ...], tree: lxml.etree._Element) -> tuple[str, int]:
    """Return the first non-empty text the lines select, tried in order, and its line (0: none)."""
    for line in lines:
        for found in evaluate(rule, line, tree):
            text = _text_of(found)
            if text:
                return text, line.line
    return "", 0


def strip_page(rule: SiteRule, tree: lxml.html.HtmlElement) -> None:
    """Remove from *tree* what the rule's strip, strip_id_or_class and strip_image_src lines name."""
    doomed: list[Any] = []
    for line in rule.strip:
        doomed += evaluate(rule, line, tree, smart_strings=True)
    for needle in rule.strip_id_or_class:
        doomed += tree.xpath(_STRIP_ID_OR_CLASS, needle=needle.value)
    for needle in rule.strip_image_src:
        doomed += tree.xpath(_STRIP_IMAGE_SRC, needle=needle.value)
    for found in doomed:
        if isinstance(found, lxml.etree._Element):
            if found.getparent() is not None:
                found.drop_tree() if hasattr(found, "drop_tree") else found.getparent().remove(found)
        elif getattr(found, "is_attribute", False) and found.getparent() is not None:
            found.getparent().attrib.pop(found.attrname, None)  # strip: //img/@srcset drops the attribute


def rule_body(rule: SiteRule, page: Page) -> tuple[lxml.html.HtmlElement | None, int]:
    """Return the rule's body element (on a stripped copy of the page) and its line, or (None, 0)."""
    if not rule.body:
        return None, 0
    tree = deepcopy(page.tree)
    strip_page(rule, tree)
    for line in rule.body:
        elements = [found for found in evaluate(rule, line, tree) if isinstance(found, lxml.html.HtmlElement)]
        # A union (a | b) may select an element and one inside it: keep the outermost, in page order.
        chosen = set(elements)
        outermost = [element for element in elements if not any(ancestor in chosen for ancestor in element.iterancestors())]
        if not outermost:
            continue
        if len(outermost) == 1:
            body = outermost[0]
        else:
            body = lxml.html.Element("div")
            body.extend(outermost)  # moved out of the copy, which nothing else reads
        if rule.prune:
            body = _pruned(body)
        return body, line.line
    return None, 0


def _pruned(body: lxml.html.HtmlElement) -> lxml.html.HtmlElement:
    """Return readability's clean-up of *body* (``prune: yes``), unless it loses half the text."""
    from newsmirror.fields.body import content_candidates, readability_content, text_size

    document = lxml.html.document_fromstring("<html><body></body></html>")
    document.find("body").append(deepcopy(body))
    pruned = readability_content(content_candidates(document))
    return pruned if pruned is not None and text_size(pruned) * 2 >= text_size(body) else body


def _agree(one: str, other: str) -> bool:
    """Tell whether two texts name the same thing: equal, or one inside the other, case aside."""
    one, other = squash(one).casefold(), squash(other).casefold()
    return bool(one) and bool(other) and (one in other or other in one)


def _grams(words: list[str]) -> Counter[tuple[str, ...]]:
    """Return the word 4-grams of *words*, counted with repeats (one gram for fewer than four words)."""
    return Counter(tuple(words[i : i + 4]) for i in range(max(len(words) - 3, 1))) if words else Counter()


def _words(text: str) -> list[str]:
    """Return the case-folded words of *text*."""
    return _WORDS.findall(text.casefold())


def _shared_text(part: str, whole: str) -> float:
    """Return the share of *whole*'s word 4-grams (counted with repeats) that *part* holds too."""
    whole_grams = _grams(_words(whole))
    total = sum(whole_grams.values())
    return sum((whole_grams & _grams(_words(part))).values()) / total if total else 1.0


def _link_share(element: lxml.html.HtmlElement, size: int) -> float:
    """Return the share of an element's *size* characters of text that is link text."""
    links = sum(len(squash(link.text_content())) for link in element.iter("a")
                if next(link.iterancestors("a"), None) is None)
    return links / size if size else 0.0


def _is_caption(element: lxml.html.HtmlElement) -> bool:
    """Tell whether an element is an image's own caption: in a ``<figure>``, or a ``<figcaption>`` or its wrapper."""
    return next(element.iterancestors("figure"), None) is not None or next(element.iter("figcaption"), None) is not None


def without_furniture(block: lxml.html.HtmlElement, generic_text: str) -> tuple[lxml.html.HtmlElement, list[str]]:
    """Return a copy of a rule's *block* without the extra text that is furniture by its kind, and what went.

    Extra text is an element's text that the generic body (*generic_text*) does not
    hold, wholly or in half of its 4-grams. It is where a rule and the generic rules disagree, and it is taken
    only when it reads as the article's own: an extra block mostly link text
    (:data:`LINK_DENSE`: related stories, topic tags, promotion cards; a link inside a
    sentence is the sentence's, :data:`_PHRASING`) goes, as does an element
    whose class or id names page furniture as the generic body's refine reads it
    (loose caption and credit lines, bylines and author boxes, newsletter boxes), unless
    it is an image's own caption (:func:`_is_caption`; refine keeps those too) or most
    of the block. Any other extra text (paragraphs the generic body missed, a gallery's
    prose, a standfirst) stays. Elements whose text the generic body holds are entered,
    and their extra children judged the same way.
    """
    block = deepcopy(block)
    generic_words = _words(generic_text)
    generic_line = " ".join(generic_words)
    generic_grams = _grams(generic_words)
    whole = len(squash(block.text_content()))
    dropped: list[str] = []
    doomed: list[lxml.html.HtmlElement] = []
    stack = [child for child in reversed(block) if isinstance(child.tag, str)]
    while stack:  # a loop, not recursion: the page decides how deep it goes
        element = stack.pop()
        text = squash(element.text_content())
        words = _words(text)
        if not words:
            continue
        grams = _grams(words)
        held = " ".join(words) in generic_line or (
            len(words) >= 4 and sum((grams & generic_grams).values()) / sum(grams.values()) >= MIN_SHARED_TEXT)
        kind = ""
        if not held:
            if element.tag not in _PHRASING and _link_share(element, len(text)) >= LINK_DENSE:
                kind = "links"
            elif is_furniture(element) and not _is_caption(element) and len(text) <= whole * MOST_OF_BLOCK:
                kind = "furniture"
        if kind:
            doomed.append(element)
            dropped.append(f"{kind} {text[:60]!r}")
        else:
            stack.extend(child for child in reversed(element) if isinstance(child.tag, str))
    for element in doomed:
        element.drop_tree()  # keeps the text that follows it
    return block, dropped


@dataclass
class RuleReading:
    """What a rule read on one page, and where it fell back to the generic path, with why."""

    rule: SiteRule
    candidates: dict[str, Candidate] = field(default_factory=dict)  # title, author, date, body
    fallbacks: dict[str, str] = field(default_factory=dict)  # field -> why the generic value stands

    def fall_back(self, name: str, reason: str, page_url: str) -> None:
        """Record and log that the rule's *name* field lost to the generic path."""
        self.fallbacks[name] = reason
        logger.info("Site rule %s on %s: %s falls back to the generic rules: %s", self.rule.name, page_url, name, reason)

    def settle(self, name: str, choice: FieldChoice, context: PageContext) -> FieldChoice:
        """Return the field's choice once the rule's candidate is weighed against the generic *choice*."""
        lines = getattr(self.rule, name)
        candidate = self.candidates.get(name)
        if not lines:
            return choice  # the rule says nothing about this field
        if candidate is None:
            self.fall_back(name, "no line of the rule selects anything", context.page.url)
            return choice
        settle = {"title": self._title, "author": self._author, "date": self._date, "body": self._body}[name]
        value, problem, source = settle(candidate, choice, context)
        if problem:
            self.fall_back(name, problem, context.page.url)
            return _with_loser(choice, candidate, problem)
        return _rule_wins(choice, candidate, value, source)

    def _title(self, candidate: Candidate, choice: FieldChoice, context: PageContext) -> tuple[Any, str, str]:
        headline = strip_site_suffix(candidate.value, context.site_names)
        generic = choice.winner()
        if generic is not None and _confident_title(generic, choice) and not _agree(headline, choice.value or ""):
            # Structured data often carries the search-engine headline, not the printed one:
            # a rule's headline that the page prints as its heading is no stale block.
            printed = next((other for other in choice.candidates
                            if other.tier == Tier.PRINTED and squash(other.value).casefold() == headline.casefold()), None)
            if printed is None:
                return None, f"it contradicts the {generic.source} {choice.value!r}, which is confident", ""
            return headline, "", f"{candidate.source} (= {printed.source})"
        return headline, "", ""

    def _author(self, candidate: Candidate, choice: FieldChoice, context: PageContext) -> tuple[Any, str, str]:
        name = clean_author(candidate.value)
        if not name:
            return None, f"{candidate.value[:80]!r} is no name", ""
        generic = choice.winner()
        if generic is not None and generic.tier >= Tier.STRUCTURED and not _agree(name, choice.value or ""):
            return None, f"it contradicts the {generic.source} {choice.value!r}, which is confident", ""
        return name, "", ""

    def _date(self, candidate: Candidate, choice: FieldChoice, context: PageContext) -> tuple[Any, str, str]:
        raw = candidate.value
        moment = _moment_of(raw, context.zone)
        if moment is None:
            return None, f"{raw[:80]!r} is no date", ""
        try:
            check_plausible(moment)
        except DateProblem as problem:
            return None, str(problem), ""
        generic = choice.winner()
        if generic is not None and isinstance(choice.value, datetime):
            if abs(moment - choice.value) > _DATE_AGREEMENT and (
                    basis := generic.source if generic.tier >= Tier.STRUCTURED else _agreement(choice.value, context)):
                return None, (f"{moment.isoformat()} contradicts the {basis} "
                              f"{choice.value.isoformat()}, which is confident"), ""
            if ":" not in raw and moment.date() == choice.value.astimezone(moment.tzinfo).date():
                # The rule names the day only; the generic source gives that day's time.
                return choice.value, "", f"{candidate.source} + {choice.source} time"
        return moment, "", ""

    def _body(self, candidate: Candidate, choice: FieldChoice, context: PageContext) -> tuple[Any, str, str]:
        size = int(candidate.score)
        if size < MIN_RULE_BODY:
            return None, f"its block holds {size} characters, too little for an article", ""
        generic = choice.winner()
        if generic is None or not isinstance(choice.value, lxml.html.HtmlElement):
            return candidate.value, "", ""
        generic_text = squash(choice.value.text_content())
        rule_text = squash(candidate.value.text_content())
        shared = _shared_text(rule_text, generic_text)
        own = _shared_text(generic_text, rule_text)
        if generic.tier >= Tier.STRUCTURED or len(generic_text) >= CONFIDENT_BODY:
            if shared < MIN_SHARED_TEXT:
                return None, (f"its block ({size} characters) holds {shared:.0%} of the text of the "
                              f"{generic.source} ({len(generic_text)} characters), which is confident"), ""
            if own < MIN_SHARED_TEXT:
                # A block around the article: navigation, related stories, comments.
                return None, (f"{1 - own:.0%} of its block ({size} characters) is text the "
                              f"{generic.source} ({len(generic_text)} characters), which is confident, leaves out"), ""
        elif shared < MIN_SHARED_TEXT or own < MIN_SHARED_TEXT:
            return candidate.value, "", ""  # a short generic body that reads another block: the rule's stands
        # Both read the same article: where they differ, the rule's extra text is judged by its kind.
        block, dropped = without_furniture(candidate.value, generic_text)
        if not dropped:
            return candidate.value, "", ""
        blocks = f"{len(dropped)} block{'s' if len(dropped) > 1 else ''} of links or furniture"
        logger.info("Site rule %s on %s: body takes the rule's block without %s the %s leaves out: %s",
                    self.rule.name, context.page.url, blocks, generic.source, "; ".join(dropped))
        return block, "", f"{candidate.source} - {blocks}"


def _moment_of(raw: str, zone: tzinfo | None) -> datetime | None:
    """Return the moment *raw* names: a date string as metadata writes it, else a date printed in text; or None."""
    try:
        return parse_date(raw, zone)
    except DateProblem:
        return find_printed_date(raw, zone)


def _confident_title(generic: Candidate, choice: FieldChoice) -> bool:
    """Tell whether the generic headline is confident: structured data's, or the one the page prints as its heading.

    The article's own h1 (the one h1 inside ``<article>``/``<main>``, :data:`title.ARTICLE_H1`),
    or metadata it spells out, is what readers see above the story; a rule's other headline
    is the stale one (a redesign moved the rule's element to a teaser or a section name).
    Any other h1 may be a banner or a section name, which is what rules are written for.
    """
    if generic.tier >= Tier.STRUCTURED:
        return True
    chosen = squash(choice.value or "").casefold()
    return bool(chosen) and any(
        candidate.source == ARTICLE_H1 and squash(candidate.value).casefold() == chosen for candidate in choice.candidates
    )


def _agreement(chosen: datetime, context: PageContext) -> str:
    """Name the generic date sources that agree on the *chosen* day, when two or more do; else ``""``.

    One printed date may be stale or another date of the page, but two sources read
    independently (a ``<time>`` element and the printed header, or either and the URL path)
    that name the same day are evidence, as structured data is: a rule's date days away
    from them is the stale one (an old "first published" field the site no longer fills).
    A crawl's date choice stops at the first source that settles it, so every generic
    source is read here, as ``scrapy extract`` reads them (only for a rule date that
    disagrees, which is rare).
    """
    found = date_candidates(context)
    from_url = url_day(context)
    if from_url is not None:
        found.append(from_url)
    agreeing: list[str] = []
    for candidate in found:
        moment = _moment_of(candidate.value, context.zone) if isinstance(candidate.value, str) else candidate.value
        if isinstance(moment, datetime) and abs(moment - chosen) <= _DATE_AGREEMENT and candidate.source not in agreeing:
            agreeing.append(candidate.source)
    return " and ".join(agreeing) if len(agreeing) >= 2 else ""


def _with_loser(choice: FieldChoice, candidate: Candidate, reason: str) -> FieldChoice:
    """Return *choice* with the rule's candidate first among those considered, passed over for *reason*."""
    choice.candidates = [candidate, *choice.candidates]
    choice.passed_over = [PassedOver(candidate, f"{reason}; the generic rules' value stands"), *choice.passed_over]
    return choice


def _rule_wins(choice: FieldChoice, candidate: Candidate, value: Any, source: str = "") -> FieldChoice:
    """Return a choice the rule's candidate wins (named *source* when it combines two), the rest passed over."""
    settled = FieldChoice(choice.name, candidates=[candidate, *choice.candidates])
    settled.win(candidate, value)
    settled.source = source or candidate.source
    for other in choice.candidates:
        settled.pass_over(other, f"{candidate.source} is more precise")
    return settled


def read_rule(rule: SiteRule, page: Page) -> RuleReading:
    """Return the candidates *rule* reads on *page* (title, author, date from the page; body from its stripped copy)."""
    reading = RuleReading(rule)
    tree = page.tree
    for name in ("title", "author", "date"):
        value, line = first_text(rule, getattr(rule, name), tree)
        if value:
            reading.candidates[name] = Candidate(value, rule.source(line), Tier.SITE_RULE)
    body, line = rule_body(rule, page)
    if body is not None:
        size = len(squash(body.text_content()))
        reading.candidates["body"] = Candidate(body, rule.source(line), Tier.SITE_RULE, note=f"{size} characters", score=size)
    return reading


def page_link(rule: SiteRule, lines: tuple[RuleLine, ...], page: Page) -> str | None:
    """Return the absolute URL the first matching link line names on *page* (an href, a string), or None."""
    from newsmirror.clean import absolute_url

    for line in lines:
        for found in evaluate(rule, line, page.tree):
            if isinstance(found, lxml.etree._Element):
                target = found.get("href") or found.get("content") or found.get("src") or ""
            else:
                target = str(found)
            url = absolute_url(squash(target), page.url) if squash(target) else None
            if url:
                return url
    return None


def next_page_url(rule: SiteRule, page: Page) -> str | None:
    """Return the URL of the article's next page by the rule's ``next_page_link``, or None."""
    return page_link(rule, rule.next_page_link, page)


def single_page_url(rule: SiteRule, page: Page) -> str | None:
    """Return the URL of the article's single-page view by the rule's ``single_page_link``, or None."""
    return page_link(rule, rule.single_page_link, page)
