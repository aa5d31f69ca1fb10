"""Quantities: the seeds' gold numbers, money, bounds, vague plurals, and numbers that are not quantities."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
from spacy.language import Language

from storyline.analyze import nlp, numbers, quantities
from storyline.model import Article, Quantity

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"


@pytest.fixture(scope="module")
def model() -> Language:
    return nlp.load()


def article(text: str, title: str = "") -> Article:
    return Article(id="a1", content_hash="h", item_key="k", title=title, text=text,
                   published=datetime(2024, 10, 26, tzinfo=timezone.utc), url=None, source=None, author=None,
                   language="en", input_name="test", position=0, format="text", raw=b"")


def extract(model: Language, text: str, title: str = "") -> list[Quantity]:
    art = article(text, title)
    return quantities.extract(model(art.document), art)


def one(model: Language, text: str, phrase: str) -> Quantity:
    start = text.index(phrase)
    end = start + len(phrase)
    hits = [q for q in extract(model, text) if q.start < end and start < q.end]
    assert len(hits) == 1, (text, hits)
    return hits[0]


def matches(found: Quantity, gold: dict) -> bool:
    if "value" in gold:
        return found.value == gold["value"]
    return found.value is None and found.min == gold.get("min") and found.max == gold.get("max")


@pytest.mark.skipif(not (SEEDS / "gold.json").exists(), reason="seed articles not found in ../shared/seeds")
def test_seed_quantities_match_gold(model: Language) -> None:
    gold = json.loads((SEEDS / "gold.json").read_text(encoding="utf-8"))
    for name, expected in gold["articles"].items():
        title, _, body = (SEEDS / name).read_text(encoding="utf-8").partition("\n\n")
        found = extract(model, body, title)
        for item in expected["quantities"]:
            hits = [q for q in found if matches(q, item)]
            assert hits, f"{name}: {item} not found among {found}"
            if item.get("unit") == "USD":
                assert hits[0].unit == "USD" and hits[0].approximate is item.get("approximate", False)


@pytest.mark.skipif(not (SEEDS / "gold.json").exists(), reason="seed articles not found in ../shared/seeds")
def test_seed_casualties_say_what_they_count(model: Language) -> None:
    title, _, body = (SEEDS / "000_b91f1ef5999b48e8.txt").read_text(encoding="utf-8").partition("\n\n")
    found = {(q.value, q.min): q.counted for q in extract(model, body, title)}
    assert found[(3.0, None)] == "people killed"
    assert found[(None, 9.0)] == "people injured"
    assert found[(1.0, None)] == "people killed"
    assert found[(5.0, None)] == "people injured"
    assert found[(None, 100.0)] == "residents evacuated"


@pytest.mark.parametrize(
    ("text", "phrase", "value", "unit", "approximate"),
    [
        ("G7 leaders agreed approximately $50 billion in loans.", "$50 billion", 5e10, "USD", True),
        ("The bank lent $50bn to the government.", "$50bn", 5e10, "USD", False),
        ("The EU pledged €2.5m to the fund.", "€2.5m", 2.5e6, "EUR", False),
        ("They raised 20 billion dollars for reconstruction.", "20 billion dollars", 2e10, "USD", False),
        ("Britain gave £1.2 million in aid.", "£1.2 million", 1.2e6, "GBP", False),
        ("Germany will spend 50 billion euros on defence.", "50 billion euros", 5e10, "EUR", False),
        ("Some 40 percent of voters backed him.", "40 percent", 40.0, "percent", True),
    ],
)
def test_money_and_percent(model: Language, text: str, phrase: str, value: float, unit: str,
                           approximate: bool) -> None:
    q = one(model, text, phrase)
    assert (q.value, q.unit, q.approximate) == (value, unit, approximate)


@pytest.mark.parametrize(
    ("text", "phrase", "low", "high", "approximate"),
    [
        ("North Korea deployed between 10,000 and 12,000 soldiers.", "10,000", 10000, 12000, False),
        ("Officials said 10,000-12,000 soldiers had arrived.", "10,000", 10000, 12000, False),
        ("Officials said 10,000 to 12,000 soldiers had arrived.", "10,000", 10000, 12000, False),
        ("At least nine people were injured.", "nine", 9, None, False),
        ("Rescuers evacuated over 100 residents.", "100", 100, None, False),
        ("More than 1,500 people were arrested.", "1,500", 1500, None, False),
        ("Up to 500 people were evacuated.", "500", None, 500, False),
        ("Nearly 200 soldiers died in the assault.", "200", None, 200, True),
        ("The paper reported thousands of soldiers at the front.", "thousands", 2000, None, True),
        ("Dozens of civilians were wounded.", "Dozens", 24, None, True),
        ("Hundreds of homes were damaged.", "Hundreds", 200, None, True),
        ("Tens of thousands of people fled the city.", "thousands", 20000, None, True),
    ],
)
def test_bounds_and_ranges(model: Language, text: str, phrase: str, low: float | None, high: float | None,
                           approximate: bool) -> None:
    q = one(model, text, phrase)
    assert (q.value, q.min, q.max, q.approximate) == (None, low, high, approximate)


@pytest.mark.parametrize(
    ("text", "phrase", "value", "counted"),
    [
        ("Three people were killed, and at least nine others were injured.", "Three", 3, "people killed"),
        ("A dozen buildings were destroyed.", "dozen", 12, "buildings"),
        ("Another 3,000 troops were sent to the front.", "3,000", 3000, "troops"),
        ("The death toll was 12.", "12", 12, "people killed"),
        ("Suspected bombs exploded, killing 80 people.", "80", 80, "people killed"),
        # Revised counts are written as a tally reaching a level; the level counts what the tally counts.
        ("The death toll rose to 217 on Sunday, officials said.", "217", 217, "people killed"),
        ("The number of people killed in the strike has risen to four, the governor said.", "four", 4, "people killed"),
        ("Spain sends more soldiers to the flood zone as toll passes 200", "200", 200, "people killed"),
        ("Initial reports had put the toll at three dead and 12 injured.", "three", 3, "people killed"),
        ("The regional government said that 207 of the dead were in the Valencia region.", "207", 207, "people killed"),
        ("The number of troops in the region rose to 3,000 by March.", "3,000", 3000, "troops"),
    ],
)
def test_counts_and_what_they_count(model: Language, text: str, phrase: str, value: float, counted: str) -> None:
    q = one(model, text, phrase)
    assert (q.value, q.counted) == (value, counted)


def test_injured_are_told_from_killed(model: Language) -> None:
    found = extract(model, "Three people were killed, and at least nine others were injured.")
    assert [(q.value, q.min, q.counted) for q in found] == [(3.0, None, "people killed"), (None, 9.0, "people injured")]


@pytest.mark.parametrize(
    "text",
    [
        "An eight-year-old girl and a 46-year-old man were hurt.",
        "It was the third attack this month.",
        "The G7 met on October 25, 2024.",
        "The Group of Seven met in Rome.",
        "Prices fell in 2023.",
        "The meeting ended at 10:30.",
        "Police said one of the victims was 17.",
        "John Smith, 17, was shot on Main Street.",
    ],
)
def test_numbers_that_are_not_quantities(model: Language, text: str) -> None:
    assert extract(model, text) == []


def test_list_numbering_is_not_a_quantity(model: Language) -> None:
    assert extract(model, "Key points:\n1. The talks failed\n2. Sanctions follow") == []


@pytest.mark.parametrize(
    ("text", "value"),
    [("three", 3), ("twenty four", 24), ("a dozen", 12), ("10,000", 10000), ("1.2 million", 1.2e6),
     ("one hundred and five", 105), ("two thousand", 2000), ("several", None), ("soldiers", None)],
)
def test_number_words(text: str, value: float | None) -> None:
    assert numbers.parse(text) == value


def test_a_level_that_is_no_tally_counts_nothing(model: Language) -> None:
    assert one(model, "The company's share price rose to 20 on Monday.", "20").counted is None


def test_a_headline_run_into_the_body_keeps_its_own_count(model: Language) -> None:
    """Without a full stop the parser joins the headline to the first sentence; the count is read per line."""
    text = "Strike death toll rises to four\n\nThe number of people killed in the strike has risen to four, with 16 injured."
    counts = [(q.value, q.counted) for q in extract(model, text)]
    assert counts == [(4, "people killed"), (4, "people killed"), (16, "people injured")]
