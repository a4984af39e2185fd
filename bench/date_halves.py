"""Day accuracy of the publication date on one corpus set, per half (issue 13).

Runs the code path a crawl runs (``newsmirror.pipelines.read_article``) on every page of
one set and scores the dates with the corpus's own ``score.py``. The set is split into two
halves by case id (half a: ``sha1(case_id)`` even) so a change tuned on one half can be
checked on the other. ``--fast`` turns htmldate's extensive search off.

    .venv/bin/python bench/date_halves.py --set dates [--fast]
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from scrapy.http import HtmlResponse

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

import newsmirror.fields.date as date_field  # noqa: E402
from newsmirror.pipelines import ArticleDropped, read_article  # noqa: E402


def half(case_id: str) -> str:
    """Return "a" or "b": the half of the set the case belongs to."""
    return "a" if int(hashlib.sha1(case_id.encode()).hexdigest(), 16) % 2 == 0 else "b"


def predict(corpus: Path, set_name: str) -> tuple[list[dict[str, Any]], float]:
    """Return one prediction row per page of *set_name*, and the mean seconds per page."""
    started = datetime.now(timezone.utc)
    rows, seconds = [], 0.0
    for case_file in sorted((corpus / "pages" / set_name).glob("*/case.json")):
        meta = json.loads(case_file.read_text(encoding="utf-8"))
        case = case_file.parent.name
        url = meta.get("url") or f"https://corpus.invalid/{set_name}/{case}.html"
        response = HtmlResponse(url, body=(case_file.parent / meta["body_file"]).read_bytes())
        row: dict[str, Any] = {"set": set_name, "case": case}
        began = time.perf_counter()
        try:
            item = read_article(response, undated="first-seen")
            # first-seen stamps an undated page with the crawl time: that is no prediction.
            row["date"] = item.date.isoformat() if item.date and item.date < started else None
        except ArticleDropped as dropped:
            row["dropped"] = str(dropped)
        seconds += time.perf_counter() - began
        rows.append(row)
    return rows, seconds / max(len(rows), 1)


def main() -> int:
    """Print day accuracy per half and the milliseconds per page."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=REPO_ROOT.parent / "shared" / "corpus")
    parser.add_argument("--set", default="dates")
    parser.add_argument("--fast", action="store_true", help="htmldate without extensive search")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "bench" / "out" / "date_halves.jsonl")
    args = parser.parse_args()
    date_field.EXTENSIVE_SEARCH = not args.fast
    rows, per_page = predict(args.corpus, args.set)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    spec = importlib.util.spec_from_file_location("corpus_score", args.corpus / "score.py")
    scorer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(scorer)
    cases = scorer.load_corpus(args.corpus, args.set)
    predictions, _ = scorer.load_predictions(args.out)
    for name in ("a", "b"):
        subset = {key: case for key, case in cases.items() if key[0] == args.set and half(key[1]) == name}
        hit, total = scorer.score(subset, predictions)[args.set]["date_day"]
        print(f"{args.set} half {name}: date day {hit}/{total} = {hit / total:.3f}")
    print(f"{len(rows)} pages, {1000 * per_page:.1f} ms/page (whole read path)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
