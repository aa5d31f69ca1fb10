"""How a story's claims and numbers changed: status histories and quantities over time.

Claims with the same signature are one proposition; their statuses (claimed → reported → confirmed /
denied / retracted), each with who, as of when and where that day comes from, form its history.
Quantities (troops sent, money given, people killed) are grouped by what they count and whose they
are, and shown per report with their bounds as stated — "thousands" stays a lower bound, a range stays
a range. A figure no event holds is placed by its counted noun, and a report's figures are added up
only where its words add them ("another 3,000"), never where a figure is merely restated.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from storyline.analyze.events import country_ids
from storyline.model import Analysis, Article, Claim, Event, Quantity
from storyline.stories.features import day

STATUS_ORDER = {"claimed": 0, "reported": 1, "confirmed": 2, "denied": 2, "retracted": 3}
EVENT_QUANTITIES = ("size", "killed", "injured", "missing", "evacuated")
SIZE_LABELS = {"deploy troops": "troops sent", "aid": "money given or pledged"}
ROLE_LABELS = {"killed": "people killed", "injured": "people injured", "missing": "people missing",
               "evacuated": "people evacuated"}
CASUALTY_STATES = {"killed": "killed", "dead": "killed", "injured": "injured", "wounded": "injured",
                   "missing": "missing", "evacuated": "evacuated"}
TROOP_NOUNS = frozenset({"troops", "soldiers", "forces", "personnel", "servicemen", "fighters", "marines",
                         "paratroopers", "reinforcements"})
ELISION_REACH = 60
"""How far (characters) a bare figure may stand from the figure whose noun it leaves out."""
ELIDED_NOUNS = frozenset({"january", "february", "march", "april", "may", "june", "july", "august", "september",
                          "october", "november", "december", "autumn", "spring", "summer", "winter", "year"})
"""Words the parser takes for a bare figure's noun when the real noun is left out ("3,000 in January")."""
INCIDENT_SUBTYPES = frozenset({"missile strike", "drone strike", "air strike", "shelling", "shooting", "bombing",
                               "grenade", "suicide bombing", "mob violence"})
"""Attacks that are one incident (a strike, a shooting); an "armed clash" or a bare "killed" may be a
war's running toll, which the whole story follows."""
ADDITIVE = frozenset({"another", "further", "additional", "extra"})
"""Words before a figure that put it on top of another; "more" does so after it ("3,000 more")."""


@dataclass(frozen=True, slots=True)
class Member:
    """One passage of a story with the article and facts it came from, and the development (one
    real-world happening) it belongs to when the caller knows it: counts of one incident form one
    series, so two strikes in one story are never read as one toll revised."""

    article: Article
    analysis: Analysis
    start: int
    end: int
    source: str | None = None
    development_id: str | None = None


def _published(article: Article) -> str:
    return article.published.date().isoformat() if article.published else ""


def as_of(claim: Claim, article: Article) -> str:
    """When the claim's status held: the day the text gives for it, else the report's publication day."""
    published = _published(article)
    found = day(claim.date)
    return found if found and (not published or found <= published) else published


def as_of_basis(claim: Claim, member: Member) -> str:
    """Where a claim's as-of day comes from, so a reader can weigh it: "sentence" (a date in its own
    sentence), "paragraph" (the nearest date in its paragraph), "article" (the same statement dated
    elsewhere in the article) or "published" (no date in the text, or a date away from the claim that is
    the report's own day: "confirms …" in a headline with "on Monday" further down a Monday report)."""
    found = day(claim.date)
    if found is None or found != as_of(claim, member.article):
        return "published"
    document = member.article.document
    sentence = _sentence_bounds(document, claim.start, claim.end)
    paragraph = (document.rfind("\n", 0, claim.start) + 1, (document.find("\n", claim.end) + 1 or len(document) + 1) - 1)
    dated = [t for t in member.analysis.timerefs if (t.value or "")[:10] == found]
    for basis, (left, right) in (("sentence", sentence), ("paragraph", paragraph)):
        if any(left <= t.start < right for t in dated):
            return basis if basis == "sentence" or found != _published(member.article) else "published"
    return "article" if found != _published(member.article) else "published"


