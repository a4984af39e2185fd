"""The post format: the sample's layout byte for byte, and YAML that reads back exactly."""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsmirror.exporters import Post, PostExporter, fold_text, render_post, yaml_scalar
from newsmirror.items import ArticleItem
from tests.support.hexo import hexo_load, require_hexo
from tests.support.posts import check_layout, split_post

SAMPLE_TIME = datetime(2022, 3, 29, 19, 47, 10, tzinfo=timezone(timedelta(hours=8)))


def sample_like(**changes: object) -> Post:
    """A post with the sample's front-matter values."""
    values: dict[str, object] = {
        "title": "李克强：深入推进正在开展的打击拐卖妇女儿童犯罪专项行动",
        "categories": ("金融", "新浪财经", "新浪财经－国內"),
        "author": "新浪财经",
        "date": SAMPLE_TIME,
        "body_html": "<p>正文</p>",
        "lead_image": "https://n.sinaimg.cn/finance/x.jpg",
    }
    values.update(changes)
    return Post(**values)  # type: ignore[arg-type]


def test_front_matter_matches_the_sample_layout_line_for_line(corpus: Path) -> None:
    sample = (corpus / "reference" / "sample-post.md").read_text(encoding="utf-8")
    sample_front = sample.lstrip("\n").split("\n---\n", 1)[0] + "\n---\n"
    # The sample's lead image is the QR promo (a defect); the layout is what we keep.
    ours = render_post(sample_like(lead_image="https://n.sinaimg.cn/finance/cece9e13/20200514/343233024.png"))
    assert ours.decode("utf-8").startswith(sample_front)


def test_post_bytes() -> None:
    assert render_post(sample_like(body_html="<p>a {b} c</p>\n")) == (
        "---\n"
        "title: '李克强：深入推进正在开展的打击拐卖妇女儿童犯罪专项行动'\n"
        "categories: \n"
        " - 金融\n"
        " - 新浪财经\n"
        " - 新浪财经－国內\n"
        "headimg: 'https://n.sinaimg.cn/finance/x.jpg'\n"
        "author: 新浪财经\n"
        "comments: false\n"
        "date: Tue, 29 Mar 2022 11:47:10 GMT\n"
        "thumbnail: 'https://n.sinaimg.cn/finance/x.jpg'\n"
        "---\n"
        "\n"
        "<div>\n"
        "<p>a &#123;b&#125; c</p>\n"
        "</div>\n"
    ).encode("utf-8")


def test_no_image_means_no_image_lines() -> None:
    text = render_post(sample_like(lead_image=None)).decode("utf-8")
    assert "headimg" not in text and "thumbnail" not in text and "picsum" not in text


def test_colon_in_title_is_kept() -> None:
    front, _ = split_post(render_post(sample_like(title="MuZero: Mastering Go, chess, shogi and Atari")))
    assert front["title"] == "MuZero: Mastering Go, chess, shogi and Atari"


def test_title_newlines_and_controls_fold_to_one_space() -> None:
    front, _ = split_post(render_post(sample_like(title="a\r\n\tb\x00\x1fc\u2028d")))
    assert front["title"] == "a b c d"


@pytest.mark.parametrize(
    ("value", "plain"),
    [
        ("新浪财经", True),
        ("新浪财经-自媒体综合", True),
        ("Maria Jensen", True),
        ("no", False),
        ("Yes", False),
        ("null", False),
        ("~", False),
        ("2024-01-02", False),
        ("12", False),
        ("*star", False),
        ("&anchor", False),
        ("!tag", False),
        ("%x", False),
        ("@x", False),
        ("#x", False),
        ("a: b", False),
        ("a #b", False),
        ("trailing:", False),
        ("zero\u200bwidth", False),
    ],
)
def test_plain_only_when_safe(value: str, plain: bool) -> None:
    written = yaml_scalar(value)
    assert (written == value) is plain
    assert yaml.safe_load(f"key: {written}") == {"key": value}


def test_exporter_writes_the_post_and_refuses_unknown_options() -> None:
    stream = io.BytesIO()
    PostExporter(stream).export_item(
        ArticleItem(url="https://a.example/1", title="T", categories=["c"], author="a", date=SAMPLE_TIME, body_html="<p>x</p>")
    )
    assert stream.getvalue() == render_post(sample_like(title="T", categories=("c",), author="a", body_html="<p>x</p>", lead_image=None))
    with pytest.raises(TypeError, match="colour"):
        PostExporter(io.BytesIO(), colour="red")


def test_naive_date_is_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        render_post(sample_like(date=datetime(2022, 3, 29, 11, 47, 10)))


def test_empty_title_is_refused() -> None:
    with pytest.raises(ValueError, match="title"):
        render_post(sample_like(title=" \n "))


# Any text a remote site can send: every code point but surrogates.
remote_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=60
).filter(lambda text: bool(fold_text(text)))


@settings(max_examples=400, deadline=None)
@given(title=remote_text, author=remote_text, categories=st.lists(remote_text, min_size=1, max_size=4))
def test_front_matter_round_trips_in_pyyaml(title: str, author: str, categories: list[str]) -> None:
    data = render_post(sample_like(title=title, author=author, categories=tuple(categories)))
    front = check_layout(data)
    assert front["title"] == fold_text(title)
    assert front["author"] == fold_text(author)
    assert front["categories"] == [fold_text(category) for category in categories]


def test_front_matter_round_trips_in_hexo(tmp_path: Path) -> None:
    require_hexo()
    written: dict[str, tuple[str, str, list[str]]] = {}

    @settings(max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(title=remote_text, author=remote_text, categories=st.lists(remote_text, min_size=1, max_size=3))
    def write_one(title: str, author: str, categories: list[str]) -> None:
        name = f"p{len(written):04d}.md"
        post = sample_like(title=title, author=author, categories=tuple(categories))
        (tmp_path / name).write_bytes(render_post(post))
        written[name] = (fold_text(title), fold_text(author), [fold_text(c) for c in categories])

    write_one()
    loaded = {post["source"]: post for post in hexo_load(tmp_path)}
    assert set(loaded) == set(written)
    for name, (title, author, categories) in written.items():
        assert (loaded[name]["title"], loaded[name]["author"], loaded[name]["categories"]) == (
            title,
            author,
            categories,
        ), name
