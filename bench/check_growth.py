"""Does a store grown in SQL link like one linked article by article? (a check, not a test)

Two stores of the same `--copies` copies of the base: one grown by `store_growth.grow` (copies of
the base's stories, no linker run), one made by storing and linking every copied article for real
(`insert_article`, `save_analysis`, `link_article`, in publication order, as the ingest writer
does). The real one may differ where copies meet: they share terms and places (only entities and
signatures are renamed), and about `overlap` copies share any day, so the linker may join passages
of different copies. The check prints how far the two stores agree (rows per table, the same story
and development groupings of the copied passages), then stores and links the same `--sample`
arrivals into both and compares what each arrival did and what it cost.

Usage: python bench/check_growth.py --base-store PATH [--copies 16] [--sample 100] [--folder DIR]
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from bench_linking import _arrivals, base_pairs, resample, store_and_link_all
from store_growth import Copy, grow

TABLES = ("articles", "entities", "mentions", "facts", "passages", "developments", "stories", "link_keys", "link_df")


def link_for_real(base: Path, target: Path, copies: int, step: int) -> float:
    """Every article of every copy stored and linked one by one, oldest first; returns seconds."""
    pairs = base_pairs(base)
    arrivals = [resample(article, analysis, Copy(c, c * step), Copy(c, c * step).article_id(article.id)) for c in range(copies) for article, analysis in pairs]
    arrivals.sort(key=lambda pair: (pair[0].published.isoformat() if pair[0].published else "", pair[0].id))
    started = time.perf_counter()
    store_and_link_all(target, arrivals, "real linking of the copies")
    return time.perf_counter() - started


def groupings(path: Path, column: str) -> dict[tuple[str, int], frozenset[tuple[str, int]]]:
    """Each copied passage's fellow passages in its story (or development); arrivals left out."""
    conn = sqlite3.connect(path)
    members: dict[str, set[tuple[str, int]]] = defaultdict(set)
    for article_id, start, group in conn.execute(f"SELECT article_id, start, {column} FROM passages WHERE article_id NOT LIKE 'f%'"):
        members[group].add((article_id, start))
    conn.close()
    return {passage: frozenset(group) for group in members.values() for passage in group}


def arrival_outcomes(path: Path) -> dict[tuple[str, int], tuple[str, tuple[str, int] | None]]:
    """What each arrival's passage did, and the story it joined named by its oldest copied passage."""
    conn = sqlite3.connect(path)
    oldest = dict(conn.execute("SELECT story_id, min(article_id || ':' || start) FROM passages WHERE article_id NOT LIKE 'f%' GROUP BY story_id").fetchall())
    rows = conn.execute(
        "SELECT c.article_id, c.start, c.kind, c.story_id FROM story_changes AS c WHERE c.article_id LIKE 'f%'"
    ).fetchall()
    conn.close()
    out = {}
    for article_id, start, kind, story_id in rows:
        name = oldest.get(story_id)
        out[(article_id, start)] = (kind, (name.split(":")[0], int(name.split(":")[1])) if name else None)
    return out


def counts(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(path)
    out = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}
    conn.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-store", type=Path, required=True)
    parser.add_argument("--copies", type=int, default=16)
    parser.add_argument("--overlap", type=int, default=8)
    parser.add_argument("--sample", type=int, default=100)
    parser.add_argument("--folder", type=Path, default=Path(tempfile.gettempdir()) / "storyline-check-growth")
    args = parser.parse_args()
    args.folder.mkdir(parents=True, exist_ok=True)
    pairs = base_pairs(args.base_store)
    days = [a.published.date() for a, _ in pairs if a.published]
    step = max(1, round(((max(days) - min(days)).days + 1) / args.overlap))
    grown, real = args.folder / "grown.db", args.folder / "real.db"
    for path in (grown, real):
        for leftover in path.parent.glob(f"{path.name}*"):
            leftover.unlink()
    grow_s = grow(args.base_store, grown, args.copies, step)["total"]
    real_s = link_for_real(args.base_store, real, args.copies, step)
    print(f"{args.copies} copies of {len(pairs)} base articles, a copy every {step} days; grown in {grow_s:.1f} s, linked for real in {real_s:.1f} s "
          f"({real_s / (args.copies * len(pairs)) * 1000:.0f} ms an article)\n")
    a, b = counts(grown), counts(real)
    print(f"{'table':<14} {'grown':>10} {'linked':>10} {'ratio':>6}")
    for t in TABLES:
        print(f"{t:<14} {a[t]:>10} {b[t]:>10} {a[t] / max(1, b[t]):>6.3f}")
    for column, label in (("story_id", "story"), ("development_id", "development")):
        g, r = groupings(grown, column), groupings(real, column)
        same = sum(1 for p in g if r.get(p) == g[p])
        print(f"passages whose {label} holds exactly the same passages in both: {same}/{len(g)} ({same / max(1, len(g)):.1%})")
    rows = {}
    for name, path in (("grown", grown), ("linked", real)):
        arrivals = _arrivals(pairs, args.copies, step, args.overlap, args.sample, seed=1, first=0)
        times = store_and_link_all(path, arrivals, "arrivals")
        rows[name] = (statistics.median(times) * 1000, statistics.fmean(times) * 1000, arrival_outcomes(path))
    print(f"\n{args.sample} arrivals stored and linked into each:")
    print(f"{'store':<7} {'median ms':>9} {'mean ms':>8} {'update/new_development/new_story':>34}")
    for name, (median, mean, outcomes) in rows.items():
        kinds = [kind for kind, _ in outcomes.values()]
        mix = "/".join(str(kinds.count(k)) for k in ("update", "new_development", "new_story"))
        print(f"{name:<7} {median:>9.1f} {mean:>8.1f} {mix:>34}")
    g, r = rows["grown"][2], rows["linked"][2]
    agree = sum(1 for p in g if r.get(p) == g[p])
    print(f"arrival passages with the same outcome (kind and story joined) in both: {agree}/{len(g)} ({agree / max(1, len(g)):.1%}); "
          f"median time ratio grown/linked x{rows['grown'][0] / rows['linked'][0]:.2f}")


if __name__ == "__main__":
    main()
