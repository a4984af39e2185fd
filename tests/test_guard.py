"""The address guard: links from feeds, lists and pages never reach inside.

Unit tests pin the rule itself; crawls check that the engine applies it to first
requests and to redirect hops (which are ``dont_filter``), through a proxy where the
host is judged as written, and that what DNS answers is judged too.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsmirror.middlewares import url_problem
from tests.support.crawl import REPO_ROOT, CrawlResult, run_crawl
from tests.support.localsite import LocalSite, running_site
from tests.support.posts import check_posts

NONE: frozenset[str] = frozenset()


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("file:///etc/passwd", "the file: scheme is not fetched"),
        ("data:text/html,<p>x</p>", "the data: scheme is not fetched"),
        ("ftp://ftp.example.com/a", "the ftp: scheme is not fetched"),
        ("s3://bucket/key", "the s3: scheme is not fetched"),
        ("javascript:alert(1)", "the javascript: scheme is not fetched"),
        ("HTTP://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"),
        ("http://10.1.2.3/", "10.1.2.3 is a private address"),
        ("http://192.168.0.1:8080/", "192.168.0.1 is a private address"),
        ("http://127.0.0.1/", "127.0.0.1 is a loopback address"),
        ("http://[::1]/", "::1 is a loopback address"),
        ("http://[::ffff:127.0.0.1]/", "127.0.0.1 is a loopback address"),
        ("http://[fe80::1]/", "fe80::1 is a link-local address"),
        ("http://2130706433/", "127.0.0.1 is a loopback address"),
        ("http://0x7f.1/", "127.0.0.1 is a loopback address"),
        ("http://0177.0.0.1/", "127.0.0.1 is a loopback address"),
        ("http://0.0.0.0/", "0.0.0.0 is a private address"),
        ("http://100.64.0.1/", "100.64.0.1 is not a public address"),
        ("http://localhost:8080/", "localhost is an internal host name"),
        ("http://LOCALHOST./", "localhost is an internal host name"),
        ("http://admin.localhost/", "admin.localhost is an internal host name"),
        ("http://metadata.google.internal/computeMetadata/v1/", "metadata.google.internal is an internal host name"),
        ("http://intranet/", "intranet is a single-label (intranet) host name"),
        ("http:///nohost", "the URL has no host"),
    ],
)
def test_internal_targets_and_other_schemes_are_refused(url: str, problem: str) -> None:
    assert url_problem(url, NONE) == problem


@pytest.mark.parametrize(
    "url", ["https://finance.sina.com.cn/roll/a.shtml", "http://93.184.216.34/", "http://[2606:4700::1111]/", "http://xn--fiqs8s.cn/"]
)
def test_public_hosts_pass(url: str) -> None:
    assert url_problem(url, NONE) is None


def test_named_hosts_are_let_through_but_never_other_schemes() -> None:
    allowed = frozenset({"127.0.0.1", "localhost"})
    assert url_problem("http://127.0.0.1:8080/a", allowed) is None
    assert url_problem("http://localhost./a", allowed) is None
    assert url_problem("http://10.0.0.1/", allowed) == "10.0.0.1 is a private address"
    assert url_problem("file://localhost/etc/passwd", allowed) == "the file: scheme is not fetched"


# --------------------------------------------------------------------------- crawls

REDIRECTS = {
    "to-metadata.html": "http://169.254.169.254/latest/meta-data/",
    "to-loopback.html": "http://127.0.0.1:1/admin",
    "to-file.html": "file:///etc/passwd",
    "to-decimal.html": "http://2130706433/",
}
HOST = "links.example.com"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSite]:
    root = tmp_path_factory.mktemp("site")
    folder = root / HOST
    folder.mkdir()
    for name, location in REDIRECTS.items():
        (folder / f"{name}.headers").write_text(f"STATUS 302\nLocation: {location}\n", encoding="utf-8")
    (folder / "fine.html").write_text(
        "<html><head><title>Fine page</title><meta property='article:published_time' content='2024-02-03T04:05:06Z'>"
        "</head><body><h1>Fine page</h1><p>Nothing to see.</p></body></html>",
        encoding="utf-8",
    )
    with running_site(root, tmp_path_factory.mktemp("log") / "requests.jsonl") as running:
        yield running


def crawl(site: LocalSite, tmp_path: Path, urls: list[str], **settings: str) -> CrawlResult:
    return run_crawl(
        "article",
        "-a",
        "url=" + ",".join(urls),
        env=site.proxy_env(),
        settings={"MIRROR_DIR": str(tmp_path / "mirror"), "MIRROR_ALLOWED_HOSTS": "", **settings},
        index=tmp_path / "index.jsonl",
    )


def test_redirects_to_internal_addresses_are_blocked_and_reported(site: LocalSite, tmp_path: Path) -> None:
    urls = [f"http://{HOST}/{name}" for name in REDIRECTS] + [f"http://{HOST}/fine.html"]
    before = len(site.requests())  # the server is shared by the module's tests
    result = crawl(site, tmp_path, urls)
    # The page on a public name passes, through the proxy, without any DNS of its own.
    assert [item["url"] for item in result.items] == [f"http://{HOST}/fine.html"]
    reasons = {
        f"http://{HOST}/to-metadata.html": "blocked: 169.254.169.254 is a link-local address (http://169.254.169.254/latest/meta-data/)",
        f"http://{HOST}/to-loopback.html": "blocked: 127.0.0.1 is a loopback address (http://127.0.0.1:1/admin)",
        f"http://{HOST}/to-decimal.html": "blocked: 127.0.0.1 is a loopback address (http://2130706433/)",
        f"http://{HOST}/to-file.html": "HTTP 302 Found to file:///etc/passwd, not followed",
    }
    for url, reason in reasons.items():
        assert f"Article not mirrored: {url}: {reason}\n" in result.log
    assert result.stat("newsmirror/blocked") == 3
    # Nothing but the public host's pages (and its robots.txt) ever reached the wire.
    assert {entry["host"] for entry in site.requests()[before:]} == {HOST}
    check_posts(tmp_path / "mirror", result.items)


def test_a_loopback_article_url_is_blocked_unless_allowed(site: LocalSite, tmp_path: Path) -> None:
    direct = site.url("/anything.html")
    blocked = crawl(site, tmp_path / "blocked", [direct])
    assert f"Article not mirrored: {direct}: blocked: 127.0.0.1 is a loopback address ({direct})" in blocked.log
    before = len(site.requests())
    allowed = crawl(site, tmp_path / "allowed", [direct], MIRROR_ALLOWED_HOSTS="127.0.0.1")
    # Let through, it reaches the server (and is a 404 there).
    assert len(site.requests()) > before
    assert f"Article not mirrored: {direct}: HTTP 404 Not Found" in allowed.log


RESOLVE_SCRIPT = """
import json
from twisted.internet import defer, task
from newsmirror.middlewares import GuardedResolver

async def main(reactor):
    results = {}
    for allowed in ([], ["localhost"]):
        resolver = GuardedResolver(reactor, 0, 5.0, frozenset(allowed))
        try:
            results[",".join(allowed) or "-"] = await resolver.getHostByName("localhost")
        except Exception as error:
            results[",".join(allowed) or "-"] = f"{type(error).__name__}: {error}"
    print(json.dumps(results))

def run(reactor):
    return defer.ensureDeferred(main(reactor))

task.react(run)
"""


def test_the_resolver_refuses_names_that_resolve_inside() -> None:
    # Without a proxy, a public-looking name could resolve to a private address: the
    # resolver every connection uses checks the very address it hands out.
    done = subprocess.run(
        [sys.executable, "-c", RESOLVE_SCRIPT], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    results = json.loads(done.stdout)
    assert results["-"] == "BlockedAddressError: DNS lookup failed: blocked: localhost resolves to 127.0.0.1, and 127.0.0.1 is a loopback address."
    assert results["localhost"] == "127.0.0.1"
