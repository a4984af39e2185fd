"""The publication date: the site module, JSON-LD, meta tags, <time>, then the printed header.

Strict: a value in no known format, before 1990 or in the future is passed over with
its reason, never guessed at, and never replaced by the crawl time. Only when none of
those sources gives a date are the fallbacks asked: a day in the URL path
(``/2024/05/16/``) and htmldate's heuristics (:attr:`Tier.LIBRARY`). Both give the day
only, read as midnight in the page's zone like a day-only meta tag: no minute is invented.
"""

from __future__ import annotations

import logging
import re
import threading
from datetime import datetime, timedelta, timezone, tzinfo
from urllib.parse import urlsplit

import lxml.etree
from htmldate import find_date

from newsmirror.extract.dates import (
    DateProblem,
    check_plausible,
    find_printed_date,
    labelled_date,
    labelled_dates,
    parse_date,
    printed_dates,
)
from newsmirror.extract.header import precedes_headline
from newsmirror.extract.metadata import ld_text
from newsmirror.fields.base import Candidate, FieldChoice, PageContext, Tier, by_tier

logger = logging.getLogger(__name__)

# htmldate's full search (dates in the page's free text, not only its markup): it finds
# more dates on pages without structured data; bench numbers in the issue 13 commit.
EXTENSIVE_SEARCH = True
# Two sources more than this apart name different days, not one day in two zones.
_AGREEMENT = timedelta(days=1)
# A time of day in a date string ("2024-05-16T08:30", "16 May 2024 8:30"); without one the value is a day.
_TIME_OF_DAY = re.compile(r"\d:\d\d")
# A day in the URL path: /2024/05/16/, /2024-05-16/, /20240516/ (year 1990-2099).
# The first <time datetime="..."> of the page (compiled once: it runs on every page).
_TIME_DATETIME = lxml.etree.XPath("//time/@datetime")
_TIME_ELEMENTS = lxml.etree.XPath("//time[@datetime]")
_URL_DAY = re.compile(r"/((?:199|20)\d\d)([-/]?)(0[1-9]|1[0-2])\2(0[1-9]|[12]\d|3[01])(?=[/._-]|$)")



class _CoarseSteps(logging.Filter):
    """Note, per thread, htmldate's steps that give less than a day; keep its DEBUG records out of our logs.

    Past its day-level searches htmldate falls back to a month (day set to 1) or a year
    (1 January: a copyright line): a made-up day, which the mirror must not file an
    article under. Its only signal is the DEBUG record it logs before each such step.
    """

    STEPS = ("switching to two components", "using copyright year as default", "switching to one component")
    RESERVE = "opting for reserve date with less granularity"

    def __init__(self) -> None:
        super().__init__()
        self.seen = threading.local()

    def filter(self, record: logging.LogRecord) -> bool:
        steps = getattr(self.seen, "steps", None)
        if steps is not None and isinstance(record.msg, str):
            steps.append(record.msg)
        return record.levelno > logging.DEBUG


_HTMLDATE_LOG = logging.getLogger("htmldate.core")
_COARSE = _CoarseSteps()
_HTMLDATE_LOG.addFilter(_COARSE)
_HTMLDATE_LOG.setLevel(logging.DEBUG)  # so the records reach the filter; it lets none through


def htmldate_day(context: PageContext) -> tuple[str | None, str]:
    """Return htmldate's publication day (``YYYY-MM-DD``) for the page, or None and why not."""
    _COARSE.seen.steps = []
    try:
        # original_date: the publication date, not the last modification; htmldate
        # deep-copies a tree it is given before it prunes anything.
        day = find_date(context.page.tree, url=context.page.url, original_date=True,
                        extensive_search=EXTENSIVE_SEARCH, outputformat="%Y-%m-%d")
    except Exception as error:  # noqa: BLE001 - a library's bug on one page must not stop the run
        return None, f"htmldate failed: {error!r}"
    finally:
        steps, _COARSE.seen.steps = _COARSE.seen.steps, None
    if day and (any(step in _CoarseSteps.STEPS for step in steps)
                or (_CoarseSteps.RESERVE in steps and day.endswith("-01-01"))):
        return None, f"htmldate found only a month or year ({day})"
    return day, "" if day else "htmldate found no date"


