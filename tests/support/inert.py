"""What "inert" means for post HTML: no active element, handler, style or script URL left."""

from __future__ import annotations

import html
import re

import lxml.html

ACTIVE_ELEMENTS = {
    "script", "iframe", "object", "embed", "svg", "math", "form", "input", "button", "meta", "base",
    "link", "style", "frame", "frameset", "applet", "param", "textarea", "select", "template",
}  # fmt: skip
URL_ATTRIBUTES = {"href", "src", "srcset", "action", "formaction", "xlink:href", "data", "poster", "background", "cite"}


def active_parts(fragment: str) -> list[str]:
    """Return every active thing left in an HTML fragment, parsed the way a browser would."""
    found = []
    for element in lxml.html.fragment_fromstring(fragment, create_parent="div").iter():
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag.lower() in ACTIVE_ELEMENTS:
            found.append(f"<{tag}>")
        for name, value in element.attrib.items():
            name = name.lower()
            if name.startswith("on") or name == "style":
                found.append(f"{tag} {name}")
            if name not in URL_ATTRIBUTES:
                continue  # text attributes (title, alt) may say "javascript:" harmlessly
            # srcset holds several URLs; a browser strips whitespace and controls from each.
            candidates = html.unescape(value).split(",") if name == "srcset" else [html.unescape(value)]
            for candidate in candidates:
                squashed = re.sub(r"[\s\x00-\x1f]+", "", candidate).lower()
                if re.match(r"(javascript|data|vbscript):", squashed):
                    found.append(f"{tag} {name}={value}")
    return found
