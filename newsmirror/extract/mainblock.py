"""The page's main block of content: readability-lxml's algorithm, with its tree walks done once.

readability-lxml (pinned in requirements.txt) scores a page by asking, again and again,
the cleaned text length of an element (``text_content()`` and three regex substitutions,
over the whole subtree each time) and its link density (the same for every link inside),
and by serializing every child of every ``<div>`` to look for block tags. Those walks were
most of a page's read (bench/RESULTS.md, issue 15). :class:`MainBlockDocument` overrides
those methods with ones that give the same results, each element's text measured once
per state of the tree; everything else (the candidates, their order, the ties) is
readability's own code, but for the two differences :class:`MainBlockDocument` names.
tests/test_mainblock.py checks the output against readability's.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

import lxml.etree
import lxml.html
from readability import Document
from readability.readability import REGEXES, is_video_url, text_length

# readability's ``clean()``, one substitution at a time (readability.readability.clean).
_LONG_SPACE_RUN = re.compile(r"\s{255,}")
_NEWLINE_RUN = re.compile(r"\s*\n\s*")
_TABS_AND_SPACE_RUNS = re.compile(r"\t|[ \t]{2,}")
# What transform_misused_divs_into_paragraphs looks for in a <div>'s serialized children.
_BLOCK_TAG = REGEXES["divToPElementsRe"]
_INLINE_TAGS = frozenset({"a", "b", "cite", "code", "em", "font", "i", "small", "span", "strong", "sub", "sup", "u"})
_UNLIKELY = REGEXES["unlikelyCandidatesRe"]
_POSITIVE = REGEXES["positiveRe"]
# Class and id words that name one post, as <article> does: WordPress's "hentry" and
# "entry-content", "post-123", "article-body", "story". Not readability's wider positive
# words ("content", "main", "page", "text"), which name a site's page wrappers as often.
_POST_WORDS = frozenset({"hentry", "entry", "post", "article", "story"})
_NAME_WORDS = re.compile(r"[\s_-]+")
_CAMEL_HUMP = re.compile(r"([a-z])([A-Z])")
# The regex is a list of lowercase words searched ignoring case: for ASCII text, a search
# of the lowercased text for each word finds the same (re.I lets a few non-ASCII letters,
# the Kelvin sign or a long s, match ASCII ones: those texts go to the regex).
_UNLIKELY_WORDS = tuple(_UNLIKELY.pattern.split("|"))
if _UNLIKELY.flags & ~(re.I | re.U) or not all(re.fullmatch(r"[a-z][a-z-]*", word) for word in _UNLIKELY_WORDS):
    _UNLIKELY_WORDS = ()  # not a word list any more (a readability upgrade): the regex only
_IN_PRE_OR_CODE = lxml.etree.XPath("ancestor-or-self::pre | ancestor-or-self::code")
_HOLDS_SEMANTIC = lxml.etree.XPath(
    "descendant-or-self::main | descendant-or-self::article | descendant-or-self::math"
)
# remove_unlikely_candidates skips an element whose "class id" is shorter than 2 characters:
# one with neither attribute (" ").
_NAMED = lxml.etree.XPath(".//*[@class or @id]")
_NAMED_COUNT = lxml.etree.XPath("count(.//*[@class or @id])")
_DESCENDANT_COUNTS = {
    kind: lxml.etree.XPath(f"count(.//{kind})") for kind in ("p", "img", "li", "a", "embed", "input")
}
_HIDDEN_INPUT_COUNT = lxml.etree.XPath('count(.//input[@type="hidden"])')
_IN_MAIN_OR_ARTICLE = lxml.etree.XPath("ancestor::main | ancestor::article")
# (leading whitespace, cleaned length of the rest or -1 if all whitespace, trailing whitespace, commas)
_Measure = tuple[str, int, str, int]
_NOTHING: _Measure = ("", -1, "", 0)


def clean_length(text: str) -> int:
    """Return ``len(readability.readability.clean(text))``, skipping substitutions that cannot match."""
    if len(text) >= 255:
        text = _LONG_SPACE_RUN.sub(" " * 255, text)
    if "\n" in text:
        text = _NEWLINE_RUN.sub("\n", text)
    if "\t" in text or "  " in text:
        text = _TABS_AND_SPACE_RUNS.sub(" ", text)
    return len(text.strip())


def names_unlikely(class_and_id: str) -> bool:
    """Return whether readability's unlikelyCandidatesRe finds something in an element's class and id."""
    if _UNLIKELY_WORDS and class_and_id.isascii():
        lowered = class_and_id.lower()
        for word in _UNLIKELY_WORDS:
            if word in lowered:
                return True
        return False
    return _UNLIKELY.search(class_and_id) is not None


@functools.lru_cache(maxsize=8192)
def _removable_name(class_and_id: str) -> bool:
    """Return whether readability's remove_unlikely_candidates removes an element by its "class id" string."""
    # Pages repeat their class names: each string is searched once.
    if len(class_and_id) < 2:
        return False
    return names_unlikely(class_and_id) and not REGEXES["okMaybeItsACandidateRe"].search(class_and_id)


