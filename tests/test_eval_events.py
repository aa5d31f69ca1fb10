"""The casualty and ACLED scorers on tiny hand-made inputs, so a broken metric cannot pass unnoticed."""

from __future__ import annotations

import pytest

from storyline.evaluate import casualties, events
from storyline.evaluate.events import Prediction
from storyline.model import Event, Quantity


def toll(value: float | None = None, minimum: float | None = None, text: str = "three people") -> Quantity:
    return Quantity("a", 0, len(text), text, value=value, min=minimum, counted="people killed")


def test_count_takes_the_value_else_the_lower_bound() -> None:
    assert casualties.count(toll(3)) == 3
    assert casualties.count(toll(minimum=9)) == 9
    assert casualties.count(None) is None


def test_combine_prefers_the_most_reported_then_the_larger() -> None:
    assert casualties.combine([1, 1, 2]) == 1
    assert casualties.combine([1, 2, None]) == 2
    assert casualties.combine([None, None]) == 0
    assert casualties.combine([]) == 0


def test_casualty_score_is_exact_match_per_incident() -> None:
    gold = {"1": {"killed": 1, "injured": 0}, "2": {"killed": 0, "injured": 3}}
    predicted = {"1": {"killed": 1, "injured": 1}, "2": {"killed": 0, "injured": 3}}
    assert casualties.score(predicted, gold) == {"incidents": 2, "killed_accuracy": 1.0, "injured_accuracy": 0.5}
    assert casualties.score({}, gold)["killed_accuracy"] == 0.5


def test_article_toll_is_the_first_attack_that_states_one() -> None:
    from storyline.model import Analysis

    analysis = Analysis("a", "1", events=(
        Event("a", 50, 90, "attack", injured=toll(2, text="two")),
        Event("a", 0, 40, "protest", killed=toll(7, text="seven")),
        Event("a", 100, 140, "attack", killed=toll(1, text="a man"), injured=toll(5, text="five")),
    ))
    assert casualties.article_tolls(analysis) == {"killed": 1, "injured": 2}


def row(event_type: str, sub: str, fatalities: int, lat: float = 0.0, lon: float = 0.0) -> dict:
    return {"event_type": event_type, "sub_event_type": sub, "fatalities": fatalities, "lat": lat, "lon": lon}


def test_acled_score_counts_each_metric_separately() -> None:
    rows = [row("Battles", "Armed clash", 2, 34.0, 69.0), row("Protests", "Peaceful protest", 0, 10.0, 10.0)]
    predictions = [
        Prediction("Battles", "Government regains territory", 2, 34.1, 69.1),  # ~14 km away
        Prediction("Riots", "Violent demonstration", 1, 11.0, 10.0),  # ~111 km away
    ]
    assert events.score(rows, predictions) == {
        "events": 2, "event_type_accuracy": 0.5, "sub_event_type_accuracy": 0.0,
        "fatalities_accuracy": 0.5, "location_25km": 0.5}


def test_baseline_is_the_majority_class_and_no_fatalities() -> None:
    rows = [row("Protests", "Peaceful protest", 0), row("Protests", "Peaceful protest", 3), row("Battles", "Armed clash", 1)]
    scored = events.score(rows, events.baseline(rows))
    assert scored["event_type_accuracy"] == pytest.approx(2 / 3, abs=1e-4)
    assert scored["fatalities_accuracy"] == pytest.approx(1 / 3, abs=1e-4)
    assert scored["location_25km"] == 0.0


def test_haversine_distance() -> None:
    assert events.haversine_km(0.0, 0.0, 0.0, 1.0) == pytest.approx(111.19, abs=0.1)


def test_coded_fatalities_win_over_counted_tolls() -> None:
    note = "On 27 April 2020, police killed 3 militants and 1 policeman. Fatalities coded as 4."
    assert events.fatalities(note, [Event("a", 0, 10, "attack", killed=toll(3, text="3 militants"))]) == 4


def test_fatalities_sum_distinct_tolls_and_skip_pronouns() -> None:
    killed = [
        Event("a", 0, 10, "attack", killed=Quantity("a", 0, 10, "2 policemen", value=2)),
        Event("a", 0, 10, "attack", killed=Quantity("a", 0, 10, "2 policemen", value=2)),
        Event("a", 20, 40, "attack", killed=Quantity("a", 20, 30, "2 militants", value=2)),
        Event("a", 50, 60, "attack", killed=Quantity("a", 50, 52, "he", value=1)),
    ]
    assert events.fatalities("no coded figure here", killed) == 4


def test_acled_code_uses_the_ontology_and_codebook_rules() -> None:
    protest = Event("a", 0, 60, "protest")
    text = "On 1 May 2020, workers held a protest. Police dispersed the protesters with tear gas."
    assert events.code(text, [protest]) == ("Protests", "Protest with intervention")
    assert events.code("On 1 May 2020, workers held a protest.", [protest]) == ("Protests", "Peaceful protest")
    strike = Event("a", 0, 50, "attack", subtype="drone strike")
    assert events.code("On 2 May 2020, a drone strike hit a base.", [strike]) == ("Explosions/Remote violence", "Air/drone strike")
    shooting = Event("a", 0, 60, "attack", subtype="shooting")
    assert events.code("On 2 May 2020, gunmen shot dead a farmer in his home.", [shooting]) == ("Violence against civilians", "Attack")
    assert events.code("On 2 May 2020, soldiers clashed with militants near the border.", [shooting]) == ("Battles", "Armed clash")
