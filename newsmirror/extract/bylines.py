"""Bylines: the article's source or writer, never the responsible editor."""

from __future__ import annotations

import re

from newsmirror.extract.page import squash

# 来源 (source), 作者 (author), 记者 (reporter), 文 (text by), 撰文 (written by).
# The name is matched possessively: a name running into '=' or a quote is markup, not a name.
# 责任编辑/编辑 (editor) is deliberately absent: an editor is not the author.
_LABELLED_NAME = r"\s*[:：/／|丨]\s*(?P<name>[^\s:：|丨,，;；。()（）【】\[\]<>=\"']{1,30}+)(?![=\"'])"
_CHINESE_BYLINE = re.compile(r"(?:来源|來源|作者|撰文|记者|記者|(?<![\u4e00-\u9fff])文)" + _LABELLED_NAME)
# The labels that name a person; 来源 names a source (an agency, a paper), which a named writer outranks.
_WRITER_BYLINE = re.compile(r"(?:作者|撰文|记者|記者|(?<![\u4e00-\u9fff])文)" + _LABELLED_NAME)
# A reporter's name is 2-4 characters, then a break: "记者从上海昆剧团获悉" names nobody.
# A paper or agency may come first ("澎湃新闻记者 贺梨萍"); then a space must part title and
# name, since a sentence runs on without one ("据新京报记者了解，").
_REPORTER = re.compile(
    r"(?:^|[\s（(【])(?:(?:本报|新华社)?记者\s*|[\u4e00-\u9fff]{2,8}?记者\s+)"
    r"(?P<name>[\u4e00-\u9fff·]{2,4})(?![\u4e00-\u9fff])"
)
# Words a 来源/作者 line uses to say "no named source": reprint, blog, this site, original, unknown, anonymous.
_NO_SOURCE = re.compile(r"^(?:转载|转自|博客|本站|原创|未知|佚名|综合)(?:文章|网站)?$")
_LABEL = re.compile(r"^(?:责任编辑|编辑|来源|來源|作者|记者|記者|发布时间|时间)")
# "By" in the languages of the pages we read: German, French, Spanish/Portuguese, Dutch, Polish,
# Scandinavian, Russian/Ukrainian; and Italian/Portuguese "di"/"da", only lower-case, since
# "Di Maria" and "Da Silva" are surnames.
_BYLINE_WORD = re.compile(
    r"^\s*(?:(?i:by|von|par|por|door|przez|av|af|автор|від|written\s+by|posted\s+by)(?:\s*:)?\s+|(?:di|da)\s+(?=[A-Z]))"
)
# A handle or a role glued after the name: "Williams Perdomo @wperdomod", "Jane Doe | Example Media".
_HANDLE_AFTER = re.compile(r"\s+@\w+$")
_PIPE_AFTER = re.compile(r"\s+[|｜]\s+.*$")
# A link, a number or a date ("作者：" left empty before the printed time) is no name.
_NOT_A_NAME = re.compile(r"^(?:https?:|www\.|\d+$|\d{2,4}[-/.年]\d)|@|\w\.(?:com|cn|net|org)\b", re.IGNORECASE)


def clean_author(value: str | None) -> str:
    """Return a byline reduced to the name(s): no "By ", no labels; '' when it is no name."""
    name = squash(value)
    name = _BYLINE_WORD.sub("", name)
    name = _PIPE_AFTER.sub("", _HANDLE_AFTER.sub("", name))
    name = re.sub(r"^(?:来源|來源|作者|撰文|记者|記者)\s*[:：]\s*", "", name)
    name = name.strip(" -–—|:：,，")
    if not name or len(name) > 80 or _NOT_A_NAME.search(name):
        return ""
    return name


def chinese_byline(text: str) -> str:
    """Return the 来源/作者/记者 named in a header line of Chinese text, or ''."""
    return _first_labelled(text, _CHINESE_BYLINE)


def chinese_writer(text: str) -> str:
    """Return the person a header line of Chinese text names as writer (作者/记者/文/撰文), never the 来源, or ''."""
    return _first_labelled(text, _WRITER_BYLINE, _SENTENCE)


