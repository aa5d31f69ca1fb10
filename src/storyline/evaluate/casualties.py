"""`storyline eval casualties`: killed and injured counts per incident on the Gun Violence Archive corpus.

Each GVA incident has one or more archived news pages (raw page text, boilerplate included) and the
archive's own killed / injured counts. Every page goes through the real pipeline (clean → analyze); a
page's toll is the first attack event in text order that states one — news leads state the toll of the
story's own incident, while the same page's sidebars and "related stories" come later. An incident's
toll is the value most pages report (ties broken towards the larger, since later reports revise tolls
upwards more often than down); pages stating none count as 0 only when no page states any.
The baseline predicts 0 killed and 0 injured for every incident.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from storyline.analyze import analyze_articles
from storyline.clean import CleanError, clean
from storyline.model import Analysis, Article, Quantity, RawItem

KINDS = ("killed", "injured")


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def count(quantity: Quantity | None) -> int | None:
    """A toll as one integer: the exact value, else the lower bound ("at least nine" → 9), else the upper."""
    if quantity is None:
        return None
    value = next((v for v in (quantity.value, quantity.min, quantity.max) if v is not None), None)
    return int(value) if value is not None else None


def article_tolls(analysis: Analysis) -> dict[str, int | None]:
    """Killed and injured stated by the first attack event that states each."""
    tolls: dict[str, int | None] = {kind: None for kind in KINDS}
    for event in sorted(analysis.events, key=lambda e: e.start):
        if event.type != "attack":
            continue
        for kind in KINDS:
            if tolls[kind] is None:
                tolls[kind] = count(getattr(event, kind))
    return tolls


def combine(reports: Sequence[int | None]) -> int:
    """The incident's toll from its pages' reports: the most frequent stated value, the larger on ties."""
    stated = [r for r in reports if r is not None]
    if not stated:
        return 0
    frequency = Counter(stated)
    return max(frequency, key=lambda value: (frequency[value], value))


def score(predicted: dict[str, dict[str, int]], gold: dict[str, dict[str, int]]) -> dict[str, Any]:
    """Exact-match accuracy of killed and injured over the gold incidents."""
    incidents = sorted(gold)
    if not incidents:
        return {"incidents": 0, "killed_accuracy": 0.0, "injured_accuracy": 0.0}
    result: dict[str, Any] = {"incidents": len(incidents)}
    for kind in KINDS:
        hits = sum(predicted.get(i, {}).get(kind, 0) == gold[i][kind] for i in incidents)
        result[f"{kind}_accuracy"] = round(hits / len(incidents), 4)
    return result


def _item(position: int, record: dict[str, Any]) -> RawItem:
    text = record.get("text") or ""
    return RawItem(
        input_name="gva/articles.jsonl",
        position=position,
        format="jsonl",
        raw=text.encode("utf-8"),
        text=text,
        title=record.get("title"),
        published=record.get("published"),
        url=record.get("url"),
    )


def _cleaned(records: Iterable[tuple[int, dict[str, Any]]]) -> Iterable[tuple[str, Article]]:
    for position, record in records:
        try:
            yield record["id"], clean(_item(position, record))
        except CleanError:
            continue


def evaluate(path: Path, *, limit: int | None = None) -> dict[str, Any]:
    """Score killed / injured per incident; `limit` takes the first N incidents by id."""
    incidents = {row["incident"]: row for row in read_jsonl(path / "incidents.jsonl")
                 if row.get("killed") is not None and row.get("injured") is not None}
    chosen = sorted(incidents)[:limit] if limit else sorted(incidents)
    members: dict[str, list[str]] = {}
    for row in read_jsonl(path / "clusters.jsonl"):
        if row["incident"] in incidents:
            members.setdefault(row["incident"], []).append(row["id"])
    wanted = {doc for incident in chosen for doc in members.get(incident, [])}
    records = [(i, r) for i, r in enumerate(read_jsonl(path / "articles.jsonl")) if r["id"] in wanted]
    cleaned = list(_cleaned(records))
    source_of = {article.id: source for source, article in cleaned}
    per_doc: dict[str, dict[str, int | None]] = {}
    for article, analysis in analyze_articles((a for _, a in cleaned), batch_size=8):
        per_doc[source_of[article.id]] = article_tolls(analysis)
    predicted = {
        incident: {kind: combine([per_doc[d][kind] for d in members.get(incident, []) if d in per_doc])
                   for kind in KINDS}
        for incident in chosen
    }
    gold = {incident: {kind: int(incidents[incident][kind]) for kind in KINDS} for incident in chosen}
    result = score(predicted, gold)
    result["articles"] = len(per_doc)
    result["baseline"] = score({i: {kind: 0 for kind in KINDS} for i in chosen}, gold)
    return result
