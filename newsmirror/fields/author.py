"""The byline: the site module, JSON-LD, meta tags, the printed byline or 来源, then signatures."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import lxml.etree
import lxml.html

from newsmirror.extract.bylines import (
    CREDIT_LINE,
    SIGNED_LINE,
    chinese_byline,
    chinese_reporter,
    chinese_writer,
    clean_author,
    credit_line,
    dated_byline,
    english_byline,
    forum_poster,
    header_byline,
    is_editor,
    leading_byline,
    responsible_editor,
    signed_line,
    signed_reporter,
)
from newsmirror.extract.metadata import ld_authors, ld_publishers
from newsmirror.extract.page import Page, squash
from newsmirror.fields.base import Candidate, FieldChoice, PageContext, Tier, by_tier

_AUTHOR_METAS = ("author", "article:author", "byl", "dc.creator", "DC.creator", "sailthru.author", "parsely-author")
# Elements that may print the byline; the class test below narrows "author" to real byline
# classes (byline, article__author, author-name), not author__img or author-bio. A BEM
# block may have several words before the element ("story-meta__authors", "c-article-author"),
# and a row of writers is "authors".
_BYLINE_ELEMENTS = (
    "//body//*[@rel='author' or @itemprop='author' or contains(@class, 'byline') or contains(@class, 'author')]"
)
_BYLINE_CLASS = re.compile(
    r"(?:[a-z0-9]+(?:__|-))*(?:byline|authors?)(?:(?:__|-|_)(?:author|name|link|fmt))?", re.IGNORECASE
)
_MAX_BYLINE_ELEMENTS = 40
# Links to a category or tag page, which byline rows often hold next to the writer's name.
_TOPIC_HREF = re.compile(r"/(?:category|categories|tags?|topics?|themen?|kategorie|rubrik|section)/", re.IGNORECASE)
# Blocks that hold other articles' bylines (related, teasers, recommendations) or readers' (comments).
_OTHER_ARTICLES = re.compile(r"(?:\w+[-_])?(?:related|teasers?|recommend\w*|comments?|more-stories)(?:$|[-_])", re.IGNORECASE)
# Links to a writer's own page, in the path words CMSs use for it, in several languages.
_AUTHOR_LINKS = lxml.etree.XPath(
    "//body//a[contains(@href, '/author') or contains(@href, '/autor') or contains(@href, '/auteur')"
    " or contains(@href, '/writer') or contains(@href, '/staff/') or contains(@href, '/reporter')"
    " or contains(@href, '/journalist') or contains(@href, '/redaktion/') or contains(@href, '/redakteur')"
    " or contains(@href, '/newsteam/') or contains(@href, '/contributor') or contains(@href, '/columnist')"
    " or contains(@href, '/profil')][not(ancestor::script)]"
)
_AUTHOR_HREF = re.compile(
    r"/(?:authors?|autor(?:en|es|e)?|auteurs?|writers?|staff|reporters?|journalist(?:s|en)?|redaktion|"
    r"redakteur(?:e|in)?|newsteam|contributors?|columnists?|profiles?|profil)/",
    re.IGNORECASE,
)
# Words that say a byline names a desk, not a writer: "(From) staff reports", "<Site> Staff",
# "<Site> Correspondent". A byline of nothing else, once the publication's name is gone,
# names nobody.
_DESK_WORDS = frozenset(
    "staff reports report correspondent correspondents reporter reporters desk team editors editorial"
    " newsroom writer writers from".split()
)
# Bylines and signatures printed in a line of their own are short: "（袁源）", "Quelle: kathpress".
_SHORT_BLOCK = 40
_SHORT_TEXTS = lxml.etree.XPath(
    f"//body//text()[string-length(normalize-space(.)) <= {_SHORT_BLOCK}]"
    "[contains(., ':') or contains(., '：') or starts-with(normalize-space(.), '（') or starts-with(normalize-space(.), '(')]"
)
# A line printing the date and the writer is short, and holds a year.
_DATED_LINE = 60
_DATED_TEXTS = lxml.etree.XPath(
    f"//body//text()[string-length(normalize-space(.)) <= {_DATED_LINE}][contains(., '20') or contains(., '19')]"
)
# The terms of a definition list or a table row that name the writer or the text's source,
# in the languages of the pages we read.
_TERMS = lxml.etree.XPath("//body//dt | //body//th")
_WRITER_TERMS = frozenset(
    {"author", "authors", "by", "written by", "source", "autor", "autorin", "quelle", "auteur",
     "fuente", "fonte", "autore", "autora"}
)
# A short text in these is a link, code, or the page itself, not a line of the article.
_NOT_LINES = frozenset({"a", "body", "html", "script", "style", "noscript", "head", "title", "option"})
# How a publication's name is glued after the writer's: "Jane Doe, Bleacher Report".
_PUBLICATION_GLUE = (", ", " | ", " - ", " – ", " — ", " / ")


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
        # The header's links and text are read only when the byline element did not settle it.
        lambda: [] if context.chinese else _header_candidates(context),
        # A line the page signs off with, or a poster next to the time: only where nothing above names anyone.
        lambda: _chinese_fallbacks(context) if context.chinese else _closing_candidates(context),
    )


def _chinese_fallbacks(context: PageContext) -> list[Candidate]:
    """Return the weakest bylines of Chinese pages: unlabelled names, posters, signatures, the editor."""
    return [
        Candidate(leading_byline(context.header), "name before the printed time", Tier.FALLBACK),
        Candidate(forum_poster(context.visible_text), "forum poster", Tier.FALLBACK),
        Candidate(signing_block(context.page), "a block that is only （NAME）", Tier.FALLBACK),
        Candidate(_signing_editor(context), "责任编辑, as nobody else is named", Tier.FALLBACK),
    ]


def _signing_editor(context: PageContext) -> str:
    """Return the editor who signs off the text, where the header does not print them as its editor.

    The editor did not write the text, but a page that names nobody else is credited to
    the editor signing it off; a header that prints "作者： 责任编辑：X" says the writer is unnamed.
    """
    editor = responsible_editor(context.visible_text)
    return "" if is_editor(editor, context.header) else editor


def _page_candidates(context: PageContext) -> list[Candidate]:
    """Return the bylines the page's meta tags and printed text offer (below the structured data)."""
    page = context.page
    found = []
    meta = clean_author(page.meta(*_AUTHOR_METAS))
    if context.chinese:
        # On Chinese pages <meta name=author> often holds the responsible editor, the
        # portal's name or a CMS user id: the printed 来源/作者/记者 comes first.
        # A named writer outranks the 来源, which names the agency or paper the text came from.
        # A reporter is a person: named in the header or signed in the text, they outrank the
        # 来源, which names the agency or paper the text came from.
        found.append(Candidate(chinese_reporter(context.header), "printed 记者", Tier.PRINTED))
        found.append(Candidate(signed_reporter(context.visible_text), "signed （记者 …）", Tier.PRINTED))
        found.append(Candidate(chinese_byline(context.header), "printed 来源/作者/记者", Tier.PRINTED))
        found.append(Candidate(chinese_writer(context.header), "printed 作者/记者", Tier.PRINTED))
        found.append(_meta_candidate(meta, context, Tier.PRINTED, "meta author, after the printed byline on Chinese pages"))
    else:
        found.append(_meta_candidate(meta, context, Tier.META, ""))
        found.append(Candidate(printed_byline(page), "byline element", Tier.PRINTED))
    return found


