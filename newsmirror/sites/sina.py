"""Sina (新浪): finance, tech, news, mobile and legacy 2005 article layouts.

| layout                     | headline             | printed time                     | body            |
|----------------------------|----------------------|----------------------------------|-----------------|
| finance 2018-2022          | h1.main-title        | .date-source .date               | #artibody       |
| finance 2016 / tech 2019   | #artibodyTitle       | #pub_date, .time-source          | #artibody       |
| news.sina.com.cn 2019-2024 | h1.main-title        | .date-source .date               | #article        |
| mobile finance.sina.cn     | h1.art_tit_h1        | time.weibo_time                  | .art_content    |
| legacy 2005 (GB2312)       | th.f24 / <title>     | header line "url date source"    | #zoom           |
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, tzinfo
from urllib.parse import urlsplit

import lxml.html

from newsmirror.extract.bylines import clean_author
from newsmirror.extract.dates import DateProblem, check_plausible, find_printed_date, parse_date
from newsmirror.extract.page import Page, squash
from newsmirror.sites import generic
from newsmirror.sites.base import PageFields, Site

# Channel sub-domain -> the name Sina gives it; the name is the author fallback and
# the default category.
CHANNEL_NAMES = {
    "finance": "新浪财经",
    "tech": "新浪科技",
    "news": "新浪新闻",
    "house": "新浪房产",
    "ent": "新浪娱乐",
    "sports": "新浪体育",
    "auto": "新浪汽车",
    "edu": "新浪教育",
    "mil": "新浪军事",
    "games": "新浪游戏",
    "fashion": "新浪时尚",
}
HEADLINES = ("h1.main-title", "#artibodyTitle", "h1.art_tit_h1", "th.f24")
PRINTED_TIMES = (".date-source .date", "#pub_date", ".time-source", "time.weibo_time")
SOURCES = (".date-source .source", "#media_name", ".time-source .source", "h2.weibo_user")
# Most specific first: the legacy layout wraps #zoom inside a page-wide #article.
BODIES = ("#artibody", "#zoom", "section.art_content", ".art_content", "#article")
JUNK = (
    ".appendQr_wrap",  # the 文末二维码 QR promo the older system took for a lead image
    ".app-kaihu-qr", "#left_hzh_ad", ".tech-quotation", ".artical-player-wrap",
    "[id^=ad_]", ".otherContent_01", "[sax-type=proxy]", ".sinaads", "#wx_pic",
    ".show_statement", ".finance_app_zqtg", "[id^=quote_]",
    ".j_video_with_ad", ".j_relevent_video",  # the mobile layout's video cards
)
# Widgets marked only by comments in the body's flow: <!-- 秒拍begin --> ... <!-- 秒拍end -->.
JUNK_SPANS = ("秒拍", "行情图", "视频播放器")


# Sina's click-tracking parameters (?cre=tianyi&mod=pcpager_fin&loc=2&r=0).
_TRACKING = re.compile(r"^(cre|mod|loc|r|rfunc|tj|tr|from|wm|dv|vt|pos|sudaref)$")


# The article id in desktop (/doc-<id>.shtml) and mobile (/detail-<id>.d.html) URLs.
_ARTICLE_ID = re.compile(r"/(?:doc|detail)-(i[a-z0-9]+)\.(?:shtml|d\.html)$")


def canonicalize(url: str) -> str:
    """Return one URL per Sina article, the same for its desktop and mobile, http and https URLs.

    Sina serves one article at ``<channel>.sina.com.cn/<path>/doc-<id>.shtml`` and at
    ``<channel>.sina.cn/<other path>/detail-<id>.d.html``; the paths differ, the id does
    not. So an article URL becomes ``https://<channel>.sina.com.cn/doc-<id>.shtml``;
    any other URL only loses Sina's tracking parameters and is moved to https.
    """
    normalized = generic.normalize_url(url, _TRACKING)
    parts = urlsplit(normalized)
    if parts.scheme == "http":
        normalized = "https" + normalized[len("http") :]
    match = _ARTICLE_ID.search(parts.path)
    labels = (parts.hostname or "").split(".")
    if match is None or "sina" not in labels[1:]:
        return normalized
    channel = labels[labels.index("sina") - 1]
    return f"https://{channel}.sina.com.cn/doc-{match.group(1)}.shtml"


def site_name(url: str) -> str:
    """Return the Sina channel's name for an article URL (``新浪财经`` for finance)."""
    labels = (urlsplit(url).hostname or "").lower().split(".")
    channel = labels[labels.index("sina") - 1] if "sina" in labels[1:] else ""
    return CHANNEL_NAMES.get(channel, "新浪网")


def is_default_image(url: str) -> bool:
    """Tell whether an image is one of Sina's site-wide defaults (``n.sinaimg.cn/default/...``)."""
    return "/default/" in urlsplit(url).path


def _printed_time(page: Page, zone: tzinfo) -> tuple[datetime | None, str]:
    """Return ``(date, problem)`` from the time printed in the article header."""
    printed = page.first_text(*PRINTED_TIMES)
    moment = find_printed_date(printed, zone) if printed else None
    if moment is None:
        return None, ""
    # The header shows minutes; the weibo meta carries seconds. Trust them only when both agree.
    created = page.meta("weibo: article:create_at")
    if created:
        try:
            precise = parse_date(created, zone)
        except DateProblem:
            precise = None
        if precise is not None and precise.replace(second=0) == moment:
            moment = precise
    try:
        check_plausible(moment)
    except DateProblem as problem:
        return None, str(problem)
    return moment, ""


