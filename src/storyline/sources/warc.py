"""Web archives (WARC, optionally gzipped per record): every archived HTML response is one page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, BinaryIO

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.limitreader import LimitReader

from storyline.model import ItemError, RawItem
from storyline.sources.files import STREAM_ERRORS, Counting, Expansion, ExpansionError, read_capped, stream_error
from storyline.sources.html import read_html
from storyline.sources.limits import Limits, human_size
from storyline.sources.metadata import Given

HTML_TYPES = ("text/html", "application/xhtml+xml")
# What warcio raises, beyond its own ArchiveLoadFailed, on headers it cannot make sense of (found by
# fuzzing: a request record without a target URI raises AttributeError).
_WARCIO_FAILURES = (AttributeError, TypeError, KeyError, IndexError)


def read_warc(name: str, stored: BinaryIO, limits: Limits, given: Given) -> Iterator[RawItem | ItemError]:
    """`position` is the record's index in the archive, counting every record, so it can be found again.

    Requests, metadata and non-HTML responses are skipped silently: they are not articles and an
    archive is full of them, but an archive without any HTML response is one error, so it is
    accounted for. A broken archive ends with one ItemError after what could be read; a record cut
    short is reported rather than extracted, since half a page would pass for a whole one.
    """
    index = -1
    pages = 0
    compressed = Counting(stored)
    expansion = Expansion(compressed, limits.max_bytes, limits.max_expansion)
    try:
        for index, record in enumerate(ArchiveIterator(compressed)):
            if record.rec_type is None:
                yield ItemError(name, index, f"WARC archive is truncated or corrupt at record {index} "
                                             "(its header is incomplete)")
                return
            result = _html_response(name, index, record, limits, expansion) if _is_html_response(record) else None
            if _cut_short(record, expansion):
                yield ItemError(name, index, f"WARC archive is truncated inside record {index}",
                                str(record.rec_headers.get_header("WARC-Target-URI") or ""))
                return
            if isinstance(result, RawItem):
                result = given.fill(_with_fallback_date(result, record.rec_headers.get_header("WARC-Date")))
            if result is not None:
                pages += 1
                yield result
    except ExpansionError as exc:
        yield ItemError(name, index, f"WARC archive abandoned inside record {index}: {exc}")
    except ArchiveLoadFailed as exc:
        yield ItemError(name, index + 1, f"WARC archive is corrupt or truncated {_where(index)}", str(exc))
    except (*STREAM_ERRORS, OverflowError) as exc:
        yield ItemError(name, index + 1, f"WARC archive is unreadable {_where(index)}: {stream_error(exc)}",
                        str(exc))
    except _WARCIO_FAILURES as exc:
        yield ItemError(name, index + 1, f"WARC archive is corrupt {_where(index)}: its headers could not be parsed",
                        f"{type(exc).__name__}: {exc}")
    else:
        if not pages:
            yield ItemError(name, 0, "WARC archive has no records" if index < 0 else
                            f"WARC archive has no HTML responses ({index + 1} records read)")


def _is_html_response(record: Any) -> bool:
    if record.rec_type != "response" or record.http_headers is None:
        return False
    return (record.http_headers.get_header("Content-Type") or "").lower().startswith(HTML_TYPES)


def _html_response(name: str, index: int, record: Any, limits: Limits, expansion: Expansion) -> RawItem | ItemError:
    uri = record.rec_headers.get_header("WARC-Target-URI")
    payload = read_capped(record.content_stream(), limits.max_bytes)
    expansion.spend(len(payload))
    if len(payload) > limits.max_bytes:
        return ItemError(name, index, f"archived page {uri} is over the {human_size(limits.max_bytes)} "
                                      "limit (--max-bytes)")
    return read_html(name, index, payload, url=uri, fmt="warc", timeout=limits.parse_timeout)


def _cut_short(record: Any, expansion: Expansion) -> bool:
    """Read the record to its end; bytes still owed by its declared length mean the file stopped early.

    Every byte read counts against the archive's `expansion` allowance, so a small gzipped record that
    inflates to gigabytes is abandoned after about `max_bytes` instead of being read to its end.
    """
    stream = record.raw_stream
    while chunk := stream.read(1024 * 1024):
        expansion.spend(len(chunk))
    return isinstance(stream, LimitReader) and stream.limit > 0


def _with_fallback_date(item: RawItem, warc_date: str | None) -> RawItem:
    """The capture date bounds the publication date from above; better than nothing for ordering."""
    if item.published or not warc_date:
        return item
    return Given(published=warc_date).fill(item)


def _where(index: int) -> str:
    return "at its first record" if index < 0 else f"after record {index}"
