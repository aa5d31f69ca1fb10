"""The `seeds` task: recall of every fact `gold.json` lists for the two canonical seed articles.

The matching rules are gold.json's own: names compare after case-folding; a quote matches when the
extracted content covers at least 80% of the expected characters; numbers match exactly (ranges on
both bounds, "at least N" as a lower bound with no upper one). Each miss is listed, so a failing
release says what it lost.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

from sqlalchemy import select

from storyline.analyze import analyze_articles
from storyline.clean import clean
from storyline.model import Analysis, Article, Entity, Event, Quantity
from storyline.sources import read

GOLD_EVENT_TYPES = {
    "attack": {"attack"},
    "deploy troops": {"deploy troops"},
    "aid": {"aid"},
    "express concern / demand": {"express concern", "demand"},
    "sign or ratify agreement": {"sign or ratify agreement"},
    "confirm": {"confirm"},
    "demand": {"demand"},
}


def load(path: Path) -> tuple[dict[str, Any], list[Article]]:
    """Gold and the cleaned seed articles, with publication dates from gold (they are not in the texts)."""
    folder = path if path.is_dir() else path.parent
    gold = json.loads((folder / "gold.json").read_text())
    articles = []
    for name, expected in gold["articles"].items():
        for item in read([str(folder / name)], published=expected["published"]):
            articles.append(clean(item))  # type: ignore[arg-type]
    return gold, articles


def _fold(text: str | None) -> str:
    return (text or "").casefold().strip()


def _covered(expected: str, found: str) -> float:
    """Share of the expected characters that the found text reproduces, in order."""
    blocks = SequenceMatcher(None, expected, found, autojunk=False).get_matching_blocks()
    return sum(b.size for b in blocks) / max(1, len(expected))


def _number_matches(gold: Any, q: Quantity | None) -> bool:
    if q is None:
        return False
    if isinstance(gold, dict):
        low, high = gold.get("min"), gold.get("max")
        if q.value is not None:
            return low == q.value and high in (None, q.value) and "max" in gold and high == q.value
        return q.min == low and q.max == high
    return q.value == gold


def _quantity_matches(gold: dict[str, Any], q: Quantity) -> bool:
    if "value" in gold:
        return q.value == gold["value"]
    return q.value is None and q.min == gold.get("min") and q.max == gold.get("max")


class _Article:
    def __init__(self, article: Article, analysis: Analysis) -> None:
        self.document = article.document
        self.analysis = analysis
        self.entities: dict[str, Entity] = {e.id: e for e in analysis.entities}
        self.by_name = {_fold(e.name): e for e in analysis.entities}

    def name(self, entity_id: str | None) -> str:
        entity = self.entities.get(entity_id or "")
        return _fold(entity.name) if entity else ""

    def links(self, entity: Entity, alias: str, document: str) -> bool:
        """True when a mention of `entity` ends where an occurrence of `alias` ends.

        Titles and articles ("President", "The") stay outside a mention span by design, so a
        mention inside the alias that covers its head word counts as the alias being linked.
        """
        folded, needle = document.casefold(), alias.casefold()
        ends = set()
        start = folded.find(needle)
        while start >= 0:
            ends.add((start, start + len(needle)))
            start = folded.find(needle, start + 1)
        return any(
            m.entity_id == entity.id and lo <= m.start and m.end == hi for m in self.analysis.mentions for lo, hi in ends
        )


def _check_entity(art: _Article, gold: dict[str, Any]) -> list[str]:
    entity = art.by_name.get(_fold(gold["canonical"]))
    if entity is None:
        return [f"entity {gold['canonical']!r} not found"]
    return [
        f"alias {alias!r} of {gold['canonical']!r} not linked"
        for alias in gold.get("aliases_in_text", [])
        if not art.links(entity, alias, art.document)
    ]


def _check_quote(art: _Article, gold: dict[str, Any]) -> list[str]:
    for quote in art.analysis.quotes:
        speaker = art.name(quote.speaker_entity_id) or _fold(quote.speaker)
        if speaker == _fold(gold["speaker"]) and quote.kind == gold["kind"] and _covered(gold["text"], quote.content) >= 0.8:
            return []
    return [f"{gold['kind']} quote by {gold['speaker']!r} not found: {gold['text'][:50]!r}"]


def _check_quantity(art: _Article, gold: dict[str, Any]) -> list[str]:
    if any(_quantity_matches(gold, q) for q in art.analysis.quantities):
        return []
    return [f"quantity {gold['what']!r} not found"]


def _check_date(art: _Article, gold: dict[str, Any]) -> list[str]:
    for ref in art.analysis.timerefs:
        text, found = _fold(gold["text"]), _fold(ref.text)
        if (text in found or found in text) and (ref.value.startswith(gold["value"]) or ref.earliest == gold["value"]):
            return []
    return [f"date {gold['text']!r} → {gold['value']} not found"]


def _event_problems(art: _Article, gold: dict[str, Any], event: Event) -> list[str]:
    checks: list[tuple[str, Callable[[], bool]]] = [
        ("type", lambda: event.type in GOLD_EVENT_TYPES.get(gold["type"], {gold["type"]})),
        ("subtype", lambda: "subtype" not in gold or event.subtype == gold["subtype"]),
        ("actor", lambda: "actor" not in gold or _fold(gold["actor"]) in {art.name(a) for a in event.actors}),
        ("location", lambda: "location" not in gold or _fold(event.place) == _fold(gold["location"])),
        ("date", lambda: "date" not in gold or (event.date or "").startswith(gold["date"])),
        ("killed", lambda: "killed" not in gold or _number_matches(gold["killed"], event.killed)),
        ("injured", lambda: "injured" not in gold or _number_matches(gold["injured"], event.injured)),
        ("size", lambda: "size" not in gold or _number_matches(gold["size"], event.size)),
        ("amount", lambda: "amount_usd" not in gold or (event.size is not None and event.size.value == gold["amount_usd"])),
        ("status", lambda: "status" not in gold or event.modality in ("claimed", "hedged", "planned")),
        ("claimed_by", lambda: "claimed_by" not in gold or art.name(event.asserted_by) == _fold(gold["claimed_by"])),
        ("target", lambda: "target" not in gold or _fold(gold["target"]) in {art.name(t) for t in event.targets}),
    ]
    return [name for name, check in checks if not check()]


def _check_event(art: _Article, gold: dict[str, Any]) -> list[str]:
    best: list[str] | None = None
    for event in art.analysis.events:
        problems = _event_problems(art, gold, event)
        if not problems:
            return []
        if "type" not in problems and (best is None or len(problems) < len(best)):
            best = problems
    label = f"event {gold['type']} ({gold.get('actor', '?')}, {gold.get('location', gold.get('target', ''))})"
    return [f"{label}: closest differs in {', '.join(best)}" if best else f"{label}: no event of that type"]


CHECKS: dict[str, Callable[[_Article, dict[str, Any]], list[str]]] = {
    "entities": _check_entity,
    "quotes": _check_quote,
    "quantities": _check_quantity,
    "events": _check_event,
    "dates": _check_date,
}


def _point_matches(gold: dict[str, Any], article_id: str, point: dict[str, Any]) -> bool:
    """A report of the gold figure, as of the gold day. A vague figure ("thousands") must keep its word
    and be a lower bound without an upper one; numbers must match both bounds, as one stated figure or
    as the total the report adds up."""
    if point["article_id"] != article_id or point["as_of"] != gold["as_of"]:
        return False
    value = gold["value"]
    if isinstance(value, str):
        return any(
            _fold(value) in _fold(v["text"]) and v["min"] is not None and v["max"] is None for v in point["values"]
        )
    wanted = (value["min"], value["max"]) if isinstance(value, dict) else (value, value)
    stated = [(v["min"], v["max"]) for v in point["values"]] + ([(point["total"]["min"], point["total"]["max"])] if "total" in point else [])
    return wanted in stated


def story_checks(gold: dict[str, Any], folder: Path, articles: list[Article]) -> dict[str, bool]:
    """gold.json's `across_articles`, checked on stories linked in a throwaway store.

    The story that holds the round-up's claim must also hold the confirmation article; its claim
    history must go from claimed (by the gold claimant, as of the gold day) to confirmed (by the
    confirming party, as of its day); one of its number series must carry each gold report with its
    day and figure (see `_point_matches`); the round-up must feed other stories too.
    """
    from storyline.pipeline import IngestOptions, ingest
    from storyline.store import story_tables
    from storyline.store.db import open_store
    from storyline.stories.queries import story_detail

    expected = gold["across_articles"]
    by_name = {a.input_name.rsplit("/", 1)[-1]: a.id for a in articles}
    claimed, confirmed = expected["claim_evolution"][0], expected["claim_evolution"][-1]
    with tempfile.TemporaryDirectory(prefix="storyline-seeds-") as scratch:
        engine = open_store(f"sqlite:///{scratch}/seeds.db")
        for name, article in gold["articles"].items():
            ingest(engine, [str(folder / name)], IngestOptions(published=article["published"]))
        with engine.connect() as conn:
            passages = story_tables.passages
            rows = conn.execute(select(passages.c.article_id, passages.c.story_id)).all()
            stories_of: dict[str, set[str]] = {}
            for article_id, story_id in rows:
                stories_of.setdefault(article_id, set()).add(story_id)
            shared = stories_of.get(by_name[claimed["article"]], set()) & stories_of.get(by_name[confirmed["article"]], set())
            details = [story_detail(conn, story_id) for story_id in sorted(shared)]
        engine.dispose()

    def claim_evolves(detail: dict[str, Any]) -> bool:
        for claim in detail["claims"]:
            steps = [(s["status"], _fold(s["by"]), s["as_of"]) for s in claim["history"]]
            first = (claimed["status"], _fold(claimed["by"]), claimed["as_of"])
            last = (confirmed["status"], _fold(confirmed["by"]), confirmed["as_of"])
            if first in steps and last in steps and steps.index(first) < steps.index(last):
                return True
        return False

    def numbers_evolve(detail: dict[str, Any]) -> bool:
        return any(
            all(any(_point_matches(n, by_name[n["article"]], p) for p in series["points"]) for n in expected["number_evolution"])
            for series in detail["numbers"]
        )

    roundup = by_name[claimed["article"]]
    return {
        "same_story": bool(shared) == expected["same_story"],
        "claim_evolution": any(claim_evolves(d) for d in details if d),
        "number_evolution": any(numbers_evolve(d) for d in details if d),
        "roundup_split": len(stories_of.get(roundup, set())) >= 2,
    }


def evaluate(path: Path, *, limit: int | None = None) -> dict[str, Any]:
    """Recall per kind of fact over both seeds; `recall` is over every listed item; `story_checks`
    is the share of gold.json's `across_articles` expectations met."""
    gold, articles = load(path)
    analyses = {article.input_name.rsplit("/", 1)[-1]: _Article(article, analysis) for article, analysis in analyze_articles(articles)}
    found: dict[str, list[int]] = {kind: [0, 0] for kind in CHECKS}
    misses: list[str] = []
    for name, expected in gold["articles"].items():
        art = analyses[name]
        for kind, check in CHECKS.items():
            for item in expected.get(kind, []):
                problems = check(art, item)
                found[kind][1] += 1
                found[kind][0] += not problems
                misses.extend(f"{name}: {p}" for p in problems)
    total_found = sum(f for f, _ in found.values())
    total = sum(t for _, t in found.values())
    result: dict[str, Any] = {"recall": round(total_found / total, 4), "items": total}
    result.update({f"{kind}_recall": round(f / t, 4) if t else None for kind, (f, t) in found.items()})
    checks = story_checks(gold, path if path.is_dir() else path.parent, articles)
    result["story_checks"] = round(sum(checks.values()) / len(checks), 4)
    result["story_check_results"] = checks
    result["misses"] = misses
    return result
