"""Headlines: the page's own title, without the site name glued to it."""

from __future__ import annotations

import re

from newsmirror.extract.page import squash

# Separators sites use between a headline and their own name in <title> and og:title.
_SEPARATORS = re.compile(r"\s*(?:_|\|| - | – | — |丨|｜)\s*")


def strip_site_suffix(title: str, site_names: tuple[str, ...] = ()) -> str:
    """Return *title* without trailing site-name segments (``_新浪财经_新浪网``, `` | Reuters``)."""
    title = squash(title)
    for name in site_names:
        name = squash(name)
        for separator in (" - ", " | ", "_", "|", " – ", " — ", "｜", " : ", " -- ", "--"):
            if name and title.endswith(separator + name) and len(title) > len(separator + name):
                return title[: -len(separator + name)].strip()
    return title


def headline_from_document_title(title: str, headline_hint: str = "") -> str:
    """Return the headline inside a ``<title>``: the part before the site's segments.

    When the page's ``h1`` is a prefix of the title, it is the headline.  Otherwise the
    first segment is, if the rest looks like site names (short segments).
    """
    title = squash(title)
    if headline_hint and title.startswith(headline_hint):
        return headline_hint
    parts = _SEPARATORS.split(title)
    if len(parts) > 1 and all(len(part) <= 30 for part in parts[1:]) and parts[0]:
        return parts[0]
    return title
