"""Task `html`: article-body extraction on the Article Extraction Benchmark (AEB) layout.

Reads `ground-truth.json` (`{id: {"articleBody", "url"}}`) and `html/<id>.html.gz` under `path`, runs
each page through `storyline.sources` exactly as a user's file would go, and scores it with the
benchmark's own metric. Bare `trafilatura.extract` with default settings runs on the same pages as the
baseline, so the comparison is made in one run on one machine.
"""

from __future__ import annotations

import gzip
import json
import re
import statistics
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import trafilatura

from storyline.model import RawItem
from storyline.sources import read

SHINGLE_SIZE = 4

_TOKEN = re.compile(r"\w+")


def tokens(text: str) -> list[str]:
    """Runs of word characters: crude, but language-independent, which the benchmark needs."""
    return _TOKEN.findall(text or "")


def shingles(text: str, n: int = SHINGLE_SIZE) -> Counter[tuple[str, ...]]:
    """Multiset of n-token shingles; a text shorter than n tokens is one short shingle, empty text none."""
    words = tokens(text)
    if len(words) < n:
        return Counter([tuple(words)] if words else [])
    return Counter(tuple(words[i:i + n]) for i in range(len(words) - n + 1))


def page_counts(true: str, pred: str) -> tuple[float, float, float]:
    """TP, FP, FN over shingles, scaled to sum to 1 so every page weighs the same whatever its length."""
    truth, guess = shingles(true), shingles(pred)
    tp = sum((truth & guess).values())
    fp = sum((guess - truth).values())
    fn = sum((truth - guess).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def score(pairs: Iterable[tuple[str, str]]) -> dict[str, float | int]:
    """Benchmark metric over (truth, prediction) pairs: mean per-page P and R, F1 of the means, accuracy.

    As in the benchmark, a page counts toward precision only if something was predicted there and
    toward recall only if it has a truth; identical texts score 1 on both.
    """
    precisions: list[float] = []
    recalls: list[float] = []
    exact: list[bool] = []
    for true, pred in pairs:
        tp, fp, fn = page_counts(true, pred)
        perfect = fp == fn == 0
        if tp + fp > 0:
            precisions.append(1.0 if perfect else tp / (tp + fp))
        if tp + fn > 0:
            recalls.append(1.0 if perfect else tp / (tp + fn))
        exact.append(tokens(true) == tokens(pred))
    precision = statistics.fmean(precisions) if precisions else 0.0
    recall = statistics.fmean(recalls) if recalls else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "f1": round(f1, 4),
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "accuracy": round(statistics.fmean(exact), 4) if exact else 0.0,
        "pages": len(exact),
    }


def evaluate(path: Path, *, limit: int | None = None) -> dict[str, Any]:
    """Score our HTML path and the bare-trafilatura baseline on the first `limit` pages (sorted ids)."""
    truth = json.loads((path / "ground-truth.json").read_text(encoding="utf-8"))
    ids = sorted(truth)[:limit]
    ours: list[tuple[str, str]] = []
    baseline: list[tuple[str, str]] = []
    no_text = 0
    for page_id in ids:
        page = path / "html" / f"{page_id}.html.gz"
        body = truth[page_id].get("articleBody", "")
        items = list(read([str(page)]))
        item = items[0] if items else None
        if isinstance(item, RawItem):
            ours.append((body, item.text or ""))
        else:
            no_text += 1
            ours.append((body, ""))
        baseline.append((body, trafilatura.extract(gzip.decompress(page.read_bytes())) or ""))
    return {**score(ours), "no_text": no_text, "baseline": score(baseline)}
