"""Refining a generic body after it is chosen (newsmirror/fields/body_refine.py): one small page per rule."""

from __future__ import annotations

from scrapy.http import HtmlResponse

from newsmirror.pipelines import read_article

PROSE = (
    "The harbour board voted on Tuesday to rebuild the old sea wall, after a winter of storms "
    "left three of its sections cracked and the fishing fleet without a safe mooring. "
)


def article(body: str, url: str = "https://news.example.com/2024/05/16/harbour-wall") -> str:
    """Return the cleaned body HTML newsmirror reads from a page with *body* inside its <body>."""
    page = (
        "<html><head><meta charset='utf-8'><title>Harbour wall to be rebuilt</title></head>"
        f"<body>{body}</body></html>"
    )
    return read_article(HtmlResponse(url, body=page.encode("utf-8")), undated="first-seen").body_html


def test_loose_credits_and_bylines_inside_the_chosen_block_are_dropped_figure_captions_stay() -> None:
    body = article(
        "<article><div class='story'>"
        "<div class='article-byline'>By Ana Harbour, Coastal Reporter</div>"
        f"<p>{PROSE}</p>"
        "<figure><img src='/wall.jpg' width='800' height='450'>"
        "<figcaption>Waves break over the cracked wall on Monday night.</figcaption></figure>"
        "<span class='image-credit'>Photo: Lee Pier, Wire Agency</span>"
        f"<p>{PROSE * 2}</p><p>{PROSE}</p>"
        "</div></article>"
    )
    assert body.count("harbour board voted") == 4
    assert "/wall.jpg" in body
    # The figure's own caption stays with its image: a mirrored photo keeps what it shows.
    assert "Waves break" in body
    assert "Lee Pier" not in body  # a credit line loose between paragraphs goes
    assert "Ana Harbour" not in body


def test_a_block_whose_class_names_a_caption_but_holds_most_of_the_body_stays() -> None:
    body = article(f"<div class='with-caption-layout'><p>{PROSE}</p><p>{PROSE}</p><p>{PROSE}</p></div>")
    assert body.count("harbour board voted") == 3


def test_share_bars_tag_lists_and_privacy_dialogs_inside_the_chosen_block_are_dropped() -> None:
    body = article(
        "<article><div class='story'>"
        f"<p>{PROSE}</p>"
        "<div class='social-share'><p>Share this story with your friends by e-mail</p></div>"
        f"<p>{PROSE * 2}</p>"
        "<div class='post_tags'><p>Tags: harbour, sea wall, storms</p></div>"
        f"<p>{PROSE}</p>"
        "<div class='privacy-bar'><p>This website uses cookies to improve your experience.</p></div>"
        "</div></article>"
    )
    assert body.count("harbour board voted") == 4
    assert "Share this story" not in body
    assert "Tags:" not in body
    assert "uses cookies" not in body


def test_a_link_in_a_sentence_keeps_its_place_whatever_its_class() -> None:
    body = article(
        "<article><div class='story'>"
        f"<p>{PROSE}</p>"
        "<p>Crews from <a class='meta-loc' href='/places/port-ellen'>Port Ellen</a> start in June.</p>"
        f"<p>{PROSE * 2}</p><p>{PROSE}</p>"
        "</div></article>"
    )
    assert "Port Ellen</a> start in June" in body


def test_read_more_pointers_to_other_stories_and_ad_labels_are_dropped() -> None:
    body = article(
        "<article><div class='story'>"
        f"<p>{PROSE}</p>"
        "<p>Read more: <a href='/2024/05/01/storm-night'>The night the storm broke the pier</a></p>"
        f"<p>{PROSE * 2}</p>"
        "<p>Advertisement</p>"
        "<p>Czytaj też: <a href='/pl/falochron'>Falochron do remontu</a></p>"
        "<p>Read more about <a href='/wall-history'>the history of the wall and the harbour it keeps</a> here.</p>"
        "<p><a href='/gallery/wall'>More</a> <img src='/wall-1902.jpg' alt='The wall in 1902'></p>"
        f"<p>{PROSE}</p>"
        "</div></article>"
    )
    assert body.count("harbour board voted") == 4
    assert "storm broke the pier" not in body
    assert "Falochron" not in body
    assert "Advertisement" not in body
    # A sentence that begins with the same words is prose, not a pointer.
    assert "the history of the wall" in body
    # A "More" link beside a picture is the picture's line: the picture stays.
    assert "wall-1902.jpg" in body


def test_contact_and_copyright_notices_in_the_last_lines_are_dropped() -> None:
    body = article(
        "<article><div class='story'>"
        f"<p>{PROSE}</p><p>{PROSE * 2}</p><p>{PROSE}</p><p>{PROSE}</p>"
        "<p>Ana Harbour covers the coast. Reach her at ana.harbour@news.example.com.</p>"
        "<p>Copyright © 2024 Coastal News Ltd.</p>"
        "</div></article>"
    )
    assert body.count("harbour board voted") == 5
    assert "ana.harbour@" not in body
    assert "Coastal News Ltd" not in body


