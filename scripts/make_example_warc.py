"""Build ``examples/web/archive.warc.gz`` from the HTML pages kept in ``scripts/example_warc_src/``.

The archive is committed, but it is generated rather than hand-made so that anyone can see exactly
what it holds and rebuild it after editing a page. Record ids are derived from the target URI and
date, and warcio writes gzip members without timestamps, so rebuilding unchanged sources yields a
byte-identical file.

Run from the repository root: ``.venv/bin/python scripts/make_example_warc.py``
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from email.utils import format_datetime
from io import BytesIO
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

HERE = Path(__file__).resolve().parent
SOURCES = HERE / "example_warc_src"
TARGET = HERE.parent / "examples" / "web" / "archive.warc.gz"
ARCHIVE_DATE = "2025-05-03T00:00:00Z"


def record_id(*parts: str) -> str:
    """A stable WARC-Record-ID, so the archive does not change when nothing else has."""
    return f"<urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, '|'.join(parts))}>"


def http_date(warc_date: str) -> str:
    """The crawl time as an HTTP Date header, to keep both headers of a record in agreement."""
    moment = datetime.fromisoformat(warc_date.replace("Z", "+00:00"))
    return format_datetime(moment, usegmt=True)


def write_archive(sources: Path = SOURCES, target: Path = TARGET) -> int:
    """Write one warcinfo record, then one HTTP response per page listed in ``records.json``."""
    records = json.loads((sources / "records.json").read_text(encoding="utf-8"))
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as output:
        writer = WARCWriter(output, gzip=True)
        info = writer.create_warcinfo_record(
            target.name,
            {"software": "storyline examples/make_warc.py",
             "description": "Illustrative pages written for the storyline examples; not a real crawl."},
        )
        info.rec_headers.replace_header("WARC-Record-ID", record_id("warcinfo", target.name))
        info.rec_headers.replace_header("WARC-Date", ARCHIVE_DATE)
        writer.write_record(info)
        for entry in records:
            body = (sources / entry["file"]).read_bytes()
            http_headers = StatusAndHeaders(
                "200 OK",
                [("Content-Type", "text/html; charset=utf-8"),
                 ("Content-Length", str(len(body))),
                 ("Date", http_date(entry["date"]))],
                protocol="HTTP/1.1",
            )
            response = writer.create_warc_record(
                entry["uri"], "response", payload=BytesIO(body), http_headers=http_headers,
                warc_headers_dict={"WARC-Date": entry["date"],
                                   "WARC-Record-ID": record_id(entry["uri"], entry["date"])},
            )
            writer.write_record(response)
    return len(records)


if __name__ == "__main__":
    count = write_archive()
    print(f"wrote {count} response records to {TARGET}")