# A person's name is at most 4 Han characters; a longer run after "记者：" is an interview's
# question ("记者：首先欢迎你来到…"), not a name. Several names are split by 、 or a space.
_SENTENCE = re.compile(r"[\u4e00-\u9fff]{5,}")


_REPORTER_BYLINE = re.compile(r"(?:记者|記者)" + _LABELLED_NAME)


def chinese_reporter(text: str) -> str:
    """Return the reporter (记者：X, 本报记者 X) a header line of Chinese text names, or ''."""
    return _first_labelled(text, _REPORTER_BYLINE, _SENTENCE)


def _first_labelled(text: str, labels: re.Pattern[str], not_names: re.Pattern[str] | None = None) -> str:
    """Return the first name *labels* or a reporter's title (本报记者 X) puts in *text*, or ''.

    A name *not_names* matches whole is skipped.
    """
    for match in (*labels.finditer(text), *_REPORTER.finditer(text)):
        if not_names is not None and not_names.fullmatch(match.group("name")):
            continue
        name = clean_author(match.group("name"))
        # An empty 作者： label followed by the next label ("作者： 责任编辑：X") names nobody.
        if name and not _LABEL.match(name) and not _NO_SOURCE.match(name):
            return name
    return ""


# Forum posts sign themselves after their time: "发布时间 2005/05/17 22:11:42 by 眉间尺".
# Wikis and forums in English say the same: "(last edited 2019-11-10 13:28:18 by JaneDoe)".
_POSTER = re.compile(
    r"(?:发布时间|發布時間|发表时间|發表時間|发表于|發表於|发布于|last edited|last modified|posted)"
    r"\s*[:：]?\s*(?:on\s+)?[\d/.:年月日\s-]{8,25}?\s*by\s+"
    r"(?P<name>[^\s〓|:：,，()（）<>]{1,30})",
    re.IGNORECASE,
)


# Blogs print who posted, next to the time: "由海姑娘张贴 @ 2005-06-14" (posted by),
# "ggjjzhzz 发表于 2005-9-15 11:46" (NAME published at). Only with a time after it: "由国务院发布"
# (issued by the State Council) in a sentence names no poster.
_POSTED_BY = re.compile(r"由\s*(?P<name>[^\s@:：|,，。()（）<>\[\]《》]{1,30}?)\s*(?:张贴|張貼|发表|發表|发布|發佈)\s*[@于於]?\s*(?:19|20)\d\d")
_PUBLISHED_AT = ("发表于", "發表於", "发布于", "發佈於")
# The name before "published at", read backwards from the label so the scan stays linear.
_NAME_BEFORE = re.compile(r"(?:^|\s)(?P<name>[^\s:：|,，。()（）<>\[\]《》]{2,30})\s+$")
_TIME_AFTER = re.compile(r"\s*[:：]?\s*(?:19|20)\d\d")


def forum_poster(text: str) -> str:
    """Return the poster who signs a forum or blog post next to its publish time ("… by NAME"), or ''."""
    match = _POSTER.search(text) if " by " in text or " BY " in text or " By " in text else None
    if match:
        return clean_author(match.group("name"))
    name = _blog_poster(text)
    return "" if _LABEL.match(name) else clean_author(name)


def _blog_poster(text: str) -> str:
    """Return the name a blog prints as its poster next to the time (由X张贴 @ date, X 发表于 date), or ''."""
    match = _POSTED_BY.search(text) if "由" in text else None
    if match:
        return match.group("name")
    for label in _PUBLISHED_AT:
        start = text.find(label)
        while start > 0:
            before = _NAME_BEFORE.search(text, max(0, start - 40), start)
            if before and _TIME_AFTER.match(text, start + len(label)):
                return before.group("name")
            start = text.find(label, start + 1)
    return ""


# Reporters often sign at the end of the text: "（记者 胡晓蓉）", "（总台记者 张倩）", "□ 本报记者 葛灵丹".
_SIGNATURE = re.compile(
    r"(?:[（(]\s*[\u4e00-\u9fff]{0,4}记者\s*(?P<inside>[\u4e00-\u9fff·]{2,4}(?:[、 ][\u4e00-\u9fff·]{2,4})*)\s*[）)]"
    r"|□\s*本报记者\s*(?P<after>[\u4e00-\u9fff·]{2,4})(?![\u4e00-\u9fff]))"
)