def _gap_length(space: str) -> int:
    """Return what ``clean()`` leaves of a run of whitespace between two words: its length."""
    # clean() turns a run of 255 or more into 255 spaces, a run holding a line break into
    # one, then tabs into spaces and runs of spaces into one; runs never merge with words.
    if len(space) >= 255 or "\n" in space:
        return 1
    if "\t" in space or "  " in space:
        return len(_TABS_AND_SPACE_RUNS.sub(" ", space))
    return len(space)


def _join(first: _Measure, second: _Measure, gaps: dict[str, int]) -> _Measure:
    """Return the measure of two texts written one after the other."""
    lead, size, trail, commas = first
    second_lead, second_size, second_trail, second_commas = second
    if second_size < 0:
        if size < 0:
            return (lead + second_lead, -1, "", commas + second_commas)
        return (lead, size, trail + second_lead, commas + second_commas)
    if size < 0:
        return (lead + second_lead, second_size, second_trail, commas + second_commas)
    space = trail + second_lead
    gap = gaps.get(space)
    if gap is None:
        gap = gaps[space] = _gap_length(space)
    return (lead, size + gap + second_size, second_trail, commas + second_commas)


class TextLengths:
    """readability's ``text_length`` and ``get_link_density``, each element's text measured once.

    ``len(clean(text))`` of a concatenation follows from each part's leading and trailing
    whitespace and the cleaned length between (clean() treats each run of whitespace on
    its own), so an element's measure is built from its children's. Valid while the tree
    does not change: :meth:`drop` and :meth:`forget` keep it so for the changes made
    through them.
    """

    def __init__(self) -> None:
        self._measures: dict[lxml.html.HtmlElement, _Measure] = {}
        self._texts: dict[str, _Measure] = {"": _NOTHING}
        self._gaps: dict[str, int] = {}

    def _text(self, text: str | None) -> _Measure:
        """Return the measure of one text node."""
        if not text:
            return _NOTHING
        found = self._texts.get(text)
        if found is None:
            rest = text.lstrip()
            words = rest.rstrip()
            if words:
                found = (text[: len(text) - len(rest)], clean_length(words), rest[len(words):], text.count(","))
            else:
                found = (text, -1, "", 0)
            self._texts[text] = found
        return found

    def measure_all(self, root: lxml.html.HtmlElement) -> None:
        """Measure every element under *root* at once (for a fresh instance): cheaper than one by one."""
        self._fold(reversed(list(root.iter(lxml.etree.Element))))

    def _fold(self, nodes: Iterable[lxml.html.HtmlElement]) -> None:
        """Measure each of *nodes*, every child of which is measured before it."""
        measures, texts, text, gaps = self._measures, self._texts, self._text, self._gaps
        measured = measures.get
        # Joining an empty text to either side changes nothing: most joins are skipped.
        nothing = _NOTHING
        for node in nodes:
            value = node.text
            total = (texts.get(value) or text(value)) if value else nothing
            for child in node:
                part = measured(child)  # None for a comment or instruction: its text is not content
                if part is not None and part is not nothing:
                    total = part if total is nothing else _join(total, part, gaps)
                value = child.tail
                if value:
                    part = texts.get(value) or text(value)
                    if part is not nothing:
                        total = part if total is nothing else _join(total, part, gaps)
            measures[node] = total

    def measure(self, element: lxml.html.HtmlElement) -> _Measure:
        """Return the measure of an element's ``text_content()``."""
        measures = self._measures
        found = measures.get(element)
        if found is not None:
            return found
        # Children before parents, without recursion: a reversed pre-order of what is unmeasured.
        order = []
        pending = [element]
        while pending:
            node = pending.pop()
            order.append(node)
            pending.extend(child for child in node if isinstance(child.tag, str) and child not in measures)
        self._fold(reversed(order))
        return measures[element]

    def length(self, element: lxml.html.HtmlElement) -> int:
        """Return readability's ``text_length(element)``."""
        return max(self.measure(element)[1], 0)

    def commas(self, element: lxml.html.HtmlElement) -> int:
        """Return ``element.text_content().count(",")``."""
        return self.measure(element)[3]

    def link_density(self, element: lxml.html.HtmlElement) -> float:
        """Return readability's ``get_link_density(element)``."""
        link_length = 0
        for link in element.iterdescendants("a"):
            link_length += self.length(link)
        return float(link_length) / max(self.length(element), 1)

    def forget(self, element: lxml.html.HtmlElement) -> None:
        """Forget the measures an edit of *element*'s text changes: its own and its ancestors'."""
        self._measures.pop(element, None)
        for ancestor in element.iterancestors():
            self._measures.pop(ancestor, None)

    def drop(self, element: lxml.html.HtmlElement) -> None:
        """``element.drop_tree()``, forgetting the measures it changes."""
        for ancestor in element.iterancestors():
            self._measures.pop(ancestor, None)
        element.drop_tree()


