"""Linking cost per article as the store grows: 10k, 100k and 1M stored articles (not a test).

What is real and what is bulk-built:

- The base: `--base` ukraine-news articles (spread evenly over its 2022–2024 span) go through the
  real pipeline once (clean, spaCy analysis, store, online linking) into a SQLite store, cached
  under the temp folder until the code or the count changes (or pass `--base-store`).
- Each store of N articles is grown from the base in SQL by `store_growth.grow`, without running
  the linker: copy c of the base gets its dates moved `c * step` days on (`step` = the base's span /
  `--overlap`, so about `overlap` copies share any day and the density of articles per day is the
  same at every size), its ids renamed, and its entities and signatures renamed `X~c` (each copy is
  a separate set of storylines over the same vocabulary). Every table that storing and linking
  touch is filled, with its indexes; what is left out and why is in `store_growth`.
  `check_growth.py` compares such a store with one linked article by article.
- Measured, in a fresh process per store (so its peak resident memory is its own): `--sample` new
  articles, each a base article's analysis moved into one of the `overlap` newest copies (the
  store's present, where news arrives), under a new id (half keep the copy's entities: second
  reports; half get unknown ones and a few weeks' shift: new happenings), stored (`insert_article`
  + `save_analysis`) and linked (`link_article`) in one transaction each, as the ingest writer does;
  then 50 more under tracemalloc (kept out of the timed pass, which it would slow). The table shows
  the median, mean and p95 time per article, the peak memory traced per article (Python
  allocations), the process's resident memory before and at its peak, what the passages did, how
  many arrivals set off a story merge and the median time of those that did and did not (a fold
  writes every index key of the absorbed story, so its cost follows that story's size and, once the
  store outgrows the page cache, the disk), the store's size and the ratios to the smallest store. Goal: at most 2x from 10k to 1M, memory
  independent of the store's size.

Usage: python bench/bench_linking.py [--sizes 10000 100000 1000000] [--sample 200] [--base 150]
       [--overlap 8] [--base-store PATH] [--keep DIR [--reuse]]
"""

from __future__ import annotations

import argparse
import hashlib
import random
import shutil
import sqlite3
import statistics
import tempfile
import time
import tracemalloc
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from datetime import date, timedelta
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from store_growth import Copy, grow, moved

from storyline.model import Analysis, Article
from storyline.store import story_tables

REPO = Path(__file__).resolve().parents[1]
ARTICLES = REPO.parent / "shared" / "data" / "ukraine-news" / "articles.jsonl"
CACHE = Path(tempfile.gettempdir()) / "storyline-bench-cache"


def _code_digest(count: int) -> str:
    digest = hashlib.sha256(str(count).encode())
    for path in sorted((REPO / "src" / "storyline").rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.read_bytes())
    digest.update(ARTICLES.read_bytes())
    return digest.hexdigest()[:16]


def base_store(count: int) -> Path:
    """The base store: `count` ukraine-news articles through the real pipeline, built once and cached."""
    from storyline.pipeline import IngestOptions, ingest
    from storyline.store.db import open_store

    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"linking-base-{_code_digest(count)}.db"
    if path.exists():
        return path
    lines = ARTICLES.read_text(encoding="utf-8").splitlines()
    chosen = [lines[round(i * (len(lines) - 1) / max(1, count - 1))] for i in range(min(count, len(lines)))]
    corpus = CACHE / f"linking-base-{count}.jsonl"
    corpus.write_text("\n".join(chosen) + "\n", encoding="utf-8")
    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    engine = open_store(str(partial))
    started = time.perf_counter()
    ingest(engine, [str(corpus)], IngestOptions())
    engine.dispose()
    with sqlite3.connect(partial) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    partial.rename(path)
    for leftover in CACHE.glob(f"{partial.name}-*"):
        leftover.unlink()
    print(f"base store built by the real pipeline in {time.perf_counter() - started:.0f} s: {path}")
    return path


def base_pairs(base: Path) -> list[tuple[Article, Analysis]]:
    from storyline.store.db import open_store
    from storyline.store.facts import load_analysis
    from storyline.store.queries import load_article

    engine = open_store(str(base))
    with engine.connect() as conn:
        ids = [row[0] for row in conn.exec_driver_sql("SELECT id FROM articles ORDER BY published, id")]
        pairs = [(load_article(conn, i), load_analysis(conn, i)) for i in ids]
    engine.dispose()
    return pairs


