"""Exports over the examples store: every format parses, columns are the documented ones, spans hold."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine

from storyline.export import COLUMNS, KINDS, check, export
from storyline.store.db import open_store
from storyline.store.queries import get_article

DOCS = Path(__file__).resolve().parents[1] / "docs" / "exports.md"


@pytest.fixture(scope="module")
def engine(examples_store: Callable[[str], str]) -> Engine:
    return open_store(examples_store("export"))


@pytest.fixture
def conn(engine: Engine) -> Any:
    with engine.connect() as connection:
        yield connection


def _run(conn: Connection, kind: str, fmt: str, **filters: Any) -> tuple[int, str]:
    out = io.StringIO()
    count = export(conn, kind, fmt, out, **filters)
    return count, out.getvalue()


def _document(conn: Connection, article_id: str, cache: dict[str, str]) -> str:
    if article_id not in cache:
        article = get_article(conn, article_id)
        assert article is not None
        cache[article_id] = f"{article['title']}\n\n{article['text']}"
    return cache[article_id]


@pytest.mark.parametrize("kind", ["events", "quotes", "quantities", "places"])
def test_csv_columns_and_spans(conn: Connection, kind: str) -> None:
    count, text = _run(conn, kind, "csv")
    reader = csv.DictReader(io.StringIO(text))
    rows = list(reader)
    assert tuple(reader.fieldnames or ()) == COLUMNS[kind]
    assert count == len(rows) > 0
    documents: dict[str, str] = {}
    for row in rows:
        document = _document(conn, row["article_id"], documents)
        start, end = int(row["start"]), int(row["end"])
        assert 0 <= start < end <= len(document)
        if kind in ("quantities", "places"):
            assert document[start:end] == row["text"]
        if kind == "events":
            assert document[start:end] == row["text"]
        if kind == "quotes":
            assert 0 <= int(row["content_start"]) < int(row["content_end"]) <= len(document)


def test_json_and_jsonl_hold_the_same_records(conn: Connection) -> None:
    count_json, as_json = _run(conn, "quotes", "json")
    count_lines, as_lines = _run(conn, "quotes", "jsonl")
    records = json.loads(as_json)
    assert count_json == count_lines == len(records)
    assert records == [json.loads(line) for line in as_lines.splitlines()]


def test_facts_per_article(conn: Connection) -> None:
    count, text = _run(conn, "articles", "jsonl", since="2024-11-04", until="2024-11-06")
    articles = [json.loads(line) for line in text.splitlines()]
    assert count == len(articles) > 0
    assert all("2024-11-04" <= a["published"][:10] <= "2024-11-06" for a in articles)
    for article in articles:
        document = f"{article['title']}\n\n{article['text']}"
        for mention in article["facts"]["mentions"]:
            assert document[mention["start"] : mention["end"]] == mention["text"]
        assert set(article["facts"]) >= {"entities", "quotes", "quantities", "dates", "places", "events", "claims"}


def test_stories_export(conn: Connection) -> None:
    count, text = _run(conn, "stories", "json")
    stories = json.loads(text)
    assert count == len(stories) >= 2
    assert all(story["timeline"] for story in stories)
    count_csv, table = _run(conn, "stories", "csv")
    rows = list(csv.DictReader(io.StringIO(table)))
    assert count_csv == len(rows) == count
    assert {r["id"] for r in rows} == {s["id"] for s in stories}
    one, single = _run(conn, "stories", "jsonl", story=rows[0]["id"])
    assert one == 1 and json.loads(single)["id"] == rows[0]["id"]


def test_geojson_keeps_only_located_records(conn: Connection) -> None:
    for kind in ("places", "events"):
        count, text = _run(conn, kind, "geojson")
        collection = json.loads(text)
        assert collection["type"] == "FeatureCollection"
        assert len(collection["features"]) == count
        for feature in collection["features"]:
            lon, lat = feature["geometry"]["coordinates"]
            assert -180 <= lon <= 180 and -90 <= lat <= 90
            assert "lat" not in feature["properties"]
    _, text = _run(conn, "places", "geojson")
    names = {f["properties"]["name"] for f in json.loads(text)["features"]}
    assert {"Kharkiv", "Kursk"} & names


def test_story_filter_limits_articles(conn: Connection) -> None:
    _, stories = _run(conn, "stories", "csv")
    floods = next(r for r in csv.DictReader(io.StringIO(stories)) if "Valencia" in r["places"])
    _, text = _run(conn, "quantities", "csv", story=floods["id"])
    ids = {row["article_id"] for row in csv.DictReader(io.StringIO(text))}
    titles = {get_article(conn, i)["title"] for i in ids}  # type: ignore[index]
    assert titles and not any(t.startswith(("Zelensky says", "Russian missile strike", "G7 leaders")) for t in titles)


def test_unknown_kinds_and_formats_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown export"):
        check("nothing", "json")
    with pytest.raises(ValueError, match="can be exported as"):
        check("articles", "csv")


def test_columns_are_documented() -> None:
    if not DOCS.exists():
        pytest.fail(f"{DOCS} is missing: the export columns are a documented contract")
    text = DOCS.read_text(encoding="utf-8")
    for kind, columns in COLUMNS.items():
        for column in columns:
            assert f"`{column}`" in text, f"{kind}.{column} is not documented in docs/exports.md"
    for kind in KINDS:
        assert f"`{kind}`" in text
