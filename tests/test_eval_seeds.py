"""The seed articles are the release gate: every fact gold.json lists must be found."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from conftest import SEEDS, need
from storyline.evaluate import run


def test_every_gold_fact_of_the_seeds_is_found() -> None:
    result = run("seeds", need(SEEDS))
    assert result["misses"] == []
    assert result["recall"] == 1.0
    checks = result["story_check_results"]
    assert checks == {"same_story": True, "claim_evolution": True, "number_evolution": True, "roundup_split": True}
    assert result["story_checks"] == 1.0


def test_a_fact_the_extractors_cannot_know_is_reported_missing(tmp_path: Path) -> None:
    for path in need(SEEDS).iterdir():
        shutil.copy(path, tmp_path / path.name)
    gold = json.loads((tmp_path / "gold.json").read_text())
    first = gold["articles"]["000_b91f1ef5999b48e8.txt"]
    first["entities"].append({"canonical": "Atlantis", "type": "GPE"})
    first["quantities"].append({"what": "boats", "value": 77, "unit": "boats"})
    first["quotes"][0]["speaker"] = "Andriy Yermak"
    (tmp_path / "gold.json").write_text(json.dumps(gold))
    result = run("seeds", tmp_path)
    assert result["recall"] < 1.0
    assert len(result["misses"]) == 3
    assert any("Atlantis" in miss for miss in result["misses"])


def test_story_checks_hold_the_gold_days_and_figures(tmp_path: Path) -> None:
    """A claim step on another day, or a troop total the articles do not add up to, fails its check."""
    for path in need(SEEDS).iterdir():
        shutil.copy(path, tmp_path / path.name)
    gold = json.loads((tmp_path / "gold.json").read_text())
    across = gold["across_articles"]
    across["claim_evolution"][-1]["as_of"] = "2025-04-30"
    across["number_evolution"][-1]["value"] = {"min": 13000, "max": 16000}
    (tmp_path / "gold.json").write_text(json.dumps(gold))
    checks = run("seeds", tmp_path)["story_check_results"]
    assert checks == {"same_story": True, "claim_evolution": False, "number_evolution": False, "roundup_split": True}
