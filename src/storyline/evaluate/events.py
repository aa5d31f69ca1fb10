"""`storyline eval events`: ACLED event types, fatalities and locations from the events' notes.

Each ACLED row is one coded event with a short description (`notes`). The note goes through the real
analyze stage with the event date as publication date; our events are mapped onto ACLED's scheme by
`ontology.to_acled`, after `code` picks the event the note is about and refines it the way ACLED's
codebook does (a demonstration where protesters use violence is a riot, one the police break up is a
protest with intervention; an attack on unarmed people is violence against civilians, one by an
unarmed crowd mob violence; unexplained explosions are shelling, not IEDs; an exchange of artillery
fire is a battle). Fatalities are
the note's own coded figure when it states one ("Fatalities coded as 4"), else the killed counts of its
violent events; location is the event's place, else the first geocoded place of the note.

No weights are fitted. The rules were written looking only at events dated 2020-04-27..2020-04-30
(`tune`); events dated after that are reported separately (`check`) as a held-out check.
The baseline predicts the majority event type and sub-event type and 0 fatalities.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from storyline.analyze import analyze_articles
from storyline.analyze.ontology import to_acled
from storyline.model import Analysis, Article, Event

TUNE_UNTIL = "2020-04-30"
_CODED = re.compile(r"(?:fatalit\w*)\s+(?:were\s+|was\s+)?coded\s+(?:as|at)\s+(\d+)", re.IGNORECASE)
_N_FATALITIES = re.compile(r"\b(\d+)\s+(?:fatalities|fatality)\b", re.IGNORECASE)
_NO_FATALITIES = re.compile(r"\b(?:no|neither|nor)\s+(?:[a-z]+\s+)?(?:fatalities|casualties|deaths)\b", re.IGNORECASE)
_INTERVENTION = re.compile(
    r"\b(?:dispers\w*|tear\s?gas|teargas|water cannon\w*|baton\w*|rubber bullets?|broke up|break up|"
    r"intervened|interfered|fined|cracked down)\b", re.IGNORECASE)
_POLICE_ACTION = re.compile(
    r"\b(?:police|security forces|authorities|officers|troops|soldiers)\b[^.]*\b(?:arrest\w*|detain\w*|"
    r"prevent\w*|stopp\w*|remov\w*|block\w*|beat\w*|fired)\b", re.IGNORECASE)
_PROTESTER_VIOLENCE = re.compile(
    r"\b(?:rioters?|riot\w*|clash\w*|pelted|hurled|threw|throwing|stones?|rocks?|molotov|burn\w*|torch\w*|"
    r"set fire|vandali\w*|damag\w*|ransack\w*|attacked|assaulted|beat|stormed|looted|violent\w*)\b", re.IGNORECASE)
_MOB = re.compile(r"\b(?:mob|villagers|residents|lynch\w*|vigilante\w*|group of|supporters of|members of)\b",
                  re.IGNORECASE)
_ARMED = re.compile(
    r"\b(?:militants?|soldiers?|troops?|forces?|army|police\w*|militia\w*|militiamen|rebels?|insurgents?|fighters?|"
    r"gunmen|armed|jihadists?|guards?|officers?|taliban|al shabaab|boko haram|isis|is|iswap|jnim|aqim|hts|sdf|ypg|pkk|"
    r"lna|gna|houthi\w*|naxals?|maoists?|bandits?|personnel|regime|ansar|brigades?|battalion|gendarm\w*|military|"
    r"positions?|checkpoints?|check ?posts?|check points?|posts?|bases?|convoys?|patrols?|governmental)\b",
    re.IGNORECASE)
_CIVILIAN = re.compile(
    r"\b(?:civilians?|residents?|villagers?|man|woman|men|women|child|children|boy|girl|farmers?|students?|"
    r"teachers?|journalists?|workers?|traders?|herders?|passengers?|drivers?|shopkeepers?|family|families|"
    r"people|person|teen\w*|youths?|migrants?|refugees?|activists?|doctors?|nurses?|businessman|"
    r"\w*leader|councillor|candidate|politicians?|villages?|homes?|houses?)\b", re.IGNORECASE)
_BATTLE_CUES = re.compile(
    r"\b(?:clash\w*|exchanged? (?:of )?fire|firefight|gunfight|shoot-?outs?|repell?ed|repulsed|fought|fighting|between|"
    r"engaged|ambush\w*|encounter)\b", re.IGNORECASE)
_VIOLENT_TYPES = ("attack", "abduct", "sexual violence", "seize territory")
_MOB_ACTORS = re.compile(
    r"\b(?:youths?|villagers|residents|locals|mob|crowd|group of|two groups|supporters|relatives|family members|"
    r"communit(?:y|ies)|pelted|stones|sticks|rioters?)\b", re.IGNORECASE)
_LETHAL_TYPES = ("attack", "abduct", "sexual violence", "riot", "seize territory", "loot or destroy property")
_DEVICE = re.compile(r"\b(?:ied|ieds|bombs?|landmines?|mines?|explosive devices?|explosives|car bomb|roadside|"
                     r"booby|detonat\w*|planted|suicide|improvised)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Prediction:
    event_type: str
    sub_event_type: str
    fatalities: int
    lat: float | None
    lon: float | None


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    radius = 6371.0088
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * radius * math.asin(math.sqrt(a))


def _main_event(events: Sequence[Event]) -> Event | None:
    """The event the note is about: the first protest or riot unless violence precedes it, else the
    first violent one — in its sentence, the most specific (an abduction or a capture rather than the
    attack it came with) — else the first of the rest."""
    ordered = sorted(events, key=lambda e: e.start)
    violent = [e for e in ordered if e.type in _VIOLENT_TYPES]
    if violent:
        same = [e for e in violent if e.start == violent[0].start]
        specific = [e for e in same if e.type != "attack"]
        ordered = [specific[0] if specific and e is violent[0] else e for e in ordered]
    for group in (("protest", "riot"), _VIOLENT_TYPES, ("loot or destroy property",
                                                        "disrupt weapons", "arrest", "establish base",
                                                        "sign or ratify agreement", "deploy troops")):
        first = next((e for e in ordered if e.type in group), None)
        if first is not None and (group != ("protest", "riot") or first.start == ordered[0].start
                                  or not any(e.type in _VIOLENT_TYPES and e.start < first.start for e in ordered)):
            return first
    return ordered[0] if ordered else None


def code(text: str, events: Sequence[Event]) -> tuple[str, str]:
    """ACLED (event_type, sub_event_type) for a note and its extracted events; a note in which no event
    was found is most likely a protest (roads blocked, pots banged), ACLED's commonest type."""
    main = _main_event(events)
    if main is None:
        return to_acled("protest")
    sentence = text[main.start:main.end]
    if main.type == "protest":
        rest = text[main.start:]
        if any(e.type == "riot" and e.start == main.start for e in events) or _PROTESTER_VIOLENCE.search(sentence):
            return to_acled("riot")
        if _INTERVENTION.search(rest) or _POLICE_ACTION.search(rest):
            return to_acled("protest", "with intervention")
        return to_acled("protest")
    if main.type == "riot":
        if main.subtype == "mob violence" or (_MOB.search(sentence) and not re.search(r"demonstrat|protest", sentence, re.IGNORECASE)):
            return to_acled("riot", "mob violence")
        return to_acled("riot")
    if main.type == "attack":
        subtype = main.subtype
        if subtype == "bombing" and not _DEVICE.search(sentence):
            subtype = "shelling"
        if subtype in ("shelling", "missile strike") and re.search(r"\bexchang\w*", sentence, re.IGNORECASE):
            subtype = "armed clash"
        trigger_at = sentence.find(main.trigger or "")
        attackers = sentence[:trigger_at] if trigger_at > 0 else sentence
        if subtype in (None, "armed clash") and _MOB_ACTORS.search(attackers) and not _ARMED.search(attackers):
            return to_acled("riot", "mob violence")
        return to_acled("attack", subtype, civilian_target=_one_sided(sentence))
    return to_acled(main.type, main.subtype)