def resample(article: Article, analysis: Analysis, copy: Copy, new_id: str) -> tuple[Article, Analysis]:
    """The base article as a new report in copy `copy`: the same renaming and date shift as its rows."""
    s = copy.suffix

    def ent(entity_id: str | None) -> str | None:
        return None if entity_id is None else f"{entity_id}{s}"

    def own(record: Any, **changes: Any) -> Any:
        return replace(record, article_id=new_id, **changes)

    dated = replace(
        article,
        id=new_id,
        content_hash=new_id,
        item_key=new_id,
        published=(article.published + timedelta(days=copy.days)) if article.published else None,
    )
    renamed = replace(
        analysis,
        article_id=new_id,
        entities=tuple(replace(e, id=ent(e.id)) for e in analysis.entities),
        mentions=tuple(own(m, entity_id=ent(m.entity_id)) for m in analysis.mentions),
        quotes=tuple(own(q, speaker_entity_id=ent(q.speaker_entity_id)) for q in analysis.quotes),
        quantities=tuple(own(q) for q in analysis.quantities),
        timerefs=tuple(own(t, value=moved(t.value, copy.days), earliest=moved(t.earliest, copy.days), latest=moved(t.latest, copy.days)) for t in analysis.timerefs),
        places=tuple(own(p, entity_id=ent(p.entity_id)) for p in analysis.places),
        events=tuple(own(e, actors=tuple(map(ent, e.actors)), targets=tuple(map(ent, e.targets)), date=moved(e.date, copy.days)) for e in analysis.events),
        claims=tuple(own(c, claimant_entity_id=ent(c.claimant_entity_id), signature=ent(c.signature), date=moved(c.date, copy.days)) for c in analysis.claims),
    )
    return dated, renamed


def _arrivals(pairs: list[tuple[Article, Analysis]], copies: int, step: int, overlap: int, count: int, seed: int, first: int) -> list[tuple[Article, Analysis]]:
    """New reports arriving at the store's present, dated within one of the newest copies: half are a
    copy's own article again (a second report: it updates a development), half carry entities no
    stored story has, 0–44 days off their twin (new happenings: candidates come only from shared
    vocabulary, and they open developments and stories)."""
    rng = random.Random(f"{seed}:{first}")  # a rerun on a kept store gets arrivals of its own
    out = []
    for i in range(count):
        c = copies - 1 - rng.randrange(min(overlap, copies))
        copy = Copy(c, c * step) if i % 2 else Copy(copies + first + i, c * step + rng.randrange(45))
        article, analysis = pairs[rng.randrange(len(pairs))]
        out.append(resample(article, analysis, copy, f"f{seed:x}{first + i:014x}"))
    return out


def store_and_link_all(target: Path, arrivals: list[tuple[Article, Analysis]], label: str) -> list[float]:
    """Store and link each arrival in a transaction of its own, as the ingest writer does; the seconds each took."""
    from storyline.store import writes
    from storyline.store.db import open_store
    from storyline.store.facts import save_analysis
    from storyline.stories.link import LinkConfig, link_article

    config = LinkConfig()
    engine = open_store(str(target))
    with engine.begin() as conn:
        run_id = writes.start_run(conn, {"bench": label})
    times = []
    for article, analysis in arrivals:
        before = time.perf_counter()
        with engine.begin() as conn:
            writes.insert_article(conn, article, run_id, b"", [])
            save_analysis(conn, analysis)
            link_article(conn, article, analysis, config)
        times.append(time.perf_counter() - before)
    engine.dispose()
    return times


