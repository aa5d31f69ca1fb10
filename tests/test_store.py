"""The store on its own: schema versioning and the facts round trip."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import inspect, select

from storyline.model import Analysis, Article, Claim, Entity, Event, Mention, Quantity, Quote, TimeRef
from storyline.store import schema, writes
from storyline.store.db import open_store, resolve_url
from storyline.store.facts import load_analysis, save_analysis
from storyline.store.migrate import SCHEMA_VERSION, SchemaTooNew, current_version
from storyline.store.queries import load_article, load_articles


def test_new_store_has_every_table_and_the_current_version(engine) -> None:  # type: ignore[no-untyped-def]
    tables = set(inspect(engine).get_table_names())
    assert {"articles", "duplicates", "ingest_errors", "ingest_runs", "sources", "entities", "mentions", "facts"} <= tables
    with engine.connect() as conn:
        assert current_version(conn) == SCHEMA_VERSION


@pytest.mark.sqlite_only("the WAL journal that lets readers run beside the writer; PostgreSQL's MVCC needs no setting")
def test_sqlite_store_uses_the_wal_journal(engine) -> None:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_store_written_by_a_newer_version_is_refused(db_url: str) -> None:
    engine = open_store(db_url)
    with engine.begin() as conn:
        conn.execute(schema.meta.update().values(value=str(SCHEMA_VERSION + 1)))
    engine.dispose()
    with pytest.raises(SchemaTooNew):
        open_store(db_url)


def test_bare_path_means_sqlite_and_env_var_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    assert resolve_url("data/x.db") == "sqlite:///data/x.db"
    monkeypatch.setenv("STORYLINE_DB", "postgresql+psycopg://u@h/db")
    assert resolve_url(None) == "postgresql+psycopg://u@h/db"
    assert resolve_url("other.db") == "sqlite:///other.db"


def _article(text: str = "Body text.") -> Article:
    return Article(
        id="a" * 16,
        content_hash="h" * 64,
        item_key="k" * 64,
        title="Title",
        text=text,
        published=datetime(2024, 10, 26, tzinfo=UTC),
        url=None,
        source="Example Herald",
        author=None,
        language="en",
        input_name="x.txt",
        position=0,
        format="text",
        raw=b"Title\n\nBody text.",
    )


def test_facts_round_trip_through_the_store(engine) -> None:  # type: ignore[no-untyped-def]
    article = _article()
    killed = Quantity(article.id, 10, 15, "three", value=3, unit="people", counted="killed")
    analysis = Analysis(
        article_id=article.id,
        version="t",
        entities=(Entity("e1", "North Korea", "GPE", aliases=("Pyongyang",)),),
        mentions=(Mention(article.id, 0, 9, "Pyongyang", "e1"),),
        quotes=(Quote(article.id, 0, 20, "direct", "grave concern", 3, 16, speaker="South Korea"),),
        quantities=(killed,),
        timerefs=(TimeRef(article.id, 2, 8, "Friday", "DATE", "2024-10-25", "2024-10-25", "2024-10-25"),),
        events=(Event(article.id, 0, 30, "attack", "missile strike", actors=("e1",), killed=killed, modality="claimed"),),
        claims=(Claim(article.id, 0, 30, "troops deploy", "claimed", signature="deploy_troops|e1"),),
    )
    with engine.begin() as conn:
        run = writes.start_run(conn, {})
        writes.insert_article(conn, article, run, b"", [])
        save_analysis(conn, analysis)
    with engine.connect() as conn:
        loaded = load_analysis(conn, article.id, version="t")
    assert loaded == analysis


def test_saving_again_replaces_facts_and_merges_aliases(engine) -> None:  # type: ignore[no-untyped-def]
    article = _article()
    first = Analysis(article.id, "t", entities=(Entity("e1", "Russia", "GPE", aliases=("Moscow",)),), mentions=(Mention(article.id, 0, 6, "Moscow", "e1"),))
    second = Analysis(article.id, "t", entities=(Entity("e1", "Russia", "GPE", aliases=("Kremlin",), role="state"),), mentions=(Mention(article.id, 0, 7, "Kremlin", "e1"),))
    with engine.begin() as conn:
        writes.insert_article(conn, article, writes.start_run(conn, {}), b"", [])
        save_analysis(conn, first)
        save_analysis(conn, second)
    with engine.connect() as conn:
        mentions = conn.execute(select(schema.mentions.c.text)).scalars().all()
        aliases, role = conn.execute(select(schema.entities.c.aliases, schema.entities.c.role)).one()
    assert mentions == ["Kremlin"]
    assert aliases == ["Kremlin", "Moscow"] and role == "state"


def test_articles_read_together_equal_those_read_one_by_one(engine) -> None:  # type: ignore[no-untyped-def]
    first = _article()
    second = replace(first, id="b" * 16, content_hash="d" * 64, item_key="other", text="Other body.", raw=b"\x00other\xff")
    with engine.begin() as conn:
        run = writes.start_run(conn, {})
        for article in (first, second):
            writes.insert_article(conn, article, run, b"", [])
    with engine.connect() as conn:
        together = load_articles(conn, [second.id, first.id, "missing", second.id])
        shown = load_articles(conn, [first.id, second.id], raw=False)
        alone = load_article(conn, second.id)
    assert together == {first.id: first, second.id: second}
    assert alone == second
    assert shown == {a.id: replace(a, raw=b"") for a in (first, second)}
