"""Schema versioning: each migration is a function applied once, in order, inside a transaction.

A store opened by an older storyline is brought forward on open; a store written by a newer
storyline is refused rather than silently misread. On PostgreSQL, where several processes may open a
fresh store at the same moment, the whole upgrade runs in one transaction under an advisory lock, so
exactly one of them creates the tables and the others find them done.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, Engine, inspect, select, text

from storyline.store import schema, search, story_tables

SCHEMA_VERSION = 5
MIGRATION_LOCK = 0x5354_4D49
"""PostgreSQL advisory lock key held while migrating ("STMI")."""


def _create_all(conn: Connection) -> None:
    """Every table; importing `story_tables` above registers the story layer's tables on `metadata`."""
    schema.metadata.create_all(conn)


def _postgres_search(conn: Connection) -> None:
    """PostgreSQL's full-text index lives in the schema; SQLite's FTS5 table is made on first use."""
    if conn.dialect.name == "postgresql":
        search.ensure_postgres_fts(conn)


def _story_list_index(conn: Connection) -> None:
    """The story list sorts by last publication; stores made before the index existed get it here."""
    for index in story_tables.stories.indexes:
        if index.name == "ix_stories_last_published":
            index.create(conn, checkfirst=True)


def _rendered_views(conn: Connection) -> None:
    """The read model's table of rendered views; stores made before it start with it empty."""
    schema.rendered_views.create(conn, checkfirst=True)


def _story_redirects(conn: Connection) -> None:
    """Merged stories leave redirects; stores made before merging existed start with none. A merge
    reads and moves one story's index keys (`kind` and `target`): an index on `target` alone lost to
    the primary key's `kind` prefix in SQLite's planner, which then read every story key in the store
    for each merge, so it now leads with `target` and holds `kind`."""
    story_tables.story_redirects.create(conn, checkfirst=True)
    conn.execute(text("DROP INDEX IF EXISTS ix_link_keys_target"))
    for index in story_tables.link_keys.indexes:
        if index.name == "ix_link_keys_target":
            index.create(conn)


MIGRATIONS: dict[int, Callable[[Connection], None]] = {
    1: _create_all,
    2: _postgres_search,
    3: _story_list_index,
    4: _rendered_views,
    5: _story_redirects,
}


class SchemaTooNew(RuntimeError):
    pass


def current_version(conn: Connection) -> int:
    if not inspect(conn).has_table("meta"):
        return 0
    row = conn.execute(select(schema.meta.c.value).where(schema.meta.c.key == "schema_version")).first()
    return int(row[0]) if row else 0


def _check_not_newer(version: int) -> None:
    if version > SCHEMA_VERSION:
        raise SchemaTooNew(
            f"this database has schema version {version}, newer than this storyline ({SCHEMA_VERSION}); upgrade storyline"
        )


def _apply(conn: Connection, version: int) -> None:
    table = schema.meta
    for target in range(version + 1, SCHEMA_VERSION + 1):
        MIGRATIONS[target](conn)
        if current_version(conn) == 0:
            conn.execute(table.insert().values(key="schema_version", value=str(target)))
        else:
            conn.execute(table.update().where(table.c.key == "schema_version").values(value=str(target)))


def migrate(engine: Engine) -> int:
    """Apply pending migrations; returns the version the store is at afterwards."""
    with engine.begin() as conn:
        version = current_version(conn)
    _check_not_newer(version)
    if version == SCHEMA_VERSION:
        return SCHEMA_VERSION
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        version = current_version(conn)
        _check_not_newer(version)
        _apply(conn, version)
    return SCHEMA_VERSION