# Some headers print the writer alone, unlabelled, right before the time: "石佳/中国青年报 2019-09-24 09:10".
_LEADING_BYLINE = re.compile(r"^(?P<name>[^\s\d:：|丨,，;；。]{2,20})\s+(?:19|20)\d\d\s*[-/.年]")


def leading_byline(header: str) -> str:
    """Return an unlabelled byline that opens the header text, right before the printed time, or ''."""
    match = _LEADING_BYLINE.match(header)
    if match is None or _LABEL.match(match.group("name")) or _NO_SOURCE.match(match.group("name")):
        return ""
    return clean_author(match.group("name"))


def signed_reporter(text: str) -> str:
    """Return the reporter who signs the article text ("（记者 胡晓蓉）"), or ''."""
    match = _SIGNATURE.search(text)
    if match is None:
        return ""
    return clean_author(match.group("inside") or match.group("after"))


# A line that is only a name in brackets signs the text: "（袁源）". The same brackets hold
# notes that name nobody: the end (完, 全文完), "to be continued", a picture, a reprint.
SIGNED_LINE = re.compile(r"[（(]\s*(?P<name>[\u4e00-\u9fff·]{2,4})\s*[）)]")
_NOT_SIGNATURES = frozenset(
    "全文完 本文完 待续 未完 未完待续 原创 转载 组图 附图 图文 图片 资料图 资料图片 视频 供图 摘编 节选 有删节"
    " 上接 下转 续完 专稿 特稿 推荐 广告"
    # a portal's channel, printed after a link to another article: "（体育）"
    " 新闻 体育 娱乐 财经 科技 军事 国际 国内 社会 汽车 房产 教育 健康 旅游 时尚 文化 生活".split()
)


def signed_line(text: str) -> str:
    """Return the name when a whole line of text is a name in brackets ("（袁源）"), or ''."""
    match = SIGNED_LINE.fullmatch(text.strip())
    if match is None or match.group("name") in _NOT_SIGNATURES or _LABEL.match(match.group("name")):
        return ""
    return match.group("name")


# A short line of its own that names the writer or the source: "Quelle: kathpress" closing the
# text, "Text: Jane Doe", "Autor: Max Muster". German, Spanish/Portuguese, Polish, Dutch,
# Scandinavian, Italian, French.
CREDIT_LINE = re.compile(
    r"[(\[]?(?:Quelle|Fuente|Fonte|Źródło|Bron|Källa|Kilde|Text|Texto|Tekst|Testo|Autor|Autorin|Autore|Auteur|Autora)"
    r"\s*:\s*(?P<name>[^\W\d_][^:|•·]{0,38}?)[)\]]?\.?"
)


_PICTURE_CREDIT = re.compile(r"(?:Fotos?|Photos?|Bild|Bilder|Grafik|Foto\w*|Imagen|Imagem|Zdjęcie)\b", re.IGNORECASE)


def credit_line(text: str) -> str:
    """Return the writer or source a whole short line credits ("Quelle: kathpress"), or ''."""
    match = CREDIT_LINE.fullmatch(text.strip())
    if match is None or _PICTURE_CREDIT.match(match.group("name")):
        return ""  # "Quelle: Foto Jane Doe" credits the picture, not the text
    return clean_author(match.group("name"))


# The responsible editor, printed at the end of the text: "（ 责任编辑：魏喆 ）", "责编：萧潇".
# A name followed by a colon is the next label: "责任编辑： 平台声明：…" leaves the editor empty.
_EDITOR = re.compile(r"(?:责任编辑|責任編輯|责编|責編)\s*[:：]\s*(?P<name>[\u4e00-\u9fff·]{2,4})(?![\u4e00-\u9fff:：])")


def responsible_editor(text: str) -> str:
    """Return the responsible editor (责任编辑) the text prints, or '': the byline only where nobody else is named."""
    match = _EDITOR.search(text)
    return match.group("name") if match else ""


