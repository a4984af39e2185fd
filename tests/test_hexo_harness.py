"""Tests of the Hexo harness (tests/support/hexo.py + tests/hexo/load_posts.js) against real Hexo 8."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.support import hexo as hexo_support
from tests.support.hexo import LOAD_SCRIPT, HexoError, ensure_hexo, hexo_load, require_hexo

SAMPLE_TITLE = "李克强：深入推进正在开展的打击拐卖妇女儿童犯罪专项行动"
SAMPLE_IMG = "https://n.sinaimg.cn/finance/cece9e13/20200514/343233024.png"
SAMPLE_CATEGORIES = ["金融", "新浪财经", "新浪财经－国內"]


@pytest.fixture(scope="module")
def hexo() -> Path:
    """Skip (locally) or fail (CI=true) a test when Node/Hexo can't run."""
    return require_hexo()


def sq(value: str) -> str:
    """YAML single-quoted scalar: the only escape is '' for '."""
    return "'" + value.replace("'", "''") + "'"


def make_post(
    title: str,
    categories: list[str],
    author: str,
    date: str,
    body: str,
    headimg: str | None = None,
) -> str:
    """A post in the newsmirror layout, quoting every string value."""
    lines = ["---", f"title: {sq(title)}", "categories: "]
    lines += [f" - {sq(c)}" for c in categories]
    if headimg is not None:
        lines.append(f"headimg: {sq(headimg)}")
    lines += [f"author: {sq(author)}", "comments: false", f"date: {date}"]
    if headimg is not None:
        lines.append(f"thumbnail: {sq(headimg)}")
    lines += ["---", "", body, ""]
    return "\n".join(lines)


def front_matter(text: str) -> dict:
    """PyYAML's reading of the block between the first two `---` lines."""
    lines = text.split("\n")
    start = next(i for i, line in enumerate(lines) if line.strip())
    assert lines[start] == "---", "post must open with ---"
    end = lines.index("---", start + 1)
    return yaml.safe_load("\n".join(lines[start + 1 : end]))


def write(root: Path, rel: str, text: str) -> Path:
    """Write one post file below root, creating category folders."""
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def by_source(posts: list[dict]) -> dict[str, dict]:
    """Index hexo_load() output by source path."""
    return {p["source"]: p for p in posts}


def test_reference_sample_loads_like_hexo_8(hexo: Path, tmp_path: Path, corpus: Path) -> None:
    sample_post = corpus / "reference" / "sample-post.md"
    rel = f"金融/新浪财经/新浪财经－国內/{SAMPLE_TITLE}.md"
    dest = tmp_path / "posts" / rel
    dest.parent.mkdir(parents=True)
    shutil.copyfile(sample_post, dest)

    [post] = hexo_load(tmp_path / "posts")

    assert post["source"] == rel
    # The file's own title line, so the test follows the corpus rather than a copy of it.
    m = re.search(r"^title: '(.*)'$", sample_post.read_text(encoding="utf-8"), re.M)
    assert m and post["title"] == m.group(1).replace("''", "'") == SAMPLE_TITLE
    # `Tue, 29 Mar 2022 11:47:10 GMT` is an absolute instant, stored unchanged.
    assert post["date"] == "2022-03-29T11:47:10.000Z"
    assert post["categories"] == SAMPLE_CATEGORIES
    # Three levels, each the child of the previous one (not three sibling categories).
    assert post["category_paths"] == ["金融", "金融/新浪财经", "金融/新浪财经/新浪财经－国內"]
    assert post["headimg"] == SAMPLE_IMG
    assert post["thumbnail"] == SAMPLE_IMG
    assert post["author"] == "新浪财经"
    assert post["comments"] is False
    assert "打击治理拐卖人口事关家庭幸福" in post["content_html"]


TRICKY_TITLE = "*Breaking: it's #1 {x} news"
TRICKY_CASES = {
    # The case the brief asks for: ', ": ", " #", "{" and a leading "*".
    "tricky.md": (TRICKY_TITLE, ["新闻", "2024-01-02", "x: y"], "no"),
    "quotes.md": ("He said \"yes\" and 'no'", ["a"], "yes"),
    "backslash.md": ("C:\\path\\n not a newline", ["a"], "off"),
    "braces.md": ("{{ x }} and {% raw %} and {# c #}", ["b"], "null"),
    "html.md": ("<b>bold</b> & &amp; <script>", ["b"], "~"),
    "dash.md": ("- not a list; > not folded | not literal", ["c"], "true"),
    "at.md": ("@handle `code` [link] !important ? %20", ["c"], "1.0"),
    "unicode.md": ("全角：＂标点＂ — emoji 📈 and tab\there", ["金融", "新浪财经"], "新浪财经"),
    "numeric.md": ("2024-01-02", ["0x1F", "1e3", "0777"], "123"),
    "anchors.md": ("&anchor *alias !!str %TAG", ["c"], "No"),
}


