"""Claims: the seeds' claim evolution (same signature, claimed then confirmed) and small status cases."""

from __future__ import annotations

import json
from typing import Any

import pytest

from storyline.analyze.claims import signature
from storyline.model import Analysis, Claim, Event
from test_events import GOLD, SEEDS, make_article, run, seed_article


@pytest.fixture(scope="module")
def seeds() -> dict[str, Analysis]:
    if not GOLD.exists():
        pytest.skip(f"seeds not found at {SEEDS}")
    gold = json.loads(GOLD.read_text(encoding="utf-8"))["articles"]
    return {name: run(seed_article(name, expected)) for name, expected in gold.items()}


@pytest.fixture(scope="module")
def evolution() -> list[dict[str, Any]]:
    return json.loads(GOLD.read_text(encoding="utf-8"))["across_articles"]["claim_evolution"]


def claims_by(analysis: Analysis, claimant: str, status: str) -> list[Claim]:
    names = {e.id: e.name.casefold() for e in analysis.entities}
    return [c for c in analysis.claims
            if c.status == status and names.get(c.claimant_entity_id or "") == claimant.casefold()
            and c.signature is not None and c.signature.startswith("deploy_troops|")]


def test_seed_claim_evolution_shares_one_signature(seeds: dict[str, Analysis], evolution: list[dict[str, Any]]) -> None:
    signatures = []
    for step in evolution:
        found = claims_by(seeds[step["article"]], step["by"], step["status"])
        assert found, f"no {step['status']} deploy_troops claim by {step['by']} in {step['article']}"
        signatures.append({c.signature for c in found})
    assert set.intersection(*signatures), f"signatures differ across articles: {signatures}"


def test_seed_signature_names_north_korea_and_russia(seeds: dict[str, Analysis]) -> None:
    analysis = seeds["003_475177e114bdde18.txt"]
    ids = {e.name.casefold(): e.id for e in analysis.entities}
    confirmed = claims_by(analysis, "North Korea", "confirmed")
    assert confirmed[0].signature == f"deploy_troops|actor={ids['north korea']}|to={ids['russia']}"


def test_claim_text_is_the_proposition_span(seeds: dict[str, Analysis]) -> None:
    analysis = seeds["000_b91f1ef5999b48e8.txt"]
    found = [c for c in claims_by(analysis, "Volodymyr Zelenskyy", "claimed") if "planning" in c.text]
    assert found, "the body's claim under \"issued a stark warning that\" is missing"
    claim = found[0]
    assert "North Korean troops" in claim.text
    assert not claim.text.startswith("Ukrainian President")
    document = seed_article("000_b91f1ef5999b48e8.txt", json.loads(GOLD.read_text(encoding="utf-8"))["articles"]["000_b91f1ef5999b48e8.txt"]).document
    assert document[claim.start:claim.end] == claim.text


def test_headline_speech_verb_attributes_the_claim(seeds: dict[str, Analysis]) -> None:
    analysis = seeds["000_b91f1ef5999b48e8.txt"]
    headline = [c for c in claims_by(analysis, "Volodymyr Zelenskyy", "claimed") if c.start < 120]
    assert headline and headline[0].text.startswith("Russia May Deploy")


def test_claim_date_is_the_speech_act_not_the_event(seeds: dict[str, Analysis]) -> None:
    analysis = seeds["000_b91f1ef5999b48e8.txt"]
    zelenskyy = [c for c in claims_by(analysis, "Volodymyr Zelenskyy", "claimed") if "planning" in c.text][0]
    assert zelenskyy.date is None  # "this Sunday" is when the deployment may happen, not when he spoke


def test_speech_acts_are_not_themselves_claims(seeds: dict[str, Analysis]) -> None:
    for analysis in seeds.values():
        assert not [c for c in analysis.claims if (c.signature or "").startswith(("express_concern|", "demand|"))]


def first_claim(sentence: str) -> Claim:
    analysis = run(make_article("case", "", sentence, "2024-10-26"))
    assert analysis.claims, f"no claim in {sentence!r}"
    return analysis.claims[0]


@pytest.mark.parametrize(("sentence", "status"), [
    ("Reports suggest that North Korean troops may be sent to Russia.", "reported"),
    ("North Korea confirmed that it had sent troops to Russia.", "confirmed"),
    ("North Korea denied that it had sent troops to Russia.", "denied"),
    ("Ukraine's defence minister said that North Korea had sent troops to Russia.", "claimed"),
])
def test_claim_status(sentence: str, status: str) -> None:
    assert first_claim(sentence).status == status


def test_asserted_events_are_not_claims() -> None:
    analysis = run(make_article("case", "", "North Korea sent troops to Russia in October.", "2024-10-26"))
    assert any(e.type == "deploy troops" for e in analysis.events)
    assert analysis.claims == ()