def _header_candidates(context: PageContext) -> list[Candidate]:
    """Return the bylines the printed header offers on pages not in Chinese: a writer's link, "By …", 来源."""
    return [
        Candidate(author_page_link(context), "link to the writer's page in the header", Tier.PRINTED),
        Candidate(header_byline(context.header), "'By …' printed under the headline", Tier.PRINTED),
        Candidate(chinese_byline(context.header), "printed 来源/作者/记者", Tier.PRINTED),
        Candidate(dated_line(context), "a header line of only the date and a name", Tier.PRINTED),
        Candidate(labelled_term(context), "a writer or source term of a list in the header", Tier.PRINTED),
    ]


def labelled_term(context: PageContext) -> str:
    """Return the value a header's definition list or table gives a writer or source term, or ''.

    Pages that print their facts as terms ("<dt>Source:</dt><dd>Harbour University</dd>")
    name the writer or the institution the text comes from that way.
    """
    header = context.header
    if not header:
        return ""
    for term in _TERMS(context.page.tree):
        label = squash(term.text_content()).rstrip(":：").strip().casefold()
        value = term.getnext()
        if label not in _WRITER_TERMS or value is None or value.tag not in ("dd", "td"):
            continue
        text = squash(value.text_content())
        if text and text in header:
            return clean_author(text)
    return ""


def dated_line(context: PageContext) -> str:
    """Return the writer a header line prints beside the date alone ("25.10.2022 - Jane Doe"), or ''.

    Only a whole element counts: in running text a date and a dash may be followed by
    any capitalised words ("25.10.2022 - Berlin Senate votes").
    """
    header = context.header
    if not header:
        return ""
    for piece in _DATED_TEXTS(context.page.tree):
        element = piece.getparent()
        if element is not None and piece.is_tail:
            element = element.getparent()
        if element is None or element.tag in _NOT_LINES:
            continue
        line = squash(element.text_content())
        name = dated_byline(line) if len(line) <= _DATED_LINE else ""
        if name and line in header:
            return name
    return ""


