"""The `html` task: the benchmark metric on hand-made texts, and a short run on real AEB pages."""

from __future__ import annotations

from pathlib import Path

import pytest

from storyline.evaluate.html import evaluate, page_counts, score, shingles

AEB = Path(__file__).resolve().parents[2] / "shared" / "data" / "aeb"


def test_shingles_of_short_and_empty_text() -> None:
    assert shingles("") == {}
    assert shingles("Two words") == {("Two", "words"): 1}
    assert shingles("a b c d a b c d") == {("a", "b", "c", "d"): 2, ("b", "c", "d", "a"): 1,
                                           ("c", "d", "a", "b"): 1, ("d", "a", "b", "c"): 1}


def test_one_changed_word_at_the_end() -> None:
    # truth shingles: (a b c d) (b c d e); prediction: (a b c d) (b c d x) -> TP 1, FP 1, FN 1
    assert page_counts("a b c d e", "a b c d x") == pytest.approx((1 / 3, 1 / 3, 1 / 3))
    result = score([("a b c d e", "a, b. c d x!")])
    assert result["precision"] == 0.5
    assert result["recall"] == 0.5
    assert result["f1"] == 0.5
    assert result["accuracy"] == 0.0


def test_averages_over_pages_and_empty_prediction() -> None:
    pairs = [("The cat sat on the mat today", "The cat — sat on the mat today."), ("One two three four five", "")]
    result = score(pairs)
    assert result["precision"] == 1.0  # the empty prediction has no precision to average
    assert result["recall"] == 0.5
    assert result["f1"] == pytest.approx(2 * 1.0 * 0.5 / 1.5, abs=1e-4)
    assert result["accuracy"] == 0.5
    assert result["pages"] == 2


def test_extra_text_costs_precision_only() -> None:
    truth = "alpha beta gamma delta epsilon zeta"
    result = score([(truth, truth + " share this article on social media")])
    assert result["recall"] == 1.0
    assert result["precision"] < 1.0


@pytest.mark.skipif(not AEB.is_dir(), reason=f"AEB data not found at {AEB}")
def test_runs_on_a_few_pages() -> None:
    result = evaluate(AEB, limit=4)
    assert result["pages"] == 4
    assert result["baseline"]["pages"] == 4
    for metrics in (result, result["baseline"]):
        for key in ("f1", "precision", "recall", "accuracy"):
            assert 0.0 <= metrics[key] <= 1.0
    assert result["f1"] > 0.5
