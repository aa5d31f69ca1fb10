"""The CoNLL-2003 reader and conlleval-style scorer on hand-made data, and one real run of the task."""

from __future__ import annotations

from pathlib import Path

import pytest

from storyline.evaluate import ner

CONLL = Path(__file__).resolve().parents[2] / "shared" / "data" / "conll2003"


def test_iob1_and_iob2_spans() -> None:
    tags = ["I-PER", "I-PER", "O", "I-LOC", "B-LOC", "I-LOC", "I-ORG", "O", "B-MISC"]
    assert list(ner.iob_entities(tags)) == [(0, 2, "PER"), (3, 4, "LOC"), (4, 6, "LOC"), (6, 7, "ORG"), (8, 9, "MISC")]


def test_scorer_counts_exact_matches_only() -> None:
    gold = [{(0, 2, "PER"), (3, 4, "LOC"), (5, 6, "ORG"), (7, 8, "MISC")}]
    predicted = [{(0, 2, "PER"), (3, 5, "LOC"), (5, 6, "LOC"), (7, 8, "MISC")}]
    result = ner.score(gold, predicted)
    assert result["precision"] == pytest.approx(1 / 3, abs=1e-4)
    assert result["recall"] == pytest.approx(1 / 3, abs=1e-4)
    assert result["per_type"] == {"PER": 1.0, "LOC": 0.0, "ORG": 0.0, "MISC": 1.0}
    assert result["f1_all4"] == pytest.approx(0.5, abs=1e-4)


def test_evaluate_on_a_small_file(tmp_path: Path) -> None:
    rows = ["-DOCSTART- -X- O O", "", "Angela NNP I-NP I-PER", "Merkel NNP I-NP I-PER", "visited VBD I-VP O",
            "Paris NNP I-NP I-LOC", "on IN I-PP O", "Monday NNP I-NP O", ". . O O", "",
            "-DOCSTART- -X- O O", "", "Reuters NNP I-NP I-ORG", "reported VBD I-VP O", "from IN I-PP O",
            "Germany NNP I-NP I-LOC", ". . O O", ""]
    path = tmp_path / "tiny.conll"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = ner.evaluate(path)
    assert result["documents"] == 2 and result["gold_entities"] == 4
    assert 0.5 <= result["f1"] <= 1.0 and 0.0 <= result["baseline"]["f1"] <= 1.0
    assert ner.evaluate(path, limit=1)["gold_entities"] == 2


def test_real_data_beats_the_bare_model() -> None:
    if not (CONLL / "eng.testa").exists():
        pytest.skip(f"CoNLL-2003 not found at {CONLL}")
    result = ner.evaluate(CONLL, limit=8)
    assert result["documents"] == 8
    assert result["f1"] >= result["baseline"]["f1"]