def _closing_candidates(context: PageContext) -> list[Candidate]:
    """Return the weakest bylines of pages not in Chinese: a short credit line, a poster next to a time."""
    credit = next((name for name in map(credit_line, short_blocks(context.page, CREDIT_LINE)) if name), "")
    return [
        Candidate(credit, "a line of its own crediting the writer or source", Tier.FALLBACK),
        Candidate(forum_poster(context.visible_text), "poster next to the time", Tier.FALLBACK),
    ]


def _meta_candidate(meta: str, context: PageContext, tier: Tier, note: str) -> Candidate:
    """Return the meta author as a candidate; none when the page prints that name as the editor."""
    if meta and is_editor(meta, context.header):
        return Candidate("", "meta author", tier)  # the responsible editor is not the author
    return Candidate(meta, "meta author", tier, note)


def choose(context: PageContext, site_value: str = "") -> FieldChoice:
    """Choose the byline: the most precise source that names a writer, not the publication.

    The sources are asked tier by tier: once one names a writer, the weaker ones (the
    printed header, the visible text) are not computed, unless ``context.explain``.
    """
    # Chinese pages name their source (新华社, 新浪财经) as the byline: that is the field there.
    publications = () if context.chinese else publication_names(context)
    domains = set(domain_names(context))
    found: list[Candidate] = []
    for tier in _tiers(context, site_value):
        found += [candidate for candidate in tier() if candidate.value]
        if found and not context.explain and _settled(by_tier(found), publications):
            break
    return _choose_among(by_tier(found), publications, domains)


def _settled(found: list[Candidate], publications: tuple[str, ...]) -> bool:
    """Tell whether the strongest candidate so far decides the field, whatever weaker sources say."""
    top = found[0]
    return top.tier == Tier.SITE or not publications or _names_writer(top.value, publications)


def _choose_among(found: list[Candidate], publications: tuple[str, ...], domains: set[str]) -> FieldChoice:
    """Choose among *found* (strongest first): a desk or the bare domain names nobody; the publication only where no writer is named."""
    choice = FieldChoice("author")
    choice.candidates = found
    for position, candidate in enumerate(choice.candidates):
        if choice.source:
            choice.pass_over(candidate, f"{choice.source} is more precise")
            continue
        if candidate.tier == Tier.SITE or not publications:
            choice.win(candidate)
            continue
        if candidate.value in domains:
            # "mlssoccer" (spelled as in the host) is the CMS account of the site itself,
            # never a printed byline; "Solarserver" is the publication's printed name.
            choice.pass_over(candidate, "it is the site's domain name, not a byline")
            continue
        name = without_publication(candidate.value, publications)
        if not name:
            choice.pass_over(candidate, "it names a desk, not a writer")
            continue
        if _comparable(name) in {_comparable(publication) for publication in publications} and any(
            _names_writer(later.value, publications) for later in choice.candidates[position + 1:]
        ):
            # The publication stands as the byline only where the page names no writer.
            choice.pass_over(candidate, "it names the publication, and a later source names a writer")
            continue
        # A CMS user name ("janedoe") that the page prints as "Jane Doe": keep the printed form.
        spelled = next((later.value for later in choice.candidates[position + 1:]
                        if " " in later.value and " " not in name and _comparable(later.value) == _comparable(name)), name)
        choice.win(candidate, spelled)
    return choice


def publication_names(context: PageContext) -> tuple[str, ...]:
    """Return the names the page gives its publication: site names, JSON-LD publisher, domain."""
    publisher = ld_publishers(context.article)
    site_name = context.page.meta("og:site_name", "application-name")
    names = (*context.site_names, site_name, *publisher, *domain_names(context))
    return tuple(dict.fromkeys(name for name in names if name))


def domain_names(context: PageContext) -> tuple[str, ...]:
    """Return the page's host without "www." and the host's first label ("example.com", "example")."""
    host = (urlsplit(context.page.url).hostname or "").removeprefix("www.")
    return (host, host.split(".")[0]) if host else ()


def without_publication(name: str, publications: tuple[str, ...]) -> str:
    """Return *name* without a publication glued after it; '' when it names only a desk ("TMZ Staff")."""
    for publication in publications:
        for glue in _PUBLICATION_GLUE:
            if name.endswith(glue + publication) and len(name) > len(glue + publication):
                name = name[: -len(glue + publication)].strip()
    folded_publications = {_comparable(publication) for publication in publications}
    if _comparable(name) in folded_publications:
        return name
    words = name.split()
    for publication in publications:
        length = len(publication.split())
        if [_comparable(word) for word in words[:length]] == [_comparable(word) for word in publication.split()]:
            words = words[length:]
            break
    if all(_comparable(word) in _DESK_WORDS for word in words):
        return ""
    return name


