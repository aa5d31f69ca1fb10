"""Everything the ingest writes. Each function runs inside the caller's transaction, so an item's rows
land together or not at all."""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, and_, func, insert, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from storyline.model import Article
from storyline.store import schema

_UPSERT_DIALECTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
ITEM_LOCKS = 0x5354_4954
"""Namespace ("STIT") of PostgreSQL's two-key advisory locks taken per input item."""


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def _insert_ignore(conn: Connection, table: Any, values: dict[str, Any], key: str) -> bool:
    """Insert unless a row with the same unique `key` exists; True when a row was written.

    `ON CONFLICT DO NOTHING` rather than check-then-insert, so two ingest processes writing the same
    row into one PostgreSQL store at once do not fail: the second insert simply writes nothing.
    """
    statement = _UPSERT_DIALECTS[conn.dialect.name](table).values(**values).on_conflict_do_nothing(index_elements=[table.c[key]])
    return conn.execute(statement.returning(table.c[key])).first() is not None


def source_id(conn: Connection, name: str | None) -> int | None:
    """The outlet's id, created on first sight; safe when another process creates it concurrently."""
    if not name:
        return None
    table = schema.sources
    row = conn.execute(select(table.c.id).where(table.c.name == name)).first()
    if row:
        return int(row[0])
    _insert_ignore(conn, table, {"name": name}, "name")
    return int(conn.execute(select(table.c.id).where(table.c.name == name)).scalar_one())


def start_run(conn: Connection, args: dict[str, Any]) -> int:
    result = conn.execute(insert(schema.ingest_runs).values(started_at=now(), status="running", args=args))
    return int(result.inserted_primary_key[0])


def finish_run(conn: Connection, run_id: int, status: str, counts: dict[str, int]) -> None:
    table = schema.ingest_runs
    conn.execute(update(table).where(table.c.id == run_id).values(finished_at=now(), status=status, **counts))


def record_error(conn: Connection, run_id: int, input_name: str, position: int, reason: str, detail: str = "") -> bool:
    """One row per distinct failure of an input item; re-ingesting the same bad item adds nothing."""
    key = hashlib.sha256(f"{input_name}\0{position}\0{reason}".encode()).hexdigest()
    return _insert_ignore(
        conn,
        schema.ingest_errors,
        {
            "error_key": key,
            "input_name": input_name,
            "position": position,
            "reason": reason,
            "detail": detail[:4000],
            "run_id": run_id,
            "created_at": now(),
        },
        "error_key",
    )


def lock_item(conn: Connection, item_key: str) -> None:
    """Hold this input item until the transaction ends, so concurrent writers decide it one after the other.

    Without it, two processes storing the same item at once could each miss the other's
    uncommitted article, and the later one would then file the item as a duplicate of itself. The
    unique keys cannot catch that (an article and a duplicate live in different tables). SQLite
    stores have a single writer and need no lock.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:space, :key)"), {"space": ITEM_LOCKS, "key": int.from_bytes(hashlib.sha256(item_key.encode()).digest()[:4], "big", signed=True)})


def item_known(conn: Connection, item_key: str) -> bool:
    """True when this exact input item already ended as an article or a duplicate."""
    if conn.execute(select(schema.articles.c.id).where(schema.articles.c.item_key == item_key)).first():
        return True
    return conn.execute(select(schema.duplicates.c.item_key).where(schema.duplicates.c.item_key == item_key)).first() is not None


def article_by_hash(conn: Connection, content_hash: str) -> str | None:
    row = conn.execute(select(schema.articles.c.id).where(schema.articles.c.content_hash == content_hash)).first()
    return row[0] if row else None


def near_candidates(conn: Connection, band_keys: list[str]) -> list[tuple[str, bytes]]:
    """Articles sharing at least one LSH band with the signature, with their signatures."""
    bands, arts = schema.minhash_bands, schema.articles
    ids = select(bands.c.article_id).where(bands.c.band_key.in_(band_keys)).distinct().limit(200).subquery()
    rows = conn.execute(select(arts.c.id, arts.c.minhash).where(and_(arts.c.id.in_(select(ids.c.article_id)))))
    return [(row[0], row[1]) for row in rows if row[1] is not None]


def insert_article(conn: Connection, article: Article, run_id: int, signature: bytes, band_keys: list[str]) -> None:
    conn.execute(
        insert(schema.articles).values(
            id=article.id,
            content_hash=article.content_hash,
            item_key=article.item_key,
            title=article.title,
            text=article.text,
            published=iso(article.published),
            url=article.url,
            source_id=source_id(conn, article.source),
            author=article.author,
            language=article.language,
            input_name=article.input_name,
            position=article.position,
            format=article.format,
            raw=zlib.compress(article.raw, 6),
            removed=[asdict(line) for line in article.removed],
            meta=article.meta,
            minhash=signature,
            run_id=run_id,
            ingested_at=now(),
        )
    )
    if band_keys:
        conn.execute(insert(schema.minhash_bands), [{"band_key": key, "article_id": article.id} for key in set(band_keys)])


def insert_duplicate(conn: Connection, article: Article, of: str, kind: str, similarity: float, run_id: int) -> None:
    conn.execute(
        insert(schema.duplicates).values(
            item_key=article.item_key,
            article_id=of,
            kind=kind,
            similarity=similarity,
            title=article.title,
            url=article.url,
            source_id=source_id(conn, article.source),
            published=iso(article.published),
            input_name=article.input_name,
            position=article.position,
            run_id=run_id,
            created_at=now(),
        )
    )


PendingKey = tuple[str, str]
"""Where an article stands in publication order: (published or "", id)."""


def unanalyzed(
    conn: Connection, version: str, limit: int, *, only_missing: bool = True, after: PendingKey | None = None
) -> list[PendingKey]:
    """Articles with no facts yet (or, unless `only_missing`, facts from another extractor version),
    oldest publication first, starting past `after`. Articles whose analysis failed under this
    version are not retried.

    Paging by key rather than re-asking for the first `limit` lets a parallel runner fetch the next
    batch while earlier ones are still being analyzed and are not yet marked."""
    arts = schema.articles
    order = func.coalesce(arts.c.published, "")
    missing = arts.c.analysis_version.is_(None)
    stale = (arts.c.analysis_version != version) & (arts.c.analysis_version != f"failed:{version}")
    query = select(order, arts.c.id).where(missing if only_missing else (missing | stale))
    if after is not None:
        query = query.where(or_(order > after[0], and_(order == after[0], arts.c.id > after[1])))
    rows = conn.execute(query.order_by(order, arts.c.id).limit(limit))
    return [(row[0], row[1]) for row in rows]


def mark_analyzed(conn: Connection, article_id: str, version: str) -> None:
    arts = schema.articles
    conn.execute(update(arts).where(arts.c.id == article_id).values(analysis_version=version))
