"""``scrapy crawl sina`` end to end: a loopback server plays Sina's roll API and article pages.

The server is the crawl's HTTP(S) proxy, so feed.mix.sina.com.cn and finance.sina.com.cn
are served from files written here, and the Sina site rules run as in production.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import lxml.html
import pytest

from newsmirror.extract.page import squash
from tests.support.crawl import read_tree, run_crawl
from tests.support.localsite import LocalSite, running_site
from tests.support.posts import check_posts

GOLDEN = Path(__file__).resolve().parent / "golden" / "sina-crawl"
ROLL_HOST = "feed.mix.sina.com.cn"
SAMPLE_INTIME = 1648554430  # Tue, 29 Mar 2022 11:47:10 GMT: the sample post's date
SAMPLE_TITLE = "李克强：深入推进正在开展的打击拐卖妇女儿童犯罪专项行动"
QR_IMAGE = "//n.sinaimg.cn/finance/cece9e13/20200514/343233024.png"  # the older system's "headimg"


def finance_page(
    title: str, printed: str, source: str, body: str, *, og_image: str = "", editor: str = "责任编辑：张三 SF001"
) -> str:
    """A finance.sina.com.cn 2018-2022 layout page; *body* goes inside #artibody, before the QR promo."""
    og = f'<meta property="og:image" content="{og_image}">' if og_image else ""
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{title}|新浪财经_新浪网</title>{og}
<meta property="article:published_time" content="2022-03-30T06:52:00+08:00">
</head><body>
<div class="main-content w1240"><h1 class="main-title">{title}</h1>
<div class="top-bar-wrap"><div class="date-source"><span class="date">{printed}</span>
<a class="source ent-source" href="https://example.com/">{source}</a></div></div>
<div class="article" id="artibody">
{body}
<div class="appendQr_wrap"><div class="appendQr_normal"><img src="{QR_IMAGE}"><p>新浪财经公众号</p></div></div>
<p class="show_author">{editor}</p>
</div></div></body></html>
"""


def sample_parts(corpus: Path) -> tuple[list[str], str]:
    """Return the sample post's front-matter lines and its body."""
    text = (corpus / "reference" / "sample-post.md").read_text(encoding="utf-8")
    front, body = text.lstrip("\n").removeprefix("---\n").split("\n---\n", 1)
    return front.split("\n"), body


def roll_item(url: str, title: str, intime: int, media: str = "新浪财经") -> dict[str, object]:
    """One roll API list item, with every field of the schema."""
    return {
        "url": url, "title": title, "intime": str(intime), "ctime": str(intime), "mtime": str(intime + 60),
        "media_name": media, "author": "", "keywords": "", "intro": title[:10], "images": [],
        "wapurl": url.replace("finance.sina.com.cn", "finance.sina.cn"),
    }


def roll_answer(items: list[dict[str, object]], code: int = 0) -> str:
    return json.dumps({"result": {"status": {"code": code, "msg": "succ" if code == 0 else "err"}, "data": items}},
                      ensure_ascii=False)


def put(root: Path, url: str, body: str | bytes) -> None:
    """Serve *body* at *url* (through the proxy); a query is part of the file name."""
    host, _, path = url.split("://", 1)[1].partition("/")
    target = root / host / path.replace("/", os.sep) if "?" not in path else root / host / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(body.encode("utf-8") if isinstance(body, str) else body)


ARTICLES = {
    # An article listed twice: by its tracked desktop URL and by its mobile URL.
    "https://finance.sina.com.cn/china/gncj/2022-03-29/doc-imcwiwss8610001.shtml": finance_page(
        "央行：稳健货币政策要灵活适度", "2022年03月29日 19:47", "证券时报",
        '<p>　　新浪财经讯 3月29日，央行召开例会。</p>\n<div class="img_wrapper"><img src="//n.sinaimg.cn/finance/transform/20220329/policy.jpg" alt="会议现场"></div>\n<p>　　会议指出，保持流动性合理充裕。</p>',
        og_image="https://n.sinaimg.cn/default/2fb77759/20220401/share.png",
    ),
    # Video and stock-chart widgets marked only by comments, and an 'app' QR block.
    "https://finance.sina.com.cn/china/gncj/2022-03-29/doc-imcwiwss8610002.shtml": finance_page(
        "统计局：3月制造业PMI为49.5%", "2022年03月29日 20:15", "",
        '<!-- 秒拍begin --><div class="video"><p>秒拍视频加载中</p></div>播放<!-- 秒拍end -->\n'
        '<!-- 行情图begin --><div class="ct_hqimg"><p>行情图 sh000001</p></div><!-- 行情图end -->\n'
        '<p>　　国家统计局发布数据，3月制造业采购经理指数为49.5%。</p>\n'
        '<div class="app-kaihu-qr"><p>开户扫码</p></div><p>　　比上月下降0.7个百分点。</p>',
        og_image="https://n.sinaimg.cn/default/2fb77759/20220401/share.png",
    ),
}
DESKTOP_1 = next(iter(ARTICLES))
MOBILE_1 = "https://finance.sina.cn/2022-03-29/detail-imcwiwss8610001.d.html?vt=4"
DESKTOP_2 = list(ARTICLES)[1]
MISSING = "https://finance.sina.com.cn/china/gncj/2022-03-29/doc-imcwiwss8610009.shtml"
SAMPLE_URL = "https://finance.sina.com.cn/china/gncj/2022-03-29/doc-imcwiwss8606397.shtml"


