"""Fetching URLs from a real HTTP server on 127.0.0.1; no outside network is touched."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from storyline.model import ItemError, RawItem
from storyline.sources import Limits, read

FIXTURES = Path(__file__).parent / "fixtures" / "sources"
SEEN_AGENTS: list[str] = []
LOCAL = Limits(allow_private=True)
"""The test server is on loopback, which fetching refuses unless allowed."""


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        SEEN_AGENTS.append(self.headers.get("User-Agent", ""))
        path = self.path
        if path == "/article":
            self._send(200, "text/html; charset=utf-8", (FIXTURES / "page.html").read_bytes())
        elif path == "/feed":
            self._send(200, "application/rss+xml", (FIXTURES / "feed.rss").read_bytes())
        elif path == "/xmlfeed":
            self._send(200, "text/xml", (FIXTURES / "feed.atom").read_bytes())
        elif path.startswith("/hop/"):
            left = int(path.rsplit("/", 1)[1])
            self._redirect("/article" if left == 0 else f"/hop/{left - 1}")
        elif path == "/loop":
            self._redirect("/loop")
        elif path == "/big":
            self._send(200, "text/html", b"<p>" + b"a" * (3 * 1024 * 1024) + b"</p>", length=False)
        elif path == "/image":
            self._send(200, "image/png", b"\x89PNG\r\n\x1a\n" + bytes(100))
        elif path == "/slow":
            time.sleep(3)
            self._send(200, "text/html", b"<p>late</p>")
        else:
            self._send(404, "text/plain", b"not here")

    def _send(self, status: int, content_type: str, body: bytes, length: bool = True) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        if length:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(body)

    def _redirect(self, to: str) -> None:
        self.send_response(302)
        self.send_header("Location", to)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output quiet."""


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def fetch_one(url: str, limits: Limits = LOCAL, **kwargs: object) -> RawItem | ItemError:
    results = list(read([url], limits=limits, **kwargs))  # type: ignore[arg-type]
    assert len(results) == 1, results
    return results[0]


def test_page_is_fetched_and_extracted(server: str) -> None:
    item = fetch_one(f"{server}/article")
    assert isinstance(item, RawItem)
    assert item.format == "url"
    assert item.input_name == f"{server}/article"
    assert item.url == f"{server}/article"
    assert item.title == "Library extends opening hours"
    assert item.raw == (FIXTURES / "page.html").read_bytes()
    assert SEEN_AGENTS[-1] == Limits().user_agent


def test_redirects_are_followed_up_to_the_cap(server: str) -> None:
    item = fetch_one(f"{server}/hop/2")
    assert isinstance(item, RawItem)
    assert item.url == f"{server}/article"
    error = fetch_one(f"{server}/hop/4", limits=Limits(max_redirects=2, allow_private=True))
    assert isinstance(error, ItemError)
    assert error.reason == "more than 2 redirects (--max-redirects)"
    assert isinstance(fetch_one(f"{server}/loop"), ItemError)


def test_feed_content_type_goes_to_the_feed_reader(server: str) -> None:
    results = list(read([f"{server}/feed"], limits=LOCAL))
    assert [type(r).__name__ for r in results] == ["RawItem", "RawItem", "ItemError"]
    assert all(r.input_name == f"{server}/feed" for r in results)
    assert results[0].format == "feed"  # type: ignore[union-attr]
    atom = fetch_one(f"{server}/xmlfeed")
    assert isinstance(atom, RawItem) and atom.title == "School roof to be replaced"


def test_size_cap_is_enforced_while_streaming(server: str) -> None:
    error = fetch_one(f"{server}/big", limits=Limits(max_fetch_bytes=1024 * 1024, allow_private=True))
    assert isinstance(error, ItemError)
    assert error.reason == "response is over the 1 MB limit (--max-fetch-bytes)"


def test_http_errors_and_wrong_content(server: str) -> None:
    missing = fetch_one(f"{server}/nothing")
    assert isinstance(missing, ItemError) and missing.reason == "server answered HTTP 404 Not Found"
    image = fetch_one(f"{server}/image")
    assert isinstance(image, ItemError) and "PNG image" in image.reason


def test_timeout(server: str) -> None:
    error = fetch_one(f"{server}/slow", limits=Limits(fetch_timeout=0.5, allow_private=True))
    assert isinstance(error, ItemError)
    assert error.reason == "no answer within 0.5 s (--fetch-timeout)"


def test_unreachable_host_and_refused_schemes() -> None:
    closed = fetch_one("http://127.0.0.1:9/", limits=Limits(fetch_timeout=2, allow_private=True))
    assert isinstance(closed, ItemError) and closed.reason.startswith("could not fetch the URL")
    ftp = fetch_one("ftp://127.0.0.1/file.txt")
    assert isinstance(ftp, ItemError) and ftp.reason == "only http and https URLs can be fetched, not ftp://"
    local = fetch_one("file:///etc/passwd", format="url")
    assert isinstance(local, ItemError) and "file://" in local.reason
