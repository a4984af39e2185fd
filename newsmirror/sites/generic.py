"""Rules for any news page: structured data first, then the page's visible header.

Site modules fill what their layout is known to hold; these rules fill the rest.
"""

from __future__ import annotations

import re
from copy import deepcopy
from datetime import datetime, tzinfo
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit
from zoneinfo import ZoneInfo

import lxml.etree
import lxml.html
from readability import Document
from readability.readability import REGEXES, Unparseable

from newsmirror.clean import MIN_IMAGE_SIDE, absolute_url
from newsmirror.extract.bylines import (
    chinese_byline,
    clean_author,
    english_byline,
    forum_poster,
    is_editor,
    leading_byline,
    signed_reporter,
)
from newsmirror.extract.dates import DateProblem, check_plausible, find_printed_date, labelled_date, parse_date
from newsmirror.extract.metadata import json_ld_article, ld_authors, ld_image, ld_text
from newsmirror.extract.page import Page, squash
from newsmirror.extract.titles import headline_from_document_title, strip_site_suffix
from newsmirror.sites.base import PageFields, Site

_DATE_METAS = (
    "article:published_time", "og:published_time", "og:article:published_time",
    "datePublished", "pubdate", "publishdate", "publish-date", "publish_date",
    "dc.date.issued", "DC.date.issued", "dc.date", "DC.date", "sailthru.date",
    "parsely-pub-date", "date",
)
_AUTHOR_METAS = ("author", "article:author", "byl", "dc.creator", "DC.creator", "sailthru.author", "parsely-author")
# Query parameters that only track a click, on any site; the same article with or without
# them is one article. Site modules drop their own (Sina's cre, mod, loc, r).
_TRACKING = re.compile(r"^(utm_\w+|fbclid|gclid|dclid|msclkid|mc_cid|mc_eid|_ga|spm|share_token|igshid)$")
# The printed header time sits just below the headline; look no further than this.
_HEADER_WINDOW = 400
_DEFAULT_IMAGE = re.compile(r"/default/|(?:^|[/_-])(?:logo|favicon|placeholder|default)[^/]*$", re.IGNORECASE)
# Looser than a headline clean-up may be ("-" inside "COVID-19"): only to find where the page
# prints the headline, never to shorten it.
_LOOSE_SEPARATORS = re.compile(r"\s*(?:_|\||--| - |-|–|—|丨|｜)\s*")
# A shorter text is found in too many places to mark the header.
_MIN_LOCATOR = 6
_MAX_HEADINGS = 6
# Main content shorter than this (characters) is checked against the densest text block.
_SHORT_CONTENT = 400
# ... and replaced only by a block with at least this much prose of its own (a related
# story's teaser in a card is a few hundred characters; a forum post is more).
_DENSE_ENOUGH = 1000
_CONTENT_BLOCKS = frozenset({"td", "div", "article", "section"})
# What the URL standard removes from a URL before reading it.
_URL_TABS_AND_BREAKS = re.compile(r"[\t\n\r]")
_C0_AND_SPACE = "".join(map(chr, range(0x21)))
# Elements that never hold article text: trimmed before readability scores the page.
_NEVER_CONTENT = ("script", "style", "noscript", "template", "svg", "math", "link", "meta")
# Text under these is never a block's own prose: lists, navigation, forms.
_NOT_CONTENT = frozenset({"li", "ul", "ol", "dl", "nav", "header", "footer", "aside", "form", "select", "button", "th"})
# Elements that may print the byline; the class test below narrows "author" to real byline
# classes (byline, article__author, author-name), not author__img or author-bio.
_BYLINE_ELEMENTS = (
    "//body//*[@rel='author' or @itemprop='author' or contains(@class, 'byline') or contains(@class, 'author')]"
    "[not(ancestor::script or ancestor::style)]"
)
_BYLINE_CLASS = re.compile(r"(?:\w+(?:__|-))?(?:byline|author)(?:(?:__|-|_)(?:author|name|link|fmt))?", re.IGNORECASE)
_MAX_BYLINE_ELEMENTS = 40
_UTC = ZoneInfo("UTC")
_CHINESE_LANG = re.compile(r"^zh", re.IGNORECASE)
_HAN = re.compile(r"[\u4e00-\u9fff]")
# Share of Han characters in the document title that marks a Chinese page with no lang
# attribute: most Chinese news pages declare none, and mixed titles ("iPhone 11 发布") count.
_CHINESE_TITLE_SHARE = 0.3


