"""The publication date: the site module, JSON-LD, meta tags, <time>, then the printed header.

Strict: a value in no known format, before 1990 or in the future is passed over with
its reason, never guessed at, and never replaced by the crawl time.
"""

from __future__ import annotations

from datetime import datetime

from newsmirror.extract.dates import DateProblem, check_plausible, find_printed_date, labelled_date, parse_date
from newsmirror.extract.metadata import ld_text
from newsmirror.fields.base import Candidate, FieldChoice, PageContext, Tier, by_tier

_DATE_METAS = (
    "article:published_time", "og:published_time", "og:article:published_time",
    "datePublished", "pubdate", "publishdate", "publish-date", "publish_date",
    "dc.date.issued", "DC.date.issued", "dc.date", "DC.date", "sailthru.date",
    "parsely-pub-date", "date",
)


def candidates(context: PageContext, site_value: datetime | None = None) -> list[Candidate]:
    """Return every date the page offers, with its source: raw strings, or datetimes where printed."""
    page = context.page
    found = [Candidate(site_value, "site module", Tier.SITE)] if site_value is not None else []
    found.append(Candidate(ld_text(context.article, "datePublished"), "json-ld datePublished", Tier.STRUCTURED))
    found.append(Candidate(page.meta(*_DATE_METAS), "meta published time", Tier.META))
    found += [Candidate(raw, "<time datetime>", Tier.PRINTED) for raw in page.selector.xpath("//time/@datetime").getall()[:1]]
    header_date = find_printed_date(context.header, context.zone)
    if header_date is not None:
        found.append(Candidate(header_date, "printed header", Tier.PRINTED))
    else:
        labelled = labelled_date(context.visible_text, context.zone)
        if labelled is not None:
            found.append(Candidate(labelled, "labelled 发布时间/Posted on", Tier.PRINTED))
    return [candidate for candidate in found if candidate.value]


def choose(context: PageContext, site_value: datetime | None = None) -> FieldChoice:
    """Choose the date: the most precise source whose value is a real, plausible date."""
    choice = FieldChoice("date")
    choice.candidates = by_tier(candidates(context, site_value))
    printed = next((c for c in choice.candidates if isinstance(c.value, datetime) and c.source != "site module"), None)
    problems: list[str] = []
    for candidate in choice.candidates:
        if choice.source:
            choice.pass_over(candidate, f"{choice.source} is more precise")
            continue
        if candidate.tier == Tier.SITE:
            choice.win(candidate)
            continue
        try:
            moment = candidate.value if isinstance(candidate.value, datetime) else parse_date(candidate.value, context.zone)
            check_plausible(moment)
        except DateProblem as problem:
            problems.append(str(problem))
            choice.pass_over(candidate, str(problem))
            continue
        if (printed is not None and printed is not candidate and isinstance(candidate.value, str)
                and ":" not in candidate.value and printed.value.date() == moment.date()):
            # The data gives the day only; the header prints that day's time.
            choice.win(candidate, printed.value)
            choice.source = f"{candidate.source} + {printed.source} time"
            continue
        choice.win(candidate, moment)
    if not choice.source:
        choice.problem = "; ".join(problems)
    return choice
