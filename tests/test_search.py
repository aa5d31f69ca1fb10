"""Full-text search on the backend under test (STORYLINE_TEST_BACKEND), and the schema step that adds
PostgreSQL's index to a store made before it existed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, inspect, text

from storyline.api import create_app
from storyline.model import Article
from storyline.pipeline import IngestOptions, ingest
from storyline.store import schema, writes
from storyline.store.db import open_store
from storyline.store.migrate import SCHEMA_VERSION, current_version
from storyline.store.search import search_articles

ARTICLES = {
    "glacier": "Glacier retreat measured in the Alps\n\nScientists measured a glacier retreat of forty metres on the Rhone glacier this summer. "
    "The glacier has lost a third of its ice since 1990, and the glaciers nearby are shrinking too.",
    "ferry": "Ferry strike closes Odesa harbour\n\nA drone struck a ferry in the port of Odesa on Tuesday, the regional governor said. "
    "The harbour was closed for six hours while divers checked the quay.",
    "budget": "Council approves the city budget\n\nThe council approved next year's budget after a long debate about bus fares. "
    "One member said the money for the glacier museum should go to schools instead.",
}
HOSTILE = [
    '"',
    '""',
    '"unterminated phrase',
    "(glacier",
    "glacier)",
    "((()))",
    "OR",
    "OR OR glacier OR",
    "glacier OR",
    "AND NOT",
    "-",
    "-glacier",
    "!glacier & ferry | budget",
    "glacier:*",
    "a <-> b",
    "NEAR(glacier ferry)",
    "title: glacier",
    "'; DROP TABLE articles; --",
    "\\",
    "%_",
    "naïve café Zürich 東京 Київ 🙂",
    "\u200b\u00a0",
    "*",
    "x" * 200,
]


def _ingest(engine: Engine, folder: Path) -> dict[str, str]:
    """Ingest ARTICLES as text files; the article id for each key."""
    folder.mkdir()
    for name, body in ARTICLES.items():
        (folder / f"{name}.txt").write_text(body)
    ingest(engine, [str(folder)], IngestOptions(analyze=False))
    with engine.connect() as conn:
        ids = {Path(row.input_name).stem: row.id for row in conn.execute(text("SELECT id, input_name FROM articles"))}
    assert set(ARTICLES) <= set(ids)
    return {name: ids[name] for name in ARTICLES}


@pytest.fixture
def stored(engine: Engine, tmp_path: Path) -> dict[str, str]:
    return _ingest(engine, tmp_path / "articles")


def _search(engine: Engine, query: str) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return search_articles(conn, query)


def test_a_word_finds_the_article_that_has_it(engine: Engine, stored: dict[str, str]) -> None:
    assert [hit["id"] for hit in _search(engine, "harbour")] == [stored["ferry"]]
    assert [hit["id"] for hit in _search(engine, "drones")] == [stored["ferry"]]  # stemmed
    assert [hit["id"] for hit in _search(engine, "glacier schools")] == [stored["budget"]]  # every word must match
    assert {hit["id"] for hit in _search(engine, "harbour OR fares")} == {stored["ferry"], stored["budget"]}
    assert _search(engine, "volcano") == []
    hit = _search(engine, "drone")[0]
    assert hit["title"] == "Ferry strike closes Odesa harbour"
    matched = [segment["text"] for segment in hit["snippet"] if segment["match"]]
    assert matched and all(word.lower().startswith("drone") for word in matched)
    assert "drone" in "".join(segment["text"] for segment in hit["snippet"])


def test_the_stronger_match_ranks_first(engine: Engine, stored: dict[str, str]) -> None:
    hits = _search(engine, "glacier")
    assert [hit["id"] for hit in hits] == [stored["glacier"], stored["budget"]]
    assert hits[0]["score"] > hits[1]["score"]


def test_hostile_queries_do_not_raise(engine: Engine, stored: dict[str, str]) -> None:
    for query in HOSTILE:
        hits = _search(engine, query)
        assert all(hit["id"] in stored.values() for hit in hits), query
    for query in ["(glacier", "glacier)", '"glacier', "OR OR glacier OR"]:
        assert stored["glacier"] in [hit["id"] for hit in _search(engine, query)], query


def test_the_search_endpoint_answers_on_this_backend(db_url: str, engine: Engine, stored: dict[str, str]) -> None:
    client = TestClient(create_app(db_url))
    response = client.get("/api/v1/search", params={"q": "ferry"})
    assert response.status_code == 200
    assert [item["id"] for item in response.json()["items"]] == [stored["ferry"]]
    for query in HOSTILE:
        assert client.get("/api/v1/search", params={"q": query}).status_code == 200, query


def _version_one_store(url: str) -> str:
    """A store as storyline wrote it at schema version 1, with one article in it; that article's id."""
    engine = create_engine(url)
    article = Article(
        id="old-article",
        content_hash="c" * 16,
        item_key="key-old",
        title="Avalanche warning in Tyrol",
        text="Forecasters raised the avalanche warning after heavy snow.",
        published=datetime(2024, 1, 5, tzinfo=UTC),
        url=None,
        source="Alpine Wire",
        author=None,
        language="en",
        input_name="old.txt",
        position=0,
        format="text",
        raw=b"",
        meta={},
    )
    with engine.begin() as conn:
        schema.metadata.create_all(conn)
        conn.execute(schema.meta.insert().values(key="schema_version", value="1"))
        run = writes.start_run(conn, {"inputs": ["old.txt"]})
        writes.insert_article(conn, article, run, b"", [])
    engine.dispose()
    return article.id


@pytest.mark.slow
def test_a_version_one_postgresql_store_is_upgraded_in_place(pg_url_factory: Callable[[], str], tmp_path: Path) -> None:
    url = pg_url_factory()
    old = _version_one_store(url)
    engine = open_store(url)
    with engine.connect() as conn:
        assert current_version(conn) == SCHEMA_VERSION
        kind = conn.execute(
            text("SELECT data_type, is_generated FROM information_schema.columns WHERE table_name = 'articles' AND column_name = 'search_vector'")
        ).one()
        assert tuple(kind) == ("tsvector", "ALWAYS")
        method = conn.execute(text("SELECT indexdef FROM pg_indexes WHERE tablename = 'articles' AND indexdef LIKE '%search_vector%'")).scalar_one()
        assert "USING gin" in method
        assert [hit["id"] for hit in search_articles(conn, "avalanches")] == [old]  # the article stored before the upgrade
    new = _ingest(engine, tmp_path / "articles")
    assert [hit["id"] for hit in _search(engine, "harbour")] == [new["ferry"]]
    engine.dispose()
    again = open_store(url)  # a second open finds nothing left to do
    with again.connect() as conn:
        assert current_version(conn) == SCHEMA_VERSION
    again.dispose()


@pytest.mark.sqlite_only("upgrades a SQLite file; test_a_version_one_postgresql_store_is_upgraded_in_place is its PostgreSQL twin")
def test_a_version_one_sqlite_store_is_upgraded_in_place(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    old = _version_one_store(url)
    engine = open_store(url)
    with engine.connect() as conn:
        assert current_version(conn) == SCHEMA_VERSION
        assert [hit["id"] for hit in search_articles(conn, "avalanches")] == [old]
        assert "ix_stories_last_published" in {index["name"] for index in inspect(conn).get_indexes("stories")}
    engine.dispose()