_TIME_ELEMENT = "<time datetime>"
_DATE_METAS = (
    "article:published_time", "og:published_time", "og:article:published_time",
    "datePublished", "pubdate", "publishdate", "publish-date", "publish_date",
    "dc.date.issued", "DC.date.issued", "dc.date", "DC.date", "sailthru.date",
    "parsely-pub-date", "date",
)


def candidates(context: PageContext, site_value: datetime | None = None) -> list[Candidate]:
    """Return every date the page offers, with its source: raw strings, or datetimes where printed."""
    return _markup_candidates(context, site_value) + _printed_candidates(context)


def _markup_candidates(context: PageContext, site_value: datetime | None) -> list[Candidate]:
    """Return the dates the site module and the page's markup give (cheap: no walk over the text)."""
    page = context.page
    found = [Candidate(site_value, "site module", Tier.SITE)] if site_value is not None else []
    found.append(Candidate(ld_text(context.article, "datePublished"), "json-ld datePublished", Tier.STRUCTURED))
    found.append(Candidate(page.meta(*_DATE_METAS), "meta published time", Tier.META))
    found += [Candidate(str(raw), _TIME_ELEMENT, Tier.PRINTED) for raw in _TIME_DATETIME(page.tree)[:1]]
    return [candidate for candidate in found if candidate.value]


def _printed_candidates(context: PageContext) -> list[Candidate]:
    """Return the date printed in the header under the headline, or after a publish label."""
    found = []
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
    markup = _markup_candidates(context, site_value)
    if context.explain or not _settled(markup, context):
        markup += _printed_candidates(context)
    choice.candidates = by_tier(markup)
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
        choice.day_only = _gives_day_only(candidate)
    if not choice.source:
        _choose_fallback(context, choice, problems)
    else:
        _prefer_header_to_first_time_element(context, choice)
        _prefer_labelled_publication(context, choice)
        _prefer_printed_update(context, choice)
        _read_in_page_zone(context, choice)
        _check_against_url_day(context, choice)
    if not choice.source:
        choice.problem = "; ".join(problems)
    _log_disagreement(choice, context)
    return choice


def _header_date(context: PageContext) -> tuple[datetime, bool] | None:
    """Return the plausible date printed under the headline, and whether it has a time, or None."""
    found = printed_dates(context.header, context.zone, first_timed=True)
    if not found:
        return None
    _, moment, has_time = next((entry for entry in found if entry[2]), found[0])
    try:
        check_plausible(moment)
    except DateProblem:
        return None
    return moment, has_time


def _prefer_header_to_first_time_element(context: PageContext, choice: FieldChoice) -> None:
    """Let the date printed under the headline overrule the page's first ``<time>`` when it names another day.

    Both are printed for readers, but the header is found by the headline, while the first
    ``<time>`` of the document is only first: one printed above the headline is the
    site's (a navigation bar's "today"), not the article's. On one clock (the ``<time>``
    states a local offset, or none) another calendar day is another date; a ``<time>`` in
    UTC may show the header's moment a calendar day on, so it must be more than a day away.
    """
    winner = choice.winner()
    if winner is None or choice.source != _TIME_ELEMENT or choice.value is None:
        return
    first_time = _TIME_ELEMENTS(context.page.tree)[:1]
    if not first_time or not precedes_headline(context.page, context.title, first_time[0]):
        return
    found = _header_date(context)
    if found is None:
        return
    moment, has_time = found
    gap = abs((moment.date() - choice.value.date()).days)
    if gap == 0 or (_explicit_offset(winner.value) == timedelta(0) and gap <= _AGREEMENT.days):
        return
    header = Candidate(moment, "printed header", Tier.PRINTED, note="" if has_time else "day only")
    choice.candidates.append(header)
    choice.pass_over(winner, f"the header under the headline prints {moment.date().isoformat()}")
    choice.win(header, moment)
    choice.day_only = not has_time