def _sentence_bounds(document: str, start: int, end: int) -> tuple[int, int]:
    left = max(document.rfind(". ", 0, start), document.rfind("\n", 0, start))
    right_candidates = [i for i in (document.find(". ", end), document.find("\n", end)) if i >= 0]
    right = min(right_candidates) + 1 if right_candidates else len(document)
    return left + 1, right


def _sentence(article: Article, start: int, end: int) -> str:
    """The whole sentence around a span, so a reader sees the fact in its words."""
    left, right = _sentence_bounds(article.document, start, end)
    return article.document[left:right].strip()


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
                    "as_of_basis": as_of_basis(claim, member),
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


def _additive(quantity: Quantity, document: str) -> bool:
    """"another 3,000", "3,000 more troops": a figure on top of one given before, not a new estimate
    ("more than 10,000" is a bound, not an addition)."""
    before = document[max(0, quantity.start - 16) : quantity.start].casefold().split()
    words = quantity.text.casefold().split()
    after = document[quantity.end : quantity.end + 16].casefold().split()
    return (
        bool(before and before[-1] in ADDITIVE)
        or bool(words and words[0] in ADDITIVE)
        or (after[:1] == ["more"] and after[1:2] != ["than"])
    )


def _counted_role(quantity: Quantity) -> str | None:
    """The role a figure plays by what it counts: "soldiers killed" → killed, "troops" → size; None
    for things no series follows (flats, kilometres, percentages) or that the noun does not tell."""
    words = (quantity.counted or "").casefold().split()
    if words and words[-1] in CASUALTY_STATES:
        return CASUALTY_STATES[words[-1]]
    if words and words[-1] in TROOP_NOUNS and quantity.unit is None:
        return "size"
    return None


def _in_sentence(events: Iterable[Event], position: int) -> list[Event]:
    return [e for e in events if e.start <= position < e.end]


def _host(quantity: Quantity, role: str, member: Member, events: list[Event]) -> Event | None:
    """The event a figure no event holds belongs to.

    A troop count goes to a troop deployment: one in its own sentence, else one whose deploying party
    the sentence names ("North Korea's decision to deploy thousands of soldiers"), else the nearest in
    the passage. A casualty count goes to an event of its own sentence, if any.
    """
    here = _in_sentence(events, quantity.start)
    if role != "size":
        return here[0] if here else None
    local = [e for e in here if e.type == "deploy troops"]
    if local:
        return local[0]
    deployments = [e for e in events if e.type == "deploy troops"]
    return _closest(quantity, member, [e for e in deployments if e.actors]) or _closest(quantity, member, deployments)


def _closest(quantity: Quantity, member: Member, candidates: list[Event]) -> Event | None:
    """Of the candidates, one whose first actor the figure's sentence names, else the nearest."""
    left, right = _sentence_bounds(member.article.document, quantity.start, quantity.end)
    named = {m.entity_id for m in member.analysis.mentions if left <= m.start < right}
    pool = [e for e in candidates if e.actors and e.actors[0] in named] or candidates
    return min(pool, key=lambda e: abs(e.start - quantity.start)) if pool else None


def _owner(quantity: Quantity, member: Member) -> str | None:
    """The party named between a troop figure and its noun ("3,000 North Korean soldiers"), else the one
    party whose troops its sentence names ("put the number of North Korean troops in Russia at between
    10,000 and 12,000")."""
    document = member.article.document
    left, right = _sentence_bounds(document, quantity.start, quantity.end)
    owners = set()
    for mention in member.analysis.mentions:
        rest = document[mention.end : mention.end + 20].casefold().split()
        if not rest or rest[0].strip(".,;") not in TROOP_NOUNS:
            continue
        if quantity.end <= mention.start <= quantity.end + 4:
            return mention.entity_id
        if left <= mention.start < right:
            owners.add(mention.entity_id)
    return owners.pop() if len(owners) == 1 else None


def _elided(quantity: Quantity, events: list[Event], document: str) -> tuple[Event, str] | None:
    """A bare figure next to one an event of its sentence holds takes that figure's role: "between
    10,000 and 12,000 troops last year and another 3,000 in January" leaves the noun out as the same,
    and so does "3,000 more troops, in addition to the 10,000 it sent before"."""
    if quantity.unit is not None or (quantity.counted and quantity.counted.casefold() not in ELIDED_NOUNS):
        return None
    topped = _topped(quantity, document)
    for event in _in_sentence(events, quantity.start):
        for role in EVENT_QUANTITIES:
            held = getattr(event, role)
            if held is None or held.unit is not None:
                continue
            between = document[held.end : quantity.start]
            joined = " and " in f" {between} " and not any(mark in between for mark in ",;:()")
            if topped or (held.end <= quantity.start <= held.end + ELISION_REACH and joined):
                return event, role
    return None


