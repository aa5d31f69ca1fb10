"""The read side of the store: plain dicts, ready for the CLI, the HTTP API and exports alike."""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, func, select

from storyline.model import Article, RemovedLine
from storyline.store import schema, story_tables

_CHUNK = 500
"""Ids per `IN (...)` list: well under SQLite's and PostgreSQL's limits on bound parameters."""
ARTICLE_FIELDS = ("id", "title", "published", "url", "source", "author", "language", "format", "input_name", "position")


def _article_select() -> Any:
    arts, srcs = schema.articles, schema.sources
    return select(
        arts.c.id,
        arts.c.title,
        arts.c.published,
        arts.c.url,
        srcs.c.name.label("source"),
        arts.c.author,
        arts.c.language,
        arts.c.format,
        arts.c.input_name,
        arts.c.position,
    ).select_from(arts.outerjoin(srcs, arts.c.source_id == srcs.c.id))


def filtered_articles(since: str | None, until: str | None, source: str | None) -> Any:
    """The article select narrowed to a publication window (an `until` date covers its whole day) and a source."""
    arts = schema.articles
    query = _article_select()
    if since:
        query = query.where(arts.c.published >= since)
    if until:
        query = query.where(arts.c.published <= until + ("T23:59:59Z" if len(until) == 10 else ""))
    if source:
        query = query.where(schema.sources.c.name == source)
    return query


def list_articles(
    conn: Connection,
    *,
    since: str | None = None,
    until: str | None = None,
    source: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Articles newest first; `since`/`until` compare against ISO publication times (dates work too)."""
    arts = schema.articles
    query = filtered_articles(since, until, source)
    query = query.order_by(arts.c.published.desc().nulls_last(), arts.c.id).limit(limit).offset(offset)
    return [dict(row._mapping) for row in conn.execute(query)]


def get_article(conn: Connection, article_id: str, *, raw: bool = False) -> dict[str, Any] | None:
    """One article by id or unambiguous id prefix, with its clean text, removed lines and duplicates."""
    arts = schema.articles
    query = _article_select().add_columns(arts.c.text, arts.c.removed, arts.c.meta, arts.c.ingested_at, arts.c.analysis_version)
    if raw:
        query = query.add_columns(arts.c.raw)
    rows = conn.execute(query.where(arts.c.id == article_id)).all()
    if not rows:
        # A prefix as a range, not LIKE, so the primary-key index answers it.
        rows = conn.execute(query.where(arts.c.id >= article_id, arts.c.id < article_id + "\uffff").limit(2)).all()
    if len(rows) != 1:
        return None
    article = dict(rows[0]._mapping)
    if raw:
        article["raw"] = zlib.decompress(article["raw"])
    dups, srcs = schema.duplicates, schema.sources
    article["duplicates"] = [
        dict(row._mapping)
        for row in conn.execute(
            select(dups.c.kind, dups.c.similarity, dups.c.title, dups.c.url, srcs.c.name.label("source"), dups.c.published, dups.c.input_name)
            .select_from(dups.outerjoin(srcs, dups.c.source_id == srcs.c.id))
            .where(dups.c.article_id == article["id"])
            .order_by(dups.c.published.asc().nulls_last(), dups.c.item_key)
        )
    ]
    return article


def list_errors(conn: Connection, *, limit: int = 100) -> list[dict[str, Any]]:
    table = schema.ingest_errors
    query = select(table.c.input_name, table.c.position, table.c.reason, table.c.detail, table.c.run_id, table.c.created_at)
    return [dict(row._mapping) for row in conn.execute(query.order_by(table.c.id).limit(limit))]


def list_runs(conn: Connection, *, limit: int = 20) -> list[dict[str, Any]]:
    table = schema.ingest_runs
    return [dict(row._mapping) for row in conn.execute(select(table).order_by(table.c.id.desc()).limit(limit))]


def totals(conn: Connection) -> dict[str, Any]:
    """What the store holds; `storyline report` and the API's status come from here."""

    def count(table: Any, *where: Any) -> int:
        return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one())

    dups = schema.duplicates
    arts = schema.articles
    span = conn.execute(select(func.min(arts.c.published), func.max(arts.c.published))).one()
    return {
        "articles": count(arts),
        "duplicates": count(dups, dups.c.kind == "exact"),
        "near_duplicates": count(dups, dups.c.kind == "near"),
        "errors": count(schema.ingest_errors),
        "sources": count(schema.sources),
        "entities": count(schema.entities),
        "facts": count(schema.facts),
        "developments": count(story_tables.developments),
        "stories": count(story_tables.stories),
        "first_published": span[0],
        "last_published": span[1],
    }


def load_article(conn: Connection, article_id: str) -> Article:
    """The stored article as the record the analyze and link stages take."""
    return load_articles(conn, [article_id])[article_id]


def load_articles(conn: Connection, article_ids: Iterable[str], *, raw: bool = True) -> dict[str, Article]:
    """Stored articles by id, read in one query per chunk.

    `raw=False` leaves the original bytes in the store (`raw` is then empty): a story page shows dozens of
    members' text and facts, and decompressing every one's original bytes was most of what reading
    them cost. A missing id raises `KeyError` when looked up, as a missing row would.
    """
    arts, srcs = schema.articles, schema.sources
    columns = [c for c in arts.c if raw or c.name != "raw"]
    ids = list(dict.fromkeys(article_ids))
    found: dict[str, Article] = {}
    for lo in range(0, len(ids), _CHUNK):
        query = (
            select(*columns, srcs.c.name.label("source_name"))
            .select_from(arts.outerjoin(srcs, arts.c.source_id == srcs.c.id))
            .where(arts.c.id.in_(ids[lo : lo + _CHUNK]))
        )
        for row in conn.execute(query):
            found[row.id] = _article(row, zlib.decompress(row.raw) if raw else b"")
    return found


def _article(row: Any, raw: bytes) -> Article:
    published = datetime.strptime(row.published, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC) if row.published else None
    return Article(
        id=row.id,
        content_hash=row.content_hash,
        item_key=row.item_key,
        title=row.title,
        text=row.text,
        published=published,
        url=row.url,
        source=row.source_name,
        author=row.author,
        language=row.language,
        input_name=row.input_name,
        position=row.position,
        format=row.format,
        raw=raw,
        removed=tuple(RemovedLine(**line) for line in row.removed),
        meta=row.meta,
    )
