"""What the readers' fork server imports: all a reader uses, loaded once and shared.

Each reader process is forked from the fork server (:mod:`newsmirror.readers`), so what
is loaded here sits on pages every reader shares; what a reader loads itself is its own.
Only the fork server imports this module: the crawl's process reads no dates with
dateparser and must not pay for its locales.
"""

from __future__ import annotations

import gc
from datetime import datetime

from htmldate.extractors import get_external_parser, month_words

import newsmirror.reading  # noqa: F401 - what every reader runs
import newsmirror.readers  # noqa: F401 - the worker side of the pool

# htmldate hands dateparser what it cannot read itself (its extensive search does, on
# pages without a date in markup or URL), and dateparser then loads and compiles every
# one of its locales: about 35 MB, in each reader that got such a page. A string no
# locale reads makes it load them all here, once.
get_external_parser().get_date_data("newsmirror 2024 readers")
month_words()
datetime.strptime("2024-05-16", "%Y-%m-%d")  # imports _strptime, which strptime loads lazily

# Frozen, the collector never visits these objects again, in the fork server or in a reader,
# so a collection in a reader does not write to (and so copy) the pages they share.
gc.collect()
gc.freeze()
