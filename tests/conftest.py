"""Shared fixtures: paths to the shared data and seeds, and a fresh store per test.

The store fixtures run on SQLite unless STORYLINE_TEST_BACKEND=postgres, which runs the same tests on
a throwaway PostgreSQL 15 cluster (one per session, one database per test).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SEEDS = SHARED / "seeds"
DATA = SHARED / "data"
EXAMPLES = REPO / "examples"


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


def on_sqlite(url: str) -> bool:
    """For the checks only SQLite has (WAL journal, integrity_check)."""
    return url.startswith("sqlite")


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
