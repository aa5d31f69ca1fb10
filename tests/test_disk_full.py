"""A store on a full medium: the ingest stops with a clear error naming the store and its disk, leaves
nothing corrupt, and once space is back the same command resumes to the result of an uninterrupted run.

The medium is the writing process's file-size limit (RLIMIT_FSIZE, with SIGXFSZ ignored so writes
fail with EFBIG as on a full disk), set only on the `storyline ingest` subprocess, so the real SQLite
write path hits it wherever the limit falls: in pass one (storing items) or pass two (facts and
stories). PostgreSQL's files are written by its server, not by storyline, so this is SQLite-only;
the server's "disk full" (SQLSTATE 53100) goes through the same mapping in `storyline.store.db`.
"""

from __future__ import annotations

import resource
import shutil
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from ingest_runs import EXAMPLES, Run, balance, distinct_inputs, ingest
from sqlalchemy.engine import make_url
from store_state import problems, snapshot

pytestmark = [
    pytest.mark.slow,
    pytest.mark.sqlite_only("the size limit is on the writing process; PostgreSQL's files are written by its server"),
]

FRACTIONS = (0.75, 2.5)
"""File-size limits as fractions of the clean store's size: the WAL grows past the store, so 0.75 lands in pass one (storing) and 2.5 in pass two (analysis)."""
STORE_FAILED = 74


def _limited(limit: int) -> Callable[[], None]:
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def _path(url: str) -> Path:
    return Path(make_url(url).database or "")


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One clean run, then per limit: a run on the limited medium and a rerun with the limit lifted."""
    folder = tmp_path_factory.mktemp("disk-full")
    for part in ("text", "broken"):
        shutil.copytree(EXAMPLES / part, folder / "corpus" / part)
    inputs = [str(folder / "corpus")]
    clean_url = f"sqlite:///{folder / 'clean.db'}"
    first = ingest(inputs, clean_url)
    assert first.returncode == 0 and first.report is not None, first.stderr[-3000:]
    size = _path(clean_url).stat().st_size
    runs: dict[float, dict[str, Any]] = {}
    for fraction in FRACTIONS:
        url = f"sqlite:///{folder / f'limited-{fraction}.db'}"
        full = ingest(inputs, url, preexec=_limited(int(size * fraction)))
        after_full = {"problems": problems(url), "balance": balance(url)}
        rerun = ingest(inputs, url)
        runs[fraction] = {"url": url, "full": full, "after_full": after_full, "rerun": rerun}
    return {"inputs": distinct_inputs(first.report), "expected": snapshot(clean_url), "runs": runs}


@pytest.mark.parametrize("fraction", FRACTIONS)
def test_a_full_disk_stops_the_ingest_with_a_clear_error_and_no_corruption(outcomes: dict[str, Any], fraction: float) -> None:
    run = outcomes["runs"][fraction]
    full: Run = run["full"]
    assert full.returncode == STORE_FAILED, full.stderr[-3000:]
    last = full.stderr.strip().splitlines()[-1]
    assert last.startswith("error: could not write the store"), last
    assert str(_path(run["url"]).parent.resolve()) in last, "the message names the disk's folder"
    assert "free some space" in last
    assert run["after_full"]["problems"] == []
    assert run["after_full"]["balance"] <= outcomes["inputs"]
    rerun: Run = run["rerun"]
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert problems(run["url"]) == []
    assert balance(run["url"]) == outcomes["inputs"]


@pytest.mark.parametrize("fraction", FRACTIONS)
def test_after_a_full_disk_the_rerun_ends_like_an_uninterrupted_run(outcomes: dict[str, Any], fraction: float) -> None:
    run = outcomes["runs"][fraction]
    assert "Traceback" not in run["full"].stderr, "a full disk is reported in one line, not as an item's crash"
    assert snapshot(run["url"]) == outcomes["expected"]