_LABELLED = "labelled publish date (发布时间, Veröffentlicht am, Posted on)"


def labelled_publication(context: PageContext, chosen: datetime) -> tuple[datetime, bool] | None:
    """Return the plausible date the page prints after a publish label, and whether it has a time.

    The header under the headline speaks for the article: a label there counts first.
    Where the header prints an unlabelled date, a label elsewhere counts only for that
    day (two printed sources agreeing), since the rest of the page labels its teasers'
    and comments' dates too; it is looked for only when that day is not the *chosen*
    one's. Where the header prints none, the page's first label is the article's (a
    forum or blog post).
    """
    header = context.header
    header_day = find_printed_date(header, context.zone)
    texts = [header]
    if header_day is None or abs((header_day.date() - chosen.date()).days) > _AGREEMENT.days:
        texts.append(context.visible_text)
    for text in texts:
        for moment, has_time in labelled_dates(text, context.zone):
            if text is not header and header_day is not None and moment.date() != header_day.date():
                continue
            try:
                check_plausible(moment)
            except DateProblem:
                continue
            return moment, has_time
    return None


def _corroborated(context: PageContext, choice: FieldChoice, winner: Candidate) -> bool:
    """Tell whether another of the page's markup dates names the chosen day, within a day."""
    for candidate in choice.candidates:
        if candidate is winner or not isinstance(candidate.value, str) or candidate.tier < Tier.PRINTED:
            continue
        try:
            moment = parse_date(candidate.value, context.zone)
        except DateProblem:
            continue
        if abs((moment.date() - choice.value.date()).days) <= _AGREEMENT.days:
            return True
    return False


def _prefer_labelled_publication(context: PageContext, choice: FieldChoice) -> None:
    """Let the date the page prints after a publish label overrule markup that names another day.

    "Veröffentlicht am 16.08.2019", "Publié le 29 juin 2019", "发布时间：…" is the page
    telling its readers when it was published; a markup date more than a day from it is
    most often a template's (a comment's ``<time>``, a CMS's first draft, a re-filed copy).
    The site module is never overruled, nor markup another markup source agrees with
    (two of the page's own timestamps outvote one printed label); the URL path's day
    still checks the result.
    """
    winner = choice.winner()
    if winner is None or winner.tier == Tier.SITE or choice.value is None or _corroborated(context, choice, winner):
        return
    found = labelled_publication(context, choice.value)
    if found is None:
        return
    moment, has_time = found
    if abs((moment.date() - choice.value.date()).days) <= _AGREEMENT.days:
        return
    labelled = Candidate(moment, _LABELLED, Tier.PRINTED, note="" if has_time else "day only")
    choice.candidates.append(labelled)
    choice.pass_over(winner, f"the page prints {moment.date().isoformat()} after a publish label")
    choice.win(labelled, moment)
    choice.day_only = not has_time


_MODIFIED_METAS = ("article:modified_time", "og:updated_time", "dateModified", "DC.date.modified", "dc.date.modified")


def modified_candidates(context: PageContext) -> list[Candidate]:
    """Return the last-modified times the page's structured data and meta tags give."""
    found = [Candidate(ld_text(context.article, "dateModified"), "json-ld dateModified", Tier.STRUCTURED),
             Candidate(context.page.meta(*_MODIFIED_METAS), "meta modified time", Tier.META)]
    return [candidate for candidate in found if candidate.value]


def _prefer_printed_update(context: PageContext, choice: FieldChoice) -> None:
    """Let the page's modified time win over its published time when the header prints the modified day.

    An updated article often shows readers only its update ("Updated March 14"), while
    its metadata keeps the first publication weeks before. Two of the page's own sources
    (the header and the modified time) then name one day against one: the day the page
    says it is from. Asked only when the two metadata days differ, so the header is
    read on few pages.
    """
    winner = choice.winner()
    if winner is None or winner.tier not in (Tier.STRUCTURED, Tier.META) or choice.value is None:
        return
    for modified in modified_candidates(context):
        try:
            moment = parse_date(modified.value, context.zone)
            check_plausible(moment)
        except DateProblem:
            continue
        if moment.date() <= choice.value.date():
            return  # the same day, or a modification before publication (a template's)
        printed = find_printed_date(context.header, context.zone)
        if printed is None or printed.date() != moment.date():
            return
        choice.candidates.append(modified)
        choice.pass_over(winner, f"the header prints {printed.date().isoformat()}, the day of {modified.source}")
        choice.win(modified, moment)
        choice.source = f"{modified.source} + printed header day"
        choice.day_only = _gives_day_only(modified)
        return