def test_a_sentence_naming_the_copyright_holder_stays() -> None:
    sentence = "唱片工会表示：播客在使用其它音乐时，一定要获得版权所有者或制作人的许可。"
    body = article(
        "<article><div class='story'>"
        f"<p>{PROSE}</p><p>{PROSE * 2}</p><p>{PROSE}</p><p>{PROSE}</p><p>{sentence}</p>"
        "</div></article>"
    )
    assert sentence in body


def test_the_header_line_repeated_at_the_top_of_a_chinese_body_is_dropped() -> None:
    lead = "港务局周二决定重建旧海堤。去年冬天的风暴使海堤三段开裂，渔船失去了安全的停泊处。"
    body = article(
        "<article><div class='content'>"
        "<p>发布时间：2022-02-13 04:22:18　来源：海港日报</p>"
        f"<p>{lead * 3}</p><p>{lead * 2}</p><p>{lead * 2}</p>"
        "</div></article>",
        url="https://news.example.cn/2022/02/13/haidi.html",
    )
    assert body.count("港务局周二决定") == 7
    assert "发布时间" not in body


def test_a_subscribers_hidden_remainder_stays_hidden() -> None:
    # The publisher hides what a reader has not paid for; the mirror shows what the page shows
    # (a teaser is flagged partial instead, issue 16).
    body = article(
        "<article><div itemprop='articleBody'>"
        f"<div class='subscriber-preview'><p>{PROSE}</p></div>"
        f"<div class='subscriber-only' style='display:none'><p>{PROSE * 2}</p><p>{PROSE}</p></div>"
        f"<div class='subscriber-only hidden'><p>{PROSE}</p></div>"
        "</div></article>"
    )
    assert body.count("harbour board voted") == 1


def test_a_box_the_hidden_class_hides_is_not_read_a_hidden_xs_one_is() -> None:
    appeal = (
        "We believe everyone deserves good local journalism, and we never put our stories behind a "
        "paywall; your support keeps it so. "
    )
    body = article(
        "<article><div class='story'>"
        f"<div class='text'><p>{PROSE}</p></div><div class='text'><p>{PROSE}</p></div>"
        f"<div class='support hidden'><p>{appeal}</p><p>{appeal}</p><p>{appeal}</p></div>"
        f"<div class='text'><p>{PROSE}</p></div>"
        # Only the framework's bare "hidden" is display:none; "hidden-xs" shows on all but phones.
        "<div class='text hidden-xs'><p>The wall was first built in 1902 from granite quarried on the "
        "island, and it has been repaired twice since.</p></div>"
        "</div></article>"
    )
    assert body.count("harbour board voted") == 3
    assert "paywall" not in body
    assert "first built in 1902" in body


def test_a_back_or_to_the_top_link_alone_on_its_line_is_dropped() -> None:
    body = article(
        "<article><div class='story'>"
        f"<p>{PROSE}</p><p>{PROSE * 2}</p>"
        "<p><a href='/'>Back</a> to the harbour board's own account of the vote, with its figures.</p>"
        "<p><a href='javascript:history.back()'>zurück</a></p>"
        "<div class='well'><a href='#top'>« Back to top</a></div>"
        f"<p>{PROSE}</p>"
        "</div></article>"
    )
    assert body.count("harbour board voted") == 4
    assert "own account of the vote" in body  # a sentence beginning with such a link stays
    assert "zurück" not in body
    assert "Back to top" not in body


def standfirst_article(description: str, printed: str) -> str:
    """Return the body read from a page whose meta description is *description*, printing *printed* above the text."""
    page = (
        "<html><head><meta charset='utf-8'><title>Harbour wall to be rebuilt</title>"
        f"<meta property='og:description' content='{description}'></head><body>"
        f"<h1>Harbour wall to be rebuilt</h1>{printed}"
        f"<article><div class='story'><p>{PROSE}</p><p>{PROSE * 2}</p><p>{PROSE}</p></div></article>"
        "</body></html>"
    )
    response = HtmlResponse("https://news.example.com/2024/05/16/harbour-wall", body=page.encode("utf-8"))
    return read_article(response, undated="first-seen").body_html


DEK = "Three cracked sections and a fleet without a mooring: the board has had enough."


def test_a_printed_standfirst_opens_the_body() -> None:
    body = standfirst_article(DEK, f"<p class='dek'>{DEK}</p>")
    assert DEK.split(":")[0] in body
    assert body.index("Three cracked sections") < body.index("harbour board voted")


def test_a_description_only_in_meta_or_only_in_a_link_card_stays_out() -> None:
    assert "Three cracked sections" not in standfirst_article(DEK, "")
    card = f"<div class='more'><a href='/2024/05/16/harbour-wall'><span>{DEK}</span></a></div>"
    assert "Three cracked sections" not in standfirst_article(DEK, card)
