"""Tests of the loopback site server, run as a real subprocess and reached over sockets."""

from __future__ import annotations

import http.client
import json
import os
import signal
import ssl
import subprocess
import sys
import textwrap
import threading
import time
import urllib.error
import urllib.request
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.localsite import REPO_ROOT, LocalSite, flaky_outcome, running_site

GBK_PAGE = "<html><title>新浪财经</title><body>中文新闻</body></html>".encode("gbk")


def write(root: Path, relpath: str, data: bytes | str) -> Path:
    """Write a file under *root*, creating folders; text is written as UTF-8."""
    path = root / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """Return an empty site root; files outside it (in tmp_path) must stay unreachable."""
    site_root = tmp_path / "site"
    site_root.mkdir()
    return site_root


@pytest.fixture
def site(root: Path) -> Iterator[LocalSite]:
    """Run the server over *root*."""
    with running_site(root) as running:
        yield running


# A direct opener: the server under test is never reached through a proxy from the env.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """GET *url* directly, returning status, headers and body even for error statuses."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with _opener.open(request, timeout=10) as response:
            return response.status, dict(response.headers.items()), response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, dict(error.headers.items()), error.read()


def raw_get(
    site: LocalSite, target: str, headers: dict[str, str] | None = None, method: str = "GET"
) -> tuple[int, http.client.HTTPMessage, bytes]:
    """Send one request with *target* on the request line exactly as given."""
    conn = http.client.HTTPConnection("127.0.0.1", site.port, timeout=10)
    try:
        conn.request(method, target, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


def tunnel_to(site: LocalSite, host: str, port: int = 443) -> http.client.HTTPSConnection:
    """Return an HTTPS connection to *host* through a CONNECT tunnel on the server."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    conn = http.client.HTTPSConnection("127.0.0.1", site.port, timeout=10, context=context)
    conn.set_tunnel(host, port)
    return conn


# --------------------------------------------------------------------------- start-up


def test_ready_line_and_clean_exit_on_sigterm(root: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    command = [sys.executable, "-m", "tests.support.localsite", "--root", str(root), "--port", "0"]
    proc = subprocess.Popen(
        command, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        assert proc.stdout is not None
        ready = json.loads(proc.stdout.readline())
        assert set(ready) == {"port", "url"}
        assert ready["port"] > 0
        assert ready["url"] == f"http://127.0.0.1:{ready['port']}"
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0
    assert stderr == b""


def test_refuses_a_non_loopback_host(root: Path) -> None:
    command = [
        sys.executable, "-m", "tests.support.localsite", "--root", str(root), "--host", "0.0.0.0"
    ]  # fmt: skip
    result = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, timeout=30)
    assert result.returncode != 0
    assert b"loopback" in result.stderr


def test_helper_reports_a_server_that_dies(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="is not a directory"):
        with running_site(tmp_path / "missing"):
            pass


def test_the_demo_serves_through_a_static_server_of_its_own_and_the_runtime_holds_no_fault_server(root: Path) -> None:
    # Issue 14: the fault-injecting server lived in the runtime package; it is the tests'
    # now, and the demo keeps only the static server and proxy it needs.
    from newsmirror.demo import site_server

    write(root, "example.org/a.html", "first")
    with site_server.running_site(root) as demo:
        assert fetch(demo.url("/_fault/status/500"))[0] == 404  # no faults: a path like any other
        conn = tunnel_to(demo, "example.org")
        try:
            conn.request("GET", "/a.html")
            response = conn.getresponse()
            assert (response.status, response.read()) == (200, b"first")
        finally:
            conn.close()
    # No module of the runtime package serves fault resources.
    runtime = sorted((REPO_ROOT / "newsmirror").rglob("*.py"))
    assert runtime and not [path for path in runtime if "/_fault/" in path.read_text(encoding="utf-8")]


# --------------------------------------------------------------------------- files


def test_serves_raw_bytes_with_charset_free_content_type(root: Path, site: LocalSite) -> None:
    write(root, "localhost/news/gbk.html", GBK_PAGE)
    status, headers, body = fetch(site.url("news/gbk.html"))
    assert status == 200
    assert body == GBK_PAGE
    assert headers["Content-Type"] == "text/html"
    assert headers["Content-Length"] == str(len(GBK_PAGE))


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("a.shtml", "text/html"),
        ("feed.rss", "application/xml"),
        ("feed.atom", "application/atom+xml"),
        ("data.json", "application/json"),
        ("robots.txt", "text/plain"),
        ("pic.JPG", "image/jpeg"),
        ("pic.webp", "image/webp"),
        ("dump.gz", "application/gzip"),
        ("blob", "application/octet-stream"),
    ],
)
def test_content_type_by_extension(
    root: Path, site: LocalSite, name: str, content_type: str
) -> None:
    write(root, f"localhost/{name}", b"x")
    assert fetch(site.url(name))[1]["Content-Type"] == content_type


def test_sidecar_sets_status_and_headers_verbatim(root: Path, site: LocalSite) -> None:
    write(root, "localhost/gone.html", GBK_PAGE)
    write(
        root,
        "localhost/gone.html.headers",
        'STATUS 404\nContent-Type: text/html; charset=gbk\nX-Trace:  kept as is\nETag: "e1"\n',
    )
    status, headers, body = fetch(site.url("gone.html"))
    assert status == 404
    assert body == GBK_PAGE
    assert headers["Content-Type"] == "text/html; charset=gbk"
    assert headers["X-Trace"] == "kept as is"
    assert headers["ETag"] == '"e1"'
    assert headers["Content-Length"] == str(len(GBK_PAGE))


def test_sidecar_without_status_line_is_200_and_keeps_default_type(
    root: Path, site: LocalSite
) -> None:
    write(root, "localhost/page.html", "<p>ok</p>")
    write(root, "localhost/page.html.headers", "Cache-Control: max-age=60\n")
    status, headers, body = fetch(site.url("page.html"))
    assert (status, body) == (200, b"<p>ok</p>")
    assert headers["Cache-Control"] == "max-age=60"
    assert headers["Content-Type"] == "text/html"


def test_sidecar_alone_answers_a_redirect(root: Path, site: LocalSite) -> None:
    write(root, "localhost/old.html.headers", "STATUS 301\nLocation: /new.html\n")
    status, headers, body = raw_get(site, "/old.html")
    assert status == 301
    assert headers["Location"] == "/new.html"
    assert headers["Content-Length"] == "0"
    assert body == b""


def test_sidecar_file_itself_is_never_served(root: Path, site: LocalSite) -> None:
    write(root, "localhost/page.html", "<p>ok</p>")
    write(root, "localhost/page.html.headers", "X-Secret: 1\n")
    write(root, "localhost/only.headers", "X-Secret: 1\n")
    assert fetch(site.url("page.html.headers"))[0] == 404
    assert fetch(site.url("only.headers"))[0] == 404


def test_query_is_looked_up_as_a_file_name_first(root: Path, site: LocalSite) -> None:
    write(root, "localhost/api/roll/get?pageid=155&lid=1686", '{"page": 155}')
    write(root, "localhost/api/roll/get", '{"page": "plain"}')
    write(root, "localhost/list.json?page=2", "[2]")
    assert fetch(site.url("api/roll/get?pageid=155&lid=1686"))[2] == b'{"page": 155}'
    # The query is matched exactly as sent: other order, other file.
    assert fetch(site.url("api/roll/get?lid=1686&pageid=155"))[2] == b'{"page": "plain"}'
    assert fetch(site.url("api/roll/get"))[2] == b'{"page": "plain"}'
    # The type comes from the name before the query.
    _, headers, body = fetch(site.url("list.json?page=2"))
    assert (headers["Content-Type"], body) == ("application/json", b"[2]")


def test_query_too_long_for_a_file_name_falls_back_to_the_plain_path(
    root: Path, site: LocalSite
) -> None:
    write(root, "localhost/track", "plain")
    assert fetch(site.url("track?utm=" + "x" * 400))[2] == b"plain"


def test_query_with_a_slash_is_stored_with_percent_2f(root: Path, site: LocalSite) -> None:
    write(root, "localhost/go?to=%2Fnews%2Fa", "stored")
    assert fetch(site.url("go?to=/news/a"))[2] == b"stored"


def test_folder_paths_serve_index_html(root: Path, site: LocalSite) -> None:
    write(root, "localhost/index.html", "home")
    write(root, "localhost/news/index.html", "news home")
    assert fetch(site.url("/"))[2] == b"home"
    assert fetch(site.url("news/"))[2] == b"news home"
    assert fetch(site.url("news"))[0] == 404  # a folder is not a file


def test_percent_encoded_path_maps_to_decoded_name(root: Path, site: LocalSite) -> None:
    write(root, "localhost/新闻 1.html", "decoded")
    assert fetch(site.url("%E6%96%B0%E9%97%BB%201.html"))[2] == b"decoded"


def test_missing_file_and_unknown_host_are_404(root: Path, site: LocalSite) -> None:
    write(root, "localhost/here.html", "here")
    status, headers, body = fetch(site.url("nothere.html"))
    assert status == 404
    assert body
    assert headers["Content-Length"] == str(len(body))
    assert raw_get(site, "http://no-such-host.example/here.html")[0] == 404


@pytest.mark.parametrize(
    "target",
    [
        "/../secret.txt",
        "/../../site-secret/secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E%2Fsecret.txt",
        "/a/..%2f..%2f..%2fsecret.txt",
        "/%2fsecret.txt",
        "//etc/passwd",
        "/etc/passwd",
        "secret.txt",
        "/link/secret.txt",
        "http://../secret.txt",
        "http://localhost/../secret.txt",
    ],
)
def test_path_traversal_is_refused(root: Path, site: LocalSite, target: str) -> None:
    write(root.parent, "secret.txt", "SECRET")
    (root / "localhost").mkdir()
    # A symlink inside the root that points out of it must not be followed either.
    (root / "localhost" / "link").symlink_to(root.parent)
    status, _, body = raw_get(site, target)
    assert status in (400, 404)
    assert b"SECRET" not in body


def test_a_host_header_naming_a_parent_folder_is_refused(root: Path, site: LocalSite) -> None:
    write(root.parent, "secret.txt", "SECRET")
    status, _, body = raw_get(site, "/secret.txt", headers={"Host": ".."})
    assert status in (400, 404)
    assert b"SECRET" not in body


def test_head_sends_length_but_no_body(root: Path, site: LocalSite) -> None:
    write(root, "localhost/a.html", "12345")
    status, headers, body = raw_get(site, "/a.html", method="HEAD")
    assert (status, headers["Content-Length"], body) == (200, "5", b"")


def test_keep_alive_survives_a_post_body(root: Path, site: LocalSite) -> None:
    write(root, "localhost/form", "posted")
    write(root, "localhost/a.html", "after")
    conn = http.client.HTTPConnection("127.0.0.1", site.port, timeout=10)
    try:
        conn.request("POST", "/form", body=b"a=1&b=2")
        assert conn.getresponse().read() == b"posted"
        conn.request("GET", "/a.html")
        assert conn.getresponse().read() == b"after"
    finally:
        conn.close()


# --------------------------------------------------------------------------- conditional


def test_if_none_match_on_the_etag_answers_304(root: Path, site: LocalSite) -> None:
    write(root, "localhost/feed.xml", "<rss/>")
    write(root, "localhost/feed.xml.headers", 'ETag: "v1"\n')
    status, headers, body = raw_get(site, "/feed.xml", headers={"If-None-Match": '"v1"'})
    assert (status, body) == (304, b"")
    assert headers["ETag"] == '"v1"'
    status, _, body = raw_get(site, "/feed.xml", headers={"If-None-Match": '"v0"'})
    assert (status, body) == (200, b"<rss/>")


def test_if_modified_since_equal_to_last_modified_answers_304(root: Path, site: LocalSite) -> None:
    stamp = "Mon, 01 Jan 2024 00:00:00 GMT"
    write(root, "localhost/feed.xml", "<rss/>")
    write(root, "localhost/feed.xml.headers", f"Last-Modified: {stamp}\n")
    assert raw_get(site, "/feed.xml", headers={"If-Modified-Since": stamp})[0] == 304
    other = "Tue, 02 Jan 2024 00:00:00 GMT"
    assert raw_get(site, "/feed.xml", headers={"If-Modified-Since": other})[0] == 200


# --------------------------------------------------------------------------- log


def test_request_log_records_each_request(root: Path, site: LocalSite) -> None:
    write(root, "localhost/a.html", "a")
    fetch(site.url("a.html?x=1"), headers={"X-Probe": "one"})
    fetch(site.url("missing.html"))
    first, second = site.requests()
    assert first == {
        "method": "GET",
        "host": "127.0.0.1",
        "path": "/a.html?x=1",
        "url": f"http://127.0.0.1:{site.port}/a.html?x=1",
        "status": 200,
        "via_proxy": False,
        "headers": first["headers"],
        "time": first["time"],
    }
    assert isinstance(first["time"], float) and first["time"] <= second["time"]
    assert first["headers"]["X-Probe"] == "one"
    assert first["headers"]["Host"] == f"127.0.0.1:{site.port}"
    assert (second["path"], second["status"]) == ("/missing.html", 404)


def test_log_path_given_to_the_helper_is_used(root: Path, tmp_path: Path) -> None:
    write(root, "localhost/a.html", "a")
    log = tmp_path / "requests.jsonl"
    with running_site(root, log=log) as site:
        fetch(site.url("a.html"))
        assert site.log == log
    assert [json.loads(line)["path"] for line in log.read_text().splitlines()] == ["/a.html"]


# --------------------------------------------------------------------------- proxy


def test_absolute_form_request_is_served_from_the_host_folder(root: Path, site: LocalSite) -> None:
    write(root, "finance.sina.com.cn/x.shtml", GBK_PAGE)
    status, headers, body = raw_get(site, "http://Finance.Sina.com.cn:8080/x.shtml")
    assert (status, body) == (200, GBK_PAGE)
    assert headers["Content-Type"] == "text/html"
    [entry] = site.requests()
    assert entry["host"] == "finance.sina.com.cn"
    assert entry["path"] == "/x.shtml"
    assert entry["url"] == "http://finance.sina.com.cn:8080/x.shtml"
    assert entry["via_proxy"] is True


def test_urllib_through_the_proxy_reaches_the_host_folder(root: Path, site: LocalSite) -> None:
    write(root, "example.org/hello.html", "hello over http")
    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler({"http": site.proxy_url})
    )
    with opener.open("http://example.org/hello.html", timeout=10) as response:
        assert response.read() == b"hello over http"


def test_connect_tunnel_terminates_tls_and_keeps_alive(root: Path, site: LocalSite) -> None:
    write(root, "example.org/a.html", "first")
    write(root, "example.org/b/get?id=2", "second")
    conn = tunnel_to(site, "example.org")
    try:
        conn.request("GET", "/a.html")
        response = conn.getresponse()
        assert (response.status, response.read()) == (200, b"first")
        # The same tunnel carries the next request.
        conn.request("GET", "/b/get?id=2", headers={"X-Probe": "tunnel"})
        assert conn.getresponse().read() == b"second"
        conn.request("GET", "/missing.html")
        assert conn.getresponse().status == 404
    finally:
        conn.close()
    connect, first, second, missing = site.requests()
    assert connect["method"] == "CONNECT"
    assert connect["host"] == "example.org"
    assert connect["path"] == "example.org:443"
    assert (connect["status"], connect["via_proxy"]) == (200, True)
    assert first["url"] == "https://example.org/a.html"
    assert (first["host"], first["path"], first["via_proxy"]) == ("example.org", "/a.html", True)
    assert second["url"] == "https://example.org/b/get?id=2"
    assert second["headers"]["X-Probe"] == "tunnel"
    assert missing["status"] == 404


def test_tunnel_certificate_names_the_requested_host(root: Path, site: LocalSite) -> None:
    from cryptography import x509

    write(root, "finance.sina.com.cn/index.html", "home")
    conn = tunnel_to(site, "finance.sina.com.cn")
    try:
        conn.request("GET", "/")
        assert conn.getresponse().read() == b"home"
        assert isinstance(conn.sock, ssl.SSLSocket)
        der = conn.sock.getpeercert(binary_form=True)
    finally:
        conn.close()
    assert der is not None
    names = x509.load_der_x509_certificate(der).extensions.get_extension_for_class(
        x509.SubjectAlternativeName
    )
    assert "finance.sina.com.cn" in names.value.get_values_for_type(x509.DNSName)


def test_connect_to_unknown_host_opens_but_answers_404(root: Path, site: LocalSite) -> None:
    conn = tunnel_to(site, "nowhere.invalid", 8443)
    try:
        conn.request("GET", "/")
        assert conn.getresponse().status == 404
    finally:
        conn.close()
    assert site.requests()[-1]["url"] == "https://nowhere.invalid:8443/"


def test_connect_with_a_bad_target_is_refused(site: LocalSite) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", site.port, timeout=10)
    try:
        conn.request("CONNECT", "../etc:443")
        assert conn.getresponse().status == 400
    finally:
        conn.close()


# --------------------------------------------------------------------------- faults


def test_fault_status(site: LocalSite) -> None:
    status, _, body = fetch(site.url("_fault/status/503"))
    assert status == 503
    assert b"503" in body
    status, headers, body = raw_get(site, "/_fault/status/204")
    assert (status, body) == (204, b"")
    assert "Content-Length" not in headers


def test_fault_redirect_counts_down_to_done(site: LocalSite) -> None:
    status, headers, _ = raw_get(site, "/_fault/redirect/3")
    assert (status, headers["Location"]) == (302, "/_fault/redirect/2")
    status, _, body = fetch(site.url("_fault/redirect/3"))
    assert (status, body) == (200, b"<html><body>done</body></html>")
    paths = [entry["path"] for entry in site.requests()]
    assert paths[1:] == [f"/_fault/redirect/{n}" for n in (3, 2, 1, 0)]


def test_fault_redirect_loop_points_at_itself(site: LocalSite) -> None:
    status, headers, _ = raw_get(site, "/_fault/redirect-loop")
    assert (status, headers["Location"]) == (302, "/_fault/redirect-loop")


def test_fault_slow_waits_and_requests_run_concurrently(site: LocalSite) -> None:
    results: list[int] = []

    def slow_fetch() -> None:
        try:
            results.append(fetch(site.url("_fault/slow/5"))[0])
        except OSError:  # the client's own timeout on a loaded machine: not what is tested here
            pass

    slow = threading.Thread(target=slow_fetch, daemon=True)
    slow.start()
    time.sleep(0.2)  # let the slow request reach the server first
    # While it waits, another connection is answered: requests are served in parallel.
    assert fetch(site.url("_fault/status/204"))[0] == 204
    assert slow.is_alive() and results == []


def test_fault_drop_hangs_up_without_answering(site: LocalSite) -> None:
    with pytest.raises(http.client.RemoteDisconnected):
        raw_get(site, "/_fault/drop")
    [entry] = site.requests()
    assert (entry["path"], entry["status"]) == ("/_fault/drop", None)


def test_fault_partial_stops_after_100_of_10000_bytes(site: LocalSite) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", site.port, timeout=10)
    try:
        conn.request("GET", "/_fault/partial")
        response = conn.getresponse()
        assert response.headers["Content-Length"] == "10000"
        with pytest.raises(http.client.IncompleteRead) as caught:
            response.read()
        assert len(caught.value.partial) == 100
    finally:
        conn.close()


def test_faults_work_on_any_host_and_inside_a_tunnel(site: LocalSite) -> None:
    assert raw_get(site, "http://news.example.com/_fault/status/502")[0] == 502
    conn = tunnel_to(site, "news.example.com")
    try:
        conn.request("GET", "/_fault/redirect/0")
        assert conn.getresponse().read() == b"<html><body>done</body></html>"
    finally:
        conn.close()


def test_fault_reset_aborts_with_a_tcp_reset(site: LocalSite) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", site.port, timeout=10)
    try:
        conn.request("GET", "/_fault/reset")
        with pytest.raises(ConnectionResetError):
            conn.getresponse()
    finally:
        conn.close()


def test_fault_retry_after_and_fail_first(root: Path, site: LocalSite) -> None:
    status, headers, _ = raw_get(site, "/_fault/retry-after/120")
    assert (status, headers["Retry-After"]) == (429, "120")
    write(root, "localhost/news/a.html", "article")
    answers = [raw_get(site, "/_fault/fail-first/2/503/news/a.html") for _ in range(3)]
    assert [(status, headers["Retry-After"]) for status, headers, _ in answers[:2]] == [(503, "1"), (503, "1")]
    assert (answers[2][0], answers[2][2]) == (200, b"article")
    # The count is per path: another one starts afresh, and 500 carries no Retry-After.
    status, headers, _ = raw_get(site, "/_fault/fail-first/1/500/news/a.html")
    assert status == 500 and "Retry-After" not in headers


def test_fault_big_pages_gzip_bomb_and_binary_bodies(site: LocalSite) -> None:
    status, headers, body = raw_get(site, "/_fault/big/10")
    assert status == 200 and len(body) >= 10 * 1024 * 1024 and body.endswith(b"</body></html>")
    status, headers, body = raw_get(site, "/_fault/gzip-bomb")
    assert headers["Content-Encoding"] == "gzip" and len(body) < 200_000
    assert len(zlib.decompress(body, wbits=31)) > 60 * 1024 * 1024
    assert raw_get(site, "/_fault/pdf")[1]["Content-Type"] == "application/pdf"
    assert raw_get(site, "/_fault/pdf")[2].startswith(b"%PDF-")
    assert raw_get(site, "/_fault/image")[2].startswith(b"\x89PNG")
    status, headers, body = raw_get(site, "/_fault/empty")
    assert (status, headers["Content-Type"], body) == (200, "text/html", b"")
    status, headers, body = raw_get(site, "/_fault/html-feed")
    assert headers["Content-Type"].startswith("text/html") and b"<form" in body


def test_flaky_outcomes_have_the_promised_shares_and_depend_only_on_their_inputs() -> None:
    outcomes = [flaky_outcome(7, f"http://a.example.com/{n}", 1) for n in range(20000)]
    assert 0.19 < outcomes.count("503") / len(outcomes) < 0.21
    assert 0.04 < outcomes.count("reset") / len(outcomes) < 0.06
    assert outcomes == [flaky_outcome(7, f"http://a.example.com/{n}", 1) for n in range(20000)]
    assert outcomes != [flaky_outcome(8, f"http://a.example.com/{n}", 1) for n in range(20000)]


def test_flaky_mode_fails_ordinary_requests_as_seeded(root: Path) -> None:
    for number in range(40):
        write(root, f"localhost/p{number}.html", "page")
    with running_site(root, flaky_seed=11) as site:
        for number in range(40):
            url = site.url(f"p{number}.html")
            expected = flaky_outcome(11, url, 1)
            if expected == "reset":
                with pytest.raises((ConnectionResetError, http.client.RemoteDisconnected)):
                    raw_get(site, f"/p{number}.html")
            else:
                assert raw_get(site, f"/p{number}.html")[0] == (503 if expected == "503" else 200)
        # Fault resources are never made flaky: they are failures already.
        assert all(raw_get(site, "/_fault/status/200")[0] == 200 for _ in range(20))


@pytest.mark.parametrize(
    "path",
    ["/_fault/", "/_fault/nope", "/_fault/status/abc", "/_fault/status/99", "/_fault/slow/x"],
)
def test_unknown_or_malformed_fault_is_404(site: LocalSite, path: str) -> None:
    assert raw_get(site, path)[0] == 404


# --------------------------------------------------------------------------- scrapy

SCRAPY_SCRIPT = textwrap.dedent(
    """
    import json
    import sys

    import scrapy
    from scrapy.crawler import CrawlerProcess


    class Probe(scrapy.Spider):
        name = "probe"

        async def start(self):
            for url in sys.argv[1:]:
                yield scrapy.Request(url, dont_filter=True)

        def parse(self, response):
            print(json.dumps({"url": response.url, "status": response.status,
                              "text": response.text}), flush=True)


    process = CrawlerProcess(settings={
        "ROBOTSTXT_OBEY": False,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": "WARNING",
    })
    process.crawl(Probe)
    process.start()
    """
)


def test_scrapy_crawls_http_and_https_through_the_proxy(root: Path, site: LocalSite) -> None:
    write(root, "example.org/hello.html", "<html><body>你好 from example.org</body></html>")
    urls = ["https://example.org/hello.html", "http://example.org/hello.html"]
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", SCRAPY_SCRIPT, *urls],
        cwd=root.parent,  # away from the repo, so no project settings are picked up
        env=site.proxy_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    # The certificate minted for example.org spares Scrapy its hostname-mismatch warning.
    assert result.stderr == ""
    pages = {page["url"]: page for page in map(json.loads, result.stdout.splitlines())}
    assert set(pages) == set(urls), result.stderr
    for page in pages.values():
        assert page["status"] == 200
        assert page["text"] == "<html><body>你好 from example.org</body></html>"
    log = site.requests()
    assert [e["path"] for e in log if e["method"] == "CONNECT"] == ["example.org:443"]
    served = {e["url"]: e for e in log if e["method"] == "GET"}
    assert set(served) == set(urls)
    assert all(e["via_proxy"] and "Scrapy" in e["headers"]["User-Agent"] for e in served.values())