def test_signature_ignores_wording_and_order() -> None:
    one = Event("a", 0, 1, "sanctions", actors=("eu", "us"), targets=("ru",))
    two = Event("b", 5, 9, "sanctions", trigger="embargo", actors=("us", "eu"), targets=("ru",))
    assert signature(one) == signature(two) == "sanctions|actor=eu+us|target=ru"
    assert signature(Event("c", 0, 1, "deploy troops", actors=("kp", "ru"))) == "deploy_troops|actor=kp|to=ru"
    assert signature(Event("d", 0, 1, "deploy troops", actors=("kp",), targets=("ru", "ua"))) == "deploy_troops|actor=kp|to=ru"
    assert signature(Event("e", 0, 1, "attack")) is None


def test_confirmation_takes_the_date_it_is_given_elsewhere_in_the_article() -> None:
    """The lead says a party confirmed; a later paragraph says when. The claim holds as of that day."""
    body = ("Seoul condemned Pyongyang after North Korea confirmed that it had sent troops to Russia.\n\n"
            "The North Korean government formally confirmed its involvement on April 28, state media said.")
    analysis = run(make_article("case", "", body, "2025-04-30"))
    confirmed = [c for c in analysis.claims if c.status == "confirmed"]
    assert confirmed and confirmed[0].text == "it had sent troops to Russia"
    assert confirmed[0].date == "2025-04-28"


def test_claim_date_falls_back_to_its_paragraph_then_to_none() -> None:
    dated = run(make_article("case", "", "The governor visited the damaged building on Monday. "
                             "He said that Russian forces had struck the city with two missiles.", "2024-11-06"))
    assert [c.date for c in dated.claims] == ["2024-11-04"]
    undated = run(make_article("case", "", "The minister said that Russian forces had struck the city with two missiles.", "2024-11-06"))
    assert [c.date for c in undated.claims] == [None]


@pytest.mark.parametrize("sentence", [
    "North Korea on Monday confirmed for the first time that it had sent troops to fight for Russia.",
    "North Korea confirmed in a statement that it had sent troops to Russia.",
])
def test_confirmation_through_an_adjunct_clause_is_a_confirmation_by_the_subject(sentence: str) -> None:
    """"confirmed for the first time that …": the parser hangs the clause on "time", yet it is what was
    confirmed, and by the subject, never by a weekday."""
    analysis = run(make_article("case", "", sentence, "2025-04-28"))
    claim = next(c for c in analysis.claims if c.signature and c.signature.startswith("deploy_troops|"))
    assert claim.status == "confirmed"
    assert claim.claimant == "North Korea"
    assert claim.text.startswith("it had sent troops")


def test_headline_admits_is_a_confirmation() -> None:
    analysis = run(make_article("case", "US condemns North Korea after Pyongyang admits sending troops to Russia",
                                "The United States condemned North Korea on Tuesday.", "2025-04-29"))
    (claim,) = [c for c in analysis.claims if c.signature and c.signature.startswith("deploy_troops|")]
    assert (claim.status, claim.claimant) == ("confirmed", "North Korea")


@pytest.mark.parametrize(("sentence", "modality"), [
    ("North Korea did not say how many soldiers it had sent to Russia.", "asserted"),
    ("The Pentagon has not confirmed that North Korean troops were sent to Russia.", "hedged"),
    ("Officials in Seoul would not say whether troops were sent to Russia.", "hedged"),
])
def test_a_negated_speech_act_vouches_for_nothing(sentence: str, modality: str) -> None:
    """Who "did not say" or "has not confirmed" something is not its claimant, and the event is not denied."""
    analysis = run(make_article("case", "", sentence, "2025-04-28"))
    event = next(e for e in analysis.events if e.type == "deploy troops")
    assert (event.modality, event.asserted_by) == (modality, None)
    assert all(c.claimant_entity_id is None and c.status != "denied" for c in analysis.claims)


def test_an_unresolved_pronoun_is_no_claimant() -> None:
    claim = first_claim("He said that Russia had sent troops to Belarus.")
    assert (claim.claimant, claim.claimant_entity_id) == (None, None)


@pytest.mark.parametrize(("sentence", "status", "claimant"), [
    ("North Korea was forced to admit that it had sent troops to Russia.", "confirmed", "North Korea"),
    ("The Pentagon has yet to confirm that North Korean troops were sent to Russia.", "reported", None),
    ("Blinken urged Putin to deny that Russia had sent troops to Belarus.", None, None),
])
def test_a_wanted_speech_act_is_not_performed_but_a_forced_one_is(sentence: str, status: str | None, claimant: str | None) -> None:
    analysis = run(make_article("case", "", sentence, "2025-04-28"))
    claims = [c for c in analysis.claims if c.signature and c.signature.startswith("deploy_troops|")]
    assert all(c.status != "denied" for c in analysis.claims)
    if status is not None:
        assert [(c.status, c.claimant) for c in claims] == [(status, claimant)]
