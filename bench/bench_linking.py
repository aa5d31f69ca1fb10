"""Linking cost per article as the store grows: 10k vs 100k stored articles (not a test).

Stores are filled by linking resampled real analyses: copy k of a base article gets its dates shifted
by whole weeks and its entities renamed (`id~n`), and a few synthetic words appended to its text, so
the copies form many distinct storylines spread over years as a real archive does. Then a fixed
sample of new articles is linked into each store and timed; the table shows time and peak traced
memory per article, and the 100k/10k ratio (flat ≈ 1 is the goal: candidates come from the index).

Usage: python bench/bench_linking.py [--sizes 10000 100000] [--sample 200] [--base gva-cache.pkl]
Base analyses come from the evaluation cache (`storyline eval developments` fills it) when present,
else from the two seed articles.
"""

from __future__ import annotations

import argparse
import pickle
import statistics
import tempfile
import time
import tracemalloc
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from sqlalchemy import create_engine, func, select

from storyline.model import Analysis, Article
from storyline.store import story_tables
from storyline.stories.link import LinkConfig, link_article

REPO = Path(__file__).resolve().parents[1]
CACHE = Path(tempfile.gettempdir()) / "storyline-eval-cache"


def base_pairs(path: Path | None) -> list[tuple[Article, Analysis]]:
    candidates = [path] if path else sorted(CACHE.glob("gva-*.pkl"))
    for candidate in candidates:
        if candidate and candidate.exists():
            cached: dict[str, Analysis] = pickle.loads(candidate.read_bytes())
            articles = _gva_articles(set(cached))
            return [(a, cached[a.id]) for a in articles]
    return _seed_pairs()


def _gva_articles(ids: set[str]) -> list[Article]:
    from storyline.evaluate.developments import _gva_item, clean_all, read_jsonl

    records = read_jsonl(REPO.parent / "shared" / "data" / "gva" / "articles.jsonl")
    return [a for a, _ in clean_all(enumerate(records), _gva_item) if a.id in ids]


def _seed_pairs() -> list[tuple[Article, Analysis]]:
    import json

    from storyline.analyze import analyze_articles
    from storyline.clean import clean
    from storyline.model import RawItem

    seeds = REPO.parent / "shared" / "seeds"
    gold = json.loads((seeds / "gold.json").read_text(encoding="utf-8"))
    items = [
        RawItem(input_name=name, position=i, format="text", raw=(seeds / name).read_bytes(), published=meta["published"])
        for i, (name, meta) in enumerate(sorted(gold["articles"].items()))
    ]
    return list(analyze_articles([clean(item) for item in items]))


def _renamed(analysis: Analysis, article_id: str, suffix: str) -> Analysis:
    def ent(entity_id: str) -> str:
        return f"{entity_id}~{suffix}"

    def shifted(record):  # type: ignore[no-untyped-def]
        return replace(record, article_id=article_id)

    return replace(
        analysis,
        article_id=article_id,
        entities=tuple(replace(e, id=ent(e.id)) for e in analysis.entities),
        mentions=tuple(replace(m, article_id=article_id, entity_id=ent(m.entity_id)) for m in analysis.mentions),
        quotes=tuple(map(shifted, analysis.quotes)),
        quantities=tuple(map(shifted, analysis.quantities)),
        timerefs=(),
        places=tuple(map(shifted, analysis.places)),
        events=tuple(replace(e, article_id=article_id, actors=tuple(map(ent, e.actors)), date=None) for e in analysis.events),
        claims=tuple(replace(c, article_id=article_id, signature=f"{c.signature}~{suffix}" if c.signature else None) for c in analysis.claims),
    )


def resample(pairs: list[tuple[Article, Analysis]], k: int, storylines: int) -> tuple[Article, Analysis]:
    """Copy k: a base article moved k // len(pairs) weeks on, in one of `storylines` renamings."""
    article, analysis = pairs[k % len(pairs)]
    weeks = k // len(pairs)
    suffix = str((k * 7919) % storylines)
    new_id = f"b{k:015d}"
    words = " ".join(f"zq{suffix}w{i}" for i in range(3))
    copy = replace(
        article,
        id=new_id,
        content_hash=new_id,
        item_key=new_id,
        text=f"{article.text}\n\n{words}",
        published=(article.published + timedelta(weeks=weeks)) if article.published else None,
    )
    return copy, _renamed(analysis, new_id, suffix)


def run(size: int, sample: int, pairs: list[tuple[Article, Analysis]], workdir: Path) -> dict[str, float]:
    engine = create_engine(f"sqlite:///{workdir / f'bench-{size}.db'}")
    config = LinkConfig()
    with engine.begin() as conn:
        story_tables.ensure(conn)
    started = time.perf_counter()
    for k in range(size):
        article, analysis = resample(pairs, k, storylines=max(1, size // 20))
        with engine.begin() as conn:
            link_article(conn, article, analysis, config)
    fill = time.perf_counter() - started
    times = []
    tracemalloc.start()
    peaks = []
    for k in range(size, size + sample):
        article, analysis = resample(pairs, k, storylines=max(1, size // 20))
        tracemalloc.reset_peak()
        before = time.perf_counter()
        with engine.begin() as conn:
            link_article(conn, article, analysis, config)
        times.append(time.perf_counter() - before)
        peaks.append(tracemalloc.get_traced_memory()[1])
    tracemalloc.stop()
    with engine.connect() as conn:
        keys = conn.execute(select(func.count()).select_from(story_tables.link_keys)).scalar_one()
        stories = conn.execute(select(func.count()).select_from(story_tables.stories)).scalar_one()
    engine.dispose()
    return {
        "stored": size,
        "fill_s": fill,
        "median_ms": statistics.median(times) * 1000,
        "p95_ms": sorted(times)[int(0.95 * (len(times) - 1))] * 1000,
        "peak_kib": statistics.median(peaks) / 1024,
        "stories": stories,
        "index_rows": keys,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--sample", type=int, default=200)
    parser.add_argument("--base", type=Path)
    args = parser.parse_args()
    pairs = base_pairs(args.base)
    print(f"base articles: {len(pairs)}")
    with tempfile.TemporaryDirectory() as tmp:
        rows = [run(size, args.sample, pairs, Path(tmp)) for size in args.sizes]
    print(f"{'stored':>8} {'fill s':>8} {'median ms':>10} {'p95 ms':>8} {'peak KiB':>9} {'stories':>8} {'index rows':>11}")
    for row in rows:
        print(f"{row['stored']:>8} {row['fill_s']:>8.1f} {row['median_ms']:>10.2f} {row['p95_ms']:>8.2f} {row['peak_kib']:>9.0f} {row['stories']:>8} {row['index_rows']:>11}")
    first, last = rows[0], rows[-1]
    print(f"ratio {last['stored']}/{first['stored']}: median time x{last['median_ms'] / first['median_ms']:.2f}, peak memory x{last['peak_kib'] / first['peak_kib']:.2f}")


if __name__ == "__main__":
    main()
