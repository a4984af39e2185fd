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


# Separators sites put between a headline and a label glued to it in the same line
# ("Opinion | …", "… | Editorial", "Pétition : …", "Kolumne: …"): the label is a segment.
_LABEL_SEPARATORS = re.compile(r"\s+(?:\||-|–|—|::|»|·|--|:)\s+|(?<=\w):\s+")
# Host labels too short or too generic to tell a site's name by ("www", "de", "co").
_MIN_HOST_LABEL = 4
_GENERIC_HOST_LABELS = frozenset({"www", "news", "blog", "blogs", "mobile", "home", "info"})


def label_segments(title: str) -> list[str]:
    """Return the parts of *title* between label separators (one part when there is none)."""
    return [part for part in (squash(part) for part in _LABEL_SEPARATORS.split(squash(title))) if part]


def host_labels(host: str) -> tuple[str, ...]:
    """Return the labels of *host* that can name a site ("neubau.example.ch": "neubau", "example")."""
    labels = (host or "").lower().removeprefix("www.").split(".")[:-1]
    return tuple(
        label for label in labels
        if len(label) >= _MIN_HOST_LABEL and label not in _GENERIC_HOST_LABELS and label.isalnum()
    )
