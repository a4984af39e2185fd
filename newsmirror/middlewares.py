"""Downloader middlewares for a crawl that meets hostile networks and hostile pages.

* :class:`AddressGuardMiddleware` keeps requests away from private, loopback,
  link-local and metadata addresses and from non-http(s) schemes, for every request,
  ``dont_filter`` ones and redirect hops included; :class:`GuardedResolver` applies the
  same rule to what DNS answers, so a public-looking name cannot lead inside either.
* :class:`BoundedRetryMiddleware` retries with exponential backoff, honours
  ``Retry-After`` up to a cap, and bounds the total time spent on one request.
* :class:`GuardedRedirectMiddleware` and :class:`SafeMetaRefreshMiddleware` name
  redirect loops and over-long chains instead of letting the duplicate filter swallow
  them, and keep a page whose meta refresh leads nowhere safe.
* :class:`PoliteRobotsTxtMiddleware` applies robots.txt ``Crawl-delay`` and reports an
  unreachable robots.txt in one line.
* :class:`ContactUserAgentMiddleware` puts the operator's contact URL in the User-Agent.
"""

from __future__ import annotations

import email.utils
import ipaddress
import logging
import re
import socket
import time
import urllib.request
from datetime import timezone
from typing import TYPE_CHECKING, Any
from urllib.parse import urldefrag, urlsplit

from scrapy import signals
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware, RedirectMiddleware
from scrapy.downloadermiddlewares.retry import RetryMiddleware, get_retry_request
from scrapy.downloadermiddlewares.useragent import UserAgentMiddleware
from scrapy.exceptions import DontCloseSpider, IgnoreRequest, NotConfigured
from scrapy.http import HtmlResponse, Request, Response
from scrapy.http.request import NO_CALLBACK
from scrapy.resolver import CachingThreadedResolver
from scrapy.utils.asyncio import call_later, sleep
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.response import get_meta_refresh
from scrapy.utils.misc import load_object
from twisted.internet import defer

from newsmirror.failures import BlockedAddressError, describe_failure, status_text

if TYPE_CHECKING:
    from typing_extensions import Self
    from twisted.internet.base import ReactorBase

    from scrapy.crawler import Crawler
    from scrapy.robotstxt import RobotParser
    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)

ALLOWED_SCHEMES = frozenset({"http", "https"})
# Names that mean "this machine" or "inside this network" whatever DNS says.
_INTERNAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback", "metadata"})
_INTERNAL_SUFFIXES = (".localhost", ".local", ".internal", ".localdomain", ".home.arpa", ".intranet", ".lan")
# inet_aton also reads 2130706433, 0x7f.1 and 0177.0.0.1 as IPv4 addresses, and so does
# the C resolver: such hosts are addresses, not names.
_NUMERIC_HOST = re.compile(r"^[0-9a-fx.]+$")


# --------------------------------------------------------------------------- the address guard


def address_problem(address: str) -> str | None:
    """Say why an IP address must not be fetched (private, loopback...), or None if it is public."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return f"{address!r} is not an IP address"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for kind in ("loopback", "link_local", "private", "multicast", "unspecified", "reserved"):
        if getattr(ip, f"is_{kind}"):
            return f"{ip} is a {kind.replace('_', '-')} address"
    if not ip.is_global:
        return f"{ip} is not a public address"
    return None


def literal_address(host: str) -> str | None:
    """Return the IP address *host* spells (in any form the C resolver accepts), or None for a name."""
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    if _NUMERIC_HOST.match(host):
        try:
            return socket.inet_ntoa(socket.inet_aton(host))
        except OSError:
            return None
    return None


def host_problem(host: str) -> str | None:
    """Say why *host* as written (a name or a literal address) must not be fetched, or None."""
    host = host.rstrip(".").lower()
    if not host:
        return "the URL has no host"
    address = literal_address(host)
    if address is not None:
        return address_problem(address)
    if host in _INTERNAL_NAMES or host.endswith(_INTERNAL_SUFFIXES):
        return f"{host} is an internal host name"
    if "." not in host:
        # A single label is resolved through the local search domains: an intranet name.
        return f"{host} is a single-label (intranet) host name"
    return None


def url_problem(url: str, allowed_hosts: frozenset[str]) -> str | None:
    """Say why *url* must not be fetched, judging the host as written, or None if it may be."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").rstrip(".").lower()
    except ValueError:
        return f"malformed URL {url!r}"
    if parts.scheme.lower() not in ALLOWED_SCHEMES:
        return f"the {parts.scheme or 'missing'}: scheme is not fetched"
    if host in allowed_hosts:
        return None
    return host_problem(host)