def is_chinese(page: Page) -> bool:
    """Tell whether a page is in Chinese: its lang, a GB encoding, or a mostly-Han title."""
    lang = page.tree.get("lang") or page.meta("content-language", "language") or ""
    if _CHINESE_LANG.match(lang) or page.encoding == "gb18030":
        return True
    title = re.sub(r"\s+", "", page.first_text("title") or page.first_text("h1"))
    return bool(title) and len(_HAN.findall(title)) >= len(title) * _CHINESE_TITLE_SHARE


def guess_timezone(page: Page) -> tzinfo:
    """Return the zone to read a page's naive times in: China for Chinese pages, else UTC."""
    return ZoneInfo("Asia/Shanghai") if is_chinese(page) else ZoneInfo("UTC")


def registered_domain(host: str) -> str:
    """Return the last two labels of a host, three under a two-letter country code SLD."""
    labels = host.lower().rstrip(".").split(".")
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in {"com", "net", "org", "gov", "edu", "co", "ac"}:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def normalize_url(url: str, site_tracking: re.Pattern[str] | None = None) -> str:
    """Return *url* without fragment, tracking parameters or default port, host lower-cased.

    *site_tracking* matches a site's own tracking parameters, dropped as well.
    """
    parts = urlsplit(url.strip())
    try:
        port = parts.port
    except ValueError:  # a port out of range: keep the URL as written, minus the fragment
        return urlunsplit(parts._replace(fragment=""))
    query = urlencode(
        [
            (name, value)
            for name, value in parse_qsl(parts.query, keep_blank_values=True)
            if not _TRACKING.match(name) and not (site_tracking and site_tracking.match(name))
        ]
    )
    host = (parts.hostname or "").lower()
    if port and (parts.scheme, port) not in {("http", 80), ("https", 443)}:
        host = f"{host}:{port}"
    return urlunsplit((parts.scheme.lower(), host, parts.path or "/", query, ""))


def canonical_url(page: Page) -> str:
    """Return the page's declared canonical URL when it stays on the page's own site."""
    own = urlsplit(page.url).hostname or ""
    for candidate in (
        page.selector.xpath('//link[@rel="canonical"]/@href').get(),
        page.meta("og:url"),
    ):
        if not candidate:
            continue
        # Resolved against the page's own URL, never <base href>, which the page controls.
        resolved = absolute_url(candidate, page.url)
        # A page may not claim another site's URL: that would let it replace that article's post.
        if resolved and registered_domain(urlsplit(resolved).hostname or "") == registered_domain(own):
            return normalize_url(resolved)
    return normalize_url(page.url)


def site_name(page: Page) -> str:
    """Return the publication's name: og:site_name, application-name, or the bare host."""
    name = page.meta("og:site_name", "application-name")
    if name:
        return name
    host = urlsplit(page.url).hostname or ""
    return host.removeprefix("www.")


def headline(page: Page, article: dict[str, Any], site_names: tuple[str, ...] = ()) -> str:
    """Return the headline: JSON-LD, og:title, h1, then <title> without the site name."""
    h1 = page.first_text("h1")
    document_title = page.first_text("title")
    from_title = headline_from_document_title(document_title)
    if h1 and h1 not in document_title and _printed_as_heading(page, from_title):
        # The h1 is a section banner ("Allergies Health Center"); the <title>'s headline is
        # printed as the article's own heading lower down.
        h1 = from_title
    for candidate in (ld_text(article, "headline"), page.meta("og:title", "twitter:title"), h1):
        if candidate:
            headline = strip_site_suffix(candidate, site_names)
            # A headline with an unescaped quote ends the content="..." attribute early;
            # the visible h1 that continues it is the whole headline.
            return h1 if len(h1) > len(headline) and h1.startswith(headline) else headline
    return headline_from_document_title(page.first_text("title"), h1)


