"""Running `storyline ingest` as users do — a separate process — and killing it with SIGKILL at chosen
instants, for the crash tests and `bench/bench_kill_points.py`.

A kill campaign ingests one batch cleanly into one store, then into a second store with a run killed
at each of a list of instants (each killed run resuming what the previous one left), reruns it to the
end and compares the two stores. After every run, killed or not, the store must be sound
(`store_state.problems`) and hold no more items than went in; after the final run the accounting
must balance exactly.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from store_state import accounted, problems, snapshot

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
EXAMPLE_INPUTS = ["text", "html", "jsonl", "feeds", "web", "broken"]
"""The examples' folders that the benchmarks ingest to start from a store like `make demo`'s."""
RUN_TIMEOUT = 900.0


def corpus(folder: Path, copies: int = 1) -> Path:
    """The bundled examples (every format, broken files, a near copy) plus `copies` renamed copies
    of the plain-text articles, which the ingest must file as exact duplicates."""
    root = folder / "corpus"
    shutil.copytree(EXAMPLES, root, ignore=shutil.ignore_patterns("README.md"))
    for n in range(copies):
        target = root / f"copies-{n}"
        target.mkdir()
        for text in sorted((EXAMPLES / "text").glob("*.txt")):
            shutil.copy(text, target / f"copy{n}-{text.name}")
            sidecar = text.with_suffix(".meta.json")
            if sidecar.exists():
                shutil.copy(sidecar, target / f"copy{n}-{sidecar.name}")
    return root


@contextmanager
def example_store(backend: str, folder: Path) -> Iterator[str]:
    """A store holding the examples — a SQLite file in `folder`, or a database on a throwaway PostgreSQL
    cluster that is stopped on exit — for benchmarks that serve and load a realistic small store."""
    cluster = None
    if backend == "postgres":
        from pg import Cluster

        cluster = Cluster()
    try:
        url = cluster.database() if cluster else f"sqlite:///{folder / backend}.db"
        built = ingest([str(EXAMPLES / name) for name in EXAMPLE_INPUTS], url)
        if built.returncode != 0:
            raise SystemExit(f"could not build the store: {built.stderr[-2000:]}")
        yield url
    finally:
        if cluster:
            cluster.stop()


@dataclass
class Run:
    """One ingest process: its exit code (-9 when killed), wall time and, when it finished, its report."""

    returncode: int
    seconds: float
    report: dict[str, Any] | None
    stderr: str


def ingest(inputs: list[str], db: str, *, kill_after: float | None = None, preexec: Callable[[], None] | None = None) -> Run:
    """`storyline ingest --json` in a new process; with `kill_after`, SIGKILL it after that many seconds
    unless it finished first; `preexec` runs in the child before it starts (to set resource limits)."""
    command = [sys.executable, "-m", "storyline.cli", "ingest", *inputs, "--db", db, "--json"]
    started = time.monotonic()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=preexec)  # noqa: PLW1509 - only sets limits
    try:
        out, err = proc.communicate(timeout=kill_after if kill_after is not None else RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        if kill_after is None:
            proc.kill()
            raise
        os.kill(proc.pid, signal.SIGKILL)
        out, err = proc.communicate(timeout=60)
    seconds = time.monotonic() - started
    report = json.loads(out) if proc.returncode == 0 and out.strip() else None
    return Run(proc.returncode, seconds, report, err.decode(errors="replace"))


def distinct_inputs(report: dict[str, Any]) -> int:
    """Input items of a first run over an empty store, less those that repeated an item of the same run."""
    return int(report["inputs"]) - int(report["unchanged"])


def balance(url: str) -> int:
    counts = accounted(url)
    return counts["articles"] + counts["duplicates"] + counts["errors"]


@dataclass
class Campaign:
    """What a kill campaign saw; `mismatches`, `lost` and `problems` must stay empty/zero."""

    inputs: int
    clean_seconds: float
    startup_seconds: float
    kill_points: list[float]
    killed: int = 0
    finished_before_kill: int = 0
    mismatches: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    lost: int = 0
    extra: int = 0


def clean_run(inputs: list[str], db: str) -> tuple[Run, Run]:
    """The reference store: one uninterrupted run, then a rerun that must find everything stored
    (its wall time is the fixed cost of a run: start-up, reading, nothing to write)."""
    first = ingest(inputs, db)
    if first.returncode != 0 or first.report is None:
        raise AssertionError(f"clean ingest failed ({first.returncode}): {first.stderr[-3000:]}")
    again = ingest(inputs, db)
    if again.returncode != 0 or again.report is None:
        raise AssertionError(f"rerun of a complete store failed ({again.returncode}): {again.stderr[-3000:]}")
    return first, again


class KillClock:
    """Seeded kill instants that follow the work left: each is drawn uniformly from just before the
    start-up ends to the expected end of the run it interrupts, and the work a killed run got through
    is taken off what the next run has left — so most instants do interrupt writing, early or late."""

    def __init__(self, seed: int, startup: float, clean: float) -> None:
        self.rng = random.Random(seed)
        self.startup = startup
        self.left = max(clean - startup, 1.0)

    def next(self) -> float:
        return self.rng.uniform(self.startup * 0.8, self.startup + max(self.left, 1.0))

    def ran(self, seconds: float) -> None:
        self.left = max(self.left - max(seconds - self.startup, 0.0), 0.0)

    def restart(self, clean: float) -> None:
        self.left = max(clean - self.startup, 1.0)


def campaign(inputs: list[str], clean_db: str, killed_db: Callable[[], str], *, seed: int, kills: int, clean: tuple[Run, Run] | None = None) -> Campaign:
    """Kill an ingest of `inputs` at `kills` seeded instants, rerun it to the end and compare with an
    uninterrupted run in `clean_db` (made here unless `clean` gives it). The killed store comes from
    `killed_db`; when a run finishes before its kill, that store is checked and a new empty one takes
    its place, so the remaining kill points still have work to interrupt."""
    first, again = clean or clean_run(inputs, clean_db)
    assert first.report is not None
    expected_inputs = distinct_inputs(first.report)
    result = Campaign(expected_inputs, first.seconds, again.seconds, [])
    clock = KillClock(seed, again.seconds, first.seconds)
    store = killed_db()
    if (stored := balance(clean_db)) != expected_inputs:
        result.mismatches.append(f"clean run accounts for {stored} of {expected_inputs} inputs")
    expected = snapshot(clean_db)
    for _ in range(kills):
        instant = clock.next()
        result.kill_points.append(instant)
        run = ingest(inputs, store, kill_after=instant)
        clock.ran(run.seconds)
        if run.returncode == -signal.SIGKILL:
            result.killed += 1
        elif run.returncode != 0:
            result.problems.append(f"run to be killed at {instant:.2f}s exited {run.returncode}: {run.stderr[-2000:]}")
        result.problems += [f"after a kill at {instant:.2f}s: {p}" for p in problems(store)]
        result.extra += max(0, balance(store) - expected_inputs)
        if run.returncode == 0:
            result.finished_before_kill += 1
            result.mismatches += _compare(expected, snapshot(store), f"a run that finished before its kill at {instant:.2f}s: ")
            store = killed_db()
            clock.restart(first.seconds)
    final = ingest(inputs, store)
    if final.returncode != 0:
        result.problems.append(f"final rerun exited {final.returncode}: {final.stderr[-2000:]}")
    result.problems += [f"after the final rerun: {p}" for p in problems(store)]
    stored = balance(store)
    result.lost = max(0, expected_inputs - stored)
    result.extra += max(0, stored - expected_inputs)
    result.mismatches += _compare(expected, snapshot(store), "")
    return result


def _compare(expected: dict[str, list[tuple[Any, ...]]], got: dict[str, list[tuple[Any, ...]]], where: str) -> list[str]:
    return [f"{where}{table}: {_diff(expected[table], got[table])}" for table in expected if expected[table] != got[table]]


def _diff(want: list[tuple[Any, ...]], got: list[tuple[Any, ...]]) -> str:
    missing = [row for row in want if row not in got]
    surplus = [row for row in got if row not in want]
    return f"{len(missing)} rows missing (e.g. {missing[:2]!r:.300}), {len(surplus)} extra (e.g. {surplus[:2]!r:.300})"
