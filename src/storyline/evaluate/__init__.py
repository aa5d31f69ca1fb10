"""Benchmark tasks behind `storyline eval TASK PATH`.

Each task lives in its own module exposing `evaluate(path: Path, *, limit: int | None = None) -> dict`,
which reads the dataset in its standard format and returns JSON-ready metrics, the baseline's under a
`baseline` key. The registry maps task names to modules so the CLI imports only what it runs.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

TASKS: dict[str, str] = {
    "ner": "storyline.evaluate.ner",
    "quotes": "storyline.evaluate.quotes",
    "timex": "storyline.evaluate.timex",
    "casualties": "storyline.evaluate.casualties",
    "events": "storyline.evaluate.events",
    "html": "storyline.evaluate.html",
    "seeds": "storyline.evaluate.seeds",
    "developments": "storyline.evaluate.developments",
    "stories": "storyline.evaluate.stories",
    "timeline": "storyline.evaluate.timeline",
}


def run(task: str, path: Path, *, limit: int | None = None) -> dict[str, Any]:
    """Run one task; raises KeyError for an unknown task name."""
    module = importlib.import_module(TASKS[task])
    return module.evaluate(path, limit=limit)