def _one_sided(sentence: str) -> bool:
    """Whether an attack hit unarmed people: no sign of fighting, and at most one armed side named
    (armed words a few characters apart, "Taliban militants", "police forces", are one side)."""
    if _BATTLE_CUES.search(sentence):
        return False
    sides = 0
    last_end = -100
    for match in _ARMED.finditer(sentence):
        if match.start() - last_end > 12:
            sides += 1
        last_end = match.end()
    return sides <= 1


def fatalities(text: str, events: Sequence[Event]) -> int:
    """The note's coded fatality figure when stated, else the killed counts of its violent events."""
    coded = _CODED.search(text) or _N_FATALITIES.search(text)
    if coded:
        return int(coded.group(1))
    counted: dict[tuple[int, int], int] = {}
    for event in events:
        if event.type not in _LETHAL_TYPES:
            continue
        toll = event.killed
        if toll is None or toll.text.lower() in ("he", "she", "him", "her"):
            continue
        value = toll.value if toll.value is not None else toll.min
        if value is not None:
            counted[(toll.start, toll.end)] = int(value)
    return sum(counted.values())


def locate(analysis: Analysis, main: Event | None) -> tuple[float | None, float | None]:
    places = [p for p in analysis.places if p.lat is not None and p.lon is not None]
    if main is not None and main.geonameid is not None:
        match = next((p for p in places if p.geonameid == main.geonameid), None)
        if match is not None:
            return match.lat, match.lon
    return (places[0].lat, places[0].lon) if places else (None, None)