def _printed_as_heading(page: Page, text: str) -> bool:
    """Tell whether *text* is the whole text of a heading element (h2-h3) of the page."""
    return len(text) >= _MIN_LOCATOR and bool(
        page.tree.xpath("//h2[normalize-space(.) = $text] | //h3[normalize-space(.) = $text]", text=text)
    )


def without_byline_suffix(title: str, byline: str) -> str:
    """Return *title* without a trailing " | <author>" segment some sites add to og:title."""
    for separator in (" | ", " - ", " – ", " — "):
        if byline and title.endswith(separator + byline) and len(title) > len(separator + byline):
            return title[: -len(separator + byline)].strip()
    return title


def header_text(page: Page, title: str) -> str:
    """Return the visible text that follows the headline, where bylines and times are printed.

    A headline printed in several places (breadcrumbs, the header, a "related" list) is
    tried in page order: the first one followed by a printed date is the header.
    """
    if not title:
        return ""
    headings = page.tree.xpath(
        "//*[not(self::title or self::script or self::style or self::head or self::html)]"
        "[normalize-space(.) = $title][1]",
        title=title,
    )
    windows = [_window_after(heading) for heading in headings[:_MAX_HEADINGS]]
    dated = next((window for window in windows if _has_date(window)), "")
    if dated:
        return dated
    loose = _text_after(page, title)
    if _has_date(loose) or not windows:
        return loose
    return windows[-1]  # the innermost of nested matches


def _window_after(heading: lxml.html.HtmlElement) -> str:
    """Return the squashed visible text that follows an element, up to the header window."""
    following = heading.xpath("following::text()[not(ancestor::script or ancestor::style)]")
    collected: list[str] = []
    size = 0
    for text in following:
        collected.append(text)
        size += len(text)
        if size > _HEADER_WINDOW * 4:  # raw text is mostly whitespace; squash trims it below
            break
    return squash(" ".join(collected))[:_HEADER_WINDOW]


def _has_date(text: str) -> bool:
    """Tell whether a text prints a date (its zone is irrelevant to that)."""
    return bool(text) and find_printed_date(text, _UTC) is not None


def visible_text(page: Page) -> str:
    """Return the squashed text of the page's body, without scripts and styles."""
    body = page.tree.find("body")
    if body is None:
        return ""
    return squash(" ".join(body.xpath(".//text()[not(ancestor::script or ancestor::style)]")))


def _text_after(page: Page, title: str) -> str:
    """Return the visible text after the headline where no element holds the headline alone.

    Older and forum pages print the headline, time and byline as loose text in one cell.
    The headline may be printed more than once (breadcrumbs, then the header): the first
    print followed by a date is the header.
    """
    if len(title) < _MIN_LOCATOR:
        return ""
    text = visible_text(page)
    windows = []
    start = text.find(title)
    while start >= 0 and len(windows) < 5:
        windows.append(text[start + len(title) : start + len(title) + _HEADER_WINDOW])
        start = text.find(title, start + 1)
    return next((window for window in windows if _has_date(window)), windows[0] if windows else "")


def title_locators(page: Page, title: str) -> list[str]:
    """Return the texts that may print the headline on the page: the title, the h1, the <title>'s head."""
    document_title = page.first_text("title")
    head = _LOOSE_SEPARATORS.split(document_title)[0] if document_title else ""
    return [text for text in dict.fromkeys((title, page.first_text("h1"), head)) if text]


