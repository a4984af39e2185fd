"""Comparison rows for bench/quality.py: run one well-known extractor over the corpus pages.

Usage (in bench/.venv-compare, which `make bench-quality` builds):
    python bench/compare_extractors.py TOOL --corpus DIR --out PRED.jsonl

TOOL is trafilatura, readability (readability-lxml), newspaper4k, gne, htmldate
(``extensive_search`` on, its default) or htmldate-fast (off), both with
``original_date=True``; htmldate reads only the date. ``--cases FILE`` (lines
``set/case``) limits the run to those pages, so bench/quality.py can fill gaps in its
cache. Each gets the
page decoded by newsmirror's own decoder (a standard-library module), so every row reads
the same text and only extraction is compared; trafilatura, which decodes bytes itself,
gets the same decoded text too. Writes one prediction a line in score.py's format and, as
its last stdout line, ``{"pages_per_second": N}`` (one pass, CPU time).
GNE is GPL-3.0: it is run here as a tool, and nothing of it is copied into newsmirror.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

try:  # standard library only; it may move when the extraction is restructured
    from newsmirror.extract.encoding import decode_html  # noqa: E402
except ImportError:  # pragma: no cover
    from newsmirror.extract.decoding import decode_html  # type: ignore[no-redef]  # noqa: E402

SETS = ("sina", "zh-news", "en-news", "dates", "multilang")
Extractor = Callable[[str, str], dict[str, Any]]


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def trafilatura_extractor() -> Extractor:
    """Return trafilatura's extraction with metadata, in its default (balanced) mode."""
    import trafilatura

    def run(html: str, url: str) -> dict[str, Any]:
        extracted = trafilatura.bare_extraction(html, url=url, with_metadata=True)
        if not extracted:
            return {}
        document = extracted.as_dict()
        return {"title": _text(document.get("title")), "author": _text(document.get("author")),
                "date": _text(document.get("date")), "body_text": document.get("text") or "",
                "lead_image": _text(document.get("image"))}

    return run


def readability_extractor() -> Extractor:
    """Return readability-lxml: main content and short title (it reads no date or author)."""
    import lxml.html
    from readability import Document

    def run(html: str, url: str) -> dict[str, Any]:
        document = Document(html, url=url)
        summary = document.summary(html_partial=True)
        text = lxml.html.fragment_fromstring(summary, create_parent="div").text_content() if summary.strip() else ""
        return {"title": _text(document.short_title()), "body_text": text}

    return run


def newspaper_extractor() -> Extractor:
    """Return newspaper4k's Article parse (no download: the stored HTML is handed in)."""
    warnings.simplefilter("ignore")
    from newspaper import Article

    def run(html: str, url: str) -> dict[str, Any]:
        article = Article(url, fetch_images=False)
        article.download(input_html=html)
        article.parse()
        return {"title": _text(article.title), "author": list(article.authors) or None,
                "date": article.publish_date.isoformat() if article.publish_date else None,
                "body_text": article.text or "", "lead_image": _text(article.top_image)}

    return run


def gne_extractor() -> Extractor:
    """Return GNE's GeneralNewsExtractor with its defaults."""
    from gne import GeneralNewsExtractor

    extractor = GeneralNewsExtractor()

    def run(html: str, url: str) -> dict[str, Any]:
        result = extractor.extract(html, host=url)
        images = result.get("images") or []
        # GNE prints the time as found ("2019-09-09 20:52:00"): naive local time, as score.py reads it.
        return {"title": _text(result.get("title")), "author": _text(result.get("author")),
                "date": _text(result.get("publish_time")), "body_text": result.get("content") or "",
                "lead_image": images[0] if images else None}

    return run


def htmldate_extractor(extensive: bool) -> Callable[[], Extractor]:
    """Return htmldate's find_date for the original publication day, extensive search on or off."""

    def make() -> Extractor:
        from htmldate import find_date

        def run(html: str, url: str) -> dict[str, Any]:
            found = find_date(html, url=url, original_date=True, extensive_search=extensive)
            return {"date": _text(found)}

        return run

    return make


TOOLS = {"trafilatura": trafilatura_extractor, "readability": readability_extractor,
         "newspaper4k": newspaper_extractor, "gne": gne_extractor,
         "htmldate": htmldate_extractor(True), "htmldate-fast": htmldate_extractor(False)}


def main() -> int:
    """Run one extractor over the corpus and write its predictions."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tool", choices=sorted(TOOLS))
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--cases", type=Path, help="run only these pages: one `set/case` a line")
    args = parser.parse_args()
    wanted = set(args.cases.read_text(encoding="utf-8").split()) if args.cases else None
    extractor = TOOLS[args.tool]()
    pages = []
    for set_name in SETS:
        for case_file in sorted((args.corpus / "pages" / set_name).glob("*/case.json")):
            if wanted is not None and f"{set_name}/{case_file.parent.name}" not in wanted:
                continue
            meta = json.loads(case_file.read_text(encoding="utf-8"))
            html, _ = decode_html((case_file.parent / meta["body_file"]).read_bytes())
            url = meta.get("url") or f"https://corpus.invalid/{set_name}/{case_file.parent.name}.html"
            pages.append((set_name, case_file.parent.name, url, html))
    rows = []
    # CPU time, not wall time: the machine is shared, and CPU is what a page costs.
    started = time.process_time()
    for set_name, case, url, html in pages:
        try:
            prediction = extractor(html, url)
        except Exception as error:  # noqa: BLE001  a tool failing on one page is a miss, not the end
            print(f"{args.tool} failed on {set_name}/{case}: {error!r}", file=sys.stderr)
            prediction = {}
        rows.append({"set": set_name, "case": case, **prediction})
    seconds = max(time.process_time() - started, 1e-9)
    args.out.write_text("".join(json.dumps(row, ensure_ascii=False, default=str) + "\n" for row in rows),
                        encoding="utf-8")
    print(json.dumps({"pages_per_second": round(len(pages) / seconds, 1)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
