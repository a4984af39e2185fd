"""Headline clean-up and bylines: the rules the issue names, one case each."""

from __future__ import annotations

import pytest

from newsmirror.extract.bylines import (
    chinese_byline,
    clean_author,
    english_byline,
    forum_poster,
    chinese_reporter,
    leading_byline,
    signed_reporter,
)
from newsmirror.extract.titles import headline_from_document_title, strip_site_suffix


@pytest.mark.parametrize(
    ("document_title", "headline"),
    [
        ("债券市场是否存在泡沫？世界知名首席投资官们这么说_新浪财经_新浪网", "债券市场是否存在泡沫？世界知名首席投资官们这么说"),
        ("习近平会见外宾 - 新华网", "习近平会见外宾"),
        ("Markets rally as rates hold | Reuters", "Markets rally as rates hold"),
        ("苹果发布新iPhone 11：64GB售5499元|苹果|新品|新iPhone_电信_新浪科技_新浪网", "苹果发布新iPhone 11：64GB售5499元"),
        ("A headline - with a dash that is part of a very long headline text indeed", "A headline - with a dash that is part of a very long headline text indeed"),
        ("No suffix at all", "No suffix at all"),
    ],
)
def test_document_title_loses_the_site_suffix(document_title: str, headline: str) -> None:
    assert headline_from_document_title(document_title) == headline


def test_h1_prefix_of_the_title_is_the_headline() -> None:
    assert headline_from_document_title("Rates - what changes - Example News", "Rates - what changes") == "Rates - what changes"


def test_known_site_name_is_stripped_from_og_title() -> None:
    assert strip_site_suffix("Harbour fees rise | The Example Gazette", ("The Example Gazette",)) == "Harbour fees rise"
    assert strip_site_suffix("The Example Gazette", ("The Example Gazette",)) == "The Example Gazette"


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("2024年05月16日 17:02 来源：新京报 责任编辑：刘光博", "新京报"),
        ("2021-06-18 08:30　来源：示例日报　作者：李华", "示例日报"),
        ("作者：李华 2021-06-18", "李华"),
        ("本报记者 王小明 北京报道", "王小明"),
        ("文/李四 图/王五", "李四"),
        ("责任编辑：刘万里 SF014", ""),
        ("原文：见链接", ""),
    ],
)
def test_chinese_byline_is_the_source_or_writer_never_the_editor(header: str, name: str) -> None:
    assert chinese_byline(header) == name


@pytest.mark.parametrize(
    ("raw", "name"),
    [("By Ana Sandoiu", "Ana Sandoiu"), ("作者：李华", "李华"), ("https://example.com/author/x", ""), ("12345", ""), ("  ", "")],
)
def test_clean_author(raw: str, name: str) -> None:
    assert clean_author(raw) == name


def test_an_empty_writer_label_before_the_editor_names_nobody() -> None:
    assert chinese_byline("2017-03-10 09:58 作者： 责任编辑：肖春芳") == ""


@pytest.mark.parametrize(
    ("text", "name"),
    [("By Brenda Goodman, MA", "Brenda Goodman, MA"), ("Stella Kim and Jennifer Jett", "Stella Kim and Jennifer Jett"),
     ("Read more about our newsletter subscriptions", ""), ("", "")],
)
def test_english_byline(text: str, name: str) -> None:
    assert english_byline(text) == name


def test_double_dash_site_suffix_is_stripped() -> None:
    assert strip_site_suffix("Court files expose spy operation -- Sott.net", ("Sott.net",)) == "Court files expose spy operation"


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("2022-02-13 23:37 记者从上海昆剧团获悉，导演沈斌去世", ""),
        ("2005-04-05 06:40更新 来源：转载文章 第1页", ""),
        ("作者：佚名 2005-04-05", ""),
        ('作者：size="20" 2005', ""),
        ("记者 伊琳 李清芬 个人简介", "伊琳"),
    ],
)
def test_chinese_bylines_that_name_nobody(header: str, name: str) -> None:
    assert chinese_byline(header) == name


@pytest.mark.parametrize(
    ("text", "name"),
    [("周黎明留言板 发布时间 2005/05/17 22:11:42 by 眉间尺 〓← 返回", "眉间尺"), ("发布时间：2022-02-13 04:22:18 来源：云南日报", "")],
)
def test_forum_poster(text: str, name: str) -> None:
    assert forum_poster(text) == name


@pytest.mark.parametrize(
    ("header", "name"),
    [("石佳/中国青年报 2019-09-24 09:10 字号 超大", "石佳/中国青年报"), ("BUSINESS.SOHU.COM 2005年03月11日12:12", ""),
     ("来源：新华社 2019-09-24", ""), ("0/2000字 转发", "")],
)
def test_leading_byline(header: str, name: str) -> None:
    assert leading_byline(header) == name


@pytest.mark.parametrize(
    ("text", "name"),
    [("推动云南工业高质量发展。（记者 胡晓蓉） 责任编辑：孙重远", "胡晓蓉"), ("开学报到前完成。 □ 本报记者 葛灵丹 (责编：萧潇)", "葛灵丹"),
     ("（总台记者 张倩） | 最新", "张倩"), ("记者从上海昆剧团获悉", ""), ("（责任编辑：魏喆）", "")],
)
def test_signed_reporter(text: str, name: str) -> None:
    assert signed_reporter(text) == name


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("示例新闻记者 林小海 2024-05-16 09:30 来源：示例新闻", "林小海"),
        ("2024-05-16 09:30 本报记者 林小海", "林小海"),
        ("2024-05-16 09:30 据示例日报记者了解，航线下月开通", ""),  # a sentence: no space before the name
    ],
)
def test_a_reporter_titled_with_the_paper_they_write_for(header: str, name: str) -> None:
    assert chinese_reporter(header) == name
