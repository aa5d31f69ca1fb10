"""The bundled example corpus, ingested as `make demo` does: what examples/README.md promises."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine

from conftest import EXAMPLES
from storyline.pipeline import IngestOptions, ingest
from storyline.store.db import open_store
from storyline.store.queries import get_article, list_articles, list_errors, totals


@pytest.fixture(scope="module")
def examples_db(lasting_db_url: Callable[[str], str]) -> Engine:
    engine = open_store(lasting_db_url("examples"))
    report = ingest(engine, [str(EXAMPLES)], IngestOptions(analyze=False))
    assert report.inputs == report.new + report.duplicates + report.near_duplicates + report.errors
    return engine


def test_every_example_item_is_accounted_for(examples_db: Engine) -> None:
    with examples_db.connect() as conn:
        data = totals(conn)
        errors = {(Path(e["input_name"]).name, e["position"]) for e in list_errors(conn)}
        titles = [a["title"] for a in list_articles(conn, limit=100)]
    assert (data["articles"], data["near_duplicates"], data["duplicates"], data["errors"]) == (28, 1, 0, 4)
    assert errors == {("empty.txt", 0), ("scanned-page.txt", 0), ("partial-export.jsonl", 2), ("partial-export.jsonl", 4)}
    assert not any(title.lstrip("# ").startswith("Example corpus") for title in titles), "README.md must not be an article"


def test_every_format_contributes_dated_articles(examples_db: Engine) -> None:
    with examples_db.connect() as conn:
        rows = list_articles(conn, limit=100)
    assert {row["format"] for row in rows} >= {"text", "html", "jsonl", "feed", "warc"}
    assert all(row["published"] for row in rows)
    assert min(r["published"] for r in rows) < "2024-07" and max(r["published"] for r in rows) >= "2025-04-28"


def test_syndicated_copy_points_to_its_original(examples_db: Engine) -> None:
    with examples_db.connect() as conn:
        original = next(a for a in list_articles(conn, limit=100) if a["input_name"].endswith("2025-04-29-us-condemns-north-korea.html"))
        copies = get_article(conn, original["id"])["duplicates"]  # type: ignore[index]
    assert len(copies) == 1 and copies[0]["kind"] == "near" and copies[0]["similarity"] >= 0.8
