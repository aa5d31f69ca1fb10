"""Exports: stories and facts as JSON, JSON Lines, CSV and GeoJSON, streamed row by row.

Column names and record shapes are a public contract documented in `docs/exports.md`; add columns at
the end, never rename. Spans (`start`, `end`) index into the article's document: its title, a blank
line, then its text.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from dataclasses import asdict
from typing import IO, Any

from sqlalchemy import Connection, select

from storyline.model import Analysis, Quantity
from storyline.store import schema
from storyline.store.facts import load_analysis
from storyline.store.search import browse_articles

FORMATS = ("json", "jsonl", "csv", "geojson")
MEDIA_TYPES = {
    "json": "application/json",
    "jsonl": "application/x-ndjson",
    "csv": "text/csv; charset=utf-8",
    "geojson": "application/geo+json",
}
KINDS: dict[str, tuple[str, ...]] = {
    "stories": ("json", "jsonl", "csv"),
    "articles": ("json", "jsonl"),
    "facts": ("json", "jsonl"),
    "events": ("json", "jsonl", "csv", "geojson"),
    "quotes": ("json", "jsonl", "csv"),
    "quantities": ("json", "jsonl", "csv"),
    "places": ("json", "jsonl", "csv", "geojson"),
}
ARTICLE_COLUMNS = ("article_id", "published", "source", "start", "end")
COLUMNS: dict[str, tuple[str, ...]] = {
    "stories": ("id", "title", "first_date", "last_date", "first_published", "last_published", "developments", "passages", "sources", "entities", "places"),
    "events": ARTICLE_COLUMNS + (
        "type", "subtype", "trigger", "modality", "asserted_by", "actors", "targets", "place", "geonameid", "lat", "lon", "date",
        "killed_min", "killed_max", "injured_min", "injured_max", "missing_min", "missing_max", "evacuated_min", "evacuated_max",
        "size_min", "size_max", "text",
    ),
    "quotes": ARTICLE_COLUMNS + ("kind", "speaker", "speaker_entity_id", "cue", "content", "content_start", "content_end"),
    "quantities": ARTICLE_COLUMNS + ("text", "value", "min", "max", "unit", "counted", "approximate"),
    "places": ARTICLE_COLUMNS + ("text", "name", "geonameid", "lat", "lon", "country", "entity_id"),
}
PAGE = 200


def check(kind: str, fmt: str) -> None:
    """ValueError naming what exists, when `kind` cannot be exported as `fmt`."""
    if kind not in KINDS:
        raise ValueError(f"unknown export {kind!r}; expected one of {', '.join(KINDS)}")
    if fmt not in KINDS[kind]:
        raise ValueError(f"{kind} can be exported as {', '.join(KINDS[kind])}, not {fmt!r}")


# --- rows -------------------------------------------------------------------------------------------


def _articles(conn: Connection, filters: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every article matching the filters, newest first, read one page at a time."""
    cursor = None
    while True:
        page = browse_articles(conn, limit=PAGE, cursor=cursor, **filters)
        yield from page.items
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


def _bounds(quantity: Quantity | None) -> tuple[float | None, float | None]:
    if quantity is None:
        return None, None
    if quantity.value is not None:
        return quantity.value, quantity.value
    return quantity.min, quantity.max


