"""Linking cost per article as the store grows: 10k, 100k and 1M stored articles (not a test).

What is real and what is bulk-built:

- The base: `--base` ukraine-news articles (spread evenly over its 2022–2024 span) go through the
  real pipeline once (clean, spaCy analysis, store, online linking) into a SQLite store, cached
  under the temp folder until the code or the count changes.
- Each store of N articles is bulk-built from the base in SQL, without running the linker: copy c of
  the base gets its dates moved `c * step` days on (`step` = the base's span / `--overlap`, so about
  `overlap` copies share any day and the density of articles per day is the same at every size), its
  ids renamed, and its entities and signatures renamed `X~c` (each copy is a separate set of
  storylines over the same vocabulary). The rows copied are those linking and storing touch:
  articles (without the raw bytes and MinHash), entities, mentions, facts (with an empty `data`, so
  that a 1M store fits on a disk), and the story layer
  (stories, developments, passages, story_changes, link_keys, link_df with the frequencies the
  copies add up to). Story and development profiles are rewritten to match (renamed entities,
  signatures and article ids, shifted dates). Secondary indexes are built once at the end.
- Measured: `--sample` new articles, each a base article's analysis moved into one of the
  `overlap` newest copies (the store's present, where news arrives), under a new id (half keep the
  copy's entities: second reports; half get unknown ones and a few weeks' shift: new happenings), stored
  (`insert_article` + `save_analysis`) and linked (`link_article`) in one transaction, as the ingest
  writer does; then 50 more under tracemalloc (kept out of the timed pass, which it would slow). The
  table shows the median and p95 of the per-article time, the peak memory traced per article
  (Python allocations), what the passages did, the store's size and the largest/smallest ratios. Goal: at most 2x from 10k to 1M, memory independent of the store's size.

Usage: python bench/bench_linking.py [--sizes 10000 100000 1000000] [--sample 200] [--base 150]
       [--overlap 8] [--base-store PATH] [--keep DIR [--reuse]]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import shutil
import sqlite3
import statistics
import tempfile
import time
import tracemalloc
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from storyline.model import Analysis, Article
from storyline.store import story_tables

REPO = Path(__file__).resolve().parents[1]
ARTICLES = REPO.parent / "shared" / "data" / "ukraine-news" / "articles.jsonl"
CACHE = Path(tempfile.gettempdir()) / "storyline-bench-cache"
DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


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


@dataclass(frozen=True)
class Copy:
    """Copy c of the base: dates `days` later, entities and signatures renamed `~c`, ids prefixed."""

    c: int
    days: int

    @property
    def suffix(self) -> str:
        return f"~{self.c}"

    def article_id(self, base_id: str) -> str:
        return f"{self.c:05x}{base_id[5:]}"

    def story_id(self, base_id: str) -> str:
        return f"{base_id}{self.c:05x}"

    def day(self, value: str) -> str:
        return (date.fromisoformat(value) + timedelta(days=self.days)).isoformat()


class Profiles:
    """Base profiles as JSON templates, so writing one per copy is a few string replacements.

    Renamed entity ids and signatures carry a marker that becomes `~c`; article ids a marker that
    becomes the copy's prefix; dates are shifted by one regex pass.
    """

    ENTITY, ARTICLE = "\u0001", "\u0002"

    def __init__(self, rows: list[tuple[Any, ...]]) -> None:
        self.rows = [(row[0], self._template(json.loads(row[-1]) if isinstance(row[-1], str) else row[-1]), row[1:-1]) for row in rows]

    def _template(self, profile: dict[str, Any]) -> str:
        mark = self.ENTITY
        out = dict(profile)
        for name in ("entities", "persons", "signatures"):
            out[name] = {f"{k}{mark}": v for k, v in (profile.get(name) or {}).items()}
        out["articles"] = [self._article(a) for a in profile.get("articles") or []]
        out["titles"] = [[*t[:-1], self._article(t[-1])] if isinstance(t[-1], str) and len(t[-1]) == 16 else t for t in profile.get("titles") or []]
        return json.dumps(out, ensure_ascii=True)

    def _article(self, article_id: str) -> str:
        return self.ARTICLE + article_id[5:]

    def render(self, template: str, copy: Copy, days: dict[str, str]) -> str:
        text = template.replace("\\u0001", copy.suffix).replace("\\u0002", f"{copy.c:05x}")
        return DAY.sub(lambda m: days.get(m.group()) or _moved(m.group(), copy.days) or "", text)


def bulk_build(base: Path, target: Path, copies: int, step: int) -> float:
    """Fill `target` with `copies` renamed, re-dated copies of the base store; returns seconds taken."""
    from storyline.store.db import open_store

    from storyline.store import writes

    started = time.perf_counter()
    engine = open_store(str(target))
    with engine.begin() as setup:
        run_id = writes.start_run(setup, {"bench": "bulk copies of the base"})
    engine.dispose()
    conn = sqlite3.connect(target, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-400000")
    conn.execute("ATTACH DATABASE ? AS base", (str(base),))
    # Secondary indexes are dropped for the load and built once at the end: much faster than
    # maintaining them row by row, and the result is the same index.
    indexes = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL").fetchall()
    for name, _ in indexes:
        conn.execute(f'DROP INDEX "{name}"')
    devs = Profiles(conn.execute("SELECT id, story_id, date, first_date, last_date, first_published, last_published, label, passages, profile FROM base.developments").fetchall())
    stories = Profiles(conn.execute("SELECT id, title, first_date, last_date, first_published, last_published, developments, passages, updated_seq, profile FROM base.stories").fetchall())
    base_days = sorted({row[0] for row in conn.execute("SELECT DISTINCT date FROM base.passages UNION SELECT DISTINCT substr(published, 1, 10) FROM base.articles WHERE published IS NOT NULL")})
    conn.execute("INSERT OR IGNORE INTO sources (id, name) SELECT id, name FROM base.sources")
    changes_per_copy = conn.execute("SELECT coalesce(max(seq), 0) FROM base.story_changes").fetchone()[0]
    for c in range(copies):
        copy = Copy(c, c * step)
        days = {d: copy.day(d) for d in base_days}
        conn.execute("BEGIN")
        p = {"c": c, "x": f"{c:05x}", "d": f"+{copy.days} days", "s": copy.suffix, "run": run_id}
        conn.execute(
            "INSERT INTO articles (id, content_hash, item_key, title, text, published, url, source_id, author, language, input_name, position, "
            "format, raw, removed, meta, minhash, analysis_version, run_id, ingested_at) "
            "SELECT :x || substr(id, 6), :x || substr(content_hash, 6), :x || substr(item_key, 6), title, text, "
            "date(substr(published, 1, 10), :d) || substr(published, 11), url, source_id, author, language, "
            "input_name, position, format, x'', removed, meta, NULL, analysis_version, :run, ingested_at FROM base.articles",
            p,
        )
        conn.execute(
            "INSERT INTO entities (id, name, type, aliases, role, country, geonameid, lat, lon) "
            "SELECT id || :s, name, type, aliases, role, country, geonameid, lat, lon FROM base.entities",
            p,
        )
        conn.execute('INSERT INTO mentions SELECT :x || substr(article_id, 6), start, "end", entity_id || :s, text, role FROM base.mentions', p)
        conn.execute('INSERT INTO facts (article_id, kind, seq, start, "end", data) SELECT :x || substr(article_id, 6), kind, seq, start, "end", \'{}\' FROM base.facts', p)
        conn.execute(
            'INSERT INTO passages (article_id, start, "end", development_id, story_id, date, published, score, new_facts) '
            'SELECT :x || substr(article_id, 6), start, "end", development_id || :x, story_id || :x, date(date, :d), date(published, :d), score, new_facts '
            "FROM base.passages",
            p,
        )
        conn.execute(
            'INSERT INTO story_changes (seq, story_id, development_id, article_id, start, kind, detail) '
            'SELECT seq + :c * :n, story_id || :x, development_id || :x, :x || substr(article_id, 6), start, kind, detail FROM base.story_changes',
            p | {"n": changes_per_copy},
        )
        conn.execute(
            "INSERT INTO link_keys (kind, key, target, first_date, last_date) "
            "SELECT kind, CASE WHEN substr(key, 1, 2) IN ('e:', 's:') THEN key || :s ELSE key END, target || :x, date(first_date, :d), date(last_date, :d) "
            "FROM base.link_keys",
            p,
        )
        conn.executemany(
            "INSERT INTO developments (id, story_id, date, first_date, last_date, first_published, last_published, label, passages, profile) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (copy.story_id(key), copy.story_id(rest[0]), *(days.get(d) or copy.day(d) for d in rest[1:6]), rest[6], rest[7], devs.render(t, copy, days))
                for key, t, rest in devs.rows
            ],
        )
        conn.executemany(
            "INSERT INTO stories (id, title, first_date, last_date, first_published, last_published, developments, passages, updated_seq, profile) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (copy.story_id(key), rest[0], *(days.get(d) or copy.day(d) for d in rest[1:5]), rest[5], rest[6], rest[7] + c * changes_per_copy, stories.render(t, copy, days))
                for key, t, rest in stories.rows
            ],
        )
        conn.execute("COMMIT")
    conn.execute("BEGIN")
    conn.execute("INSERT INTO link_df (key, df) SELECT key, df * :n FROM base.link_df WHERE key NOT LIKE 'e:%'", {"n": copies})
    for c in range(copies):
        conn.execute("INSERT INTO link_df (key, df) SELECT key || '~' || :c, df FROM base.link_df WHERE key LIKE 'e:%'", {"c": c})
    conn.execute("COMMIT")
    conn.execute("DETACH DATABASE base")
    for _, sql in indexes:
        conn.execute(sql)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("ANALYZE")
    conn.close()
    return time.perf_counter() - started


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


def _moved(value: str | None, days: int) -> str | None:
    if not value or not DAY.fullmatch(value[:10]):
        return value
    return (date.fromisoformat(value[:10]) + timedelta(days=days)).isoformat() + value[10:]


def resample(article: Article, analysis: Analysis, copy: Copy, new_id: str) -> tuple[Article, Analysis]:
    """The base article as a new report in copy `copy`: the same renaming and date shift as its rows."""
    s = copy.suffix

    def ent(entity_id: str | None) -> str | None:
        return None if entity_id is None else f"{entity_id}{s}"

    def own(record: Any, **changes: Any) -> Any:
        return replace(record, article_id=new_id, **changes)

    moved = replace(
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
        timerefs=tuple(own(t, value=_moved(t.value, copy.days), earliest=_moved(t.earliest, copy.days), latest=_moved(t.latest, copy.days)) for t in analysis.timerefs),
        places=tuple(own(p, entity_id=ent(p.entity_id)) for p in analysis.places),
        events=tuple(own(e, actors=tuple(map(ent, e.actors)), targets=tuple(map(ent, e.targets)), date=_moved(e.date, copy.days)) for e in analysis.events),
        claims=tuple(own(c, claimant_entity_id=ent(c.claimant_entity_id), signature=ent(c.signature), date=_moved(c.date, copy.days)) for c in analysis.claims),
    )
    return moved, renamed


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


def measure(target: Path, pairs: list[tuple[Article, Analysis]], copies: int, step: int, overlap: int, sample: int) -> dict[str, float]:
    """Store and link `sample` arrivals, timed; then as many others under tracemalloc for memory
    (tracing slows Python down, so it never runs during the timed pass)."""
    from storyline.store import writes
    from storyline.store.db import open_store
    from storyline.store.facts import save_analysis
    from storyline.stories.link import LinkConfig, link_article

    config = LinkConfig()
    engine = open_store(str(target))
    with engine.begin() as conn:
        run_id = writes.start_run(conn, {"bench": "linking"})
        first = conn.exec_driver_sql("SELECT count(*) FROM articles WHERE id LIKE 'f%'").scalar_one()  # earlier runs' arrivals

    def store_and_link(article: Article, analysis: Analysis) -> None:
        with engine.begin() as conn:
            writes.insert_article(conn, article, run_id, b"", [])
            save_analysis(conn, analysis)
            link_article(conn, article, analysis, config)

    times: list[float] = []
    timed = _arrivals(pairs, copies, step, overlap, sample, seed=1, first=first)
    for article, analysis in timed:
        before = time.perf_counter()
        store_and_link(article, analysis)
        times.append(time.perf_counter() - before)
    peaks: list[int] = []
    tracemalloc.start()
    for article, analysis in _arrivals(pairs, copies, step, overlap, min(sample, 50), seed=2, first=first):
        tracemalloc.reset_peak()
        base_level = tracemalloc.get_traced_memory()[0]
        store_and_link(article, analysis)
        peaks.append(tracemalloc.get_traced_memory()[1] - base_level)
    tracemalloc.stop()
    with engine.connect() as conn:
        count = {t: conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar_one() for t in ("articles", "stories", "developments", "link_keys", "facts")}
        changes = story_tables.story_changes
        ids = [article.id for article, _ in timed]
        kinds = dict(conn.execute(select(changes.c.kind, func.count()).where(changes.c.article_id.in_(ids)).group_by(changes.c.kind)).all())
    engine.dispose()
    return {
        "median_ms": statistics.median(times) * 1000,
        "p95_ms": sorted(times)[int(0.95 * (len(times) - 1))] * 1000,
        "peak_kib": max(peaks) / 1024,
        "mix": "/".join(str(kinds.get(k, 0)) for k in ("update", "new_development", "new_story")),
        **count,
    }


def _rss_mib() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


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
    pairs = base_pairs(base)
    with sqlite3.connect(base) as conn:
        first, last = conn.execute("SELECT min(substr(published, 1, 10)), max(substr(published, 1, 10)) FROM articles").fetchone()
    span = (date.fromisoformat(last) - date.fromisoformat(first)).days + 1
    step = max(1, round(span / args.overlap))
    print(f"base: {len(pairs)} articles, {first} to {last}; copies every {step} days, about {len(pairs) * args.overlap / span:.1f} articles per day")
    folder = args.keep or Path(tempfile.mkdtemp(prefix="storyline-bench-linking-"))
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    try:
        for size in args.sizes:
            copies = max(1, round(size / len(pairs)))
            target = folder / f"linking-{size}.db"
            if args.reuse and target.exists():
                build = float("nan")
            else:
                for leftover in folder.glob(f"linking-{size}.db*"):
                    leftover.unlink()
                build = bulk_build(base, target, copies, step)
            row = measure(target, pairs, copies, step, args.overlap, args.sample)
            row |= {"size": size, "build_s": build, "disk_gib": sum(p.stat().st_size for p in folder.glob(f"linking-{size}.db*")) / 2**30}
            rows.append(row)
            print(f"  {size}: built in {build:.0f} s, measured median {row['median_ms']:.1f} ms", flush=True)
            if not args.keep:
                for path in folder.glob(f"linking-{size}.db*"):
                    path.unlink()
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    print()
    print("passages measured: updated a development / opened one in a known story / started a story")
    print(f"{'stored':>9} {'stories':>8} {'link_keys':>10} {'facts':>10} {'disk GiB':>8} {'build s':>8} {'median ms':>9} {'p95 ms':>8} {'peak KiB':>8} {'passages':>12}")
    for r in rows:
        print(
            f"{r['articles']:>9} {r['stories']:>8} {r['link_keys']:>10} {r['facts']:>10} {r['disk_gib']:>8.2f} {r['build_s']:>8.0f} "
            f"{r['median_ms']:>9.1f} {r['p95_ms']:>8.1f} {r['peak_kib']:>8.0f} {r['mix']:>12}"
        )
    small, big = rows[0], rows[-1]
    print(
        f"ratio {big['articles']}/{small['articles']} stored: median time x{big['median_ms'] / small['median_ms']:.2f}, "
        f"p95 x{big['p95_ms'] / small['p95_ms']:.2f}, peak traced memory x{big['peak_kib'] / small['peak_kib']:.2f} (goal: time <= 2x, memory ~1x)"
    )
    print(f"process peak RSS {_rss_mib():.0f} MiB (the bulk build's page cache included)")


if __name__ == "__main__":
    main()
