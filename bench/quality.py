"""Extraction quality on the real corpus pages: newsmirror against the well-known extractors.

Usage: python bench/quality.py [--corpus ../shared/corpus] [--out bench/out]
                               [--half a|b|all ...] [--set NAME ...]
                               [--tools newsmirror trafilatura ...] [--reuse-peers]
                               [--misses [FIELD ...]] [--rounds N] [--profile]

Runs the code path a crawl runs (``newsmirror.pipelines.read_article``: the extract and
clean pipelines) over the stored bytes of every page of the scored sets (sina, zh-news,
en-news, dates, multilang), at the URL in its ``case.json``, writes one prediction per
page to ``OUT/newsmirror.jsonl`` and scores it with the corpus's own ``score.py``. The
comparison extractors (trafilatura, readability-lxml, newspaper4k, GNE, htmldate with
``extensive_search`` on and off) run the same pages in their own venv
(``bench/.venv-compare``; ``make bench-quality`` builds it) through
``bench/compare_extractors.py``; their predictions are kept in ``OUT/<tool>.jsonl``, and
``--reuse-peers`` reads them back, running a peer only on pages it has no prediction for.

Prints one table per set and half: a row per field, a column per extractor, the best
peer and the issue-13 target. ``--half a`` / ``b`` scores a fixed half of every set (see
:func:`half_of`): develop on ``a``, check on ``b``. ``--tools newsmirror`` is the fast
mode (no peers). ``--misses`` lists newsmirror's failing cases per field, with the gold
and the prediction. Then one JSON line with every number. Not part of ``make test``.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import importlib.util
import io
import json
import pstats
import statistics
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import lxml.etree
import lxml.html
from scrapy.http import HtmlResponse

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from newsmirror.pipelines import ArticleDropped, read_article  # noqa: E402
from newsmirror.text import RUBY_ANNOTATIONS  # noqa: E402

SETS = ("sina", "zh-news", "en-news", "dates", "multilang")
HALVES = ("a", "b", "all")
# Peers, in table order. htmldate reads only the date; "htmldate-fast" is extensive_search off.
COMPARE_TOOLS = ("trafilatura", "readability", "newspaper4k", "gne", "htmldate", "htmldate-fast")
COMPARE_PYTHON = REPO_ROOT / "bench" / ".venv-compare" / "bin" / "python"
# Blocks that end a line of text: the body metric ignores whitespace, but words of two
# paragraphs must not run together into one token.
_BLOCKS = {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "td", "th",
           "table", "blockquote", "figure", "figcaption", "pre", "dd", "dt", "dl", "hr"}

# (summary key, label, the prediction field its misses are about)
FIELDS = (
    ("title_exact", "title exact", "title"),
    ("author_hit", "author", "author"),
    ("date_day", "day", "date"),
    ("date_minute", "minute", "date"),
    ("body", "body AEB-F1", "body_text"),
    ("lead_image_exact", "lead image", "lead_image"),
    ("snippets", "snippets F", "body_text"),
)
# Issue 13's floor per set and field; every field must also reach the best peer.
TARGETS: dict[str, dict[str, float]] = {
    "en-news": {"title_exact": 0.90, "author_hit": 0.88, "date_day": 0.93, "body": 0.95, "lead_image_exact": 0.92},
    "zh-news": {"title_exact": 0.97, "author_hit": 0.70, "date_day": 0.97, "date_minute": 0.93, "body": 0.95},
    "dates": {"date_day": 0.95},
    "multilang": {"title_exact": 0.80, "author_hit": 0.75, "date_day": 0.92, "snippets": 0.94},
    "sina": {"title_exact": 1.0, "author_hit": 1.0, "date_minute": 1.0, "body": 0.98},
}


def default_corpus() -> Path:
    """Return ../shared/corpus beside the checkout, or beside the folder of worktrees."""
    candidates = [REPO_ROOT.parent / "shared" / "corpus", REPO_ROOT.parents[1] / "shared" / "corpus"]
    return next((path for path in candidates if (path / "pages").is_dir()), candidates[0])


def half_of(case_id: str) -> str:
    """Return the fixed half ("a" or "b") of a case: the parity of the SHA-1 of its folder name."""
    return "a" if int(hashlib.sha1(case_id.encode()).hexdigest(), 16) % 2 == 0 else "b"


def in_half(case_id: str, half: str) -> bool:
    """Say whether a case belongs to *half* ("a", "b" or "all")."""
    return half == "all" or half_of(case_id) == half


def case_url(meta: dict[str, Any], set_name: str, case_id: str) -> str:
    """Return the page's URL from its case.json, or a placeholder that never resolves."""
    return meta.get("url") or f"https://corpus.invalid/{set_name}/{case_id}.html"


