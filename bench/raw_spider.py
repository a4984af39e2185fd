"""The raw fetch limit: a bare Scrapy spider that fetches every URL of a list and does nothing.

Usage (from a folder without scrapy.cfg, so no project settings apply):
    scrapy runspider bench/raw_spider.py -a urls=FILE -s CONCURRENT_REQUESTS=16 ...

bench/throughput.py runs it beside the real newsmirror crawl with the same settings.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import scrapy
from scrapy.http import Response


class RawFetchSpider(scrapy.Spider):
    """Request every URL in ``-a urls=FILE``; the callback only counts the page."""

    name = "raw_fetch"

    def __init__(self, urls: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not urls:
            raise ValueError("pass the URL list: -a urls=FILE")
        self.url_file = Path(urls)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        """Yield one request per line of the URL file, read lazily (no list held)."""
        with self.url_file.open(encoding="utf-8") as lines:
            for line in lines:
                url = line.strip()
                if url:
                    yield scrapy.Request(url, callback=self.parse_page)

    def parse_page(self, response: Response) -> None:
        """Count the page and drop it: the bare cost of fetching."""
        self.crawler.stats.inc_value("raw/pages")
