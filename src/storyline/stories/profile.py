"""The bounded summary of a development or story that linking scores new passages against.

A profile is a JSON-ready dict of capped counters, so it is stored in one row, loaded only for the
candidates the index returns, and never grows with the number of member passages.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

from storyline.stories.features import Passage, gap

COUNTERS = ("terms", "entities", "places", "fine_places", "cities", "persons", "types", "signatures", "dates", "core")
UNFADED = frozenset({"dates", "core"})
"""Counters that never fade: the dates members give, and the story's core — the entities it has named
over its whole life, which say what it is about however far its latest reports have drifted."""


def empty() -> dict[str, Any]:
    return {name: {} for name in COUNTERS} | {
        "n": 0,
        "date_lo": None,
        "date_hi": None,
        "pub_lo": None,
        "pub_hi": None,
        "killed": None,
        "injured": None,
        "titles": [],
        "articles": [],
    }


def _cap(counts: Mapping[str, float], size: int) -> dict[str, float]:
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:size]
    return dict(ranked)


def merge(profile: dict[str, Any], passage: Passage, *, max_terms: int, max_entities: int, max_articles: int = 200,
          half_life: float = 0.0, keep_core: bool = False) -> dict[str, Any]:
    """The profile with one more member passage.

    With a `half_life` (days), what the members said fades as the passage's happening date moves
    past the profile's latest one: counts are halved per half-life, so the capped counters keep
    what the storyline is about now rather than everything its beat ever named. `keep_core` also
    counts the passage's entities into the unfaded core (stories, for `stories.merge`).
    """
    out = dict(profile)
    fade = 1.0
    if half_life > 0 and profile["date_hi"] and passage.date > profile["date_hi"]:
        fade = 0.5 ** (gap(profile["date_hi"], passage.date) / half_life)
    additions: dict[str, Mapping[str, float]] = {
        "terms": passage.terms,
        "entities": passage.entities,
        "places": Counter(passage.places),
        "fine_places": Counter(passage.fine_places),
        "cities": passage.cities,
        "persons": Counter(passage.persons),
        "types": Counter(passage.event_types),
        "signatures": Counter(passage.signatures),
        "dates": Counter([passage.date]) if passage.dated else Counter(),
        "core": passage.entities if keep_core else {},
    }
    for name, counts in additions.items():
        merged = Counter({k: v * fade for k, v in (profile.get(name) or {}).items()} if fade < 1 and name not in UNFADED else profile.get(name) or {})
        merged.update(counts)
        out[name] = _cap(merged, max_terms if name == "terms" else max_entities)
    out["n"] = profile["n"] + 1
    out["date_lo"] = min(filter(None, (profile["date_lo"], passage.date)))
    out["date_hi"] = max(filter(None, (profile["date_hi"], passage.date)))
    out["pub_lo"] = min(filter(None, (profile["pub_lo"], passage.published)))
    out["pub_hi"] = max(filter(None, (profile["pub_hi"], passage.published)))
    for attr in ("killed", "injured"):
        value = getattr(passage, attr)
        if value is not None:
            out[attr] = max(value, profile[attr] or 0)
    articles = list(profile["articles"])
    if passage.article_id not in articles and len(articles) < max_articles:
        articles.append(passage.article_id)
    out["articles"] = articles
    return out


def combine(a: dict[str, Any], b: dict[str, Any], *, max_terms: int, max_entities: int, max_articles: int = 200,
            half_life: float = 0.0) -> dict[str, Any]:
    """One profile for two stories folded together (`stories.merge`).

    Each profile has faded up to its own latest happening date; the one that ends earlier is faded
    on to the other's end first, as if its members had arrived in date order with the other's, so
    the merged counters weigh recent reporting as a story grown in one piece would. Titles are kept
    from both and must be scored again by the caller (`add_title` with any one of them).
    """
    if (b["date_hi"] or "") < (a["date_hi"] or ""):
        a, b = b, a
    fade = 1.0
    if half_life > 0 and a["date_hi"] and b["date_hi"]:
        fade = 0.5 ** (gap(a["date_hi"], b["date_hi"]) / half_life)
    out = dict(b)
    for name in COUNTERS:
        merged = Counter({k: v * fade for k, v in (a.get(name) or {}).items()} if name not in UNFADED else a.get(name) or {})
        merged.update(b.get(name) or {})
        out[name] = _cap(merged, max_terms if name == "terms" else max_entities)
    out["n"] = a["n"] + b["n"]
    for low, high in (("date_lo", "date_hi"), ("pub_lo", "pub_hi")):
        out[low] = min(filter(None, (a[low], b[low])), default=None)
        out[high] = max(filter(None, (a[high], b[high])), default=None)
    for attr in ("killed", "injured"):
        values = [v for v in (a[attr], b[attr]) if v is not None]
        out[attr] = max(values) if values else None
    out["articles"] = list(dict.fromkeys(b["articles"] + a["articles"]))[:max_articles]
    out["titles"] = sorted(b["titles"] + [t for t in a["titles"] if t[1] not in {u[1] for u in b["titles"]}], key=lambda t: (-t[0], t[1]))
    return out


def idf_share(known: Mapping[str, int], total: int, keys: list[str], floor: int = 1) -> tuple[dict[str, float], dict[str, float]]:
    """Smoothed IDF and share of passages for `keys`, from their document frequencies (`known`,
    absent = 0) among `total` passages, counted as they stand once the passage being linked is in
    them (`link._idf` counts the passage in first, the merge reads them as they stand); the share's
    passage count is taken as at least `floor`."""
    idf = {k: math.log((total + 1) / (known.get(k, 0) + 0.5)) + 1.0 for k in keys}
    share = {k: known.get(k, 0) / max(total, floor) for k in keys}
    return idf, share


def happened(profile: Mapping[str, Any]) -> str:
    """The date the members agree the happening took place, else the earliest publication."""
    dates = profile.get("dates") or {}
    if dates:
        return sorted(dates.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
    return str(profile["pub_lo"])


def add_title(profile: dict[str, Any], title: str, article_id: str, centrality: Callable[[str], float], keep: int = 5) -> None:
    """Remember the most central headlines; the best one names the development or story.

    Every kept headline is scored again against the profile as it is now: scored once on arrival,
    the first member would always win (it is the whole profile when it arrives), and a story
    would keep the name of whatever began it, however far it has moved since.
    """
    kept = [(t[1], t[2]) for t in profile["titles"] if t[1] != title] + [(title, article_id)]
    titles = [[round(centrality(text), 6), text, source] for text, source in kept]
    titles.sort(key=lambda t: (-t[0], t[1]))
    profile["titles"] = titles[:keep]


def weights(counts: Mapping[str, float], idf: Mapping[str, float], prefix: str) -> dict[str, float]:
    """Log-scaled counts times inverse document frequency (a faded count under 1 weighs its value).

    Linking weighs every candidate's capped counters once per passage, so the look-ups are bound
    to locals here: the hottest loop of linking.
    """
    get, log = idf.get, math.log
    return {k: (1.0 + log(v) if v >= 1 else v) * get(prefix + k, 1.0) for k, v in counts.items() if v > 0}


def overlap(a: Mapping[str, float], b: Mapping[str, float], near: Callable[[str, str], bool] | None = None) -> float:
    """Share of the smaller side's mentions that the other side also makes (1 = same places).

    With `near`, a mention is matched by the other side's mentions of any place near it (a
    neighbourhood and its city, two gazetteer entries for one town), not only of the same place.
    """
    if not a or not b:
        return 0.0
    if sum(a.values()) > sum(b.values()):
        a, b = b, a
    if near is None:
        shared = sum(min(v, b[k]) for k, v in a.items() if k in b)
    else:
        shared = sum(min(v, sum(w for j, w in b.items() if j == k or near(k, j))) for k, v in a.items())
    return shared / sum(a.values())


def cosine(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    if not a or not b:
        return 0.0
    if len(a) > len(b):
        a, b = b, a
    dot = sum(v * b[k] for k, v in a.items() if k in b)
    if not dot:
        return 0.0
    return dot / (math.sqrt(sum(v * v for v in a.values())) * math.sqrt(sum(v * v for v in b.values())))
