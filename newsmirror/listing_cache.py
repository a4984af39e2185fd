"""Storage for the listing cache that holds data, never code.

Scrapy's ``FilesystemCacheStorage`` unpickles files under its cache folder, so whoever can
write to ``.newsmirror/httpcache`` could run code in the crawler.  This storage keeps what
revalidating a list needs as plain data: the status, URL, headers and time as JSON, and
the body as raw bytes.  A file that is not what this storage wrote is no cache entry: it
is logged and the list is fetched again in full.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path
from time import time
from typing import TYPE_CHECKING, Any

from scrapy.http import Headers
from scrapy.responsetypes import responsetypes
from scrapy.utils.project import data_path

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.http import Request, Response
    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)

METADATA_FILE = "response.json"
BODY_FILE = "response_body"


class JsonCacheStorage:
    """A Scrapy HTTP cache storage (``HTTPCACHE_STORAGE``) of JSON metadata and raw bodies.

    One folder per request fingerprint, ``HTTPCACHE_DIR/<spider>/<fp[:2]>/<fp>/``, as
    Scrapy's filesystem storage lays it out; ``HTTPCACHE_EXPIRATION_SECS`` is honoured.
    """

    def __init__(self, settings: BaseSettings) -> None:
        self.cachedir = Path(data_path(settings["HTTPCACHE_DIR"]))
        self.expiration_secs = settings.getint("HTTPCACHE_EXPIRATION_SECS")
        self._fingerprinter: Any = None

    def open_spider(self, spider: Spider) -> None:
        """Take the crawler's request fingerprinter, which names the cache folders."""
        self._fingerprinter = spider.crawler.request_fingerprinter
        logger.debug("Listing cache (JSON, no pickles) in %s", self.cachedir)

    def close_spider(self, spider: Spider) -> None:
        """Nothing to close: every entry is written whole when stored."""

    def retrieve_response(self, spider: Spider, request: Request) -> Response | None:
        """Return the stored response for *request*, or None if there is none usable."""
        folder = self._folder(spider, request)
        metadata_path = folder / METADATA_FILE
        try:
            if 0 < self.expiration_secs < time() - metadata_path.stat().st_mtime:
                return None
            metadata = json.loads(metadata_path.read_text(encoding="utf-8"))
            body = (folder / BODY_FILE).read_bytes()
            url, status, timestamp = metadata["url"], metadata["status"], metadata["timestamp"]
            headers = Headers({name: values for name, values in metadata["headers"].items()})
            if not (isinstance(url, str) and isinstance(status, int) and isinstance(timestamp, (int, float))):
                raise ValueError("url, status or timestamp of the wrong type")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError) as problem:
            logger.warning("Ignoring the listing cache entry %s for %s: %s", folder, request.url, problem)
            return None
        request.meta["cache_timestamp"] = timestamp
        response_class = responsetypes.from_args(headers=headers, url=url, body=body)
        return response_class(url=url, status=status, headers=headers, body=body)

    def store_response(self, spider: Spider, request: Request, response: Response) -> None:
        """Store *response* for *request*: body first, then the metadata that makes it an entry."""
        folder = self._folder(spider, request)
        folder.mkdir(parents=True, exist_ok=True)
        metadata = {
            "url": response.url,
            "status": response.status,
            "headers": {
                name.decode("latin-1"): [value.decode("latin-1") for value in values]
                for name, values in response.headers.items()
            },
            "timestamp": time(),
        }
        _write_atomically(folder / BODY_FILE, response.body)
        _write_atomically(folder / METADATA_FILE, json.dumps(metadata).encode("utf-8"))

    def _folder(self, spider: Spider, request: Request) -> Path:
        key = self._fingerprinter.fingerprint(request).hex()
        return self.cachedir / spider.name / key[:2] / key


def _write_atomically(path: Path, data: bytes) -> None:
    """Write *data* to *path* through a temporary file, so a reader never sees half of it."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
