"""Linking rules on small hand-written reports, analyzed for real and stored in a real SQLite store.

Two shootings on the same day in different cities, worded alike, stay two developments; a second
report of one of them joins it; a report that arrives late still lands beside its happening; relinking
the store reproduces every membership.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from storyline.model import Article
from storyline.store import story_tables

REPORTS = {
    "akron": (
        "2016-03-06",
        "Man shot dead outside Akron bar",
        "A 24-year-old man was shot and killed early Saturday outside a bar on East Market Street in Akron, Ohio, "
        "police said.\n\nOfficers found Darnell Hayes with a gunshot wound to the chest. The gunman fled on foot and "
        "no arrest has been made, Akron police said.",
    ),
    "tulsa": (
        "2016-03-06",
        "Man shot dead outside Tulsa bar",
        "A 31-year-old man was shot and killed early Saturday outside a bar on South Peoria Avenue in Tulsa, Oklahoma, "
        "police said.\n\nOfficers found Marcus Lee with a gunshot wound to the chest. The gunman fled on foot and "
        "no arrest has been made, Tulsa police said.",
    ),
    "tulsa_later": (
        "2016-03-22",
        "Tulsa council debates new lighting for Peoria Avenue",
        "The Tulsa city council on Monday debated a plan to install brighter street lights along South Peoria Avenue. "
        "Council members said the plan would cost about $2 million.\n\nA vote is expected next month.",
    ),
    "akron_late": (
        "2016-03-08",
        "Police identify man killed in Akron bar shooting",
        "Akron police on Monday identified the man shot dead outside an East Market Street bar early Saturday as "
        "Darnell Hayes, 24.\n\nHayes was shot in the chest. Police are still looking for the gunman, who fled on foot.",
    ),
}


def _article(key: str, position: int) -> Article:
    published, title, text = REPORTS[key]
    return Article(
        id=f"{key:_<16}"[:16],
        content_hash=key,
        item_key=key,
        title=title,
        text=text,
        published=datetime.fromisoformat(published).replace(tzinfo=UTC),
        url=None,
        source=key,
        author=None,
        language="en",
        input_name="rules",
        position=position,
        format="text",
        raw=text.encode(),
    )


@pytest.fixture(scope="module")
def linked(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """Arrival order: both shootings, a later unrelated Tulsa report, then the late Akron follow-up."""
    from storyline.analyze import analyze_articles
    from storyline.store import writes
    from storyline.store.db import open_store
    from storyline.store.facts import save_analysis
    from storyline.stories.link import link_article

    engine = open_store(str(Path(tmp_path_factory.mktemp("rules")) / "store.db"))
    arrivals = [_article(key, i) for i, key in enumerate(("akron", "tulsa", "tulsa_later", "akron_late"))]
    results = {}
    with engine.begin() as conn:
        run_id = writes.start_run(conn, {})
    for article, analysis in analyze_articles(arrivals):
        with engine.begin() as conn:
            writes.insert_article(conn, article, run_id, b"", [])
            save_analysis(conn, analysis)
            results[article.item_key] = link_article(conn, article, analysis).passages[0]
    yield engine, results
    engine.dispose()


def test_same_day_shootings_in_different_cities_stay_apart(linked) -> None:  # type: ignore[no-untyped-def]
    _, results = linked
    assert results["akron"].development_id != results["tulsa"].development_id


def test_late_report_joins_its_happening(linked) -> None:  # type: ignore[no-untyped-def]
    _, results = linked
    late = results["akron_late"]
    assert late.development_id == results["akron"].development_id
    assert late.story_id == results["akron"].story_id
    assert results["tulsa_later"].development_id not in (late.development_id, results["tulsa"].development_id)


def test_development_date_is_when_it_happened(linked) -> None:  # type: ignore[no-untyped-def]
    engine, results = linked
    table = story_tables.developments
    with engine.connect() as conn:
        row = conn.execute(select(table.c.date, table.c.first_published, table.c.last_published).where(table.c.id == results["akron"].development_id)).one()
    assert row.date == "2016-03-05"
    assert (row.first_published, row.last_published) == ("2016-03-06", "2016-03-08")


def test_relink_reproduces_memberships(linked) -> None:  # type: ignore[no-untyped-def]
    from storyline.stories.link import relink

    engine, results = linked
    table = story_tables.passages
    query = select(table.c.article_id, table.c.start, table.c.development_id, table.c.story_id).order_by(table.c.article_id, table.c.start)
    with engine.begin() as conn:
        relink(conn)
        first = conn.execute(query).all()
        relink(conn)
        second = conn.execute(query).all()
    assert first == second
    development = {row.article_id: row.development_id for row in first if row.start == 0}
    ids = {key: _article(key, 0).id for key in REPORTS}
    assert development[ids["akron"]] == development[ids["akron_late"]] != development[ids["tulsa"]]


def test_link_config_loads_overrides_and_refuses_unknown_keys(tmp_path: Path) -> None:
    from storyline.stories.link import LinkConfig

    toml = tmp_path / "link.toml"
    toml.write_text("dev_threshold = 0.5\nstory_window_days = 90\n", encoding="utf-8")
    loaded = LinkConfig.load(toml)
    assert (loaded.dev_threshold, loaded.story_window_days) == (0.5, 90)
    assert loaded.dev_window_days == LinkConfig().dev_window_days
    bad = tmp_path / "link.json"
    bad.write_text('{"dev_treshold": 0.5}', encoding="utf-8")
    with pytest.raises(ValueError, match="dev_treshold"):
        LinkConfig.load(bad)
