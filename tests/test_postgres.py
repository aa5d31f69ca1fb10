"""PostgreSQL as a store: the parts that differ from SQLite, and several processes on one database.

These tests always run on PostgreSQL (a throwaway cluster, see tests/pg.py), whatever backend the
rest of the suite runs on.
"""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from conftest import DATA, need
from store_state import corpus_lines, snapshot
from storyline.model import Article
from storyline.store import schema, writes
from storyline.store.db import open_store
from storyline.store.queries import get_article, list_articles, load_article

pytestmark = pytest.mark.slow


def _article(article_id: str, published: datetime | None, raw: bytes = b"raw \x00\xff bytes") -> Article:
    return Article(
        id=article_id,
        content_hash=article_id * 4,
        item_key=f"key-{article_id}",
        title=f"Title {article_id}",
        text="Body text.",
        published=published,
        url=None,
        source="Example Herald",
        author=None,
        language="en",
        input_name="x.jsonl",
        position=0,
        format="jsonl",
        raw=raw,
        meta={"nested": {"list": [1, 2, "three"]}, "flag": True},
    )


def test_store_types_and_queries_behave_as_on_sqlite(pg_url_factory) -> None:  # type: ignore[no-untyped-def]
    engine = open_store(pg_url_factory())
    undated = _article("a%_b", None, raw=bytes(range(256)))
    dated = _article("a%xb", datetime(2024, 10, 26, tzinfo=UTC))
    later = _article("c", datetime(2024, 11, 2, tzinfo=UTC))
    with engine.begin() as conn:
        run = writes.start_run(conn, {"inputs": ["x"], "nested": {"k": [1]}})
        for article in (later, dated, undated):
            writes.insert_article(conn, article, run, b"\x01\x02", ["band-1"])
        assert writes.record_error(conn, run, "x", 3, "bad line")
        assert not writes.record_error(conn, run, "x", 3, "bad line")
    with engine.connect() as conn:
        assert load_article(conn, undated.id) == undated  # bytes, JSON and a missing date round-trip
        assert load_article(conn, dated.id).published == dated.published
        # an id prefix with LIKE wildcards matches literally: "a%" would otherwise match both
        assert get_article(conn, "a%_")["id"] == undated.id  # type: ignore[index]
        assert get_article(conn, "a%") is None
        # articles without a publication date are analysed first, on both backends
        pending = writes.unanalyzed(conn, "1", 10)
        assert [article_id for _, article_id in pending] == [undated.id, dated.id, later.id]
        assert writes.unanalyzed(conn, "1", 10, after=pending[0]) == pending[1:]
        assert [row["id"] for row in list_articles(conn, since="2024-10-01")] == [later.id, dated.id]
        assert conn.execute(select(func.count()).select_from(schema.sources)).scalar_one() == 1
        assert conn.execute(select(schema.articles.c.minhash).where(schema.articles.c.id == "c")).scalar_one() == b"\x01\x02"
    engine.dispose()


OPEN_AT = """
import sys, time
from storyline.store.db import open_store
time.sleep(max(0.0, float(sys.argv[2]) - time.time()))
open_store(sys.argv[1]).dispose()
"""


def test_processes_opening_a_fresh_store_at_once_create_it_once(pg_url_factory) -> None:  # type: ignore[no-untyped-def]
    url = pg_url_factory()
    start = time.time() + 4.0
    procs = [subprocess.Popen([sys.executable, "-c", OPEN_AT, url, str(start)], stderr=subprocess.PIPE) for _ in range(4)]
    errors = [proc.communicate(timeout=120)[1].decode() for proc in procs]
    assert [proc.returncode for proc in procs] == [0] * 4, "\n".join(errors)
    engine = open_store(url)
    with engine.connect() as conn:
        versions = conn.execute(select(schema.meta.c.value).where(schema.meta.c.key == "schema_version")).all()
    engine.dispose()
    assert len(versions) == 1


def _ingest(path: Path, url: str) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "storyline.cli", "ingest", str(path), "--db", url, "--quiet"]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def test_two_concurrent_ingests_give_the_result_of_one(pg_url_factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    lines = need(DATA / "ukraine-news" / "articles.jsonl").read_text().splitlines()
    path = tmp_path / "corpus.jsonl"
    path.write_text("\n".join(corpus_lines(lines, 16)) + "\n")

    single = pg_url_factory()
    proc = _ingest(path, single)
    assert proc.wait(timeout=600) == 0, proc.stderr.read().decode()  # type: ignore[union-attr]
    expected = snapshot(single)
    assert expected["articles"] and expected["duplicates"] and expected["errors"] and expected["passages"]

    shared = pg_url_factory()
    both = [_ingest(path, shared), _ingest(path, shared)]
    for proc in both:
        assert proc.wait(timeout=600) == 0, proc.stderr.read().decode()  # type: ignore[union-attr]
    assert snapshot(shared) == expected


def test_a_plain_postgresql_url_opens_with_psycopg_3(pg_url_factory) -> None:  # type: ignore[no-untyped-def]
    url = pg_url_factory().replace("postgresql+psycopg://", "postgresql://")
    engine = open_store(url)
    assert engine.dialect.driver == "psycopg"
    engine.dispose()