_CLOCK = re.compile(r"\d{1,2}:\d{2}(?::\d{2})?")


def _legacy_source(page: Page, zone: tzinfo) -> str:
    """Return the source printed after the date in the 2005 layout's header cell."""
    # Short cells only: the layout nests tables, and an outer cell holds the whole page.
    cells = page.tree.xpath('//td[font][contains(., "年") and contains(., "日")][string-length(normalize-space(.)) < 200]')
    for cell in cells:
        text = squash(cell.text_content())
        if find_printed_date(text, zone) is None:
            continue
        # "http://house.sina.com.cn 2005年03月31日03:18 北京娱乐信报": the source follows the time.
        after_time = _CLOCK.split(text)[-1]
        return clean_author(after_time) or clean_author(cell.xpath("string(.//font[last()])"))
    return ""


def _body(page: Page) -> lxml.html.HtmlElement | None:
    """Return the layout's body element that holds text."""
    for query in BODIES:
        for node in page.selector.css(query)[:1]:
            element = node.root
            # The 2005 layout wraps paragraphs in <font id=zoom>; an HTML parser closes the
            # inline <font> before the first block, leaving the text in its table cell.
            if not squash(element.text_content()) and element.getparent() is not None:
                element = element.getparent()
            if squash(element.text_content()):
                return element
    return None


def extract(page: Page, zone: tzinfo) -> PageFields:
    """Read a Sina article page of any known layout."""
    date, problem = _printed_time(page, zone)
    author = clean_author(page.first_text(*SOURCES)) or clean_author(page.meta("article:author"))
    body = _body(page)
    return PageFields(
        title=page.first_text(*HEADLINES),
        author=author or _legacy_source(page, zone),
        date=date,
        date_problem=problem,
        body=body,
        site_name=site_name(page.url),
    )


@dataclass(frozen=True)
class RollChannel:
    """One list of Sina's roll API (``feed.mix.sina.com.cn/api/roll/get?pageid=..&lid=..``)."""

    pageid: int
    lid: int
    name: str
    feed_title: str
    categories: tuple[str, ...]

    @property
    def key(self) -> str:
        """Return the ``pageid:lid`` name that is unique across all lists."""
        return f"{self.pageid}:{self.lid}"

    def list_url(self, page: int, num: int) -> str:
        """Return the roll API URL of one list page."""
        return f"https://feed.mix.sina.com.cn/api/roll/get?pageid={self.pageid}&lid={self.lid}&num={num}&page={page}"


def _roll_channels() -> tuple[RollChannel, ...]:
    finance = {1686: "国内滚动", 1687: "宏观经济", 1690: "金融新闻", 1688: "地方经济", 1689: "部委动态", 3231: "今日财经TOP10"}
    markets = {
        2519: "财经", 2671: "股市", 2672: "美股", 2673: "中国概念股", 2674: "港股",
        2675: "研究报告", 2676: "全球市场", 2487: "外汇",
    }
    news = {
        2509: "全部", 2510: "国内", 2511: "国际", 2669: "社会", 2512: "体育", 2513: "娱乐",
        2514: "军事", 2515: "科技", 2516: "财经", 2517: "股市", 2518: "美股",
    }
    channels = []
    for lid, name in finance.items():
        title = f"新浪财经－{name}"
        channels.append(RollChannel(155, lid, name, title, ("金融", "新浪财经", title)))
    for lid, name in markets.items():
        title = f"新浪财经－{name}滚动新闻"
        channels.append(RollChannel(384, lid, name, title, ("金融", "新浪财经", title)))
    for lid, name in news.items():
        title = f"新浪{name}滚动新闻"
        channels.append(RollChannel(153, lid, name, title, ("新闻", "新浪新闻", title)))
    # The older system's 国内 channel: its posts' folders and permalinks depend on these exact
    # categories, full-width "－" (U+FF0D) and traditional "內" (U+5167) included.
    legacy = "\u65b0\u6d6a\u8d22\u7ecf\uff0d\u56fd\u5167"  # 新浪财经－国內, spelled out: look-alikes
    channels[0] = RollChannel(155, 1686, "国内滚动", "新浪财经－国内滚动", ("金融", "新浪财经", legacy))
    return tuple(channels)


ROLL_CHANNELS = _roll_channels()
DEFAULT_CHANNEL = "1686"


class UnknownChannel(ValueError):
    """A channel name that matches no roll list, or more than one."""


def find_channel(name: str) -> RollChannel:
    """Return the roll list named by *name*: a lid where unique, ``pageid:lid``, or a list name."""
    wanted = name.strip()
    matches = [
        channel
        for channel in ROLL_CHANNELS
        if wanted in (channel.key, str(channel.lid), channel.name, channel.feed_title)
    ]
    if len(matches) == 1:
        return matches[0]
    known = ", ".join(f"{channel.key} {channel.name}" for channel in ROLL_CHANNELS)
    if matches:
        choices = ", ".join(channel.key for channel in matches)
        raise UnknownChannel(f"Sina channel {name!r} is ambiguous: say {choices}")
    raise UnknownChannel(f"unknown Sina channel {name!r}; known channels: {known}")


SITE = Site(
    key="sina",
    hosts=("sina.com.cn", "sina.cn"),
    extract=extract,
    timezone="Asia/Shanghai",
    junk=JUNK,
    junk_spans=JUNK_SPANS,
    is_default_image=is_default_image,
    canonicalize=canonicalize,
    # Sina's share images are channel-wide cards more often than not; the body's first
    # picture is the article's own.
    body_image_first=True,
)
