"""Shared fixtures: paths to the shared data and seeds, and a fresh SQLite store per test."""

from __future__ import annotations

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
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
def engine(db_url: str):  # type: ignore[no-untyped-def]
    from storyline.store.db import open_store

    engine = open_store(db_url)
    yield engine
    engine.dispose()
