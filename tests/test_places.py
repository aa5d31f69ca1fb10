"""Geocoding of place mentions, checked against the seed expectations (within 25 km)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from math import asin, cos, radians, sin, sqrt
from pathlib import Path

import pytest

from storyline.analyze import entities, gazetteer, nlp, places
from storyline.model import Article, Place

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
GOLD = SEEDS / "gold.json"


def km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    dlat, dlon = radians(lat2 - lat1), radians(lon2 - lon1)
    a = sin(dlat / 2) ** 2 + cos(radians(lat1)) * cos(radians(lat2)) * sin(dlon / 2) ** 2
    return 2 * 6371 * asin(sqrt(a))


def make_article(text: str, title: str = "", name: str = "test") -> Article:
    return Article(id=name, content_hash=name, item_key=name, title=title, text=text,
                   published=datetime(2024, 10, 26, tzinfo=timezone.utc), url=None, source=None, author=None,
                   language="en", input_name=name, position=0, format="text", raw=b"")


def places_of(article: Article) -> list[Place]:
    doc = nlp.load()(article.document)
    return places.extract(doc, article, entities.extract(doc, article))


@pytest.fixture(scope="module")
def seed_places() -> dict[str, list[Place]]:
    if not GOLD.exists():
        pytest.skip(f"seeds not found at {SEEDS}")
    gold = json.loads(GOLD.read_text(encoding="utf-8"))["articles"]
    found = {}
    for name, expected in gold.items():
        lines = (SEEDS / name).read_text(encoding="utf-8").splitlines()[1:]
        body = "\n".join(line for line in lines if line.strip() not in expected["boilerplate_lines_removed"])
        found[name] = places_of(make_article(body.strip(), expected["title"], name))
    return found


def gold_places() -> list:
    if not GOLD.exists():
        return [pytest.param(None, None, marks=pytest.mark.skip(reason=f"seeds not found at {SEEDS}"))]
    gold = json.loads(GOLD.read_text(encoding="utf-8"))["articles"]
    return [pytest.param(name, e, id=e["canonical"]) for name, expected in sorted(gold.items())
            for e in expected["entities"] if "lat" in e]


@pytest.mark.parametrize(("name", "expected"), gold_places())
def test_gold_coordinates(seed_places: dict[str, list[Place]], name: str, expected: dict) -> None:
    place = next((p for p in seed_places[name] if p.name.casefold() == expected["canonical"].casefold()), None)
    assert place is not None
    assert km(place.lat, place.lon, expected["lat"], expected["lon"]) < 25
    assert gazetteer.countries()[place.country].name == expected["country"]
    assert place.geonameid is not None


def test_district_without_geonames_row_takes_its_parents_point(seed_places: dict[str, list[Place]]) -> None:
    found = seed_places["000_b91f1ef5999b48e8.txt"]
    district = next(p for p in found if p.name == "Solomianskyi district")
    kyiv = next(p for p in found if p.name == "Kyiv")
    assert district.geonameid is None
    assert (district.lat, district.lon, district.country) == (kyiv.lat, kyiv.lon, "UA")


def test_only_literal_places(seed_places: dict[str, list[Place]]) -> None:
    texts = {p.text for p in seed_places["000_b91f1ef5999b48e8.txt"]}
    assert "Pyongyang" not in texts and "Russian" not in texts and "North Korean" not in texts
    assert {"Dnipro", "Kyiv", "Seoul", "Ukraine"} <= texts


def test_countries_are_places_at_their_capital() -> None:
    found = places_of(make_article("Protests spread across France on Saturday."))
    france = next(p for p in found if p.text == "France")
    assert france.country == "FR" and france.geonameid == gazetteer.countries()["FR"].geonameid
    assert km(france.lat, france.lon, 48.85, 2.35) < 25


def test_namesakes_resolve_by_the_countries_in_context() -> None:
    assert places.geocode("Paris").country == "FR"
    assert places.geocode("Paris", {"US"}).country == "US"
    texan = places_of(make_article("A storm hit Paris, Texas, and other towns in the United States on Monday."))
    assert next(p for p in texan if p.text == "Paris").country == "US"


def test_us_states_are_not_taken_for_namesake_cities() -> None:
    found = places_of(make_article("Hurricane warnings were issued across Florida and Georgia on Monday."))
    florida = next(p for p in found if p.text == "Florida")
    assert florida.name == "Florida" and florida.country == "US"
    assert florida.geonameid == gazetteer.us_states()["florida"][1]


def test_alternate_spellings_geocode_to_the_city() -> None:
    kiev = places.geocode("Kiev", {"UA"})
    assert kiev is not None and kiev.name == "Kyiv" and km(kiev.lat, kiev.lon, 50.45, 30.52) < 25
