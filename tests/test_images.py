"""Local copies of images (``MIRROR_IMAGES=1``): the real crawl against a loopback image host
that refuses hotlinking, the post's asset folder, and real Hexo with ``post_asset_folder``.
"""

from __future__ import annotations

import hashlib
import http.client
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from newsmirror import settings as project_settings
from newsmirror.fields.image import is_default_image, lead_image
from newsmirror.images import (
    ImageCopyPipeline,
    ImageStoreError,
    body_image_urls,
    image_name,
    image_urls,
    is_image,
    localize_images,
    rewrite_image_urls,
    store_path,
)
from newsmirror.items import ArticleItem
from tests.support.cases import build_site, load_cases
from tests.support.crawl import mtimes, read_tree, run_crawl
from tests.support.hexo import hexo_load, require_hexo
from tests.support.localsite import LocalSite, running_site
from tests.support.posts import check_posts, split_post

NEWS = "news.example.com"
IMAGES = "img.example.net"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(64))
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64, 128))
SHARE_JPEG = b"\xff\xd8\xff\xe1" + b"share card" * 8

ONE = f"http://{IMAGES}/pics/one.jpg?w=600&h=400"  # written &amp; in the page
SHARE = f"http://{IMAGES}/pics/share.jpg"
TWO = f"http://{NEWS}/local/two.png"  # the page says data-src="/local/two.png"
MISSING = f"http://{IMAGES}/pics/missing.png"
NOT_AN_IMAGE = f"http://{NEWS}/soft-404.jpg"
HARBOUR = f"http://{NEWS}/harbour.html"
QUIET = f"http://{NEWS}/quiet.html"
BROKEN = f"http://{NEWS}/broken.html"
DROPPED = f"http://{NEWS}/_fault/drop"
BIG = f"http://{NEWS}/big.jpg"

PAGES = {
    "harbour.html": f"""<html><head><title>Harbour reopens</title>
<meta property='article:published_time' content='2024-05-01T08:00:00Z'></head>
<body><article><h1>Harbour reopens</h1>
<p>The harbour reopened on Monday after a week of storms, officials said in a statement.</p>
<figure><img src="http://{IMAGES}/pics/one.jpg?w=600&amp;h=400" width="600" height="400"><figcaption>The quay</figcaption></figure>
<p>Ships queued outside the breakwater for most of the morning while pilots boarded them.</p>
<img src="{MISSING}" width="300" height="200">
<img data-src="/local/two.png" src="data:image/gif;base64,R0lGOD">
<img src="/soft-404.jpg">
<p>More text about the harbour and the boats, long enough to count as an article body.</p>
</article></body></html>""",
    "quiet.html": f"""<html><head><title>Quiet night at the lighthouse</title>
<meta property='article:published_time' content='2024-05-02T21:00:00Z'>
<meta property='og:image' content='{SHARE}'></head>
<body><article><h1>Quiet night at the lighthouse</h1>
<p>Nothing happened at the lighthouse last night, the keeper reported this morning.</p>
</article></body></html>""",
    "broken.html": """<html><head><title>Storm damage</title>
<meta property='article:published_time' content='2024-05-03T06:00:00Z'></head>
<body><article><h1>Storm damage</h1>
<p>The storm damaged three piers and a warehouse roof, the port authority said.</p>
<img src="/_fault/drop" width="640" height="480"><img src="/big.jpg" width="640" height="480">
</article></body></html>""",
}


@pytest.fixture(scope="module")
def site_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("site")
    for name, text in PAGES.items():
        put(root, NEWS, name, text.encode("utf-8"))
    put(root, NEWS, "local/two.png", PNG)
    put(root, NEWS, "soft-404.jpg", b"<html><body>Sorry, not found</body></html>")
    put(root, NEWS, "big.jpg", JPEG + bytes(5000))
    for name, data in (("one.jpg", JPEG), ("share.jpg", SHARE_JPEG)):
        put(root, IMAGES, f"pics/{name}", data)
        # Like Sina's image host: only pages of the news site may show these images.
        put(root, IMAGES, f"pics/{name}.referer", f"http://{NEWS}/\n".encode())
    return root


@pytest.fixture(scope="module")
def site(site_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSite]:
    with running_site(site_root, tmp_path_factory.mktemp("log") / "requests.jsonl") as running:
        yield running


