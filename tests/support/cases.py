"""Site fixture cases: raw page bytes, the URL and headers they are served with, expected fields.

Each case is a folder ``tests/sites/<site key>/<case>/`` holding ``page.html`` (bytes as
served, never re-encoded) and ``case.json``::

    {"url": "...", "headers": {"Content-Type": "..."}, "about": "...",
     "expected": {"title": ..., "author": ..., "date": "ISO 8601", "canonical_url": ...,
                  "lead_image": ... or null, "site_name": ..., "body_has": [...], "body_lacks": [...]}}
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scrapy.http import HtmlResponse

SITES_DIR = Path(__file__).resolve().parents[1] / "sites"


@dataclass(frozen=True)
class SiteCase:
    """One fixture page of one site."""

    site: str
    name: str
    folder: Path
    url: str
    headers: dict[str, str]
    expected: dict[str, Any]

    @property
    def body(self) -> bytes:
        """Return the page's bytes exactly as served."""
        return (self.folder / "page.html").read_bytes()

    def response(self) -> HtmlResponse:
        """Return the Scrapy response a crawl would receive for this page."""
        return HtmlResponse(self.url, body=self.body, headers=self.headers)

    def served_path(self) -> Path:
        """Return where the loopback server expects this page: ``<host>/<path>``."""
        parts = urlsplit(self.url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        return Path(parts.hostname or "localhost") / path.lstrip("/")


def load_cases(site: str | None = None) -> list[SiteCase]:
    """Return every fixture case, or those of one site, in a stable order."""
    cases = []
    for case_file in sorted(SITES_DIR.glob(f"{site or '*'}/*/case.json")):
        data = json.loads(case_file.read_text(encoding="utf-8"))
        cases.append(
            SiteCase(
                site=case_file.parent.parent.name,
                name=case_file.parent.name,
                folder=case_file.parent,
                url=data["url"],
                headers=data.get("headers", {}),
                expected=data["expected"],
            )
        )
    return cases


def build_site(root: Path, cases: list[SiteCase]) -> Path:
    """Lay the cases out under *root* the way the loopback server serves them; return *root*."""
    for case in cases:
        target = root / case.served_path()
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(case.body)
        if case.headers:
            header_lines = [f"{name}: {value}" for name, value in case.headers.items()]
            target.with_name(target.name + ".headers").write_text("\n".join(header_lines) + "\n", encoding="utf-8")
    return root