def is_editor(name: str, text: str) -> bool:
    """Tell whether *text* prints *name* as the responsible editor (责任编辑/编辑), not a writer."""
    return bool(name) and re.search(r"编辑\s*[:：]?\s*" + re.escape(name), text) is not None


# Lower-case words a list of names or a name itself may hold: "and"/"und"/"et"/"y", "de", "van".
_NAME_PARTICLES = frozenset("and & und et y e en de van von der den du del della da di la le".split())


def english_byline(text: str) -> str:
    """Return the name(s) of a printed English byline ("By Ana Sandoiu"), or '' for other text."""
    name = clean_author(text)
    words = name.replace(",", " ").split()
    # Names are a few capitalised words ("Richard (R.J.) Eskow", "Stella Kim and Jennifer Jett").
    if not 1 <= len(words) <= 8 or not all(word[0].isupper() or word in _NAME_PARTICLES or word[0] == "(" for word in words):
        return ""
    return name


# A byline printed as plain text under the headline: "By Jane Doe • May 16", "Von Max Muster",
# "by handle, Dec 19th". Lower-case "by" only where the header starts with it: inside a
# sentence it is prose ("written by hand").
_HEADER_BY = re.compile(
    r"(?:^(?:by|von|par|por)|(?:^|(?<=\s))(?:By|BY|Von|VON|Par|PAR|Por|POR|Door|Przez|Автор:?|Posted by|Written by))"
    r"\s+(?P<name>[^\W\d_][\w.'’-]*(?:\s+[\w.'’()-]+){0,5})"
)
# Words that end the name: the date, an update stamp, the sharing row, a role.
_AFTER_NAME = frozenset(
    "updated published posted last share follow email e-mail facebook twitter min read photo video"
    " aktualisiert veröffentlicht am um publié mis special staff writer reporter editor correspondent"
    " january february march april may june july august september october november december"
    " jan feb mar apr jun jul aug sep sept oct nov dec januar februar märz mai juni juli oktober dezember"
    " monday tuesday wednesday thursday friday saturday sunday today yesterday"
    " montag dienstag mittwoch donnerstag freitag samstag sonntag".split()
)


def header_byline(header: str) -> str:
    """Return the writer a header prints as text after a "By" word ("By Jane Doe 5 days ago"), or ''."""
    match = _HEADER_BY.search(header)
    if match is None:
        return ""
    words = []
    for word in match.group("name").split():
        bare = word.rstrip(",;:|•·")
        if not bare or bare.strip(".").casefold() in _AFTER_NAME or bare[0].isdigit():
            break
        words.append(bare)
        if bare != word:
            break  # a comma or a bar ends the name: "Jane Doe, Staff Writer"
    return english_byline(" ".join(words))


# A line of the header that is only the date and the writer, parted by a dash or a bar:
# "25.10.2022 - Jane Doe", "Jane Doe | 16. Mai 2024", "May 16, 2024 · Jane Doe".
_DAY = (
    r"(?:\d{1,2}\.\s?\d{1,2}\.\s?(?:19|20)\d\d|(?:19|20)\d\d-\d\d-\d\d|\d{1,2}/\d{1,2}/(?:19|20)\d\d"
    r"|\d{1,2}\.?\s+[^\W\d_]{3,10}\.?\s+(?:19|20)\d\d|[^\W\d_]{3,10}\.?\s+\d{1,2},?\s+(?:19|20)\d\d)"
)
_DATE_THEN_NAME = re.compile(rf"{_DAY}\s+[-–—|·•]\s+(?P<name>[^\d|·•]{{3,40}})")
_NAME_THEN_DATE = re.compile(rf"(?P<name>[^\d|·•]{{3,40}}?)\s+[-–—|·•]\s+{_DAY}")


def dated_byline(line: str) -> str:
    """Return the writer a whole line prints beside the date ("25.10.2022 - Jane Doe"), or ''.

    A person is named in two to four words; one word after a date is a place or a
    section ("16.05.2024 - Berlin").
    """
    line = squash(line)
    match = _DATE_THEN_NAME.fullmatch(line) or _NAME_THEN_DATE.fullmatch(line)
    if match is None:
        return ""
    name = english_byline(match.group("name"))
    return name if 2 <= len(name.split()) <= 4 else ""
