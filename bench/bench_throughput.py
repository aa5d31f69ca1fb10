"""Ingest throughput beside bare spaCy on the same texts, model and process count (not a test).

Each measured run is a fresh child process, so its peak resident memory is its own: first the full
pipeline (read → clean → dedup → store → analyze → link) into a new SQLite store, then `nlp.pipe`
alone, with the model exactly as shipped (every component, spaCy's own implementations), over exactly
the documents that ingest analysed. The ratio says what the extractors, linking
and storage cost on top of the parse; absolute rates on a shared machine are noisy, ratios less so,
and the ratio of CPU seconds (each child's own and its workers') least: other work on the machine
stretches wall time but hardly the CPU time a run needs. Both clocks start with spaCy imported
(about a second of CPU that neither run's work depends on): each times loading its models and what
follows.

Input: the ukraine-news articles from the shared data, resampled to `--size` items. Beyond the 447
originals, copy k of an article gets a distinct closing line and the near-duplicate threshold is
raised to 0.999, so copies are ingested and analysed as new articles instead of being skipped.

With `--repeat N` the two runs alternate N times (each pipeline run into a store of its own) and the
table shows each phase's run with the least CPU time: other work on the machine only ever adds to a
run's CPU time (two processes sharing a core's caches and execution units each take longer), so the
least of several is the steadiest figure; every repeat's own ratio is printed too.

Usage: python bench/bench_throughput.py [--size 300] [--workers 1] [--batch-size 16] [--repeat 1]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
ARTICLES = REPO.parent / "shared" / "data" / "ukraine-news" / "articles.jsonl"


def make_corpus(size: int, folder: Path) -> Path:
    lines = ARTICLES.read_text().splitlines()
    out = []
    for index in range(size):
        record = json.loads(lines[index % len(lines)])
        copy = index // len(lines)
        if copy:
            record["id"] = f"{record.get('id')}~{copy}"
            record["text"] = f"{record.get('text') or ''}\n\nEdition {copy} of this report, filed as item {index}."
        out.append(json.dumps(record))
    path = folder / "corpus.jsonl"
    path.write_text("\n".join(out) + "\n")
    return path


def _cpu() -> float:
    """CPU seconds used so far by this process (all its threads) and its finished children: unlike wall
    time, barely moved by other work on a shared machine."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _peaks() -> dict[str, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"rss_main_mb": round(own, 1), "rss_worker_mb": round(children, 1)}


def run_pipeline(corpus: str, db: str, workers: int, batch_size: int, size: int) -> dict[str, Any]:
    from storyline.analyze import nlp  # noqa: F401 - spaCy imported before the clock starts, as in `run_spacy`
    from storyline.dedup import DedupConfig
    from storyline.pipeline import IngestOptions, ingest
    from storyline.store.db import open_store

    engine = open_store(db)
    threshold = 0.999 if size > sum(1 for _ in open(ARTICLES)) else DedupConfig().threshold
    options = IngestOptions(workers=workers if workers > 1 else None, batch_size=batch_size, dedup=DedupConfig(threshold=threshold))
    started, cpu = time.perf_counter(), _cpu()
    report = ingest(engine, [corpus], options)
    seconds, cpu = time.perf_counter() - started, _cpu() - cpu
    engine.dispose()
    return {"seconds": seconds, "cpu": cpu, "analyzed": report.analyzed, "inputs": report.inputs, **_peaks()}


def run_spacy(db: str, workers: int, batch_size: int) -> dict[str, Any]:
    import spacy
    from sqlalchemy import create_engine, select

    from storyline.analyze import nlp
    from storyline.store import schema

    engine = create_engine(db)
    with engine.connect() as conn:
        texts = [f"{title}\n\n{text}" if title else text for title, text in conn.execute(select(schema.articles.c.title, schema.articles.c.text).order_by(schema.articles.c.id))]
    engine.dispose()
    started, cpu = time.perf_counter(), _cpu()
    model = spacy.load(nlp.MODEL_NAME)
    tokens = sum(len(doc) for doc in model.pipe(texts, batch_size=batch_size, n_process=workers))
    seconds, cpu = time.perf_counter() - started, _cpu() - cpu
    words = sum(len(text.split()) for text in texts)
    return {"seconds": seconds, "cpu": cpu, "analyzed": len(texts), "words": words, "tokens": tokens, **_peaks()}


def child(args: argparse.Namespace) -> None:
    if args.phase == "pipeline":
        result = run_pipeline(args.corpus, args.db, args.workers, args.batch_size, args.size)
    else:
        result = run_spacy(args.db, args.workers, args.batch_size)
    print(json.dumps(result))


def measure(phase: str, args: argparse.Namespace, corpus: Path, db: str) -> dict[str, Any]:
    command = [sys.executable, __file__, "--phase", phase, "--corpus", str(corpus), "--db", db,
               "--workers", str(args.workers), "--batch-size", str(args.batch_size), "--size", str(args.size)]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=300)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=1, help="alternate the two runs this many times")
    parser.add_argument("--phase", choices=["pipeline", "spacy"], help=argparse.SUPPRESS)
    parser.add_argument("--corpus", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        child(args)
        return
    if not ARTICLES.exists():
        sys.exit(f"{ARTICLES} is missing (the shared data folder belongs beside the repository)")
    pairs = []
    with tempfile.TemporaryDirectory(prefix="storyline-bench-") as tmp:
        corpus = make_corpus(args.size, Path(tmp))
        for index in range(max(1, args.repeat)):
            db = f"sqlite:///{Path(tmp) / f'bench-{index}.db'}"
            pairs.append((measure("pipeline", args, corpus, db), measure("spacy", args, corpus, db)))
    pipeline = min((p for p, _ in pairs), key=lambda result: result["cpu"])
    spacy_only = min((s for _, s in pairs), key=lambda result: result["cpu"])
    words = spacy_only["words"]
    rows = [("bare spaCy nlp.pipe", spacy_only), ("storyline ingest", pipeline)]
    print(f"throughput on {args.size} ukraine-news items ({pipeline['analyzed']} analysed articles, {words} words), "
          f"{args.workers} process(es), batch {args.batch_size}; shared machine: figures are noisy\n")
    print(f"{'run':<22} {'seconds':>8} {'CPU s':>7} {'articles/s':>11} {'words/s':>9} {'peak RSS main MB':>17} "
          f"{'peak RSS worker MB':>19}")
    for name, result in rows:
        rate = result["analyzed"] / result["seconds"]
        print(f"{name:<22} {result['seconds']:>8.1f} {result['cpu']:>7.1f} {rate:>11.2f} {words / result['seconds']:>9.0f} "
              f"{result['rss_main_mb']:>17.0f} {result['rss_worker_mb']:>19.0f}")
    if len(pairs) > 1:
        ratios = ", ".join(f"{p['cpu'] / s['cpu']:.2f}x" for p, s in pairs)
        print(f"\n(the run with the least CPU time of {len(pairs)} each; the repeats' own CPU ratios: {ratios})")
    print(f"\nratio ingest / bare spaCy time: {pipeline['seconds'] / spacy_only['seconds']:.2f}x wall, "
          f"{pipeline['cpu'] / spacy_only['cpu']:.2f}x CPU (the extractors, dedup, storage and linking on top of the "
          "parse; the CPU ratio is the steadier one when other work shares the machine)")
    if any(p["analyzed"] != s["analyzed"] for p, s in pairs):
        sys.exit(f"ingest analysed {pipeline['analyzed']} articles but the store holds {spacy_only['analyzed']}: "
                 "the analysis failed, so the ratio means nothing")


if __name__ == "__main__":
    main()
