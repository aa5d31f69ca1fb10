"""SSRF defence: URLs that lead to loopback, private or otherwise internal addresses are refused.

A real HTTP server on 127.0.0.1 records every request it gets, so "refused" means no request was made,
not merely that an error came back. Nothing outside this machine is contacted: refused addresses are
refused before any connection.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from storyline.model import ItemError, RawItem
from storyline.sources import Limits, read
from storyline.sources.url import (
    AddressRefused,
    FetchError,
    GuardedBackend,
    address_problem,
    redirect_target,
    resolve_checked,
)

PAGE = (Path(__file__).parent / "fixtures" / "sources" / "page.html").read_bytes()
REQUESTS: list[str] = []
FAST = Limits(fetch_timeout=2)


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        REQUESTS.append(self.path)
        port = self.server.server_address[1]
        targets = {"/to-file": "file:///etc/passwd", "/to-ftp": "ftp://127.0.0.1/x",
                   "/to-loopback": f"http://127.0.0.1:{port}/article", "/to-relative": "/article"}
        if self.path == "/article":
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(PAGE)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(PAGE)
        elif self.path in targets:
            self.send_response(302)
            self.send_header("Location", targets[self.path])
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output quiet."""


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield int(httpd.server_address[1])
    httpd.shutdown()
    httpd.server_close()


def fetch_one(url: str, limits: Limits = FAST) -> RawItem | ItemError:
    results = list(read([url], limits=limits))
    assert len(results) == 1, results
    return results[0]


def test_loopback_is_refused_with_a_reason_and_no_request(port: int) -> None:
    REQUESTS.clear()
    error = fetch_one(f"http://127.0.0.1:{port}/article")
    assert isinstance(error, ItemError)
    assert error.reason == (f"refusing to fetch http://127.0.0.1:{port}/article: address 127.0.0.1 is loopback; "
                            "pass --allow-private-addresses to allow it")
    assert REQUESTS == []


@pytest.mark.parametrize(("host", "problem"), [
    ("localhost", "loopback"),
    ("2130706433", "loopback"),
    ("0x7f.1", "loopback"),
    ("127.1", "loopback"),
    ("0.0.0.0", "unspecified"),
    ("0", "unspecified"),
    ("[::1]", "loopback"),
    ("[::ffff:127.0.0.1]", "loopback (embedded in ::ffff:7f00:1)"),
    ("[::]", "unspecified"),
])
def test_other_spellings_of_this_machine_are_refused_before_connecting(port: int, host: str, problem: str) -> None:
    REQUESTS.clear()
    error = fetch_one(f"http://{host}:{port}/article")
    assert isinstance(error, ItemError)
    assert error.reason.startswith(f"refusing to fetch http://{host}:{port}/article: address ")
    assert f" is {problem}; pass --allow-private-addresses to allow it" in error.reason
    assert REQUESTS == []


def test_octal_host_is_not_a_way_around(port: int) -> None:
    REQUESTS.clear()
    error = fetch_one(f"http://0177.0.0.1:{port}/article")
    assert isinstance(error, ItemError) and error.reason.startswith("invalid or unsupported URL")
    assert REQUESTS == []


@pytest.mark.parametrize(("url", "problem"), [
    ("http://169.254.169.254/latest/meta-data/", "link-local"),
    ("http://10.1.2.3/", "private"),
    ("http://192.168.0.1/", "private"),
    ("http://172.16.0.1/", "private"),
    ("http://100.64.0.1/", "not publicly routable"),
    ("http://224.0.0.1/", "multicast"),
    ("http://240.0.0.1/", "reserved"),
    ("http://[fe80::1]/", "link-local"),
    ("http://[fc00::1]/", "private"),
    ("http://[ff02::1]/", "multicast"),
    ("http://[::ffff:169.254.169.254]/", "link-local (embedded in ::ffff:a9fe:a9fe)"),
    ("https://[2002:a00:1::1]/", "private (embedded in 2002:a00:1::1)"),
])
def test_internal_networks_are_refused(url: str, problem: str) -> None:
    error = fetch_one(url)
    assert isinstance(error, ItemError)
    assert error.reason.startswith(f"refusing to fetch {url}: address ")
    assert error.reason.endswith(f" is {problem}; pass --allow-private-addresses to allow it")


@pytest.mark.parametrize("text", ["8.8.8.8", "1.1.1.1", "2606:4700::1111", "::ffff:8.8.8.8", "2002:808:808::1"])
def test_public_addresses_pass(text: str) -> None:
    assert address_problem(ipaddress.ip_address(text)) is None


def test_every_resolved_address_is_checked() -> None:
    with pytest.raises(AddressRefused) as refused:
        resolve_checked("localhost", 80, allow_private=False)
    assert refused.value.problem == "loopback"
    assert "127.0.0.1" in resolve_checked("localhost", 80, allow_private=True)


def test_the_connection_layer_refuses_before_opening_a_socket(port: int) -> None:
    REQUESTS.clear()
    with pytest.raises(AddressRefused):
        GuardedBackend(allow_private=False).connect_tcp("127.0.0.1", port, timeout=2)
    stream = GuardedBackend(allow_private=True).connect_tcp("127.0.0.1", port, timeout=2)
    stream.write(b"GET /article HTTP/1.0\r\nHost: x\r\n\r\n")
    assert stream.read(65536).startswith(b"HTTP/1.0 200")
    stream.close()
    assert REQUESTS == ["/article"]


def test_redirect_targets_stay_on_http() -> None:
    assert redirect_target("http://news.example/a/b", "../c") == "http://news.example/c"
    assert redirect_target("https://news.example/a", "//127.0.0.1/x") == "https://127.0.0.1/x"
    for location in ("file:///etc/passwd", "ftp://news.example/x", "gopher://127.0.0.1:25/", "data:text/html,hi"):
        with pytest.raises(FetchError, match="refused: only http and https URLs can be fetched"):
            redirect_target("http://news.example/a", location)


def test_redirects_stay_on_http_even_with_private_addresses_allowed(port: int) -> None:
    allowed = Limits(fetch_timeout=2, allow_private=True)
    page = fetch_one(f"http://127.0.0.1:{port}/to-loopback", allowed)
    assert isinstance(page, RawItem) and page.url == f"http://127.0.0.1:{port}/article"
    assert isinstance(fetch_one(f"http://localhost:{port}/to-relative", allowed), RawItem)
    for path, target in (("/to-file", "file:///etc/passwd"), ("/to-ftp", "ftp://127.0.0.1/x")):
        REQUESTS.clear()
        error = fetch_one(f"http://127.0.0.1:{port}{path}", allowed)
        assert isinstance(error, ItemError)
        assert error.reason == f"redirect to {target} refused: only http and https URLs can be fetched"
        assert REQUESTS == [path]


def test_cli_flag_allows_private_addresses(port: int, new_db_url: Callable[[str], str]) -> None:
    url = f"http://127.0.0.1:{port}/article"
    db = new_db_url("fetch")

    def ingest(*extra: str) -> dict[str, int]:
        done = subprocess.run([sys.executable, "-m", "storyline.cli", "ingest", url, "--db", db, "--no-analyze",
                               "--json", *extra], capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    REQUESTS.clear()
    refused = ingest()
    assert refused["errors"] == 1 and refused["new"] == 0 and REQUESTS == []
    allowed = ingest("--allow-private-addresses")
    assert allowed["errors"] == 0 and allowed["new"] == 1 and REQUESTS == ["/article"]
