"""The human-readable fact sheet of one article (`storyline show ID --facts`)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from storyline.model import Analysis, Place, Quantity


def _amount(q: Quantity | None) -> str:
    if q is None:
        return ""
    if q.value is not None:
        text = f"{q.value:,.0f}" if float(q.value).is_integer() else f"{q.value:,}"
    else:
        low = f"{q.min:,.0f}" if q.min is not None else "?"
        text = f"≥{low}" if q.max is None else f"{low}–{q.max:,.0f}"
    unit = f" {q.unit}" if q.unit else ""
    return ("~" if q.approximate else "") + text + unit


def render(console: Console, analysis: Analysis, document: str) -> None:
    """Print each kind of fact as a table; spans are shown as [start:end] into the article text."""
    names = {e.id: e.name for e in analysis.entities}

    table = Table("entity", "type", "role", "mentioned as", title="Entities", title_justify="left")
    surfaces: dict[str, set[str]] = {}
    for m in analysis.mentions:
        surfaces.setdefault(m.entity_id, set()).add(m.text)
    for e in sorted(analysis.entities, key=lambda e: (-len(surfaces.get(e.id, ())), e.name)):
        table.add_row(e.name, e.type, e.role or "", ", ".join(sorted(surfaces.get(e.id, ()))))
    console.print(table)

    table = Table("speaker", "kind", "quote", "span", title="Quotes", title_justify="left")
    for q in analysis.quotes:
        speaker = names.get(q.speaker_entity_id or "", q.speaker or "?")
        table.add_row(speaker, q.kind, q.content, f"[{q.content_start}:{q.content_end}]")
    console.print(table)

    table = Table("amount", "counted", "text", title="Numbers", title_justify="left")
    for n in analysis.quantities:
        table.add_row(_amount(n), n.counted or "", n.text)
    console.print(table)

    table = Table("text", "type", "value", "range", title="Dates", title_justify="left")
    for t in analysis.timerefs:
        span = f"{t.earliest}…{t.latest}" if t.earliest and t.latest and t.earliest != t.latest else (t.earliest or "")
        table.add_row(t.text, t.type, t.value, span)
    console.print(table)

    table = Table("place", "country", "lat, lon", "geonames", "mentions", title="Places", title_justify="left")
    places: dict[tuple[str, int | None], list[Place]] = {}
    for p in analysis.places:
        places.setdefault((p.name, p.geonameid), []).append(p)
    for (name, geonameid), found in places.items():
        p = found[0]
        coords = f"{p.lat:.2f}, {p.lon:.2f}" if p.lat is not None and p.lon is not None else ""
        table.add_row(name, p.country or "", coords, str(geonameid or ""), str(len(found)))
    console.print(table)

    table = Table("event", "actors → targets", "where", "when", "killed", "injured", "size", "modality", title="Events", title_justify="left")
    for ev in analysis.events:
        kind = ev.type + (f" / {ev.subtype}" if ev.subtype else "")
        who = ", ".join(names.get(a, a) for a in ev.actors)
        if ev.targets:
            who += " → " + ", ".join(names.get(t, t) for t in ev.targets)
        modality = ev.modality + (f" by {names.get(ev.asserted_by, ev.asserted_by)}" if ev.asserted_by else "")
        table.add_row(kind, who, ev.place or "", ev.date or "", _amount(ev.killed), _amount(ev.injured), _amount(ev.size), modality)
    console.print(table)

    table = Table("status", "by", "claim", "date", title="Claims", title_justify="left")
    for c in analysis.claims:
        by = names.get(c.claimant_entity_id or "", c.claimant or "")
        table.add_row(c.status, by, c.text, c.date or "")
    console.print(table)
