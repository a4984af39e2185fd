"""Local copies of article images (``MIRROR_IMAGES=1``): download, store, copy beside the post.

Three steps, each where the data flow puts it:

* :class:`ImageCopyPipeline` (a Scrapy ``FilesPipeline``, between cleaning and writing)
  downloads an article's lead image and body images, with the article's URL as
  ``Referer`` (Sina's image host refuses others), into a store beside ``MIRROR_DIR``
  (``.newsmirror/images/`` by default), and records on the item which URLs have a copy.
* :func:`localize_images`, called by the writer pipeline once the post's path is known,
  copies those files into the post's asset folder (``<post name>/`` beside
  ``<post name>.md``, Hexo's ``post_asset_folder`` layout) and points ``src``,
  ``headimg`` and ``thumbnail`` at them by bare file name, which Hexo resolves against
  the post's own page.
* Anything that fails keeps its remote URL: an image never costs an article its post.

Remote data never names a file: a copy is named by the SHA-1 of its URL, plus the URL's
extension only when that is a raster image extension on an allow-list.
"""

from __future__ import annotations

import hashlib
import html
import logging
import re
from pathlib import Path, PurePosixPath
from typing import IO, Any, NoReturn
from urllib.parse import urlsplit

from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Request, Response
from scrapy.http.request import NO_CALLBACK
from scrapy.pipelines.files import FilesPipeline, FSFilesStore
from scrapy.pipelines.media import FileException, FileInfo, FileInfoOrError, MediaPipeline
from twisted.python.failure import Failure

from newsmirror.store.posts import write_atomic
from newsmirror.items import ArticleItem

logger = logging.getLogger(__name__)

# Extensions a copy may keep: raster formats only. SVG can carry script, and any other
# extension could make a site generator render the file (.md, .html) instead of copying it.
SAFE_IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif", ".bmp"})
# The first bytes of the raster formats above: an error page served as "photo.jpg" is no image.
_SIGNATURES: tuple[tuple[int, bytes], ...] = (
    (0, b"\xff\xd8\xff"),  # JPEG
    (0, b"\x89PNG\r\n\x1a\n"),
    (0, b"GIF87a"),
    (0, b"GIF89a"),
    (0, b"BM"),
    (8, b"WEBP"),  # after "RIFF" and a length
    (4, b"ftypavif"),
    (4, b"ftypavis"),
)
# cleaned HTML comes from nh3, which always double-quotes attribute values.
_IMG_SRC = re.compile(r'(<img\b[^>]*?\ssrc=")([^"]*)(")')


class ImageStoreError(ValueError):
    """``MIRROR_IMAGES_STORE`` would put downloaded images where a site generator publishes them."""


class ImageNotCopied(FileException):
    """One image could not be copied; the message says why, and the post keeps its remote URL."""


def _not_an_image_traceback(record: logging.LogRecord) -> bool:
    """Logging filter: drop Scrapy's traceback for an image we could not copy.

    Scrapy's media pipeline logs every failed download as an error with a full traceback;
    for an image that is an expected event, which ``item_completed`` logs in one line with
    its reason.
    """
    return not (record.exc_info and isinstance(record.exc_info[1], ImageNotCopied))


def is_image(data: bytes) -> bool:
    """Tell whether *data* starts like one of the raster formats we keep."""
    return any(data[offset : offset + len(magic)] == magic for offset, magic in _SIGNATURES)


def is_web_url(url: str | None) -> bool:
    """Tell whether *url* is an absolute http(s) URL."""
    try:
        parts = urlsplit(url or "")
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def image_name(url: str) -> str:
    """Return the file name of *url*'s copy: its SHA-1, plus its extension when that is a safe one."""
    digest = hashlib.sha1(url.encode("utf-8")).hexdigest()
    try:
        extension = PurePosixPath(urlsplit(url).path).suffix.lower()
    except ValueError:
        extension = ""
    return digest + (extension if extension in SAFE_IMAGE_EXTENSIONS else "")


def body_image_urls(body_html: str) -> list[str]:
    """Return the ``src`` of every image in cleaned HTML, in order, as URLs (entities decoded)."""
    return [html.unescape(match.group(2)) for match in _IMG_SRC.finditer(body_html)]


def image_urls(item: ArticleItem) -> list[str]:
    """Return the http(s) images of an article, once each: the lead image first, then the body's."""
    candidates = [item.lead_image or "", *body_image_urls(item.body_html or "")]
    return list(dict.fromkeys(url for url in candidates if is_web_url(url)))


