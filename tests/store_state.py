"""What a store holds after an ingest, as plain sorted rows, so two runs can be compared for equality.

Row order and database-assigned numbers (run ids, serial keys) are left out: they may differ between
equivalent runs. Everything derived from the input — articles, duplicates, errors, facts, mentions,
entities and the story layer — is in.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import create_engine, func, inspect, select
from sqlalchemy.exc import DBAPIError

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
                "link_keys": _rows(conn, st.link_keys.c.kind, st.link_keys.c.key, st.link_keys.c.target, st.link_keys.c.first_date, st.link_keys.c.last_date),
                "link_df": _rows(conn, st.link_df.c.key, st.link_df.c.df),
                "story_changes": _rows(conn, st.story_changes.c.story_id, st.story_changes.c.development_id, st.story_changes.c.article_id, st.story_changes.c.start, st.story_changes.c.kind),
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


def accounted(url: str) -> dict[str, int]:
    """Where the input items went, counted from the store alone: the accounting invariant is
    `inputs == articles + duplicates + errors`, errors counted once per failing input item."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            if not {"articles", "duplicates", "ingest_errors"} <= set(inspect(conn).get_table_names()):
                return {"articles": 0, "duplicates": 0, "errors": 0}
            errors = select(schema.ingest_errors.c.input_name, schema.ingest_errors.c.position).distinct().subquery()
            return {
                "articles": conn.execute(select(func.count()).select_from(schema.articles)).scalar_one(),
                "duplicates": conn.execute(select(func.count()).select_from(schema.duplicates)).scalar_one(),
                "errors": conn.execute(select(func.count()).select_from(errors)).scalar_one(),
            }
    finally:
        engine.dispose()


_DANGLING = {
    "facts of an article not yet analyzed": "SELECT DISTINCT f.article_id FROM facts f JOIN articles a ON a.id = f.article_id WHERE a.analysis_version IS NULL",
    "mentions of an article not yet analyzed": "SELECT DISTINCT m.article_id FROM mentions m JOIN articles a ON a.id = m.article_id WHERE a.analysis_version IS NULL",
    "passages of an article not yet analyzed": "SELECT DISTINCT p.article_id FROM passages p JOIN articles a ON a.id = p.article_id WHERE a.analysis_version IS NULL",
    "passages of a missing article": "SELECT p.article_id FROM passages p LEFT JOIN articles a ON a.id = p.article_id WHERE a.id IS NULL",
    "passages of a missing story": "SELECT p.story_id FROM passages p LEFT JOIN stories s ON s.id = p.story_id WHERE s.id IS NULL",
    "passages of a missing development": "SELECT p.development_id FROM passages p LEFT JOIN developments d ON d.id = p.development_id WHERE d.id IS NULL",
    "developments of a missing story": "SELECT d.id FROM developments d LEFT JOIN stories s ON s.id = d.story_id WHERE s.id IS NULL",
    "duplicates of a missing article": "SELECT d.item_key FROM duplicates d LEFT JOIN articles a ON a.id = d.article_id WHERE a.id IS NULL",
    "facts of a missing article": "SELECT f.article_id FROM facts f LEFT JOIN articles a ON a.id = f.article_id WHERE a.id IS NULL",
    "input items both stored and failed": (
        "SELECT e.input_name, e.position FROM ingest_errors e JOIN articles a ON a.input_name = e.input_name AND a.position = e.position "
        "UNION SELECT e.input_name, e.position FROM ingest_errors e JOIN duplicates d ON d.input_name = e.input_name AND d.position = e.position"
    ),
}


def problems(url: str) -> list[str]:
    """Everything wrong with a store after a crash, as readable lines (empty when it is sound).

    Beyond the file's own integrity: no half-written article (facts, mentions or story passages of
    an article whose analysis never committed), no story row pointing at something missing, and no
    input item counted twice (stored and also recorded as failed)."""
    found: list[str] = []
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
            if tables or conn.dialect.name == "sqlite":
                found += _damage(conn)
            if not {"articles", "passages"} <= tables:
                return found  # the run stopped before the schema was complete: nothing stored to check
            for what, query in _DANGLING.items():
                rows = conn.exec_driver_sql(query).all()
                if rows:
                    found.append(f"{what}: {[tuple(r) for r in rows[:5]]} ({len(rows)} in all)")
    finally:
        engine.dispose()
    return found


def _damage(conn: Any) -> list[str]:
    """The backend's own check (SQLite's integrity and foreign-key checks, amcheck on PostgreSQL)."""
    from conftest import assert_intact

    try:
        assert_intact(conn)
    except (AssertionError, DBAPIError) as exc:
        return [f"the store's own integrity check failed: {exc}"]
    if conn.dialect.name == "sqlite":
        return [f"foreign key broken: {tuple(row)}" for row in conn.exec_driver_sql("PRAGMA foreign_key_check").all()]
    return []