def _topped(quantity: Quantity, document: str) -> bool:
    """"3,000 more, in addition to the 10,000 it sent before": the figure others are added to."""
    return "in addition to" in document[max(0, quantity.start - 40) : quantity.start].casefold()


def _placed(
    quantity: Quantity, member: Member, events: list[Event], held: Mapping[tuple[int, int], list[tuple[Event, str]]]
) -> tuple[Event | None, str] | None:
    """(event, role) of a figure, or None when no series follows it. The role its counted noun names
    wins over the slot an event filled: "about 4,000 soldiers killed" is a casualty count even where
    the parse also made it a deployment's size."""
    counted = _counted_role(quantity)
    for event, role in held.get((quantity.start, quantity.end), []):
        if counted is None or role == counted:
            return event, role
    if counted is not None:
        return _host(quantity, counted, member, events), counted
    return _elided(quantity, events, member.article.document)


def _party(quantity: Quantity, event: Event | None, member: Member, events: list[Event]) -> str | None:
    """Whose troops or money a size is: the party named with the figure, else its event's first actor,
    else that of the same kind of event in its paragraph the sentence names or that stands nearest
    ("Of them, 4,000 soldiers arrive first" are the troops the sentence before says Spain sends)."""
    named = _owner(quantity, member)
    if named is not None or event is None:
        return named
    if event.actors:
        return event.actors[0]
    document = member.article.document
    top, bottom = document.rfind("\n", 0, quantity.start), document.find("\n", quantity.end)
    bottom = bottom if bottom >= 0 else len(document)
    kin = [e for e in events if e.type == event.type and e.actors and top < e.start < bottom]
    closest = _closest(quantity, member, kin)
    return closest.actors[0] if closest is not None else None


def _anchor(role: str, event: Event | None, owner: str | None, names: Mapping[str, str]) -> str:
    """Whose count it is: the party the figure's own words name, else the deploying or giving party of
    its event, for sizes; casualty counts belong to their incident (the series key carries the
    development), revised report after report whatever actor or place each report names."""
    if role != "size":
        return ""
    if owner is not None:
        return names.get(owner, owner)
    return event.place or "" if event is not None else ""


def _incident(member: Member, events: list[Event], event: Event | None, quantity: Quantity) -> str | None:
    """The development whose own toll a casualty figure is, or None for a running toll the whole story
    follows as one series, so two strikes of one story keep two tolls and a war keeps one.

    A figure of a strike or shooting, or of an attack on one town, is that incident's; one of
    "fighting" (an armed clash) or of soldiers killed without a weapon named is the war's running toll;
    any other figure ("the toll rose to five", "three people were killed") is its passage's incident if
    the passage reports one."""
    if event is not None and event.type == "attack" and event.subtype in INCIDENT_SUBTYPES:
        return member.development_id
    if event is not None and event.type == "attack" and event.subtype is not None:
        return None
    if TROOP_NOUNS & set((quantity.counted or "").casefold().split()):
        return None
    if event is not None and _one_incident(event):
        return member.development_id
    return member.development_id if any(_one_incident(e) for e in events) else None


def _one_incident(event: Event) -> bool:
    """A strike or shooting, or an attack placed in a town rather than a whole country."""
    if event.type != "attack":
        return False
    local = event.geonameid is not None and event.geonameid not in country_ids()
    return event.subtype in INCIDENT_SUBTYPES or (event.subtype is None and local)


def _label(role: str, event_type: str) -> str:
    if role != "size":
        return ROLE_LABELS[role]
    return SIZE_LABELS.get(event_type, f"size ({event_type})" if event_type else "size")