def published(page: Page, zone: tzinfo, article: dict[str, Any], header: str) -> tuple[datetime | None, str]:
    """Return ``(date, problem)``: structured data first, then the time printed in the header."""
    problems: list[str] = []
    candidates = [ld_text(article, "datePublished"), page.meta(*_DATE_METAS)]
    candidates += page.selector.xpath("//time/@datetime").getall()[:1]
    printed = find_printed_date(header, zone) or labelled_date(visible_text(page), zone)
    for raw in candidates:
        if not raw:
            continue
        try:
            moment = parse_date(raw, zone)
            check_plausible(moment)
        except DateProblem as problem:
            problems.append(str(problem))
            continue
        if printed is not None and ":" not in raw and printed.date() == moment.date():
            return printed, ""  # the data gives the day only; the header prints that day's time
        return moment, ""
    if printed is not None:
        try:
            check_plausible(printed)
            return printed, ""
        except DateProblem as problem:
            problems.append(str(problem))
    return None, "; ".join(problems)


def author(page: Page, article: dict[str, Any], header: str) -> str:
    """Return the byline: JSON-LD, then meta tags or the printed header byline.

    On Chinese pages the printed 来源/作者/记者 wins over ``<meta name=author>``, which
    there often holds the responsible editor, the portal's name or a CMS user id.
    """
    for name in ld_authors(article):
        if clean_author(name):
            return clean_author(name)
    meta = clean_author(page.meta(*_AUTHOR_METAS))
    if is_editor(meta, header):
        meta = ""
    if is_chinese(page):
        printed = chinese_byline(header) or meta or leading_byline(header)
        if printed:
            return printed
        text = visible_text(page)
        return signed_reporter(text) or forum_poster(text)
    return meta or printed_byline(page) or chinese_byline(header)


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


def share_image(page: Page, article: dict[str, Any]) -> str:
    """Return the page's declared share image (og:image, JSON-LD image), absolute, or ''."""
    raw = page.meta("og:image", "og:image:url", "twitter:image") or ld_image(article)
    return absolute_url(raw, page.url) or ""


def is_default_image(url: str) -> bool:
    """Tell whether an image URL looks like a site-wide logo or default share image."""
    return bool(_DEFAULT_IMAGE.search(urlsplit(url).path))


def _declared_side(image: lxml.html.HtmlElement) -> int | None:
    """Return the smaller of an image's declared width and height, if it declares one."""
    sides = [int(value) for value in (image.get("width", ""), image.get("height", "")) if value.strip().isdigit()]
    return min(sides) if sides else None


def main_content(page: Page) -> lxml.html.HtmlElement | None:
    """Return the main content element found by readability-lxml, or None.

    Runs on a trimmed copy of the page's tree (see :func:`content_candidates`), so the
    page itself stays whole for the other rules.
    """
    candidates = content_candidates(page.tree)
    # No url= for readability: it would rewrite links itself; clean.prepare resolves them.
    # A parsed tree, not its serialization: re-serializing and re-parsing every page cost
    # a fifth of the extraction time.
    try:
        summary = _TrimmedDocument(candidates).summary(html_partial=True)
    except Unparseable:  # readability found nothing it could score: no body, a reason is logged later
        return None
    body = lxml.html.fragment_fromstring(summary, create_parent="div") if summary.strip() else None
    found = len(squash(body.text_content())) if body is not None else 0
    if found < _SHORT_CONTENT:
        # Readability scores paragraphs; a forum post or an old page is one cell of text
        # broken by <br>, and a short reply can outscore it. Take the densest block instead.
        densest, size = densest_block(candidates)
        if densest is not None and size >= max(found * 3, _DENSE_ENOUGH):
            return densest
    return body if found else None


def content_candidates(tree: lxml.html.HtmlElement) -> lxml.html.HtmlElement:
    """Return a copy of a page's tree holding only what can be article content.

    Scripts, styles, inline SVG, comments and the like can never be content, and the
    sanitizer drops them from the post anyway; removing them first spares readability,
    which copies, cleans and scores every element, much of its work (issue 8). Small
    images go too, because readability drops the width and height that tell a tracking
    pixel or an icon from a photo.
    """
    copy = deepcopy(tree)
    lxml.etree.strip_elements(copy, *_NEVER_CONTENT, lxml.etree.Comment, with_tail=False)
    for image in copy.xpath("//img[@width or @height]"):
        side = _declared_side(image)
        if side is not None and side < MIN_IMAGE_SIDE:
            image.drop_tree()
    for element in copy.xpath("//a[@href] | //img[@src]"):
        # As browsers read URLs: without surrounding spaces and controls, without tabs and
        # line breaks inside ("java\tscript:" is "javascript:"). Left in, lxml would write
        # them out as %20 and %09, and the sanitizer would no longer see the scheme.
        name = "href" if element.tag == "a" else "src"
        value = element.get(name, "")
        url = _URL_TABS_AND_BREAKS.sub("", value).strip(_C0_AND_SPACE)
        if url != value:
            element.set(name, url)
    return copy


