"""Opening inputs as byte streams: files, gzip, standard input, and directory walking."""

from __future__ import annotations

import fnmatch
import gzip
import io
import os
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, cast

from storyline.sources.limits import human_size
from storyline.sources.sniff import GZIP_MAGIC, HEAD_SIZE, gunzip_head

SIDECAR_SUFFIX = ".meta.json"


class _Prefixed(io.RawIOBase):
    """A stream that replays bytes already read for sniffing, so stdin need not be seekable."""

    def __init__(self, prefix: bytes, rest: BinaryIO, owned: bool) -> None:
        self._prefix = memoryview(prefix)
        self._rest = rest
        self._owned = owned

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        """Close the file we opened, but never standard input, which belongs to the process."""
        if self._owned and not self.closed:
            self._rest.close()
        super().close()

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._prefix:
            n = min(len(buffer), len(self._prefix))
            buffer[:n] = self._prefix[:n]
            self._prefix = self._prefix[n:]
            return n
        data = self._rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


class Counting:
    """A read-only view of a stream that counts the bytes read through it (the compressed side of gzip)."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        self.count += len(data)
        return data

    def readline(self, size: int = -1) -> bytes:
        data = self._stream.readline(size)
        self.count += len(data)
        return data


class ExpansionError(ValueError):
    """Compressed input that expands far beyond its size: a decompression bomb, or data no reader needs."""


@dataclass
class Expansion:
    """Decompressed bytes spent against compressed bytes read, so a small file cannot inflate to gigabytes.

    Nothing is refused below `max_bytes`, the size one item may have anyway; past it the output may be
    at most `ratio` times the compressed bytes read so far.
    """

    compressed: Counting
    max_bytes: int
    ratio: int
    expanded: int = 0

    def spend(self, size: int) -> None:
        """Count `size` more decompressed bytes; raises ExpansionError once over the allowance."""
        self.expanded += size
        if self.expanded > self.max_bytes and self.expanded > self.ratio * max(self.compressed.count, 1):
            raise ExpansionError(
                f"compressed input expands to over {self.ratio} times its size "
                f"({human_size(self.compressed.count)} to more than {human_size(self.expanded)}; a decompression "
                "bomb?) (--max-expansion)")


class _Inflating:
    """gzip content read through an `Expansion` allowance."""

    def __init__(self, stored: BinaryIO, max_bytes: int, ratio: int) -> None:
        compressed = Counting(stored)
        self._gzip = gzip.GzipFile(fileobj=cast(BinaryIO, compressed), mode="rb")
        self._expansion = Expansion(compressed, max_bytes, ratio)

    def read(self, size: int = -1) -> bytes:
        data = self._gzip.read(size)
        self._expansion.spend(len(data))
        return data

    def readline(self, size: int = -1) -> bytes:
        data = self._gzip.readline(size)
        self._expansion.spend(len(data))
        return data


@dataclass
class Opened:
    """An input ready to read: its stored bytes as a stream, plus a decompressed head to sniff."""

    name: str
    stored: BinaryIO
    head: bytes
    gzipped: bool
    size: int | None

    def content(self, max_bytes: int | None = None, max_expansion: int = 0) -> BinaryIO:
        """The decompressed bytes; gzip errors surface while reading, where they can become ItemErrors.

        With `max_bytes` and `max_expansion`, reading gzip content raises ExpansionError (a ValueError)
        once it expands past its allowance (see `Expansion`).
        """
        if not self.gzipped:
            return self.stored
        if max_bytes is None or max_expansion <= 0:
            return cast(BinaryIO, gzip.GzipFile(fileobj=self.stored, mode="rb"))
        return cast(BinaryIO, _Inflating(self.stored, max_bytes, max_expansion))


def open_stream(name: str, stream: BinaryIO, size: int | None = None, owned: bool = False) -> Opened:
    """Wrap a stream after reading its head, which is replayed to whoever reads the content."""
    head = stream.read(HEAD_SIZE)
    stored = io.BufferedReader(_Prefixed(head, stream, owned), buffer_size=HEAD_SIZE)
    gzipped = head.startswith(GZIP_MAGIC)
    return Opened(name, stored, gunzip_head(head) if gzipped else head, gzipped, size)


def open_path(path: str) -> Opened:
    """Open a regular file; raises OSError, which the caller turns into an ItemError."""
    handle = open(path, "rb")  # noqa: SIM115 - closed by the caller through `stored`
    try:
        return open_stream(path, handle, os.fstat(handle.fileno()).st_size, owned=True)
    except OSError:
        handle.close()
        raise


def read_capped(stream: BinaryIO, limit: int) -> bytes:
    """Read at most `limit + 1` bytes, so a caller can tell "exactly at the limit" from "over it"."""
    chunks: list[bytes] = []
    remaining = limit + 1
    while remaining > 0:
        chunk = stream.read(min(remaining, 1024 * 1024))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def is_item_file(name: str) -> bool:
    """Hidden files and metadata sidecars accompany items; they are never items themselves."""
    return not name.startswith(".") and not name.endswith(SIDECAR_SUFFIX)


ARTICLE_FILES = (
    "*.txt", "*.text", "*.htm", "*.html", "*.xhtml", "*.jsonl", "*.ndjson", "*.json", "*.xml", "*.rss",
    "*.atom", "*.warc", "*.arc", "*.gz",
)
"""What a directory walk takes when no `--include` is given: article formats and extensionless files,
so a folder's README, scripts or spreadsheets are not mistaken for articles."""


