"""Charts and maps drawn on the server as inline SVG: no script, no external asset, readable without CSS.

Every mark carries a `<title>`, so hovering shows the value and screen readers can read it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from datetime import date
from functools import lru_cache
from importlib.resources import files
from typing import Any

from markupsafe import Markup, escape


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value[:10])
    except (TypeError, ValueError):
        return None


def _fmt(value: float) -> str:
    if abs(value) >= 1e9:
        return f"{value / 1e9:.3g}bn"
    if abs(value) >= 1e6:
        return f"{value / 1e6:.3g}m"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _nice_ticks(top: float, count: int = 4) -> list[float]:
    """Round tick values from 0 to at least `top`."""
    if top <= 0:
        return [0.0, 1.0]
    raw = top / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    return [step * i for i in range(count + 2) if step * (i - 1) < top]


def sparkline(counts: Sequence[int], *, width: int = 120, height: int = 28, label: str = "") -> Markup:
    """A small bar sparkline of activity per period (oldest left)."""
    if not counts:
        return Markup("")
    peak = max(counts) or 1
    bar = width / len(counts)
    bars = []
    for i, n in enumerate(counts):
        h = max(1.5, (height - 2) * n / peak) if n else 0
        if h:
            bars.append(f'<rect x="{i * bar + 0.5:.1f}" y="{height - h:.1f}" width="{max(bar - 1, 1):.1f}" height="{h:.1f}"/>')
    return Markup(
        f'<svg class="spark" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" aria-label="{escape(label)}">'
        f"<title>{escape(label)}</title>{''.join(bars)}</svg>"
    )


def number_chart(series: dict[str, Any], *, width: int = 640, height: int = 240) -> Markup:
    """Each report of a quantity as a dot (exact), a bar (a range) or a dot with an arrow (a lower bound).

    The x axis is the report's date; the y axis starts at zero so changes are not exaggerated. When a
    report adds several figures up, the total is drawn beside them in its own colour.
    """
    marks: list[tuple[date, float | None, float | None, str, str]] = []
    for point in series.get("points", []):
        day = _day(point.get("as_of", ""))
        if day is None:
            continue
        values = list(point.get("values", []))
        if point.get("total"):
            values.append(point["total"] | {"text": "total of the figures in this report", "kind": "total"})
        for value in values:
            low, high = value.get("min"), value.get("max")
            if low is None and high is None:
                continue
            marks.append((day, low, high, value.get("text") or "", value.get("kind", "")))
    if not marks:
        return Markup("")
    left, right, top, bottom = 64, 16, 16, 36
    first, last = min(m[0] for m in marks), max(m[0] for m in marks)
    span_days = max((last - first).days, 1)
    peak = max(v for m in marks for v in (m[1], m[2]) if v is not None)
    ticks = _nice_ticks(peak * 1.05)
    ymax = ticks[-1] or 1.0

    def x(day: date) -> float:
        if first == last:
            return left + (width - left - right) / 2
        return left + (width - left - right) * (day - first).days / span_days

    def y(value: float) -> float:
        return top + (height - top - bottom) * (1 - value / ymax)

    parts = []
    for tick in ticks:
        parts.append(f'<line class="grid" x1="{left}" x2="{width - right}" y1="{y(tick):.1f}" y2="{y(tick):.1f}"/>')
        parts.append(f'<text class="tick" x="{left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end">{_fmt(tick)}</text>')
    if first == last:
        parts.append(f'<text class="tick" x="{x(first):.1f}" y="{height - 12}" text-anchor="middle">{first.isoformat()}</text>')
    else:
        steps = min(4, span_days)
        for i in range(steps + 1):
            day = date.fromordinal(first.toordinal() + round(span_days * i / steps))
            anchor = "start" if i == 0 else "end" if i == steps else "middle"
            parts.append(f'<text class="tick" x="{x(day):.1f}" y="{height - 12}" text-anchor="{anchor}">{day.isoformat()}</text>')
    for day, low, high, text, kind in marks:
        px = x(day) + (6 if kind == "total" else 0)
        if low is not None and high is not None and high != low:
            what, cls = f"{_fmt(low)}–{_fmt(high)}", "range total" if kind == "total" else "range"
            parts.append(f'<g class="{cls}"><title>{day}: {escape(what)} ({escape(text)})</title>'
                         f'<line x1="{px:.1f}" x2="{px:.1f}" y1="{y(low):.1f}" y2="{y(high):.1f}"/>'
                         f'<line x1="{px - 5:.1f}" x2="{px + 5:.1f}" y1="{y(low):.1f}" y2="{y(low):.1f}"/>'
                         f'<line x1="{px - 5:.1f}" x2="{px + 5:.1f}" y1="{y(high):.1f}" y2="{y(high):.1f}"/></g>')
        elif low is not None and high is None:
            what = f"at least {_fmt(low)}"
            parts.append(f'<g class="atleast"><title>{day}: {escape(what)} ({escape(text)})</title>'
                         f'<circle cx="{px:.1f}" cy="{y(low):.1f}" r="4.5"/>'
                         f'<path d="M{px:.1f},{y(low) - 7:.1f} l-4,6 h8 z"/></g>')
        elif low is None and high is not None:
            what = f"at most {_fmt(high)}"
            parts.append(f'<g class="atmost"><title>{day}: {escape(what)} ({escape(text)})</title>'
                         f'<circle cx="{px:.1f}" cy="{y(high):.1f}" r="4.5"/>'
                         f'<path d="M{px:.1f},{y(high) + 7:.1f} l-4,-6 h8 z"/></g>')
        else:
            what = _fmt(low)  # type: ignore[arg-type]
            parts.append(f'<g class="{"exact total" if kind == "total" else "exact"}"><title>{day}: {escape(what)} ({escape(text)})</title>'
                         f'<circle cx="{px:.1f}" cy="{y(low):.1f}" r="4.5"/></g>')  # type: ignore[arg-type]
    axis = f'<line class="axis" x1="{left}" x2="{width - right}" y1="{y(0):.1f}" y2="{y(0):.1f}"/>'
    return Markup(
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="chart of reported figures over time">'
        + axis + "".join(parts) + "</svg>"
    )


@lru_cache(maxsize=1)
def _world() -> list[tuple[str, tuple[float, float, float, float], str]]:
    """Each country's name, bounding box and outline as SVG path data in degrees (x = lon, y = lat),
    written once per process: a map only scales and moves them (`world_map`'s transform)."""
    data = json.loads(files("storyline.web").joinpath("static/world.json").read_text(encoding="utf-8"))
    countries = []
    for country in data["countries"]:
        xs = [c for ring in country["rings"] for c in ring[0::2]]
        ys = [c for ring in country["rings"] for c in ring[1::2]]
        outline = "".join(
            "M" + "L".join(f"{ring[i]:g},{ring[i + 1]:g}" for i in range(0, len(ring), 2)) + "Z" for ring in country["rings"]
        )
        path = f'<path d="{outline}"><title>{escape(country["name"])}</title></path>'
        countries.append((country["name"], (min(xs), min(ys), max(xs), max(ys)), path))
    return countries


def world_map(places: Sequence[dict[str, Any]], *, width: int = 640, height: int = 380) -> Markup:
    """Country outlines around the places, each place a marker sized by how often it is mentioned.

    `places` items need `name`, `lat`, `lon` and `count`. The view fits the markers with a margin,
    never narrower than a region, in an equirectangular projection corrected for latitude.
    """
    located = [p for p in places if p.get("lat") is not None and p.get("lon") is not None]
    if not located:
        return Markup("")
    lats = [float(p["lat"]) for p in located]
    lons = [float(p["lon"]) for p in located]
    mid_lat = (min(lats) + max(lats)) / 2
    squash = max(math.cos(math.radians(mid_lat)), 0.3)
    lon_span = max(max(lons) - min(lons), 16.0) * 1.3
    lat_span = max(max(lats) - min(lats), 10.0) * 1.3
    # Fit the view's aspect ratio to the canvas.
    if lon_span * squash / lat_span < width / height:
        lon_span = lat_span * width / height / squash
    else:
        lat_span = lon_span * squash * height / width
    lon0 = (min(lons) + max(lons)) / 2 - lon_span / 2
    lat1 = mid_lat + lat_span / 2

    def project(lon: float, lat: float) -> tuple[float, float]:
        return (lon - lon0) / lon_span * width, (lat1 - lat) / lat_span * height

    view = (lon0, lat1 - lat_span, lon0 + lon_span, lat1)
    paths = [path for _, (x0, y0, x1, y1), path in _world() if not (x1 < view[0] or x0 > view[2] or y1 < view[1] or y0 > view[3])]
    # `project` as an SVG transform of the outlines in degrees (their stroke is kept unscaled in CSS).
    scale_x, scale_y = width / lon_span, height / lat_span
    transform = f"matrix({scale_x:.6g} 0 0 {-scale_y:.6g} {-lon0 * scale_x:.6g} {lat1 * scale_y:.6g})"
    peak = max(int(p.get("count", 1)) for p in located)
    markers, labels = [], []
    taken: list[tuple[float, float, float, float]] = []
    for place in sorted(located, key=lambda p: -int(p.get("count", 1))):
        px, py = project(float(place["lon"]), float(place["lat"]))
        radius = 4 + 8 * math.sqrt(int(place.get("count", 1)) / peak)
        title = f"{place['name']}: mentioned {place.get('count', 1)} time(s)"
        markers.append(f'<circle class="marker" cx="{px:.1f}" cy="{py:.1f}" r="{radius:.1f}"><title>{escape(title)}</title></circle>')
        # Label the most mentioned places first, on the side with room, and skip labels that would collide.
        text_width = 7.0 * len(str(place["name"]))
        right_side = px + radius + 3 + text_width < width
        x0 = px + radius + 3 if right_side else px - radius - 3 - text_width
        box = (x0, py - 9, x0 + text_width, py + 5)
        if len(labels) < 10 and not any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in taken):
            taken.append(box)
            anchor = "start" if right_side else "end"
            lx = px + radius + 3 if right_side else px - radius - 3
            labels.append(f'<text class="label" x="{lx:.1f}" y="{py + 4:.1f}" text-anchor="{anchor}">{escape(place["name"])}</text>')
    return Markup(
        f'<svg class="map" viewBox="0 0 {width} {height}" role="img" aria-label="map of the places in this story">'
        f'<rect class="sea" width="{width}" height="{height}"/><g class="land" transform="{transform}">{"".join(paths)}</g>'
        f'{"".join(markers)}{"".join(labels)}</svg>'
    )
