"""extract.mainblock: readability-lxml's summaries, byte for byte, from faster tree walks (teaser links and
posts split into like blocks aside)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import lxml.etree
import lxml.html
import pytest
import readability.readability
from readability import Document
from readability.readability import REGEXES, clean, text_length

from newsmirror.extract import mainblock
from newsmirror.extract.mainblock import MainBlockDocument, TextLengths, clean_length, names_unlikely

PROSE = "The council voted on Tuesday, after a long debate, to approve the plan for the river. "
LINKS = "".join(f"<li><a href='/s/{n}'>Other story number {n}, with a headline</a></li>" for n in range(12))

PAGES = {
    "nested divs": f"""<html><body><div id="page"><div class="wrap"><div class="inner">
        <div>{PROSE * 3}</div><div><span>{PROSE}</span> loose tail text, long enough {PROSE}
        <br><br>after breaks {PROSE}</div><div><div><p>{PROSE * 2}</p></div></div>
        </div></div></div></body></html>""",
    "link-heavy sidebar": f"""<html><body><div class="main"><article><h1>Headline of the story</h1>
        <p>{PROSE * 4}</p><p>{PROSE * 2}</p></article></div>
        <div class="sidebar"><ul>{LINKS}</ul></div><div class="rail"><ul>{LINKS}</ul>
        <p>{PROSE}</p></div><table><tr><td><a href="/x">{PROSE}</a> {PROSE}</td></tr></table>
        </body></html>""",
    "unlikely candidates": f"""<html><body><div id="header"><p>{PROSE}</p></div>
        <div class="comment-list"><div class="comment"><p>{PROSE * 2}</p></div>
        <div class="comment article-comment"><p>{PROSE}</p></div></div>
        <div class="footer"><pre class="sidebar">{PROSE}</pre></div>
        <div class="menu"><article><p>{PROSE * 3}</p></article></div>
        <div class="Twitter \u212aombx"><p>{PROSE * 2}</p></div><div id="content">
        <p>{PROSE * 3}</p><h2 class="related">Related</h2><h3><a href="/a">All links</a></h3>
        <form><input type="text"></form><iframe src="https://www.youtube.com/embed/x" srcdoc="x"></iframe>
        <iframe src="https://ads.example/"></iframe></div></body></html>""",
    "ties": f"""<html><body><div class="a"><p>{PROSE}</p><p>{PROSE}</p></div>
        <div class="b"><p>{PROSE}</p><p>{PROSE}</p></div><div class="c"><p>{PROSE}</p><p>{PROSE}</p></div>
        </body></html>""",
    "whitespace": f"""<html><body><div><p>\t{PROSE}\t\t{PROSE}\n\n   {PROSE}</p>
        <p>a{" " * 300}b, {PROSE}<b> \t </b>\xa0\u3000<i>{PROSE}</i>\n</p>
        <p>x<a href="/1"> link\t\ttext </a>   <a href="/2">\n</a>{PROSE},,,</p></div></body></html>""",
    "short, retried": """<html><body><div class="sidebar"><p>Only a short note here, nothing else.</p></div>
        <div><p>A second short paragraph with some words in it.</p></div></body></html>""",
    "conditional cleaning": f"""<html><body><div class="story"><p>{PROSE * 3}</p>
        <div class="gallery"><img src="1.jpg"><img src="2.jpg"><img src="3.jpg"><p>tiny</p></div>
        <div><ul><li>one</li><li>two</li></ul></div><div></div><div>{PROSE * 13}</div>
        <table><tr><td>cell</td></tr></table><section><a href="/s">{PROSE}</a></section>
        <div><embed src="v.swf"></div><div class="promo"><p>{PROSE}</p></div>
        <p>Sign up <a href="/n">for our newsletter</a></p></div></body></html>""",
}


@pytest.mark.parametrize("name", sorted(PAGES))
def test_summaries_are_readabilitys_own(name: str) -> None:
    html = PAGES[name]
    for partial in (True, False):
        assert MainBlockDocument(html).summary(html_partial=partial) == Document(html).summary(html_partial=partial)


def test_a_teaser_card_wrapped_in_a_link_never_wins_over_the_article() -> None:
    # readability counts only the links inside a block, so an <a> around a card's headline
    # and text (with "article" in its class) outscores the story's paragraphs around it.
    story = "".join(f'<div class="whiteblock"><p>{PROSE} Part {part}.</p></div>' for part in range(4))
    card = (
        '<article class="article-teaser"><a class="article-teaser-link" href="/other-story">'
        '<div class="text-wrapper"><span>Read next</span> <span>Why the old lighthouse keeper, now'
        " ninety, still climbs the stairs each day</span></div></a></article>"
    )
    html = f'<html><body><article><div class="article-column">{story[: len(story) // 2]}{card}{story[len(story) // 2 :]}{card}</div></article></body></html>'
    assert "lighthouse" in Document(html).summary(html_partial=True)  # readability's own choice: the card
    summary = MainBlockDocument(html).summary(html_partial=True)
    assert all(f"Part {part}." in summary for part in range(4))  # the story's column, every block of it
    assert lxml.html.fromstring(summary).text_content().strip().startswith(PROSE.strip())


def split_post(frame_class: str) -> str:
    """A post whose text a CMS split into like blocks, some wrapped once more, a banner between."""
    block = '<section class="textblock"><div class="row"><div class="col-sm-10 col-md-7">{}</div></div></section>'
    first = block.format(f"<p>{PROSE * 3} First part.</p>")
    second = block.format(f"<p>{PROSE * 2} Second part.</p><p>{PROSE}</p>")
    third = block.format(f"<p>{PROSE * 2} Third part.</p><p>{PROSE * 2}</p>")
    return (
        f'<html><body><div id="page"><div class="{frame_class}">{first}'
        f'<section class="two-col"><div class="row"><div class="col-md-9">{second}</div>'
        f'<div class="col-md-3"><div class="banner"></div></div></div></section>{third}'
        '</div><div class="sidebar"><p>Subscribe to the newsletter.</p></div></div></body></html>'
    )


def test_an_old_style_post_split_into_like_blocks_is_joined_in_order() -> None:
    # No <article>: the post's frame is a div whose class names it (WordPress's hentry).
    html = split_post("post hentry")
    assert "First part." not in Document(html).summary(html_partial=True)  # readability keeps one block
    summary = lxml.html.fromstring(MainBlockDocument(html).summary(html_partial=True)).text_content()
    assert [summary.find(f"{part} part.") >= 0 for part in ("First", "Second", "Third")] == [True] * 3
    assert summary.find("First part.") < summary.find("Second part.") < summary.find("Third part.")
    assert "newsletter" not in summary


@pytest.mark.parametrize("frame_class", ["page-content", "main-wrapper", "text-area"])
def test_like_blocks_in_a_frame_named_only_as_a_page_are_left_as_readability_has_them(frame_class: str) -> None:
    # readability's wider positive words name a site's page wrappers as often as a post.
    html = split_post(frame_class)
    assert MainBlockDocument(html).summary(html_partial=True) == Document(html).summary(html_partial=True)


def test_the_summaries_read_each_elements_text_far_fewer_times(monkeypatch: pytest.MonkeyPatch) -> None:
    # The point of the module: readability cleans the text of every nested element again
    # for every question; the overrides measure each text node once per state of the tree.
    calls = {"clean": 0}
    original = readability.readability.clean

    def counted(text: str) -> str:
        calls["clean"] += 1
        return original(text)

    monkeypatch.setattr(readability.readability, "clean", counted)
    html = PAGES["link-heavy sidebar"] + PAGES["conditional cleaning"]
    Document(html).summary()
    theirs, calls["clean"] = calls["clean"], 0
    MainBlockDocument(html).summary()
    assert calls["clean"] * 5 < theirs


def test_text_lengths_are_readabilitys_for_every_element_and_after_edits() -> None:
    tree = lxml.html.document_fromstring(PAGES["whitespace"] + PAGES["link-heavy sidebar"])
    document = Document("")
    lengths = TextLengths()
    for element in tree.iter():
        assert lengths.length(element) == text_length(element)
        assert lengths.link_density(element) == document.get_link_density(element)
        assert lengths.commas(element) == element.text_content().count(",")
    for link in tree.findall(".//a")[::2]:
        lengths.drop(link)
    paragraph = tree.find(".//p")
    paragraph.text = "changed,  text"
    lengths.forget(paragraph)
    for element in tree.iter():
        assert (lengths.length(element), lengths.link_density(element)) == (
            text_length(element), document.get_link_density(element)
        )


def test_named_elements_inside_a_removed_one_are_not_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    # readability checks every named element, even inside one it already removed; those
    # checks change nothing, so the override goes past them (same summary, fewer checks).
    html = f"""<html><body><div class="sidebar"><div class="comment"><div class="footer menu">
        <p class="rss">{PROSE}</p></div></div></div><div class="footer"><p>{PROSE}</p></div>
        <div id="content"><p>{PROSE * 3}</p></div></body></html>"""
    checked = []
    holds_semantic = mainblock._HOLDS_SEMANTIC

    def counted(element: lxml.html.HtmlElement) -> list:
        checked.append(element.get("class"))
        return holds_semantic(element)

    monkeypatch.setattr(mainblock, "_HOLDS_SEMANTIC", counted)
    assert MainBlockDocument(html).summary() == Document(html).summary()
    assert checked == ["sidebar", "footer"]


def test_text_lengths_skip_comment_and_instruction_children_but_keep_their_tails() -> None:
    html = "<html><body><div><p>one,<!-- not, text -->two <?pi also not?> three</p><br>  <b></b>x</div></body></html>"
    tree = lxml.html.document_fromstring(html)
    lengths = TextLengths()
    lengths.measure_all(tree)
    for element in tree.iter(lxml.etree.Element):
        assert lengths.length(element) == text_length(element)
        assert lengths.commas(element) == element.text_content().count(",")


def test_clean_length_is_the_length_of_readabilitys_clean() -> None:
    pieces = [" ", "\t", "\n", "\r", "\xa0", "\u3000", "\x0b", "\x1c", "a", "b,", " " * 254, "\n" * 3]
    rng = random.Random(15)
    for _ in range(20000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        assert clean_length(text) == len(clean(text)), repr(text)


def test_unlikely_names_are_the_regexs_including_case_folded_letters() -> None:
    regex = REGEXES["unlikelyCandidatesRe"]
    for text in ["Sidebar", "main-COMMENT", "ad-Break x", "ad_break", "story", "\u212aombx", "\u017fponsor",
                 "SPONSOR", "twitteR", "head", "caf\u00e9 menu", "caf\u00e9"]:
        assert names_unlikely(text) == (regex.search(text) is not None), text


def test_divs_with_comments_are_transformed_by_readabilitys_own_code() -> None:
    # A comment's markup can hold "<p": the shortcut reads tags only, so such trees take
    # readability's serializing path.
    html = "<html><body><div>text<!-- <p> --><span>inline</span></div><div><b>bold</b><i>it</i></div></body></html>"
    assert mainblock._block_holders(lxml.html.document_fromstring(html)) is None
    results = []
    for kind in (Document, MainBlockDocument):
        document = kind("")
        document.html = lxml.html.document_fromstring(html)
        document.transform_misused_divs_into_paragraphs()
        results.append(lxml.html.tostring(document.html))
    assert results[0] == results[1]
    # The comment keeps the first <div> a <div> (tags alone would make it a <p>).
    assert b"<div><p>text</p><!-- <p> --><p><span>inline</span></p></div><p><b>bold</b>" in results[1]


def test_corpus_summaries_are_readabilitys_own(corpus: Path) -> None:
    from newsmirror.extract.page import Page
    from newsmirror.fields.body import content_candidates

    cases = sorted((corpus / "pages").glob("*/*/case.json"))[::9]
    assert len(cases) >= 50
    for case_file in cases:
        case = json.loads(case_file.read_text(encoding="utf-8"))
        page = Page.from_bytes(case.get("url") or "https://corpus.invalid/", (case_file.parent / case["body_file"]).read_bytes())
        summaries = []
        for kind in (Document, MainBlockDocument):
            try:
                summaries.append(kind(content_candidates(page.tree)).summary(html_partial=True))
            except readability.readability.Unparseable as error:
                summaries.append(f"unparseable: {error}")
        assert summaries[0] == summaries[1], case_file.parent.name
