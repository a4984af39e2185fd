"""Site rules on the corpus: the Full-Text RSS sample rules against the generic path, per field.

Usage: python bench/site_rules.py [--corpus ../shared/corpus] [--rules ../shared/ftr-site-config-sample]
                                  [--cases] [--json]

For every corpus page (sets sina, zh-news, en-news, dates, multilang) whose host one of
the sample rules covers, the page is read three ways through the reading code a crawl
runs (:mod:`newsmirror.reading`):

- ``generic``: no rule (today's posts);
- ``rule as it stands``: the rule's value wherever it gives one (title, author, date,
  body), as Full-Text RSS applies it; the generic value only where the rule selects nothing;
- ``rule, guarded``: ``MIRROR_SITE_RULES`` as shipped: the rule's value unless it is too
  little or contradicts a confident generic value, and a body block without the extra
  link lists and furniture the generic body leaves out (newsmirror/siterules/apply.py).

Each is scored with the corpus's own ``score.py`` (title exact, author hit, date day,
body F1 of 4-token shingles per page, snippets F), on all pages and on each fixed half
(bench/quality.py's ``half_of``). Prints Markdown tables; ``--cases`` adds one line per
page and field where a way differs from the generic one; ``--json`` one line of every
figure, all pages and per half. Not part of ``make test``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from bench.quality import SETS, Scoring, default_corpus, half_of, html_to_text, load_cases  # noqa: E402
from newsmirror.extract.bylines import clean_author  # noqa: E402
from newsmirror.extract.dates import DateProblem, check_plausible, find_printed_date, parse_date  # noqa: E402
from newsmirror.extract.page import Page  # noqa: E402
from newsmirror.extract.titles import strip_site_suffix  # noqa: E402
from newsmirror.items import ArticleItem  # noqa: E402
from newsmirror.reading import Unreadable, clean_item, fill_from_page  # noqa: E402
from newsmirror.sites import extract_article, site_for, timezone_for  # noqa: E402
from newsmirror.sites.base import PageFields  # noqa: E402
from newsmirror.siterules import SiteRule, load_rule_book, rewrite_html  # noqa: E402

WAYS = ("generic", "rule as it stands", "rule, guarded")
# (per-case row key of score.py, label)
MEASURES = (("title_exact", "title exact"), ("author_hit", "author hit"), ("date_day", "date day"),
            ("body_f1", "body F1 (mean per page)"), ("snippets", "snippets F"))


def default_rules() -> Path:
    """Return ../shared/ftr-site-config-sample beside the checkout, or beside the folder of worktrees."""
    candidates = [REPO_ROOT.parent / "shared" / "ftr-site-config-sample",
                  REPO_ROOT.parents[1] / "shared" / "ftr-site-config-sample"]
    return next((path for path in candidates if path.is_dir()), candidates[0])


def rule_as_it_stands(fields: PageFields, page: Page) -> None:
    """Put back every rule value the guard passed over: the rule applied as Full-Text RSS would."""
    reading = fields.rule_reading
    if reading is None:
        return
    zone = timezone_for(page, site_for(page.url))
    if "body" in reading.candidates:
        # The block as the rule selects it: where the guard took it, it may have trimmed it.
        fields.body = reading.candidates["body"].value
    for name in reading.fallbacks:
        candidate = reading.candidates.get(name)
        if candidate is None:
            continue  # the rule selected nothing: Full-Text RSS autodetects too
        if name == "title":
            fields.title = strip_site_suffix(candidate.value, (fields.site_name,))
        elif name == "author":
            fields.author = clean_author(candidate.value) or candidate.value
        elif name == "date":
            try:
                moment = parse_date(candidate.value, zone)
            except DateProblem:
                moment = find_printed_date(candidate.value, zone)
            try:
                if moment is not None:
                    check_plausible(moment)
                    fields.date = moment
            except DateProblem:
                pass


def predict(case: dict[str, Any], rule: SiteRule | None, way: str) -> tuple[dict[str, Any], tuple[str, ...], dict[str, str]]:
    """Return one way's prediction for a page (as score.py reads it), the fallbacks and their reasons."""
    rewrite = (lambda text: rewrite_html(rule, text)) if rule is not None and rule.replacements else None
    page = Page.from_bytes(case["url"], case["body"], None, rewrite)
    _, fields = extract_article(page, {}, rule)
    if way == "rule as it stands":
        rule_as_it_stands(fields, page)
    item = ArticleItem(url=case["url"])
    prediction: dict[str, Any] = {"set": case["set"], "case": case["case"]}
    reasons = dict(fields.rule_reading.fallbacks) if fields.rule_reading is not None else {}
    try:
        fill_from_page(item, page.url, fields, site_for(page.url), "first-seen")
        clean_item(item)
    except Unreadable as problem:
        prediction["dropped"] = str(problem)
        return prediction, fields.rule_fallbacks, reasons
    prediction.update(title=item.title, author=fields.author or None,
                      date=item.date.isoformat() if item.date else None,
                      body_text=html_to_text(item.body_html or ""))
    return prediction, fields.rule_fallbacks, reasons


