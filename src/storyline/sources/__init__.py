"""Reading inputs — files, directories, standard input, feeds, web archives, URLs — into RawItems.

`read` is the only entry point the pipeline uses. It is lazy and never raises for bad input: every
item it cannot read becomes an `ItemError` whose reason tells a person what to fix, and the batch goes
on. Formats are sniffed from content (extensions only break ties) unless `format=` says otherwise.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator, Sequence

from storyline.model import ItemError, RawItem
from storyline.sources.feed import read_feed
from storyline.sources.files import (
    STREAM_ERRORS,
    Opened,
    open_path,
    open_stream,
    read_capped,
    sidecar_path,
    stream_error,
    walk,
)
from storyline.sources.html import read_html
from storyline.sources.jsonl import read_jsonl
from storyline.sources.limits import Limits, human_size
from storyline.sources.metadata import Given, parse_sidecar
from storyline.sources.sniff import FORMATS, binary_kind, sniff
from storyline.sources.text import read_text
from storyline.sources.url import is_url, read_url
from storyline.sources.warc import read_warc

__all__ = ["FORMATS", "Limits", "read"]

Result = RawItem | ItemError

DEFAULT_LIMITS = Limits()


def read(inputs: Iterable[str], *, format: str | None = None, include: Sequence[str] = (),
         exclude: Sequence[str] = (), published: str | None = None, source: str | None = None,
         limits: Limits = DEFAULT_LIMITS) -> Iterator[Result]:
    """Yield a RawItem or an ItemError for every item of every input, in input order.

    `published` and `source` win over a sidecar's values and over what a single page says about itself;
    for items inside containers (JSONL, feed, WARC) they only fill what the item leaves empty.
    Raises ValueError only for an unknown `format` name, a programming or usage error.
    """
    if format is not None and format not in FORMATS:
        raise ValueError(f"unknown format {format!r}; expected one of {', '.join(FORMATS)}")
    arguments = Given(published=published, source=source)
    for value in inputs:
        if value == "-":
            yield from _read_opened(open_stream("-", sys.stdin.buffer), format, arguments, limits)
        elif format == "url" or is_url(value):
            yield from read_url(value, limits, arguments)
        elif os.path.isdir(value):
            for path in walk(value, include, exclude):
                yield from _read_file(path, format, arguments, limits)
        else:
            yield from _read_file(value, format, arguments, limits)


def _read_file(path: str, format: str | None, arguments: Given, limits: Limits) -> Iterator[Result]:
    given = arguments
    sidecar = sidecar_path(path)
    if sidecar is not None:
        try:
            with open(sidecar, "rb") as handle:
                given = parse_sidecar(read_capped(handle, limits.max_bytes)).but(
                    published=arguments.published, source=arguments.source)
        except (OSError, ValueError) as exc:
            yield ItemError(path, 0, f"{exc} ({sidecar})" if isinstance(exc, ValueError) else
                            f"metadata sidecar {sidecar} could not be read: {exc.strerror or exc}")
            return
    try:
        opened = open_path(path)
    except FileNotFoundError:
        yield ItemError(path, 0, "no such file or directory")
        return
    except PermissionError:
        yield ItemError(path, 0, "permission denied: the file cannot be read")
        return
    except OSError as exc:
        yield ItemError(path, 0, f"file could not be opened: {exc.strerror or exc}")
        return
    with opened.stored:
        yield from _read_opened(opened, format, given, limits)


def _read_opened(opened: Opened, format: str | None, given: Given, limits: Limits) -> Iterator[Result]:
    name = opened.name
    if not opened.head and not opened.gzipped:
        yield ItemError(name, 0, "file is empty" if name != "-" else "standard input is empty")
        return
    fmt = format or sniff(opened.head, name)
    if fmt == "json":
        yield ItemError(name, 0, "JSON file is not JSON Lines (one article object per line); "
                                 "convert it, e.g. with `jq -c '.[]'`")
        return
    if fmt == "warc":
        yield from read_warc(name, opened.stored, limits, given)
        return
    binary = binary_kind(opened.head)
    if binary is not None:
        yield ItemError(name, 0, f"binary file (looks like {binary}), not an article")
        return
    if fmt == "jsonl":
        yield from read_jsonl(name, opened.content(limits.max_bytes, limits.max_expansion), limits, given)
        return
    if opened.size is not None and not opened.gzipped and opened.size > limits.max_bytes:
        yield _too_big(name, opened.size, limits)
        return
    try:
        data = read_capped(opened.content(), limits.max_bytes)
    except STREAM_ERRORS as exc:
        yield ItemError(name, 0, stream_error(exc), str(exc))
        return
    if len(data) > limits.max_bytes:
        yield _too_big(name, None, limits)
    elif not data:
        yield ItemError(name, 0, "file is empty")
    elif fmt == "feed":
        yield from read_feed(name, data, given, limits.parse_timeout)
    else:
        item = read_html(name, 0, data, timeout=limits.parse_timeout) if fmt == "html" else read_text(name, data)
        yield given.override(item) if isinstance(item, RawItem) else item


def _too_big(name: str, size: int | None, limits: Limits) -> ItemError:
    what = f"file is {human_size(size)}," if size is not None else "content is"
    return ItemError(name, 0, f"{what} over the {human_size(limits.max_bytes)} limit (--max-bytes)")
