"""The local process pool: analysis in N processes, results back to the single writer in order.

Parsing is the costly stage and is independent per article, so it is the part worth spreading over
cores; dedup, storing and linking need the store's current state and stay in the calling process.
Workers are started with `spawn` (the parent may hold database connections and threads, which do
not survive a fork cleanly) and load the spaCy model once, in their initializer.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from typing import Protocol

from storyline.model import Analysis, Article
from storyline.pipeline import Analyzed, Analyzer, analyze_batch

AHEAD_PER_WORKER = 2
"""Batches in flight per worker: enough to keep each busy while the writer links, few enough to
keep memory flat."""


class Pending(Protocol):
    """A batch being analysed elsewhere: a local future or a Dask future alike."""

    def result(self) -> list[Analysis | None]: ...


Submit = Callable[[list[Article]], Pending]


def _load_model() -> None:
    from storyline.analyze import nlp

    nlp.load()


def ordered(submit: Submit, batches: Iterable[list[Article]], ahead: int) -> Iterator[Analyzed]:
    """Submit batches ahead, at most `ahead` in flight, and yield their results in submission order.

    Order matters because the writer links in publication order; the window bounds memory.
    """
    pending: deque[tuple[list[Article], Pending]] = deque()
    for batch in batches:
        pending.append((batch, submit(batch)))
        if len(pending) >= ahead:
            yield _joined(*pending.popleft())
    while pending:
        yield _joined(*pending.popleft())


def _joined(batch: list[Article], future: Pending) -> Analyzed:
    return list(zip(batch, future.result(), strict=True))


@contextmanager
def pool_analyzer(workers: int) -> Iterator[Analyzer]:
    """An analyzer backed by `workers` local processes, shut down when the block ends."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_load_model) as pool:

        def analyzer(batches: Iterable[list[Article]]) -> Iterator[Analyzed]:
            return ordered(lambda batch: pool.submit(analyze_batch, batch), batches, AHEAD_PER_WORKER * workers)

        yield analyzer
