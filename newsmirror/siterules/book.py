"""A folder of rule files (``MIRROR_SITE_RULES``), and which file speaks for a host.

File names follow Full-Text RSS: ``example.com.txt`` covers ``example.com`` and
``www.example.com``; ``.example.com.txt`` (a leading dot) covers ``example.com`` and
every host under it. For a host the exact file is looked for first, then the
leading-dot files of the host and of each parent domain, nearest first: for
``news.blog.example.com``, ``news.blog.example.com.txt``, ``.news.blog.example.com.txt``,
``.blog.example.com.txt``, ``.example.com.txt``. A file name is never built from a remote
host: the host is looked up among the names the folder holds.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from newsmirror.siterules.rules import SiteRule, parse_rule_text

logger = logging.getLogger(__name__)

RULE_SUFFIX = ".txt"
# A rule file larger than this is not a site config (the largest public one is ~20 kB).
MAX_RULE_BYTES = 256 * 1024


def rule_host(host: str) -> str:
    """Return *host* as rule files name it: lower case, no trailing dot, no ``www.``."""
    host = host.lower().rstrip(".")
    return host.removeprefix("www.")


@dataclass(frozen=True)
class RuleBook:
    """Every rule of one folder, by the host part of its file name."""

    folder: str
    exact: dict[str, SiteRule]  # "example.com" -> rule of example.com.txt
    wildcard: dict[str, SiteRule]  # "example.com" -> rule of .example.com.txt
    problems: tuple[str, ...] = ()  # every mistake found, "file:line: what", in file order

    @property
    def rules(self) -> list[SiteRule]:
        """Every rule of the folder, ordered by file name."""
        return sorted([*self.exact.values(), *self.wildcard.values()], key=lambda rule: rule.name)

    def rule_for_host(self, host: str) -> SiteRule | None:
        """Return the rule that speaks for *host*: the exact file, else the nearest leading-dot file."""
        host = rule_host(host)
        if not host:
            return None
        if host in self.exact:
            return self.exact[host]
        labels = host.split(".")
        for start in range(len(labels) - 1):
            rule = self.wildcard.get(".".join(labels[start:]))
            if rule is not None:
                return rule
        return None

    def rule_for(self, url: str) -> SiteRule | None:
        """Return the rule for the host of *url*, or None."""
        return self.rule_for_host(urlsplit(url).hostname or "")


def load_rule_book(folder: str | Path) -> RuleBook:
    """Read every ``*.txt`` rule file of *folder*; a file that cannot be read is logged and skipped.

    Raises ``ValueError`` when *folder* is not a readable folder: a setting naming a
    missing folder is a mistake to stop for, not to mirror without rules.
    """
    path = Path(folder).expanduser()
    try:
        entries = sorted(os.scandir(path), key=lambda entry: entry.name)
    except OSError as error:
        raise ValueError(f"MIRROR_SITE_RULES: cannot read the folder {str(path)!r}: {error.strerror}") from None
    exact: dict[str, SiteRule] = {}
    wildcard: dict[str, SiteRule] = {}
    problems: list[str] = []
    for entry in entries:
        if not entry.name.endswith(RULE_SUFFIX) or not entry.is_file():
            continue
        host = entry.name[: -len(RULE_SUFFIX)].lower()
        wild = host.startswith(".")
        host = host.lstrip(".")
        if not host or "." not in host and host != "localhost":
            continue  # LICENSE.txt, README.txt and the like are no host's rules
        try:
            if entry.stat().st_size > MAX_RULE_BYTES:
                raise ValueError(f"larger than {MAX_RULE_BYTES} bytes")
            text = Path(entry.path).read_text(encoding="utf-8")
        except (OSError, ValueError) as error:
            reason = getattr(error, "strerror", None) or str(error)
            message = f"{entry.name}: cannot read the rule file ({reason}); skipped"
            logger.error("Site rule %s", message)
            problems.append(message)
            continue
        rule = parse_rule_text(text, entry.name)
        problems += rule.problems
        (wildcard if wild else exact)[rule_host(host)] = rule
    logger.info("Site rules: %d files read from %s", len(exact) + len(wildcard), path)
    return RuleBook(str(path), exact, wildcard, tuple(problems))


# Books already read in this process, by folder and the state of its files: the
# pipeline, the header middleware and the commands of one run share one reading (and
# its logged mistakes), while an edited file is read again.
_READ: dict[tuple[str, tuple[tuple[str, int, int], ...]], RuleBook] = {}


def rule_book_for(folder: str | Path | None) -> RuleBook | None:
    """Return the rule book of ``MIRROR_SITE_RULES`` (None when the setting is empty), read once per process."""
    if not folder:
        return None
    path = Path(folder).expanduser()
    try:
        state = tuple(sorted(
            (entry.name, entry.stat().st_mtime_ns, entry.stat().st_size)
            for entry in os.scandir(path) if entry.name.endswith(RULE_SUFFIX)
        ))
    except OSError:
        state = ()  # load_rule_book says what is wrong with the folder
    key = (str(path.resolve()), state)
    if key not in _READ:
        _READ[key] = load_rule_book(path)
    return _READ[key]