def test_tricky_quoted_values_survive_hexo_and_pyyaml(hexo: Path, tmp_path: Path) -> None:
    posts_dir = tmp_path / "posts"
    texts: dict[str, str] = {}
    for name, (title, cats, author) in TRICKY_CASES.items():
        img = "https://example.com/a b.png?x=1&y='2'" if name == "tricky.md" else None
        texts[name] = make_post(title, cats, author, "Sat, 06 Jan 2024 23:59:59 GMT", "<p>body</p>", img)
        write(posts_dir, name, texts[name])

    loaded = by_source(hexo_load(posts_dir))

    assert set(loaded) == set(TRICKY_CASES)
    for name, (title, cats, author) in TRICKY_CASES.items():
        post, fm = loaded[name], front_matter(texts[name])
        assert post["title"] == fm["title"] == title, name
        assert post["author"] == fm["author"] == author, name
        assert fm["categories"] == cats, name
        assert post["categories"] == cats, name
        assert post["category_paths"] == ["/".join(cats[: i + 1]) for i in range(len(cats))], name
        assert post["comments"] is False and fm["comments"] is False, name
        assert post["date"] == "2024-01-06T23:59:59.000Z", name
    assert loaded["tricky.md"]["headimg"] == loaded["tricky.md"]["thumbnail"] == "https://example.com/a b.png?x=1&y='2'"
    assert loaded["quotes.md"]["headimg"] is None and loaded["quotes.md"]["thumbnail"] is None


def test_unquoted_values_are_where_hexo_and_pyyaml_disagree(hexo: Path, tmp_path: Path) -> None:
    # Why the writer must quote: js-yaml (Hexo, YAML 1.2) and PyYAML (YAML 1.1) read
    # these plain scalars differently, and Hexo turns a YAML date into Date.toString().
    text = "---\ntitle: plain\ncategories: \n - 2024-01-02\nauthor: no\ndate: Sat, 06 Jan 2024 23:59:59 GMT\n---\n\nx\n"
    write(tmp_path / "posts", "plain.md", text)
    [post] = hexo_load(tmp_path / "posts")
    fm = front_matter(text)
    assert fm["author"] is False and post["author"] == "no"
    assert post["categories"] == ["Tue Jan 02 2024 00:00:00 GMT+0000 (Coordinated Universal Time)"]


def test_generate_keeps_escaped_braces_literal(hexo: Path, tmp_path: Path) -> None:
    posts_dir = tmp_path / "posts"
    escaped = "<div>\n<p>A &#123;&#123; x &#125;&#125; B &#123;% raw %&#125; C &#123;# note #&#125;</p>\n</div>"
    write(posts_dir, "新闻/escaped.md", make_post("escaped", ["新闻"], "a", "Tue, 29 Mar 2022 11:47:10 GMT", escaped))
    # Control: the same text with literal braces IS evaluated by Hexo's Nunjucks pass,
    # which shows the assertions below would notice evaluation.
    literal = "<div>\n<p>A {{ 6 * 7 }} B {% raw %}R{% endraw %} C {# note #}</p>\n</div>"
    write(posts_dir, "新闻/literal.md", make_post("literal", ["新闻"], "a", "Tue, 29 Mar 2022 11:47:10 GMT", literal))
    site = tmp_path / "site"

    posts = by_source(hexo_load(posts_dir, generate=True, site_dir=site))

    post = posts["新闻/escaped.md"]
    assert post["generated_ok"] is True
    generated = Path(post["generated_file"])
    assert generated.is_relative_to(site / "public") and generated.name == "index.html"
    page = generated.read_text(encoding="utf-8")
    assert page == post["generated_html"]
    body = re.search(r'<article class="post-body">(.*)</article>', page, re.S).group(1)
    assert body == post["content_html"]
    # Entities may be kept or decoded, but nothing was evaluated or dropped.
    assert html.unescape(body).count("{{ x }}") == 1
    assert "{% raw %}" in html.unescape(body) and "{# note #}" in html.unescape(body)
    assert "&#123;&#123; x &#125;&#125;" in body

    control = html.unescape(posts["新闻/literal.md"]["generated_html"])
    assert "A 42 B R C" in control and "{{" not in control and "{#" not in control


