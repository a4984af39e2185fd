"""Extraction quality on the real corpus pages: newsmirror against the well-known extractors.

Usage: python bench/quality.py [--corpus ../shared/corpus] [--out bench/out] [--tools ...]
                               [--rounds 3] [--profile]

Runs the code path a crawl runs (``newsmirror.pipelines.read_article``: the extract and
clean pipelines) over the stored bytes of every page of ``pages/{sina,zh-news,en-news}``,
at the URL in its ``case.json``, writes one prediction per page to
``OUT/newsmirror.jsonl`` and scores it with the corpus's own ``score.py``. Then it runs the
comparison extractors (trafilatura, readability-lxml, newspaper4k, GNE) the same way in
their own venv (``bench/.venv-compare``, ``make bench-quality`` builds it) through
``bench/compare_extractors.py``, and prints one table with a row per extractor, then a
JSON summary. Also reports newsmirror's extraction pages/s (median of ``--rounds``) and,
with ``--profile``, where the time goes. Not part of ``make test``.
"""

from __future__ import annotations

import argparse
import cProfile
import importlib.util
import io
import json
import pstats
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import lxml.html
from scrapy.http import HtmlResponse

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from newsmirror.extract.page import Page  # noqa: E402
from newsmirror.pipelines import ArticleDropped, read_article  # noqa: E402
from newsmirror.sites import extract_article  # noqa: E402

SETS = ("sina", "zh-news", "en-news")
COMPARE_TOOLS = ("trafilatura", "readability", "newspaper4k", "gne")
COMPARE_PYTHON = REPO_ROOT / "bench" / ".venv-compare" / "bin" / "python"
# Blocks that end a line of text: the body metric ignores whitespace, but words of two
# paragraphs must not run together into one token.
_BLOCKS = {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "td", "th",
           "table", "blockquote", "figure", "figcaption", "pre", "dd", "dt", "dl", "hr"}


def load_cases(corpus: Path) -> list[dict[str, Any]]:
    """Return every page case of the scored sets: set, case, url, bytes."""
    cases = []
    for set_name in SETS:
        for case_file in sorted((corpus / "pages" / set_name).glob("*/case.json")):
            meta = json.loads(case_file.read_text(encoding="utf-8"))
            cases.append({
                "set": set_name,
                "case": case_file.parent.name,
                # A page with no known URL still needs one; .invalid never resolves.
                "url": meta.get("url") or f"https://corpus.invalid/{set_name}/{case_file.parent.name}.html",
                "body": (case_file.parent / meta["body_file"]).read_bytes(),
            })
    return cases


def html_to_text(fragment: str) -> str:
    """Return the text of cleaned body HTML, one line per block."""
    if not fragment.strip():
        return ""
    root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    for element in root.iter():
        if element.tag in _BLOCKS:
            element.tail = "\n" + (element.tail or "")
    return root.text_content().strip()


def predict(case: dict[str, Any]) -> dict[str, Any]:
    """Return newsmirror's prediction for one page, as score.py reads it."""
    prediction: dict[str, Any] = {"set": case["set"], "case": case["case"]}
    response = HtmlResponse(case["url"], body=case["body"])
    try:
        item = read_article(response, undated="first-seen")
    except ArticleDropped as dropped:
        prediction["dropped"] = str(dropped)
        return prediction
    author = item.author
    if author and author == item.site_name:
        # A post names the site when the page names nobody; the benchmark scores the byline.
        _, fields = extract_article(Page.from_response(response))
        author = fields.author
    prediction.update(
        title=item.title,
        author=author or None,
        date=item.date.isoformat() if item.date else None,
        body_text=html_to_text(item.body_html or ""),
        lead_image=item.lead_image,
    )
    return prediction


def timed_round(cases: list[dict[str, Any]]) -> float:
    """Extract every page once through read_article; return the seconds taken."""
    responses = [HtmlResponse(case["url"], body=case["body"]) for case in cases]
    started = time.perf_counter()
    for response in responses:
        try:
            read_article(response, undated="first-seen")
        except ArticleDropped:
            pass
    return time.perf_counter() - started


def profile(cases: list[dict[str, Any]], limit: int = 25) -> str:
    """Return the cProfile table (cumulative time) of one extraction round."""
    profiler = cProfile.Profile()
    profiler.enable()
    timed_round(cases)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(limit)
    return out.getvalue()


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    """Write prediction rows, one JSON object a line."""
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")


