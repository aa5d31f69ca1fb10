"""The command line as a user runs it: real processes, exit codes, JSON for scripts."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import SEEDS, need


def storyline(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "storyline.cli", *args],
        input=stdin.decode() if stdin is not None else None,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory, lasting_db_url: Callable[[str], str]) -> tuple[str, Path]:
    """A database holding the two seeds (without analysis, to keep the CLI tests quick) and a bad file."""
    folder = tmp_path_factory.mktemp("cli")
    gold = json.loads((need(SEEDS) / "gold.json").read_text())
    for name, expected in gold["articles"].items():
        (folder / name).write_bytes((SEEDS / name).read_bytes())
        (folder / name).with_suffix(".meta.json").write_text(json.dumps({"published": expected["published"], "source": "Seed Wire"}))
    (folder / "empty.txt").write_bytes(b"")
    db = lasting_db_url("cli")
    result = storyline("ingest", str(folder), "--db", db, "--no-analyze", "--json")
    assert result.returncode == 0, result.stderr
    return db, folder


def test_ingest_json_summary_accounts_for_every_item(tmp_path: Path, new_db_url: Callable[[str], str]) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text("Dam bursts after storm\n\nThe dam above the town burst on Sunday night after two days of rain.")
    (folder / "b.txt").write_bytes(b"")
    result = storyline("ingest", str(folder), "--db", new_db_url("x"), "--no-analyze", "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["inputs"] == 2 and summary["new"] == 1 and summary["errors"] == 1
    assert summary["inputs"] == sum(summary[k] for k in ("new", "duplicates", "near_duplicates", "unchanged", "errors"))


def test_strict_turns_rejected_items_into_exit_1(seeded: tuple[str, Path]) -> None:
    db, folder = seeded
    assert storyline("ingest", str(folder / "empty.txt"), "--db", db, "--no-analyze", "--strict", "-q").returncode == 1
    assert storyline("ingest", str(folder / "empty.txt"), "--db", db, "--no-analyze", "-q").returncode == 0


def test_usage_errors_exit_2(seeded: tuple[str, Path]) -> None:
    db, _ = seeded
    assert storyline("articles", "--db", db, "--limit", "zero").returncode == 2
    assert storyline("no-such-command").returncode == 2
    assert storyline("eval", "no-such-task", ".").returncode == 2


def test_articles_and_show_json_carry_the_documented_fields(seeded: tuple[str, Path]) -> None:
    db, _ = seeded
    listed = json.loads(storyline("articles", "--db", db, "--json").stdout)
    assert len(listed) == 2
    assert [a["published"][:10] for a in listed] == ["2025-04-30", "2024-10-26"]  # newest first
    shown = json.loads(storyline("show", listed[0]["id"][:8], "--db", db, "--json").stdout)
    assert {"id", "title", "text", "published", "url", "source"} <= set(shown)
    assert shown["source"] == "Seed Wire"
    assert shown["title"].startswith("US issues bold new demand")
    assert "READ MORE" in {line["text"].strip() for line in shown["removed"]}


def test_articles_filters_by_date_and_source(seeded: tuple[str, Path]) -> None:
    db, _ = seeded
    assert len(json.loads(storyline("articles", "--db", db, "--since", "2025-01-01", "--json").stdout)) == 1
    assert len(json.loads(storyline("articles", "--db", db, "--until", "2024-10-26", "--json").stdout)) == 1
    assert json.loads(storyline("articles", "--db", db, "--source", "Other", "--json").stdout) == []


def test_show_removed_and_raw(seeded: tuple[str, Path]) -> None:
    db, _ = seeded
    article_id = json.loads(storyline("articles", "--db", db, "--json").stdout)[1]["id"]
    removed = storyline("show", article_id, "--db", db, "--removed")
    assert removed.returncode == 0 and "Share your love" in removed.stdout
    raw = storyline("show", article_id, "--db", db, "--raw")
    assert raw.stdout.rstrip().endswith("Share your love")


def test_unknown_article_and_missing_database_exit_1(seeded: tuple[str, Path], tmp_path: Path) -> None:
    db, _ = seeded
    missing = storyline("show", "ffffffffffffffff", "--db", db)
    assert missing.returncode == 1 and "no article" in missing.stderr
    nothing = storyline("articles", "--db", str(tmp_path / "none.db"))
    assert nothing.returncode == 1 and "no storyline database" in nothing.stderr


def test_stdin_is_an_input(new_db_url: Callable[[str], str]) -> None:
    text = b"Ferry service resumes\n\nThe island ferry sailed again on Tuesday after a week of gales."
    db = new_db_url("s")
    result = storyline("ingest", "-", "--db", db, "--no-analyze", "--json", "--source", "Harbour Post", stdin=text)
    assert json.loads(result.stdout)["new"] == 1
    listed = json.loads(storyline("articles", "--db", db, "--json").stdout)
    assert listed[0]["title"] == "Ferry service resumes" and listed[0]["source"] == "Harbour Post"


def test_errors_command_lists_reasons(seeded: tuple[str, Path]) -> None:
    db, _ = seeded
    rows = json.loads(storyline("errors", "--db", db, "--json").stdout)
    assert [Path(r["input_name"]).name for r in rows] == ["empty.txt"]
    assert "empty" in rows[0]["reason"]


def test_fact_sheet_and_facts_json_after_analysis(new_db_url: Callable[[str], str]) -> None:
    gold = json.loads((need(SEEDS) / "gold.json").read_text())
    name = "000_b91f1ef5999b48e8.txt"
    db = new_db_url("facts")
    result = storyline("ingest", str(SEEDS / name), "--db", db, "--published", gold["articles"][name]["published"], "--json")
    assert json.loads(result.stdout)["analyzed"] == 1, result.stderr
    article = json.loads(storyline("articles", "--db", db, "--json").stdout)[0]
    sheet = storyline("show", article["id"], "--facts", "--db", db)
    assert sheet.returncode == 0
    for heading in ("Entities", "Quotes", "Numbers", "Dates", "Places", "Events", "Claims"):
        assert heading in sheet.stdout
    assert "Volodymyr Zelenskyy" in sheet.stdout and "Dnipro" in sheet.stdout
    facts = json.loads(storyline("facts", article["id"], "--db", db, "--json").stdout)
    document = json.loads(storyline("show", article["id"], "--db", db, "--json").stdout)
    text = document["title"] + "\n\n" + document["text"]
    assert facts["quotes"] and all(text[q["content_start"]:q["content_end"]] == q["content"] for q in facts["quotes"])
    assert all(text[m["start"]:m["end"]] == m["text"] for m in facts["mentions"])


def test_a_command_closes_its_store_when_it_ends(tmp_path: Path) -> None:
    """In-process, as a program embedding the CLI runs it: SQLite folds its write-ahead log into the
    database file only when the last connection closes, so a store left open keeps every write in
    the log."""
    from typer.testing import CliRunner

    from storyline.cli import app

    story = tmp_path / "story.txt"
    story.write_text("Council approves budget\n\nThe city council approved the budget on Monday.\n")
    db = tmp_path / "store.db"
    result = CliRunner().invoke(app, ["ingest", str(story), "--db", str(db), "--no-analyze", "--json"])
    assert result.exit_code == 0, result.output
    log = db.with_name(db.name + "-wal")
    assert not log.exists() or log.stat().st_size == 0
