"""API read latency while an ingest writes the same store, against the same reads on an idle store.

    .venv/bin/python bench/bench_read_during_ingest.py [--backend sqlite --backend postgres] [--idle 30] [--articles 30] [--readers 4]

Per backend: the examples are ingested into a fresh store (SQLite file in WAL mode, or a database on
a throwaway PostgreSQL cluster from `tests/pg.py`), `storyline serve` is started on loopback and
reader threads (`tests/served.py`: article list, an article, story list, a story, each checked for
torn state) run first for `--idle` seconds, then while `storyline ingest` adds `--articles` articles
of the shared ukraine-news data in another process. Prints requests, p50 and p99 per phase and the
under-ingest/idle ratio; any failed or torn read is counted and printed (must be 0).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from ingest_runs import example_store, ingest  # noqa: E402
from served import Readers, Server, percentile  # noqa: E402

NEWS = Path(__file__).resolve().parents[2] / "shared" / "data" / "ukraine-news" / "articles.jsonl"


def measure(backend: str, idle: float, articles: int, readers: int, folder: Path) -> list[dict[str, object]]:
    with example_store(backend, folder) as url:
        batch = folder / f"{backend}-batch.jsonl"
        batch.write_text("\n".join(NEWS.read_text().splitlines()[:articles]) + "\n")
        server = Server(url, folder / f"{backend}-serve.log")
        try:
            with Readers(server.url, threads=readers) as load:
                time.sleep(2.0)
                load.take()  # warm-up: first connections, first story builds
                time.sleep(idle)
                quiet = load.take()
                started = time.monotonic()
                run = ingest([str(batch)], url)
                busy = load.take()
                ingest_seconds = time.monotonic() - started
            failures = load.failures
        finally:
            server.stop()
        if run.returncode != 0:
            raise SystemExit(f"ingest failed: {run.stderr[-2000:]}")
    rows = []
    for phase, seconds, samples in (("idle", idle, quiet), ("ingesting", ingest_seconds, busy)):
        every = [value for values in samples.values() for value in values]
        rows.append({
            "backend": backend, "phase": phase, "seconds": round(seconds, 1), "requests": len(every),
            "req/s": round(len(every) / seconds, 1),
            "p50 ms": round(percentile(every, 0.5) * 1000, 1), "p99 ms": round(percentile(every, 0.99) * 1000, 1),
            "story p99 ms": round(percentile(samples["story"], 0.99) * 1000, 1),
            "article p99 ms": round(percentile(samples["article"], 0.99) * 1000, 1),
            "failed or torn": len(failures) if phase == "ingesting" else 0,
        })
    for failure in failures[:10]:
        print(f"  {backend}: {failure}")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", action="append", choices=["sqlite", "postgres"], help="default: both")
    parser.add_argument("--idle", type=float, default=30.0, help="seconds of reads on the idle store")
    parser.add_argument("--articles", type=int, default=30, help="articles the concurrent ingest adds")
    parser.add_argument("--readers", type=int, default=4, help="reader threads")
    args = parser.parse_args()
    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory(prefix="storyline-rdi-") as folder:
        for backend in args.backend or ["sqlite", "postgres"]:
            rows += measure(backend, args.idle, args.articles, args.readers, Path(folder))
    headers = list(rows[0])
    print("| " + " | ".join(headers) + " |")
    print("|" + "---|" * len(headers))
    for row in rows:
        print("| " + " | ".join(str(row[h]) for h in headers) + " |")
    for idle, busy in zip(rows[::2], rows[1::2], strict=True):
        ratio = float(busy["p99 ms"]) / max(float(idle["p99 ms"]), 1e-9)  # type: ignore[arg-type]
        print(f"{idle['backend']}: p99 idle {idle['p99 ms']} ms, while ingesting {busy['p99 ms']} ms (x{ratio:.1f})")
    sys.exit(1 if any(row["failed or torn"] for row in rows) else 0)


if __name__ == "__main__":
    main()