# The offsets clocks in use show (tz database): whole hours from UTC-12 to UTC+14, and the
# few half- and three-quarter-hour zones. A printed time that is the UTC value shifted by
# anything else (30 minutes, 2:15) is another moment, not the same one on a local clock.
_CLOCK_OFFSETS = frozenset(
    [timedelta(hours=hours) for hours in range(-12, 15) if hours]
    + [timedelta(hours=hours, minutes=minutes) for hours, minutes in
       ((-9, -30), (-3, -30), (3, 30), (4, 30), (5, 30), (5, 45), (6, 30), (8, 45), (9, 30), (10, 30), (12, 45))])


def _explicit_offset(raw: str) -> timedelta | None:
    """Return the UTC offset *raw* states (``Z``, ``+05:30``, ``GMT``), or None when it states none."""
    try:
        return parse_date(raw, _NO_ZONE).utcoffset() if raw else None
    except DateProblem:
        return None


class _NoZone(tzinfo):
    """A zone that marks a naive value: its offset is None, so :func:`_explicit_offset` tells them apart."""

    def utcoffset(self, moment: datetime | None) -> None:
        return None

    def dst(self, moment: datetime | None) -> None:
        return None

    def tzname(self, moment: datetime | None) -> None:
        return None


_NO_ZONE = _NoZone()


def _page_offset(context: PageContext, moment: datetime) -> tuple[timedelta, str] | None:
    """Return the offset the page's own clock shows, and where it was read, or None when it shows none.

    First another timestamp of the page's markup that states a non-zero offset (a site
    whose JSON-LD is in UTC often gives its meta tags or ``<time>`` in local time); else
    the header's printed time, when it shows *moment* to the minute on a clock some zone keeps.
    """
    page = context.page
    raws = [ld_text(context.article, "datePublished"), ld_text(context.article, "dateModified")]
    raws += [page.meta(key) for key in _DATE_METAS + _MODIFIED_METAS]
    raws += [str(raw) for raw in _TIME_DATETIME(page.tree)[:3]]
    for raw in raws:
        offset = _explicit_offset(raw)
        if offset:
            return offset, f"the page's timestamp {raw!r}"
    printed = find_printed_date(context.header, context.zone)
    if printed is None or (printed.hour, printed.minute) == (0, 0):
        return None
    shift = printed.replace(tzinfo=None) - moment.astimezone(timezone.utc).replace(tzinfo=None, second=0, microsecond=0)
    if shift in _CLOCK_OFFSETS:
        return shift, f"printed header time {printed.strftime('%Y-%m-%d %H:%M')}"
    return None


def _read_in_page_zone(context: PageContext, choice: FieldChoice) -> None:
    """Give a moment stated in UTC in the page's own zone, so its day is the day the page's readers saw.

    The instant is kept; only its offset changes. A day-only value and a naive one are
    left as they are: they were never in UTC.
    """
    winner = choice.winner()
    if (winner is None or choice.day_only or not isinstance(winner.value, str) or choice.value is None
            or _explicit_offset(winner.value) != timedelta(0)):
        return
    found = _page_offset(context, choice.value)
    if found is None:
        return
    offset, where = found
    choice.value = choice.value.astimezone(timezone(offset))
    choice.source = f"{choice.source} + zone of {where}"


def _settled(markup: list[Candidate], context: PageContext) -> bool:
    """Tell whether the markup's dates decide the field whatever the printed text says.

    They do when the first believable one (in :func:`choose`'s order) is the site
    module's or carries a time: a printed date only ever adds the time to a day-only value,
    or speaks when the markup has no believable date at all.
    """
    for candidate in by_tier(markup):
        if candidate.tier == Tier.SITE:
            return True
        try:
            check_plausible(parse_date(candidate.value, context.zone))
        except DateProblem:
            continue
        return ":" in candidate.value
    return False