# The roll API's list URLs, written out: the fixture must not serve whatever the code builds.
LIST_URLS = {
    ("1686", 1): "https://feed.mix.sina.com.cn/api/roll/get?pageid=155&lid=1686&num=50&page=1",
    ("1686", 2): "https://feed.mix.sina.com.cn/api/roll/get?pageid=155&lid=1686&num=50&page=2",
    ("宏观经济", 1): "https://feed.mix.sina.com.cn/api/roll/get?pageid=155&lid=1687&num=50&page=1",
    ("155:1687", 1): "https://feed.mix.sina.com.cn/api/roll/get?pageid=155&lid=1687&num=50&page=1",
    ("金融新闻", 1): "https://feed.mix.sina.com.cn/api/roll/get?pageid=155&lid=1690&num=50&page=1",
    ("153:2517", 1): "https://feed.mix.sina.com.cn/api/roll/get?pageid=153&lid=2517&num=50&page=1",
}


def list_url(channel: str, page: int = 1) -> str:
    return LIST_URLS[(channel, page)]


@pytest.fixture(scope="module")
def site_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sina-site")
    for url, page in ARTICLES.items():
        put(root, url, page)
    put(root, list_url("1686"), roll_answer([
        roll_item(DESKTOP_1 + "?cre=tianyi&mod=pcpager_fin&loc=2&r=0", "央行：稳健货币政策要灵活适度", 1648554000, "证券时报"),
        roll_item(MOBILE_1, "央行：稳健货币政策要灵活适度", 1648554000, "证券时报"),
        roll_item(DESKTOP_2, "统计局：3月制造业PMI为49.5%", 1648556100, "国家统计局"),
        roll_item(MISSING, "已删除的文章", 1648556200),
        {"title": "没有链接的条目"},
    ]))
    # The second list page answers JSONP, as the API does when given a callback.
    put(root, list_url("1686", page=2), "jsonp_cb(" + roll_answer([]) + ");")
    put(root, list_url("宏观经济"), roll_answer([], code=1))
    put(root, list_url("金融新闻"), "<html>upstream error</html>")
    put(root, list_url("153:2517"), roll_answer([roll_item(DESKTOP_2, "统计局：3月制造业PMI为49.5%", 1648556100)]))
    return root


@pytest.fixture(scope="module")
def site(site_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSite]:
    with running_site(site_root, tmp_path_factory.mktemp("log") / "requests.jsonl") as running:
        yield running


def crawl(site: LocalSite, out: Path, *args: str, check: bool = True):
    return run_crawl(
        "sina", *args, env=site.proxy_env(), settings={"MIRROR_DIR": str(out)}, index=out.parent / "index.jsonl", check=check
    )


def test_roll_list_crawl_writes_the_golden_posts(site: LocalSite, tmp_path: Path) -> None:
    out = tmp_path / "mirror"
    result = crawl(site, out, "-a", "pages=2")
    if os.environ.get("NEWSMIRROR_UPDATE_GOLDEN"):
        shutil.rmtree(GOLDEN, ignore_errors=True)
        shutil.copytree(out, GOLDEN)
    assert read_tree(out) == read_tree(GOLDEN)
    # Desktop, tracked desktop and mobile URLs of one article make one post.
    assert sorted(item["canonical_url"] for item in result.items) == [
        "https://finance.sina.com.cn/doc-imcwiwss8610001.shtml",
        "https://finance.sina.com.cn/doc-imcwiwss8610002.shtml",
    ]
    for item in result.items:
        assert item["categories"] == ["金融", "新浪财经", "新浪财经－国內"]
        assert item["source"] == "sina:155:1686"
    fronts = check_posts(out, result.items)
    by_title = {front["title"]: front for front in fronts.values()}
    policy = by_title["央行：稳健货币政策要灵活适度"]
    assert policy["author"] == "证券时报"
    assert policy["headimg"] == "https://n.sinaimg.cn/finance/transform/20220329/policy.jpg"
    pmi = by_title["统计局：3月制造业PMI为49.5%"]
    assert "headimg" not in pmi  # only a Sina default share image, and no body image
    assert pmi["author"] == "国家统计局"  # the page names no source: the list's media_name
    [pmi_path] = [path for path, front in fronts.items() if front is pmi]
    text = (out / pmi_path).read_text(encoding="utf-8")
    for junk in ("秒拍", "行情图", "播放", "开户扫码", "appendQr", "343233024"):
        assert junk not in text, junk
    assert "比上月下降0.7个百分点" in text and "责任编辑：张三" in text
    assert "Article not mirrored: " + MISSING in result.log
    assert "item without an article URL skipped" in result.log
    assert result.stat("newsmirror/failed") == 1