def allowed_hosts(settings: BaseSettings, *, with_proxies: bool = False) -> frozenset[str]:
    """Return ``MIRROR_ALLOWED_HOSTS``, plus the hosts of the environment's HTTP(S) proxies if asked.

    Only the resolver lets proxy hosts through (connecting to the proxy is the point);
    a URL naming the proxy's address is as internal as any other.
    """
    hosts = {host.strip().rstrip(".").lower() for host in settings.getlist("MIRROR_ALLOWED_HOSTS") if host.strip()}
    if with_proxies and settings.getbool("HTTPPROXY_ENABLED"):
        for scheme, proxy in urllib.request.getproxies().items():
            if scheme in ALLOWED_SCHEMES and (proxy_host := urlsplit(proxy if "//" in proxy else f"//{proxy}").hostname):
                hosts.add(proxy_host.lower())
    return frozenset(hosts)


class AddressGuardMiddleware:
    """Refuses requests to non-http(s) URLs and to internal hosts, whatever their origin.

    It runs first in the downloader chain, so redirect hops, retries, ``dont_filter``
    requests and robots.txt fetches all pass through it. Hosts are judged as written;
    :class:`GuardedResolver` judges what names resolve to.
    """

    def __init__(self, allowed: frozenset[str], stats: Any) -> None:
        self.allowed = allowed
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Build the guard; ``MIRROR_ADDRESS_GUARD = False`` switches it off."""
        if not crawler.settings.getbool("MIRROR_ADDRESS_GUARD"):
            raise NotConfigured
        return cls(allowed_hosts(crawler.settings), crawler.stats)

    def process_request(self, request: Request) -> None:
        """Raise IgnoreRequest, with the reason, for a request the guard refuses."""
        problem = url_problem(request.url, self.allowed)
        if problem is not None:
            self.stats.inc_value("newsmirror/blocked")
            raise IgnoreRequest(f"blocked: {problem} ({request.url})")


class GuardedResolver(CachingThreadedResolver):
    """Scrapy's caching resolver that refuses names resolving to internal addresses.

    The check is on the very address the connection will use (the answer is cached),
    so DNS rebinding between a check and the connection cannot slip through. Behind a
    proxy the resolver only ever sees the proxy's own name, which the operator chose.
    """

    def __init__(
        self, reactor: ReactorBase, cache_size: int, timeout: float, allowed: frozenset[str] | None
    ) -> None:
        super().__init__(reactor, cache_size, timeout)
        self.allowed = allowed  # None: the guard is off

    @classmethod
    def from_crawler(cls, crawler: Crawler, reactor: ReactorBase) -> Self:
        """Build the resolver from the settings (Scrapy passes the CrawlerProcess here)."""
        settings = crawler.settings
        cache_size = settings.getint("DNSCACHE_SIZE") if settings.getbool("DNSCACHE_ENABLED") else 0
        allowed = allowed_hosts(settings, with_proxies=True) if settings.getbool("MIRROR_ADDRESS_GUARD") else None
        return cls(reactor, cache_size, settings.getfloat("DNS_TIMEOUT"), allowed)

    def getHostByName(self, name: str, timeout: Any = ()) -> defer.Deferred[str]:  # noqa: N802 (Twisted's name)
        """Resolve *name*, failing with :class:`BlockedAddressError` for an internal address."""
        resolved = super().getHostByName(name, timeout)
        if self.allowed is not None and name.rstrip(".").lower() not in self.allowed:
            resolved.addCallback(self._check, name)
        return resolved

    @staticmethod
    def _check(address: str, name: str) -> str:
        """Pass a public address through; refuse any other."""
        problem = address_problem(address)
        if problem is not None:
            raise BlockedAddressError(f"blocked: {name} resolves to {address}, and {problem}")
        return address


# --------------------------------------------------------------------------- retries


def retry_after_seconds(value: bytes | None, now: float | None = None) -> float | None:
    """Return the wait a ``Retry-After`` header asks for (seconds or an HTTP date), or None."""
    if not value:
        return None
    text = value.decode("latin-1").strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def backoff_delay(retry_number: int, base: float, cap: float) -> float:
    """Return the wait before retry number *retry_number* (1, 2, ...): base, 2*base, 4*base..., at most cap."""
    return min(cap, base * 2 ** max(0, retry_number - 1))


class BoundedRetryMiddleware(RetryMiddleware):
    """Scrapy's retries, plus exponential backoff, ``Retry-After`` and a total time budget.

    Each retry waits ``MIRROR_RETRY_BACKOFF`` seconds, doubling up to
    ``MIRROR_RETRY_BACKOFF_MAX``; a 429 or 503 ``Retry-After`` replaces that wait, and
    one above ``MIRROR_RETRY_AFTER_MAX`` ends the retries at once. No retry starts
    after ``MIRROR_RETRY_BUDGET`` seconds from the first attempt, and a retry's
    download timeout is cut to what is left of the budget.
    """

    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        self.backoff = settings.getfloat("MIRROR_RETRY_BACKOFF")
        self.backoff_max = settings.getfloat("MIRROR_RETRY_BACKOFF_MAX")
        self.retry_after_max = settings.getfloat("MIRROR_RETRY_AFTER_MAX")
        self.budget = settings.getfloat("MIRROR_RETRY_BUDGET")
        self.download_timeout = settings.getfloat("DOWNLOAD_TIMEOUT")
        self.waiting: dict[int, Any] = {}  # retries waiting outside the downloader, by id

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Build the middleware; keep the spider open while a retry waits for its time."""
        middleware = super().from_crawler(crawler)
        crawler.signals.connect(middleware.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def spider_idle(self) -> None:
        """A crawl with retries still waiting is not done."""
        if self.waiting:
            raise DontCloseSpider

    def spider_closed(self) -> None:
        """Drop the retries still waiting when the crawl ends anyway (a shutdown)."""
        for timer in self.waiting.values():
            timer.cancel()
        self.waiting.clear()

    def process_request(self, request: Request) -> None:
        """Note when the first attempt of a request started."""
        request.meta.setdefault("retry_started", time.time())

    async def process_response(self, request: Request, response: Response) -> Request | Response:  # type: ignore[override]
        """Retry a retryable status after its wait; give up when the wait or the budget is too long."""
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        reason = f"HTTP {status_text(response.status)}"
        asked = retry_after_seconds(response.headers.get(b"Retry-After")) if response.status in (429, 503) else None
        if asked is not None and asked > self.retry_after_max:
            raise IgnoreRequest(
                f"{reason}: the server asks to wait {asked:.0f} s, more than MIRROR_RETRY_AFTER_MAX "
                f"({self.retry_after_max:.0f} s)"
            )
        retry = await self._retry_later(request, reason, asked)
        return retry or response

    async def process_exception(self, request: Request, exception: Exception) -> Request | Response | None:  # type: ignore[override]
        """Retry a retryable download error after its backoff; never retry a blocked address."""
        if (
            isinstance(exception, BlockedAddressError)
            or not isinstance(exception, self.exceptions_to_retry)
            or request.meta.get("dont_retry", False)
        ):
            return None
        return await self._retry_later(request, exception, None)

    async def _retry_later(self, request: Request, reason: str | Exception, wait: float | None) -> Request | None:
        """Return the retry request once its wait is over, or None when retries or the budget are spent."""
        retry_number = request.meta.get("retry_times", 0) + 1
        if wait is None:
            wait = backoff_delay(retry_number, self.backoff, self.backoff_max)
        started = request.meta.get("retry_started", time.time())
        left = self.budget - (time.time() - started) - wait
        if left <= 1.0:
            self.crawler.stats.inc_value("newsmirror/retry_budget_spent")
            logger.info("Not retrying %s: its %.0f s retry budget is spent (%s)", request, self.budget, reason)
            return None
        assert self.crawler.spider is not None
        retry = get_retry_request(
            request,
            spider=self.crawler.spider,
            reason=reason,
            max_retry_times=request.meta.get("max_retry_times", self.max_retry_times),
            priority_adjust=request.meta.get("priority_adjust", self.priority_adjust),
            give_up_log_level=request.meta.get("give_up_log_level", self.give_up_log_level),
        )
        if retry is None:
            return None
        retry.meta["download_timeout"] = min(self.download_timeout, left)
        if wait <= 0:
            return retry
        if request.callback is NO_CALLBACK:
            # A request a component awaits itself (an image, robots.txt) must come back on
            # its own chain, so it waits here; article and listing requests never do.
            await sleep(wait)
            return retry
        # Sleeping here would hold a downloader slot, and with CONCURRENT_REQUESTS of them
        # busy every other host waits too. The retry waits on a timer instead, and goes to
        # the scheduler when it is due; this attempt ends quietly.
        key = id(retry)
        self.waiting[key] = call_later(wait, self._schedule_retry, key, retry)
        self.crawler.stats.inc_value("newsmirror/retry_waiting")
        raise RetryDeferred(f"retrying {request.url} in {wait:.0f} s ({reason})")

    def _schedule_retry(self, key: int, retry: Request) -> None:
        """Hand a retry whose wait is over to the engine, like any new request."""
        if self.waiting.pop(key, None) is not None and self.crawler.engine is not None:
            self.crawler.engine.crawl(retry)


class RetryDeferred(IgnoreRequest):
    """An attempt that ended because its retry waits outside the downloader: not a failure."""


# --------------------------------------------------------------------------- redirects


def _refuse_long_chain(request: Request, max_redirect_times: int) -> None:
    """Raise the reason for a hop Scrapy refused when the chain is past ``REDIRECT_MAX_TIMES``.

    Scrapy says only "max redirections reached"; this says so, and where the chain began.
    """
    chain = [*request.meta.get("redirect_urls", []), request.url]
    if len(chain) > max_redirect_times:
        raise IgnoreRequest(f"more than {max_redirect_times} redirects (REDIRECT_MAX_TIMES), from {chain[0]}")


def _seen(url: str, chain: list[str]) -> bool:
    """Tell whether *url* (fragment aside) is already in the redirect *chain*."""
    return urldefrag(url)[0] in {urldefrag(seen)[0] for seen in chain}


class GuardedRedirectMiddleware(RedirectMiddleware):
    """Scrapy's redirects; loops and chains over ``REDIRECT_MAX_TIMES`` fail with their reason.

    Built on the public ``process_response``: the hop Scrapy makes (Cookie and
    Authorization dropped across hosts, its meta filled) is checked before it goes.
    """

    def process_response(self, request: Request, response: Response) -> Request | Response:  # type: ignore[override]
        """Return the next hop, or the response; refuse a loop with the chain that makes it."""
        try:
            hop = super().process_response(request, response)
        except IgnoreRequest:
            _refuse_long_chain(request, self.max_redirect_times)
            raise
        if not isinstance(hop, Request) or hop is request:
            return hop
        chain = [*request.meta.get("redirect_urls", []), request.url]
        if _seen(hop.url, chain):
            raise IgnoreRequest(f"redirect loop: {' -> '.join([*chain, hop.url])}")
        # The duplicate filter would drop a hop to a URL already fetched without a word;
        # the loop check above and the hop limit end every chain instead.
        hop.dont_filter = True
        return hop


class SafeMetaRefreshMiddleware(MetaRefreshMiddleware):
    """Follows a meta refresh only to a fresh, allowed http(s) URL; else keeps the page.

    A refresh to ``javascript:``, to an internal address, to the page itself or back
    along the redirect chain says nothing about where the article is, so the page is
    mirrored from its own content. A hostile ``<base href>`` lands in the same checks,
    since the refresh target is resolved against it.
    """

    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        self.allowed = allowed_hosts(settings)
        # Read as Scrapy reads them, so the check below looks at the refresh Scrapy would follow.
        self.ignore_tags = settings.getlist("METAREFRESH_IGNORE_TAGS")
        self.max_delay = settings.getint("METAREFRESH_MAXDELAY")

    def process_response(self, request: Request, response: Response) -> Request | Response:  # type: ignore[override]
        """Return the refresh target's request, or the response itself when it is not worth following."""
        if isinstance(response, HtmlResponse) and not request.meta.get("dont_redirect", False):
            # Checked before Scrapy builds the hop: a javascript: target makes it raise.
            interval, url = get_meta_refresh(response, ignore_tags=self.ignore_tags)
            if interval is None or interval >= self.max_delay:
                url = None  # not a refresh Scrapy follows
            chain = [*request.meta.get("redirect_urls", []), request.url, response.url]
            problem = url_problem(url, self.allowed) if url else None
            if url and problem is None and _seen(url, chain):
                problem = "it points back at the page or its redirect chain"
            if problem is not None:
                logger.debug("Ignoring the meta refresh of %s to %s: %s", response.url, url[:200], problem)
                self.crawler.stats.inc_value("newsmirror/meta_refresh_ignored")
                return response
        try:
            hop = super().process_response(request, response)
        except IgnoreRequest:
            _refuse_long_chain(request, self.max_redirect_times)
            raise
        if isinstance(hop, Request) and hop is not request:
            hop.dont_filter = True  # as for redirects: the checks above end every chain
        return hop


# --------------------------------------------------------------------------- robots.txt


class PoliteRobotsTxtMiddleware:
    """robots.txt as Scrapy obeys it, plus ``Crawl-delay``, and one log line when robots.txt fails.

    Our own middleware in place of Scrapy's ``RobotsTxtMiddleware``, built on public
    API only (the parser class of ``ROBOTSTXT_PARSER`` and its ``from_crawler``, the
    crawler's stats, the ``robots_parsed`` signal): subclassing it meant reaching into
    its private parser map and hooks.  Same stats, same signal, same rules.
    ``Crawl-delay`` (for ``ROBOTSTXT_USER_AGENT``), capped at ``MIRROR_CRAWL_DELAY_MAX``,
    becomes the least delay of the host's download slot, whatever AutoThrottle computes.
    """

    DOWNLOAD_PRIORITY = 1000  # Scrapy's: robots.txt goes before the pages it rules

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        if not settings.getbool("ROBOTSTXT_OBEY"):
            raise NotConfigured
        self.crawler = crawler
        self.stats = crawler.stats
        self.robots_agent: str | None = settings.get("ROBOTSTXT_USER_AGENT") or None
        self.default_agent: str = settings.get("USER_AGENT")
        self.parser_class: type[RobotParser] = load_object(settings.get("ROBOTSTXT_PARSER"))
        self.parser_class.from_crawler(crawler, b"")  # a parser whose library is missing fails here, at start
        # netloc -> its parser (None: no usable robots.txt), or the Deferred of one being fetched.
        self.parsers: dict[str, RobotParser | defer.Deferred[RobotParser | None] | None] = {}
        self.delay_cap = settings.getfloat("MIRROR_CRAWL_DELAY_MAX")
        self.crawl_delays: dict[str, float] = {}  # download-slot key -> seconds
        # Connected after AutoThrottle (an extension, built first): its adjustment comes first.
        crawler.signals.connect(self._floor_delay, signal=signals.response_downloaded)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Build the middleware, or raise ``NotConfigured`` when ``ROBOTSTXT_OBEY`` is off."""
        return cls(crawler)

    async def process_request(self, request: Request) -> None:
        """Refuse what robots.txt forbids, and hold the host's slot to its Crawl-delay."""
        if request.meta.get("dont_obey_robotstxt") or request.url.startswith(("data:", "file:")):
            return
        parser = await self.robot_parser(request)
        if parser is not None:
            agent = self.robots_agent or request.headers.get(b"User-Agent", self.default_agent)
            if not parser.allowed(request.url, agent):
                logger.debug("Forbidden by robots.txt: %s", request)
                self.stats.inc_value("robotstxt/forbidden")
                raise IgnoreRequest("Forbidden by robots.txt")
        key = self.crawler.engine.downloader.get_slot_key(request)
        if key in self.crawl_delays:
            self._apply_delay(key)

    async def robot_parser(self, request: Request) -> RobotParser | None:
        """Fetch and parse a host's robots.txt once; a failure is one log line, not a traceback."""
        url = urlparse_cached(request)
        netloc = url.netloc
        if netloc not in self.parsers:
            pending: defer.Deferred[RobotParser | None] = defer.Deferred()
            self.parsers[netloc] = pending
            robots_request = Request(
                f"{url.scheme}://{netloc}/robots.txt",
                priority=self.DOWNLOAD_PRIORITY,
                meta={"dont_obey_robotstxt": True},
                callback=NO_CALLBACK,
            )
            parser: RobotParser | None = None
            try:
                response = await self.crawler.engine.download_async(robots_request)
                self.stats.inc_value("robotstxt/response_count")
                self.stats.inc_value(f"robotstxt/response_status_count/{response.status}")
                parser = self.parser_class.from_crawler(self.crawler, response.body)
                await self.crawler.signals.send_catch_log_async(
                    signal=signals.robots_parsed, robotparser=parser, request=request
                )
            except Exception as error:  # any failure means "no robots.txt": Scrapy's rule
                parser = None
                if not isinstance(error, IgnoreRequest):
                    self.stats.inc_value(f"robotstxt/exception_count/{type(error)}")
                if not isinstance(error, IgnoreRequest) or str(error).startswith("blocked"):
                    logger.warning(
                        "robots.txt of %s could not be fetched (%s); crawling it as if it had none",
                        netloc, _exception_reason(error, robots_request),
                    )  # fmt: skip
            else:
                self._note_crawl_delay(netloc, parser, request)
            self.parsers[netloc] = parser
            self.stats.inc_value("robotstxt/request_count")
            pending.callback(parser)
        known = self.parsers[netloc]
        if isinstance(known, defer.Deferred):
            return await maybe_deferred_to_future(known)
        return known

    def _note_crawl_delay(self, netloc: str, parser: RobotParser, request: Request) -> None:
        """Remember the Crawl-delay robots.txt asks of us, if it asks one."""
        protego = getattr(parser, "rp", None)
        if protego is None or not hasattr(protego, "crawl_delay"):
            return  # only Protego (Scrapy's default parser) reads Crawl-delay
        delay = protego.crawl_delay(self.robots_agent or self.default_agent)
        if not delay:
            return
        delay = float(delay)
        if delay > self.delay_cap:
            logger.info(
                "robots.txt of %s asks for a Crawl-delay of %.0f s; using MIRROR_CRAWL_DELAY_MAX (%.0f s)",
                netloc, delay, self.delay_cap,
            )  # fmt: skip
            delay = self.delay_cap
        key = self.crawler.engine.downloader.get_slot_key(request)
        self.crawl_delays[key] = delay
        self.stats.set_value(f"newsmirror/crawl_delay/{key}", delay)
        logger.info("robots.txt of %s: Crawl-delay %.1f s", netloc, delay)

    def _apply_delay(self, key: str) -> None:
        """Make the slot wait at least its Crawl-delay between requests, without jitter below it."""
        delay = self.crawl_delays[key]
        downloader = self.crawler.engine.downloader
        # A slot made later starts from these settings (Scrapy's DOWNLOAD_SLOTS mechanism).
        downloader.per_slot_settings.setdefault(key, {}).update({"delay": delay, "jitter": 0.0})
        slot = downloader.slots.get(key)
        if slot is not None:
            slot.jitter = 0.0
            slot.delay = max(slot.delay, delay)

    def _floor_delay(self, request: Request) -> None:
        """Undo an AutoThrottle adjustment that went below the Crawl-delay."""
        key = request.meta.get("download_slot")
        if key in self.crawl_delays:
            self._apply_delay(key)


def _exception_reason(error: Exception, request: Request) -> str:
    """Return :func:`describe_failure`'s words for an exception raised by a download."""
    from twisted.python.failure import Failure

    failure = Failure(error)
    failure.request = request  # type: ignore[attr-defined]
    return describe_failure(failure)


# --------------------------------------------------------------------------- User-Agent

PLACEHOLDER_CONTACTS = frozenset({"", "https://example.com", "https://example.com/contact", "change-me"})
PROJECT_URL = "https://github.com/newsmirror/newsmirror"


class ContactMissing(ValueError):
    """A run that must name its operator's contact was started without one."""


def contact_problem(contact: str) -> str | None:
    """Say why *contact* is not a usable contact URL (a placeholder, not a URL), or None."""
    contact = contact.strip()
    if contact.lower().rstrip("/") in PLACEHOLDER_CONTACTS:
        return "it is not set"
    parts = urlsplit(contact)
    if parts.scheme == "mailto" and "@" in parts.path:
        return None
    if parts.scheme not in ALLOWED_SCHEMES or not parts.hostname:
        return f"{contact!r} is not an http(s) or mailto: URL"
    host = parts.hostname.lower()
    if host in ("example.com", "example.org", "example.net") or host.endswith((".example.com", ".example.org", ".example")):
        return f"{contact!r} is a placeholder"
    return None


class ContactUserAgentMiddleware(UserAgentMiddleware):
    """Sends ``USER_AGENT`` with ``{contact}`` replaced by ``MIRROR_CONTACT``.

    Spiders named in ``MIRROR_CONTACT_REQUIRED`` (the unattended ``mirror`` run) refuse
    to start without a real contact; a run by hand falls back to the project's URL.
    """

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Build the User-Agent, or raise :class:`ContactMissing` before any request."""
        settings = crawler.settings
        contact = settings.get("MIRROR_CONTACT", "")
        problem = contact_problem(contact)
        spider_name = getattr(crawler.spider, "name", None) or getattr(crawler.spidercls, "name", "")
        if problem is not None:
            if spider_name in settings.getlist("MIRROR_CONTACT_REQUIRED"):
                raise ContactMissing(
                    f"MIRROR_CONTACT: {problem}. A {spider_name!r} run must say how site owners can reach its "
                    "operator: set MIRROR_CONTACT to your contact page or mailto: address."
                )
            contact = PROJECT_URL
        user_agent = settings.get("USER_AGENT", "").replace("{contact}", contact.strip())
        middleware = cls(user_agent)
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        return middleware
