"""Persisting an Analysis and reading it back, so linking and the UI never need to re-parse."""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from storyline.model import Analysis, Claim, Entity, Event, Mention, Place, Quantity, Quote, TimeRef
from storyline.store import schema

FACT_KINDS: dict[str, type] = {
    "quote": Quote,
    "quantity": Quantity,
    "timeref": TimeRef,
    "place": Place,
    "event": Event,
    "claim": Claim,
}
_ANALYSIS_FIELD = {"quote": "quotes", "quantity": "quantities", "timeref": "timerefs", "place": "places", "event": "events", "claim": "claims"}
_EVENT_QUANTITIES = ("killed", "injured", "missing", "evacuated", "size")


def _record(cls: type, data: dict[str, Any]) -> Any:
    """Rebuild a record from its stored dict, tolerating fields added or dropped since it was written."""
    names = {f.name for f in fields(cls)}
    values = {k: v for k, v in data.items() if k in names}
    if cls is Event:
        for name in _EVENT_QUANTITIES:
            if isinstance(values.get(name), dict):
                values[name] = _record(Quantity, values[name])
        for name in ("actors", "targets"):
            values[name] = tuple(values.get(name) or ())
    return cls(**values)


def upsert_entity(conn: Connection, entity: Entity) -> None:
    """Entities are shared across articles: a new article may teach new aliases or fill a role."""
    table = schema.entities
    row = conn.execute(select(table.c.aliases, table.c.role).where(table.c.id == entity.id)).first()
    if row is None:
        conn.execute(insert(table).values(**{**asdict(entity), "aliases": sorted(set(entity.aliases))}))
        return
    aliases = sorted(set(row[0] or []) | set(entity.aliases))
    changes: dict[str, Any] = {}
    if aliases != sorted(row[0] or []):
        changes["aliases"] = aliases
    if entity.role and not row[1]:
        changes["role"] = entity.role
    if changes:
        conn.execute(update(table).where(table.c.id == entity.id).values(**changes))


def delete_analysis(conn: Connection, article_id: str) -> None:
    conn.execute(delete(schema.mentions).where(schema.mentions.c.article_id == article_id))
    conn.execute(delete(schema.facts).where(schema.facts.c.article_id == article_id))


def save_analysis(conn: Connection, analysis: Analysis) -> None:
    """Replace the article's stored facts with this analysis."""
    delete_analysis(conn, analysis.article_id)
    for entity in analysis.entities:
        upsert_entity(conn, entity)
    mention_rows = {(m.start, m.end, m.entity_id): asdict(m) for m in analysis.mentions}
    if mention_rows:
        conn.execute(insert(schema.mentions), list(mention_rows.values()))
    rows = []
    for kind, attr in _ANALYSIS_FIELD.items():
        for seq, record in enumerate(getattr(analysis, attr)):
            data = asdict(record)
            rows.append({"article_id": analysis.article_id, "kind": kind, "seq": seq, "start": record.start, "end": record.end, "data": data})
    if rows:
        conn.execute(insert(schema.facts), rows)


def load_analysis(conn: Connection, article_id: str, version: str = "") -> Analysis:
    mentions = [
        _record(Mention, dict(row._mapping))
        for row in conn.execute(select(schema.mentions).where(schema.mentions.c.article_id == article_id).order_by(schema.mentions.c.start))
    ]
    entity_ids = sorted({m.entity_id for m in mentions})
    entities = []
    if entity_ids:
        for row in conn.execute(select(schema.entities).where(schema.entities.c.id.in_(entity_ids)).order_by(schema.entities.c.id)):
            values = dict(row._mapping)
            values["aliases"] = tuple(values["aliases"] or ())
            entities.append(Entity(**values))
    grouped: dict[str, list[Any]] = {attr: [] for attr in _ANALYSIS_FIELD.values()}
    table = schema.facts
    for row in conn.execute(select(table.c.kind, table.c.data).where(table.c.article_id == article_id).order_by(table.c.kind, table.c.seq)):
        if row.kind in FACT_KINDS:
            grouped[_ANALYSIS_FIELD[row.kind]].append(_record(FACT_KINDS[row.kind], row.data))
    return Analysis(
        article_id=article_id,
        version=version,
        entities=tuple(entities),
        mentions=tuple(mentions),
        **{attr: tuple(items) for attr, items in grouped.items()},
    )
