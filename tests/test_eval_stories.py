"""The clustering scorer and the TF-IDF reference on tiny hand-made examples."""

from __future__ import annotations

import numpy as np
import pytest

from storyline.evaluate.developments import bcubed, single_pass


def test_bcubed_on_a_hand_computed_example() -> None:
    gold = {"a": "1", "b": "1", "c": "1", "d": "2", "e": "2"}
    predicted = {"a": "x", "b": "x", "c": "y", "d": "y", "e": "y"}
    precision, recall, f1 = bcubed(predicted, gold)
    # precision: a,b 2/2; c 1/3; d,e 2/3 -> (1+1+1/3+2/3+2/3)/5
    assert precision == pytest.approx((2 + 1 / 3 + 4 / 3) / 5)
    # recall: a,b 2/3; c 1/3; d,e 2/2 -> (2/3+2/3+1/3+1+1)/5
    assert recall == pytest.approx((5 / 3 + 2) / 5)
    assert f1 == pytest.approx(2 * precision * recall / (precision + recall))


def test_bcubed_extremes() -> None:
    gold = {"a": "1", "b": "1", "c": "2"}
    assert bcubed(gold, gold) == (1.0, 1.0, 1.0)
    singletons = bcubed({k: k for k in gold}, gold)
    assert singletons[0] == 1.0 and singletons[1] == pytest.approx((0.5 + 0.5 + 1) / 3)
    assert bcubed({}, gold) == (0.0, 0.0, 0.0)


def test_single_pass_joins_by_centroid_threshold() -> None:
    vectors = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9]])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    similarity = vectors @ vectors.T
    assert single_pass(similarity, 0.8) == [0, 0, 1, 1]
    assert single_pass(similarity, 0.999) == [0, 1, 2, 3]
    assert single_pass(similarity, 0.0) == [0, 0, 0, 0]
