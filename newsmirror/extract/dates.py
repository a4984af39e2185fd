"""Strict date parsing: known formats only, zones kept, implausible dates refused.

A mirror that guesses dates files articles under the wrong day forever, so a value
that matches no known format is a reason to log, never something to guess at.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone, tzinfo
from email.utils import parsedate_to_datetime

from dateutil.parser import isoparse

EARLIEST = datetime(1990, 1, 1, tzinfo=timezone.utc)
# Publishers' clocks and zone labels are often a little off; an hour-scale lead is
# a mislabelled zone, not an article from the future.
FUTURE_TOLERANCE = timedelta(days=1)

# Chinese and Japanese dates; the time as "20:52" or in hours and minutes, "20时52分" (Japanese "7時0分0秒").
_CHINESE = re.compile(
    r"(?P<y>(?:19|20)\d\d)\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日"
    r"(?:\s*(?P<H>\d{1,2})\s*(?:[:：]\s*(?P<M>\d{2})(?:\s*[:：]\s*(?P<S>\d{2}))?"
    r"|[时時点點]\s*(?P<Mcjk>\d{1,2})\s*分(?:\s*(?P<Scjk>\d{1,2})\s*秒)?))?"
)
_NUMERIC = re.compile(
    r"(?<!\d)(?P<y>(?:19|20)\d\d)(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})(?!\d)"
    r"(?:(?:\s*|T)(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?)?"
)

_MONTHS = {name: number for number, names in enumerate(
    (("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
     ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
     ("dec", "december")), start=1) for name in names}
# English datelines: "March 13, 2015 9:00PM", "Monday, February 29, 2016 @ 11:10 PM UTC",
# "13 March 2015". Only UTC/GMT are read as zones: other abbreviations are ambiguous (CST).
_MONTH_NAME = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_ENGLISH = re.compile(
    r"(?<![A-Za-z])(?:" + _MONTH_NAME + r"\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y>(?:19|20)\d\d)"
    r"|(?P<d2>\d{1,2})\s+" + _MONTH_NAME.replace("month", "month2") + r",?\s+(?P<y2>(?:19|20)\d\d))"
    r"(?:[\s,@|at-]{1,6}(?P<H>\d{1,2})[:.](?P<M>\d{2})\s*(?P<ampm>[ap]\.?m\.?)?(?:\s*(?P<utc>UTC|GMT))?)?",
    re.IGNORECASE,
)

# Year-last numeric dates ("9/17/2004 5:54:13 AM"): month and day order differs by country,
# so only a date whose order shows (one number above 12) is read; "3/4/2005" is refused.
_YEAR_LAST = re.compile(
    r"(?<![\d/.])(?P<a>\d{1,2})/(?P<b>\d{1,2})/(?P<y>(?:19|20)\d\d)(?![\d/])"
    r"(?:\s+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?\s*(?P<ampm>[AaPp]\.?[Mm]\.?)?)?"
)


# Day-first dates of continental Europe: "16.05.2024", "4.2.2022 | 15:33 Uhr", "16.05.2024, 08:30".
# Dotted day.month.year is never month-first, so its order is certain (a two-digit year is not read).
_DOTTED = re.compile(
    r"(?<![\w.])(?P<d>\d{1,2})\.\s?(?P<m>\d{1,2})\.\s?(?P<y>(?:19|20)\d\d)(?![\d.]\d)"
    r"(?:[\s,|@/-]{1,4}(?:um\s+|à\s+|a las\s+|alle\s+|ore\s+)?(?P<H>\d{1,2})[:.hH](?P<M>\d{2})(?::(?P<S>\d{2}))?(?!\d))?"
)
# Month names of the other languages the mirror reads most (German, French, Spanish, Italian,
# Portuguese, Dutch; Polish in the genitive a date uses), day first: "16. Mai 2024",
# "29 juin 2019", "3 de febrero de 2020", "3 lutego 2020".
_FOREIGN_MONTHS = {name: number for number, names in enumerate((
    ("januar", "jänner", "janvier", "janv", "enero", "ene", "gennaio", "gen", "janeiro", "januari", "stycznia"),
    ("februar", "feber", "février", "fevrier", "févr", "fevr", "febrero", "febbraio", "fevereiro", "februari",
     "lutego"),
    ("märz", "maerz", "mär", "mrz", "mars", "marzo", "março", "marco", "maart", "marca"),
    ("avril", "avr", "abril", "abr", "aprile", "kwietnia"),
    ("mai", "mayo", "maggio", "mag", "maio", "mei", "maja"),
    ("juni", "juin", "junio", "giugno", "giu", "junho", "czerwca"),
    ("juli", "juillet", "juil", "julio", "luglio", "lug", "julho", "lipca"),
    ("août", "aout", "agosto", "ago", "augustus", "sierpnia"),
    ("septembre", "septiembre", "setiembre", "settembre", "setembro", "set", "września", "wrzesnia"),
    ("oktober", "okt", "octobre", "octubre", "ottobre", "ott", "outubro", "października", "pazdziernika"),
    ("novembre", "noviembre", "novembro", "listopada"),
    ("dezember", "dez", "décembre", "decembre", "déc", "diciembre", "dic", "dicembre", "dezembro",
     "grudnia"),
), start=1) for name in names}
_DAY_MONTH_NAME = re.compile(
    r"(?<![\w.])(?P<d>\d{1,2})(?:\.|º|er)?\s*(?:de\s+)?(?P<fmonth>"
    + "|".join(sorted(_FOREIGN_MONTHS, key=len, reverse=True))
    + r")\.?(?!\w)\s*(?:de\s+|del\s+)?,?\s*(?P<y>(?:19|20)\d\d)(?!\d)"
    r"(?:[\s,|@-]{1,4}(?:um\s+|à\s+|a las\s+|alle\s+|ore\s+|às\s+|om\s+|o\s+)?"
    r"(?P<H>\d{1,2})[:.hH](?P<M>\d{2})(?!\d))?",
    re.IGNORECASE,
)


class DateProblem(ValueError):
    """A date was found but cannot be used; the message is the reason to log."""


def _english_parts(parts: dict[str, str | None]) -> dict[str, str | None]:
    """Return the numeric y/m/d/H/M parts of an English dateline match."""
    month = (parts["month"] or parts["month2"] or "").lower()
    hour = parts["H"]
    if hour is not None and parts["ampm"]:
        hour = str(int(hour) % 12 + (12 if parts["ampm"].lower().startswith("p") else 0))
    return {"y": parts["y"] or parts["y2"], "m": str(_MONTHS[month]), "d": parts["d"] or parts["d2"],
            "H": hour, "M": parts["M"], "S": None}


def _year_last_parts(parts: dict[str, str | None], text: str) -> dict[str, str | None]:
    """Return y/m/d/H/M/S of a year-last date whose day/month order is certain; raise otherwise."""
    first, second = int(parts["a"] or 0), int(parts["b"] or 0)
    if (first > 12) == (second > 12):
        raise DateProblem(f"day and month order unknown: {text!r}")
    month, day = (second, first) if first > 12 else (first, second)
    hour = parts["H"]
    if hour is not None and parts["ampm"]:
        hour = str(int(hour) % 12 + (12 if parts["ampm"].lower().startswith("p") else 0))
    return {"y": parts["y"], "m": str(month), "d": str(day), "H": hour, "M": parts["M"], "S": parts["S"]}


def _from_match(match: re.Match[str], zone: tzinfo) -> tuple[datetime, bool]:
    """Build an aware datetime from a regex match; also tell whether it had a time."""
    parts = match.groupdict()
    if parts.get("Mcjk") is not None:
        parts = dict(parts, M=parts["Mcjk"], S=parts["Scjk"])
    if "a" in parts:
        parts = _year_last_parts(parts, match.group(0))
    elif "fmonth" in parts:
        parts = dict(parts, m=str(_FOREIGN_MONTHS[parts["fmonth"].lower()]), S=None)
    elif "month" in parts:
        if parts["utc"]:
            zone = timezone.utc
        parts = _english_parts(parts)
    has_time = parts.get("H") is not None
    try:
        moment = datetime(
            int(parts["y"]),
            int(parts["m"]),
            int(parts["d"]),
            int(parts["H"] or 0),
            int(parts["M"] or 0),
            int(parts["S"] or 0),
            tzinfo=zone,
        )
    except ValueError as error:
        raise DateProblem(f"not a real date: {match.group(0)!r} ({error})") from None
    return moment, has_time


def parse_date(value: str, zone: tzinfo) -> datetime:
    """Parse a date string in a known format; a naive value is read in *zone*.

    Raises :class:`DateProblem` when the value matches no known format.
    """
    text = value.strip()
    if not text:
        raise DateProblem("empty date")
    try:
        moment = isoparse(text)
    except (ValueError, OverflowError):
        moment = None
    if moment is None:
        try:
            moment = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            moment = None
    if moment is None:
        match = _CHINESE.fullmatch(text) or _NUMERIC.fullmatch(text)
        if match is None:
            raise DateProblem(f"unrecognised date format: {text[:80]!r}")
        moment, _ = _from_match(match, zone)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


def find_printed_date(text: str, zone: tzinfo) -> datetime | None:
    """Return the first date-and-time printed in *text* (an article header line), if any.

    A date with a time beats a bare day, because headers often show both the day of a
    section and the article's own timestamp. Among equals the one printed first wins.
    """
    found = printed_dates(text, zone, first_timed=True)
    return next((moment for _, moment, has_time in found if has_time), found[0][1] if found else None)


# Cheapest first: once a date with a time is found, the later formats look only before it.
_PRINTED_FORMATS = (_CHINESE, _DOTTED, _NUMERIC, _YEAR_LAST, _DAY_MONTH_NAME, _ENGLISH)
# Longer than any printed date with its time ("September 30th, 2020 @ 11:10 p.m. UTC").
_LONGEST_DATE = 80
_YEAR = re.compile(r"(?:19|20)\d\d")


def printed_dates(text: str, zone: tzinfo, first_timed: bool = False) -> list[tuple[re.Match[str], datetime, bool]]:
    """Return every real date printed in *text*, in reading order: its match, its moment, whether it has a time.

    *first_timed*: only what :func:`find_printed_date` needs, the dates up to the first
    one with a time (a later one may be missing).
    """
    found: dict[int, tuple[re.Match[str], datetime, bool]] = {}
    spans = _year_spans(text)
    end = len(text)
    for pattern in _PRINTED_FORMATS:
        timed = False
        for span_start, span_end in spans:
            if span_start >= end or timed:
                break
            for match in pattern.finditer(text, span_start, min(span_end, end)):
                try:
                    moment, has_time = _from_match(match, zone)
                except DateProblem:
                    continue
                found.setdefault(match.start(), (match, moment, has_time))
                if first_timed and has_time:
                    end = min(end, match.start() + _LONGEST_DATE)
                    timed = True
                    break
    return [found[start] for start in sorted(found)]


# How far a printed date reaches before its year ("30 de septiembre de 2020") and after it
# (its time: "2020 @ 11:10 p.m. UTC"): the formats are tried only around the text's years.
_BEFORE_YEAR = 35
_AFTER_YEAR = 45


def _year_spans(text: str) -> list[tuple[int, int]]:
    """Return the stretches of *text* around its four-digit years, merged where they overlap."""
    spans: list[tuple[int, int]] = []
    for year in _YEAR.finditer(text):
        start, end = max(0, year.start() - _BEFORE_YEAR), year.end() + _AFTER_YEAR
        if spans and start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
    return spans


# Labels that introduce a post's own time, where a page prints one: 发布时间 (published),
# 发表于 (posted at), 发稿时间 (filed), 张贴 (posted), Posted on, Veröffentlicht am,
# Erscheinungsdatum, Publié le, Publicado el, Pubblicato il, Gepubliceerd op, Opublikowano.
# A Latin label starts with a capital, as labels are printed: "posted June 14" in a sentence
# is prose. Labels are found with str.find (a regex alternation tried at every character
# costs milliseconds on a page's text); a Latin one must stand as a word of its own.
_CHINESE_LABELS = ("发布时间", "發布時間", "发表时间", "發表時間", "发表于", "發表於", "发布于", "发布日期", "发稿时间",
                   "张贴", "張貼")
_LATIN_LABELS = ("Posted", "Published", "First posted", "First published", "Veröffentlicht", "Erschienen",
                 "Publiziert", "Erscheinungsdatum", "Publié", "Mis en ligne", "Publicado", "Pubblicato",
                 "Gepubliceerd", "Opublikowano")
# Labels that name a date without saying which ("Datum:", "Date:", 日期：, 时间：): a page
# prints one by its post's own date, so they count only with the colon a label has; a
# Chinese one after 更新/修改 (updated, modified) is the update's.
_COLON_LABELS = ("Datum", "Date", "Fecha", "Data", "日期", "时间", "時間")
_COLON = re.compile(r"\s*[:：]")
_UPDATE_PREFIXES = ("更新", "修改", "修订", "修訂")
# What may follow a label before its date: a preposition ("on", "am", "le") and a colon or "@".
_AFTER_LABEL = re.compile(r"(?: (?:on|at|am|le|el|em|il|op)(?!\w))?\s*[:：@]?\s*")
_LABEL_REACH = 40  # the label's date and the time printed after it
# The date starts right after its label (a weekday may stand between): a date further on
# belongs to the sentence, as in "published in Nature on 3 March".
_LABEL_GAP = 12


def labelled_date(text: str, zone: tzinfo) -> datetime | None:
    """Return the first date printed right after a publish label (发布时间, 发表于, Posted on) in *text*."""
    found = labelled_dates(text, zone)
    return found[0][0] if found else None


def _label_ends(text: str) -> list[int]:
    """Return where the text after each publish label in *text* starts, in reading order."""
    ends = set()
    for labels, latin in ((_CHINESE_LABELS, False), (_LATIN_LABELS, True)):
        for label in labels:
            start = text.find(label)
            while start >= 0:
                end = start + len(label)
                if not latin or ((start == 0 or not text[start - 1].isalnum())
                                 and (end == len(text) or not text[end].isalnum())):
                    ends.add(_AFTER_LABEL.match(text, end).end())
                start = text.find(label, end)
    for label in _COLON_LABELS:
        start = text.find(label)
        while start >= 0:
            end = start + len(label)
            colon = _COLON.match(text, end)
            if (colon is not None and text[start - 2 : start] not in _UPDATE_PREFIXES
                    and (start == 0 or not (label.isascii() and text[start - 1].isalnum()))):
                ends.add(_AFTER_LABEL.match(text, colon.end()).end())
            start = text.find(label, end)
    return sorted(ends)


def labelled_dates(text: str, zone: tzinfo) -> list[tuple[datetime, bool]]:
    """Return each date printed right after a publish label in *text*, in reading order, and whether it has a time."""
    found = []
    for end in _label_ends(text):
        dates = [entry for entry in printed_dates(text[end : end + _LABEL_REACH], zone)
                 if entry[0].start() <= _LABEL_GAP]
        if dates:
            timed = next((entry for entry in dates if entry[2]), dates[0])
            found.append((timed[1], timed[2]))
    return found


def check_plausible(moment: datetime, now: datetime | None = None) -> None:
    """Raise :class:`DateProblem` for a date before 1990 or in the future."""
    now = now or datetime.now(timezone.utc)
    if moment < EARLIEST:
        raise DateProblem(f"date {moment.isoformat()} is before 1990")
    if moment > now + FUTURE_TOLERANCE:
        raise DateProblem(f"date {moment.isoformat()} is in the future")
