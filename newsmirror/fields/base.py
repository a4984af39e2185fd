"""What every field module shares: where a value came from, how sure that source is, and the page.

A field is a vote, not a chain of ifs: each module collects :class:`Candidate` values
from every source it knows, each tagged with its :class:`Tier`, then chooses one and
says why in a :class:`FieldChoice` (``scrapy extract`` prints it). The page is parsed
once; :class:`PageContext` holds what several fields read (the JSON-LD article, the
printed header, the visible text), each computed the first time a field asks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import tzinfo
from enum import IntEnum
from functools import cached_property
from typing import Any

from newsmirror.extract.header import printed_header, visible_text
from newsmirror.extract.language import is_chinese
from newsmirror.extract.metadata import json_ld_article
from newsmirror.extract.page import Page


class Tier(IntEnum):
    """How precise a kind of source is; a higher tier is believed before a lower one."""

    FALLBACK = 0  # a guess from the page's shape (the densest block, the <title>)
    LIBRARY = 1  # a well-kept library's heuristics (readability, htmldate)
    PRINTED = 2  # what the page prints for readers: the header, <time>, the h1, the URL path
    META = 3  # OpenGraph and other <meta> tags
    STRUCTURED = 4  # the page's own structured data: JSON-LD (with @graph), microdata
    SITE = 5  # a site module's rules for a layout it knows
    # An operator's rule file (MIRROR_SITE_RULES): believed first, but checked against the
    # generic value where that is confident (newsmirror/siterules/apply.py).
    SITE_RULE = 6


@dataclass(frozen=True)
class Candidate:
    """One value a source offers for a field."""

    value: Any
    source: str  # a short human name: "json-ld headline", "og:title", "h1", "url path"
    tier: Tier
    note: str = ""  # what was done to the raw value, or why it is doubtful
    score: float = 0  # what the field compares candidates of one tier by (characters of prose, votes)


@dataclass(frozen=True)
class PassedOver:
    """A candidate that did not win, and why."""

    candidate: Candidate
    reason: str


@dataclass
class FieldChoice:
    """The value chosen for one field, its source, and every candidate considered."""

    name: str
    value: Any = None
    source: str = ""  # the winner's source; "" when nothing was believed
    candidates: list[Candidate] = field(default_factory=list)  # in the order considered
    passed_over: list[PassedOver] = field(default_factory=list)
    problem: str = ""  # why no value was believed, when none was
    day_only: bool = False  # a date whose source gives the day and no time of day

    def pass_over(self, candidate: Candidate, reason: str) -> None:
        """Record that *candidate* lost, with the reason."""
        self.passed_over.append(PassedOver(candidate, reason))

    def win(self, candidate: Candidate, value: Any = None) -> None:
        """Record *candidate* as the winner; *value* when the field adjusts the raw value."""
        self.value = candidate.value if value is None else value
        self.source = candidate.source

    def winner(self) -> Candidate | None:
        """Return the candidate that won, or None; a combined source ("a + b") is its first part's."""
        if not self.source:
            return None
        return next((candidate for candidate in self.candidates
                     if self.source == candidate.source or self.source.startswith(candidate.source + " + ")), None)

    def take_first(self, candidates: list[Candidate], why: str) -> FieldChoice:
        """Let the first of *candidates* win; pass over the rest as "<winner> *why*"; return self."""
        self.candidates = candidates
        for candidate in candidates:
            if self.source:
                self.pass_over(candidate, f"{self.source} {why}")
            else:
                self.win(candidate)
        return self


def by_tier(candidates: list[Candidate]) -> list[Candidate]:
    """Return *candidates* highest tier first, keeping the collection order within a tier."""
    return sorted(candidates, key=lambda candidate: -candidate.tier)


class PageContext:
    """One page as every field reads it: parsed once, the shared parts computed once, lazily.

    A field's ``choose`` asks for its weaker sources only when the stronger ones did not
    settle it, unless :attr:`explain` asks for all of them.
    """

    def __init__(self, page: Page, zone: tzinfo, site_names: tuple[str, ...] = (), explain: bool = False) -> None:
        self.page = page
        self.zone = zone  # where naive times on the page are read
        self.site_names = site_names  # the publication's names, to strip from headlines
        # Whether to collect every candidate (``scrapy extract`` shows them all); a crawl
        # stops at the first tier that settles a field and never computes the lower ones.
        self.explain = explain
        self.title = ""  # the chosen headline, once the title field has chosen: the header follows it

    @cached_property
    def article(self) -> dict[str, Any]:
        """The page's JSON-LD article object (including inside @graph), or {}."""
        return json_ld_article(self.page)

    @cached_property
    def chinese(self) -> bool:
        """Whether the page is in Chinese (its bylines and headers follow other conventions)."""
        return is_chinese(self.page)

    @cached_property
    def header(self) -> str:
        """The printed header after the chosen headline (set :attr:`title` first)."""
        return printed_header(self.page, self.title)

    @cached_property
    def visible_text(self) -> str:
        """The squashed visible text of the page's body."""
        return visible_text(self.page)
