"""An ingest killed with SIGKILL at random moments, then rerun, ends exactly like an uninterrupted one."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select

from conftest import DATA, need, on_sqlite
from storyline.store import schema

pytestmark = pytest.mark.slow


def corpus(tmp_path: Path, size: int = 40) -> Path:
    """Real war coverage (with its real repeated texts) plus two bad lines, as one JSONL input."""
    lines = need(DATA / "ukraine-news" / "articles.jsonl").read_text().splitlines()[:size]
    lines.insert(size // 3, "{this line is not json")
    lines.insert(2 * size // 3, json.dumps({"id": "no-text", "title": "headline only"}))
    path = tmp_path / "corpus.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def run_ingest(path: Path, db: str, *, kill_after: float | None = None) -> int | None:
    command = [sys.executable, "-m", "storyline.cli", "ingest", str(path), "--db", db, "--quiet"]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if kill_after is None:
        _, err = proc.communicate(timeout=900)
        assert proc.returncode == 0, err.decode()
        return proc.returncode
    time.sleep(kill_after)
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    return proc.returncode


def snapshot(db: str) -> dict[str, Any]:
    engine = create_engine(db)
    with engine.connect() as conn:
        if on_sqlite(db):  # SQLite only: PostgreSQL has no file-level integrity check to ask for
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        arts = schema.articles
        state = {
            "articles": sorted(conn.execute(select(arts.c.id, arts.c.item_key, arts.c.analysis_version)).all()),
            "duplicates": sorted(conn.execute(select(schema.duplicates.c.item_key, schema.duplicates.c.article_id, schema.duplicates.c.kind)).all()),
            "errors": sorted(conn.execute(select(schema.ingest_errors.c.input_name, schema.ingest_errors.c.position, schema.ingest_errors.c.reason)).all()),
            "mentions": sorted(conn.execute(select(schema.mentions.c.article_id, schema.mentions.c.start, schema.mentions.c.entity_id)).all()),
            "facts": sorted(conn.execute(select(schema.facts.c.article_id, schema.facts.c.kind, schema.facts.c.seq, schema.facts.c.data)).all(), key=repr),
        }
    engine.dispose()
    return state


def test_killed_ingest_resumes_to_the_same_result(tmp_path: Path, new_db_url) -> None:  # type: ignore[no-untyped-def]
    path = corpus(tmp_path)
    clean_db = new_db_url("clean")
    started = time.monotonic()
    run_ingest(path, clean_db)
    full_time = time.monotonic() - started
    expected = snapshot(clean_db)
    assert expected["articles"] and expected["errors"] and expected["duplicates"]

    seed = int(os.environ.get("STORYLINE_CRASH_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)
    killed_db = new_db_url("killed")
    kill_points = sorted(rng.uniform(0.5, full_time * 0.9) for _ in range(3))
    for point in kill_points:
        run_ingest(path, killed_db, kill_after=point)
    run_ingest(path, killed_db)
    assert snapshot(killed_db) == expected, f"crash seed {seed}, kill points {kill_points}"
