"""Coverage-guided fuzzing of the parsers with atheris (libFuzzer for Python); not a test.

One target per parser, each fed arbitrary bytes: the cleaner, every source reader (text, HTML,
JSON Lines, feed, WARC, sniffed with gzip, metadata sidecar), feed HTML fragments, and the number and
time-expression parsers. A target fails on any exception a user's input could trigger: readers must
yield items or errors, the cleaner may only refuse with CleanError, parsers must return a value or None.

    python bench/fuzz.py TARGET [--seconds N | --runs N] [--crashes DIR]   # one target, in this process
    python bench/fuzz.py all --seconds 10 [--jobs 2]                       # each target in a child process

Crashing inputs are saved in --crashes (default artifacts/fuzz/crashes/) as crash-<sha1>, to be
replayed with `python bench/fuzz.py TARGET --replay FILE`. `all` prints a table of inputs tried per
target and exits non-zero when any target found a crash. Seeds are in bench/fuzz_corpus/TARGET/;
what the fuzzer learns goes to a working corpus under artifacts/fuzz/corpus/, never into the seeds.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import atheris

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "bench" / "fuzz_corpus"
WORK = REPO / "artifacts" / "fuzz"

# Imported under instrumentation (so libFuzzer sees storyline's branches). The analyze package loads
# spaCy, tens of seconds on a busy machine, so only the targets that need it import it.
_ANALYZE_TARGETS = ("numbers", "timenorm")
with atheris.instrument_imports(include=["storyline"]):
    from storyline.clean import CleanError, clean
    from storyline.model import ItemError, RawItem
    from storyline.sources import Limits, read
    from storyline.sources.feed import fragment_text
    from storyline.sources.metadata import parse_sidecar

    if len(sys.argv) > 1 and sys.argv[1] in _ANALYZE_TARGETS:
        from storyline.analyze import numbers, timenorm

LIMITS = Limits(max_bytes=256 * 1024, parse_timeout=5.0, max_chars=50_000)
# libFuzzer ends the process with C exit(), past Python's cleanup, so input files live in one
# reused folder per process under WORK, which `all` removes when done.
_SCRATCH = WORK / "scratch" / str(os.getpid())


def _read_as(fmt: str | None, suffix: str) -> Callable[[bytes], None]:
    """A target reading the bytes as a file through `sources.read`, then cleaning every item it yields."""
    def target(data: bytes) -> None:
        _SCRATCH.mkdir(parents=True, exist_ok=True)
        path = _SCRATCH / f"input{suffix}"
        path.write_bytes(data)
        for result in read([str(path)], format=fmt, limits=LIMITS):
            if isinstance(result, ItemError):
                if not result.reason.strip():
                    raise AssertionError(f"error without a reason: {result!r}")
                continue
            _clean(result)
    return target


def _clean(item: RawItem) -> None:
    try:
        article = clean(item, LIMITS.max_chars)
    except CleanError:
        return
    if not article.text or article.document[article.body_offset:] != article.text:
        raise AssertionError(f"malformed article: {article.title!r} / {article.text[:200]!r}")


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="surrogateescape")


def _clean_target(data: bytes) -> None:
    provider = atheris.FuzzedDataProvider(data)
    title = provider.ConsumeUnicodeNoSurrogates(provider.ConsumeIntInRange(0, 200)) if provider.ConsumeBool() else None
    published = provider.ConsumeUnicodeNoSurrogates(provider.ConsumeIntInRange(0, 60)) if provider.ConsumeBool() else None
    text = provider.ConsumeUnicode(provider.remaining_bytes())
    item = RawItem("fuzz.jsonl", 1, "jsonl", data, text=text, title=title, published=published)
    _clean(item)
    try:
        first = clean(item)
    except CleanError:
        return
    again = clean(RawItem("fuzz.jsonl", 1, "jsonl", data, text=first.text, title=first.title))
    if (again.title, again.text) != (first.title, first.text):
        raise AssertionError(f"cleaning is not idempotent: {(first.title, first.text)!r} -> {(again.title, again.text)!r}")


def _sidecar_target(data: bytes) -> None:
    try:
        parse_sidecar(data)
    except ValueError:
        return


def _fragment_target(data: bytes) -> None:
    fragment_text(_text(data))


def _numbers_target(data: bytes) -> None:
    text = _text(data)
    numbers.parse(text)
    numbers.split_glued(text)


def _timenorm_target(data: bytes) -> None:
    provider = atheris.FuzzedDataProvider(data)
    anchor = date.fromordinal(provider.ConsumeIntInRange(1, date.max.toordinal())) if provider.ConsumeBool() else None
    direction = provider.PickValueInList([-1, 0, 1])
    timenorm.normalise(provider.ConsumeUnicodeNoSurrogates(provider.remaining_bytes()), anchor, direction)


TARGETS: dict[str, Callable[[bytes], None]] = {
    "clean": _clean_target,
    "sniffed": _read_as(None, ""),
    "gzip": _read_as(None, ".gz"),
    "text": _read_as("text", ".txt"),
    "html": _read_as("html", ".html"),
    "jsonl": _read_as("jsonl", ".jsonl"),
    "feed": _read_as("feed", ".xml"),
    "warc": _read_as("warc", ".warc"),
    "sidecar": _sidecar_target,
    "fragment": _fragment_target,
    "numbers": _numbers_target,
    "timenorm": _timenorm_target,
}


def fuzz(name: str, seconds: float | None, runs: int | None, crashes: Path) -> None:
    """Run one target under libFuzzer in this process; libFuzzer exits non-zero on a finding."""
    crashes.mkdir(parents=True, exist_ok=True)
    corpus = WORK / "corpus" / name
    corpus.mkdir(parents=True, exist_ok=True)
    argv = [sys.argv[0], f"-artifact_prefix={crashes}/{name}-", "-timeout=30", "-rss_limit_mb=3072",
            "-max_len=65536", "-print_final_stats=1"]
    if seconds is not None:
        argv.append(f"-max_total_time={max(1, round(seconds))}")
    if runs is not None:
        argv.append(f"-runs={runs}")
    argv += [str(corpus)] + ([str(SEEDS / name)] if (SEEDS / name).is_dir() else [])
    atheris.Setup(argv, TARGETS[name])
    atheris.Fuzz()


_DONE = re.compile(r"stat::number_of_executed_units: (\d+)")


def _fuzz_child(name: str, seconds: float | None, runs: int | None, crashes: Path) -> tuple[str, int, str, float]:
    command = [sys.executable, __file__, name, "--crashes", str(crashes)]
    command += ["--seconds", str(seconds)] if seconds is not None else []
    command += ["--runs", str(runs)] if runs is not None else []
    started = time.monotonic()
    child = subprocess.run(command, capture_output=True, text=True, errors="replace")
    return name, child.returncode, child.stderr, time.monotonic() - started


def fuzz_all(names: list[str], seconds: float | None, runs: int | None, crashes: Path, jobs: int) -> int:
    """Each target in a child process (libFuzzer owns its process), `jobs` at a time; a table of
    inputs tried per target, and exit status 1 when any target found something."""
    failed = []
    started = time.monotonic()
    print(f"{'target':<10} {'inputs':>10} {'seconds':>8}  result")
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for name, status, stderr, elapsed in pool.map(lambda n: _fuzz_child(n, seconds, runs, crashes), names):
            done = _DONE.findall(stderr)
            inputs = done[-1] if done else "?"
            result = "ok" if status == 0 else f"FINDING (exit {status})"
            print(f"{name:<10} {inputs:>10} {elapsed:>8.1f}  {result}", flush=True)
            if status != 0:
                failed.append(name)
                sys.stderr.write(stderr[-4000:])
    print(f"total {time.monotonic() - started:.1f} s")
    shutil.rmtree(WORK / "scratch", ignore_errors=True)
    if failed:
        print(f"findings in: {', '.join(failed)}; inputs saved in {crashes}")
    return 1 if failed else 0


def replay(name: str, path: Path) -> None:
    """Run one saved input through its target, raising what it raised, for debugging a finding."""
    TARGETS[name](path.read_bytes())
    print(f"{path}: no failure")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("target", choices=[*TARGETS, "all"])
    parser.add_argument("--seconds", type=float, help="fuzz each target this long")
    parser.add_argument("--runs", type=int, help="fuzz each target for this many inputs")
    parser.add_argument("--crashes", type=Path, default=WORK / "crashes", help="where crashing inputs are saved")
    parser.add_argument("--replay", type=Path, help="run one saved input instead of fuzzing")
    parser.add_argument("--jobs", type=int, default=1, help="with `all`: targets fuzzed at the same time")
    args = parser.parse_args()
    if args.replay is not None:
        replay(args.target, args.replay)
        return 0
    if args.seconds is None and args.runs is None:
        parser.error("give --seconds or --runs")
    if args.target == "all":
        return fuzz_all(list(TARGETS), args.seconds, args.runs, args.crashes.resolve(), max(1, args.jobs))
    fuzz(args.target, args.seconds, args.runs, args.crashes.resolve())
    return 0


if __name__ == "__main__":
    sys.exit(main())