def score(corpus: Path, predictions: Path) -> dict[str, Any]:
    """Score a prediction file with the corpus's score.py; return its JSON summary."""
    spec = importlib.util.spec_from_file_location("corpus_score", corpus / "score.py")
    scorer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(scorer)
    cases = scorer.load_corpus(corpus)
    preds, _ = scorer.load_predictions(predictions)
    by_set = scorer.score(cases, preds)
    return {name: scorer.summarise(stats) for name, stats in by_set.items() if name in SETS}


def run_compare(tool: str, corpus: Path, out: Path) -> float | None:
    """Run one comparison extractor in its own venv; return its pages/s, None if unavailable."""
    if not COMPARE_PYTHON.exists():
        print(f"{tool}: no {COMPARE_PYTHON} (run `make bench-quality` to build it); row skipped")
        return None
    result = subprocess.run(
        [str(COMPARE_PYTHON), str(REPO_ROOT / "bench" / "compare_extractors.py"), tool,
         "--corpus", str(corpus), "--out", str(out / f"{tool}.jsonl")],
        capture_output=True, text=True, check=False,
    )
    if result.returncode != 0:
        print(f"{tool}: failed ({result.stderr.strip()[-500:]}); row skipped")
        return None
    return json.loads(result.stdout.strip().splitlines()[-1])["pages_per_second"]


_COLUMNS = (
    ("body", "body AEB-F1"), ("title_exact", "title"), ("date_day", "date day"),
    ("date_minute", "date min"), ("author_hit", "author"), ("lead_image_exact", "lead img"),
)


def cell(summary: dict[str, Any], key: str) -> str:
    """Return one table cell: AEB-style F1 for the body, hits/n for the rest."""
    if key == "body":
        return f"{summary['body']['f1_aeb']:.3f}" if "body" in summary else "-"
    value = summary.get(key)
    return f"{value['hit']}/{value['n']} {value['rate'] * 100:.0f}%" if value else "-"


def table(rows: dict[str, dict[str, Any]], speeds: dict[str, float | None]) -> str:
    """Return a Markdown table: one line per set and extractor."""
    header = "| set | extractor | " + " | ".join(label for _, label in _COLUMNS) + " | pages/s |"
    lines = [header, "|" + "---|" * (len(_COLUMNS) + 3)]
    for set_name in SETS:
        for tool, summary in rows.items():
            if set_name not in summary:
                continue
            speed = speeds.get(tool)
            cells = " | ".join(cell(summary[set_name], key) for key, _ in _COLUMNS)
            lines.append(f"| {set_name} | {tool} | {cells} | {f'{speed:.1f}' if speed else '-'} |")
    return "\n".join(lines)


def main() -> int:
    """Run the benchmark; print the table and a JSON summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=REPO_ROOT.parent / "shared" / "corpus")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "bench" / "out")
    parser.add_argument("--tools", nargs="*", default=list(COMPARE_TOOLS), help="comparison rows to run")
    parser.add_argument("--rounds", type=int, default=3, help="speed rounds (median); 0 skips timing")
    parser.add_argument("--profile", action="store_true", help="print where newsmirror's time goes")
    args = parser.parse_args()
    if not (args.corpus / "pages").is_dir():
        print(f"no corpus at {args.corpus}: pass --corpus DIR (the folder holding pages/)")
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    cases = load_cases(args.corpus)
    predictions = [predict(case) for case in cases]
    ours = args.out / "newsmirror.jsonl"
    write_jsonl(ours, predictions)
    for prediction in predictions:
        if "dropped" in prediction:
            print(f"dropped {prediction['set']}/{prediction['case']}: {prediction['dropped']}")
    speeds: dict[str, float | None] = {}
    if args.rounds:
        seconds = statistics.median(timed_round(cases) for _ in range(args.rounds))
        speeds["newsmirror"] = len(cases) / seconds
    rows = {"newsmirror": score(args.corpus, ours)}
    for tool in args.tools:
        speeds[tool] = run_compare(tool, args.corpus, args.out)
        if (args.out / f"{tool}.jsonl").exists() and speeds[tool] is not None:
            rows[tool] = score(args.corpus, args.out / f"{tool}.jsonl")
    print(table(rows, speeds))
    if args.profile:
        print(profile(cases))
    print(json.dumps({"rows": rows, "pages_per_second": speeds}, ensure_ascii=False, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