def _default_item(relative: str) -> bool:
    name = relative.rsplit("/", 1)[-1].lower()
    return "." not in name or any(fnmatch.fnmatch(name, p) for p in ARTICLE_FILES)


def walk(root: str, include: Sequence[str] = (), exclude: Sequence[str] = ()) -> Iterator[str]:
    """Files under `root` ordered by path, filtered by glob patterns on the path relative to `root`.

    Sorting makes ingest order, and so every id assigned in order, the same on every machine; each
    directory is listed only when reached, so a huge tree starts yielding at once. Hidden directories
    are skipped like hidden files (version-control and editor droppings); symlinked directories are not
    followed, so a link loop cannot trap the walk.
    """
    for path in _sorted_files(root):
        relative = Path(os.path.relpath(path, root)).as_posix()
        if include and not any(fnmatch.fnmatch(relative, p) for p in include):
            continue
        if not include and not _default_item(relative):
            continue
        if any(fnmatch.fnmatch(relative, p) for p in exclude):
            continue
        yield path


def _sorted_files(directory: str) -> Iterator[str]:
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if entry.is_dir(follow_symlinks=False):
            yield from _sorted_files(os.path.join(directory, entry.name))
        elif entry.is_file() and is_item_file(entry.name):
            yield os.path.join(directory, entry.name)


def sidecar_path(path: str) -> str | None:
    """The `NAME.meta.json` next to `path`: for `a.html` either `a.html.meta.json` or `a.meta.json`."""
    full = path + SIDECAR_SUFFIX
    if os.path.isfile(full):
        return full
    base = path[:-3] if path.lower().endswith(".gz") else path
    stem, ext = os.path.splitext(base)
    if ext and os.path.isfile(stem + SIDECAR_SUFFIX):
        return stem + SIDECAR_SUFFIX
    return None


STREAM_ERRORS = (OSError, EOFError, ValueError, zlib.error)
"""What reading a possibly gzipped stream raises on bad bytes; `stream_error` words each for a person.
(`zlib.error`, for corrupt deflate data inside a valid gzip header, is none of the others.)"""


def stream_error(exc: BaseException) -> str:
    """A reason a person can act on for an error raised while reading a (possibly gzipped) stream."""
    if isinstance(exc, EOFError):
        return "gzip stream is truncated"
    if isinstance(exc, (gzip.BadGzipFile, zlib.error)):
        return "gzip stream is corrupt"
    if isinstance(exc, ExpansionError):
        return str(exc)
    if isinstance(exc, OSError):
        return f"could not read the input ({exc.strerror or exc})"
    return f"could not read the input ({exc})"