def put(root: Path, host: str, name: str, data: bytes) -> None:
    target = root / host / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)


def crawl(site: LocalSite, out: Path, *urls: str, images: bool = True, refresh: bool = False, **extra: str):
    settings = {"MIRROR_DIR": str(out), "CONCURRENT_REQUESTS": "1", **extra}
    if images:
        settings["MIRROR_IMAGES"] = "1"
    # refresh: fetch known articles again, so a second run goes through the image copies too.
    args = ["-a", "url=" + ",".join(urls), *(["-a", "refresh=all"] if refresh else [])]
    return run_crawl("article", *args, env=site.proxy_env(), settings=settings, index=out.parent / "index.jsonl")


def image_requests(site: LocalSite, since: int = 0) -> list[dict]:
    """Return the logged requests for image files (robots.txt and pages left out)."""
    wanted = {ONE, SHARE, TWO, MISSING, NOT_AN_IMAGE}
    return [entry for entry in site.requests()[since:] if entry["url"] in wanted]


def sha1_name(url: str, extension: str) -> str:
    return hashlib.sha1(url.encode()).hexdigest() + extension


# --------------------------------------------------------------------------- the crawl


def test_images_are_copied_beside_the_post_and_a_second_run_writes_nothing(
    site: LocalSite, tmp_path: Path
) -> None:
    out = tmp_path / "mirror"
    first_request = len(site.requests())
    result = crawl(site, out, HARBOUR, QUIET)
    by_url = {item["url"]: item for item in result.items}
    assert {item["status"] for item in result.items} == {"new"}

    # Every image request named its article as Referer; the hotlink-refusing host served them.
    requests = image_requests(site, first_request)
    for entry in requests:
        assert entry["headers"].get("Referer") in (HARBOUR, QUIET), entry
    statuses = {entry["url"]: entry["status"] for entry in requests}
    assert statuses == {ONE: 200, SHARE: 200, TWO: 200, MISSING: 404, NOT_AN_IMAGE: 200}

    harbour_path = by_url[HARBOUR]["post_path"]
    harbour = out / harbour_path
    assets = harbour.with_suffix("")
    one, two, share = sha1_name(ONE, ".jpg"), sha1_name(TWO, ".png"), sha1_name(SHARE, ".jpg")
    # The body's images (the page names no share image, so the first one is the lead image).
    assert sorted(path.name for path in assets.iterdir()) == sorted([one, two])
    assert (assets / one).read_bytes() == JPEG
    assert (assets / two).read_bytes() == PNG

    front, body = split_post(harbour.read_bytes())
    # The first body image is the lead image, so headimg and thumbnail name its copy.
    assert front["headimg"] == front["thumbnail"] == one
    assert f'<img src="{one}"' in body and f'<img src="{two}"' in body
    # Failed images keep their remote URLs, and the post is still written.
    assert f'<img src="{MISSING}"' in body
    assert f'<img src="{NOT_AN_IMAGE}"' in body
    assert "img.example.net/pics/one.jpg" not in body
    assert f"Image not copied: {MISSING} (in {HARBOUR}): HTTP 404" in result.log
    assert f"Image not copied: {NOT_AN_IMAGE} (in {HARBOUR}): the response is not" in result.log
    assert result.stat("newsmirror/images/copied") == 3
    assert result.stat("newsmirror/images/failed") == 2

    # An article without body images gets its share image as a local lead image.
    quiet = out / by_url[QUIET]["post_path"]
    quiet_front, _ = split_post(quiet.read_bytes())
    assert quiet_front["headimg"] == quiet_front["thumbnail"] == share
    assert (quiet.with_suffix("") / share).read_bytes() == SHARE_JPEG

    # Nothing but posts and their asset folders in MIRROR_DIR; the store lives beside it.
    assert {path for path in read_tree(out) if path.endswith(".md")} == {harbour_path, by_url[QUIET]["post_path"]}
    assert all(path.endswith(".md") or "/" in path for path in read_tree(out))
    stored = sorted(path.name for path in (tmp_path / ".newsmirror" / "images").rglob("*") if path.is_file())
    assert stored == sorted([one, two, share])
    check_posts(out, result.items)

    produced, before = read_tree(out), mtimes(out)
    time.sleep(0.05)
    second_request = len(site.requests())
    again = crawl(site, out, HARBOUR, QUIET, refresh=True)
    assert [item["status"] for item in again.items] == ["unchanged", "unchanged"]
    assert read_tree(out) == produced and mtimes(out) == before
    # Copies in the store are up to date: only the two failed images are asked for again.
    assert sorted(entry["url"] for entry in image_requests(site, second_request)) == sorted([MISSING, NOT_AN_IMAGE])