@functools.lru_cache(maxsize=4096)
def _feature_weight(feature: str | None) -> int:
    """Return readability's class_weight share of one class or id value (without keywords)."""
    weight = 0
    if feature:
        if REGEXES["negativeRe"].search(feature):
            weight -= 25
        if REGEXES["positiveRe"].search(feature):
            weight += 25
    return weight


def _paragraph() -> lxml.html.HtmlElement:
    """Return a new empty ``<p>``: readability parses ``"<p/>"`` for each, six times the cost."""
    return lxml.html.Element("p")


def _block_holders(root: lxml.html.HtmlElement) -> set[lxml.html.HtmlElement] | None:
    """Return the elements with a descendant readability's divToPElementsRe finds, or None.

    readability serializes a ``<div>``'s children and searches the markup for the opening
    tag of a block; only an element's tag can write that in the markup of a tree without
    comments or processing instructions (text and attributes are escaped). None when the
    tree has one of those, or a tag with a character the serializations write differently.
    """
    holders: set[lxml.html.HtmlElement] = set()
    is_block: dict[str, bool] = {}
    for node in root.iter():
        tag = node.tag
        if not isinstance(tag, str) or not tag.isascii():
            return None
        block = is_block.get(tag)
        if block is None:
            block = is_block[tag] = _BLOCK_TAG.match("<" + tag) is not None
        if block:
            for ancestor in node.iterancestors():
                if ancestor in holders:
                    break
                holders.add(ancestor)
    return holders


