"""Claims and numbers over time, on records placed over the seeds' real text.

The records are built by hand (as the analyze stage would emit them) so that these tests pin down
what evolution makes of them: status histories in the order things happened, counts with honest
bounds, a report's several counts of one kind added up.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from conftest import SEEDS, need
from storyline.model import Analysis, Article, Claim, Event, Quantity
from storyline.stories.evolution import Member, as_of, claim_histories, number_series

SIGNATURE = "deploy_troops|actor=north_korea|to=russia"


def _article(name: str, published: str) -> Article:
    text = (need(SEEDS) / name).read_text(encoding="utf-8")
    title, _, body = text.partition("\n")
    return Article(
        id=name[:16], content_hash=name, item_key=name, title=title.strip(), text=body.strip(), published=datetime.fromisoformat(published).replace(tzinfo=UTC),
        url=None, source=name[:3], author=None, language="en", input_name=name, position=0, format="text", raw=b"",
    )


def _span(article: Article, phrase: str) -> tuple[int, int]:
    start = article.document.index(phrase)
    return start, start + len(phrase)


def _quantity(article: Article, phrase: str, **bounds: float | bool) -> Quantity:
    start, end = _span(article, phrase)
    return Quantity(article.id, start, end, phrase, unit="people", counted="soldiers", **bounds)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def members() -> list[Member]:
    roundup = _article("000_b91f1ef5999b48e8.txt", "2024-10-26")
    later = _article("003_475177e114bdde18.txt", "2025-04-30")
    claim_at = _span(roundup, "Russia is planning to deploy North Korean troops into battle against Ukraine")
    confirm_at = _span(later, "it has been sending troops to assist Russia in its war against Ukraine")
    thousands = _quantity(roundup, "thousands of soldiers", approximate=True)
    first = _quantity(later, "between 10,000 and 12,000 soldiers", min=10000, max=12000)
    more = _quantity(later, "another 3,000 troops", value=3000)
    early = Analysis(
        roundup.id, "t",
        claims=(Claim(roundup.id, *claim_at, roundup.document[slice(*claim_at)], "claimed", "Volodymyr Zelenskyy", "zelenskyy", SIGNATURE, "2024-10-27"),),
        events=(Event(roundup.id, thousands.start, thousands.end, "deploy troops", actors=("north_korea",), size=thousands),),
    )
    late = Analysis(
        later.id, "t",
        claims=(Claim(later.id, *confirm_at, later.document[slice(*confirm_at)], "confirmed", "North Korea", "north_korea", SIGNATURE, "2025-04-28"),),
        events=(
            Event(later.id, first.start, first.end, "deploy troops", actors=("north_korea",), size=first),
            Event(later.id, more.start, more.end, "deploy troops", actors=("north_korea",), size=more),
        ),
    )
    return [Member(roundup, early, 0, len(roundup.document)), Member(later, late, 0, len(later.document))]


def test_claim_goes_from_claimed_to_confirmed(members: list[Member]) -> None:
    histories = claim_histories(reversed(members), {"north_korea": "North Korea", "zelenskyy": "Volodymyr Zelenskyy"})
    assert len(histories) == 1
    steps = histories[0]["history"]
    assert [(s["status"], s["by"], s["as_of"]) for s in steps] == [
        ("claimed", "Volodymyr Zelenskyy", "2024-10-26"),
        ("confirmed", "North Korea", "2025-04-28"),
    ]
    assert histories[0]["status"] == "confirmed"
    assert "Zelenskyy has issued a stark warning" in steps[0]["sentence"]


def test_claim_date_after_publication_is_not_its_as_of(members: list[Member]) -> None:
    claim = members[0].analysis.claims[0]
    assert claim.date == "2024-10-27"
    assert as_of(claim, members[0].article) == "2024-10-26"


def test_troop_numbers_over_time(members: list[Member]) -> None:
    series = number_series(members, {"north_korea": "North Korea"})
    assert len(series) == 1
    troops = series[0]
    assert (troops["quantity"], troops["event_type"], troops["of"]) == ("size", "deploy troops", "North Korea")
    early, late = troops["points"]
    assert early["as_of"] == "2024-10-26"
    assert early["values"][0]["min"] is None and early["values"][0]["approximate"] and early["values"][0]["text"] == "thousands of soldiers"
    assert "total" not in early
    assert late["as_of"] == "2025-04-30"
    assert [(v["min"], v["max"]) for v in late["values"]] == [(10000, 12000), (3000, 3000)]
    assert late["total"] == {"min": 13000, "max": 15000}


def test_facts_outside_the_passage_are_left_out(members: list[Member]) -> None:
    narrowed = [Member(m.article, m.analysis, 0, 10) for m in members]
    assert claim_histories(narrowed) == [] and number_series(narrowed) == []