def test_list_answers_that_hold_no_list_are_logged_and_the_run_goes_on(site: LocalSite, tmp_path: Path) -> None:
    for channel, reason in (("1687", "status code 1 err"), ("1690", "not JSON")):
        result = crawl(site, tmp_path / channel / "mirror", "-a", f"channel={channel}")
        assert result.returncode == 0
        assert f"Sina roll list unusable: {reason}" in result.log
        assert result.items == []
        assert result.stat("newsmirror/sources/failed") == 1


def test_news_channel_categories_and_the_categories_argument(site: LocalSite, tmp_path: Path) -> None:
    news = crawl(site, tmp_path / "news" / "mirror", "-a", "channel=2517")
    assert [item["categories"] for item in news.items] == [["新闻", "新浪新闻", "新浪股市滚动新闻"]]
    chosen = crawl(site, tmp_path / "chosen" / "mirror", "-a", "channel=153:2517", "-a", "categories=财经,A股")
    assert [item["categories"] for item in chosen.items] == [["财经", "A股"]]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("-a", "channel=股市"), "Sina channel '股市' is ambiguous: say 384:2671, 153:2517"),
        (("-a", "channel=9999"), "unknown Sina channel '9999'"),
        (("-a", "pages=0"), "-a pages= must be at least 1"),
        (("-a", "num=many"), "-a num= must be a whole number"),
    ],
)
def test_bad_arguments_stop_the_run_before_any_request(site: LocalSite, tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    result = crawl(site, tmp_path / "mirror", *args, check=False)
    assert result.returncode != 0
    assert message in result.log
    assert not (tmp_path / "mirror").exists()


def test_the_sample_post_is_rebuilt_without_the_older_systems_defects(
    corpus: Path, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    sample_front, sample_body = sample_parts(corpus)
    root = tmp_path_factory.mktemp("sample-site")
    put(root, SAMPLE_URL, finance_page(SAMPLE_TITLE, "2022年03月29日 19:47", "新华社", sample_body, editor=""))
    put(root, list_url("1686"), roll_answer([roll_item(SAMPLE_URL, SAMPLE_TITLE, SAMPLE_INTIME)]))
    out = tmp_path / "mirror"
    with running_site(root) as sample_site:
        result = crawl(sample_site, out)
    [item] = result.items
    post = (out / item["post_path"]).read_text(encoding="utf-8")
    front, _, body = post.removeprefix("---\n").partition("\n---\n")
    # The sample, minus what the older system got wrong: the QR code as headimg/thumbnail,
    # the feed's author instead of the page's source, the leading blank line.
    expected_front = [
        "author: 新华社" if line.startswith("author:") else line
        for line in sample_front
        if not line.startswith(("headimg:", "thumbnail:"))
    ]
    assert post.startswith("---\n")
    assert front == "\n".join(expected_front)
    assert item["post_path"] == "金融/新浪财经/新浪财经－国內/" + SAMPLE_TITLE + ".md"

    def text_of(html: str, *, without: str = "") -> str:
        tree = lxml.html.fromstring(f"<div>{html}</div>")
        for junk in tree.cssselect(without) if without else []:
            junk.drop_tree()
        return squash(tree.text_content()).replace(" ", "")

    # Every word of the article the sample shows, and nothing of its QR promo and the promo's CSS.
    assert text_of(body) == text_of(sample_body, without="style, .appendQr_wrap")
    for junk in ("<!--", "343233024", "cms-style", "<script", "\n\n\n"):
        assert junk not in body, junk
    check_posts(out, result.items)


def test_sina_sources_in_the_mirror_cron_job(site: LocalSite, tmp_path: Path) -> None:
    sources = tmp_path / "sources.toml"
    sources.write_text(
        '[[source]]\nname = "guonei"\ntype = "sina"\nchannel = 1686\npages = 2\n\n'
        '[[source]]\nname = "macro"\ntype = "sina"\nchannel = "宏观经济"\n',
        encoding="utf-8",
    )
    out = tmp_path / "mirror"
    result = run_crawl(
        "mirror",
        env=site.proxy_env(),
        settings={"MIRROR_SOURCES": str(sources), "MIRROR_DIR": str(out), "MIRROR_REPORT": str(tmp_path / "report.json")},
        index=tmp_path / "index.jsonl",
    )
    assert sorted(item["canonical_url"] for item in result.items) == [
        "https://finance.sina.com.cn/doc-imcwiwss8610001.shtml",
        "https://finance.sina.com.cn/doc-imcwiwss8610002.shtml",
    ]
    assert {item["source"] for item in result.items} == {"guonei"}
    assert read_tree(out) == read_tree(GOLDEN)  # the same posts as `scrapy crawl sina`
    report = {entry["name"]: entry for entry in json.loads((tmp_path / "report.json").read_text())["sources"]}
    assert report["guonei"]["posts"] == {"new": 2}
    assert report["guonei"]["failures"][0]["url"] == MISSING
    assert report["macro"]["status"] == "failed"
    assert report["macro"]["errors"] == [
        {"url": list_url("155:1687"), "reason": "Sina roll list unusable: status code 1 err"}
    ]