class MainBlockDocument(Document):
    """readability-lxml's ``Document`` with its tree walks rewritten, giving the same summaries.

    Two deliberate differences. A candidate block that is itself a link has a link density
    of 1, so a teaser card (an ``<a>`` around a headline and a line of text) never wins over
    the article (:meth:`score_paragraphs`). And a post split into like blocks is joined
    inside a ``div`` named as the post as inside an ``<article>``
    (:meth:`merge_article_segments`). On the 665 corpus pages each changes one page's summary.

    Overrides methods of readability-lxml 0.9 as pinned in requirements.txt; each keeps
    the original's order of iteration and of float operations. Their debug log lines,
    whose arguments readability formats even with debug logging off, are left out.
    """

    def class_weight(self, e: lxml.html.HtmlElement) -> int:
        """readability's weight of an element's class and id, each string's weight computed once."""
        if self.positive_keywords or self.negative_keywords:
            return super().class_weight(e)
        return _feature_weight(e.get("class", None)) + _feature_weight(e.get("id", None))

    def select_best_candidate(self, candidates: dict) -> dict | None:
        """readability's choice among the scored candidates (its ties: the first of the highest in order)."""
        if not candidates:
            return None
        sorted_candidates = sorted(candidates.values(), key=lambda x: x["content_score"], reverse=True)
        best_candidate = sorted_candidates[0]
        article_body_candidates = [
            candidate
            for candidate in sorted_candidates
            if "articleBody" in (candidate["elem"].get("itemprop") or "").split()
            and self.get_link_density(candidate["elem"]) <= 0.1
        ]
        if article_body_candidates:
            best_candidate = article_body_candidates[0]
        best_elem = best_candidate["elem"]
        # readability builds the set of every descendant of the best; only <article>s are asked.
        nested_articles = [
            candidate
            for candidate in sorted_candidates
            if candidate["elem"].tag == "article"
            and any(ancestor is best_elem for ancestor in candidate["elem"].iterancestors())
            and text_length(candidate["elem"]) >= 250
            and candidate["content_score"] >= best_candidate["content_score"] * 0.25
        ]
        if nested_articles:
            best_candidate = nested_articles[0]
        return best_candidate

    def merge_article_segments(self, candidates: dict, best_candidate: dict, score_threshold: float) -> None:
        """readability's joining of an article split into like blocks, and one case more.

        readability joins the blocks of the best one's tag and class set when an
        ``<article>`` frames them. Pages older than ``<article>`` frame their post in a
        ``div`` whose class or id names it (``hentry``, ``post``, ``entry-content``): there
        the same blocks are joined the same way, with readability's own thresholds.
        """
        best_elem = best_candidate["elem"]
        before = len(best_elem)
        super().merge_article_segments(candidates, best_candidate, score_threshold)
        if len(best_elem) != before or best_elem.tag == "article":
            return
        best_classes = set((best_elem.get("class") or "").split())
        if not best_classes or any(_POSITIVE.search(name) for name in best_classes):
            return  # readability's own case
        threshold = max(10, best_candidate["content_score"] * 0.05)
        best_parent = best_elem.getparent()
        ancestors = set(best_elem.iterancestors())

        def is_segment(elem: lxml.html.HtmlElement) -> bool:
            return (
                elem is not best_elem
                and elem in candidates
                and candidates[elem]["content_score"] >= threshold
                and elem.getparent() is not best_parent
                and set((elem.get("class") or "").split()) == best_classes
                and elem not in ancestors
                and not any(ancestor is best_elem for ancestor in elem.iterancestors())
                and self.get_link_density(elem) <= 0.2
            )

        # As readability finds a frame for a block with a content class: the nearest
        # ancestor named like a post that holds another such block. Each frame's blocks in
        # document order, the best one among them to tell those before it from those after.
        for frame in _named_frames(best_elem):
            in_order = [elem for elem in frame.iter(best_elem.tag) if elem is best_elem or is_segment(elem)]
            if len(in_order) > 1:
                break
        else:
            return
        selected: list[lxml.html.HtmlElement] = []
        ahead: list[lxml.html.HtmlElement] = []
        behind: list[lxml.html.HtmlElement] = []
        after_best = False
        for elem in in_order:
            if elem is best_elem:
                after_best = True
                continue
            if any(ancestor in selected for ancestor in elem.iterancestors()):
                continue
            selected.append(elem)
            (behind if after_best else ahead).append(elem)
        for elem in reversed(ahead):
            best_elem.insert(0, elem)
        for elem in behind:
            best_elem.append(elem)

    def remove_unlikely_candidates(self) -> None:
        """readability's removal of elements whose class or id says navigation, comments, ads."""
        named = _NAMED(self.html)
        position, count = 0, len(named)
        while position < count:
            elem = named[position]
            position += 1
            if (
                _removable_name(f"{elem.get('class', '')} {elem.get('id', '')}")
                and elem.tag not in ("html", "body")
                and not _IN_PRE_OR_CODE(elem)
                and not _HOLDS_SEMANTIC(elem)
            ):
                # readability goes on to the named elements inside, now out of the tree:
                # whatever it does there changes nothing. They come next in document order.
                position += int(_NAMED_COUNT(elem))
                elem.drop_tree()

    def transform_misused_divs_into_paragraphs(self) -> None:
        """readability's turning of <div>s without blocks into <p>s, and of loose text into <p>s."""
        holders = _block_holders(self.html)
        if holders is None:
            super().transform_misused_divs_into_paragraphs()
            return
        # A <div> becoming a <p> stays a block for the regex, so the holders stay the same.
        for elem in self.tags(self.html, "div"):
            if elem not in holders:
                elem.tag = "p"
        for elem in self.tags(self.html, "div"):
            children = list(elem)
            paragraph = None
            if elem.text and elem.text.strip():
                p = _paragraph()
                p.text = elem.text
                elem.text = None
                elem.insert(0, p)
                paragraph = p
            for child in children:
                if child.tag == "br":
                    paragraph = None
                    continue
                # An inline tag never matches the regex itself: only what is inside it can.
                if child.tag not in _INLINE_TAGS or child in holders:
                    paragraph = None
                    continue
                if paragraph is None:
                    paragraph = _paragraph()
                    child.addprevious(paragraph)
                paragraph.append(child)
            for pos, child in reversed(list(enumerate(elem))):
                if child.tail and child.tail.strip():
                    p = _paragraph()
                    p.text = child.tail
                    child.tail = None
                    elem.insert(pos + 1, p)
                if child.tag == "br":
                    child.drop_tree()

    def score_paragraphs(self) -> dict:
        """readability's paragraph scoring, every element's text measured once."""
        MIN_LEN = self.min_text_length  # noqa: N806 (readability's name)
        lengths = TextLengths()
        lengths.measure_all(self._html())
        candidates: dict = {}
        ordered = []
        for elem in self.tags(self._html(), "p", "pre", "td", "blockquote"):
            parent_node = elem.getparent()
            if parent_node is None:
                continue
            grand_parent_node = parent_node.getparent()
            inner_text_len = lengths.length(elem)
            if inner_text_len < MIN_LEN:
                continue
            if parent_node not in candidates:
                candidates[parent_node] = self.score_node(parent_node)
                ordered.append(parent_node)
            if grand_parent_node is not None and grand_parent_node not in candidates:
                candidates[grand_parent_node] = self.score_node(grand_parent_node)
                ordered.append(grand_parent_node)
            content_score = 1
            content_score += lengths.commas(elem) + 1  # len(clean(text).split(",")): clean keeps commas
            content_score += min((inner_text_len / 100), 3)
            candidates[parent_node]["content_score"] += content_score
            if grand_parent_node is not None:
                candidates[grand_parent_node]["content_score"] += content_score / 2.0
        for elem in ordered:
            # Not readability's: its link density counts only the links inside an element, so
            # a block that is itself a link (a teaser card: <a> around a headline and a
            # paragraph) scored as prose and could win over the article. All its text is link text.
            density = 1.0 if elem.tag == "a" else lengths.link_density(elem)
            candidates[elem]["content_score"] *= 1 - density
        return candidates

    def sanitize(self, node: lxml.html.HtmlElement, candidates: dict, keep_all_images: bool = False) -> str:
        """readability's cleaning of the chosen article, every element's text measured once per edit."""
        MIN_LEN = self.min_text_length  # noqa: N806 (readability's name)
        lengths = TextLengths()
        lengths.measure_all(node)
        for header in self.tags(node, "h1", "h2", "h3", "h4", "h5", "h6"):
            if self.class_weight(header) < 0 or lengths.link_density(header) > 0.33:
                lengths.drop(header)
        for elem in self.tags(node, "p"):
            if REGEXES["callToActionRe"].search(elem.text_content()) and lengths.link_density(elem) > 0.2:
                lengths.drop(elem)
        for elem in self.tags(node, "form", "textarea"):
            lengths.drop(elem)
        for elem in self.tags(node, "iframe"):
            if "src" in elem.attrib and is_video_url(elem.attrib["src"]):
                elem.attrib.pop("srcdoc", None)
                elem.text = "VIDEO"  # readability's: an iframe with text is written out whole
                lengths.forget(elem)
            else:
                lengths.drop(elem)
        allowed = self.get_preserved_elements(node)
        for el in self.reverse_tags(node, "table", "ul", "div", "aside", "header", "footer", "section"):
            if el in allowed:
                continue
            weight = self.class_weight(el)
            content_score = candidates[el]["content_score"] if el in candidates else 0
            tag = el.tag
            if weight + content_score < 0:
                lengths.drop(el)
            elif lengths.commas(el) < 10:
                if self._conditionally_removed(el, tag, weight, lengths, MIN_LEN, keep_all_images, allowed):
                    lengths.drop(el)
        self.html = node
        return self.get_clean_html()

    def _conditionally_removed(
        self,
        el: lxml.html.HtmlElement,
        tag: str,
        weight: int,
        lengths: TextLengths,
        min_len: int,
        keep_all_images: bool,
        allowed: dict,
    ) -> bool:
        """Return whether readability's sanitize removes a table, list or block with few commas."""
        # readability's len(el.findall(".//p")) and the like, counted in C without element proxies.
        counts = {kind: int(count(el)) for kind, count in _DESCENDANT_COUNTS.items()}
        counts["li"] -= 100
        counts["input"] -= int(_HIDDEN_INPUT_COUNT(el))
        content_length = lengths.length(el)
        link_density = lengths.link_density(el)
        to_remove = False
        if keep_all_images and el.tag == "div" and counts["img"] >= 1:
            return False
        if counts["p"] and counts["img"] > 1 + counts["p"] * 1.3:
            to_remove = True
        elif counts["li"] > counts["p"] and tag not in ("ol", "ul"):
            to_remove = True
        elif counts["input"] > (counts["p"] / 3):
            to_remove = True
        elif content_length < min_len and counts["img"] == 0:
            to_remove = True
        elif content_length < min_len and counts["img"] > 2:
            to_remove = True
        elif weight < 25 and link_density > (
            0.25 if tag in ("ul", "section") and _IN_MAIN_OR_ARTICLE(el) else 0.2
        ):
            to_remove = True
        elif weight >= 25 and link_density > 0.5:
            to_remove = True
        elif (counts["embed"] == 1 and content_length < 75) or counts["embed"] > 1:
            to_remove = True
        elif not content_length:
            to_remove = True
            # readability's own: the first non-empty sibling on each side (i = +1 is its code).
            siblings = _first_nonempty(el.itersiblings(), lengths) + _first_nonempty(
                el.itersiblings(preceding=True), lengths
            )
            if siblings and sum(siblings) > 1000:
                to_remove = False
                for desnode in self.tags(el, "table", "ul", "div", "section"):
                    allowed[desnode] = True
        return to_remove


def _named_frames(best: lxml.html.HtmlElement) -> list[lxml.html.HtmlElement]:
    """Return the ancestors of *best*, nearest first, whose class or id names a post, up to <body>;
    none when an <article> or <main> frames it (readability's own frames)."""
    named = []
    for ancestor in best.iterancestors():
        if ancestor.tag in ("article", "main"):
            return []
        if ancestor.tag in ("html", "body"):
            break
        words = _NAME_WORDS.split(_CAMEL_HUMP.sub(r"\1 \2", f"{ancestor.get('class', '')} {ancestor.get('id', '')}"))
        if _POST_WORDS.intersection(word.lower() for word in words):
            named.append(ancestor)
    return named


def _first_nonempty(siblings: Iterable[lxml.html.HtmlElement], lengths: TextLengths) -> list[int]:
    """Return the text length of the first sibling with text, as a list of none or one."""
    for sib in siblings:
        sib_content_length = lengths.length(sib)
        if sib_content_length:
            return [sib_content_length]
    return []

