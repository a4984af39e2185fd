"""Per-stage CPU per page without a profiler: median, mean and p90 over the corpus pages.

Usage: python bench/stage_medians.py [--corpus ../shared/corpus] [--set NAME ...]

``bench/extract_speed.py`` splits a read into stages with cProfile, whose per-call cost
inflates Python-heavy stages and gives means only. This wraps each stage's entry point
with a CPU clock instead (``time.process_time``, one read of every page after a warm-up)
and reports each stage's median and p90 over the pages: parse, each field's ``choose``
(with htmldate and readability inside them), the canonical URL and the cleaning.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from bench.extract_speed import SETS, load_pages, p90, read_once  # noqa: E402
from bench.quality import default_corpus  # noqa: E402
from newsmirror import reading  # noqa: E402
from newsmirror.extract import page as page_module  # noqa: E402
from newsmirror.fields import author, body, date, image, title  # noqa: E402
from newsmirror.sites import generic  # noqa: E402

STAGES = ("whole read", "parse", "title", "date", "  htmldate", "author", "image", "body",
          "  readability", "canonical URL", "clean")
_spent: dict[str, float] = defaultdict(float)


def _timed(function: Callable[..., Any], stage: str) -> Callable[..., Any]:
    """Return *function* adding its CPU seconds to *stage*."""
    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            _spent[stage] += time.process_time() - started
    return timed


def instrument() -> None:
    """Wrap every stage's entry point (module attributes, so callers see the wrapper)."""
    for module, stage in ((title, "title"), (date, "date"), (author, "author"), (image, "image"), (body, "body")):
        module.choose = _timed(module.choose, stage)
    date.htmldate_day = _timed(date.htmldate_day, "  htmldate")
    body.readability_content = _timed(body.readability_content, "  readability")
    reading.clean_item = _timed(reading.clean_item, "clean")
    generic.canonical_url = _timed(generic.canonical_url, "canonical URL")
    parse = page_module.Page.from_bytes.__func__
    page_module.Page.from_bytes = classmethod(_timed(parse, "parse"))


def main() -> int:
    """Read every page once per stage clock; print the per-stage median, mean and p90 in ms."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=default_corpus())
    parser.add_argument("--set", dest="sets", nargs="+", choices=SETS, default=list(SETS))
    args = parser.parse_args()
    pages = [page for set_name in args.sets for page in load_pages(args.corpus, set_name)]
    if not pages:
        print(f"no corpus pages at {args.corpus}: pass --corpus DIR (the folder holding pages/)")
        return 2
    instrument()
    for url, html in pages[:30]:  # warm-up: imports, compiled patterns, htmldate's first locales
        read_once(url, html)
    costs: dict[str, list[float]] = defaultdict(list)
    for url, html in pages:
        _spent.clear()
        started = time.process_time()
        read_once(url, html)
        _spent["whole read"] = time.process_time() - started
        for stage in STAGES:
            costs[stage].append(_spent.get(stage, 0.0) * 1000)
    print(f"| stage ({len(pages)} pages, CPU ms) | median | p90 | mean |\n|---|---|---|---|")
    for stage in STAGES:
        values = costs[stage]
        print(f"| {stage} | {statistics.median(values):.2f} | {p90(values):.2f} | {statistics.mean(values):.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
