"""A page's language, as far as extraction needs it: Chinese or not, and the zone that follows."""

from __future__ import annotations

import re
from datetime import tzinfo
from zoneinfo import ZoneInfo

from newsmirror.extract.page import Page

_CHINESE_LANG = re.compile(r"^zh", re.IGNORECASE)
_HAN = re.compile(r"[\u4e00-\u9fff]")
# Share of Han characters in the document title that marks a Chinese page with no lang
# attribute: most Chinese news pages declare none, and mixed titles ("iPhone 11 发布") count.
_CHINESE_TITLE_SHARE = 0.3


def is_chinese(page: Page) -> bool:
    """Tell whether a page is in Chinese: its lang, a GB encoding, or a mostly-Han title."""
    lang = page.tree.get("lang") or page.meta("content-language", "language") or ""
    if _CHINESE_LANG.match(lang) or page.encoding == "gb18030":
        return True
    title = re.sub(r"\s+", "", page.first_text("title") or page.first_text("h1"))
    return bool(title) and len(_HAN.findall(title)) >= len(title) * _CHINESE_TITLE_SHARE


def guess_timezone(page: Page) -> tzinfo:
    """Return the zone to read a page's naive times in: China for Chinese pages, else UTC."""
    return ZoneInfo("Asia/Shanghai") if is_chinese(page) else ZoneInfo("UTC")
