"""One rule file in the format of FiveFilters' Full-Text RSS site configs, read by our own parser.

A file holds one ``directive: value`` per line; ``#`` starts a comment line; a
directive given on several lines (``title``, ``body``, ``strip`` ...) keeps every line,
in order, and extraction tries them in that order. ``replace_string(needle): text`` is
a find/replace pair on one line; ``http_header(name): value`` a request header;
``test_contains`` belongs to the ``test_url`` before it.

A mistake in one line never takes the file down: an XPath lxml cannot compile is
logged with the file and line and that line is skipped; a directive we do not use
(``tidy``, ``login_*``, ``native_ad_clue`` ...) is noted at DEBUG and ignored.
Everything here is plain data (strings and tuples), so a rule crosses to the reader
processes with the page it applies to.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from functools import lru_cache

import lxml.etree

logger = logging.getLogger(__name__)

# Directives whose value is an XPath expression, tried in file order.
XPATH_DIRECTIVES = ("title", "body", "author", "date", "strip", "next_page_link", "single_page_link")
# Directives the format defines that a mirror has no use for: read, noted, ignored.
IGNORED_DIRECTIVES = frozenset({
    "tidy", "parser", "autodetect_on_failure", "insert_detected_image", "native_ad_clue", "skip_json_ld",
    "dissolve", "strip_comments", "convert_double_br_tags", "if_page_contains", "single_page_link_in_feed",
    "login_uri", "login_username_field", "login_password_field", "login_extra_fields", "not_logged_in_xpath",
    "requires_login", "wrap_in", "move_into", "src_lazy_load_attr", "footnotes", "skip_id_or_class",
})
# ``name(argument): value``: the argument may hold colons (a URL, a CSS rule), the name not.
_CALL = re.compile(r"^([a-z_]+)\((.*?)\)\s*:\s?(.*)$", re.IGNORECASE)
_PLAIN = re.compile(r"^([a-z_]+)\s*:\s*(.*)$", re.IGNORECASE)
# Headers a rule may not set: who we are stays ours, and framing is the client's business.
REFUSED_HEADERS = frozenset({"user-agent", "host", "content-length", "transfer-encoding", "connection"})


@dataclass(frozen=True)
class RuleLine:
    """One value of a rule file and the line it came from (1-based), for messages and sources."""

    value: str
    line: int


@dataclass(frozen=True)
class Replacement:
    """A ``find_string``/``replace_string`` pair (or one ``replace_string(needle): text`` line)."""

    find: str
    replace: str
    line: int


@dataclass(frozen=True)
class RuleTest:
    """A ``test_url`` and the ``test_contains`` snippets its extracted body must hold."""

    url: str
    line: int
    contains: tuple[str, ...] = ()


@dataclass(frozen=True)
class SiteRule:
    """What one rule file says about a site, line by line, with where each value came from."""

    name: str  # the file's name, e.g. "example.com.txt" or ".example.com.txt"
    title: tuple[RuleLine, ...] = ()
    body: tuple[RuleLine, ...] = ()
    author: tuple[RuleLine, ...] = ()
    date: tuple[RuleLine, ...] = ()
    strip: tuple[RuleLine, ...] = ()
    strip_id_or_class: tuple[RuleLine, ...] = ()
    strip_image_src: tuple[RuleLine, ...] = ()
    prune: bool | None = None  # None: not declared
    replacements: tuple[Replacement, ...] = ()
    headers: tuple[tuple[str, str], ...] = ()  # (lower-case name, value), in file order
    next_page_link: tuple[RuleLine, ...] = ()
    single_page_link: tuple[RuleLine, ...] = ()
    tests: tuple[RuleTest, ...] = ()
    problems: tuple[str, ...] = field(default=(), compare=False)  # "name:line: what is wrong", logged

    def source(self, line: int) -> str:
        """Return how a value from *line* is named among a field's candidates."""
        return f"site rule {self.name}:{line}"


