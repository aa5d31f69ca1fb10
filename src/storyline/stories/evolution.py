"""How a story's claims and numbers changed: status histories and quantities over time.

Claims with the same signature are one proposition; their statuses (claimed → reported → confirmed /
denied / retracted), each with who and as of when, form its history. Quantities attached to events
(troops sent, people killed) are grouped by what they count and shown per report with their bounds as
stated — "thousands" stays a lower bound, a range stays a range.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from storyline.model import Analysis, Article, Claim, Quantity
from storyline.stories.features import day

STATUS_ORDER = {"claimed": 0, "reported": 1, "confirmed": 2, "denied": 2, "retracted": 3}
EVENT_QUANTITIES = ("size", "killed", "injured", "missing", "evacuated")


@dataclass(frozen=True, slots=True)
class Member:
    """One passage of a story with the article and facts it came from."""

    article: Article
    analysis: Analysis
    start: int
    end: int
    source: str | None = None


def _published(article: Article) -> str:
    return article.published.date().isoformat() if article.published else ""


def as_of(claim: Claim, article: Article) -> str:
    """When the claim's status held: the day the text gives for it, else the report's publication day."""
    published = _published(article)
    found = day(claim.date)
    return found if found and (not published or found <= published) else published


def _sentence(article: Article, start: int, end: int) -> str:
    """The whole sentence around a span, so a reader sees the fact in its words."""
    document = article.document
    left = max(document.rfind(". ", 0, start), document.rfind("\n", 0, start))
    right_candidates = [i for i in (document.find(". ", end), document.find("\n", end)) if i >= 0]
    right = min(right_candidates) + 1 if right_candidates else len(document)
    return document[left + 1 : right].strip()


def claim_histories(members: Iterable[Member], names: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """One entry per proposition: its status history in the order things happened."""
    names = names or {}
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for member in members:
        for claim in member.analysis.claims:
            if not member.start <= claim.start < member.end or not claim.signature:
                continue
            grouped[claim.signature].append(
                {
                    "status": claim.status,
                    "by": names.get(claim.claimant_entity_id or "", claim.claimant),
                    "by_entity_id": claim.claimant_entity_id,
                    "as_of": as_of(claim, member.article),
                    "published": _published(member.article),
                    "article_id": member.article.id,
                    "source": member.source,
                    "start": claim.start,
                    "end": claim.end,
                    "text": claim.text,
                    "sentence": _sentence(member.article, claim.start, claim.end),
                }
            )
    result = []
    for signature, steps in grouped.items():
        steps.sort(key=lambda s: (s["as_of"], STATUS_ORDER.get(s["status"], 9), s["published"], s["article_id"], s["start"]))
        result.append({"signature": signature, "proposition": steps[0]["text"], "status": steps[-1]["status"], "history": steps})
    result.sort(key=lambda c: (c["history"][0]["as_of"], c["signature"]))
    return result


def _bounds(quantity: Quantity) -> dict[str, Any]:
    """Value or bounds as stated; an approximate count without a number ("thousands") keeps its text."""
    low = quantity.value if quantity.value is not None else quantity.min
    high = quantity.value if quantity.value is not None else quantity.max
    return {"min": low, "max": high, "approximate": quantity.approximate, "text": quantity.text}


def number_series(members: Iterable[Member], names: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """Each kind of quantity (role × event type × actor or place) over time, one point per report.

    When one report gives several counts of the same kind from different events ("10,000–12,000 at
    first, then another 3,000"), the point also carries their total, bounds added separately.
    """
    names = names or {}
    series: dict[tuple[str, str, str], dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for member in members:
        for event in member.analysis.events:
            if not member.start <= event.start < member.end:
                continue
            anchor = names.get(event.actors[0], event.actors[0]) if event.actors else event.place or ""
            for role in EVENT_QUANTITIES:
                quantity = getattr(event, role)
                if quantity is None:
                    continue
                entry = _bounds(quantity) | {
                    "article_id": member.article.id,
                    "source": member.source,
                    "start": quantity.start,
                    "end": quantity.end,
                    "sentence": _sentence(member.article, quantity.start, quantity.end),
                    "event_date": day(event.date),
                }
                series[(role, event.type, anchor)][f"{_published(member.article)}|{member.article.id}"].append(entry)
    result = []
    for (role, event_type, anchor), reports in series.items():
        points = []
        for key in sorted(reports):
            published, article_id = key.split("|", 1)
            values = sorted({(v["start"], v["end"]): v for v in reports[key]}.values(), key=lambda v: v["start"])
            point: dict[str, Any] = {"as_of": published, "article_id": article_id, "values": values}
            if len(values) > 1 and all(v["min"] is not None for v in values):
                point["total"] = {
                    "min": sum(v["min"] for v in values),
                    "max": sum(v["max"] for v in values) if all(v["max"] is not None for v in values) else None,
                }
            points.append(point)
        result.append({"quantity": role, "event_type": event_type, "of": anchor, "points": points})
    result.sort(key=lambda s: (s["points"][0]["as_of"], s["quantity"], s["event_type"], s["of"]))
    return result
