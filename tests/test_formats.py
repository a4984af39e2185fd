"""The post formats without a tool: exact bytes, YAML that reads back as written, contained paths.

tests/test_exporter.py proves the hexo format; tests/test_formats_hugo.py and
tests/test_formats_jekyll.py run the real tools on crawled posts.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsmirror.formats import FORMATS, UnknownFormat, get_format
from newsmirror.formats.frontmatter import Post
from newsmirror.formats.jekyll import jekyll_categories, jekyll_date
from newsmirror.paths import DEFAULT_PATH_TEMPLATE
from newsmirror.store.posts import contained_path
from newsmirror.text import fold_text

WHEN = datetime(2022, 3, 29, 19, 47, 10, tzinfo=timezone(timedelta(hours=8)))
# Jekyll's own rule for a post's file name (Jekyll::Document::DATE_FILENAME_MATCHER).
JEKYLL_NAME = re.compile(r"^(?:.+/)*?(\d{2,4}-\d{1,2}-\d{1,2})-([^/]*)(\.[^.]+)$")


def sample(**changes: object) -> Post:
    """A post with the sample's values."""
    values: dict[str, object] = {
        "title": "李克强：深入推进正在开展的打击拐卖妇女儿童犯罪专项行动",
        "categories": ("金融", "新浪财经"),
        "author": "新浪财经",
        "date": WHEN,
        "body_html": "<p>正文 {{< x >}} {% y %}</p>\n",
        "lead_image": "https://n.sinaimg.cn/finance/x.jpg",
        "source_url": "https://finance.sina.com.cn/a.shtml",
    }
    values.update(changes)
    return Post(**values)  # type: ignore[arg-type]


def split(data: bytes) -> tuple[dict, str]:
    """Return PyYAML's front matter and the body of a post."""
    text = data.decode("utf-8")
    assert text.startswith("---\n")
    front, separator, body = text[4:].partition("\n---\n")
    assert separator
    loaded = yaml.safe_load(front)
    assert isinstance(loaded, dict)
    return loaded, body


def test_hugo_post_bytes() -> None:
    assert get_format("hugo", path_template=DEFAULT_PATH_TEMPLATE).render(sample(), with_link=True) == (
        "---\n"
        "title: '李克强：深入推进正在开展的打击拐卖妇女儿童犯罪专项行动'\n"
        "date: 2022-03-29T19:47:10+08:00\n"
        "author: 新浪财经\n"
        "categories:\n"
        "  - 金融\n"
        "  - 新浪财经\n"
        "images:\n"
        "  - 'https://n.sinaimg.cn/finance/x.jpg'\n"
        "featured_image: 'https://n.sinaimg.cn/finance/x.jpg'\n"
        "link: 'https://finance.sina.com.cn/a.shtml'\n"
        "---\n"
        "<div>\n"
        "<p>正文 &#123;&#123;< x >&#125;&#125; &#123;% y %&#125;</p>\n"
        "</div>\n"
    ).encode("utf-8")


def test_jekyll_post_bytes() -> None:
    assert get_format("jekyll", path_template=DEFAULT_PATH_TEMPLATE).render(sample(lead_image=None)) == (
        "---\n"
        "title: '李克强：深入推进正在开展的打击拐卖妇女儿童犯罪专项行动'\n"
        "date: '2022-03-29 19:47:10 +0800'\n"
        "author: 新浪财经\n"
        "categories:\n"
        "  - 金融\n"
        "  - 新浪财经\n"
        "---\n"
        "\n"
        "<div>\n"
        "<p>正文 &#123;&#123;< x >&#125;&#125; &#123;% y %&#125;</p>\n"
        "</div>\n"
    ).encode("utf-8")