def _status_mib(field: str) -> float:
    """A memory figure of this process from /proc (Linux): `VmRSS` now, `VmHWM` its peak.

    Not `getrusage`'s ru_maxrss, which a spawned process inherits from its parent across fork and
    exec: here the parent has just built a store, so the child's figure would be the build's.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def measure(target: Path, base: Path, copies: int, step: int, overlap: int, sample: int) -> dict[str, Any]:
    """Store and link `sample` arrivals, timed; then as many others under tracemalloc for memory
    (tracing slows Python down, so it never runs during the timed pass). Runs in a process of its own,
    forked from one that holds only the loaded code: its resident memory is the linker's."""
    from storyline.store.db import open_store

    pairs = base_pairs(base)
    with sqlite3.connect(target) as conn:
        first = conn.execute("SELECT count(*) FROM articles WHERE id >= 'f' AND id < 'g'").fetchone()[0]  # earlier runs' arrivals
    timed = _arrivals(pairs, copies, step, overlap, sample, seed=1, first=first)
    traced = _arrivals(pairs, copies, step, overlap, min(sample, 50), seed=2, first=first)
    rss_before = _status_mib("VmRSS")
    times = store_and_link_all(target, timed, "linking")
    rss_peak = _status_mib("VmHWM")  # before tracemalloc, whose own records would count
    peaks: list[int] = []
    tracemalloc.start()
    for pair in traced:
        tracemalloc.reset_peak()
        base_level = tracemalloc.get_traced_memory()[0]
        store_and_link_all(target, [pair], "linking, traced")
        peaks.append(tracemalloc.get_traced_memory()[1] - base_level)
    tracemalloc.stop()
    engine = open_store(str(target))
    with engine.connect() as conn:
        # Rows are never deleted here, so the last rowid is the count, without reading gigabytes.
        count = {t: conn.exec_driver_sql(f"SELECT max(rowid) FROM {t}").scalar_one() for t in ("articles", "stories", "developments", "link_keys", "facts")}
        changes = story_tables.story_changes
        ids = [article.id for article, _ in timed]
        kinds = dict(conn.execute(select(changes.c.kind, func.count()).where(changes.c.article_id.in_(ids)).group_by(changes.c.kind)).all())
        folding = set(conn.execute(select(changes.c.article_id).where(changes.c.article_id.in_(ids), changes.c.kind == "merged")).scalars())
    engine.dispose()
    plain = [t for i, t in zip(ids, times) if i not in folding]
    folded = [t for i, t in zip(ids, times) if i in folding]
    return {
        "linked": len(times),
        "median_ms": statistics.median(times) * 1000,
        "mean_ms": statistics.fmean(times) * 1000,
        "p95_ms": sorted(times)[int(0.95 * (len(times) - 1))] * 1000,
        "folds": len(folded),
        "plain_ms": statistics.median(plain) * 1000 if plain else float("nan"),
        "folded_ms": statistics.median(folded) * 1000 if folded else float("nan"),
        "peak_kib": max(peaks) / 1024,
        "rss_before_mib": rss_before,
        "rss_peak_mib": rss_peak,
        "mix": "/".join(str(kinds.get(k, 0)) for k in ("update", "new_development", "new_story")),
        **count,
    }


def _wait_until_grown(target: Path) -> None:
    """Wait while another process is still growing the store: `grow` builds it without a journal
    and switches it to WAL as its last step (byte 18 of a SQLite file's header is 2 in WAL mode)."""
    announced = False
    while True:
        with target.open("rb") as db:
            if db.read(100)[18:19] == b"\x02":
                return
        if not announced:
            print(f"  waiting for {target} to be grown (by another process)", flush=True)
            announced = True
        time.sleep(10)


