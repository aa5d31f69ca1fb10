"""RSS and Atom feeds: one item per entry, with the entry's HTML turned into paragraphs of text."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import feedparser
import lxml.etree
import lxml.html

from storyline.model import ItemError, RawItem
from storyline.sources.deadline import ParseTimeout, time_limit
from storyline.sources.metadata import Given

_BLOCKS = frozenset({
    "p", "div", "br", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6",
    "blockquote", "pre", "table", "tr", "section", "article", "figure", "figcaption", "header",
    "footer", "aside", "hr",
})
# The closing root tag; a lenient parse of a feed without it has silently dropped whatever followed.
_CLOSED = re.compile(rb"</(?:[\w-]+:)?(?:rss|feed|RDF)>\s*$")
# A DOCTYPE's internal subset, "[...]", where entities are declared. feedparser leaves declarations
# that reference other entities in place, and expat expands them: a billion-laughs feed took 20 s and
# 70 MB before expat's own amplification limit stopped it. Feeds have no use for it, so it is cut out
# before parsing; references to the entities it declared are then left as they are written.
_INTERNAL_SUBSET = re.compile(rb"(<!DOCTYPE[^\[>]*)\[.*?\]\s*>", re.IGNORECASE | re.DOTALL)
_ENTITY_MARKS = tuple("<!ENTITY".encode(codec) for codec in ("utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"))
_PROLOG_BYTES = 64 * 1024
_PARAGRAPH_BREAK = "\u2029"
_SPACES = re.compile(r"[ \t\r\n\f\v\u00a0]+")
# Characters lxml refuses in text it is given back (found by fuzzing: a backspace in an entry's HTML
# made setting an element's tail raise); the cleaner would remove them anyway.
_XML_INCOMPATIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def read_feed(name: str, data: bytes, given: Given, timeout: float = 0) -> Iterator[RawItem | ItemError]:
    """Parse from bytes so feedparser detects the encoding itself and no external entity is fetched.

    The whole feed is parsed and converted before the first entry is yielded, so that `timeout`
    seconds (when positive) bound all of it; a feed over its time is one error, none of its entries.
    """
    try:
        with time_limit(timeout):
            results = list(_read_feed(name, data, given))
    except ParseTimeout:
        results = [ItemError(name, 0, f"feed took longer than {timeout:g} s to parse (--parse-timeout)")]
    yield from results


def _without_entities(data: bytes) -> bytes | None:
    """The feed with its DOCTYPE's internal subset removed; None if entities are declared in an
    encoding the byte pattern cannot see (UTF-16, UTF-32), so the feed is refused instead."""
    prolog = data[:_PROLOG_BYTES]
    if b"<!" in prolog.upper() and _INTERNAL_SUBSET.search(prolog):
        data = _INTERNAL_SUBSET.sub(rb"\1>", prolog, count=1) + data[_PROLOG_BYTES:]
    upper = data[: _PROLOG_BYTES * 4].upper()
    if any(mark.upper() in upper for mark in _ENTITY_MARKS):
        return None
    return data


def _read_feed(name: str, data: bytes, given: Given) -> Iterator[RawItem | ItemError]:
    safe = _without_entities(data)
    if safe is None:
        yield ItemError(name, 0, "feed declares XML entities in UTF-16 or UTF-32; refused, since entity "
                                 "expansion is how XML bombs and external-entity reads work")
        return
    try:
        parsed = feedparser.parse(safe)
    except Exception as exc:  # noqa: BLE001 - feedparser reports bad feeds as "bozo"; anything raised is its bug
        yield ItemError(name, 0, f"feed could not be parsed: {type(exc).__name__}: {exc}")
        return
    entries = parsed.get("entries", [])
    if not entries:
        if parsed.get("bozo"):
            yield ItemError(name, 0, f"feed could not be parsed: {parsed.get('bozo_exception')}")
        elif not parsed.get("version"):
            yield ItemError(name, 0, "not an RSS or Atom feed (no feed root element found)")
        else:
            yield ItemError(name, 0, "feed has no entries")
        return
    feed_title = (parsed.get("feed", {}).get("title") or "").strip() or None
    for position, entry in enumerate(entries):
        yield _entry_item(name, position, entry, feed_title, given)
    if parsed.get("bozo") and data.lstrip().startswith(b"<") and not _CLOSED.search(data[-1024:]):
        yield ItemError(name, len(entries), "feed is truncated: entries after the last one read are lost",
                        str(parsed.get("bozo_exception")))


def _entry_item(name: str, position: int, entry: Any, feed_title: str | None,
                given: Given) -> RawItem | ItemError:
    raw = json.dumps(entry, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")
    body = _entry_body(entry)
    if not body:
        return ItemError(name, position, f"feed entry {position} has neither content nor summary",
                         str(entry.get("link") or entry.get("title") or ""))
    title = fragment_text(entry["title"]) if entry.get("title") else None
    author = entry.get("author")
    item = RawItem(
        input_name=name, position=position, format="feed", raw=raw, text=body,
        title=title or None, published=_entry_date(entry), url=entry.get("link"), source=feed_title,
        author=author.strip() if isinstance(author, str) and author.strip() else None,
        language=entry.get("language") or None,
        meta={"id": entry["id"]} if entry.get("id") else {},
    )
    return given.fill(item)


def _entry_body(entry: Any) -> str:
    """Full content when the feed carries it, else the summary, as plain text."""
    for content in entry.get("content", []):
        text = _as_text(content.get("value") or "", content.get("type") or "text/html")
        if text:
            return text
    summary = entry.get("summary_detail") or {}
    return _as_text(entry.get("summary") or "", summary.get("type") or "text/html")


def _as_text(value: str, content_type: str) -> str:
    if "html" in content_type:
        return fragment_text(value)
    return "\n\n".join(p for p in (_SPACES.sub(" ", p).strip() for p in re.split(r"\n\s*\n", value)) if p)


def _entry_date(entry: Any) -> str | None:
    """ISO 8601 in UTC when feedparser understood the date, else the date as the feed wrote it."""
    for key in ("published", "updated", "created"):
        parsed: time.struct_time | None = entry.get(f"{key}_parsed")
        if parsed:
            return datetime(*parsed[:6], tzinfo=UTC).isoformat()
    for key in ("published", "updated", "created"):
        if entry.get(key):
            return str(entry[key])
    return None


def fragment_text(fragment: str) -> str:
    """Text of an HTML fragment with block elements as paragraphs separated by blank lines."""
    fragment = _XML_INCOMPATIBLE.sub("", fragment)
    if not fragment.strip():
        return ""
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (lxml.etree.ParserError, ValueError):
        return _SPACES.sub(" ", fragment).strip()
    for element in list(root.iter("script", "style", "noscript")):
        element.drop_tree()
    for element in root.iter():
        if isinstance(element.tag, str) and element.tag.lower() in _BLOCKS:
            element.tail = _PARAGRAPH_BREAK + (element.tail or "")
            element.text = _PARAGRAPH_BREAK + (element.text or "")
    paragraphs = (_SPACES.sub(" ", p).strip() for p in root.text_content().split(_PARAGRAPH_BREAK))
    return "\n\n".join(p for p in paragraphs if p)
