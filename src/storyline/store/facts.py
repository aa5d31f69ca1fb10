"""Persisting an Analysis and reading it back, so linking and the UI never need to re-parse.

Readers may keep built views of articles and stories (the API's read cache). A view of one article
is keyed by that article's `analysis_version` and a story's by its `updated_seq`; what changes a
view without touching those — facts replaced for an article analysed before, or an entity filling its
role — replaces the store's read generation (`read_generation`), which every cached view is also
keyed by, in the same transaction as the change. Only an article's JSON shows an entity's aliases,
and new aliases are learned all through an ingest, so they change a generation of their own
(`alias_generation`) that only article views are keyed by: stored story views outlive them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, fields, is_dataclass
from functools import cache
from typing import Any
from uuid import uuid4

from sqlalchemy import Connection, ScalarSelect, bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

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
READ_GENERATION = "read_generation"
"""The `meta` key whose value changes whenever stored facts change under an existing view."""
ALIAS_GENERATION = "alias_generation"
"""The `meta` key whose value changes whenever a stored entity learns an alias."""


def read_generation() -> ScalarSelect[Any]:
    """The current read generation as a subquery, so a reader fetches it with its own version row."""
    return select(schema.meta.c.value).where(schema.meta.c.key == READ_GENERATION).scalar_subquery()


def alias_generation() -> ScalarSelect[Any]:
    """The current alias generation as a subquery, read like `read_generation`."""
    return select(schema.meta.c.value).where(schema.meta.c.key == ALIAS_GENERATION).scalar_subquery()


def bump_read_generation(conn: Connection, key: str = READ_GENERATION) -> None:
    """A fresh random value, not a counter: two writers can never leave the value a reader saw."""
    table = schema.meta
    value = uuid4().hex
    if conn.execute(update(table).where(table.c.key == key).values(value=value)).rowcount:
        return
    try:
        with conn.begin_nested():
            conn.execute(insert(table).values(key=key, value=value))
    except IntegrityError:
        conn.execute(update(table).where(table.c.key == key).values(value=value))


@cache
def _field_names(cls: type) -> frozenset[str]:
    return frozenset(f.name for f in fields(cls))


_LEAVES = frozenset({str, int, float, bool, type(None)})


@cache
def _field_order(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


def _plain(value: Any) -> Any:
    """`dataclasses.asdict` for the immutable records of an analysis, in a fraction of its time.

    `asdict` deep-copies every leaf, which made it most of the cost of saving an article's facts;
    the leaves of a record are strings, numbers and tuples of them, which need no copy. The result
    is equal to `asdict`'s, keys in the same order, so the stored JSON text does not change.
    """
    if type(value) in _LEAVES:
        return value
    if is_dataclass(value) and not isinstance(value, type):
        return {name: _plain(getattr(value, name)) for name in _field_order(type(value))}
    if type(value) in (tuple, list):
        return type(value)(_plain(v) for v in value)
    if isinstance(value, dict):
        return {_plain(k): _plain(v) for k, v in value.items()}
    return value


def _record(cls: type, data: dict[str, Any]) -> Any:
    """Rebuild a record from its stored dict, tolerating fields added or dropped since it was written."""
    names = _field_names(cls)
    if names.issuperset(data) and cls is not Event:
        return cls(**data)
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
    upsert_entities(conn, [entity])


_ENTITY_READ = select(schema.entities.c.id, schema.entities.c.aliases, schema.entities.c.role).where(
    schema.entities.c.id.in_(bindparam("ids", expanding=True))
)
_ENTITY_ADD = insert(schema.entities)
_ENTITY_ALIASES = update(schema.entities).where(schema.entities.c.id == bindparam("key")).values(aliases=bindparam("aliases"))
_ENTITY_ROLE = update(schema.entities).where(schema.entities.c.id == bindparam("key")).values(role=bindparam("role"))
_ENTITY_BOTH = update(schema.entities).where(schema.entities.c.id == bindparam("key")).values(aliases=bindparam("aliases"), role=bindparam("role"))


def upsert_entities(conn: Connection, entities: Iterable[Entity]) -> None:
    """`upsert_entity` for all of an article's entities in one read and a few batched writes.

    An article names dozens of entities; one round trip each was most of the cost of saving its
    facts. Entities are taken in order, so an id repeated within the batch merges as it would one
    call at a time, and a generation changes once if any stored entity learned something.
    """
    entities = list(entities)
    stored: dict[str, tuple[list[str], str | None]] = {}
    for chunk in _chunks(sorted({e.id for e in entities})):
        stored.update({row[0]: (row[1] or [], row[2]) for row in conn.execute(_ENTITY_READ, {"ids": chunk})})
    fresh: dict[str, dict[str, Any]] = {}
    changed: dict[str, dict[str, Any]] = {}
    for entity in entities:
        if entity.id in fresh:
            # Repeated within the batch after a first sight: what the first insert wrote is stored.
            first = fresh.pop(entity.id)
            conn.execute(_ENTITY_ADD, first)
            stored[entity.id] = (first["aliases"], first["role"])
        if entity.id not in stored:
            fresh[entity.id] = {**asdict(entity), "aliases": sorted(set(entity.aliases))}
            continue
        old_aliases, old_role = stored[entity.id]
        aliases = sorted(set(old_aliases) | set(entity.aliases))
        changes: dict[str, Any] = changed.get(entity.id, {})
        if aliases != sorted(old_aliases):
            changes["aliases"] = aliases
        if entity.role and not old_role:
            changes["role"] = entity.role
        if changes:
            changed[entity.id] = changes
            stored[entity.id] = (changes.get("aliases", old_aliases), changes.get("role", old_role))
    if fresh:
        conn.execute(_ENTITY_ADD, list(fresh.values()))
    for statement, names in ((_ENTITY_BOTH, {"aliases", "role"}), (_ENTITY_ALIASES, {"aliases"}), (_ENTITY_ROLE, {"role"})):
        rows = [{"key": key, **values} for key, values in changed.items() if set(values) == names]
        if rows:
            conn.execute(statement, rows)
    if any("role" in values for values in changed.values()):
        bump_read_generation(conn)
    elif changed:
        bump_read_generation(conn, ALIAS_GENERATION)


def delete_analysis(conn: Connection, article_id: str) -> int:
    """Remove the article's facts; how many rows went."""
    removed = conn.execute(delete(schema.mentions).where(schema.mentions.c.article_id == article_id)).rowcount
    return int(removed + conn.execute(delete(schema.facts).where(schema.facts.c.article_id == article_id)).rowcount)


