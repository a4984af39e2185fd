"""Post paths: the older system's file-name rule, and nothing that escapes or collides."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsmirror.paths import (
    MAX_NAME_BYTES,
    MAX_PATH_BYTES,
    PathBuilder,
    PathTemplateError,
    path_key,
    safe_name,
    url_token,
    with_suffix,
)

WHEN = datetime(2022, 3, 29, 11, 47, 10, tzinfo=timezone.utc)
URL = "https://finance.sina.com.cn/a.shtml"


def build(title: str, categories: tuple[str, ...] = ("金融", "新浪财经", "新浪财经－国內"), template: str | None = None) -> str:
    builder = PathBuilder(template) if template else PathBuilder()
    return builder.build(title=title, categories=categories, date=WHEN, url=URL, site="新浪财经")


def test_default_layout_is_the_older_systems() -> None:
    assert (
        build("李克强：深入推进正在开展的打击拐卖妇女儿童犯罪专项行动")
        == "金融/新浪财经/新浪财经－国內/李克强：深入推进正在开展的打击拐卖妇女儿童犯罪专项行动.md"
    )
    # The older system's own file for a title with an ASCII colon.
    assert build("MuZero: Mastering Go, chess, shogi and Atari without rules", ("新媒体", "DeepMind", "Blog")) == (
        "新媒体/DeepMind/Blog/MuZero_ Mastering Go, chess, shogi and Atari without rules.md"
    )


@pytest.mark.parametrize(
    ("title", "name"),
    [
        ('a:b/c\\d?e*f<g>h|i[j]k“l”m', "a_b_c_d_e_f_g_h_i_j_k_l_m"),
        ("v1.2 #hot\nnews", "v12 hotnews"),
        ('全角：？和"引号"', '全角：？和"引号"'),
        ("tab\tand\x00nul\x7f", "tabandnul"),
    ],
)
def test_file_name_rule(title: str, name: str) -> None:
    assert safe_name(title) == name


@pytest.mark.parametrize("title", ["../../etc/passwd", "/etc/passwd", "..", ".", "....", "a/../../b"])
def test_paths_stay_inside(title: str) -> None:
    path = build(title, categories=("..", "/abs", "."))
    assert not path.startswith("/")
    assert ".." not in path.split("/")
    assert all(segment for segment in path.split("/"))


@pytest.mark.parametrize("title", ["CON", "nul", "Com1", "COM0", "LPT9", "aux"])
def test_device_names_are_defused(title: str) -> None:
    assert build(title, categories=()) == f"{title}_.md"
    assert build("x", categories=(title, f"{title}.d")) == f"{title}_/{title}_.d/x.md"


@pytest.mark.parametrize("title", ["_draft", ".hidden", "*star", "ends~", "fifty%"])
def test_names_hexo_would_skip_are_avoided(title: str) -> None:
    # Hexo ignores names starting with "_" or "." and ending with "~" or "%".
    name = build(title, categories=("_cat", ".cat")).split("/")
    assert all(not part.startswith(("_", ".")) and not part.endswith(("~", "%", "~.md", "%.md")) for part in name)


@pytest.mark.parametrize(("title", "name"), [("GDP up 5% on year", "GDP up 5％ on year.md"), ("100%25 sure", "100％25 sure.md")])
def test_percent_signs_never_reach_hexo_s_uri_decoding(title: str, name: str) -> None:
    # Hexo decodeURI()s source paths: "5% on" fails to load, "%25" would name another file.
    assert build(title, categories=("50%off",)) == f"50％off/{name}"


def test_folders_keep_inner_dots() -> None:
    assert build("x", categories=("Node.js", "news.example.com", ".hidden.")) == "Node.js/news.example.com/hidden/x.md"


def test_long_names_are_cut_on_a_character_boundary() -> None:
    path = build("长" * 300)
    name = path.rsplit("/", 1)[1]
    assert len(name.encode("utf-8")) <= 200  # MIRROR_DIR names: at most 200 bytes, as docs/post-format.md says
    # Whole three-byte characters only (a split one would not be "长"), and ".md" stays.
    stem = name.removesuffix(".md")
    assert name.endswith(".md") and set(stem) == {"长"} and len(stem) >= 60


def test_whole_path_fits_one_hexo_folder_name() -> None:
    # Hexo makes "a/b/title" one public/ folder "a-b-title": over 255 bytes, generate fails.
    path = build("长" * 300, categories=("金融" * 40, "新浪财经" * 30, "国內" * 50))
    assert len(path[: -len(".md")].encode("utf-8")) <= MAX_PATH_BYTES
    assert path.rsplit("/", 1)[1].startswith("长" * 20)
    assert len(with_suffix(path, "0123abcd").encode("utf-8")) < 255
    assert build("Short title") == "金融/新浪财经/新浪财经－国內/Short title.md"


@pytest.mark.parametrize(
    ("first", "second"),
    [("金融/A & B.md", "金融/A - B.md"), ("Café.md", "cafe.md"), ("a/b.md", "a-b.md"), ("x}}.md", "x.md")],
)
def test_paths_hexo_would_publish_as_one_page_collide_in_the_key(first: str, second: str) -> None:
    # Hexo names a post's page after slugize(path): these pairs would share one index.html.
    assert path_key(first) == path_key(second)
    assert path_key("金融/A & B.md") != path_key("金融/A & C.md")


def test_suffix_keeps_the_limit() -> None:
    path = with_suffix(build("长" * 300), "0123abcd")
    name = path.rsplit("/", 1)[1]
    assert name.endswith("-0123abcd.md") and len(name.encode("utf-8")) <= MAX_NAME_BYTES


def test_title_of_removed_characters_still_gets_a_name() -> None:
    assert build("...#.", categories=()).startswith("post-")


def test_case_and_normalization_collide_in_the_key() -> None:
    assert path_key("A/Title.md") == path_key("a/title.md")
    assert path_key("caf\u00e9.md") == path_key("cafe\u0301.md")


def test_template() -> None:
    assert build("Tide gauge", template="{date:%Y/%m}/{slug}.md") == "2022/03/tide-gauge.md"
    assert build("x", template="{site}/{id}.md") == f"新浪财经/{url_token(URL)}.md"


@pytest.mark.parametrize("template", ["{title}", "{nope}/{title}.md", "{title.md"])
def test_bad_templates_fail_at_start(template: str) -> None:
    with pytest.raises(PathTemplateError):
        PathBuilder(template)


@settings(max_examples=300, deadline=None)
@given(
    title=st.text(min_size=1, max_size=120),
    categories=st.lists(st.text(max_size=40), max_size=4),
)
def test_any_title_gives_a_contained_visible_path(title: str, categories: list[str]) -> None:
    path = build(title, tuple(categories))
    segments = path.split("/")
    assert path.endswith(".md") and not path.startswith("/")
    for segment in segments:
        assert segment not in ("", ".", "..")
        assert not segment.startswith((".", "_"))
        assert len(segment.encode("utf-8")) <= MAX_NAME_BYTES
        assert not any(ord(ch) < 32 or ch in '\\:*?<>|' for ch in segment)
