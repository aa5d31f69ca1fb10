"""Scale-out: ingest rate with 1 and 2 local Dask workers, the single writer's ceiling, and what that
projects for one month of the Common Crawl news archive (not a test).

For each worker count a local cluster is started and warmed (the model loaded on every worker) before
the clock starts, then the whole ingest of `--size` ukraine-news items into a fresh SQLite store is
timed. The writer's ceiling is measured apart: pass one alone (`--no-analyze`: read, clean, dedup,
store) plus relinking every stored article from its saved facts — the work that stays in the one
writer process however many workers parse. Above that rate more workers stop helping.

Usage: python bench/bench_scaleout.py [--size 300] [--month-articles 15000000]
The month's size is an assumption to replace with a count from the month's WARC index when at hand.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from bench_throughput import ARTICLES, make_corpus

from storyline.pipeline import IngestOptions, ingest
from storyline.store.db import open_store


def dask_rate(corpus: Path, folder: Path, workers: int) -> tuple[float, int]:
    from distributed import Client, LocalCluster

    from storyline.distributed import ModelPlugin

    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster, Client(cluster) as client:
        client.register_plugin(ModelPlugin())
        engine = open_store(f"sqlite:///{folder / f'dask-{workers}.db'}")
        started = time.perf_counter()
        report = ingest(engine, [str(corpus)], IngestOptions(), client=client)
        seconds = time.perf_counter() - started
        engine.dispose()
    return report.analyzed / seconds, report.analyzed


def writer_rate(corpus: Path, folder: Path, analysed_db: Path) -> float:
    from storyline.stories.link import relink

    engine = open_store(f"sqlite:///{folder / 'writer.db'}")
    started = time.perf_counter()
    report = ingest(engine, [str(corpus)], IngestOptions(analyze=False))
    store_seconds = time.perf_counter() - started
    engine.dispose()
    engine = open_store(f"sqlite:///{analysed_db}")
    started = time.perf_counter()
    with engine.begin() as conn:
        summary = relink(conn)
    link_seconds = time.perf_counter() - started
    engine.dispose()
    return min(report.new, summary.articles) / (store_seconds + link_seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=300)
    parser.add_argument("--month-articles", type=float, default=15_000_000, help="articles in one month of the news archive (assumption)")
    args = parser.parse_args()
    if not ARTICLES.exists():
        raise SystemExit(f"{ARTICLES} is missing (the shared data folder belongs beside the repository)")
    with tempfile.TemporaryDirectory(prefix="storyline-scaleout-") as tmp:
        folder = Path(tmp)
        corpus = make_corpus(args.size, folder)
        rates = {workers: dask_rate(corpus, folder, workers) for workers in (1, 2)}
        ceiling = writer_rate(corpus, folder, folder / "dask-2.db")
    one, two = rates[1][0], rates[2][0]
    print(f"scale-out on {args.size} ukraine-news items ({rates[1][1]} analysed), local Dask cluster on this machine; "
          "the cores are shared with other work, so figures are noisy\n")
    print(f"{'workers':>7} {'articles/s':>11} {'speed-up':>9}")
    print(f"{1:>7} {one:>11.2f} {1.0:>9.2f}")
    print(f"{2:>7} {two:>11.2f} {two / one:>9.2f}")
    print(f"\nsingle writer ceiling (store + link, no parsing): {ceiling:.1f} articles/s "
          f"= {ceiling / one:.0f}x one worker's rate")
    print(f"\nprojection for one month of the news archive, {args.month_articles:,.0f} articles "
          f"(assumed), at the measured {one:.2f} articles/s per worker:")
    print(f"{'workers':>7} {'days':>8}  note")
    for workers in (1, 8, 32, 128, 512):
        rate = min(one * workers, ceiling)
        note = "writer-bound: shard the store or batch the writer" if one * workers > ceiling else ""
        print(f"{workers:>7} {args.month_articles / rate / 86400:>8.1f}  {note}")


if __name__ == "__main__":
    main()
