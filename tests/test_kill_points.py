"""An ingest killed with SIGKILL at random instants, then rerun, ends exactly like an uninterrupted one:
same articles, duplicates, errors, facts, entities and stories, every input item accounted for.

The instants come from a seeded RNG (set STORYLINE_CRASH_SEED to replay a failure) spread over the
measured length of a clean run; `bench/bench_kill_points.py` runs the long campaign.
"""

from __future__ import annotations

import itertools
import os
import random
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from ingest_runs import EXAMPLES, campaign

pytestmark = pytest.mark.slow

KILLS = 5


def small_corpus(folder: Path) -> list[str]:
    """Plain text, JSON Lines and the broken files of the examples, plus renamed copies of the texts:
    articles, exact duplicates and errors, small enough for several runs in CI."""
    root = folder / "corpus"
    for part in ("text", "jsonl", "broken"):
        shutil.copytree(EXAMPLES / part, root / part)
    copies = root / "copies"
    copies.mkdir()
    for path in sorted((EXAMPLES / "text").iterdir()):
        shutil.copy(path, copies / f"copy-{path.name}")
    return [str(root)]


def test_ingest_killed_at_random_instants_resumes_to_the_uninterrupted_result(tmp_path: Path, new_db_url: Callable[[str], str]) -> None:
    seed = int(os.environ.get("STORYLINE_CRASH_SEED", random.randrange(1 << 30)))
    stores = itertools.count()
    result = campaign(small_corpus(tmp_path), new_db_url("clean"), lambda: new_db_url(f"killed-{next(stores)}"), seed=seed, kills=KILLS)
    where = f"seed {seed}, kill points {[round(p, 2) for p in result.kill_points]}"
    assert result.killed >= 1, f"no run was killed before it finished ({where})"
    assert result.problems == [], where
    assert result.mismatches == [], where
    assert (result.lost, result.extra) == (0, 0), where
