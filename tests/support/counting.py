"""A spider middleware for tests: counts the article requests a spider builds, before any middleware drops one."""

from __future__ import annotations

import json

from scrapy import Request
from scrapy.http import Response
from scrapy.spidermiddlewares.base import BaseSpiderMiddleware

from newsmirror.incremental import is_article_request

# -s SPIDER_MIDDLEWARES=... replaces the project's dict, so the real middleware is named again.
# 1010: nearer the spider than KnownArticleMiddleware (1000), so it sees what the spider built.
COUNTING_MIDDLEWARES = json.dumps(
    {"newsmirror.incremental.KnownArticleMiddleware": 1000, "tests.support.counting.ArticleRequestCounter": 1010}
)


class ArticleRequestCounter(BaseSpiderMiddleware):
    """Counts, in the stat ``test/article_requests_built``, every article request the spider yields."""

    def get_processed_request(self, request: Request, response: Response | None) -> Request | None:
        """Count an article request and pass it on unchanged."""
        if is_article_request(request):
            self.crawler.stats.inc_value("test/article_requests_built")
        return request
