"""What a store holds after an ingest, as plain sorted rows, so two runs can be compared for equality.

Row order and database-assigned numbers (run ids, serial keys) are left out: they may differ between
equivalent runs. Everything derived from the input — articles, duplicates, errors, facts, mentions,
entities and the story layer — is in.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import create_engine, select

from storyline.store import schema, story_tables


def _rows(conn: Any, *columns: Any) -> list[tuple[Any, ...]]:
    return sorted((tuple(row) for row in conn.execute(select(*columns))), key=repr)


def snapshot(url: str) -> dict[str, list[tuple[Any, ...]]]:
    arts, dups, errs = schema.articles, schema.duplicates, schema.ingest_errors
    st = story_tables
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {
                "articles": _rows(conn, arts.c.id, arts.c.item_key, arts.c.content_hash, arts.c.published, arts.c.title, arts.c.analysis_version),
                "duplicates": _rows(conn, dups.c.item_key, dups.c.article_id, dups.c.kind, dups.c.similarity),
                "errors": _rows(conn, errs.c.input_name, errs.c.position, errs.c.reason),
                "entities": _rows(conn, schema.entities.c.id, schema.entities.c.name, schema.entities.c.aliases, schema.entities.c.role),
                "mentions": _rows(conn, schema.mentions.c.article_id, schema.mentions.c.start, schema.mentions.c.end, schema.mentions.c.entity_id),
                "facts": _rows(conn, schema.facts.c.article_id, schema.facts.c.kind, schema.facts.c.seq, schema.facts.c.data),
                "stories": _rows(conn, st.stories.c.id, st.stories.c.title, st.stories.c.developments, st.stories.c.passages),
                "developments": _rows(conn, st.developments.c.id, st.developments.c.story_id, st.developments.c.date, st.developments.c.label),
                "passages": _rows(conn, st.passages.c.article_id, st.passages.c.start, st.passages.c.end, st.passages.c.development_id, st.passages.c.story_id),
            }
    finally:
        engine.dispose()


def corpus_lines(lines: list[str], size: int) -> list[str]:
    """`size` real articles with one exact repeat and one line that is not JSON, so a run has an
    article, a duplicate and an error to account for."""
    chosen = lines[:size]
    chosen.insert(size // 2, chosen[1])
    chosen.insert(size // 3, "{this line is not json")
    return chosen
