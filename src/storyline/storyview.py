"""The terminal view of one story (`storyline story ID`): timeline, claims, numbers."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table


def _bounds(value: dict[str, Any]) -> str:
    low, high = value.get("min"), value.get("max")
    if low is None and high is None:
        return value.get("text", "?")
    if high is None:
        text = f"≥{low:,.0f}"
    elif low == high:
        text = f"{low:,.0f}"
    else:
        text = f"{low:,.0f}–{high:,.0f}"
    return ("~" if value.get("approximate") else "") + text


def render(console: Console, detail: dict[str, Any]) -> None:
    console.print(f"[bold]{detail['title']}[/]")
    span = f"{detail.get('first_date')} → {detail.get('last_date')}"
    console.print(f"{span} · {detail.get('sources')} independent sources · {detail.get('articles')} articles", style="dim")
    people = ", ".join(e["name"] for e in detail.get("entities", []))
    places = ", ".join(e["name"] for e in detail.get("places", []))
    if people:
        console.print(f"about: {people}")
    if places:
        console.print(f"where: {places}")

    table = Table("happened", "what", "sources", title="Timeline", title_justify="left")
    for entry in detail.get("timeline", []):
        sources = ", ".join(sorted({s["source"] or s["title"][:30] for s in entry["sources"]}))
        table.add_row(entry["date"], entry["sentence"], sources)
    console.print(table)

    table = Table("claim", "status history", title="Claims", title_justify="left")
    for claim in detail.get("claims", []):
        steps = " → ".join(f"{s['status']} by {s['by'] or '?'} ({s['as_of']})" for s in claim["history"])
        table.add_row(claim["proposition"], steps)
    console.print(table)

    table = Table("number", "of", "as reported", title="Numbers", title_justify="left")
    for series in detail.get("numbers", []):
        points = []
        for point in series["points"]:
            # Figures are joined with "+" only when the report's own words add them up.
            stated = (" + " if "total" in point else " / ").join(_bounds(v) for v in point["values"])
            if "total" in point:
                stated += f" (= {_bounds(point['total'])})"
            points.append(f"{point['as_of']}: {stated}")
        # A per-incident casualty series has no "of" but a place, which tells two incidents apart.
        table.add_row(series.get("label") or f"{series['quantity']} ({series['event_type']})", series["of"] or series.get("place") or "", "\n".join(points))
    console.print(table)
