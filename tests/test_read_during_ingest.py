"""The API read while an ingest writes the same store (SQLite in WAL mode, or PostgreSQL): every read
succeeds and none is torn — a listed article is always readable, with its facts or plainly pending,
and a story never cites an article that is missing or not yet analyzed. `bench/bench_read_during_ingest.py`
measures the latency cost.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import DATA, need
from ingest_runs import ingest
from served import Readers, Server
from store_state import problems

pytestmark = pytest.mark.slow

ARTICLES = 6


def test_reads_during_an_ingest_never_fail_or_tear(tmp_path: Path, examples_store: Callable[[str], str]) -> None:
    url = examples_store("read-during-ingest")
    batch = tmp_path / "batch.jsonl"
    batch.write_text("\n".join(need(DATA / "ukraine-news" / "articles.jsonl").read_text().splitlines()[200 : 200 + ARTICLES]) + "\n")
    server = Server(url, tmp_path / "serve.log")
    try:
        with Readers(server.url, threads=3) as readers:
            run = ingest([str(batch)], url)
            during = readers.take()
    finally:
        server.stop()
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.report is not None and run.report["new"] > 0
    assert readers.failures == [], readers.failures[:5]
    assert sum(len(v) for v in during.values()) >= 10, "the readers barely ran while the ingest wrote"
    assert problems(url) == []
