"""Time expressions: the seeds' gold dates, tense-aware weekdays, durations, sets and ranges."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from spacy.language import Language

from storyline.analyze import dates, nlp, timenorm
from storyline.model import Article, TimeRef

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"


@pytest.fixture(scope="module")
def model() -> Language:
    return nlp.load()


def article(text: str, published: date | None, title: str = "") -> Article:
    when = datetime(published.year, published.month, published.day, 12, tzinfo=timezone.utc) if published else None
    return Article(id="a1", content_hash="h", item_key="k", title=title, text=text, published=when, url=None,
                   source=None, author=None, language="en", input_name="test", position=0, format="text", raw=b"")


def refs(model: Language, text: str, published: date | None = date(2024, 10, 26)) -> list[TimeRef]:
    art = article(text, published)
    return dates.extract(model(art.document), art)


def value_of(model: Language, text: str, phrase: str, published: date | None = date(2024, 10, 26)) -> TimeRef:
    start = text.index(phrase)
    end = start + len(phrase)
    hits = [r for r in refs(model, text, published) if r.start < end and start < r.end]
    assert hits, f"no time expression over {phrase!r} in {text!r}"
    return hits[0]


def same_day(value: str, expected: str) -> bool:
    """A part-of-day value ("2024-10-25TEV") still names the gold day."""
    return value == expected or value.startswith(expected + "T")


@pytest.mark.skipif(not (SEEDS / "gold.json").exists(), reason="seed articles not found in ../shared/seeds")
def test_seed_dates_match_gold(model: Language) -> None:
    gold = json.loads((SEEDS / "gold.json").read_text(encoding="utf-8"))
    for name, expected in gold["articles"].items():
        title, _, body = (SEEDS / name).read_text(encoding="utf-8").partition("\n\n")
        art = article(body, date.fromisoformat(expected["published"]), title=title)
        found = dates.extract(model(art.document), art)
        doc_text = art.document
        for item in expected["dates"]:
            start = doc_text.index(item["text"])
            while start >= 0:
                end = start + len(item["text"])
                hits = [r for r in found if r.start < end and start < r.end]
                assert hits, f"{name}: {item['text']!r} at {start} not found"
                assert same_day(hits[0].value, item["value"]), (name, item, hits[0])
                start = doc_text.find(item["text"], end)


def test_spans_point_at_the_text(model: Language) -> None:
    text = "The ceasefire collapsed on Friday evening after three weeks of talks."
    for ref in refs(model, text):
        assert text[ref.start:ref.end] == ref.text


@pytest.mark.parametrize(
    ("text", "phrase", "expected"),
    [
        ("On Friday, the army shelled the town.", "Friday", "2024-10-25"),
        ("The talks will resume on Friday.", "Friday", "2024-11-01"),
        ("Russia is planning to deploy troops as early as this Sunday.", "this Sunday", "2024-10-27"),
        ("The minister resigned last Saturday.", "last Saturday", "2024-10-19"),
        ("The summit opens next Monday.", "next Monday", "2024-10-28"),
    ],
)
def test_weekdays_follow_the_tense(model: Language, text: str, phrase: str, expected: str) -> None:
    assert value_of(model, text, phrase).value == expected


def test_part_of_day_keeps_the_day(model: Language) -> None:
    ref = value_of(model, "On Friday evening, a missile hit the city.", "Friday evening")
    assert ref.type == "DATE" and ref.value == "2024-10-25TEV"
    assert ref.earliest == ref.latest == "2024-10-25"


@pytest.mark.parametrize(
    ("text", "phrase", "published", "expected", "earliest", "latest"),
    [
        ("The group confirmed it on April 28.", "April 28", date(2025, 4, 30), "2025-04-28", "2025-04-28", "2025-04-28"),
        ("Troops were deployed last year.", "last year", date(2025, 4, 30), "2024", "2024-01-01", "2024-12-31"),
        ("The law was passed in March.", "March", date(2024, 10, 26), "2024-03", "2024-03-01", "2024-03-31"),
        ("The talks will resume in January.", "January", date(2024, 10, 26), "2025-01", "2025-01-01", "2025-01-31"),
        ("The bridge was hit yesterday.", "yesterday", date(2024, 10, 26), "2024-10-25", "2024-10-25", "2024-10-25"),
        ("The plant was shut two days ago.", "two days ago", date(2024, 10, 26), "2024-10-24", "2024-10-24", "2024-10-24"),
        ("Sales rose this year.", "this year", date(2024, 10, 26), "2024", "2024-01-01", "2024-12-31"),
        ("The decision came in 2019.", "2019", date(2024, 10, 26), "2019", "2019-01-01", "2019-12-31"),
        ("Profit fell in the third quarter.", "the third quarter", date(2024, 10, 26), "2024-Q3", "2024-07-01", "2024-09-30"),
        ("The city grew in the 1990s.", "the 1990s", date(2024, 10, 26), "199", "1990-01-01", "1999-12-31"),
        ("The vote was held on March 26, 1996.", "March 26, 1996", date(2024, 10, 26), "1996-03-26", "1996-03-26", "1996-03-26"),
    ],
)
def test_dates_and_ranges(model: Language, text: str, phrase: str, published: date, expected: str,
                          earliest: str, latest: str) -> None:
    ref = value_of(model, text, phrase, published)
    assert (ref.value, ref.earliest, ref.latest) == (expected, earliest, latest)


def test_recent_weeks_is_a_range_ending_at_publication(model: Language) -> None:
    ref = value_of(model, "In recent weeks, another 3,000 troops were sent.", "recent weeks", date(2025, 4, 30))
    assert ref.latest == "2025-04-30"
    assert ref.earliest is not None and ref.earliest < "2025-04-30"


def test_end_of_the_year_narrows_the_range(model: Language) -> None:
    ref = value_of(model, "Payments should begin by the end of the year.", "the end of the year")
    assert ref.value == "2024"
    assert ref.latest == "2024-12-31" and ref.earliest is not None and ref.earliest > "2024-06-30"


@pytest.mark.parametrize(
    ("text", "phrase", "kind", "expected"),
    [
        ("The siege lasted three years.", "three years", "DURATION", "P3Y"),
        ("The border was closed for two weeks.", "two weeks", "DURATION", "P2W"),
        ("Inspectors visit the plant every week.", "every week", "SET", "P1W"),
        ("The war enters its fifth month after ten days of heavy fighting.", "ten days", "DURATION", "P10D"),
    ],
)
def test_durations_and_sets(model: Language, text: str, phrase: str, kind: str, expected: str) -> None:
    ref = value_of(model, text, phrase)
    assert (ref.type, ref.value) == (kind, expected)
    assert ref.earliest is None


def test_without_publication_date_relative_stays_unresolved(model: Language) -> None:
    assert value_of(model, "On Friday, the army shelled the town.", "Friday", None).value == "XXXX-WXX-5"
    assert value_of(model, "The group confirmed it on April 28.", "April 28", None).value == "XXXX-04-28"


def test_ages_are_not_time_expressions(model: Language) -> None:
    text = "An eight-year-old girl and a 46-year-old man were hurt."
    assert refs(model, text) == []


def test_normaliser_directly() -> None:
    anchor = date(1989, 10, 26)
    assert timenorm.normalise("a year ago", anchor, -1).value == "1988"
    assert timenorm.normalise("this week", anchor, 0).value == "1989-W43"
    assert timenorm.normalise("the next three quarters", anchor, 1).value == "P9M"
    assert timenorm.normalise("each Thursday", anchor, 0).value == "XXXX-WXX-4"
    assert timenorm.normalise("now", anchor, 0).value == "PRESENT_REF"
    assert timenorm.normalise("the third-floor window", anchor, 0) is None
    assert timenorm.normalise("this summer", anchor, 0).value == "1989-SU"
    assert timenorm.normalise("twice a week", anchor, 0).value == "P1W"
    assert timenorm.normalise("Thanksgiving Day", anchor, 1).value == "1989-11-23"
    assert timenorm.normalise("nineteen ninety-six", anchor, 0).value == "1996"


def test_next_week_is_the_coming_one(model: Language) -> None:
    ref = value_of(model, "The talks will resume next week.", "next week")
    assert (ref.value, ref.earliest, ref.latest) == ("2024-W44", "2024-10-28", "2024-11-03")


def test_a_range_tagged_as_one_gives_both_ends(model: Language) -> None:
    text = "The festival ran from Saturday to Sunday."
    values = [r.value for r in refs(model, text, date(2024, 10, 28))]
    assert values == ["2024-10-26", "2024-10-27"]


@pytest.mark.parametrize(("text", "expected"), [
    ("Officials have issued a warning that troops are massing near the border, potentially as early as this "
     "Sunday.", "2024-10-27"),
    ("Officials have issued a warning that troops massed near the border this Sunday.", "2024-10-20"),
])
def test_a_hedged_time_phrase_looks_ahead_whatever_verb_it_hangs_from(model: Language, text: str,
                                                                       expected: str) -> None:
    """Published Saturday 2024-10-26: a hedged "this Sunday" is the coming one, a plain one in a past
    clause the one just gone."""
    assert same_day(value_of(model, text, "this Sunday").value or "", expected)