def test_a_broken_or_oversized_image_keeps_its_url_and_the_post_is_written(site: LocalSite, tmp_path: Path) -> None:
    out = tmp_path / "mirror"
    result = crawl(site, out, BROKEN, MIRROR_IMAGES_MAXSIZE="1000", RETRY_TIMES="0")
    (item,) = result.items
    assert item["status"] == "new"
    front, body = split_post((out / item["post_path"]).read_bytes())
    assert front["headimg"] == DROPPED
    assert f'<img src="{DROPPED}"' in body and f'<img src="{BIG}"' in body
    assert f"Image not copied: {DROPPED} (in {BROKEN}): " in result.log
    assert f"Image not copied: {BIG} (in {BROKEN}): " in result.log and "download max size (1000)" in result.log
    # One line per image, not Scrapy's traceback.
    assert "Traceback" not in result.log
    assert result.stat("newsmirror/images/failed") == 2
    assert list(read_tree(out)) == [item["post_path"]]


def test_without_mirror_images_no_image_is_requested(site: LocalSite, tmp_path: Path) -> None:
    out = tmp_path / "mirror"
    first_request = len(site.requests())
    result = crawl(site, out, HARBOUR, images=False)
    assert [item["status"] for item in result.items] == ["new"]
    assert image_requests(site, first_request) == []
    assert not [entry for entry in site.requests()[first_request:] if entry["host"] == IMAGES]
    post = out / result.items[0]["post_path"]
    front, body = split_post(post.read_bytes())
    assert front["headimg"] == ONE
    assert 'src="http://img.example.net/pics/one.jpg?w=600&amp;h=400"' in body
    assert list(read_tree(out)) == [result.items[0]["post_path"]]
    assert not (tmp_path / ".newsmirror" / "images").exists()


def test_hexo_with_post_asset_folder_publishes_the_copies_beside_the_page(site: LocalSite, tmp_path: Path) -> None:
    require_hexo()
    out = tmp_path / "mirror"
    result = crawl(site, out, HARBOUR)
    hexo_site = tmp_path / "hexo-site"
    (post,) = hexo_load(out, generate=True, site_dir=hexo_site, post_asset_folder=True)
    one, two = sha1_name(ONE, ".jpg"), sha1_name(TWO, ".png")
    assert post["source"] == result.items[0]["post_path"]
    assert post["headimg"] == one
    assert post["generated_ok"]
    # A bare name in <img src> resolves against the post's page, where Hexo put the copy.
    assert f'<img src="{one}"' in post["generated_html"]
    page_folder = (hexo_site / "public" / post["route"]).parent
    assert (page_folder / one).read_bytes() == JPEG
    assert (page_folder / two).read_bytes() == PNG


def test_sina_images_come_over_https_with_the_article_as_referer(tmp_path: Path) -> None:
    case = next(case for case in load_cases("sina") if case.name == "finance-2022-layout")
    lead = case.expected["lead_image"]
    assert lead.startswith("https://n.sinaimg.cn/")
    root = build_site(tmp_path / "site", [case])
    image_path = urlsplit(lead).path.lstrip("/")
    put(root, "n.sinaimg.cn", image_path, JPEG)
    put(root, "n.sinaimg.cn", image_path + ".referer", b"https://finance.sina.com.cn/\n")
    out = tmp_path / "mirror"
    with running_site(root, tmp_path / "requests.jsonl") as sina:
        result = crawl(sina, out, case.url)
        (request,) = [entry for entry in sina.requests() if entry["url"] == lead]
    assert request["status"] == 200 and request["headers"]["Referer"] == case.url
    (item,) = result.items
    name = sha1_name(lead, ".jpg")
    post = out / item["post_path"]
    front, body = split_post(post.read_bytes())
    assert front["headimg"] == front["thumbnail"] == name
    assert f'<img src="{name}"' in body
    assert (post.with_suffix("") / name).read_bytes() == JPEG