def load_cases(corpus: Path, sets: tuple[str, ...] = SETS) -> list[dict[str, Any]]:
    """Return every page case of the given sets: set, case, url, bytes."""
    cases = []
    for set_name in sets:
        for case_file in sorted((corpus / "pages" / set_name).glob("*/case.json")):
            meta = json.loads(case_file.read_text(encoding="utf-8"))
            cases.append({
                "set": set_name,
                "case": case_file.parent.name,
                "url": case_url(meta, set_name, case_file.parent.name),
                "body": (case_file.parent / meta["body_file"]).read_bytes(),
            })
    return cases


def html_to_text(fragment: str) -> str:
    """Return the text of cleaned body HTML, one line per block."""
    if not fragment.strip():
        return ""
    root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    # The text a reader reads, as newsmirror.text.html_text gives it: ruby annotations
    # (furigana) are printed over the base text, not in it.
    lxml.etree.strip_elements(root, *RUBY_ANNOTATIONS, with_tail=False)
    for element in root.iter():
        if element.tag in _BLOCKS:
            element.tail = "\n" + (element.tail or "")
    return root.text_content().strip()


def page_author(response: HtmlResponse) -> str | None:
    """Return the byline the page itself names, without the post's site-name fallback."""
    # The post's author falls back to the site name when the page names nobody; the
    # benchmark scores the byline, so ask the extraction for the page's own field.
    # Both layouts are tried: newsmirror.sites.extract_article (before issue 13) and
    # whatever keeps that name afterwards.
    from newsmirror.extract.page import Page
    from newsmirror.sites import extract_article

    _, fields = extract_article(Page.from_response(response))
    return fields.author or None


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
        author = page_author(response)
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


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Read prediction rows written by :func:`write_jsonl` (or by a peer)."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").split("\n") if line.strip()]


def load_scorer(corpus: Path) -> ModuleType:
    """Import the corpus's own score.py."""
    spec = importlib.util.spec_from_file_location("corpus_score", corpus / "score.py")
    scorer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(scorer)
    return scorer


class Scoring:
    """The corpus gold, scored by the corpus's score.py, for any half and set."""

    def __init__(self, corpus: Path, sets: tuple[str, ...]) -> None:
        self.scorer = load_scorer(corpus)
        self.gold = {key: exp for key, exp in self.scorer.load_corpus(corpus).items() if key[0] in sets}

    def gold_for(self, half: str) -> dict[tuple[str, str], dict[str, Any]]:
        """Return the gold of the cases in *half*."""
        return {key: exp for key, exp in self.gold.items() if in_half(key[1], half)}

    def summary(self, predictions: list[dict[str, Any]], half: str) -> dict[str, Any]:
        """Return score.py's summary per set for the cases of *half*."""
        preds = {(row["set"], row["case"]): row for row in predictions}
        by_set = self.scorer.score(self.gold_for(half), preds)
        return {name: self.scorer.summarise(stats) for name, stats in by_set.items()}

    def per_case(self, predictions: list[dict[str, Any]], half: str) -> list[dict[str, Any]]:
        """Return score.py's per-case rows (which field hit, body P/R/F1, snippet counts)."""
        preds = {(row["set"], row["case"]): row for row in predictions}
        out = io.StringIO()
        self.scorer.score(self.gold_for(half), preds, out)
        return [json.loads(line) for line in out.getvalue().splitlines()]


def rate(summary: dict[str, Any], key: str) -> float | None:
    """Return one field's figure: AEB-style F1 for the body, snippet F, else the hit rate."""
    if key == "body":
        return summary["body"]["f1_aeb"] if "body" in summary else None
    if key == "snippets":
        return summary["snippets"]["f"] if "snippets" in summary else None
    value = summary.get(key)
    return value["rate"] if value else None


def count(summary: dict[str, Any], key: str) -> int | None:
    """Return how many cases a field is scored on."""
    if key == "body":
        return summary["body"]["n"] if "body" in summary else None
    if key == "snippets":
        snippets = summary.get("snippets")
        return snippets["tp"] + snippets["fn"] if snippets else None
    value = summary.get(key)
    return value["n"] if value else None


