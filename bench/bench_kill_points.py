"""A long kill campaign: `storyline ingest` SIGKILLed at many random instants on SQLite and PostgreSQL,
each store rerun to the end and compared with an uninterrupted run.

    .venv/bin/python bench/bench_kill_points.py [--kills 50] [--rounds 5] [--backend sqlite --backend postgres] [--seed N] [--copies 1]

Per backend, each round is one clean run and one store killed `kills / rounds` times at instants drawn
from a seeded RNG over the clean run's measured length, then rerun; `tests/ingest_runs.py` does the
work the CI test (`tests/test_kill_points.py`) does in small. The batch is the bundled examples plus
renamed copies of their texts. Prints per backend: kill points tried, runs actually killed (the rest
finished first), stores compared, mismatches, items lost or counted twice and store problems — all
but the first two must be 0. PostgreSQL runs on a throwaway cluster (`tests/pg.py`).
"""

from __future__ import annotations

import argparse
import itertools
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from ingest_runs import campaign, clean_run, corpus  # noqa: E402


def run_backend(backend: str, kills: int, rounds: int, seed: int, copies: int, folder: Path) -> dict[str, object]:
    cluster = None
    if backend == "postgres":
        from pg import Cluster

        cluster = Cluster()

    def new_url(name: str) -> str:
        return cluster.database() if cluster else f"sqlite:///{folder / backend / name}.db"

    (folder / backend).mkdir(parents=True, exist_ok=True)
    inputs = [str(corpus(folder / backend, copies))]
    totals = {"backend": backend, "kill points": 0, "killed": 0, "finished first": 0, "rounds": 0, "inputs per run": 0,
              "mismatches": 0, "items lost": 0, "items extra": 0, "problems": 0, "seconds": 0.0}
    started = time.monotonic()
    try:
        clean_url = new_url("clean")
        clean = clean_run(inputs, clean_url)
        per_round = [kills // rounds + (1 if n < kills % rounds else 0) for n in range(rounds)]
        for n, count in enumerate(per_round):
            stores = itertools.count()
            result = campaign(inputs, clean_url, lambda: new_url(f"killed-{n}-{next(stores)}"), seed=seed + n, kills=count, clean=clean)  # noqa: B023 - called within this round
            totals["rounds"] += 1
            totals["inputs per run"] = result.inputs
            totals["kill points"] += len(result.kill_points)
            totals["killed"] += result.killed
            totals["finished first"] += result.finished_before_kill
            totals["mismatches"] += len(result.mismatches)
            totals["items lost"] += result.lost
            totals["items extra"] += result.extra
            totals["problems"] += len(result.problems)
            for line in result.mismatches + result.problems:
                print(f"  {backend} round {n} (seed {seed + n}): {line}", flush=True)
            print(f"  {backend} round {n}: {result.killed}/{len(result.kill_points)} killed, clean run {result.clean_seconds:.1f} s, "
                  f"mismatches {len(result.mismatches)}, lost {result.lost}", flush=True)
    finally:
        if cluster:
            cluster.stop()
    totals["seconds"] = round(time.monotonic() - started, 1)
    return totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=50, help="kill points per backend")
    parser.add_argument("--rounds", type=int, default=5, help="killed stores per backend (kills are spread over them)")
    parser.add_argument("--backend", action="append", choices=["sqlite", "postgres"], help="default: both")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--copies", type=int, default=1, help="renamed copies of the example texts in the batch")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    print(f"seed {seed}", flush=True)
    rows = []
    with tempfile.TemporaryDirectory(prefix="storyline-kill-") as folder:
        for backend in args.backend or ["sqlite", "postgres"]:
            rows.append(run_backend(backend, args.kills, args.rounds, seed, args.copies, Path(folder)))
    headers = list(rows[0])
    print("\n| " + " | ".join(headers) + " |")
    print("|" + "---|" * len(headers))
    for row in rows:
        print("| " + " | ".join(str(row[h]) for h in headers) + " |")
    bad = sum(int(row[k]) for row in rows for k in ("mismatches", "items lost", "items extra", "problems"))  # type: ignore[call-overload]
    print(f"\nkill points survived: {sum(int(r['killed']) for r in rows)} killed runs of {sum(int(r['kill points']) for r in rows)} kill points; "  # type: ignore[call-overload]
          f"failures: {bad}")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