def default_store_path(mirror_dir: Path) -> Path:
    """Return ``.newsmirror/images`` in the folder that holds ``MIRROR_DIR`` (beside the ledger)."""
    return mirror_dir.resolve().parent / ".newsmirror" / "images"


def store_path(mirror_dir: Path, configured: str) -> Path:
    """Return the image store folder, refusing one inside ``MIRROR_DIR`` (a generator would publish it)."""
    store = Path(configured).resolve() if configured else default_store_path(mirror_dir)
    mirror = mirror_dir.resolve()
    if store == mirror or mirror in store.parents:
        raise ImageStoreError(
            f"MIRROR_IMAGES_STORE {store} is inside MIRROR_DIR {mirror}; "
            "keep it beside MIRROR_DIR (empty uses .newsmirror/images)"
        )
    return store


class AtomicFilesStore(FSFilesStore):
    """Scrapy's file-system store, writing each file through a temporary file and ``os.replace``.

    Scrapy's own store writes in place, so a crash could leave a truncated image that a
    later run takes as up to date.
    """

    fsync = True

    def persist_file(
        self,
        path: str,
        buf: IO[bytes],
        info: MediaPipeline.SpiderInfo,
        meta: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Store *buf* at *path* under the store folder, atomically."""
        write_atomic(Path(self.basedir, *path.split("/")), buf.getvalue(), fsync=self.fsync)


class ImageCopyPipeline(FilesPipeline):
    """Downloads each article's lead and body images into the image store (``MIRROR_IMAGES=1``).

    The item leaves with ``local_images``: image URL -> path of its copy in the store.
    The writer pipeline turns those into the post's asset folder (:func:`localize_images`).
    """

    MEDIA_NAME = "image"
    STORE_SCHEMES = {"": AtomicFilesStore, "file": AtomicFilesStore}

    def __init__(self, store_uri: str, *, crawler: Crawler) -> None:
        super().__init__(store_uri, crawler=crawler)
        settings = crawler.settings
        self.store_dir = Path(store_uri)
        self.per_article = settings.getint("MIRROR_IMAGES_PER_ARTICLE")
        self.max_size = settings.getint("MIRROR_IMAGES_MAXSIZE")
        if self.per_article < 0 or self.max_size <= 0:
            raise ValueError("MIRROR_IMAGES_PER_ARTICLE must be >= 0 and MIRROR_IMAGES_MAXSIZE > 0")
        if isinstance(self.store, AtomicFilesStore):
            self.store.fsync = settings.getbool("MIRROR_FSYNC")
        # A function object: adding it again (a second crawl in one process) is a no-op.
        logging.getLogger("scrapy.pipelines.media").addFilter(_not_an_image_traceback)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ImageCopyPipeline:
        """Build the pipeline from the settings; switched off unless ``MIRROR_IMAGES`` is on."""
        settings = crawler.settings
        if not settings.getbool("MIRROR_IMAGES"):
            raise NotConfigured  # no message: off is the default, not news worth a log line
        store = store_path(Path(settings.get("MIRROR_DIR")), settings.get("MIRROR_IMAGES_STORE") or "")
        return cls(str(store), crawler=crawler)

    def get_media_requests(self, item: Any, info: MediaPipeline.SpiderInfo) -> list[Request]:
        """Return one request per image to copy, each sent with the article's URL as Referer."""
        if not isinstance(item, ArticleItem) or item.body_html is None or item.status is not None:
            return []  # no body, or no post to be written (MIRROR_PARTIAL/DUPLICATES=skip)
        referer = item.fetched_url or item.url
        found = image_urls(item)
        urls = found[: self.per_article]
        over = len(found) - len(urls)
        if over:
            self.crawler.stats.inc_value("newsmirror/images/over_limit", over)
            logger.info(
                "Images not copied for %s: %d over MIRROR_IMAGES_PER_ARTICLE=%d keep their remote URLs",
                item.url, over, self.per_article,
            )  # fmt: skip
        return [
            Request(
                url,
                headers={"Referer": referer},
                callback=NO_CALLBACK,
                # Scrapy cancels the download once the body passes this size.
                meta={"download_maxsize": self.max_size, "download_warnsize": self.max_size},
            )
            for url in urls
        ]

    def file_path(
        self,
        request: Request,
        response: Response | None = None,
        info: MediaPipeline.SpiderInfo | None = None,
        *,
        item: Any = None,
    ) -> str:
        """Return the copy's path in the store: two hex digits of fan-out, then :func:`image_name`."""
        name = image_name(request.url)
        return f"{name[:2]}/{name}"

    async def media_downloaded(
        self,
        response: Response,
        request: Request,
        info: MediaPipeline.SpiderInfo,
        *,
        item: Any = None,
    ) -> FileInfo:
        """Store the response if it is an image; otherwise say why not (the post keeps the URL)."""
        if response.status != 200:
            return _failed(request, f"HTTP {response.status}")
        if not is_image(response.body):
            return _failed(request, "the response is not a JPEG, PNG, GIF, WebP, AVIF or BMP image")
        return await super().media_downloaded(response, request, info, item=item)

    def media_failed(self, failure: Failure, request: Request, info: MediaPipeline.SpiderInfo) -> NoReturn:
        """Turn a download error into :class:`ImageNotCopied` carrying its reason."""
        if isinstance(failure.value, IgnoreRequest):
            super().media_failed(failure, request, info)  # filtered (robots.txt, offsite): Scrapy's way
        raise ImageNotCopied(str(failure.value) or type(failure.value).__name__) from failure.value

    def item_completed(self, results: list[FileInfoOrError], item: Any, info: MediaPipeline.SpiderInfo) -> Any:
        """Record which images have a copy; log each one that does not, with its reason."""
        if not isinstance(item, ArticleItem) or item.body_html is None or item.status is not None:
            return item
        # The same pure function chose the requests, and results come in request order.
        urls = image_urls(item)[: self.per_article]
        stats = self.crawler.stats
        for url, (ok, result) in zip(urls, results, strict=True):
            if ok and not result["status"].startswith("failed"):
                item.local_images[url] = str(self.store_dir / result["path"])
                stats.inc_value("newsmirror/images/copied")
                continue
            if ok:
                reason = result["status"].partition(": ")[2]
            else:
                reason = str(result.value) or type(result.value).__name__
            stats.inc_value("newsmirror/images/failed")
            logger.warning("Image not copied: %s (in %s): %s; the post keeps its remote URL", url, item.url, reason)
        return item


def _failed(request: Request, reason: str) -> FileInfo:
    """Return the result of an image that was answered but is not storable.

    A result rather than an exception: Scrapy logs every media exception as an error with a
    traceback, and a refused image is an expected, explained event, not a crash.
    """
    return {"url": request.url, "path": "", "checksum": None, "status": f"failed: {reason}"}


def _install(stored: Path, target: Path, *, fsync: bool) -> None:
    """Copy *stored* to *target* atomically, unless *target* already holds the same bytes."""
    data = stored.read_bytes()
    try:
        if target.stat().st_size == len(data) and target.read_bytes() == data:
            return  # an unchanged copy is never rewritten: its mtime stays
    except FileNotFoundError:
        pass
    write_atomic(target, data, fsync=fsync)


def localize_images(
    item: ArticleItem, post_file: Path, *, fsync: bool = True, asset_folder: Path | None = None
) -> bool:
    """Copy the item's stored images into *post_file*'s asset folder, then point the item at them.

    ``src`` in the body, and the lead image (``headimg``, ``thumbnail``), become bare file
    names, which Hexo's ``post_asset_folder`` serves beside the post's page. Copies land
    before the post that names them. An image whose copy fails keeps its remote URL.
    *asset_folder* is the post format's (a Hugo page bundle: the post's own folder).
    Returns whether the item changed, so the post must be rendered again.
    """
    if not item.local_images:
        return False
    if asset_folder is None:
        asset_folder = post_file.with_suffix("")  # Hexo: "<post name>/" beside "<post name>.md"
    names: dict[str, str] = {}
    for url, stored in item.local_images.items():
        name = Path(stored).name
        try:
            _install(Path(stored), asset_folder / name, fsync=fsync)
        except OSError as error:
            logger.warning("Image not copied: %s (in %s): %s; the post keeps its remote URL", url, item.url, error)
            continue
        names[url] = name
    return rewrite_image_urls(item, names)


def rewrite_image_urls(item: ArticleItem, names: dict[str, str]) -> bool:
    """Replace image URLs in ``body_html`` and ``lead_image`` by their local names; return whether any was."""

    def local(match: re.Match[str]) -> str:
        name = names.get(html.unescape(match.group(2)))
        return match.group(0) if name is None else f"{match.group(1)}{name}{match.group(3)}"

    body = _IMG_SRC.sub(local, item.body_html or "")
    lead = names.get(item.lead_image or "", item.lead_image)
    changed = body != (item.body_html or "") or lead != item.lead_image
    if item.body_html is not None:
        item.body_html = body
    item.lead_image = lead
    return changed
