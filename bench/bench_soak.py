"""A bounded soak of `storyline serve`: mixed reads and writes on loopback for a fixed time, sampling
the server's memory and latency every interval, to show whether either drifts.

    .venv/bin/python bench/bench_soak.py [--minutes 10] [--interval 30] [--readers 3] [--write-every 2] [--backend sqlite]

The store starts as the examples ingested by the real pipeline. Reader threads (`tests/served.py`:
article list, an article, story list, a story, each checked for torn state) run throughout; one
writer posts one article of the shared ukraine-news data every `--write-every` seconds through
`POST /api/v1/articles` (analysis and linking included), cycling through the file with new titles,
so the store keeps growing. Each interval prints the server's RSS, reads and writes done, read
p50/p99 and write p50. At the end: the memory slope (least squares, MB/min) over the intervals after
the one in which the first post completed (it loads the spaCy model), and the latency drift (read
p99 of the last third of the intervals over the first third).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from ingest_runs import example_store  # noqa: E402
from served import Readers, Server, auth, percentile  # noqa: E402

NEWS = Path(__file__).resolve().parents[2] / "shared" / "data" / "ukraine-news" / "articles.jsonl"


class Writer:
    """Posts one article every `every` seconds, timing each post; failures are kept."""

    def __init__(self, url: str, every: float) -> None:
        self.url = url
        self.every = every
        self.latencies: list[float] = []
        self.failures: list[str] = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def take(self) -> list[float]:
        with self.lock:
            taken, self.latencies = self.latencies, []
        return taken

    def _run(self) -> None:
        lines = NEWS.read_text().splitlines()
        n = 0
        with httpx.Client(base_url=self.url, headers=auth(), timeout=300) as client:
            while not self.stop.wait(self.every):
                item = json.loads(lines[n % len(lines)])
                body = {"articles": [{"title": f"soak {n}: {item.get('title') or 'untitled'}", "text": item["text"], "published": item["published"], "source": "soak"}]}
                started = time.perf_counter()
                try:
                    answer = client.post("/api/v1/articles", json=body)
                    if answer.status_code != 200:
                        self.failures.append(f"POST answered {answer.status_code}: {answer.text[:200]}")
                except httpx.HTTPError as exc:
                    self.failures.append(f"{type(exc).__name__}: {exc}")
                with self.lock:
                    self.latencies.append(time.perf_counter() - started)
                n += 1


def slope(xs: list[float], ys: list[float]) -> float:
    """Least-squares slope of ys over xs; 0 with fewer than two points."""
    if len(xs) < 2:
        return 0.0
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den if den else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--interval", type=float, default=30.0, help="seconds between samples")
    parser.add_argument("--readers", type=int, default=3)
    parser.add_argument("--write-every", type=float, default=2.0, help="seconds between posts")
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="storyline-soak-") as folder, example_store(args.backend, Path(folder)) as url:
        server = Server(url, Path(folder) / "serve.log")
        rows: list[dict[str, float]] = []
        try:
            writer = Writer(server.url, args.write_every)
            with Readers(server.url, threads=args.readers) as readers:
                writer.thread.start()
                started = time.monotonic()
                end = started + args.minutes * 60
                print("| minute | RSS MB | reads | read p50 ms | read p99 ms | writes | write p50 ms |\n|---|---|---|---|---|---|---|", flush=True)
                while (now := time.monotonic()) < end:
                    time.sleep(min(args.interval, end - now))
                    reads = [v for values in readers.take().values() for v in values]
                    writes = writer.take()
                    row = {"minute": (time.monotonic() - started) / 60, "rss": server.rss_mb(), "reads": len(reads),
                           "p50": percentile(reads, 0.5) * 1000, "p99": percentile(reads, 0.99) * 1000,
                           "writes": len(writes), "w50": percentile(writes, 0.5) * 1000}
                    rows.append(row)
                    print(f"| {row['minute']:.1f} | {row['rss']:.1f} | {row['reads']} | {row['p50']:.1f} | {row['p99']:.1f} | {row['writes']} | {row['w50']:.0f} |", flush=True)
                writer.stop.set()
                writer.thread.join(timeout=300)
            failures = readers.failures + writer.failures
        finally:
            server.stop()
    # The server loads the spaCy model on its first post: memory is steady only after that interval.
    warm = next((n + 1 for n, r in enumerate(rows) if r["writes"]), len(rows))
    steady = rows[warm:] if len(rows) - warm >= 2 else rows
    mem = slope([r["minute"] for r in steady], [r["rss"] for r in steady])
    third = max(1, len(rows) // 3)
    first = percentile([r["p99"] for r in rows[:third]], 0.5)
    last = percentile([r["p99"] for r in rows[-third:]], 0.5)
    first50 = percentile([r["p50"] for r in rows[:third]], 0.5)
    last50 = percentile([r["p50"] for r in rows[-third:]], 0.5)
    print(f"\nRSS {rows[0]['rss']:.1f} → {rows[-1]['rss']:.1f} MB; from minute {steady[0]['minute']:.1f} (model loaded) "
          f"{steady[0]['rss']:.1f} → {steady[-1]['rss']:.1f} MB, memory slope {mem:+.2f} MB/min")
    print(f"read p99 (median of interval p99s) first third {first:.1f} ms → last third {last:.1f} ms (x{last / max(first, 1e-9):.2f}); "
          f"p50 {first50:.1f} → {last50:.1f} ms")
    print(f"reads {sum(int(r['reads']) for r in rows)}, writes {sum(int(r['writes']) for r in rows)}, failed or torn: {len(failures)}")
    for failure in failures[:10]:
        print(f"  {failure}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
