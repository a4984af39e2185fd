"""newsmirror uses the public API of Scrapy, multiprocessing and the rest: no ``._private`` reached into.

A private attribute is a promise nobody made us (issue 14): Scrapy renamed or dropped
several between releases.  The check reads every module under ``newsmirror/`` and
flags, on any object but ``self``/``cls``, an attribute whose name starts with one
underscore; ``super()._x``; and ``self._x`` where no code of that module defines
``_x``, so it can only come from a library base class.  Imports of ``_private``
modules count too.  What stays is listed in ``ALLOWED`` with the reason.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "newsmirror"

# (module path under newsmirror/, the expression as written) -> why it stays.
ALLOWED: dict[tuple[str, str], str] = {
    ("extract/mainblock.py", "self._html"): "readability.Document's own tree, read by the subclass that overrides its methods",
    ("readers.py", "os._exit"): "os documents _exit: a reader leaves without running the crawl's exit handlers",
    ("sites/generic.py", "parts._replace"): "namedtuple's documented API (SplitResult._replace)",
    ("clean.py", "lxml.etree._Comment"): "lxml documents _Comment as the class of comment nodes",
    ("sitemaps.py", "lxml.etree._Element"): "lxml documents _Element as the element class",
    ("siterules/apply.py", "lxml.etree._Element"): "lxml documents _Element as the element class (XPath results)",
    # ScrapyCommand._create_crawler adds Scrapy's "feeds unused" warning to the crawler;
    # the public crawler_process.create_crawler would drop it.
    ("commands/crawl.py", "self._create_crawler"): "keeps Scrapy's own crawl command behaviour",
}


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _defined_names(tree: ast.AST) -> set[str]:
    """Return every name the module itself defines: functions, classes, assignments, attributes set."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            names.add(node.attr)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
    return names


def private_uses(source: str) -> list[tuple[int, str]]:
    """Return (line, expression) for each private attribute or module *source* reaches into."""
    tree = ast.parse(source)
    own = _defined_names(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _private(node.attr):
            base = node.value
            if isinstance(base, ast.Name) and base.id in ("self", "cls") and node.attr in own:
                continue  # our own private state
            found.append((node.lineno, ast.unparse(node)))
        elif isinstance(node, ast.ImportFrom) and node.module and any(_private(part) for part in node.module.split(".")):
            found.append((node.lineno, f"from {node.module} import"))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, f"import {alias.name}") for alias in node.names if any(_private(p) for p in alias.name.split("."))]
    return sorted(found)


def test_the_check_catches_what_the_issue_names() -> None:
    # The shapes issue 14 found: a subclass reading its Scrapy parent's state, a pool's process map.
    source = (
        "from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware\n"
        "class Polite(RobotsTxtMiddleware):\n"
        "    def __init__(self, crawler):\n"
        "        super().__init__(crawler)\n"
        "        self.delays = {}\n"
        "    def parser(self, netloc):\n"
        "        self._stats.inc_value('x')\n"
        "        return self._parsers.get(netloc), self.delays\n"
        "class Readers:\n"
        "    def pids(self):\n"
        "        return list(self._pool._processes)\n"
        "    def start(self):\n"
        "        self._pool = object()\n"
    )
    assert sorted(expression for _, expression in private_uses(source)) == ["self._parsers", "self._pool._processes", "self._stats"]


def test_newsmirror_reaches_into_no_private_attribute() -> None:
    found, used = [], set()
    for path in sorted(PACKAGE.rglob("*.py")):
        module = path.relative_to(PACKAGE).as_posix()
        for line, expression in private_uses(path.read_text(encoding="utf-8")):
            if (module, expression) in ALLOWED:
                used.add((module, expression))
            else:
                found.append(f"newsmirror/{module}:{line}: {expression}")
    assert not found, "private attributes used:\n" + "\n".join(found)
    assert used == set(ALLOWED), f"allowed but no longer used (drop them): {set(ALLOWED) - used}"
