"""Guessing an input's format from its first bytes, because extensions lie and stdin has none."""

from __future__ import annotations

import re
import zlib

FORMATS = ("text", "html", "jsonl", "feed", "warc", "url")

HEAD_SIZE = 64 * 1024

GZIP_MAGIC = b"\x1f\x8b"

# Signatures of common non-article files, so the error names what the user actually pointed at.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF87a", "GIF image"),
    (b"GIF89a", "GIF image"),
    (b"%PDF-", "PDF document"),
    (b"PK\x03\x04", "ZIP archive or Office document"),
    (b"\x7fELF", "ELF executable"),
    (b"BZh", "bzip2 archive"),
    (b"\xfd7zXZ\x00", "xz archive"),
    (b"7z\xbc\xaf\x27\x1c", "7-Zip archive"),
    (b"(\xb5/\xfd", "zstd archive"),
    (b"SQLite format 3\x00", "SQLite database"),
    (b"OggS", "Ogg audio"),
    (b"ID3", "MP3 audio"),
    (b"\x00\x00\x00\x18ftyp", "MP4 video"),
    (b"\x00\x00\x00\x20ftyp", "MP4 video"),
    (b"RIFF", "RIFF media file"),
    (b"\xd0\xcf\x11\xe0", "legacy Office document"),
)

_EXTENSIONS: dict[str, str] = {
    ".txt": "text",
    ".text": "text",
    ".md": "text",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".rss": "feed",
    ".atom": "feed",
    ".xml": "feed",
    ".warc": "warc",
}

_FEED_ROOT = re.compile(rb"<(?:[\w-]+:)?(?:rss|feed|RDF)[\s>]", re.IGNORECASE)
_HTML_START = re.compile(rb"(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html[\s>])", re.IGNORECASE | re.DOTALL)
_HTML_MARK = re.compile(rb"<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>]|<(?:p|div|article|title|meta)[\s>/]",
                        re.IGNORECASE)
# A JSONL line opens an object with a key (or closes it) on the same line; judged on the opening alone
# because one line can be longer than the sniffed head. Pretty-printed JSON opens on a line of its own.
_JSON_OBJECT = re.compile(rb"\{[ \t]*[\"}]")
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


def gunzip_head(head: bytes) -> bytes:
    """Decompress what we can of a gzip prefix; a truncated stream still shows its first bytes."""
    try:
        return zlib.decompressobj(wbits=31).decompress(head, HEAD_SIZE)
    except zlib.error:
        return b""


def binary_kind(head: bytes) -> str | None:
    """Name the kind of binary file `head` starts, or None if it may be text.

    Text in UTF-16 has NUL bytes too, so a byte-order mark exempts the head from the NUL test.
    """
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    if head.startswith(_BOMS):
        return None
    sample = head[:8192]
    if b"\x00" in sample:
        return "unknown binary data"
    controls = sum(1 for b in sample if b < 32 and b not in b"\t\n\r\f\v\x1b")
    if sample and controls / len(sample) > 0.1:
        return "unknown binary data"
    return None


def extension_format(name: str) -> str | None:
    """The format a file name suggests, looking through a trailing `.gz`."""
    lower = name.lower()
    if lower.endswith(".gz"):
        lower = lower[:-3]
    for ext, fmt in _EXTENSIONS.items():
        if lower.endswith(ext):
            return fmt
    return None


def sniff(head: bytes, name: str = "") -> str:
    """The format of content starting with `head` (already decompressed).

    Besides the readable FORMATS this can answer "json": a JSON document that is not JSON Lines, which
    the caller reports instead of ingesting its punctuation as prose.

    Content decides where it is unambiguous (WARC header, feed root, HTML tags, a JSON object per line);
    the extension only breaks ties, e.g. an XML file that is neither a feed nor HTML.
    """
    stripped = head.lstrip(b"".join(_BOMS) + b" \t\r\n")
    if stripped.startswith(b"WARC/"):
        return "warc"
    by_extension = extension_format(name)
    if stripped.startswith(b"<"):
        if _HTML_START.match(stripped):
            return "html"
        if _FEED_ROOT.search(stripped[:4096]):
            return "feed"
        if _HTML_MARK.search(stripped):
            return "html"
        return by_extension if by_extension in ("feed", "html") else "html"
    if _JSON_OBJECT.match(stripped):
        return "jsonl"
    if stripped.startswith((b"{", b"[")) and by_extension in (None, "jsonl"):
        return "json"
    if by_extension in ("jsonl", "html"):
        return by_extension
    return "text"
