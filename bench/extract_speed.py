"""Extraction CPU per page on the real corpus pages, with a per-stage breakdown.

Usage: python bench/extract_speed.py [--corpus ../shared/corpus] [--rounds 3] [--set NAME ...]

The code path a crawl runs (``newsmirror.pipelines.read_article``), without the network.
Prints, per set and overall, the CPU milliseconds a page costs (median and p90 over the
pages, each page's figure the median of ``--rounds``), then one cProfile round split into
stages: decode, parse, each field (title, author, date, image, body), the header text the
fields share, clean and sanitize. A stage is the cumulative time of the public functions
that do it, found by module and name, so the table works for the one-module layout
(``newsmirror/sites/generic.py``) and for one module per field (``newsmirror/fields/``).
Not part of ``make test``: timing belongs here.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import statistics
import sys
import time
from pathlib import Path

from scrapy.exceptions import DropItem
from scrapy.http import HtmlResponse

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from bench.quality import default_corpus  # noqa: E402
from newsmirror.pipelines import read_article  # noqa: E402

SETS = ("sina", "zh-news", "en-news", "dates", "multilang")
# stage -> (path suffix of the module, function names); "*" takes the module's costliest
# function (its entry point) so a new module per field is measured without naming it here.
STAGES: dict[str, list[tuple[str, str]]] = {
    "decode": [("extract/encoding.py", "decode_html")],
    "parse (incl. decode)": [("extract/page.py", "from_bytes")],
    "title": [("sites/generic.py", "headline"), ("fields/title.py", "*")],
    "author": [("sites/generic.py", "author"), ("fields/author.py", "*")],
    "date": [("sites/generic.py", "published"), ("fields/date.py", "*")],
    "image": [("sites/generic.py", "share_image"), ("fields/image.py", "*"), ("clean.py", "first_image")],
    "body": [("sites/generic.py", "main_content"), ("fields/body.py", "*")],
    "header text (shared)": [("sites/generic.py", "header_text"), ("extract/header.py", "printed_header")],
    "site module (sina)": [("sites/sina.py", "*")],
    "clean (incl. sanitize)": [("clean.py", "clean_body")],
    "sanitize": [("clean.py", "sanitize")],
    "whole read": [("newsmirror/reading.py", "read_page")],
}


def load_pages(corpus: Path, set_name: str) -> list[tuple[str, bytes]]:
    """Return (url, bytes) for every page of a corpus set."""
    pages = []
    for case_file in sorted((corpus / "pages" / set_name).glob("*/case.json")):
        case = json.loads(case_file.read_text(encoding="utf-8"))
        url = case.get("url") or f"https://corpus.invalid/{set_name}/{case_file.parent.name}.html"
        pages.append((url, (case_file.parent / case["body_file"]).read_bytes()))
    return pages


def read_once(url: str, body: bytes) -> bool:
    """Read one page as a crawl does; say whether it became an article."""
    try:
        read_article(HtmlResponse(url, body=body), undated="first-seen")
    except DropItem:
        return False
    return True


def page_costs(pages: list[tuple[str, bytes]], rounds: int) -> list[float]:
    """Return each page's CPU milliseconds, the median of *rounds* reads."""
    costs = []
    for url, body in pages:
        samples = []
        for _ in range(rounds):
            started = time.process_time()
            read_once(url, body)
            samples.append((time.process_time() - started) * 1000)
        costs.append(statistics.median(samples))
    return costs


def p90(values: list[float]) -> float:
    """Return the 90th percentile."""
    return statistics.quantiles(values, n=10)[-1] if len(values) > 1 else values[0]


def stage_times(pages: list[tuple[str, bytes]]) -> dict[str, float]:
    """Profile one read of every page; return each stage's cumulative CPU seconds."""
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    for url, body in pages:
        read_once(url, body)
    profiler.disable()
    stats = pstats.Stats(profiler).stats  # (file, line, name) -> (cc, nc, tt, ct, callers)
    totals = {}
    for stage, wanted in STAGES.items():
        seconds = 0.0
        for suffix, name in wanted:
            matches = [ct for (file, _, func), (_, _, _, ct, _) in stats.items()
                       if file.replace("\\", "/").endswith(suffix) and (name == "*" or func == name)]
            if matches:
                seconds += max(matches) if name == "*" else sum(matches)
        totals[stage] = seconds
    return totals


def main() -> int:
    """Run the benchmark and print the per-page costs and the stage table, then JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=default_corpus())
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--set", dest="sets", nargs="+", choices=SETS, default=list(SETS))
    args = parser.parse_args()
    if not (args.corpus / "pages").is_dir():
        print(f"no corpus at {args.corpus}: pass --corpus DIR (the folder holding pages/)")
        return 2
    summary: dict[str, object] = {}
    every_cost: list[float] = []
    all_pages: list[tuple[str, bytes]] = []
    print("| set | pages | CPU ms/page median | p90 | mean |")
    print("|---|---|---|---|---|")
    for set_name in args.sets:
        pages = load_pages(args.corpus, set_name)
        costs = page_costs(pages, args.rounds)
        every_cost += costs
        all_pages += pages
        summary[set_name] = {"pages": len(pages), "median_ms": round(statistics.median(costs), 1),
                             "p90_ms": round(p90(costs), 1), "mean_ms": round(statistics.mean(costs), 1)}
        print(f"| {set_name} | {len(pages)} | {statistics.median(costs):.1f} | {p90(costs):.1f} | "
              f"{statistics.mean(costs):.1f} |")
    print(f"| all | {len(every_cost)} | {statistics.median(every_cost):.1f} | {p90(every_cost):.1f} | "
          f"{statistics.mean(every_cost):.1f} |")
    summary["all"] = {"pages": len(every_cost), "median_ms": round(statistics.median(every_cost), 1),
                      "p90_ms": round(p90(every_cost), 1), "mean_ms": round(statistics.mean(every_cost), 1)}
    stages = stage_times(all_pages)
    whole = stages["whole read"] or 1e-9
    print("\n| stage (cProfile, one round, all pages) | CPU ms/page (mean) | share of the read |")
    print("|---|---|---|")
    for stage, seconds in stages.items():
        print(f"| {stage} | {seconds * 1000 / len(all_pages):.2f} | {seconds / whole * 100:.0f} % |")
    summary["stages_ms_per_page"] = {stage: round(seconds * 1000 / len(all_pages), 2)
                                     for stage, seconds in stages.items()}
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