def test_store_inside_mirror_dir_stops_the_run(site: LocalSite, tmp_path: Path) -> None:
    out = tmp_path / "mirror"
    result = run_crawl(
        "article",
        "-a", f"url={HARBOUR}",
        env=site.proxy_env(),
        settings={"MIRROR_DIR": str(out), "MIRROR_IMAGES": "1", "MIRROR_IMAGES_STORE": str(out / "img")},
        check=False,
    )  # fmt: skip
    assert "MIRROR_IMAGES_STORE" in result.log and "is inside MIRROR_DIR" in result.log
    assert not list(out.rglob("*.md"))


# --------------------------------------------------------------------------- the loopback host


def test_referer_sidecar_refuses_other_referers(site: LocalSite) -> None:
    def status(referer: str | None) -> int:
        connection = http.client.HTTPConnection("127.0.0.1", site.port, timeout=10)
        headers = {"Host": IMAGES, **({"Referer": referer} if referer else {})}
        connection.request("GET", "/pics/one.jpg?w=600&h=400", headers=headers)
        answer = connection.getresponse().status
        connection.close()
        return answer

    assert status(None) == 403
    assert status("http://elsewhere.example.org/page.html") == 403
    assert status(HARBOUR) == 200


# --------------------------------------------------------------------------- pure parts


def test_image_names_hash_the_url_and_keep_only_raster_extensions() -> None:
    url = "https://n.sinaimg.cn/finance/a/b/Photo.JPG"
    assert image_name(url) == hashlib.sha1(url.encode()).hexdigest() + ".jpg"
    for unsafe in ("https://x.example/a.svg", "https://x.example/a.html", "https://x.example/a.md", "https://x.example/img"):
        assert image_name(unsafe) == hashlib.sha1(unsafe.encode()).hexdigest()
    assert image_name("https://x.example/a.png?x=1") != image_name("https://x.example/a.png?x=2")


def test_is_image_knows_raster_formats_only() -> None:
    assert is_image(JPEG) and is_image(PNG) and is_image(b"GIF89a...") and is_image(b"RIFF\x00\x00\x00\x00WEBPVP8 ")
    assert not is_image(b"<svg xmlns='http://www.w3.org/2000/svg'/>")
    assert not is_image(b"<html>not found</html>")
    assert not is_image(b"")


def test_image_urls_lead_first_http_only_once_each() -> None:
    item = ArticleItem(
        url=HARBOUR,
        lead_image="https://a.example/lead.jpg",
        body_html='<p>x</p><img src="https://a.example/1.jpg?a=1&amp;b=2"><img src="https://a.example/lead.jpg">'
        '<img src="ftp://a.example/2.jpg"><img src="https://a.example/1.jpg?a=1&amp;b=2">',
    )
    assert body_image_urls(item.body_html or "")[0] == "https://a.example/1.jpg?a=1&b=2"
    assert image_urls(item) == ["https://a.example/lead.jpg", "https://a.example/1.jpg?a=1&b=2"]


def test_rewrite_touches_only_copied_images() -> None:
    item = ArticleItem(
        url=HARBOUR,
        lead_image="https://a.example/lead.jpg",
        body_html='<a href="https://a.example/1.jpg?a=1&amp;b=2"><img src="https://a.example/1.jpg?a=1&amp;b=2" alt="x"></a>'
        '<img src="https://a.example/failed.jpg">',
    )
    assert rewrite_image_urls(item, {"https://a.example/1.jpg?a=1&b=2": "abc.jpg"})
    assert item.body_html == (
        '<a href="https://a.example/1.jpg?a=1&amp;b=2"><img src="abc.jpg" alt="x"></a><img src="https://a.example/failed.jpg">'
    )
    assert item.lead_image == "https://a.example/lead.jpg"
    assert not rewrite_image_urls(item, {})


