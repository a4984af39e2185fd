"""Fuzzing the path builder, the sanitizer and the exporter together.

Random titles, authors, categories, URLs and hostile HTML must give posts that are
valid (PyYAML and real Hexo read back the same text), contained (inside MIRROR_DIR,
visible to Hexo) and inert (nothing active in the HTML Hexo generates).

The example count comes from a Hypothesis profile: ``ci`` (the default, kept short)
or ``bench`` (``NEWSMIRROR_FUZZ_PROFILE=bench``, what ``bench/fuzz.py`` runs).
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from newsmirror.clean import clean_body, first_image
from newsmirror.exporters import Post, fold_text, render_post
from newsmirror.extract.page import Page
from newsmirror.store.posts import contained_path
from newsmirror.paths import PathBuilder, path_key, url_token, with_suffix
from tests.support.hexo import hexo_load, require_hexo
from tests.support.inert import active_parts
from tests.support.posts import check_layout

# CI replays the same examples on every run (derandomized), so a red run is reproducible;
# the bench profile explores new ones each time.
settings.register_profile(
    "ci", max_examples=150, derandomize=True, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)
settings.register_profile(
    "bench", max_examples=3000, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)
PROFILE = settings.get_profile(os.environ.get("NEWSMIRROR_FUZZ_PROFILE", "ci"))
# Posts handed to one Hexo run: Hexo's start-up dominates, so one batch per test.
HEXO_BATCH = {"ci": 60, "bench": 1000}.get(os.environ.get("NEWSMIRROR_FUZZ_PROFILE", "ci"), 60)

# --------------------------------------------------------------------------- strategies

# Any text a remote site can send (surrogates cannot come out of a decoder), with the
# characters that matter to YAML, paths and templates made likely.
TRICKY = [
    "../", "..\\", "/", "\\", ":", ": ", " #", "#", "---", "...", "'", '"', "{{", "}}", "{%", "%}", "{#",
    "%", "%2e%2e%2f", "~", "_", ".", "\x00", "\x07", "\n", "\r\n", "\u2028", "\u202e", "\u200b", "\ufeff",
    "CON", "nul", "LPT1", "no", "yes", "null", "~", "2024-01-02", "*", "&", "!", "@", "|", ">", "[", "]",
    "长", "𠀀", "é", "\u0301", " ",
]  # fmt: skip
any_char = st.characters(blacklist_categories=("Cs",))
remote_text = st.lists(st.one_of(st.sampled_from(TRICKY), st.text(any_char, max_size=8)), max_size=12).map("".join)
long_text = st.one_of(remote_text, st.integers(200, 4000).map(lambda n: "長" * n))

# Hostile HTML, built from the pieces attackers combine.
HOSTILE_URLS = [
    "javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:alert(1)", "java\tscript:alert(1)",
    "&#106;avascript:alert(1)", "&#x6A;avascript:alert(1)", "jav&#x09;ascript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD4=", "vbscript:x", "//evil.example/x.js", "http://169.254.169.254/",
    "https://ok.example.com/a.jpg", "pic.jpg", "", "#", "?q=1",
]  # fmt: skip
TAGS = [
    "p", "div", "span", "a", "img", "b", "i", "table", "td", "tr", "ul", "li", "h2", "blockquote", "figure",
    "script", "style", "iframe", "object", "embed", "svg", "math", "mtext", "mglyph", "form", "input",
    "button", "meta", "base", "link", "template", "noscript", "textarea", "select", "option", "frame",
    "xmp", "plaintext", "title", "foreignObject", "desc", "animate", "set", "use", "image",
]  # fmt: skip
ATTRIBUTES = [
    "href", "src", "srcset", "style", "action", "formaction", "xlink:href", "data", "poster", "background",
    "onerror", "onload", "onclick", "ONMOUSEOVER", "onfocus", "autofocus", "http-equiv", "content", "width",
    "height", "alt", "title", "class", "id", "srcdoc", "attributeName", "to", "values",
]  # fmt: skip
ATTRIBUTE_VALUES = st.one_of(
    st.sampled_from(HOSTILE_URLS),
    st.sampled_from(["expression(alert(1))", "background:url(javascript:alert(1))", "0;url=javascript:alert(1)", "refresh", "400"]),
    remote_text,
)
TEXTS = st.one_of(
    st.sampled_from(["{{ 7*7 }}", "{% raw %}x{% endraw %}", "{# c #}", "&lt;script&gt;", "]]>", "<!--", "-->", "<![CDATA[", "</",
                     "&#31;", "&#x0;", "&#xD800;", "&#1114112;", "&#x1b", "&#65;"]),
    remote_text,
)


def element(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Return a strategy for one element with hostile attributes around *children*."""

    def build(tag: str, attributes: list[tuple[str, str]], inner: list[str], closed: bool) -> str:
        attrs = "".join(f' {name}="{value}"' for name, value in attributes)
        return f"<{tag}{attrs}>{''.join(inner)}" + (f"</{tag}>" if closed else "")

    return st.builds(
        build,
        st.sampled_from(TAGS),
        st.lists(st.tuples(st.sampled_from(ATTRIBUTES), ATTRIBUTE_VALUES), max_size=4),
        st.lists(children, max_size=4),
        st.booleans(),
    )


