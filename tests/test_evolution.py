"""Claims and numbers over time, on records placed over the seeds' real text.

The records are built by hand (as the analyze stage would emit them) so that these tests pin down
what evolution makes of them: status histories in the order things happened, counts with honest
bounds, a report's several counts of one kind added up.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from conftest import SEEDS, need
from storyline.model import Analysis, Article, Claim, Event, Mention, Quantity, TimeRef
from storyline.stories.evolution import Member, as_of, as_of_basis, claim_histories, number_series

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


def _report(key: str, published: str, text: str) -> Article:
    return Article(
        id=key, content_hash=key, item_key=key, title="", text=text, published=datetime.fromisoformat(published).replace(tzinfo=UTC),
        url=None, source=key, author=None, language="en", input_name=key, position=0, format="text", raw=b"",
    )


def _figure(article: Article, phrase: str, counted: str | None, **bounds: float | bool) -> Quantity:
    start, end = _span(article, phrase)
    return Quantity(article.id, start, end, phrase, counted=counted, **bounds)  # type: ignore[arg-type]


def _event(article: Article, sentence: str, kind: str, actors: tuple[str, ...] = (), **roles: Quantity) -> Event:
    start, end = _span(article, sentence)
    return Event(article.id, start, end, kind, actors=actors, **roles)  # type: ignore[arg-type]


def _member(article: Article, events: tuple[Event, ...], quantities: tuple[Quantity, ...], **facts: Any) -> Member:
    held = {(q.start, q.end) for e in events for q in (e.size, e.killed, e.injured) if q is not None}
    free = tuple(q for q in quantities if (q.start, q.end) not in held)
    analysis = Analysis(article.id, "t", events=events, quantities=free + tuple(q for q in quantities if (q.start, q.end) in held), **facts)
    return Member(article, analysis, 0, len(article.document))


def test_a_vague_figure_no_event_holds_joins_the_deployment_series_as_a_lower_bound() -> None:
    early = _report("early", "2024-03-01", "Ruritania sent troops to the border on Monday. Officials said Ruritania could send thousands of soldiers.")
    thousands = _figure(early, "thousands", "soldiers", min=2000, approximate=True)
    mention = Mention(early.id, *_span(early, "Ruritania could"), "Ruritania", "ru")
    first = _member(early, (_event(early, "Ruritania sent troops to the border on Monday.", "deploy troops", ("ru",)),), (thousands,),
                    mentions=(Mention(early.id, 0, 9, "Ruritania", "ru"), mention))
    later = _report("later", "2024-05-01", "Ruritania has sent 4,500 troops to the border.")
    size = _figure(later, "4,500", "troops", value=4500)
    second = _member(later, (_event(later, later.document, "deploy troops", ("ru",), size=size),), (size,))
    (series,) = number_series([first, second], {"ru": "Ruritania"})
    assert (series["quantity"], series["label"], series["of"]) == ("size", "troops sent", "Ruritania")
    vague, exact = series["points"]
    assert [(v["min"], v["max"], v["approximate"], v["text"]) for v in vague["values"]] == [(2000, None, True, "thousands")]
    assert [(v["min"], v["max"]) for v in exact["values"]] == [(4500, 4500)]


def test_a_restated_figure_counts_once_and_its_breakdown_is_not_added() -> None:
    text = "Spain sends 8,000 more soldiers to the flood zone\n\nSpain will send 8,000 more soldiers and police. Of them, 4,000 soldiers arrive first."
    article = _report("spain", "2024-11-02", text)
    headline = _figure(article, "8,000", "soldiers", value=8000)
    body = Quantity(article.id, text.index("8,000", headline.end), text.index("8,000", headline.end) + 5, "8,000", value=8000, counted="soldiers")
    part = _figure(article, "4,000", "soldiers", value=4000)
    events = (
        _event(article, "Spain sends 8,000 more soldiers to the flood zone", "deploy troops", ("es",), size=headline),
        _event(article, "Spain will send 8,000 more soldiers and police.", "deploy troops", ("es",), size=body),
        _event(article, "Of them, 4,000 soldiers arrive first.", "deploy troops"),
    )
    (series,) = number_series([_member(article, events, (headline, body, part))], {"es": "Spain"})
    (point,) = series["points"]
    assert [(v["min"], v["additive"]) for v in point["values"]] == [(8000, True), (4000, False)]
    assert "total" not in point


@pytest.mark.parametrize(
    ("sentence", "held", "free", "counted"),
    [
        ("Ruritania sent between 1,000 and 1,200 troops last year and another 300 in January.", "between 1,000 and 1,200", "300", "january"),
        ("Ruritania sent 300 more troops, in addition to the 1,000 to 1,200 it deployed last year.", "300", "1,000 to 1,200", None),
    ],
)
def test_figures_on_top_of_another_are_added_up(sentence: str, held: str, free: str, counted: str | None) -> None:
    """The second figure leaves its noun out; it is the same kind, and "another"/"more" adds it up."""
    article = _report("r", "2025-03-01", sentence)
    bounds = {"min": 1000, "max": 1200}
    first = _figure(article, held, "troops", **(bounds if "," in held and "1,0" in held else {"value": 300}))
    second = _figure(article, free, counted, **(bounds if "1,0" in free else {"value": 300}))
    member = _member(article, (_event(article, sentence, "deploy troops", ("ru",), size=first),), (first, second))
    (series,) = number_series([member], {"ru": "Ruritania"})
    (point,) = series["points"]
    assert len(point["values"]) == 2
    assert point["total"] == {"min": 1300, "max": 1500}


def test_casualty_counts_revised_across_reports_form_one_series() -> None:
    first = _report("k1", "2024-11-04", "A missile strike on the city killed at least three people.")
    second = _report("k2", "2024-11-05", "The death toll rose to four, the governor said.")
    third = _report("k3", "2024-11-06", "Five people were killed in the strike, and 20 were injured.")
    three = _figure(first, "at least three", "people killed", min=3)
    four = _figure(second, "four", "people killed", value=4)
    five, twenty = _figure(third, "Five", "people killed", value=5), _figure(third, "20", None, value=20)
    members = [
        _member(first, (_event(first, first.document, "attack", ("ru",), killed=three),), (three,)),
        _member(second, (), (four,)),
        _member(third, (_event(third, third.document, "attack", killed=five, injured=twenty),), (five, twenty)),
    ]
    series = {s["quantity"]: s for s in number_series(members, {"ru": "Russia"})}
    assert set(series) == {"killed", "injured"}
    killed = series["killed"]
    assert killed["label"] == "people killed" and killed["of"] == ""
    assert [(p["as_of"], p["values"][0]["min"], p["values"][0]["max"]) for p in killed["points"]] == [
        ("2024-11-04", 3, None), ("2024-11-05", 4, 4), ("2024-11-06", 5, 5),
    ]


def test_as_of_basis_says_where_the_claims_day_comes_from() -> None:
    text = "North Korea confirmed it sent troops.\n\nIt confirmed its involvement on April 28. Officials said on April 29 that troops fought."
    article = _report("c", "2025-04-30", text)
    lead = _span(article, "it sent troops")
    late = _span(article, "troops fought")
    timerefs = (TimeRef(article.id, *_span(article, "April 28"), "April 28", "DATE", "2025-04-28"),
                TimeRef(article.id, *_span(article, "April 29"), "April 29", "DATE", "2025-04-29"))
    claims = (
        Claim(article.id, *lead, "it sent troops", "confirmed", "North Korea", "kp", SIGNATURE, "2025-04-28"),
        Claim(article.id, *late, "troops fought", "claimed", "Officials", None, "attack|x", "2025-04-29"),
        Claim(article.id, *late, "troops fought", "reported", "Officials", None, "attack|y", None),
    )
    member = Member(article, Analysis(article.id, "t", claims=claims, timerefs=timerefs), 0, len(text))
    assert [as_of_basis(c, member) for c in claims] == ["article", "sentence", "published"]
    steps = {h["signature"]: h["history"][0] for h in claim_histories([member])}
    assert steps[SIGNATURE]["as_of"] == "2025-04-28" and steps[SIGNATURE]["as_of_basis"] == "article"


def test_counts_of_separate_incidents_in_one_story_stay_apart_while_troops_sent_stay_one_series() -> None:
    """Two strikes of one long story are two developments: each one's toll is a series of its own, revised
    report by report, while the troops sent and a war's running toll are followed across the whole story."""
    def report(key: str, published: str, text: str, development: str, killed: tuple[str, str, float],
               troops: str | None = None, subtype: str | None = "missile strike", geonameid: int | None = None) -> Member:
        article = _report(key, published, text)
        place = next(word for word in ("Kharkiv", "Odesa", "Kursk") if word in text)
        toll = _figure(article, killed[0], killed[1], value=killed[2])
        events = [replace(_event(article, text.split(". ")[0] + ".", "attack", ("ru",), killed=toll), place=place, subtype=subtype,
                          geonameid=geonameid)]
        quantities = [toll]
        if troops is not None:
            size = _figure(article, troops, "troops", value=float(troops.replace(",", "")))
            events.append(_event(article, text.split(". ")[1], "deploy troops", ("nk",), size=size))
            quantities.append(size)
        return replace(_member(article, tuple(events), tuple(quantities)), development_id=development)

    members = [
        report("a1", "2024-11-04", "A missile strike on Kharkiv killed three people. North Korea sent 10,000 troops.",
               "dev-kharkiv", ("three", "people killed", 3), "10,000"),
        report("b1", "2024-11-05", "A missile strike on Odesa killed two people. North Korea sent 11,000 troops.",
               "dev-odesa", ("two", "people killed", 2), "11,000"),
        report("a2", "2024-11-06", "The Kharkiv missile strike toll rose to five. More later.", "dev-kharkiv", ("five", "killed", 5)),
    ]
    series = number_series(members, {"ru": "Russia", "nk": "North Korea"})
    killed = {s["development_id"]: s for s in series if s["quantity"] == "killed"}
    assert set(killed) == {"dev-kharkiv", "dev-odesa"}
    assert [p["values"][0]["min"] for p in killed["dev-kharkiv"]["points"]] == [3, 5]
    assert [p["values"][0]["min"] for p in killed["dev-odesa"]["points"]] == [2]
    assert (killed["dev-kharkiv"]["place"], killed["dev-odesa"]["place"]) == ("Kharkiv", "Odesa")
    (troops,) = [s for s in series if s["quantity"] == "size"]
    assert troops["of"] == "North Korea" and troops["development_id"] is None
    assert [p["values"][0]["min"] for p in troops["points"]] == [10000, 11000]
    without = number_series([replace(m, development_id=None) for m in members], {"ru": "Russia"})
    assert len([s for s in without if s["quantity"] == "killed"]) == 1
    running = [
        report("w1", "2024-12-17", "Fighting in Kursk killed 30 soldiers. More later.", "dev-december",
               ("30", "soldiers killed", 30), subtype="armed clash"),
        report("w2", "2025-01-13", "About 300 soldiers died in Kursk. More later.", "dev-january",
               ("About 300", "soldiers killed", 300), subtype=None),
    ]
    (toll,) = [s for s in number_series(running) if s["quantity"] == "killed"]
    assert toll["development_id"] is None and [p["values"][0]["min"] for p in toll["points"]] == [30, 300]
    kharkiv = 706483  # GeoNames: a city, so an attack there is one incident even without a weapon named
    town = report("t1", "2024-11-07", "An attack on Kharkiv killed four people. More later.", "dev-town",
                  ("four", "people killed", 4), subtype=None, geonameid=kharkiv)
    assert {s["development_id"] for s in number_series([*running, town]) if s["quantity"] == "killed"} == {None, "dev-town"}


def test_a_troop_figure_belongs_to_the_party_whose_troops_its_sentence_names_not_to_a_place() -> None:
    text = "Estimates of the deployment have grown. Officials put the number of Ruritanian troops in Borduria at between 1,000 and 1,200."
    article = _report("r", "2024-11-05", text)
    figure = _figure(article, "between 1,000 and 1,200", "troops", min=1000, max=1200)
    deployment = replace(_event(article, "Estimates of the deployment have grown.", "deploy troops"), place="Borduria")
    mention = Mention(article.id, *_span(article, "Ruritanian"), "Ruritanian", "ru")
    member = _member(article, (deployment,), (figure,), mentions=(mention,))
    (series,) = number_series([member], {"ru": "Ruritania"})
    assert (series["quantity"], series["of"]) == ("size", "Ruritania")