def warm_up(base: Path, folder: Path, step: int) -> None:
    """Store and link a few articles into a throwaway one-copy store, so that every module the
    measured path uses is loaded here, once, before any measuring process is forked."""
    scratch = folder / "warm-up.db"
    grow(base, scratch, 1, step)
    store_and_link_all(scratch, _arrivals(base_pairs(base), 1, step, 1, 4, seed=3, first=0), "warm-up")
    for path in folder.glob("warm-up.db*"):
        path.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--sample", type=int, default=200)
    parser.add_argument("--base", type=int, default=150, help="ukraine-news articles analysed and linked for real")
    parser.add_argument("--overlap", type=int, default=8, help="copies of the base that share any one day")
    parser.add_argument("--base-store", type=Path, help="reuse this base store (one an earlier run built) instead of the cached or a new one")
    parser.add_argument("--reuse", action="store_true", help="with --keep: measure the stores already built there again")
    parser.add_argument("--keep", type=Path, help="build the stores in this folder and keep them (default: a temporary folder)")
    args = parser.parse_args()
    base = args.base_store or base_store(args.base)
    with sqlite3.connect(base) as conn:
        articles, first, last = conn.execute("SELECT count(*), min(substr(published, 1, 10)), max(substr(published, 1, 10)) FROM articles").fetchone()
    span = (date.fromisoformat(last) - date.fromisoformat(first)).days + 1
    step = max(1, round(span / args.overlap))
    print(f"base: {articles} articles, {first} to {last}; copies every {step} days, about {articles * args.overlap / span:.1f} articles per day", flush=True)
    folder = args.keep or Path(tempfile.mkdtemp(prefix="storyline-bench-linking-"))
    folder.mkdir(parents=True, exist_ok=True)
    warm_up(base, folder, step)
    rows = []
    try:
        for size in args.sizes:
            copies = max(1, round(size / articles))
            target = folder / f"linking-{size}.db"
            if args.reuse and target.exists():
                build = float("nan")
                _wait_until_grown(target)
            else:
                for leftover in folder.glob(f"linking-{size}.db*"):
                    leftover.unlink()
                # In a process of its own, so the build's memory never counts in the measuring process's.
                with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
                    phases = pool.submit(grow, base, target, copies, step).result()
                build = phases["total"]
                print(f"  {size}: grown in {build:.0f} s (" + ", ".join(f"{k} {v:.0f}" for k, v in phases.items() if k != "total") + ")", flush=True)
            # Forked from this process, which loaded the code once at the start: every size is measured
            # with the same code even if the source changes meanwhile, each in a process of its own.
            with ProcessPoolExecutor(max_workers=1, mp_context=get_context("fork")) as pool:
                row = pool.submit(measure, target, base, copies, step, args.overlap, args.sample).result()
            row |= {"size": size, "build_s": build, "disk_gib": sum(p.stat().st_size for p in folder.glob(f"linking-{size}.db*")) / 2**30}
            rows.append(row)
            print(f"  {size}: measured median {row['median_ms']:.1f} ms, mean {row['mean_ms']:.1f} ms, peak RSS {row['rss_peak_mib']:.0f} MiB", flush=True)
            if not args.keep:
                for path in folder.glob(f"linking-{size}.db*"):
                    path.unlink()
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    print()
    print("passages measured: updated a development / opened one in a known story / started a story; RSS: the measuring process's; "
          "folding: arrivals whose passage set off a story merge (its time is mostly moving the absorbed story's index keys)")
    print(
        f"{'stored':>9} {'stories':>8} {'link_keys':>10} {'facts':>10} {'disk GiB':>8} {'build s':>7} {'linked':>6} {'p50 ms':>7} {'mean ms':>7} "
        f"{'p95 ms':>7} {'x p50':>6} {'x mean':>6} {'RSS0 MiB':>8} {'peak RSS':>8} {'x RSS':>6} {'traced KiB':>10} {'passages':>12} "
        f"{'folding':>7} {'p50 no fold':>11} {'p50 fold':>8}"
    )
    small = rows[0]
    for r in rows:
        print(
            f"{r['articles']:>9} {r['stories']:>8} {r['link_keys']:>10} {r['facts']:>10} {r['disk_gib']:>8.2f} {r['build_s']:>7.0f} {r['linked']:>6} "
            f"{r['median_ms']:>7.1f} {r['mean_ms']:>7.1f} {r['p95_ms']:>7.1f} {r['median_ms'] / small['median_ms']:>6.2f} {r['mean_ms'] / small['mean_ms']:>6.2f} "
            f"{r['rss_before_mib']:>8.0f} {r['rss_peak_mib']:>8.0f} {r['rss_peak_mib'] / small['rss_peak_mib']:>6.2f} {r['peak_kib']:>10.0f} {r['mix']:>12} "
            f"{r['folds']:>7} {r['plain_ms']:>11.1f} {r['folded_ms']:>8.1f}"
        )
    big = rows[-1]
    print(
        f"ratio {big['articles']}/{small['articles']} stored: median time x{big['median_ms'] / small['median_ms']:.2f}, mean x{big['mean_ms'] / small['mean_ms']:.2f}, "
        f"p95 x{big['p95_ms'] / small['p95_ms']:.2f}, peak RSS x{big['rss_peak_mib'] / small['rss_peak_mib']:.2f}, "
        f"peak traced memory x{big['peak_kib'] / small['peak_kib']:.2f} (goal: time <= 2x, memory ~1x); "
        f"median of arrivals that folded no story x{big['plain_ms'] / small['plain_ms']:.2f}, of those that did x{big['folded_ms'] / small['folded_ms']:.2f}"
    )


if __name__ == "__main__":
    main()
