"""End-to-end ingest on real files: accounting, duplicates, bad input, idempotence."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from conftest import SEEDS, need
from storyline.pipeline import IngestOptions, ingest
from storyline.store import schema
from storyline.store.queries import get_article, list_articles, totals

NO_ANALYSIS = IngestOptions(analyze=False)


def seed_dir(tmp_path: Path) -> Path:
    """The two seed articles with sidecars carrying the publication dates from gold.json."""
    gold = json.loads((need(SEEDS) / "gold.json").read_text())
    folder = tmp_path / "seeds"
    folder.mkdir()
    for name, expected in gold["articles"].items():
        shutil.copy(SEEDS / name, folder / name)
        meta = {"published": expected["published"], "source": "seed outlet"}
        (folder / name).with_suffix(".meta.json").write_text(json.dumps(meta))
    return folder


def counts(engine) -> dict[str, int]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return {
            name: conn.execute(select(func.count()).select_from(table)).scalar_one()
            for name, table in (("articles", schema.articles), ("duplicates", schema.duplicates), ("errors", schema.ingest_errors))
        }


def test_seed_articles_ingest_cleanly(engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    gold = json.loads((need(SEEDS) / "gold.json").read_text())
    report = ingest(engine, [str(seed_dir(tmp_path))], NO_ANALYSIS)
    assert (report.inputs, report.new, report.errors) == (2, 2, 0)
    with engine.connect() as conn:
        stored = {row["title"]: row for row in list_articles(conn)}
        for expected in gold["articles"].values():
            row = stored[expected["title"]]
            assert row["published"].startswith(expected["published"])
            article = get_article(conn, row["id"])
            assert article is not None
            removed = {line["text"].strip() for line in article["removed"]}
            for line in expected["boilerplate_lines_removed"]:
                assert line in removed
                assert f"\n{line}\n" not in f"\n{article['text']}\n"


def test_bad_items_become_error_rows_and_the_rest_is_ingested(engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = seed_dir(tmp_path)
    (folder / "empty.txt").write_bytes(b"")
    (folder / "picture.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    good = {"id": "g1", "title": "Floods close roads", "text": "Heavy rain flooded the valley on Monday. Roads were closed.", "published": "2024-11-04"}
    other = {"id": "g2", "title": "Bridge reopens", "text": "The old bridge reopened to traffic after repairs lasting a year.", "published": "2024-11-05"}
    (folder / "feed.jsonl").write_text(json.dumps(good) + "\n{not json\n" + json.dumps(other) + "\n")
    with gzip.open(folder / "cut.jsonl.gz", "wt") as fh:
        fh.writelines(json.dumps(good | {"id": f"c{i}", "text": f"Report number {i} of a long series. " * 40}) + "\n" for i in range(400))
    data = (folder / "cut.jsonl.gz").read_bytes()
    (folder / "cut.jsonl.gz").write_bytes(data[: len(data) // 2])

    report = ingest(engine, [str(folder)], NO_ANALYSIS)
    stored = counts(engine)
    assert report.inputs == stored["articles"] + stored["duplicates"] + stored["errors"]
    assert report.new == stored["articles"]
    with engine.connect() as conn:
        rows = conn.execute(select(schema.ingest_errors.c.input_name, schema.ingest_errors.c.reason)).all()
        titles = {a["title"] for a in list_articles(conn, limit=1000)}
    reasons = {Path(name).name: reason for name, reason in rows}
    assert len(rows) == report.errors == 4
    assert set(reasons) == {"empty.txt", "picture.txt", "feed.jsonl", "cut.jsonl.gz"}
    assert "truncated" in reasons["cut.jsonl.gz"]
    assert {"Floods close roads", "Bridge reopens"} <= titles
    assert 2 + 2 < report.new < 2 + 2 + 400  # the lines before the cut are kept


def test_same_input_twice_adds_nothing(engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = seed_dir(tmp_path)
    (folder / "empty.txt").write_bytes(b"")
    first = ingest(engine, [str(folder)], NO_ANALYSIS)
    before = counts(engine)
    second = ingest(engine, [str(folder)], NO_ANALYSIS)
    assert counts(engine) == before
    assert second.new == second.duplicates == second.near_duplicates == 0
    assert second.unchanged + second.errors == first.inputs


def test_copies_are_recorded_as_duplicates_of_the_first(engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = seed_dir(tmp_path)
    original = (folder / "003_475177e114bdde18.txt").read_text()
    (folder / "zz_exact_copy.txt").write_text(original)
    syndicated = original.replace("READ MORE", "Share this article\n\nSign up for our newsletter") + "\n\nCopyright Example Wire 2025\n"
    (folder / "zz_syndicated.txt").write_text(syndicated.replace("The United States has issued", "The US has issued"))
    report = ingest(engine, [str(folder)], NO_ANALYSIS)
    assert (report.new, report.duplicates, report.near_duplicates) == (2, 1, 1)
    with engine.connect() as conn:
        data = totals(conn)
        first = next(a for a in list_articles(conn) if a["input_name"].endswith("003_475177e114bdde18.txt"))
        copies = get_article(conn, first["id"])["duplicates"]  # type: ignore[index]
    assert (data["duplicates"], data["near_duplicates"]) == (1, 1)
    assert sorted(c["kind"] for c in copies) == ["exact", "near"]


@pytest.mark.parametrize("threshold, expected_near", [(0.8, 1), (0.99, 0)])
def test_near_duplicate_threshold_is_configurable(engine, tmp_path: Path, threshold: float, expected_near: int) -> None:  # type: ignore[no-untyped-def]
    from storyline.dedup import DedupConfig

    folder = seed_dir(tmp_path)
    text = (folder / "000_b91f1ef5999b48e8.txt").read_text()
    edits = {"stark": "grave", "tangible": "real", "closely": "carefully", "finalized": "agreed", "brutal": "grim", "quickly": "soon"}
    for old, new in edits.items():
        text = text.replace(old, new)
    (folder / "zz_rescrape.txt").write_text(text.replace("Share your love", "Follow us on social media"))
    report = ingest(engine, [str(folder)], IngestOptions(analyze=False, dedup=DedupConfig(threshold=threshold)))
    assert report.near_duplicates == expected_near
