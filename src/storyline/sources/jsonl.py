"""JSON Lines: one article object per line, read line by line so file size does not bound memory."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, BinaryIO

from storyline.model import ItemError, RawItem
from storyline.sources.files import STREAM_ERRORS, stream_error
from storyline.sources.limits import Limits, human_size
from storyline.sources.metadata import Given

FIELDS = ("title", "text", "published", "url", "source", "author", "language")


def read_jsonl(name: str, stream: BinaryIO, limits: Limits, given: Given) -> Iterator[RawItem | ItemError]:
    """Yield one item per non-blank line; `position` is the 1-based line number a person would look up.

    A file without any non-blank line is one error, so that it is accounted for like any empty file.
    """
    number = 0
    found = False
    while True:
        number += 1
        try:
            line = stream.readline(limits.max_bytes + 1)
            if len(line) > limits.max_bytes and not line.endswith(b"\n"):
                _skip_rest_of_line(stream)
                found = True
                yield ItemError(name, number, f"line {number} is over the {human_size(limits.max_bytes)} "
                                              "limit (--max-bytes)")
                continue
        except STREAM_ERRORS as exc:
            yield ItemError(name, number, f"{stream_error(exc)} at line {number}", str(exc))
            return
        if not line:
            if not found:
                yield ItemError(name, 0, "file is empty" if number == 1 else "JSON Lines file has only blank lines")
            return
        if number == 1:
            line = line.removeprefix(b"\xef\xbb\xbf")
        line = line.rstrip(b"\r\n")
        if line.strip():
            found = True
            yield _parse_line(name, number, line, given)


def _parse_line(name: str, number: int, line: bytes, given: Given) -> RawItem | ItemError:
    try:
        obj = json.loads(line.decode("utf-8"))
    except UnicodeDecodeError as exc:
        return ItemError(name, number, f"line {number} is not UTF-8 text", str(exc))
    except ValueError as exc:
        return ItemError(name, number, f"not valid JSON on line {number}: {exc}")
    except RecursionError:
        return ItemError(name, number, f"line {number} nests JSON too deeply to read")
    if not isinstance(obj, dict):
        return ItemError(name, number, f"line {number} is JSON but not an object ({type(obj).__name__})")
    values = {k: _as_text(obj.get(k)) for k in FIELDS}
    if not values["text"] or not values["text"].strip():
        return ItemError(name, number, f'line {number} has no article text (field "text" is missing or empty)')
    meta = {k: v for k, v in obj.items() if k not in FIELDS}
    item = RawItem(input_name=name, position=number, format="jsonl", raw=line, meta=meta, **values)
    return given.fill(item)


def _as_text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _skip_rest_of_line(stream: BinaryIO) -> None:
    while True:
        chunk = stream.readline(1024 * 1024)
        if not chunk or chunk.endswith(b"\n"):
            return
