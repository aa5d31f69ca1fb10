"""Shared fixtures: paths to the shared data and seeds, and fresh stores on the backend under test.

The store fixtures run on SQLite unless STORYLINE_TEST_BACKEND=postgres, which runs the same tests on
a throwaway PostgreSQL 15 cluster (one per session, one database per store). Tests that check what
only SQLite has are marked `sqlite_only(reason)`: a PostgreSQL run deselects them and prints why.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection, text

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SEEDS = SHARED / "seeds"
DATA = SHARED / "data"
EXAMPLES = REPO / "examples"
EXAMPLE_INPUTS = ["text", "html", "jsonl", "feeds", "web", "broken"]
SQLITE_ONLY = pytest.StashKey[list[tuple[str, str]]]()


def need(path: Path) -> Path:
    """Skip, saying why, when the shared data this test reads is not beside the repo."""
    if not path.exists():
        pytest.skip(f"{path} is not present (the shared data folder belongs beside the repository)")
    return path


@pytest.fixture
def db_url(new_db_url: Callable[[str], str]) -> str:
    return new_db_url("test")


@pytest.fixture
def engine(db_url: str):  # type: ignore[no-untyped-def]
    from storyline.store.db import open_store

    engine = open_store(db_url)
    yield engine
    engine.dispose()


BACKEND = os.environ.get("STORYLINE_TEST_BACKEND", "sqlite")
if BACKEND not in ("sqlite", "postgres"):
    raise ValueError(f"STORYLINE_TEST_BACKEND must be sqlite or postgres, not {BACKEND!r}")


def assert_intact(conn: Connection) -> None:
    """The backend's own consistency check: SQLite's integrity_check, or amcheck over every B-tree
    index on PostgreSQL (an index that disagrees with its table is what a torn write leaves)."""
    if conn.dialect.name == "sqlite":
        assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        return
    conn.execute(text("CREATE EXTENSION IF NOT EXISTS amcheck"))
    indexes = conn.execute(
        text(
            "SELECT c.oid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE a.amname = 'btree' AND n.nspname = 'public'"
        )
    ).scalars().all()
    assert indexes
    for oid in indexes:
        conn.execute(text("SELECT bt_index_check(:oid, true)"), {"oid": oid})


STORE_FIXTURES = frozenset({"new_db_url", "db_url", "engine", "lasting_db_url", "examples_store", "pg_url_factory", "pg_cluster"})
"""A test reaches a store only through these, so a test without one runs the same on every backend."""


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sqlite_only(reason): checks what only SQLite has; a PostgreSQL run deselects it and prints the reason")
    config.addinivalue_line("markers", "store: uses a store (set from its fixtures); `-m store` is what a second backend needs to run")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Marks the tests that use a store; on PostgreSQL, deselects the SQLite-only ones (not skipped,
    so never counted as passing) and remembers why, for the summary."""
    for item in items:
        if STORE_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker("store")
    if BACKEND != "postgres":
        return
    reasons: dict[int, tuple[str, str]] = {}
    for item in items:
        marker = item.get_closest_marker("sqlite_only")
        if marker is None:
            continue
        reason = marker.args[0] if marker.args else marker.kwargs.get("reason")
        if not reason:
            raise pytest.UsageError(f"{item.nodeid}: sqlite_only needs a reason")
        reasons[id(item)] = (item.nodeid, str(reason))
    if reasons:
        config.stash[SQLITE_ONLY] = list(reasons.values())
        config.hook.pytest_deselected(items=[item for item in items if id(item) in reasons])
        items[:] = [item for item in items if id(item) not in reasons]


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:  # type: ignore[no-untyped-def]
    dropped = config.stash.get(SQLITE_ONLY, [])
    if dropped:
        terminalreporter.section("SQLite-only tests, not run on PostgreSQL (the SQLite run covers them)")
        for nodeid, reason in dropped:
            terminalreporter.write_line(f"{nodeid}: {reason}")


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[object]:
    """A PostgreSQL 15 server for this test session; fails (never skips) when it cannot start."""
    from pg import Cluster, ClusterError

    try:
        cluster = Cluster()
    except ClusterError as exc:
        pytest.fail(f"could not start the PostgreSQL test cluster: {exc}", pytrace=False)
    yield cluster
    cluster.stop()


