"""What the readers' fork server imports: all a reader uses, loaded once and shared.

Each reader process is forked from the fork server (:mod:`newsmirror.readers`), so what
is loaded here sits on pages every reader shares; what a reader loads itself is its own.
Only the fork server imports this module: the crawl's process reads no dates with
dateparser and must not pay for its locales.
"""

from __future__ import annotations

import gc
from datetime import datetime

from htmldate.extractors import month_words

import newsmirror.reading  # noqa: F401 - what every reader runs
import newsmirror.readers  # noqa: F401 - the worker side of the pool

# dateparser's locales are not loaded here, though each reader that meets a page only
# dateparser reads then loads them itself (~35 MB): loading them all costs ~3.8 s of CPU
# at the start of every crawl (bench/RESULTS.md, "Reader processes"), which a cron run
# with nothing new, and every test crawl, would pay for nothing.
month_words()
datetime.strptime("2024-05-16", "%Y-%m-%d")  # imports _strptime, which strptime loads lazily

# Frozen, the collector never visits these objects again, in the fork server or in a reader,
# so a collection in a reader does not write to (and so copy) the pages they share.
gc.collect()
gc.freeze()