def set_table(set_name: str, half: str, rows: dict[str, dict[str, Any]]) -> str:
    """Return the Markdown table of one set and half: fields × extractors, best peer, target."""
    tools = [tool for tool in rows if set_name in rows[tool]]
    peers = [tool for tool in tools if tool != "newsmirror"]
    any_summary = rows[tools[0]][set_name]
    header = ["field", "n", *tools]
    if peers:
        header.append("best peer")
    header += ["target", "met"]
    lines = [f"{set_name}, half {half} ({any_summary['cases']} cases)", "",
             "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for key, label, _ in FIELDS:
        figures = {tool: rate(rows[tool][set_name], key) for tool in tools}
        if all(value is None for value in figures.values()):
            continue
        cells = [label, str(count(any_summary, key) or "-")]
        cells += [f"{figures[tool]:.3f}" if figures[tool] is not None else "-" for tool in tools]
        peer_figures = {tool: figures[tool] for tool in peers if figures[tool] is not None}
        best = max(peer_figures.values()) if peer_figures else None
        if peers:
            cells.append(f"{best:.3f} {max(peer_figures, key=peer_figures.get)}" if best is not None else "-")
        target = TARGETS.get(set_name, {}).get(key)
        cells.append(f"≥ {target:.2f}" if target is not None else "-")
        ours = figures.get("newsmirror")
        if ours is None or (target is None and best is None):
            cells.append("-")
        else:
            floor = max(target or 0.0, best if best is not None else 0.0)
            cells.append("yes" if ours >= floor - 1e-9 else "no")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def short(value: Any, limit: int = 90) -> str:
    """Return a one-line, cut-down rendering of a gold or predicted value."""
    text = " ".join(str(value).split()) if value is not None else "∅"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def misses(scoring: Scoring, predictions: list[dict[str, Any]], half: str, fields: list[str]) -> str:
    """Return newsmirror's failing cases per field: case, gold and prediction."""
    by_key = {(row["set"], row["case"]): row for row in predictions}
    lines = []
    for row in scoring.per_case(predictions, half):
        key = (row["set"], row["case"])
        gold, prediction = scoring.gold[key], by_key.get(key, {})
        for metric, label, field in FIELDS:
            if fields and metric not in fields and field not in fields and label not in fields:
                continue
            if metric == "body":
                failed = "body_f1" in row and row["body_f1"] < 0.9
                detail = f"P {row.get('body_p')} R {row.get('body_r')} F1 {row.get('body_f1')}"
            elif metric == "snippets":
                failed = bool(row.get("snip_fp") or row.get("snip_fn"))
                detail = f"missing {row.get('snip_fn')}, unwanted {row.get('snip_fp')}"
            else:
                failed = row.get(metric) is False
                wanted = {"title_exact": gold.get("title"), "author_hit": gold.get("author_any_of"),
                          "date_day": gold.get("date"), "date_minute": gold.get("date"),
                          "lead_image_exact": gold.get("lead_image")}[metric]
                detail = f"gold {short(wanted)} | got {short(prediction.get(field))}"
            if failed:
                dropped = f" (dropped: {short(prediction['dropped'])})" if "dropped" in prediction else ""
                lines.append(f"{row['set']:9} {label:11} {row['case']:40} {detail}{dropped}")
    lines.sort()
    return "\n".join(lines)


def run_peer(tool: str, corpus: Path, out: Path, sets: tuple[str, ...], reuse: bool) -> float | None:
    """Bring OUT/<tool>.jsonl up to date for *sets*; return pages/s of this run, None if failed.

    With *reuse*, the cached predictions stay and the peer runs only on the pages it
    has none for.
    """
    cache = out / f"{tool}.jsonl"
    cached = read_jsonl(cache) if reuse else []
    have = {(row["set"], row["case"]) for row in cached}
    wanted = [case for case in scored_case_ids(corpus, sets) if case not in have]
    if not wanted:
        return None
    if not COMPARE_PYTHON.exists():
        print(f"{tool}: no {COMPARE_PYTHON} (run `make bench-quality` to build it); column skipped",
              file=sys.stderr)
        return None
    wanted_file = out / f"{tool}.wanted.txt"
    wanted_file.write_text("".join(f"{s}/{c}\n" for s, c in wanted), encoding="utf-8")
    fresh = out / f"{tool}.new.jsonl"
    result = subprocess.run(
        [str(COMPARE_PYTHON), str(REPO_ROOT / "bench" / "compare_extractors.py"), tool,
         "--corpus", str(corpus), "--cases", str(wanted_file), "--out", str(fresh)],
        capture_output=True, text=True, check=False,
    )
    if result.returncode != 0:
        print(f"{tool}: failed ({result.stderr.strip()[-500:]}); column skipped", file=sys.stderr)
        return None
    new_rows = read_jsonl(fresh)
    new_keys = {(row["set"], row["case"]) for row in new_rows}
    merged = [row for row in cached if (row["set"], row["case"]) not in new_keys] + new_rows
    write_jsonl(cache, merged)
    fresh.unlink()
    wanted_file.unlink()
    return json.loads(result.stdout.strip().splitlines()[-1])["pages_per_second"]


def scored_case_ids(corpus: Path, sets: tuple[str, ...]) -> list[tuple[str, str]]:
    """Return (set, case) for every page of *sets*."""
    return [(set_name, case_file.parent.name)
            for set_name in sets
            for case_file in sorted((corpus / "pages" / set_name).glob("*/case.json"))]


def main() -> int:
    """Run the benchmark; print the tables and a JSON summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=default_corpus())
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "bench" / "out")
    parser.add_argument("--half", nargs="+", choices=HALVES, default=["all"],
                        help="which fixed half of every set to score (several: one table each)")
    parser.add_argument("--set", dest="sets", nargs="+", choices=SETS, default=list(SETS),
                        help="score only these sets")
    parser.add_argument("--tools", nargs="*", default=["newsmirror", *COMPARE_TOOLS],
                        help="columns to run: newsmirror and/or peers; `--tools newsmirror` is the fast mode")
    parser.add_argument("--reuse-peers", action="store_true",
                        help="keep the peers' predictions cached in OUT; run a peer only where it has none")
    parser.add_argument("--misses", nargs="*", metavar="FIELD",
                        help="list newsmirror's failing cases (of these fields: title, author, date, "
                             "date_minute, body, lead_image, snippets; none = all)")
    parser.add_argument("--rounds", type=int, default=0,
                        help="speed rounds of newsmirror (median pages/s; bench/extract_speed.py has the stages)")
    parser.add_argument("--profile", action="store_true", help="print where newsmirror's time goes")
    args = parser.parse_args()
    if not (args.corpus / "pages").is_dir():
        print(f"no corpus at {args.corpus}: pass --corpus DIR (the folder holding pages/)")
        return 2
    unknown = [tool for tool in args.tools if tool not in ("newsmirror", *COMPARE_TOOLS)]
    if unknown:
        parser.error(f"unknown tools {unknown}; choose from newsmirror, {', '.join(COMPARE_TOOLS)}")
    sets = tuple(name for name in SETS if name in args.sets)
    args.out.mkdir(parents=True, exist_ok=True)
    scoring = Scoring(args.corpus, sets)
    predictions: dict[str, list[dict[str, Any]]] = {}
    speeds: dict[str, float | None] = {}
    cases: list[dict[str, Any]] = []
    if "newsmirror" in args.tools or args.misses is not None or args.rounds or args.profile:
        cases = load_cases(args.corpus, sets)
        started = time.process_time()
        ours = [predict(case) for case in cases]
        speeds["newsmirror"] = len(cases) / max(time.process_time() - started, 1e-9)
        write_jsonl(args.out / "newsmirror.jsonl", ours)
        predictions["newsmirror"] = ours
        dropped = [row for row in ours if "dropped" in row]
        for row in dropped:
            print(f"dropped {row['set']}/{row['case']}: {row['dropped']}")
    for tool in args.tools:
        if tool == "newsmirror":
            continue
        speeds[tool] = run_peer(tool, args.corpus, args.out, sets, args.reuse_peers)
        rows = [row for row in read_jsonl(args.out / f"{tool}.jsonl") if row["set"] in sets]
        if rows:
            predictions[tool] = rows
    summaries = {half: {tool: scoring.summary(rows, half) for tool, rows in predictions.items()}
                 for half in args.half}
    for half, by_tool in summaries.items():
        for set_name in sets:
            if any(set_name in summary for summary in by_tool.values()):
                print(set_table(set_name, half, by_tool))
                print()
    if speeds:
        print("pages/s (CPU, this run; a peer reused from the cache shows -): " + ", ".join(
            f"{tool} {speed:.1f}" if speed else f"{tool} -" for tool, speed in speeds.items()))
    if args.rounds:
        seconds = statistics.median(timed_round(cases) for _ in range(args.rounds))
        print(f"newsmirror: {len(cases) / seconds:.1f} pages/s wall (median of {args.rounds} rounds)")
    if args.misses is not None and "newsmirror" in predictions:
        for half in args.half:
            print(f"\nnewsmirror misses, half {half}:")
            print(misses(scoring, predictions["newsmirror"], half, args.misses))
    if args.profile:
        print(profile(cases))
    print(json.dumps({"halves": summaries, "pages_per_second": speeds}, ensure_ascii=False, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
