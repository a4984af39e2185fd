"""Extraction speed on the real corpus pages: the code path a crawl runs, without the network.

Usage: python bench/extract_speed.py [--corpus ../shared/corpus] [--rounds 3]
Prints pages per second per set (median of the rounds, one process, one core) and
how many pages became articles. Not part of `make test`: timing belongs here.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from scrapy.exceptions import DropItem
from scrapy.http import HtmlResponse

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from newsmirror.pipelines import read_article  # noqa: E402

SETS = ("sina", "zh-news", "en-news")


def load_pages(corpus: Path, set_name: str) -> list[tuple[str, bytes]]:
    """Return (url, bytes) for every page of a corpus set that has a URL."""
    pages = []
    for case_file in sorted((corpus / "pages" / set_name).glob("*/case.json")):
        case = json.loads(case_file.read_text(encoding="utf-8"))
        url = case.get("url") or f"https://corpus.invalid/{set_name}/{case_file.parent.name}.html"
        pages.append((url, (case_file.parent / case["body_file"]).read_bytes()))
    return pages


def one_round(pages: list[tuple[str, bytes]]) -> tuple[float, int]:
    """Extract every page once; return (seconds, articles produced)."""
    produced = 0
    started = time.perf_counter()
    for url, body in pages:
        try:
            read_article(HtmlResponse(url, body=body), undated="first-seen")
            produced += 1
        except DropItem:
            pass
    return time.perf_counter() - started, produced


def main() -> int:
    """Run the benchmark and print one line per set plus a JSON summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=REPO_ROOT.parent / "shared" / "corpus")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not (args.corpus / "pages").is_dir():
        print(f"no corpus at {args.corpus}: pass --corpus DIR (the folder holding pages/)")
        return 2
    summary = {}
    for set_name in SETS:
        pages = load_pages(args.corpus, set_name)
        rounds = [one_round(pages) for _ in range(args.rounds)]
        seconds = statistics.median(duration for duration, _ in rounds)
        summary[set_name] = {
            "pages": len(pages),
            "articles": rounds[0][1],
            "pages_per_second": round(len(pages) / seconds, 1),
        }
        print(f"{set_name:8} {len(pages):4} pages  {summary[set_name]['pages_per_second']:7.1f} pages/s  "
              f"{rounds[0][1]} became articles")
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
