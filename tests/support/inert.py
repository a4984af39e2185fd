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
            squashed = re.sub(r"[\s\x00-\x1f]+", "", html.unescape(value)).lower()
            if name in URL_ATTRIBUTES and re.match(r"(javascript|data|vbscript):", squashed):
                found.append(f"{tag} {name}={value}")
            # Text attributes (title, alt) may say "javascript:"; only URLs and styles act on it.
            if name in URL_ATTRIBUTES and ("expression(" in squashed or "javascript:" in squashed):
                found.append(f"{tag} {name}={value}")
    return found