def test_localize_copies_once_and_a_missing_copy_keeps_the_remote_url(tmp_path: Path) -> None:
    store = tmp_path / "store"
    store.mkdir()
    (store / "abc.jpg").write_bytes(JPEG)
    post = tmp_path / "mirror" / "news" / "Harbour reopens.md"
    item = ArticleItem(
        url=HARBOUR,
        lead_image="https://a.example/1.jpg",
        body_html='<img src="https://a.example/1.jpg"><img src="https://a.example/2.jpg">',
        local_images={"https://a.example/1.jpg": str(store / "abc.jpg"), "https://a.example/2.jpg": str(store / "gone.jpg")},
    )
    assert localize_images(item, post, fsync=False)
    copy = tmp_path / "mirror" / "news" / "Harbour reopens" / "abc.jpg"
    assert copy.read_bytes() == JPEG
    assert item.lead_image == "abc.jpg"
    assert item.body_html == '<img src="abc.jpg"><img src="https://a.example/2.jpg">'
    before = copy.stat().st_mtime_ns
    time.sleep(0.01)
    localize_images(item, post, fsync=False)
    assert copy.stat().st_mtime_ns == before


def test_store_is_never_inside_the_mirror(tmp_path: Path) -> None:
    mirror = tmp_path / "site" / "source" / "_posts"
    assert store_path(mirror, "") == tmp_path / "site" / "source" / ".newsmirror" / "images"
    assert store_path(mirror, str(tmp_path / "images")) == tmp_path / "images"
    with pytest.raises(ImageStoreError):
        store_path(mirror, str(mirror / "images"))
    with pytest.raises(ImageStoreError):
        store_path(mirror, str(mirror))


def test_requests_carry_the_article_as_referer_and_stop_at_the_per_article_limit(tmp_path: Path) -> None:
    defaults = {name: value for name, value in vars(project_settings).items() if name.isupper()}
    settings = {"MIRROR_IMAGES": True, "MIRROR_DIR": str(tmp_path / "mirror"), "MIRROR_IMAGES_PER_ARTICLE": 2}
    crawler = get_crawler(settings_dict={**defaults, **settings})
    crawler.stats.open_spider()
    pipeline = ImageCopyPipeline.from_crawler(crawler)
    item = ArticleItem(
        url="http://news.example.com/a",
        fetched_url="https://news.example.com/a",
        lead_image="https://a.example/lead.jpg",
        body_html='<img src="https://a.example/1.jpg"><img src="https://a.example/2.jpg">',
    )
    requests = pipeline.get_media_requests(item, None)  # type: ignore[arg-type]
    assert [request.url for request in requests] == ["https://a.example/lead.jpg", "https://a.example/1.jpg"]
    # The page as fetched (after redirects) is what embeds the images.
    assert {request.headers.get("Referer") for request in requests} == {b"https://news.example.com/a"}
    assert {request.meta["download_maxsize"] for request in requests} == {10 * 1024 * 1024}
    assert crawler.stats.get_value("newsmirror/images/over_limit") == 1
    assert (tmp_path / ".newsmirror" / "images").is_dir()


def test_off_by_default() -> None:
    assert project_settings.MIRROR_IMAGES is False
    assert project_settings.ITEM_PIPELINES["newsmirror.images.ImageCopyPipeline"] == 500
    with pytest.raises(NotConfigured):
        ImageCopyPipeline.from_crawler(get_crawler(settings_dict={"MIRROR_IMAGES": False}))


def _no_site_default(url: str) -> bool:
    """A site that declares no default images of its own."""
    return False


@pytest.mark.parametrize(
    "stand_in",
    ["https://s0.wp.com/i/blank.jpg", "https://news.example.cn/images/qrcode-app.png",
     "https://news.example.cn/img/ewm.png", "https://news.example.com/media/app_qr.png"],
)
def test_a_placeholder_or_a_qr_code_is_never_the_lead_image(stand_in: str) -> None:
    body_picture = "https://news.example.com/media/ferry.jpg"
    assert lead_image(stand_in, body_picture, _no_site_default, body_image_first=False) == body_picture
    assert lead_image(None, stand_in, _no_site_default, body_image_first=True) is None


@pytest.mark.parametrize(
    "picture",
    ["https://news.example.com/media/blank-ballot.jpg", "https://news.example.com/2023/RC2505AFN3QR_RTRMADP.jpg"],
)
def test_pictures_whose_names_only_resemble_a_stand_in_stay(picture: str) -> None:
    assert not is_default_image(picture)
    assert lead_image(picture, None, _no_site_default, body_image_first=False) == picture