def _names_writer(name: str, publications: tuple[str, ...]) -> bool:
    """Tell whether *name* reads as a person's byline: neither the publication nor a desk.

    A person is named in two or more capitalised words ("Jane Doe"); an acronym or a
    category label picked up by a weaker source ("CSP") does not outrank the publication.
    """
    rest = without_publication(name, publications)
    words = rest.split()
    return (
        len(words) >= 2
        and all(word[:1].isupper() for word in words if word.isalpha() and len(word) > 3)
        and _comparable(rest) not in {_comparable(publication) for publication in publications}
    )


def _comparable(text: str) -> str:
    """Return *text* folded for comparison: case, accents kept, punctuation and spaces dropped."""
    return "".join(char for char in unicodedata.normalize("NFKC", text).casefold() if char.isalnum())


def printed_byline(page: Page) -> str:
    """Return the name in the page's first byline element (class byline/author, rel=author)."""
    for element in page.tree.xpath(_BYLINE_ELEMENTS)[:_MAX_BYLINE_ELEMENTS]:
        classes = (element.get("class") or "").split()
        if not (element.get("rel") == "author" or element.get("itemprop") == "author"
                or any(_BYLINE_CLASS.fullmatch(token) for token in classes)) or _in_teaser(element):
            continue
        # The link to the author's page holds the name alone; the element may add a role
        # ("Games Editor") or the desk ("WebMD Health News"), or a category link ("Uncategorized").
        for link in element.iter("a"):
            if _TOPIC_HREF.search(link.get("href") or ""):
                continue
            # rel=author says the text is the writer's name, even a lower-case handle ("freeman1984").
            name = clean_author(link.text_content()) if _says_author(link) else english_byline(link.text_content())
            if name:
                return name
        name = english_byline(element.text_content())
        if name:
            return name
    return ""


def _in_teaser(element: lxml.html.HtmlElement) -> bool:
    """Tell whether a byline element sits in another article's teaser, a related block or a comment.

    A teaser is a link to another article that holds its headline and its writer; a link
    to the writer's own page is no teaser.
    """
    for ancestor in element.iterancestors():
        if ancestor.tag == "a" and not _AUTHOR_HREF.search(ancestor.get("href") or ""):
            return True
        if ancestor.tag in ("body", "html"):
            break  # <body class="comments-open single-post"> says nothing about one block
        names = f"{ancestor.get('class') or ''} {ancestor.get('id') or ''}".split()
        if ancestor.tag == "nav" or any(_OTHER_ARTICLES.match(name) for name in names):
            return True
    return False


def _says_author(element: lxml.html.HtmlElement) -> bool:
    """Tell whether the element's own markup says it holds the author (rel=author, itemprop=author)."""
    return "author" in (element.get("rel") or "").split() or "author" in (element.get("itemprop") or "").split()


def short_blocks(page: Page, line: re.Pattern[str]) -> Iterator[str]:
    """Yield the whole text of each element, in page order, that prints a short labelled or bracketed line.

    Only pages whose text holds *line* somewhere are scanned, and only the elements
    holding a short text node with a colon or an opening bracket are tried (a label
    "Quelle:", a signature "（袁源）"), so most pages cost one regex search.
    """
    if not line.search(page.visible_text):
        return
    seen: set[lxml.html.HtmlElement] = set()
    for piece in _SHORT_TEXTS(page.tree):
        element = piece.getparent()
        if element is not None and piece.is_tail:
            element = element.getparent()
        if element is None or element in seen or element.tag in _NOT_LINES:
            continue
        seen.add(element)
        text = squash(element.text_content())
        if len(text) <= _SHORT_BLOCK:
            yield text


def signing_block(page: Page) -> str:
    """Return the name of a Chinese writer who signs the text in a line of its own ("（袁源）"), or ''."""
    for text in short_blocks(page, SIGNED_LINE):
        match = signed_line(text)
        if match:
            return match
    return ""


def author_page_link(context: PageContext) -> str:
    """Return the name of a link to the writer's page (/author/jane-doe) printed in the header, or ''.

    Only a link whose text the header prints right after the headline counts: the same
    kind of link in a related-articles block or a comment names another article's writer.
    """
    header = context.header
    if not header:
        return ""
    for link in _AUTHOR_LINKS(context.page.tree):
        if not _AUTHOR_HREF.search(urlsplit(link.get("href") or "").path):
            continue
        name = english_byline(link.text_content())
        if name and squash(link.text_content()) in header:
            return name
    return ""
