"""Dump every field a crawl reads from every corpus page, to check a speed-up changes none.

Usage: python bench/same_output.py OUT.jsonl [--corpus ../shared/corpus]; run it before and
after a change and ``cmp`` the two files. One line per page: the title, date, author, site
name, canonical URL, share and lead image and the cleaned body HTML, or why it was dropped.
Stricter than ``bench/quality.py``: a body that changes by one tag shows here.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from scrapy.exceptions import DropItem
from scrapy.http import HtmlResponse

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from bench.extract_speed import SETS, load_pages  # noqa: E402
from bench.quality import default_corpus  # noqa: E402
from newsmirror.pipelines import read_article  # noqa: E402

FIELDS = ("title", "date", "author", "site_name", "canonical_url", "share_image", "lead_image", "body_html")


def main() -> int:
    """Write one JSON line per corpus page with every field read_article gives it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--corpus", type=Path, default=default_corpus())
    args = parser.parse_args()
    with args.out.open("w", encoding="utf-8") as out:
        for set_name in SETS:
            for url, body in load_pages(args.corpus, set_name):
                try:
                    item = read_article(HtmlResponse(url, body=body), undated="first-seen")
                    row = {name: str(getattr(item, name, None)) for name in FIELDS}
                except DropItem as dropped:
                    row = {"dropped": str(dropped)}
                out.write(json.dumps({"url": url, **row}, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
