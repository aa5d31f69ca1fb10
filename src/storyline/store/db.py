"""Opening a store: one URL for SQLite or PostgreSQL, schema brought up to date on open."""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import ExceptionContext, make_url

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


class StoreError(RuntimeError):
    """The store itself failed (not any one input item): the run must stop, and what it committed stays."""


class StoreFull(StoreError):
    """The store could not grow: its disk (or the PostgreSQL server's) is full, or a size limit was hit."""


_SQLITE_WRITE_FAILURES = {sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_IOERR_WRITE, sqlite3.SQLITE_IOERR_FSYNC, sqlite3.SQLITE_IOERR_TRUNCATE}
PG_DISK_FULL = "53100"


def _free(folder: Path) -> str:
    try:
        return f"{shutil.disk_usage(folder).free / 2**20:,.1f} MB free"
    except OSError:
        return "free space unknown"


def _sqlite_full(path: Path, error: sqlite3.Error) -> StoreFull:
    """Name the file and its disk: SQLite says only "database or disk is full" or "disk I/O error"."""
    folder = path.parent.resolve()
    if error.sqlite_errorcode == sqlite3.SQLITE_FULL:  # type: ignore[attr-defined]
        cause = f"the disk holding {folder} is full ({_free(folder)})"
    else:
        cause = f"writing to the disk holding {folder} failed ({_free(folder)}; the disk may be full, the file over a size limit, or the device failing)"
    return StoreFull(
        f"could not write the store {path}: {cause} [SQLite: {error}]. Everything committed before this stays intact: "
        "free some space (or move the store) and run the same command again to resume."
    )


def _map_store_failures(engine: Engine, sqlite_path: Path | None) -> None:
    """Turn a full disk into `StoreFull`, so callers stop the run with a clear message instead of
    blaming the input item that happened to be written when the space ran out."""

    def handle(context: ExceptionContext) -> None:
        error = context.original_exception
        if sqlite_path is not None and isinstance(error, sqlite3.Error) and getattr(error, "sqlite_errorcode", None) in _SQLITE_WRITE_FAILURES:
            raise _sqlite_full(sqlite_path, error) from context.sqlalchemy_exception
        if getattr(error, "sqlstate", None) == PG_DISK_FULL:
            raise StoreFull(
                f"the PostgreSQL server's disk is full: {str(error).strip()}. Everything committed before this stays intact: "
                "free space on the server and run the same command again to resume."
            ) from context.sqlalchemy_exception

    event.listen(engine, "handle_error", handle)


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
        _map_store_failures(engine, Path(database) if database and database != ":memory:" else None)
    else:
        engine = create_engine(url, pool_pre_ping=True)
        _map_store_failures(engine, None)
    migrate(engine)
    return engine