class _TrimmedDocument(Document):
    """readability's ``Document`` for a tree :func:`content_candidates` has trimmed already.

    readability cleans every input with lxml's ``Cleaner`` (scripts, styles, comments,
    links, javascript: URLs, style attributes), a deep copy and a pass over every link:
    14 % of a crawl's profile (bench/RESULTS.md, issue 8). The trimmed tree has none of
    the elements it removes, and the sanitizer drops the attributes from the post whatever
    happens here, so only the steps that change which text is content are kept: hidden
    elements go, the document's <base> applies. The bodies come out as with the Cleaner
    (tests/test_generic_rules.py checks corpus pages). Overrides a method of
    readability-lxml as pinned in requirements.txt.
    """

    def _parse(self, input: lxml.html.HtmlElement) -> lxml.html.HtmlElement:  # noqa: A002 (readability's name)
        document = deepcopy(input)  # summary() takes its tree apart, once per attempt
        for element in document.xpath("//*[@hidden]"):
            element.drop_tree()
        for element in document.xpath("//*[@style]"):
            if REGEXES["displayNoneRe"].search(element.get("style")):
                element.drop_tree()
        document.resolve_base_href(handle_failures="discard")
        return document


def densest_block(tree: lxml.html.HtmlElement) -> tuple[lxml.html.HtmlElement | None, int]:
    """Return the block (td, div, article, section) holding the most text of its own, and that length.

    A block's own text is in it or in its inline elements and paragraphs, never in links,
    lists, scripts or nested blocks: navigation and link lists hold text too.
    """
    sizes: dict[lxml.html.HtmlElement, int] = {}
    for text in tree.xpath("//body//text()[not(ancestor::a or ancestor::script or ancestor::style)]"):
        owner = text.getparent()
        if text.is_tail and owner is not None:
            owner = owner.getparent()
        while owner is not None and owner.tag not in _CONTENT_BLOCKS and owner.tag not in _NOT_CONTENT:
            owner = owner.getparent()
        if owner is not None and owner.tag in _CONTENT_BLOCKS:
            sizes[owner] = sizes.get(owner, 0) + len(text.strip())
    if not sizes:
        return None, 0
    best = max(sizes, key=sizes.__getitem__)
    return best, sizes[best]


def fill_missing(fields: PageFields, page: Page, zone: tzinfo) -> PageFields:
    """Fill every empty field of *fields* with the generic rules; return it."""
    article = json_ld_article(page)
    fields.site_name = fields.site_name or site_name(page)
    names = tuple(dict.fromkeys(name for name in (fields.site_name, site_name(page)) if name))
    fields.title = fields.title or headline(page, article, names)
    header = ""
    if fields.date is None or not fields.author:
        # The h1 when the headline came from metadata in a form the page does not print.
        header = next(filter(None, (header_text(page, text) for text in title_locators(page, fields.title))), "")
    if fields.date is None:
        fields.date, problem = published(page, zone, article, header)
        fields.date_problem = fields.date_problem or problem
    fields.author = fields.author or author(page, article, header)
    fields.title = without_byline_suffix(fields.title, fields.author)
    fields.canonical_url = fields.canonical_url or canonical_url(page)
    fields.share_image = fields.share_image or share_image(page, article)
    if fields.body is None:
        fields.body = main_content(page)
    return fields


def extract(page: Page, zone: tzinfo) -> PageFields:
    """Read every field with the generic rules."""
    return fill_missing(PageFields(), page, zone)


SITE = Site(key="generic", hosts=(), extract=extract, is_default_image=is_default_image)