@pytest.mark.parametrize(
    ("name", "template", "images", "expected"),
    [
        ("hexo", DEFAULT_PATH_TEMPLATE, False, "金融/新浪财经/Quay works_ begin.md"),
        ("hugo", DEFAULT_PATH_TEMPLATE, False, "金融/新浪财经/Quay works_ begin.html"),
        ("hugo", DEFAULT_PATH_TEMPLATE, True, "金融/新浪财经/Quay works_ begin/index.html"),
        ("hugo", "{date:%Y/%m}/{slug}.md", True, "2022/03/quay-works-begin/index.html"),
        # Jekyll reads each folder above _posts as a category: category folders are left out.
        ("jekyll", DEFAULT_PATH_TEMPLATE, False, "_posts/2022-03-29-quay-works-begin.md"),
        ("jekyll", "news/{site}/{categories}/{title}.md", False, "news/Example Daily/_posts/2022-03-29-quay-works-begin.md"),
    ],
)
def test_where_each_format_puts_a_post(name: str, template: str, images: bool, expected: str) -> None:
    post_format = get_format(name, path_template=template, images=images)
    built = post_format.build_path(title="Quay works: begin", categories=["金融", "新浪财经"], date=WHEN,
                                   url="https://a.example/1", site="Example Daily")  # fmt: skip
    assert built == expected


def test_a_colliding_post_gets_the_token_before_the_extension() -> None:
    common = {"title": "Quay", "categories": ["a"], "date": WHEN, "url": "https://a.example/1", "token": "0badc0de"}
    assert get_format("hugo", path_template=DEFAULT_PATH_TEMPLATE).build_path(**common) == "a/Quay-0badc0de.html"
    bundle = get_format("hugo", path_template=DEFAULT_PATH_TEMPLATE, images=True)
    assert bundle.build_path(**common) == "a/Quay-0badc0de/index.html"
    jekyll = get_format("jekyll", path_template=DEFAULT_PATH_TEMPLATE)
    assert jekyll.build_path(**common) == "_posts/2022-03-29-quay-0badc0de.md"


def test_a_title_without_letters_still_gives_jekyll_a_slug() -> None:
    jekyll = get_format("jekyll", path_template=DEFAULT_PATH_TEMPLATE)
    built = jekyll.build_path(title="!!! ???", categories=["a"], date=WHEN, url="https://a.example/1")
    match = JEKYLL_NAME.match(built)
    assert match and match.group(2).startswith("post-")


def test_page_bundle_images_sit_beside_index_html(tmp_path: Path) -> None:
    bundle = get_format("hugo", path_template=DEFAULT_PATH_TEMPLATE, images=True)
    assert bundle.asset_folder(tmp_path / "a" / "Quay" / "index.html") == tmp_path / "a" / "Quay"
    # A post written before MIRROR_IMAGES was on keeps Hexo's layout of an asset folder.
    assert bundle.asset_folder(tmp_path / "a" / "Quay.html") == tmp_path / "a" / "Quay"


def test_jekyll_never_reads_a_scheme_or_a_host_in_the_first_category() -> None:
    assert jekyll_categories(["1a: b", "x: y"]) == ["1a\uff1a b", "x: y"]  # only the first can start a URL
    assert jekyll_categories(["//a b"]) == ["\uff0f/a b"]
    assert jekyll_categories(["News", "x: y", "News"]) == ["News", "x: y"]
    assert jekyll_categories(["a:b", "a\uff1ab"]) == ["a\uff1ab"]


def test_jekyll_refuses_local_image_copies_it_would_not_publish() -> None:
    with pytest.raises(ValueError, match="MIRROR_IMAGES does not work with the jekyll format"):
        get_format("jekyll", path_template=DEFAULT_PATH_TEMPLATE, images=True)


def test_every_format_has_its_page_in_the_docs() -> None:
    docs = Path(__file__).resolve().parents[1] / "docs" / "formats"
    assert [name for name in FORMATS if not (docs / f"{name}.md").is_file()] == []


def test_an_unknown_format_is_refused_with_the_known_ones() -> None:
    with pytest.raises(UnknownFormat, match="unknown post format 'wordpress'; the formats are hexo, hugo, jekyll"):
        get_format("wordpress", path_template=DEFAULT_PATH_TEMPLATE)