def test_nunjucks_error_in_body_fails_the_load(hexo: Path, tmp_path: Path) -> None:
    write(tmp_path / "posts", "bad.md", make_post("t", ["c"], "a", "Tue, 29 Mar 2022 11:47:10 GMT", "<p>{{ x | nosuchfilter }}</p>"))
    with pytest.raises(HexoError, match="nosuchfilter"):
        hexo_load(tmp_path / "posts")


# What Hexo 8.1.2 really does with broken front matter (verified by the test below):
#  * `title: 'unterminated` -> js-yaml throws; Hexo logs "Process failed: _posts/x.md"
#    and DROPS the post. hexo.load() and `hexo generate` still resolve / exit 0, so
#    with {silent: true} nothing at all is visible.
#  * no closing `---` (or YAML that is a scalar, not a mapping) -> no error at all:
#    the whole file, front matter included, becomes the post body; title is ''.
#  * `date:` that JS Date can't parse -> silently replaced by the file's birth time.
#  * a path segment starting with "_" or "." is a hidden file: never loaded.
#  * titles that differ only after "?" share one output file (router drops "?...").
# The harness turns each of these into a per-post failure and a non-zero exit.
def test_broken_front_matter_is_reported_not_swallowed(hexo: Path, tmp_path: Path) -> None:
    posts_dir = tmp_path / "posts"
    good = make_post("good", ["c"], "a", "Tue, 29 Mar 2022 11:47:10 GMT", "<p>ok</p>")
    write(posts_dir, "good.md", good)
    write(posts_dir, "c/unterminated.md", good.replace("title: 'good'", "title: 'unterminated"))
    write(posts_dir, "c/no-closing.md", good.replace("\n---\n\n<p>", "\n\n<p>"))
    write(posts_dir, "c/scalar.md", "---\njust text\n---\n\n<p>x</p>\n")
    write(posts_dir, "c/bad-date.md", good.replace("Tue, 29 Mar 2022 11:47:10 GMT", "29/03/2022 11h47"))
    write(posts_dir, "_hidden/h.md", good)
    write(posts_dir, "c/q?1.md", good)
    write(posts_dir, "c/q?2.md", good)

    with pytest.raises(HexoError) as info:
        hexo_load(posts_dir)

    failures = {(f["source"], f["stage"]) for f in info.value.failures}
    assert failures == {
        ("c/unterminated.md", "hexo-log"),
        ("c/unterminated.md", "load"),
        ("c/no-closing.md", "front-matter"),
        ("c/scalar.md", "front-matter"),
        ("c/bad-date.md", "front-matter"),
        ("_hidden/h.md", "load"),
        ("c/q?2.md", "permalink"),
    }
    message = str(info.value)
    # js-yaml's own error, naming the file (the quote swallows the next lines first).
    assert "Process failed: _posts/c/unterminated.md: bad indentation of a mapping entry" in message


def test_script_output_ignores_machine_timezone_and_stdout_is_clean(hexo: Path, tmp_path: Path) -> None:
    # Hexo shifts dates by (machine zone - site zone); the script must pin its own TZ.
    write(tmp_path / "posts", "p.md", make_post("t", ["c"], "a", "Tue, 29 Mar 2022 11:47:10 GMT", "<p>x</p>"))
    out = tmp_path / "out.json"
    proc = subprocess.run(
        ["node", str(LOAD_SCRIPT), str(tmp_path / "posts"), str(out), "--generate"],
        capture_output=True, text=True, check=False, timeout=300,
        env={**os.environ, "TZ": "Asia/Shanghai"},
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    [post] = json.loads(out.read_text(encoding="utf-8"))
    assert post["date"] == "2022-03-29T11:47:10.000Z"
    assert post["route"] == "2022/03/29/p/index.html"


def _without_node(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, ci: str | None) -> None:
    """Make node/npm really unfindable (an empty PATH), with CI set to `ci` (None: unset)."""
    monkeypatch.setattr(hexo_support, "_ready", None)
    monkeypatch.setenv("PATH", str(tmp_path))
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)


def test_missing_node_skips_locally(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _without_node(monkeypatch, tmp_path, None)
    assert ensure_hexo() is None
    with pytest.raises(pytest.skip.Exception, match="node and npm not found"):
        require_hexo()


def test_missing_node_is_an_error_on_ci(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _without_node(monkeypatch, tmp_path, "true")
    with pytest.raises(RuntimeError, match="CI=true but Hexo can't run: node and npm not found"):
        ensure_hexo()
    with pytest.raises(RuntimeError, match="CI=true"):
        require_hexo()
