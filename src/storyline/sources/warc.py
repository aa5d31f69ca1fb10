"""Web archives (WARC, optionally gzipped per record): every archived HTML response is one page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, BinaryIO

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.limitreader import LimitReader

from storyline.model import ItemError, RawItem
from storyline.sources.files import read_capped, stream_error
from storyline.sources.html import read_html
from storyline.sources.limits import Limits, human_size
from storyline.sources.metadata import Given

HTML_TYPES = ("text/html", "application/xhtml+xml")


def read_warc(name: str, stored: BinaryIO, limits: Limits, given: Given) -> Iterator[RawItem | ItemError]:
    """`position` is the record's index in the archive, counting every record, so it can be found again.

    Requests, metadata and non-HTML responses are skipped silently: they are not articles and an
    archive is full of them. A broken archive ends with one ItemError after what could be read; a
    record cut short is reported rather than extracted, since half a page would pass for a whole one.
    """
    index = -1
    try:
        for index, record in enumerate(ArchiveIterator(stored)):
            if record.rec_type is None:
                yield ItemError(name, index, f"WARC archive is truncated or corrupt at record {index} "
                                             "(its header is incomplete)")
                return
            result = _html_response(name, index, record, limits) if _is_html_response(record) else None
            if _cut_short(record):
                yield ItemError(name, index, f"WARC archive is truncated inside record {index}",
                                str(record.rec_headers.get_header("WARC-Target-URI") or ""))
                return
            if isinstance(result, RawItem):
                result = given.fill(_with_fallback_date(result, record.rec_headers.get_header("WARC-Date")))
            if result is not None:
                yield result
    except ArchiveLoadFailed as exc:
        yield ItemError(name, index + 1, f"WARC archive is corrupt or truncated {_where(index)}", str(exc))
    except (OSError, EOFError, ValueError) as exc:
        yield ItemError(name, index + 1, f"WARC archive is unreadable {_where(index)}: {stream_error(exc)}",
                        str(exc))


def _is_html_response(record: Any) -> bool:
    if record.rec_type != "response" or record.http_headers is None:
        return False
    return (record.http_headers.get_header("Content-Type") or "").lower().startswith(HTML_TYPES)


def _html_response(name: str, index: int, record: Any, limits: Limits) -> RawItem | ItemError:
    uri = record.rec_headers.get_header("WARC-Target-URI")
    payload = read_capped(record.content_stream(), limits.max_bytes)
    if len(payload) > limits.max_bytes:
        return ItemError(name, index, f"archived page {uri} is over the {human_size(limits.max_bytes)} "
                                      "limit (--max-bytes)")
    return read_html(name, index, payload, url=uri, fmt="warc")


def _cut_short(record: Any) -> bool:
    """Read the record to its end; bytes still owed by its declared length mean the file stopped early."""
    stream = record.raw_stream
    while stream.read(1024 * 1024):
        pass
    return isinstance(stream, LimitReader) and stream.limit > 0


def _with_fallback_date(item: RawItem, warc_date: str | None) -> RawItem:
    """The capture date bounds the publication date from above; better than nothing for ordering."""
    if item.published or not warc_date:
        return item
    return Given(published=warc_date).fill(item)


def _where(index: int) -> str:
    return "at its first record" if index < 0 else f"after record {index}"