class _Names:
    """Entity names by id, read on demand and remembered for the export's duration."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.known: dict[str, str] = {}

    def __call__(self, entity_id: str | None) -> str | None:
        if not entity_id:
            return None
        if entity_id not in self.known:
            row = self.conn.execute(select(schema.entities.c.name).where(schema.entities.c.id == entity_id)).first()
            self.known[entity_id] = row[0] if row else entity_id
        return self.known[entity_id]


def _document(article: dict[str, Any], conn: Connection) -> str:
    row = conn.execute(select(schema.articles.c.title, schema.articles.c.text).where(schema.articles.c.id == article["id"])).one()
    return f"{row.title}\n\n{row.text}" if row.title else row.text


def _event_rows(conn: Connection, article: dict[str, Any], analysis: Analysis, names: _Names) -> Iterator[dict[str, Any]]:
    coordinates = {p.geonameid: (p.lat, p.lon) for p in analysis.places if p.geonameid is not None}
    by_name = {p.name: (p.lat, p.lon) for p in analysis.places}
    document = _document(article, conn) if analysis.events else ""
    for event in analysis.events:
        lat, lon = coordinates.get(event.geonameid) or by_name.get(event.place or "") or (None, None)
        row: dict[str, Any] = {
            "type": event.type, "subtype": event.subtype, "trigger": event.trigger, "modality": event.modality,
            "asserted_by": names(event.asserted_by), "actors": "; ".join(filter(None, map(names, event.actors))),
            "targets": "; ".join(filter(None, map(names, event.targets))), "place": event.place, "geonameid": event.geonameid,
            "lat": lat, "lon": lon, "date": event.date, "text": document[event.start : event.end],
        }
        for role in ("killed", "injured", "missing", "evacuated", "size"):
            row[f"{role}_min"], row[f"{role}_max"] = _bounds(getattr(event, role))
        yield _located(article, event.start, event.end) | row


def _located(article: dict[str, Any], start: int, end: int) -> dict[str, Any]:
    return {"article_id": article["id"], "published": article["published"], "source": article["source"], "start": start, "end": end}


def _quote_rows(conn: Connection, article: dict[str, Any], analysis: Analysis, names: _Names) -> Iterator[dict[str, Any]]:
    for quote in analysis.quotes:
        yield _located(article, quote.start, quote.end) | {
            "kind": quote.kind, "speaker": names(quote.speaker_entity_id) or quote.speaker, "speaker_entity_id": quote.speaker_entity_id,
            "cue": quote.cue, "content": quote.content, "content_start": quote.content_start, "content_end": quote.content_end,
        }


def _quantity_rows(conn: Connection, article: dict[str, Any], analysis: Analysis, names: _Names) -> Iterator[dict[str, Any]]:
    for quantity in analysis.quantities:
        yield _located(article, quantity.start, quantity.end) | {
            "text": quantity.text, "value": quantity.value, "min": quantity.min, "max": quantity.max, "unit": quantity.unit,
            "counted": quantity.counted, "approximate": quantity.approximate,
        }


def _place_rows(conn: Connection, article: dict[str, Any], analysis: Analysis, names: _Names) -> Iterator[dict[str, Any]]:
    for place in analysis.places:
        yield _located(article, place.start, place.end) | {
            "text": place.text, "name": place.name, "geonameid": place.geonameid, "lat": place.lat, "lon": place.lon,
            "country": place.country, "entity_id": place.entity_id,
        }


def _fact_rows(conn: Connection, article: dict[str, Any], analysis: Analysis, names: _Names) -> Iterator[dict[str, Any]]:
    facts = asdict(analysis)
    facts.pop("article_id")
    facts.pop("version")
    facts["dates"] = facts.pop("timerefs")
    row = conn.execute(select(schema.articles.c.text).where(schema.articles.c.id == article["id"])).one()
    yield {**article, "text": row.text, "facts": facts}


FactRows = Callable[[Connection, dict[str, Any], Analysis, _Names], Iterator[dict[str, Any]]]
_PER_ARTICLE: dict[str, FactRows] = {
    "events": _event_rows,
    "quotes": _quote_rows,
    "quantities": _quantity_rows,
    "places": _place_rows,
    "articles": _fact_rows,
    "facts": _fact_rows,
}


def _story_csv(story: dict[str, Any]) -> dict[str, Any]:
    return story | {"entities": "; ".join(e["name"] for e in story["entities"]), "places": "; ".join(e["name"] for e in story["places"])}


def _story_rows(conn: Connection, fmt: str, filters: dict[str, Any]) -> Iterator[dict[str, Any]]:
    from storyline.stories.queries import list_stories, story_detail

    if filters.get("story"):
        detail = story_detail(conn, filters["story"])
        if detail is not None:
            yield _story_csv(detail) if fmt == "csv" else detail
        return
    offset = 0
    while True:
        page = list_stories(conn, entity=filters.get("entity"), since=filters.get("since"), until=filters.get("until"), limit=PAGE, offset=offset)
        for summary in page:
            yield _story_csv(summary) if fmt == "csv" else story_detail(conn, summary["id"]) or summary
        if len(page) < PAGE:
            return
        offset += PAGE


def rows(conn: Connection, kind: str, fmt: str = "json", **filters: Any) -> Iterator[dict[str, Any]]:
    """The records of an export, one dict each (what JSON Lines writes one per line)."""
    filters = {k: v for k, v in filters.items() if v is not None}
    if kind == "stories":
        yield from _story_rows(conn, fmt, filters)
        return
    names = _Names(conn)
    produce = _PER_ARTICLE[kind]
    for article in _articles(conn, filters):
        yield from produce(conn, article, load_analysis(conn, article["id"]), names)


# --- writers ----------------------------------------------------------------------------------------


def _feature(row: dict[str, Any]) -> dict[str, Any] | None:
    if row.get("lat") is None or row.get("lon") is None:
        return None
    properties = {k: v for k, v in row.items() if k not in ("lat", "lon")}
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [row["lon"], row["lat"]]}, "properties": properties}


def export(conn: Connection, kind: str, fmt: str, out: IO[str], **filters: Any) -> int:
    """Write the `kind` export as `fmt` to `out`; returns how many records were written.

    Filters: `since`, `until` (publication dates), `source`, `story`, `entity` (ids). For GeoJSON,
    records without coordinates are left out (and not counted).
    """
    check(kind, fmt)
    records = rows(conn, kind, fmt, **filters)
    written = 0
    if fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=COLUMNS[kind], extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        for record in records:
            writer.writerow(record)
            written += 1
        return written
    if fmt == "jsonl":
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
            written += 1
        return written
    if fmt == "geojson":
        out.write('{"type": "FeatureCollection", "features": [\n')
        for record in records:
            feature = _feature(record)
            if feature is None:
                continue
            out.write((",\n" if written else "") + json.dumps(feature, ensure_ascii=False, default=str))
            written += 1
        out.write("\n]}\n")
        return written
    out.write("[\n")
    for record in records:
        out.write((",\n" if written else "") + json.dumps(record, ensure_ascii=False, default=str))
        written += 1
    out.write("\n]\n")
    return written
