"""Events on the seeds (every gold.json event must be found) and modality on small hand-written cases."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from storyline.analyze import analyze, nlp
from storyline.analyze.ontology import TYPES, to_acled
from storyline.model import Analysis, Article, Event, Quantity

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
GOLD = SEEDS / "gold.json"
GOLD_TYPES = {"express concern / demand": {"express concern", "demand"}}


def make_article(name: str, title: str, body: str, published: str) -> Article:
    return Article(
        id=name, content_hash=name, item_key=name, title=title, text=body,
        published=datetime.fromisoformat(published).replace(tzinfo=timezone.utc), url=None, source=None,
        author=None, language="en", input_name=name, position=0, format="text", raw=b"")


def seed_article(name: str, expected: dict[str, Any]) -> Article:
    """The seed as the cleaner should leave it: title apart, boilerplate lines gone."""
    lines = (SEEDS / name).read_text(encoding="utf-8").splitlines()[1:]
    body = "\n".join(line for line in lines if line.strip() not in expected["boilerplate_lines_removed"])
    return make_article(name, expected["title"], body.strip(), expected["published"])


def run(article: Article) -> Analysis:
    return analyze(article, nlp.load()(article.document))


@pytest.fixture(scope="module")
def seeds() -> dict[str, tuple[dict[str, Any], Analysis]]:
    if not GOLD.exists():
        pytest.skip(f"seeds not found at {SEEDS}")
    gold = json.loads(GOLD.read_text(encoding="utf-8"))["articles"]
    return {name: (expected, run(seed_article(name, expected))) for name, expected in gold.items()}


def names(analysis: Analysis, ids: tuple[str, ...]) -> set[str]:
    by_id = {e.id: e.name.casefold() for e in analysis.entities}
    return {by_id.get(i, i) for i in ids}


def same_number(quantity: Quantity | None, expected: Any) -> bool:
    if quantity is None:
        return False
    if isinstance(expected, dict):
        return quantity.min == expected.get("min") and quantity.max == expected.get("max")
    return quantity.value == expected


def matches(event: Event, gold: dict[str, Any], analysis: Analysis) -> bool:
    if event.type not in GOLD_TYPES.get(gold["type"], {gold["type"]}):
        return False
    if "subtype" in gold and event.subtype != gold["subtype"]:
        return False
    actors, targets = names(analysis, event.actors), names(analysis, event.targets)
    if gold["actor"].casefold() not in actors:
        return False
    if "target" in gold and gold["target"].casefold() not in targets:
        return False
    if "with" in gold and gold["with"].casefold() not in actors | targets:
        return False
    if "against" in gold and gold["against"].casefold() not in targets:
        return False
    if "location" in gold and (event.place or "").casefold() != gold["location"].casefold():
        return False
    if "date" in gold and event.date != gold["date"]:
        return False
    for kind in ("killed", "injured"):
        if kind in gold and not same_number(getattr(event, kind), gold[kind]):
            return False
    if "size" in gold and not same_number(event.size, gold["size"]):
        return False
    if "amount_usd" in gold and not same_number(event.size, gold["amount_usd"]):
        return False
    if gold.get("status") == "claimed":
        allowed = {"claimed", "hedged"} if gold.get("hedged") else {"claimed"}
        if event.modality not in allowed or names(analysis, (event.asserted_by or "",)) != {gold["claimed_by"].casefold()}:
            return False
    return True


def gold_events() -> list[tuple[str, int]]:
    if not GOLD.exists():
        return []
    gold = json.loads(GOLD.read_text(encoding="utf-8"))["articles"]
    return [(name, i) for name, expected in sorted(gold.items()) for i in range(len(expected["events"]))]


@pytest.mark.parametrize(("name", "number"), gold_events())
def test_every_gold_event_is_found(seeds: dict[str, tuple[dict[str, Any], Analysis]], name: str, number: int) -> None:
    expected, analysis = seeds[name]
    gold = expected["events"][number]
    found = [e for e in analysis.events if matches(e, gold, analysis)]
    assert found, f"{name}: no event matches {gold}; got {[(e.type, e.subtype, e.actors, e.place, e.date) for e in analysis.events]}"


def test_event_spans_are_sentences_of_the_document(seeds: dict[str, tuple[dict[str, Any], Analysis]]) -> None:
    for expected, analysis in seeds.values():
        for event in analysis.events:
            assert event.type in TYPES
            assert 0 <= event.start < event.end
            assert event.trigger is not None
        assert analysis.events


def test_publication_date_is_not_an_event_date(seeds: dict[str, tuple[dict[str, Any], Analysis]]) -> None:
    _, analysis = seeds["000_b91f1ef5999b48e8.txt"]
    kyiv = [e for e in analysis.events if e.subtype == "drone strike" and e.place == "Kyiv"]
    assert kyiv and all(e.date != "2024-10-26" for e in kyiv)


def single(sentence: str, wanted: str = "deploy troops") -> Event:
    analysis = run(make_article("case", "", sentence, "2024-10-26"))
    found = [e for e in analysis.events if e.type == wanted]
    assert found, f"no {wanted} event in {sentence!r}: {analysis.events}"
    return found[0]


@pytest.mark.parametrize(("sentence", "modality"), [
    ("Russia deployed troops to Belarus on Monday.", "asserted"),
    ("Russia may deploy troops to Belarus.", "hedged"),
    ("Russia reportedly deployed troops to Belarus.", "hedged"),
    ("Russia is planning to deploy troops to Belarus.", "planned"),
    ("Russia will deploy troops to Belarus next week.", "planned"),
    ("Russia did not deploy troops to Belarus.", "denied"),
])
def test_modality(sentence: str, modality: str) -> None:
    assert single(sentence).modality == modality


def test_attributed_event_is_claimed_by_the_speaker() -> None:
    analysis = run(make_article("case", "", "Polish President Andrzej Duda said that Russia deployed troops to Belarus.", "2024-10-26"))
    event = next(e for e in analysis.events if e.type == "deploy troops")
    assert event.modality == "claimed"
    assert names(analysis, (event.asserted_by or "",)) == {"andrzej duda"}


def test_denial_names_who_denies() -> None:
    analysis = run(make_article("case", "", "The Kremlin denied that Russia had deployed troops to Belarus.", "2024-10-26"))
    event = next(e for e in analysis.events if e.type == "deploy troops")
    assert event.modality == "denied"


def test_shooting_toll_without_numerals() -> None:
    event = single("A man was shot and killed and two women were wounded in Chicago on Saturday night.", "attack")
    assert event.subtype == "shooting"
    assert event.killed is not None and event.killed.value == 1
    assert event.injured is not None and event.injured.value == 2


def test_event_date_comes_from_its_sentence_not_publication() -> None:
    event = single("On Friday, a Russian missile attack hit a hospital in Dnipro.", "attack")
    assert event.date == "2024-10-25"
    assert event.subtype == "missile strike"


@pytest.mark.parametrize(("type_name", "subtype", "civilian", "expected"), [
    ("attack", "drone strike", False, ("Explosions/Remote violence", "Air/drone strike")),
    ("attack", "missile strike", True, ("Explosions/Remote violence", "Shelling/artillery/missile attack")),
    ("attack", "bombing", False, ("Explosions/Remote violence", "Remote explosive/landmine/IED")),
    ("attack", "shooting", True, ("Violence against civilians", "Attack")),
    ("attack", "armed clash", False, ("Battles", "Armed clash")),
    ("protest", None, False, ("Protests", "Peaceful protest")),
    ("protest", "with intervention", False, ("Protests", "Protest with intervention")),
    ("riot", "mob violence", False, ("Riots", "Mob violence")),
    ("arrest", None, False, ("Strategic developments", "Arrests")),
    ("sign or ratify agreement", None, False, ("Strategic developments", "Agreement")),
    ("abduct", None, False, ("Violence against civilians", "Abduction/forced disappearance")),
])
def test_ontology_maps_to_acled(type_name: str, subtype: str | None, civilian: bool, expected: tuple[str, str]) -> None:
    assert to_acled(type_name, subtype, civilian_target=civilian) == expected


def test_every_subtype_has_an_acled_code() -> None:
    for kind in TYPES.values():
        for subtype in (None, *kind.subtypes):
            event_type, sub_event_type = to_acled(kind.name, subtype)
            assert event_type and sub_event_type


@pytest.mark.parametrize(("title", "body", "sender", "receiver"), [
    ("Zelensky says North Korea is sending people to fight alongside Russian forces", "", "north korea", "russia"),
    ("", "Zelenskyy warned that Pyongyang was now sending people as well as weapons to Moscow's army.",
     "north korea", "russia"),
    ("", "The deployment of North Korean troops to Russia alarmed Seoul.", "north korea", "russia"),
    ("", "North Korea's dispatch of 10,000 soldiers to Russia was confirmed.", "north korea", "russia"),
    ("", "Russia's deployment of North Korean troops in Kursk alarmed Seoul.", "north korea", "russia"),
])
def test_deployment_sender_comes_first_and_the_side_fought_for_is_not_the_actor(
    title: str, body: str, sender: str, receiver: str
) -> None:
    """The forces' owner leads the actors; an army the troops are sent to or fight beside belongs to the
    receiving side, never to the deploying one."""
    analysis = run(make_article("case", title, body or title, "2024-10-14"))
    found = [e for e in analysis.events if e.type == "deploy troops"]
    assert found, f"no deployment in {title or body!r}"
    event = found[0]
    assert names(analysis, event.actors[:1]) == {sender}
    assert receiver in names(analysis, event.actors[1:] + event.targets)


def test_a_weather_storm_is_no_attack_but_storming_a_building_is() -> None:
    calm = run(make_article("case", "", "The storm dumped a year's rain on the region in eight hours.", "2024-10-30"))
    assert not [e for e in calm.events if e.type == "attack"]
    assert single("Gunmen stormed the police station in the town.", "attack").trigger == "stormed"


@pytest.mark.parametrize("body", [
    "Blinken said North Korean troops had begun combat in Russia's Kursk region. They are fighting alongside Russian forces, he said.",
    "North Korean troops have begun combat in the Kursk region. They are fighting alongside Russian forces.",
])
def test_they_is_the_subject_carried_over_never_a_town(body: str) -> None:
    analysis = run(make_article("case", "", body, "2024-11-14"))
    event = next(e for e in analysis.events if e.type == "attack" and e.trigger == "fighting")
    assert names(analysis, event.actors) == {"north korea"}


@pytest.mark.parametrize("sentence", [
    "The alliance would provide enhanced air, missile and drone defence to Poland.",
    "Russian billionaire Oleg Tinkov has blasted Russia's war in Ukraine.",
])
def test_weapons_as_equipment_and_blasted_as_criticism_are_no_attacks(sentence: str) -> None:
    analysis = run(make_article("case", "", sentence, "2024-03-01"))
    assert not [e for e in analysis.events if e.type == "attack"]


def test_not_ruling_out_a_deployment_leaves_it_possible_not_denied() -> None:
    event = single("Macron said he would not rule out sending Western troops to Ukraine.")
    assert event.modality != "denied"
    assert single("Sending Western troops to Ukraine cannot be ruled out.").modality == "hedged"