def fallback_candidates(context: PageContext) -> tuple[list[Candidate], str]:
    """Return the day the URL path names and htmldate's day, each as ``YYYY-MM-DD``, and why htmldate gave none.

    Asked only when the strict sources found nothing: both are guesses from the page's
    shape, and a day-only value must not override a source that gives the time.
    """
    from_url = url_day(context)
    found = [from_url] if from_url is not None else []
    day, why_not = htmldate_day(context)
    if day:
        source = "htmldate (extensive search)" if EXTENSIVE_SEARCH else "htmldate"
        found.append(Candidate(day, source, Tier.LIBRARY, note="day only"))
    return found, why_not


def _choose_fallback(context: PageContext, choice: FieldChoice, problems: list[str]) -> None:
    """Choose among :func:`fallback_candidates` when no strict source gave a date."""
    found, why_not = fallback_candidates(context)
    if why_not:
        problems.append(why_not)
    for candidate in found:
        choice.candidates.append(candidate)
        if choice.source:
            choice.pass_over(candidate, f"{choice.source} is more precise")
            continue
        try:
            moment = parse_date(candidate.value, context.zone)
            check_plausible(moment)
        except DateProblem as problem:
            problems.append(f"{candidate.source}: {problem}")
            choice.pass_over(candidate, str(problem))
            continue
        choice.win(candidate, moment)
        choice.day_only = True  # the URL path and htmldate give a day, never a time


def url_day(context: PageContext) -> Candidate | None:
    """Return the day the page's URL path names (``/2024/05/16/``), as a day-only candidate, or None."""
    match = _URL_DAY.search(urlsplit(context.page.url).path)
    if match is None:
        return None
    year, _, month, day = match.groups()
    return Candidate(f"{year}-{month}-{day}", "url path", Tier.PRINTED, note="day only")


def _check_against_url_day(context: PageContext, choice: FieldChoice) -> None:
    """Let the URL path's day overrule a printed date more than a day from it.

    A CMS writes the publication day into the permalink when the article is published;
    a ``<time>`` or a date in the header that names another day is most often a
    comment's, a related article's or an update's. The page's own metadata (JSON-LD,
    meta tags) and the site module are not overruled: they are written with the article.
    """
    winner = choice.winner()
    if winner is None or winner.tier != Tier.PRINTED or choice.value is None:
        return
    from_url = url_day(context)
    if from_url is None:
        return
    try:
        day = parse_date(from_url.value, context.zone)
        check_plausible(day)
    except DateProblem:
        return
    # Calendar days, not hours: the URL names a whole day, and a time printed late on the
    # next day (or read in another zone) is still the same article's.
    if abs((choice.value.date() - day.date()).days) <= _AGREEMENT.days:
        return
    choice.pass_over(winner, f"the URL path names {from_url.value}, more than a day away")
    choice.candidates.append(from_url)
    choice.win(from_url, day)
    choice.day_only = True


def _gives_day_only(candidate: Candidate) -> bool:
    """Tell whether *candidate* names a day with no time of day ("2024-05-16" in JSON-LD)."""
    return isinstance(candidate.value, str) and not _TIME_OF_DAY.search(candidate.value)


def _log_disagreement(choice: FieldChoice, context: PageContext) -> None:
    """Log at DEBUG each passed-over date more than a day from the chosen one, naming both sources."""
    if choice.value is None:
        return
    for lost in choice.passed_over:
        value = lost.candidate.value
        try:
            moment = value if isinstance(value, datetime) else parse_date(value, context.zone)
            distance = abs(moment - choice.value)
        except (DateProblem, TypeError):
            continue
        if distance > _AGREEMENT:
            logger.debug("date sources disagree on %s: %s says %s, %s says %s", context.page.url,
                         choice.source, choice.value.isoformat(), lost.candidate.source, moment.isoformat())
