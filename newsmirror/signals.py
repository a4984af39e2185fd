"""newsmirror's own signals, sent through ``crawler.signals`` like Scrapy's.

Extensions (the run report, the exit code) listen to these instead of parsing logs.
"""

# An article that ends without a post: it could not be fetched, or its page is not an
# article.  Sent with ``url``, ``reason`` (one readable line), ``kind`` (a short stats
# key such as ``not_html`` or ``TimeoutError``) and ``source`` (the source's name).
# Articles dropped by a pipeline are reported by Scrapy's ``item_dropped`` instead.
article_failed = object()

# A whole source (a feed, a sitemap, a Sina channel) yielded nothing: it could not be
# fetched or read.  Sent with ``source`` (its name), ``url`` and ``reason`` (one line).
source_failed = object()

# A feed answered 304 Not Modified: nothing new since the last run.  Sent with
# ``source`` and ``url``.
source_not_modified = object()

# An article already in the ledger was not fetched again (no refresh asked for it).
# Sent with ``source`` and ``url`` (as listed), so the run report counts it as ``known``.
article_known = object()

# Known articles of one listing chunk were not fetched again: the batched form of
# ``article_known`` (one signal for up to 500 URLs, not one each). Sent with ``source``
# and ``urls`` (a list, as listed).
articles_known = object()
