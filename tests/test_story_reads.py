"""The story read path on the bundled examples: the summary fields linking stores agree with a recount
from the passages, and the caps on a story page keep the latest and the earliest as documented."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import Engine, select

from conftest import EXAMPLES
from storyline.pipeline import IngestOptions, ingest
from storyline.store import story_tables as st
from storyline.store.db import open_store
from storyline.stories.queries import _independent_sources, list_stories, story_detail


@pytest.fixture(scope="module")
def examples_db(lasting_db_url: Callable[[str], str]) -> Engine:
    engine = open_store(lasting_db_url("story_reads"))
    ingest(engine, [str(EXAMPLES)], IngestOptions(analyze=True))
    return engine


def test_stored_source_count_matches_a_recount(examples_db: Engine) -> None:
    with examples_db.connect() as conn:
        rows = conn.execute(select(st.stories.c.id, st.stories.c.profile)).all()
        assert rows
        assert any(row.profile["sources"] > 1 for row in rows)
        for row in rows:
            assert row.profile["sources"] == _independent_sources(conn, row.id), row.id
        listed = {s["id"]: s["sources"] for s in list_stories(conn, limit=500)}
        assert listed == {row.id: row.profile["sources"] for row in rows}


def test_story_page_caps_keep_the_latest_news_and_the_earliest_sources(examples_db: Engine) -> None:
    with examples_db.connect() as conn:
        story_id = max(conn.execute(select(st.stories.c.id, st.stories.c.passages)).all(), key=lambda r: r.passages).id
        full = story_detail(conn, story_id)
        capped = story_detail(conn, story_id, fact_articles=1, whats_new=2, sources_per_development=1)
        # With every passage on the page the caps are applied to what was read, not by new queries.
        few_facts = story_detail(conn, story_id, fact_articles=1)
    assert full is not None and capped is not None and few_facts is not None
    assert few_facts["claims"] == capped["claims"] and few_facts["numbers"] == capped["numbers"]
    assert few_facts["timeline"] == full["timeline"]
    assert len(full["whats_new"]) > 2
    assert capped["whats_new"] == full["whats_new"][-2:]
    for whole, cut in zip(full["timeline"], capped["timeline"], strict=True):
        assert cut["sources"] == whole["sources"][:1]
    latest = full["whats_new"][-1]["article_id"]
    assert {c["article_id"] for claim in capped["claims"] for c in claim.get("history", [])} <= {latest}
    assert capped["articles"] == full["articles"] > 1


def test_batch_loaded_facts_are_each_articles_own(examples_db: Engine) -> None:
    """A story page loads its members' facts in one batch: each article must get exactly its own."""
    from storyline.store import schema
    from storyline.store.facts import load_analyses

    with examples_db.connect() as conn:
        ids = list(conn.execute(select(schema.articles.c.id)).scalars())
        together = load_analyses(conn, ids)
        assert set(together) == set(ids)
        assert sum(len(a.mentions) + len(a.quotes) + len(a.claims) for a in together.values()) > 0
        for article_id in ids:
            alone = load_analyses(conn, [article_id])[article_id]
            assert together[article_id] == alone, article_id
            records = [*alone.mentions, *alone.quotes, *alone.quantities, *alone.timerefs, *alone.places, *alone.events, *alone.claims]
            assert all(getattr(r, "article_id", article_id) == article_id for r in records), article_id
            assert {e.id for e in alone.entities} == {m.entity_id for m in alone.mentions}