def save_analysis(conn: Connection, analysis: Analysis) -> None:
    """Replace the article's stored facts with this analysis.

    A first analysis changes the article's `analysis_version` (the caller marks it), which is what
    cached views of it are keyed by; replacing facts of an article analysed before may keep that
    version, so it changes the read generation instead.
    """
    arts = schema.articles
    analysed_before = conn.execute(select(arts.c.analysis_version).where(arts.c.id == analysis.article_id)).scalar() is not None
    if delete_analysis(conn, analysis.article_id) or analysed_before:
        bump_read_generation(conn)
    upsert_entities(conn, analysis.entities)
    mention_rows = {(m.start, m.end, m.entity_id): _plain(m) for m in analysis.mentions}
    if mention_rows:
        conn.execute(insert(schema.mentions), list(mention_rows.values()))
    rows = []
    for kind, attr in _ANALYSIS_FIELD.items():
        for seq, record in enumerate(getattr(analysis, attr)):
            data = _plain(record)
            rows.append({"article_id": analysis.article_id, "kind": kind, "seq": seq, "start": record.start, "end": record.end, "data": data})
    if rows:
        conn.execute(insert(schema.facts), rows)


def load_analysis(conn: Connection, article_id: str, version: str = "") -> Analysis:
    return load_analyses(conn, [article_id], version)[article_id]


def load_analyses(conn: Connection, article_ids: Iterable[str], version: str = "") -> dict[str, Analysis]:
    """The analyses of many articles in three queries whatever their number (a story page reads up
    to fifty); an article without facts gets an empty analysis."""
    ids = sorted(set(article_ids))
    mentions: dict[str, list[Mention]] = {i: [] for i in ids}
    grouped: dict[str, dict[str, list[Any]]] = {i: {attr: [] for attr in _ANALYSIS_FIELD.values()} for i in ids}
    entity_ids: set[str] = set()
    ms, table = schema.mentions, schema.facts
    by_field = select(*(ms.c[name] for name in _field_order(Mention)))
    for chunk in _chunks(ids):
        for row in conn.execute(by_field.where(ms.c.article_id.in_(chunk)).order_by(ms.c.article_id, ms.c.start, ms.c.end, ms.c.entity_id)):
            mention = Mention(*row)
            mentions[mention.article_id].append(mention)
            entity_ids.add(mention.entity_id)
        query = select(table.c.article_id, table.c.kind, table.c.data).where(table.c.article_id.in_(chunk))
        for article_id, kind, data in conn.execute(query.order_by(table.c.article_id, table.c.kind, table.c.seq)):
            if kind in FACT_KINDS:
                grouped[article_id][_ANALYSIS_FIELD[kind]].append(_record(FACT_KINDS[kind], data))
    entities: dict[str, Entity] = {}
    for chunk in _chunks(sorted(entity_ids)):
        for row in conn.execute(select(schema.entities).where(schema.entities.c.id.in_(chunk))):
            values = dict(row._mapping)
            values["aliases"] = tuple(values["aliases"] or ())
            entities[row.id] = Entity(**values)
    return {
        i: Analysis(
            article_id=i,
            version=version,
            entities=tuple(entities[e] for e in sorted({m.entity_id for m in mentions[i]}) if e in entities),
            mentions=tuple(mentions[i]),
            **{attr: tuple(items) for attr, items in grouped[i].items()},
        )
        for i in ids
    }


def _chunks(ids: list[str], size: int = 500) -> Iterable[list[str]]:
    """Bounded IN lists: SQLite caps bound parameters per statement."""
    for start in range(0, len(ids), size):
        yield ids[start : start + size]
