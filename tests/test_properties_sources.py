"""Properties of every source reader on hostile bytes: never raise, account for every item, clean or refuse.

Files are written to disk and read through `storyline.sources.read`, the entry point the pipeline uses,
with the format sniffed or forced, plain or gzipped, with and without a metadata sidecar.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storyline.clean import CleanError, clean
from storyline.model import ItemError, RawItem
from storyline.sources import FORMATS, Limits, read
from storyline.sources.feed import fragment_text
from storyline.sources.metadata import parse_sidecar
from hostile import PROPERTIES, any_input, hostile_text, json_values, maybe_gzipped

LIMITS = Limits(max_bytes=256 * 1024, parse_timeout=20.0, max_chars=50_000)
NAMES = ("item", "item.txt", "item.html", "item.jsonl", "item.rss", "item.atom", "item.xml", "item.warc",
         "item.json", "item.txt.gz", "item.warc.gz", "item.jsonl.gz")
_counter = itertools.count()


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("hostile")


def _write(folder: Path, name: str, data: bytes) -> Path:
    """A fresh subfolder per example, so one example's file or sidecar never leaks into the next."""
    place = folder / str(next(_counter))
    place.mkdir()
    path = place / name
    path.write_bytes(data)
    return path


def _check(results: list[RawItem | ItemError], max_chars: int = LIMITS.max_chars) -> None:
    """Every result is an item or an error with a reason; every item cleans or is refused with a reason."""
    for result in results:
        assert isinstance(result, (RawItem, ItemError))
        if isinstance(result, ItemError):
            assert isinstance(result.reason, str) and result.reason.strip()
            assert isinstance(result.position, int)
            continue
        assert isinstance(result.raw, bytes)
        assert result.text is None or isinstance(result.text, str)
        try:
            article = clean(result, max_chars)
        except CleanError as exc:
            assert str(exc).strip()
            continue
        assert article.text and article.document.endswith(article.text)
        assert len(article.document) <= max_chars


@settings(PROPERTIES, max_examples=80)
@given(data=maybe_gzipped(), name=st.sampled_from(NAMES))
def test_any_bytes_under_any_name_yield_items_or_errors(folder: Path, data: bytes, name: str) -> None:
    path = _write(folder, name, data)
    results = list(read([str(path)], limits=LIMITS))
    assert results, "every input accounts for at least one item or error"
    _check(results)


@settings(PROPERTIES, max_examples=60)
@given(data=maybe_gzipped(), fmt=st.sampled_from([f for f in FORMATS if f != "url"]))
def test_any_bytes_forced_into_any_format_yield_items_or_errors(folder: Path, data: bytes, fmt: str) -> None:
    path = _write(folder, "item", data)
    results = list(read([str(path)], format=fmt, limits=LIMITS))
    assert results
    _check(results)


@settings(PROPERTIES, max_examples=40)
@given(data=any_input, sidecar=st.one_of(st.binary(max_size=300), json_values.map(lambda v: repr(v).encode()),
                                         st.dictionaries(st.sampled_from(("published", "url", "source", "title", "x")),
                                                         json_values, max_size=4).map(lambda d: json.dumps(d).encode())))
def test_sidecars_of_any_content_never_break_reading(folder: Path, data: bytes, sidecar: bytes) -> None:
    path = _write(folder, "item.html", data)
    path.with_name("item.html.meta.json").write_bytes(sidecar)
    results = list(read([str(path)], limits=LIMITS))
    assert results
    _check(results)


@settings(PROPERTIES, max_examples=300)
@given(data=st.binary(max_size=2000))
def test_parse_sidecar_only_raises_value_error(data: bytes) -> None:
    try:
        given_ = parse_sidecar(data)
    except ValueError as exc:
        assert str(exc).startswith("metadata sidecar")
        return
    for value in (given_.published, given_.url, given_.source, given_.title):
        assert value is None or isinstance(value, str)


@settings(PROPERTIES, max_examples=300)
@given(fragment=hostile_text)
def test_feed_html_fragments_become_text(fragment: str) -> None:
    text = fragment_text(fragment)
    assert isinstance(text, str)
    assert "\n\n\n" not in text
