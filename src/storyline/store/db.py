"""Opening a store: one URL for SQLite or PostgreSQL, schema brought up to date on open."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

from storyline.store.migrate import migrate

DEFAULT_DB = "storyline.db"
ENV_VAR = "STORYLINE_DB"


POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def resolve_url(db: str | None) -> str:
    """A bare path means SQLite; `--db` wins over $STORYLINE_DB, which wins over ./storyline.db.

    A plain `postgresql://` URL (as `psql` and hosting providers print it) gets the psycopg 3 driver,
    the one storyline installs, instead of SQLAlchemy's default psycopg2.
    """
    db = db or os.environ.get(ENV_VAR) or DEFAULT_DB
    for scheme in POSTGRES_SCHEMES:
        if db.startswith(scheme):
            return "postgresql+psycopg://" + db[len(scheme):]
    if "://" in db:
        return db
    return f"sqlite:///{Path(db).expanduser()}"


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def open_store(db: str | None = None, *, create: bool = True) -> Engine:
    """An engine on the store, migrated to the current schema.

    WAL lets readers (the API, `storyline articles`) run while an ingest writes, and makes every
    committed transaction survive a kill of the writer.
    """
    url = resolve_url(db)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:":
            path = Path(database)
            if not create and not path.exists():
                raise FileNotFoundError(f"no storyline database at {path} (run `storyline ingest` first)")
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url)
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(url, pool_pre_ping=True)
    migrate(engine)
    return engine
