"""Teasers and paywalls (issue 16): telling a body that is only part of its article.

Three signs, each general (no host is named):

- the page's structured data says ``isAccessibleForFree: false`` (read by
  :mod:`newsmirror.fields.access`);
- the page's body is much shorter than the feed's own HTML for the same item;
- the body ends in a subscription wall ("Subscribe to continue reading", "订阅后阅读全文").

Pure functions of text: reading (:mod:`newsmirror.reading`) calls them in reader
processes, and the pipeline (:mod:`newsmirror.screening`) applies ``MIRROR_PARTIAL``.
"""

from __future__ import annotations

import re
import unicodedata

# A page body shorter than this share of the feed's own text for the item is a teaser of it.
SHORTER_THAN_FEED = 0.5
# A feed text shorter than this many characters is a summary, not the article: no evidence.
FEED_TEXT_MIN = 400
# A wall stands at the end of what a reader gets: only this many last characters are searched.
WALL_WINDOW = 300

# The sentences subscription walls end a teaser with, across languages. Matched
# case-insensitively, with any whitespace between words, in the last WALL_WINDOW characters.
_WALL_PHRASES = (
    # English
    r"subscribe (now )?to (continue|keep) reading",
    r"(to )?(continue|keep) reading,? (please )?(subscribe|sign in|log ?in|register)",
    r"(this|the) (article|story|content) is (only )?(available |reserved )?(for|to) (paying )?(subscribers|members)( only)?",
    r"(already a subscriber|already have an account)\??,? (sign|log) ?in",
    r"(subscribe|sign in|log ?in|register) to (read|unlock|access) (the )?(full|whole|rest of the|entire) (article|story)",
    r"become a (subscriber|member) to (read|continue)",
    r"you have reached your (free )?(article )?limit",
    # Chinese
    r"(订阅|付费|购买|登录|登陆|注册|开通会员)(后|即可|以)?(阅读|查看|解锁)(全文|完整内容|剩余内容|更多)",
    r"(本文|该文章|此内容|本内容)(为|是|属于)?(付费|会员|订阅)(专享|专属|独家)?(内容|文章|阅读)",
    r"(剩余|余下)\s*\d*\s*%?\s*(的)?内容(需|请)?(付费|订阅|登录)",
    r"(訂閱|付費|購買|登入)(後|即可)?(閱讀|查看)(全文|完整內容)",
    # Japanese
    r"(この|本)記事は(有料)?会員(限定|専用)",
    r"続きを読むには.{0,20}(ログイン|会員登録|購読)",
    # German
    r"(jetzt )?weiterlesen mit .{0,20}(abo|plus|\+)",
    r"dieser (artikel|beitrag|inhalt) ist (nur )?(für|exklusiv für) (abonnenten|abonnentinnen|abonnierende|plus-leser)",
    r"(lesen sie|um) (den artikel |diesen artikel )?weiter(zulesen)?.{0,30}(abo|abonnement|registrieren)",
    # French
    r"(cet|l') article est réservé aux abonnés",
    r"il vous reste \d+\s*% de cet article à lire",
    r"abonnez-vous pour (lire|continuer)",
    # Spanish, Portuguese, Italian
    r"(este )?contenido (es )?exclusivo para (suscriptores|abonados)",
    r"suscr[ií]bete para (seguir|continuar) leyendo",
    r"conte[úu]do exclusivo para assinantes",
    r"assine para (continuar|ler)",
    r"(questo )?articolo (è )?riservato agli abbonati",
    r"abbonati per (continuare|leggere)",
    # Russian
    r"(подпишитесь|оформите подписку),? чтобы (продолжить|читать)",
    r"(этот )?материал доступен (только )?(для )?подписчик",
)
_WALL = re.compile("|".join(f"(?:{phrase})" for phrase in _WALL_PHRASES), re.IGNORECASE)
_SPACE = re.compile(r"\s+")


def _folded(text: str) -> str:
    """Return *text* width-folded (full-width letters, compatibility forms) with single spaces."""
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text)).strip()


def _folded_tail(text: str) -> str:
    """Return the last WALL_WINDOW characters of ``_folded(text)``, folding only the end of *text*."""
    # NFKC and the space runs act on each side of a whitespace character alone (no character
    # composes with one, and every whitespace character folds to whitespace), so the fold of
    # the text after a whitespace cut ends the fold of the whole. Folding a whole Chinese body,
    # never NFKC-stable for its full-width punctuation, cost half a millisecond a page.
    start = max(0, len(text) - 4 * WALL_WINDOW)
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    folded = _folded(text[start:])
    if start > 0 and len(folded) < WALL_WINDOW:
        folded = _folded(text)
    return folded[-WALL_WINDOW:]


def subscription_wall(body_text: str) -> str | None:
    """Return the wall sentence the body ends in, or None."""
    tail = _folded_tail(body_text)
    found = _WALL.search(tail)
    return found.group(0) if found else None


def text_length(text: str) -> int:
    """Return the length of *text* without whitespace: what a reader reads, in any script."""
    return len(_SPACE.sub("", text))


def shorter_than_feed(body_text: str, feed_text: str) -> tuple[int, int] | None:
    """Return (body, feed) lengths when the page's body is much shorter than the feed's text, else None.

    A feed text under FEED_TEXT_MIN characters is a summary: the page being longer or
    shorter than it says nothing.
    """
    body, feed = text_length(body_text), text_length(feed_text)
    if feed >= FEED_TEXT_MIN and body < feed * SHORTER_THAN_FEED:
        return body, feed
    return None


def teaser_reason(body_text: str, feed_text: str | None) -> str | None:
    """Return why a body is only a teaser of its article (its feed's text when the feed carried one), or None."""
    if feed_text:
        lengths = shorter_than_feed(body_text, feed_text)
        if lengths is not None:
            return f"the page's body ({lengths[0]} characters) is much shorter than the feed's ({lengths[1]})"
    wall = subscription_wall(body_text)
    if wall is not None:
        return f"the body ends in a subscription wall ({wall!r})"
    return None
