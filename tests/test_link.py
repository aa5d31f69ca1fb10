"""The seeds end to end: clean → analyze → store → link → read, on real spaCy and a real store
(SQLite, or PostgreSQL under STORYLINE_TEST_BACKEND=postgres).

Two articles six months apart must form one story about North Korean troops, its claim must go from
claimed to confirmed, and the round-up's other happenings must land in other stories.
"""

from __future__ import annotations

import json

import pytest

from conftest import SEEDS, need
from storyline.store import story_tables  # noqa: F401  (registers the story tables on the shared metadata)

ROUNDUP = "000_b91f1ef5999b48e8.txt"
CONFIRMATION = "003_475177e114bdde18.txt"


@pytest.fixture(scope="module")
def seeded(lasting_db_url):  # type: ignore[no-untyped-def]
    from storyline.analyze import analyze_articles
    from storyline.clean import clean
    from storyline.model import RawItem
    from storyline.store import writes
    from storyline.store.db import open_store
    from storyline.store.facts import save_analysis
    from storyline.stories.link import link_article

    need(SEEDS)
    gold = json.loads((SEEDS / "gold.json").read_text(encoding="utf-8"))
    articles = {}
    for position, name in enumerate((ROUNDUP, CONFIRMATION)):
        raw = (SEEDS / name).read_bytes()
        item = RawItem(input_name=name, position=position, format="text", raw=raw, published=gold["articles"][name]["published"], source=name[:3])
        articles[name] = clean(item)
    engine = open_store(lasting_db_url("seeds"))
    results = {}
    with engine.begin() as conn:
        run_id = writes.start_run(conn, {})
    for article, analysis in analyze_articles(articles.values()):
        with engine.begin() as conn:
            writes.insert_article(conn, article, run_id, b"", [])
            save_analysis(conn, analysis)
            results[article.id] = link_article(conn, article, analysis)
    yield engine, articles, results
    engine.dispose()


def _passage_with(article, links, phrase: str):  # type: ignore[no-untyped-def]
    at = article.document.index(phrase)
    return next(p for p in links.passages if p.start <= at < p.end)


def test_both_seeds_form_one_story_about_the_troops(seeded) -> None:  # type: ignore[no-untyped-def]
    _, articles, results = seeded
    roundup, confirmation = articles[ROUNDUP], articles[CONFIRMATION]
    claim = _passage_with(roundup, results[roundup.id], "deploy North Korean troops into battle")
    confirmed = _passage_with(confirmation, results[confirmation.id], "officially confirmed it has been sending troops")
    assert claim.story_id == confirmed.story_id
    assert claim.development_id != confirmed.development_id


def test_roundup_files_its_other_happenings_elsewhere(seeded) -> None:  # type: ignore[no-untyped-def]
    _, articles, results = seeded
    roundup = articles[ROUNDUP]
    links = results[roundup.id]
    troops = _passage_with(roundup, links, "deploy North Korean troops into battle")
    others = [
        _passage_with(roundup, links, phrase)
        for phrase in ("approximately $50 billion in loans", "missile attack hit residential areas", "a Russian drone struck")
    ]
    assert all(p.story_id != troops.story_id for p in others)
    assert len({p.development_id for p in others}) == 3


def test_story_detail_shows_claim_history_and_timeline(seeded) -> None:  # type: ignore[no-untyped-def]
    from storyline.stories.queries import story_detail

    engine, articles, results = seeded
    roundup, confirmation = articles[ROUNDUP], articles[CONFIRMATION]
    story_id = _passage_with(roundup, results[roundup.id], "deploy North Korean troops into battle").story_id
    with engine.connect() as conn:
        detail = story_detail(conn, story_id)
    assert detail is not None
    assert detail["articles"] == 2 and detail["sources"] == 2
    names = {e["name"] for e in detail["entities"] + detail["places"]}
    assert "North Korea" in names
    dates = [entry["date"] for entry in detail["timeline"]]
    assert dates == sorted(dates) and dates[0] < "2025-01-01" <= dates[-1]
    histories = [c for c in detail["claims"] if {s["article_id"] for s in c["history"]} == {roundup.id, confirmation.id}]
    assert histories, "no proposition followed across both seeds"
    steps = histories[0]["history"]
    assert steps[0]["article_id"] == roundup.id and steps[0]["status"] in ("claimed", "reported")
    confirmations = [s for s in steps if s["status"] == "confirmed"]
    assert confirmations and confirmations[0]["by"] == "North Korea" and confirmations[0]["as_of"] <= "2025-04-30"
    for step in steps:
        assert step["text"] in step["sentence"]


