"""Stories on the bundled example corpus: the four storylines of examples/README.md stay apart.

They all happen in late 2024 and three of them involve Russia and Ukraine, so they can only be told
apart by what is specific to each (North Korean troops, Kharkiv, the G7 loan, Valencia), which is what
these tests hold the linker to. The corpus goes through the real pipeline: cleaning, spaCy analysis,
the store under test and online linking.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from conftest import EXAMPLES
from storyline.pipeline import IngestOptions, ingest
from storyline.store import schema
from storyline.store import story_tables as st
from storyline.store.db import open_store
from storyline.stories.queries import story_detail

NORTH_KOREA = (
    "text/2024-10-14-zelensky-north-korea-claim.txt",
    "html/2024-10-18-seoul-spy-agency-north-korean-troops.html",
    "US says it has evidence of North Korean troops in Russia",
    "NATO confirms North Korean units deployed to Russia's Kursk region",
    "text/2024-11-14-blinken-north-korean-troops-combat.txt",
    "text/2024-12-17-north-korean-casualties-kursk.txt",
    "html/2025-01-13-north-korean-soldiers-killed-estimate.html",
    "North Korea sent about 3,000 more troops to Russia, Seoul says",
    "html/2025-04-28-north-korea-confirms-troops.html",
    "html/2025-04-29-us-condemns-north-korea.html",
)
KHARKIV = (
    "text/2024-11-04-kharkiv-missile-strike.txt",
    "Kharkiv strike death toll rises to four",
    "html/2024-11-06-kharkiv-mourns-five-killed.html",
    "Investigators examine missile fragments after deadly Kharkiv strike",
)
G7 = (
    "text/2024-06-14-g7-agrees-ukraine-loan.txt",
    "html/2024-10-25-g7-finalises-ukraine-loan.html",
    "US pays out $20 billion share of G7 loan to Ukraine",
    "EU pays first €3 billion of its share of the G7 loan to Ukraine",
)
VALENCIA = (
    "text/2024-10-30-valencia-flash-floods.txt",
    "Spain floods: death toll rises to 158 as search for missing goes on",
    "Spain sends 10,000 more soldiers and police to flood zone as toll passes 200",
    "Spain approves €10.6 billion aid package for flood victims",
)
ROUNDUP = "text/2024-11-07-europe-briefing-roundup.txt"


@pytest.fixture(scope="module")
def examples_db(lasting_db_url: Callable[[str], str]) -> Engine:
    engine = open_store(lasting_db_url("example_stories"))
    ingest(engine, [str(EXAMPLES)], IngestOptions(analyze=True))
    return engine


@pytest.fixture(scope="module")
def passages(examples_db: Engine) -> dict[str, list[str]]:
    """Story of each passage, in document order, keyed by both the article's file name under examples/
    (single-article files) and its title (files holding several articles)."""
    arts, ps = schema.articles, st.passages
    with examples_db.connect() as conn:
        rows = conn.execute(
            select(arts.c.input_name, arts.c.title, ps.c.story_id).select_from(ps.join(arts, arts.c.id == ps.c.article_id)).order_by(arts.c.id, ps.c.start)
        ).all()
    found: dict[str, list[str]] = {}
    for row in rows:
        name = Path(row.input_name)
        for key in {(name.resolve().relative_to(EXAMPLES.resolve()) if name.is_absolute() else name.relative_to("examples")).as_posix(), row.title}:
            found.setdefault(key, []).append(row.story_id)
    return found


def _lead_stories(passages: dict[str, list[str]], names: tuple[str, ...]) -> set[str]:
    missing = [name for name in names if name not in passages]
    assert not missing, f"articles not linked: {missing}"
    return {passages[name][0] for name in names}


def test_each_storyline_is_one_story_of_its_own(passages: dict[str, list[str]]) -> None:
    stories = {key: _lead_stories(passages, names) for key, names in (("nk", NORTH_KOREA), ("kh", KHARKIV), ("g7", G7), ("vl", VALENCIA))}
    for key, found in stories.items():
        assert len(found) == 1, f"{key} articles split over {len(found)} stories"
    assert len(set.union(*stories.values())) == 4, stories


def test_north_korea_claim_reaches_confirmed(examples_db: Engine, passages: dict[str, list[str]]) -> None:
    (story_id,) = _lead_stories(passages, NORTH_KOREA)
    with examples_db.connect() as conn:
        detail = story_detail(conn, story_id)
    assert detail is not None
    histories = [[step["status"] for step in claim["history"]] for claim in detail["claims"]]
    assert any("confirmed" in statuses and len(statuses) > 1 for statuses in histories), histories


def test_roundup_feeds_several_stories(passages: dict[str, list[str]]) -> None:
    stories = passages[ROUNDUP]
    assert len(set(stories)) >= 2, stories
    assert set(stories) & _lead_stories(passages, NORTH_KOREA)


def _detail(examples_db: Engine, passages: dict[str, list[str]], names: tuple[str, ...]) -> dict[str, Any]:
    (story_id,) = _lead_stories(passages, names)
    with examples_db.connect() as conn:
        detail = story_detail(conn, story_id)
    assert detail is not None
    return detail


def _series(detail: dict[str, Any], quantity: str, of: str = "") -> dict[str, Any]:
    found = [s for s in detail["numbers"] if s["quantity"] == quantity and s["of"] == of]
    assert found, [(s["quantity"], s["of"]) for s in detail["numbers"]]
    return max(found, key=lambda s: len(s["points"]))


def _first_bounds(series: dict[str, Any]) -> list[tuple[str, float | None, float | None]]:
    return [(p["as_of"], p["values"][0]["min"], p["values"][0]["max"]) for p in series["points"]]


def test_north_korean_troops_sent_over_time(examples_db: Engine, passages: dict[str, list[str]]) -> None:
    """examples/README.md's troop table: vague "thousands" first, then estimates, then 10,000–12,000
    plus another 3,000 added up to 13,000–15,000, and never a restated figure counted twice."""
    troops = _series(_detail(examples_db, passages, NORTH_KOREA), "size", "North Korea")
    assert troops["label"] == "troops sent" and troops["event_type"] == "deploy troops"
    points = troops["points"]
    assert len(points) >= 6
    early = [v for p in points if p["as_of"] < "2024-10-20" for v in p["values"]]
    assert any(v["text"].casefold() == "thousands" and v["min"] and v["max"] is None and v["approximate"] for v in early)
    assert ("2024-11-14", 10000, None) in _first_bounds(troops)  # "more than 10,000" stays a lower bound
    totals = {p["as_of"]: p["total"] for p in points if "total" in p}
    assert "2025-03-27" in totals
    assert all(t == {"min": 13000, "max": 15000} for t in totals.values()), totals
    assert all(p["as_of"] >= "2025" for p in points if "total" in p)


def test_casualty_counts_are_revised_report_by_report(examples_db: Engine, passages: dict[str, list[str]]) -> None:
    kharkiv = _first_bounds(_series(_detail(examples_db, passages, KHARKIV), "killed"))
    assert kharkiv[0] == ("2024-11-04", 3, None)
    assert ("2024-11-05", 4, 4) in kharkiv and kharkiv[-1][1:] == (5, 5)
    valencia = _first_bounds(_series(_detail(examples_db, passages, VALENCIA), "killed"))
    assert valencia[0] == ("2024-10-30", 51, None)
    assert ("2024-10-31", 158, 158) in valencia and any(low == 217 for _, low, _ in valencia)


def test_claim_steps_say_where_their_day_comes_from(examples_db: Engine, passages: dict[str, list[str]]) -> None:
    steps = [s for c in _detail(examples_db, passages, NORTH_KOREA)["claims"] for s in c["history"]]
    assert {s["as_of_basis"] for s in steps} <= {"sentence", "paragraph", "article", "published"}
    assert all(s["as_of"] <= s["published"] for s in steps)
    assert all((s["as_of_basis"] == "published") == (s["as_of"] == s["published"]) for s in steps if s["as_of_basis"] != "sentence")


def test_story_command_prints_the_troop_numbers(examples_db: Engine, passages: dict[str, list[str]]) -> None:
    (story_id,) = _lead_stories(passages, NORTH_KOREA)
    shown = subprocess.run(
        [sys.executable, "-m", "storyline.cli", "story", story_id, "--db", examples_db.url.render_as_string(hide_password=False)],
        capture_output=True, text=True, check=True, env=os.environ | {"COLUMNS": "200"},
    ).stdout
    numbers = shown[shown.index("Numbers"):]
    assert "North Korea" in numbers and "13,000–15,000" in numbers and "2025-03-27" in numbers


def test_no_development_is_labelled_with_a_page_kicker(examples_db: Engine) -> None:
    """The Seoul report's body opens with its section name ("Asia"); labels must be sentences."""
    with examples_db.connect() as conn:
        labels = conn.execute(select(st.developments.c.label)).scalars().all()
    assert labels
    short = [label for label in labels if len(label.split()) <= 3]
    assert short == [], short