def _point(published: str, article_id: str, values: list[dict[str, Any]]) -> dict[str, Any]:
    """One report's figures of one kind. A figure restated (headline and body) counts once. Figures on
    top of another ("10,000–12,000 at first, then another 3,000"; "3,000 more, in addition to the
    10,000–12,000") are added to the figure they top, bounds separately: the one "in addition to"
    introduces, else the last one before them. A figure after them is more likely their breakdown
    ("10,000 more soldiers and police: 5,000 soldiers ...") and figures without such words are
    revisions or parts, so nothing else is added up."""
    distinct: dict[tuple[Any, Any], dict[str, Any]] = {}
    for value in sorted(values, key=lambda v: v["start"]):
        distinct.setdefault((value["min"], value["max"]), value)
    kept = list(distinct.values())
    point: dict[str, Any] = {"as_of": published, "article_id": article_id, "values": kept}
    added = [v for v in kept if v["additive"]]
    base = next((v for v in kept if v["base"] and not v["additive"]), None)
    if added and base is None:
        base = next((v for v in reversed(kept) if not v["additive"] and v["start"] < added[0]["start"]), None)
    summed = [base, *added] if base is not None else []
    if summed and all(v["min"] is not None for v in summed):
        point["total"] = {
            "min": sum(v["min"] for v in summed),
            "max": sum(v["max"] for v in summed) if all(v["max"] is not None for v in summed) else None,
        }
    for value in kept:
        del value["base"]
    return point


def number_series(members: Iterable[Member], names: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """Each kind of quantity over time, one point per report.

    A kind is what is counted (`quantity`: size, killed, injured, missing, evacuated; `label` says it
    in words) × the event type × whose it is (`of`: the deploying or paying party for sizes, which the
    whole story follows; empty for casualties). Where a passage reports one incident (see
    `_incident`), its casualty figures form that incident's series (`development_id`, with the `place`
    its reports name most), so "killed in the Kharkiv strike" and "killed in the Odesa strike" stay
    apart however long the story runs; running tolls, and members without a development id, keep one
    casualty series per story. Figures come from events' slots and also from figures no event holds,
    placed by what they count (see `_placed`): a vague "thousands of soldiers" in a sentence without a
    deployment verb still reports the deployment's size, as a lower bound.
    """
    names = names or {}
    series: dict[tuple[str, str, str, str | None, str | None], dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    places: dict[tuple[str, str, str, str | None, str | None], Counter[str]] = defaultdict(Counter)
    for member in members:
        events = [e for e in member.analysis.events if member.start <= e.start < member.end]
        quantities = {(q.start, q.end): q for q in member.analysis.quantities if member.start <= q.start < member.end}
        held: dict[tuple[int, int], list[tuple[Event, str]]] = defaultdict(list)
        for event in events:
            for role in EVENT_QUANTITIES:
                quantity = getattr(event, role)
                if quantity is not None:
                    held[(quantity.start, quantity.end)].append((event, role))
                    quantities.setdefault((quantity.start, quantity.end), quantity)
        for quantity in quantities.values():
            placed = _placed(quantity, member, events, held)
            if placed is None:
                continue
            event, role = placed
            event_type = event.type if event is not None else ("deploy troops" if role == "size" else "")
            entry = _bounds(quantity) | {
                "article_id": member.article.id,
                "source": member.source,
                "start": quantity.start,
                "end": quantity.end,
                "sentence": _sentence(member.article, quantity.start, quantity.end),
                "event_date": day(event.date) if event is not None else None,
                "additive": _additive(quantity, member.article.document),
                "base": _topped(quantity, member.article.document),
            }
            owner = _party(quantity, event, member, events) if role == "size" else None
            unit = quantity.unit if role == "size" else None  # casualties are people, however the noun reads
            incident = _incident(member, events, event, quantity) if role != "size" else None
            kind = (role, event_type if role == "size" else "", _anchor(role, event, owner, names), unit, incident)
            series[kind][f"{_published(member.article)}|{member.article.id}"].append(entry)
            if event is not None and event.place:
                places[kind][event.place] += 1
    result = []
    for kind, reports in series.items():
        role, event_type, anchor, unit, incident = kind
        points = [_point(*key.split("|", 1), values) for key, values in sorted(reports.items())]
        place = places[kind].most_common(1)[0][0] if places[kind] else None
        result.append({"quantity": role, "label": _label(role, event_type), "unit": unit, "event_type": event_type,
                       "of": anchor, "development_id": incident, "place": place, "points": points})
    result.sort(key=lambda s: (s["points"][0]["as_of"], s["quantity"], s["event_type"], s["of"], s["development_id"] or ""))
    return result