hostile_html = st.recursive(TEXTS, element, max_leaves=25).map(lambda fragment: f"<p>Lead text.</p>{fragment}")
urls = st.one_of(
    st.builds(lambda host, path: f"https://{host}/{path}", st.sampled_from(["a.example.com", "b.example.cn"]), remote_text),
    st.sampled_from(HOSTILE_URLS),
)
WHEN = datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=8)))
PAGE_URL = "https://a.example.com/news/article.html"

# --------------------------------------------------------------------------- one post


def make_post(title: str, author: str, categories: list[str], url: str, body: str) -> tuple[str, bytes, dict]:
    """Build one post as the pipelines do: path, cleaned body, rendered bytes; return them and the expected fields."""
    folded_title = fold_text(title)
    categories = [category for category in categories if fold_text(category)] or ["news"]
    # Parsed as a fetched page is (Page drops what lxml cannot hold), then cleaned.
    page = Page.from_bytes(PAGE_URL, f"<html><body>{body}</body></html>".encode("utf-8"), "utf-8")
    cleaned = clean_body(page.tree.find("body"), PAGE_URL, (), folded_title)
    path = PathBuilder().build(title=folded_title, categories=categories, date=WHEN, url=url)
    data = render_post(
        Post(title=folded_title, categories=tuple(categories), author=author, date=WHEN, body_html=cleaned,
             lead_image=first_image(cleaned))
    )  # fmt: skip
    expected = {"title": folded_title, "author": fold_text(author), "categories": [fold_text(c) for c in categories]}
    return path, data, expected


def check_contained(mirror_dir: Path, relpath: str) -> None:
    """Assert *relpath* is inside *mirror_dir* and no segment is hidden from Hexo."""
    target = contained_path(mirror_dir, relpath)  # raises OutsideMirrorError
    assert target.resolve().is_relative_to(mirror_dir.resolve())
    for segment in relpath.split("/"):
        assert segment and not segment.startswith((".", "_")) and not segment.endswith(("~", "%"))
        assert len(segment.encode("utf-8")) <= 255
        assert "\x00" not in segment and "\\" not in segment


@PROFILE
@given(title=long_text, author=remote_text, categories=st.lists(remote_text, max_size=4), url=urls, body=hostile_html)
def test_any_input_gives_a_valid_contained_inert_post(
    tmp_path_factory, title: str, author: str, categories: list[str], url: str, body: str
) -> None:
    assume(fold_text(title))
    mirror_dir = tmp_path_factory.getbasetemp() / "fuzz-one"
    path, data, expected = make_post(title, author, categories, url, body)
    check_contained(mirror_dir, path)
    front = check_layout(data)
    for key, value in expected.items():
        assert front[key] == value
    _, body_text = data.decode("utf-8").split("\n---\n", 1)
    assert active_parts(body_text) == []
    assert "{{" not in body_text and "{%" not in body_text and "{#" not in body_text
    # The front matter is one YAML mapping, whatever the title held.
    assert isinstance(yaml.safe_load(data.decode("utf-8")[4:].split("\n---\n", 1)[0]), dict)


def test_hexo_loads_renders_and_keeps_inert_a_batch_of_fuzzed_posts(tmp_path: Path) -> None:
    require_hexo()
    mirror_dir = tmp_path / "mirror"
    written: dict[str, dict] = {}
    keys: set[str] = set()

    @settings(PROFILE, max_examples=HEXO_BATCH)
    @given(title=long_text, author=remote_text, categories=st.lists(remote_text, max_size=3), url=urls, body=hostile_html)
    def write_one(title: str, author: str, categories: list[str], url: str, body: str) -> None:
        if not fold_text(title):
            return
        path, data, expected = make_post(title, author, categories, url, body)
        if path_key(path) in keys:
            # What the writer pipeline does for a taken path: the URL's token as a suffix.
            path = with_suffix(path, url_token(url + str(len(keys))))
        if path_key(path) in keys:
            return
        keys.add(path_key(path))
        check_contained(mirror_dir, path)
        target = contained_path(mirror_dir, path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        written[path] = expected

    write_one()
    assert written
    loaded = {post["source"]: post for post in hexo_load(mirror_dir, generate=True)}
    assert set(loaded) == set(written), "Hexo must load every post"
    for path, expected in written.items():
        post = loaded[path]
        assert post["generated_ok"], path
        assert (post["title"], post["author"], post["categories"]) == (
            expected["title"], expected["author"], expected["categories"]
        ), path  # fmt: skip
        article = post["generated_html"].split('<article class="post-body">', 1)[1].rsplit("</article>", 1)[0]
        assert active_parts(article) == [], path
