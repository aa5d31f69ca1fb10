"""Parallel and distributed ingest: a local process pool and a local Dask cluster give the same store
as one process, and a Dask worker killed mid-run changes nothing in the result."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from conftest import DATA, need
from store_state import corpus_lines, snapshot
from storyline.pipeline import IngestOptions, ingest
from storyline.store.db import open_store

pytestmark = pytest.mark.slow

SHARDS = 4


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """16 real articles (plus a repeat and a bad line) in a folder of JSONL shards."""
    lines = corpus_lines(need(DATA / "ukraine-news" / "articles.jsonl").read_text().splitlines(), 16)
    folder = tmp_path_factory.mktemp("shards")
    for index in range(SHARDS):
        (folder / f"part-{index}.jsonl").write_text("\n".join(lines[index::SHARDS]) + "\n")
    return folder


def run(url: str, folder: Path, options: IngestOptions, **kwargs) -> dict:  # type: ignore[no-untyped-def, type-arg]
    engine = open_store(url)
    report = ingest(engine, [str(folder)], options, **kwargs)
    engine.dispose()
    assert report.analysis_failed == 0
    return snapshot(url)


@pytest.fixture(scope="module")
def expected(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:  # type: ignore[type-arg]
    """The single-process result every runner must reproduce (kept on SQLite: it is only a reference)."""
    state = run(f"sqlite:///{tmp_path_factory.mktemp('reference') / 'one.db'}", corpus, IngestOptions(batch_size=4))
    assert state["articles"] and state["duplicates"] and state["errors"] and state["passages"]
    return state


@pytest.mark.parametrize(
    "options",
    [IngestOptions(batch_size=4, workers=1), IngestOptions(batch_size=4, workers=2), IngestOptions(batch_size=4, dask="local", workers=2)],
    ids=["workers-1", "workers-2", "dask-local"],
)
def test_every_runner_gives_the_single_process_result(corpus: Path, expected: dict, new_db_url, options: IngestOptions) -> None:  # type: ignore[no-untyped-def, type-arg]
    assert run(new_db_url("parallel"), corpus, options) == expected


def test_a_dask_worker_killed_mid_run_changes_nothing(corpus: Path, expected: dict, new_db_url) -> None:  # type: ignore[no-untyped-def, type-arg]
    from distributed import Client, LocalCluster

    killed: list[int] = []
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster, Client(cluster) as client:

        def kill_a_busy_worker(phase: str, _note: str) -> None:
            if phase != "analyze" or killed:
                return
            busy = [address for address, tasks in client.processing().items() if tasks]
            assert busy, "no analysis task in flight when the first result arrived"
            pid = client.run(os.getpid, workers=[busy[0]])[busy[0]]
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

        state = run(new_db_url("killed"), corpus, IngestOptions(batch_size=2), client=client, progress=kill_a_busy_worker)
    assert killed
    assert state == expected