class _Reader:
    """Collects the lines of one file into a :class:`SiteRule`."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.lists: dict[str, list[RuleLine]] = {directive: [] for directive in (*XPATH_DIRECTIVES, "strip_id_or_class", "strip_image_src")}
        self.finds: list[RuleLine] = []
        self.replaces: list[RuleLine] = []
        self.replacements: list[Replacement] = []
        self.headers: dict[str, str] = {}
        self.tests: list[RuleTest] = []
        self.prune: bool | None = None
        self.problems: list[str] = []

    def problem(self, line: int, message: str) -> None:
        """Log and keep a mistake in the file; the line is skipped and the rest still applies."""
        text = f"{self.name}:{line}: {message}"
        logger.error("Site rule %s", text)
        self.problems.append(text)

    def take(self, number: int, raw: str) -> None:
        """Read one line of the file."""
        text = raw.strip()
        if not text or text.startswith("#"):
            return
        call = _CALL.match(text)
        if call is not None:
            directive, argument, value = call.group(1).lower(), call.group(2), call.group(3).strip()
            if directive == "replace_string":
                if argument:
                    self.replacements.append(Replacement(argument, value, number))
                else:
                    self.problem(number, "replace_string() names nothing to find; line skipped")
            elif directive == "http_header":
                self._header(number, argument.strip().lower(), value)
            else:
                logger.debug("Site rule %s:%d: directive %s(...) is not used by newsmirror; ignored", self.name, number, directive)
            return
        plain = _PLAIN.match(text)
        if plain is None:
            self.problem(number, f"not a 'directive: value' line: {text[:80]!r}; skipped")
            return
        directive, value = plain.group(1).lower(), plain.group(2).strip()
        directive = "strip" if directive == "strip_attr" else directive  # strip_attr is FTR's alias
        if directive in XPATH_DIRECTIVES:
            if not value:
                self.problem(number, f"{directive}: has no XPath; line skipped")
                return
            error = xpath_error(value)
            if error:
                self.problem(number, f"{directive}: broken XPath {value!r} ({error}); line skipped")
                return
            self.lists[directive].append(RuleLine(value, number))
        elif directive in ("strip_id_or_class", "strip_image_src"):
            if value:
                self.lists[directive].append(RuleLine(value.strip("'\""), number))
        elif directive == "find_string":
            self.finds.append(RuleLine(value, number))
        elif directive == "replace_string":
            self.replaces.append(RuleLine(value, number))
        elif directive == "prune":
            self.prune = value.lower() == "yes"
        elif directive == "test_url":
            if value:
                self.tests.append(RuleTest(value, number))
        elif directive == "test_contains":
            if not self.tests:
                self.problem(number, "test_contains: before any test_url; line skipped")
            elif value:
                last = self.tests[-1]
                self.tests[-1] = RuleTest(last.url, last.line, (*last.contains, value))
        elif directive in IGNORED_DIRECTIVES or directive.startswith("login_"):
            logger.debug("Site rule %s:%d: directive %s is not used by newsmirror; ignored", self.name, number, directive)
        else:
            logger.debug("Site rule %s:%d: unknown directive %r; ignored", self.name, number, directive)

    def _header(self, number: int, name: str, value: str) -> None:
        """Keep one ``http_header(name): value`` line, unless the header is not a rule's to set."""
        if not re.fullmatch(r"[a-z0-9!#$%&'*+.^_`|~-]+", name):
            self.problem(number, f"http_header({name}): not a header name; line skipped")
        elif name in REFUSED_HEADERS:
            # A rule file may ask for a browser's User-Agent; the mirror always says who it is.
            logger.info("Site rule %s:%d: http_header(%s) is not sent: newsmirror sets it itself", self.name, number, name)
        elif "\n" in value or "\r" in value:
            self.problem(number, f"http_header({name}): value holds a line break; line skipped")
        else:
            self.headers[name] = value

    def rule(self) -> SiteRule:
        """Return the rule the lines read so far make."""
        # find_string and replace_string pair up in order, as Full-Text RSS pairs them.
        pairs = list(zip(self.finds, self.replaces))
        for unpaired in self.finds[len(pairs):] + self.replaces[len(pairs):]:
            self.problem(unpaired.line, "find_string and replace_string lines do not pair up; this one is skipped")
        replacements = [Replacement(find.value, replace.value, find.line) for find, replace in pairs if find.value]
        replacements = sorted(replacements + self.replacements, key=lambda replacement: replacement.line)
        lists = {name: tuple(values) for name, values in self.lists.items()}
        return SiteRule(
            name=self.name, prune=self.prune, replacements=tuple(replacements),
            headers=tuple(self.headers.items()), tests=tuple(self.tests), problems=tuple(self.problems), **lists,
        )


def parse_rule_text(text: str, name: str) -> SiteRule:
    """Read the text of a rule file called *name*; mistakes are logged and their lines skipped."""
    reader = _Reader(name)
    for number, line in enumerate(text.lstrip("\ufeff").splitlines(), 1):
        reader.take(number, line)
    return reader.rule()


@lru_cache(maxsize=4096)
def compiled(expression: str, smart_strings: bool = False) -> lxml.etree.XPath:
    """Return *expression* compiled once per process (rules reach reader processes as text).

    *smart_strings*: attribute results know their element (``strip: //img/@srcset``).
    """
    return lxml.etree.XPath(expression, smart_strings=smart_strings)


_EMPTY_PAGE = lxml.etree.fromstring("<html><head/><body/></html>")


def xpath_error(expression: str) -> str:
    """Return why lxml cannot compile or run *expression*, or '' when it can."""
    try:
        # Run once on an empty page too: an unknown function is only found when evaluated.
        compiled(expression)(_EMPTY_PAGE)
    except lxml.etree.XPathSyntaxError as error:
        return str(error) or "syntax error"
    except lxml.etree.XPathError as error:  # an unknown function or prefix
        return str(error) or type(error).__name__
    return ""