def predict(text: str, analysis: Analysis) -> Prediction:
    event_type, sub_event_type = code(text, analysis.events)
    lat, lon = locate(analysis, _main_event(analysis.events))
    return Prediction(event_type, sub_event_type, fatalities(text, analysis.events), lat, lon)


def score(rows: Sequence[dict[str, Any]], predictions: Sequence[Prediction]) -> dict[str, Any]:
    """Accuracies of type, sub-type and fatalities, and the share of locations within 25 km."""
    n = len(rows)
    if n == 0:
        return {"events": 0}
    within = sum(
        p.lat is not None and r.get("lat") is not None and haversine_km(p.lat, p.lon, r["lat"], r["lon"]) <= 25.0
        for r, p in zip(rows, predictions)
    )
    return {
        "events": n,
        "event_type_accuracy": round(sum(p.event_type == r["event_type"] for r, p in zip(rows, predictions)) / n, 4),
        "sub_event_type_accuracy": round(
            sum(p.sub_event_type == r["sub_event_type"] for r, p in zip(rows, predictions)) / n, 4),
        "fatalities_accuracy": round(sum(p.fatalities == int(r["fatalities"] or 0) for r, p in zip(rows, predictions)) / n, 4),
        "location_25km": round(within / n, 4),
    }


def baseline(rows: Sequence[dict[str, Any]]) -> list[Prediction]:
    """Majority event type and sub-event type of the rows themselves, 0 fatalities, no location."""
    event_type = Counter(r["event_type"] for r in rows).most_common(1)[0][0]
    sub_event_type = Counter(r["sub_event_type"] for r in rows).most_common(1)[0][0]
    return [Prediction(event_type, sub_event_type, 0, None, None) for _ in rows]


def _article(row: dict[str, Any]) -> Article:
    published = datetime.fromisoformat(row["date"]).replace(tzinfo=timezone.utc)
    return Article(id=row["id"], content_hash=row["id"], item_key=row["id"], title="", text=row["notes"] or "",
                   published=published, url=None, source="acled", author=None, language="en",
                   input_name="acled/events.jsonl", position=0, format="jsonl", raw=b"")


def evaluate(path: Path, *, limit: int | None = None) -> dict[str, Any]:
    """Score every note (the first `limit` in file order), overall and split into `tune` and `check`."""
    source = path / "events.jsonl" if path.is_dir() else path
    rows = [r for r in read_jsonl(source) if r.get("notes")][:limit] if limit else [
        r for r in read_jsonl(source) if r.get("notes")]
    predictions = [predict(article.text, analysis)
                   for article, analysis in analyze_articles((_article(r) for r in rows), batch_size=32)]
    result = score(rows, predictions)
    for name, keep in (("tune", lambda r: r["date"] <= TUNE_UNTIL), ("check", lambda r: r["date"] > TUNE_UNTIL)):
        pairs = [(r, p) for r, p in zip(rows, predictions) if keep(r)]
        result[name] = score([r for r, _ in pairs], [p for _, p in pairs])
    result["baseline"] = score(rows, baseline(rows))
    return result
