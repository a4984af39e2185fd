"""``scrapy crawl article``: mirror article URLs given by hand."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from newsmirror.incremental import known_articles_for, mark_sifted
from newsmirror.spiders.base import MirrorSpider, SpiderArgumentError, check_url, split_list


def read_url_file(path: str) -> list[str]:
    """Return the URLs in a file, one per line; blank lines and ``#`` comments are skipped."""
    try:
        lines = Path(path).read_text(encoding="utf-8-sig").splitlines()
    except OSError as error:
        raise SpiderArgumentError(f"cannot read the URL file {path!r}: {error.strerror}") from None
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


class ArticleSpider(MirrorSpider):
    """Fetches the given article pages.

    ``-a url=URL[,URL...]``, ``-a urls=FILE`` (one URL per line), ``-a categories=A,B,C``.
    """

    name = "article"

    def __init__(self, url: str | None = None, urls: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        given = split_list(url) + (read_url_file(urls) if urls else [])
        if not given:
            raise SpiderArgumentError("give article URLs with -a url=URL[,URL...] or -a urls=FILE")
        self.article_urls = [check_url(item) for item in dict.fromkeys(given)]

    async def start(self) -> AsyncIterator[Any]:
        """Request every given article not already mirrored (sifted against the ledger in chunks)."""
        known = known_articles_for(self.crawler)
        if known is None:
            for url in self.article_urls:
                yield self.article_request(url)
            return
        for url, entry in known.sift(self.article_urls, self.name):
            request = self.article_request(url)
            yield known.as_refresh(request, entry) if entry is not None else mark_sifted(request)
