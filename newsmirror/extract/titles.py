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


# Separators of a <title>'s segments, the spaced colon and guillemet included ("Headline : Blog").
_TITLE_SEGMENTS = re.compile(r"\s*(?:_|\||｜|丨)\s*|\s+(?:-|–|—|:|::|»|·|--)\s+")
# A site's name in a <title> is a few words; a longer segment that mentions it is a headline.
_MAX_SITE_NAME_WORDS = 4


def headline_beside_site_name(title: str, site_names: tuple[str, ...], host: str) -> str:
    """Return the longest segment of *title* beside one that names the site, or ''.

    ``Headline : Blog name | Motto | Founded 2005`` and ``Club name - Headline - Section``:
    the site's segment (one of *site_names*, or a few words holding a label of *host*)
    marks the <title> as headline plus site furniture, and the headline is its longest part.
    """
    segments = title_segments(title)
    rest = [segment for segment in segments if not names_site(segment, site_names, host)]
    if len(rest) == len(segments) or not rest:
        return ""
    headline = max(rest, key=len)
    return headline if " " in headline else ""


def title_segments(title: str) -> list[str]:
    """Return the non-empty segments of a <title> between its separators."""
    return [segment for segment in (squash(part) for part in _TITLE_SEGMENTS.split(squash(title))) if segment]


def names_site(segment: str, site_names: tuple[str, ...], host: str) -> bool:
    """Tell whether a <title> segment names the site: one of *site_names*, or a few words holding a label of *host*."""
    key = _folded(segment)
    if not key:
        return False
    if any(key == _folded(name) for name in site_names):
        return True
    return len(segment.split()) <= _MAX_SITE_NAME_WORDS and any(
        _folded(label) in key for label in host_labels_with_hyphens(host)
    )


def host_labels_with_hyphens(host: str) -> tuple[str, ...]:
    """Return :func:`host_labels` of *host*, counting "two-words.example" as a label too."""
    return host_labels((host or "").replace("-", ""))


def _folded(text: str) -> str:
    """Return *text* case-folded with only its letters and digits."""
    return "".join(char for char in text.casefold() if char.isalnum())
