"""A machine without a network, for crawls that must meet DNS failures without leaving loopback.

``-s TWISTED_DNS_RESOLVER=tests.support.offline.NoNetworkResolver`` makes the crawl's own
resolver (the project's real one, subclassed) answer like a machine whose only name
source is its hosts file: ``localhost`` resolves, any other name fails as an offline
lookup does. No DNS query leaves the machine, unlike a lookup of a ``.invalid`` name.
"""

from __future__ import annotations

import logging
from typing import Any

from twisted.internet import defer
from twisted.internet.error import DNSLookupError

from newsmirror.middlewares import GuardedResolver

logger = logging.getLogger(__name__)

# Logged for every refused lookup, so a test can tell this resolver was the one used.
REFUSED = "offline resolver refused"
# Offline resolver setting for run_crawl(settings=...).
OFFLINE = {"TWISTED_DNS_RESOLVER": "tests.support.offline.NoNetworkResolver"}
_LOCAL_NAMES = {"localhost": "127.0.0.1"}


class NoNetworkResolver(GuardedResolver):
    """The project's resolver, on a machine whose network is down."""

    def getHostByName(self, name: str, timeout: Any = ()) -> defer.Deferred[str]:  # noqa: N802 (Twisted's name)
        """Resolve local names only; fail every other lookup as an offline machine does."""
        if name.rstrip(".").lower() in _LOCAL_NAMES or name.replace(".", "").isdigit():
            return super().getHostByName(name, timeout)
        logger.info("%s %s", REFUSED, name)
        return defer.fail(DNSLookupError(f"no results for hostname lookup: {name}"))
