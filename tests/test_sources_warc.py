"""Web archives written with warcio itself, read back through `storyline.sources`."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from storyline.model import ItemError, RawItem
from storyline.sources import read

FIXTURES = Path(__file__).parent / "fixtures" / "sources"
PAGE = (FIXTURES / "page.html").read_bytes()
NAV = (FIXTURES / "nav.html").read_bytes()


def build_warc(gzip: bool) -> bytes:
    """warcinfo(0), request(1), html response(2), png response(3), nav-only html(4), html response(5)."""
    out = BytesIO()
    writer = WARCWriter(out, gzip=gzip)
    writer.write_record(writer.create_warcinfo_record("test.warc", {"software": "pytest"}))

    def response(uri: str, body: bytes, content_type: str, date: str) -> None:
        headers = StatusAndHeaders("200 OK", [("Content-Type", content_type)], protocol="HTTP/1.1")
        record = writer.create_warc_record(uri, "response", payload=BytesIO(body), http_headers=headers,
                                           warc_headers_dict={"WARC-Date": date})
        writer.write_record(record)

    request_headers = StatusAndHeaders("GET /library HTTP/1.1", [("Host", "courier.example")], is_http_request=True)
    writer.write_record(writer.create_warc_record("https://courier.example/library", "request",
                                                  http_headers=request_headers))
    response("https://courier.example/library", PAGE, "text/html; charset=utf-8", "2024-03-15T08:00:00Z")
    response("https://courier.example/logo.png", b"\x89PNG\r\n\x1a\n" + bytes(64), "image/png", "2024-03-15T08:00:01Z")
    response("https://courier.example/", NAV, "text/html", "2024-03-15T08:00:02Z")
    undated = PAGE.replace(b'<meta property="article:published_time" content="2024-03-14T09:30:00Z">', b"")
    response("https://courier.example/undated", undated, "text/html", "2024-03-16T10:00:00Z")
    return out.getvalue()


@pytest.mark.parametrize("gzip", [False, True])
def test_html_responses_become_items(tmp_path: Path, gzip: bool) -> None:
    path = tmp_path / ("crawl.warc.gz" if gzip else "crawl.warc")
    path.write_bytes(build_warc(gzip))
    results = list(read([str(path)]))
    assert [(type(r).__name__, r.position) for r in results] == [("RawItem", 2), ("ItemError", 4), ("RawItem", 5)]
    page, nav, undated = results
    assert isinstance(page, RawItem) and isinstance(nav, ItemError) and isinstance(undated, RawItem)
    assert page.format == "warc"
    assert page.url == "https://courier.example/library"
    assert page.raw == PAGE
    assert page.title == "Library extends opening hours"
    assert page.published == "2024-03-14"
    assert nav.reason == "HTML page has no article text"
    assert undated.published is not None and undated.published.startswith("2024-03-16")


def test_truncated_archive_keeps_what_was_read(tmp_path: Path) -> None:
    data = build_warc(gzip=True)
    path = tmp_path / "cut.warc.gz"
    path.write_bytes(data[: len(data) - 200])
    results = list(read([str(path)]))
    assert isinstance(results[0], RawItem) and results[0].position == 2
    assert isinstance(results[-1], ItemError)
    assert "WARC archive" in results[-1].reason
    assert results[-1].position == 5


def test_uncompressed_truncated_archive(tmp_path: Path) -> None:
    data = build_warc(gzip=False)
    path = tmp_path / "cut.warc"
    path.write_bytes(data[: data.index(b"WARC/1", data.index(b"courier.example/logo.png")) + 40])
    results = list(read([str(path)]))
    assert isinstance(results[0], RawItem) and results[0].position == 2
    assert isinstance(results[-1], ItemError)
    assert "WARC archive" in results[-1].reason