def test_follow_feed_reports_changes_after_a_cursor(seeded) -> None:  # type: ignore[no-untyped-def]
    from storyline.stories.queries import follow, list_stories

    engine, articles, results = seeded
    with engine.connect() as conn:
        everything, cursor = follow(conn)
        later, after = follow(conn, since=cursor)
        first_only, first_cursor = follow(conn, limit=1)
        rest, _ = follow(conn, since=first_cursor)
        listed = list_stories(conn, entity="North Korea")
        in_kyiv = list_stories(conn, place="Kyiv")
    assert len(everything) == sum(len(r.passages) for r in results.values())
    assert later == [] and after == cursor
    assert first_only + rest == everything
    assert everything[0]["kind"] == "new_story"
    troops_story = _passage_with(articles[ROUNDUP], results[articles[ROUNDUP].id], "deploy North Korean troops into battle").story_id
    assert troops_story in {s["id"] for s in listed}
    assert in_kyiv and troops_story not in {s["id"] for s in in_kyiv}


def test_relink_rebuilds_the_same_stories(seeded) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from storyline.stories.link import relink

    engine, _, _ = seeded
    table = story_tables.passages
    query = select(table.c.article_id, table.c.start, table.c.end, table.c.development_id, table.c.story_id).order_by(table.c.article_id, table.c.start)
    with engine.connect() as conn:
        before = conn.execute(query).all()
    with engine.begin() as conn:
        summary = relink(conn)
    with engine.connect() as conn:
        after = conn.execute(query).all()
    assert summary.articles == 2 and summary.passages == len(before)
    assert after == before


def _story_tables(engine) -> dict[str, list[tuple]]:  # type: ignore[no-untyped-def]
    """Every row of the story layer, profiles included, in a stable order; all but a story's
    `updated_seq`, which PostgreSQL's sequence numbers afresh on every relink."""
    from sqlalchemy import select

    tables = (story_tables.stories, story_tables.developments, story_tables.passages, story_tables.link_keys, story_tables.link_df)
    with engine.connect() as conn:
        return {
            t.name: sorted(json.dumps(list(row), sort_keys=True, default=str) for row in conn.execute(select(*(c for c in t.c if c.name != "updated_seq"))))
            for t in tables
        }


def test_relink_is_the_same_with_a_cold_and_a_warm_profile_cache(seeded) -> None:  # type: ignore[no-untyped-def]
    from storyline.stories import link, rows

    engine, _, _ = seeded
    rows.decode.cache_clear()
    rows.title_terms.cache_clear()
    with engine.begin() as conn:
        link.relink(conn)
    cold = _story_tables(engine)
    assert rows.decode.cache_info().currsize > 0
    with engine.begin() as conn:
        link.relink(conn)
    assert rows.decode.cache_info().hits > 0
    assert _story_tables(engine) == cold


def test_a_profile_rewritten_by_another_writer_is_read_afresh(seeded) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import select, update

    from storyline.stories import rows

    engine, _, _ = seeded
    table = story_tables.stories
    with engine.connect() as conn:
        story_id, stored = conn.execute(select(table.c.id, table.c.profile).limit(1)).one()
        assert rows.profiles(conn, table, [story_id])[story_id] == stored  # now cached
    changed = {**stored, "n": stored["n"] + 1, "titles": [[1.0, "Rewritten elsewhere", "x"]]}
    try:
        with engine.begin() as conn:  # another writer: the cache never saw this text
            conn.execute(update(table).where(table.c.id == story_id).values(profile=changed))
        with engine.connect() as conn:
            assert rows.profiles(conn, table, [story_id])[story_id] == changed
    finally:
        with engine.begin() as conn:
            conn.execute(update(table).where(table.c.id == story_id).values(profile=stored))
