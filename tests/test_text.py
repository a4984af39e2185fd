"""The readable text of an HTML fragment: what the teaser check, the duplicate check and
``scrapy extract`` read of a body."""

from __future__ import annotations

import re

from newsmirror.fingerprints import fingerprint_of, similarity
from newsmirror.text import html_text

# A sentence for young readers with furigana over every kanji, and the same sentence without.
FURIGANA = (
    "<p><ruby>子<rt>こ</rt></ruby>どもへの<ruby>虐待<rp>(</rp><rt>ぎゃくたい</rt><rp>)</rp></ruby>を"
    "なくすための<ruby>法律<rt>ほうりつ</rt></ruby>ができて、<ruby>親<rt>おや</rt></ruby>が"
    "<ruby>子<rt>こ</rt></ruby>どもを<ruby>教育<rt>きょういく</rt></ruby>するために、"
    "たたいたり<ruby>蹴<rt>け</rt></ruby>ったりする<ruby>体罰<rt>たいばつ</rt></ruby>を"
    "<ruby>禁止<rt>きんし</rt></ruby>することになりました。</p>"
)
PLAIN = "<p>子どもへの虐待をなくすための法律ができて、親が子どもを教育するために、たたいたり蹴ったりする体罰を禁止することになりました。</p>"


def unspaced(text: str) -> str:
    """Return *text* without white space (html_text puts a space where an element ends)."""
    return re.sub(r"\s+", "", text)


def test_ruby_annotations_are_not_read_as_text_of_their_own() -> None:
    assert unspaced(html_text(FURIGANA)) == unspaced(html_text(PLAIN))
    assert unspaced(html_text("<p>a<ruby>漢<rp>（</rp><rt>hàn</rt><rp>）</rp></ruby>b</p>")) == "a漢b"


def test_a_copy_with_furigana_is_the_same_text_to_the_duplicate_check() -> None:
    with_readings, without = fingerprint_of(html_text(FURIGANA)), fingerprint_of(html_text(PLAIN))
    assert with_readings is not None and without is not None
    assert similarity(with_readings, without) == 1.0


def test_scripts_and_styles_are_not_text() -> None:
    assert unspaced(html_text("<p>正文<script>var a = 1;</script><style>p{}</style>完</p>")) == "正文完"
