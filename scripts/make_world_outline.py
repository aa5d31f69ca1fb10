"""Build `src/storyline/web/static/world.json`, the country outlines the story map draws offline.

Source: Natural Earth 1:110m admin-0 countries (public domain), as shipped in the `geopandas==0.14.4`
wheel (`geopandas/datasets/naturalearth_lowres/`), read with `pyshp`. Neither is a runtime dependency:

    pip download geopandas==0.14.4 pyshp==3.1.6 --no-deps -d /tmp/wheels
    unzip /tmp/wheels/geopandas-0.14.4-py3-none-any.whl 'geopandas/datasets/naturalearth_lowres/*' -d /tmp/ne
    PYTHONPATH=<unzipped pyshp> python scripts/make_world_outline.py /tmp/ne/geopandas/datasets/naturalearth_lowres/naturalearth_lowres.shp

Coordinates are rounded to 0.1 degree and points closer than `--tolerance` degrees to the kept line
are dropped, which keeps the file near 100 kB.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import shapefile  # pyshp

OUT = Path(__file__).resolve().parents[1] / "src" / "storyline" / "web" / "static" / "world.json"


def _distance(point: tuple[float, float], a: tuple[float, float], b: tuple[float, float]) -> float:
    (x, y), (x1, y1), (x2, y2) = point, a, b
    dx, dy = x2 - x1, y2 - y1
    if dx == dy == 0:
        return ((x - x1) ** 2 + (y - y1) ** 2) ** 0.5
    return abs(dy * x - dx * y + x2 * y1 - y2 * x1) / (dx * dx + dy * dy) ** 0.5


def simplify(points: list[tuple[float, float]], tolerance: float) -> list[tuple[float, float]]:
    """Douglas–Peucker line simplification."""
    if len(points) < 3:
        return points
    index, worst = 0, 0.0
    for i in range(1, len(points) - 1):
        d = _distance(points[i], points[0], points[-1])
        if d > worst:
            index, worst = i, d
    if worst <= tolerance:
        return [points[0], points[-1]]
    return simplify(points[: index + 1], tolerance)[:-1] + simplify(points[index:], tolerance)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("shapefile")
    parser.add_argument("--tolerance", type=float, default=0.15)
    args = parser.parse_args()
    reader = shapefile.Reader(args.shapefile, encoding="latin-1")
    countries = []
    for record, shape in zip(reader.records(), reader.shapes(), strict=True):
        fields = record.as_dict()
        starts = list(shape.parts) + [len(shape.points)]
        rings = []
        for a, b in zip(starts, starts[1:]):
            ring = simplify([(round(x, 1), round(y, 1)) for x, y in shape.points[a:b]], args.tolerance)
            if len(ring) >= 4:
                rings.append([c for point in ring for c in point])
        if rings:
            countries.append({"iso": fields["iso_a3"], "name": fields["name"], "rings": rings})
    countries.sort(key=lambda c: c["name"])
    data = {"source": "Natural Earth 1:110m admin-0 countries (public domain), simplified", "countries": countries}
    OUT.write_text(json.dumps(data, separators=(",", ":"), ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{OUT}: {len(countries)} countries, {OUT.stat().st_size // 1024} kB")


if __name__ == "__main__":
    main()