def figures(rows: list[dict[str, Any]]) -> dict[str, tuple[float, int] | None]:
    """Return each measure over score.py's per-case rows: (value, pages scored)."""
    found: dict[str, tuple[float, int] | None] = {}
    for key, _ in MEASURES:
        if key == "snippets":
            tp = sum(row.get("snip_tp", 0) for row in rows)
            fp = sum(row.get("snip_fp", 0) for row in rows)
            fn = sum(row.get("snip_fn", 0) for row in rows)
            scored = sum(1 for row in rows if "snip_tp" in row)
            p = tp / (tp + fp) if tp + fp else 0.0
            r = tp / (tp + fn) if tp + fn else 0.0
            found[key] = (2 * p * r / (p + r) if p + r else 0.0, scored) if scored else None
        else:
            values = [float(row[key]) for row in rows if key in row]
            found[key] = (statistics.mean(values), len(values)) if values else None
    return found


def table(per_way: dict[str, list[dict[str, Any]]], title: str) -> str:
    """Return one Markdown table: a row per measure, a column per way."""
    lines = [title, "", "| field | pages | " + " | ".join(WAYS) + " |", "|---|---|" + "---|" * len(WAYS)]
    scored = {way: figures(rows) for way, rows in per_way.items()}
    for key, label in MEASURES:
        if scored["generic"][key] is None:
            continue
        cells = [label, str(scored["generic"][key][1])]
        cells += [f"{scored[way][key][0]:.3f}" for way in WAYS]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the comparison and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=default_corpus())
    parser.add_argument("--rules", type=Path, default=default_rules())
    parser.add_argument("--cases", action="store_true", help="list every page and field where a way differs")
    parser.add_argument("--json", action="store_true", help="print the numbers as one JSON line too")
    args = parser.parse_args(argv)
    book = load_rule_book(args.rules)
    scoring = Scoring(args.corpus, SETS)
    cases = [(case, book.rule_for(case["url"])) for case in load_cases(args.corpus)]
    cases = [(case, rule) for case, rule in cases if rule is not None and (case["set"], case["case"]) in scoring.gold]
    predictions: dict[str, list[dict[str, Any]]] = {way: [] for way in WAYS}
    fallbacks: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    for case, rule in cases:
        for way in WAYS:
            prediction, fell_back, why = predict(case, None if way == "generic" else rule, way)
            predictions[way].append(prediction)
            if way == "rule, guarded":
                fallbacks.update(fell_back)
                reasons.update(f"{name}: {_kind(reason)}" for name, reason in why.items())
    rows = {way: scoring.per_case(predictions[way], "all") for way in WAYS}
    keys = {(case["set"], case["case"]) for case, _ in cases}
    rows = {way: [row for row in found if (row["set"], row["case"]) in keys] for way, found in rows.items()}
    rules_used = sorted({rule.name for _, rule in cases})
    hosts = sorted({urlsplit(case["url"]).hostname or "" for case, _ in cases})
    print(f"{len(cases)} corpus pages on {len(hosts)} hosts, {len(rules_used)} of the {len(book.rules)} sample rules\n")
    print(table(rows, "All pages"))
    for half in ("a", "b"):
        print()
        print(table({way: [row for row in found if half_of(row["case"]) == half] for way, found in rows.items()},
                    f"Half {half}"))
    print("\nGuarded fallbacks (field: why), over all pages:\n")
    for reason, number in reasons.most_common():
        print(f"- {reason}: {number}")
    if args.cases:
        print()
        print(differences(rows))
    if args.json:
        halves = {half: {way: figures([row for row in found if half_of(row["case"]) == half]) for way, found in rows.items()}
                  for half in ("a", "b")}
        print(json.dumps({**{way: figures(found) for way, found in rows.items()}, "halves": halves}))
    return 0


def _kind(reason: str) -> str:
    """Return the kind of a fallback reason, without its page's particulars."""
    kinds = {"selects anything": "selects nothing", "too little": "too little", "contradicts": "contradicts",
             "leaves out": "mostly text a confident generic body leaves out",
             "holds": "holds little of a confident generic body", "is no date": "is no date",
             "is no name": "is no name", "before 1990": "before 1990", "future": "in the future"}
    for kind, label in kinds.items():
        if kind in reason:
            return label
    return reason[:60]


def differences(rows: dict[str, list[dict[str, Any]]]) -> str:
    """Return one line per page and measure where a rule way scores differently from the generic way."""
    generic = {(row["set"], row["case"]): row for row in rows["generic"]}
    lines = []
    for way in WAYS[1:]:
        for row in rows[way]:
            base = generic[(row["set"], row["case"])]
            for key, label in MEASURES:
                if key in row and key in base and row[key] != base[key]:
                    lines.append(f"{way:18} {row['case']:45} {label:24} {base[key]} -> {row[key]}")
    return "\n".join(sorted(lines))


if __name__ == "__main__":
    raise SystemExit(main())