# Any text a remote site can send: every code point but surrogates, YAML's troublemakers likely.
TRICKY = ["'", '"', ": ", " #", "{{", "}}", "{%", "- ", "no", "2024-01-02", "*", "&", "!", "|", ">", "\n", "\u202e", "../", "_", "."]
remote_text = st.lists(
    st.one_of(st.sampled_from(TRICKY), st.text(st.characters(blacklist_categories=("Cs",)), max_size=8)), min_size=1, max_size=8
).map("".join).filter(lambda text: bool(fold_text(text)))
zones = st.integers(-14 * 60, 14 * 60).map(lambda minutes: timezone(timedelta(minutes=minutes)))
moments = st.builds(
    lambda day, zone: day.replace(tzinfo=zone), st.datetimes(datetime(1971, 1, 1), datetime(2099, 12, 31)), zones
)
TOOL_FORMATS = ["hugo", "jekyll"]  # hexo: tests/test_exporter.py; markdown: tests/test_format_markdown.py


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(name=st.sampled_from(TOOL_FORMATS), title=remote_text, author=remote_text,
       categories=st.lists(remote_text, min_size=1, max_size=3), when=moments, image=st.one_of(st.none(), remote_text))  # fmt: skip
def test_front_matter_reads_back_as_written_in_pyyaml(
    name: str, title: str, author: str, categories: list[str], when: datetime, image: str | None
) -> None:
    post = sample(title=title, author=author, categories=tuple(categories), date=when, lead_image=image)
    front, body = split(get_format(name, path_template=DEFAULT_PATH_TEMPLATE).render(post, with_link=True))
    assert front["title"] == fold_text(title)
    assert front["author"] == fold_text(author)
    folded = [fold_text(category) for category in categories]
    assert front["categories"] == (folded if name == "hugo" else jekyll_categories(folded))
    assert front["link"] == "https://finance.sina.com.cn/a.shtml"
    if name == "hugo":
        assert front["date"] == when.replace(microsecond=0)  # a YAML timestamp, zone kept
        assert front.get("images") == ([fold_text(image)] if image and fold_text(image) else None)
    else:
        assert front["date"] == jekyll_date(when)  # quoted: the string, as written
        assert front.get("image") == (fold_text(image) if image and fold_text(image) else None)
    assert "{" not in body and "}" not in body


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(name=st.sampled_from(TOOL_FORMATS), bundles=st.booleans(), title=remote_text,
       categories=st.lists(remote_text, max_size=4), site=remote_text, when=moments)  # fmt: skip
def test_paths_stay_contained_and_are_what_the_tool_reads(
    tmp_path_factory: pytest.TempPathFactory, name: str, bundles: bool, title: str, categories: list[str], site: str,
    when: datetime,
) -> None:
    images = bundles and name == "hugo"  # MIRROR_IMAGES: Hugo's page bundles; Jekyll refuses it
    post_format = get_format(name, path_template="{site}/{categories}/{title}.md", images=images)
    built = post_format.build_path(title=title, categories=categories, date=when, url="https://a.example/1", site=site)
    contained_path(tmp_path_factory.getbasetemp(), built)  # raises OutsideMirrorError
    *folders, file_name = built.split("/")
    for segment in built.split("/"):
        assert segment and len(segment.encode("utf-8")) <= 255 and "\x00" not in segment and "\\" not in segment
    for folder in folders:
        # Hugo and Jekyll skip names starting with "." or "_" (but Jekyll's own _posts).
        assert folder == "_posts" or not folder.startswith((".", "_")), built
    if name == "hugo":
        assert file_name == "index.html" if images else file_name.endswith(".html") and not file_name.startswith((".", "_"))
    else:
        assert folders[-1] == "_posts" and "_posts" not in folders[:-1]
        match = JEKYLL_NAME.match(file_name)
        assert match and match.group(1) == f"{when:%Y-%m-%d}" and match.group(2) and match.group(3) == ".md", built