@pytest.fixture
def pg_url_factory(pg_cluster) -> Iterator[Callable[[], str]]:  # type: ignore[no-untyped-def]
    """Fresh PostgreSQL databases, dropped after the test."""
    made: list[str] = []

    def make() -> str:
        made.append(pg_cluster.database())
        return made[-1]

    yield make
    for url in made:
        pg_cluster.drop(url)


@pytest.fixture
def new_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[str], str]:
    """Fresh, empty store URLs on the backend under test; the name tells SQLite files apart."""
    if BACKEND == "postgres":
        factory = request.getfixturevalue("pg_url_factory")
        return lambda name: factory()
    return lambda name: f"sqlite:///{tmp_path / name}.db"


@pytest.fixture(scope="session")
def lasting_db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], str]]:
    """Fresh, empty store URLs that last the whole session, for module-wide stores built once."""
    cluster = request.getfixturevalue("pg_cluster") if BACKEND == "postgres" else None
    made: list[str] = []

    def make(name: str) -> str:
        if cluster is None:
            return f"sqlite:///{tmp_path_factory.mktemp(name) / name}.db"
        made.append(cluster.database())
        return made[-1]

    yield make
    for url in made:
        cluster.drop(url)


def _examples_digest() -> str:
    """Changes with the examples or with any code that could change the store built from them."""
    digest = hashlib.sha256()
    package = REPO / "src" / "storyline"
    for path in sorted([*EXAMPLES.rglob("*"), *package.rglob("*.py"), *(package / "data").rglob("*")]):
        if path.is_file():
            digest.update(str(path.relative_to(REPO)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:20]


def _ingest_examples(url: str) -> None:
    from storyline.pipeline import IngestOptions, ingest
    from storyline.store.db import open_store

    engine = open_store(url)
    ingest(engine, [str(EXAMPLES / name) for name in EXAMPLE_INPUTS], IngestOptions())
    engine.dispose()


def _cached_sqlite_examples(cache: pytest.Cache) -> Path:
    """The SQLite examples store, kept in pytest's cache until the examples or the code change."""
    import sqlite3

    folder = cache.mkdir("storyline-examples-store")
    built = folder / f"{_examples_digest()}.db"
    # Two pytest processes may start at once: one builds while the other waits on the lock, and a
    # build is renamed into place only when complete, so no run ever copies a half-built store.
    with open(folder / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not built.exists():
            for old in folder.glob("*.db*"):
                old.unlink()
            partial = folder / f"building-{os.getpid()}.db"
            _ingest_examples(f"sqlite:///{partial}")
            with sqlite3.connect(partial) as conn:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            partial.rename(built)
    return built


@pytest.fixture(scope="session")
def examples_store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], str]]:
    """Copies of the store the real pipeline (analysis and linking) builds from `examples/`, one URL
    per call, on the backend under test.

    The pipeline runs once: on SQLite its result is cached across runs and copied as a file; on
    PostgreSQL it runs once per session into a template database that every copy is cloned from.
    """
    if BACKEND != "postgres":
        built = _cached_sqlite_examples(request.config.cache)  # type: ignore[arg-type]

        def copy(name: str) -> str:
            target = tmp_path_factory.mktemp(name) / "examples.db"
            shutil.copy(built, target)
            return f"sqlite:///{target}"

        yield copy
        return
    cluster = request.getfixturevalue("pg_cluster")
    template = cluster.database()
    _ingest_examples(template)
    made: list[str] = []

    def clone(name: str) -> str:
        made.append(cluster.database(template=template))
        return made[-1]

    yield clone
    for url in [*made, template]:
        cluster.drop(url)
