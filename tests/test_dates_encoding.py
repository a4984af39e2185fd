"""Dates parse strictly with their zone; page bytes decode to the right text."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from newsmirror.extract.dates import DateProblem, check_plausible, find_printed_date, labelled_date, parse_date
from newsmirror.extract.encoding import decode_html

SHANGHAI = ZoneInfo("Asia/Shanghai")
CHINESE_TEXT = "城市更新试点扩围，“喆”“镕”等字。"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2019-09-09T20:52:38+08:00", "2019-09-09T20:52:38+08:00"),
        ("2019-09-09T12:52:38Z", "2019-09-09T12:52:38+00:00"),
        ("2005-08-26 05:39:00", "2005-08-26T05:39:00+08:00"),
        ("Tue, 29 Mar 2022 11:47:10 GMT", "2022-03-29T11:47:10+00:00"),
        ("2019年09月11日01:53", "2019-09-11T01:53:00+08:00"),
        ("2019年9月7日 04:04", "2019-09-07T04:04:00+08:00"),
        ("2019/9/7 04:04", "2019-09-07T04:04:00+08:00"),
        ("2024-05-16", "2024-05-16T00:00:00+08:00"),
        # Hours and minutes as words: Chinese 时/分, Japanese 時/分/秒.
        ("2019年09月09日 20时52分", "2019-09-09T20:52:00+08:00"),
        ("2020年2月15日 7時0分0秒", "2020-02-15T07:00:00+08:00"),
    ],
)
def test_known_formats_keep_or_get_their_zone(raw: str, expected: str) -> None:
    assert parse_date(raw, SHANGHAI).isoformat() == expected


@pytest.mark.parametrize("raw", ["", "sometime soon", "yesterday", "2019-13-45 10:00", "2019年02月30日"])
def test_no_guessing(raw: str) -> None:
    with pytest.raises(DateProblem):
        parse_date(raw, SHANGHAI)


def test_printed_header_time_beats_a_bare_day() -> None:
    line = "2024-05-16 周四 | 2024年05月16日 17:02 新京报"
    assert find_printed_date(line, SHANGHAI) == datetime(2024, 5, 16, 17, 2, tzinfo=SHANGHAI)
    assert find_printed_date("no date at all", SHANGHAI) is None


def test_implausible_dates_are_refused() -> None:
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    with pytest.raises(DateProblem, match="before 1990"):
        check_plausible(datetime(1989, 12, 31, tzinfo=timezone.utc), now)
    with pytest.raises(DateProblem, match="in the future"):
        check_plausible(now + timedelta(days=2), now)
    check_plausible(now + timedelta(hours=8), now)  # a mislabelled zone, not the future


@pytest.mark.parametrize(
    ("body", "header", "codec"),
    [
        (f'<meta charset="gbk"><p>{CHINESE_TEXT}</p>'.encode("gbk"), None, "gb18030"),
        (f'<meta charset="gb2312"><p>{CHINESE_TEXT}</p>'.encode("utf-8"), None, "utf-8"),
        (f"<p>{CHINESE_TEXT}</p>".encode("gbk"), "utf-8", "gb18030"),
        (("<script>" + "x" * 5000 + "</script>" + f'<meta charset="gbk"><p>{CHINESE_TEXT}</p>').encode("gbk"), None, "gb18030"),
        (b"\xef\xbb\xbf" + f"<p>{CHINESE_TEXT}</p>".encode("utf-8"), "gbk", "utf-8-sig"),
    ],
    ids=["gbk-meta", "gb2312-label-over-utf8", "utf8-header-over-gbk", "meta-after-5kb", "bom-wins"],
)
def test_bytes_decide_over_labels(body: bytes, header: str | None, codec: str) -> None:
    text, used = decode_html(body, header)
    assert used == codec and CHINESE_TEXT in text


def test_mixed_invalid_bytes_decode_with_replacements() -> None:
    # A real page: a few corrupt bytes inside a long UTF-8 article.
    body = f"<p>{CHINESE_TEXT * 20}</p>".encode("utf-8") + b"\xff\xfe\x80" + "<p>更多</p>".encode("utf-8")
    text, codec = decode_html(body, None)
    assert codec == "utf-8" and CHINESE_TEXT in text and "更多" in text and "\ufffd" in text


def test_gbk_is_not_mistaken_for_damaged_utf8() -> None:
    text, codec = decode_html(f"<p>{CHINESE_TEXT * 20}</p>".encode("gbk"), None)
    assert codec == "gb18030" and CHINESE_TEXT in text


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("by: Laurie Oakes From: Herald Sun March 13, 2015 9:00PM A new Bill", "2015-03-13T21:00:00+08:00"),
        ("By Joshua Sokol May 20, 2019 Two women programmers", "2019-05-20T00:00:00+08:00"),
        ("Joe Wee Monday, February 29, 2016 @ 11:10 PM UTC Consumer Electronics", "2016-02-29T23:10:00+00:00"),
        ("Posted 3 Sept. 2019 at 8.15 a.m. by the desk", "2019-09-03T08:15:00+08:00"),
        ("May I say 2019 was a year", None),
    ],
)
def test_english_datelines(header: str, expected: str | None) -> None:
    found = find_printed_date(header, ZoneInfo("Asia/Shanghai"))
    assert (found.isoformat() if found else None) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("网易娱乐 周黎明留言板 发布时间 2005/05/17 22:11:42 by 眉间尺 〓← 返回", "2005-05-17T22:11:42+08:00"),
        ("[湖湘文化]陈天华《警世钟》ggjjzhzz 发表于 2005-9-15 11:46:00 陈天华", "2005-09-15T11:46:00+08:00"),
        ("Posted on March 3, 2016 by admin", "2016-03-03T00:00:00+08:00"),
        ("访问量 2005-01-02 12:00 发布时间：未知", None),
        # A bare "date" label counts with its colon; an update's (更新, 修改) does not.
        ("Verkündung des Gesetzes Datum: 18.10.2021 Im Bundesgesetzblatt", "2021-10-18T00:00:00+08:00"),
        ("作者：郭励弘 时间：2004年10月21日14:18", "2004-10-21T14:18:00+08:00"),
        ("更新时间：2005-01-03 08:00 日期：2005-01-02", "2005-01-02T00:00:00+08:00"),
        ("Date 18.10.2021, Änderungsdatum: 19.10.2021", None),
    ],
)
def test_labelled_dates(text: str, expected: str | None) -> None:
    found = labelled_date(text, ZoneInfo("Asia/Shanghai"))
    assert (found.isoformat() if found else None) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("发布日期：  9/17/2004 5:54:13 AM", "2004-09-17T05:54:13+08:00"),
        ("17/9/2004 17:54", "2004-09-17T17:54:00+08:00"),
        ("3/4/2005 10:00", None),  # March 4 or 3 April: refused, never guessed
    ],
)
def test_year_last_dates_only_when_their_order_shows(text: str, expected: str | None) -> None:
    found = find_printed_date(text, ZoneInfo("Asia/Shanghai"))
    assert (found.isoformat() if found else None) == expected
