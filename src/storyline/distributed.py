"""The Dask runner: the same stage functions as the local pipeline, run on a Dask cluster.

Two kinds of task go to the workers. A *shard* task reads one input file (or URL) and cleans every
item in it, computing its MinHash signature; an *analysis* task parses a batch of stored articles.
Between the two, the single writer in the calling process decides duplicates and stores, in input
order; after them it saves facts and links, in publication order. Analysis comes after dedup on
purpose: it is by far the costliest stage and news archives repeat themselves, so duplicates are
never parsed, and the writer never holds more than a bounded window of results.

Exactly once: when a worker dies, the scheduler runs its tasks again on another worker, and the
writer only ever consumes a task's final result; a shard that is nonetheless delivered twice (by a
rerun of the whole ingest) is harmless because every item is recognised by its key.
"""

from __future__ import annotations

import glob
import logging
import os
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from distributed import Client, LocalCluster, WorkerPlugin

from storyline.model import Article, ItemError
from storyline.pipeline import Analyzed, Analyzer, Cleaned, IngestOptions, Reader, analyze_batch, entries, prepare
from storyline.runner import AHEAD_PER_WORKER, ordered
from storyline.sources.files import walk
from storyline.sources.url import is_url

LOCAL = "local"
"""The `--dask` value that starts a cluster of local worker processes for this run."""
GLOB_CHARS = "*?["


class ModelPlugin(WorkerPlugin):
    """Loads the spaCy model when a worker starts (and when a replacement starts), once per worker."""

    name = "storyline-model"

    def setup(self, worker: Any) -> None:
        from storyline.analyze import nlp

        nlp.load()


@contextmanager
def session(options: IngestOptions, client: Client | None = None) -> Iterator[Client]:
    """A client for this ingest: the one given, a fresh local cluster, or a scheduler's address.

    When storyline makes the client, Dask's own logging follows storyline's verbosity instead of
    printing its INFO lines by default.
    """
    if client is not None:
        client.register_plugin(ModelPlugin())
        yield client
        return
    logging.getLogger("distributed").setLevel(logging.getLogger().getEffectiveLevel())
    if options.dask in (None, LOCAL):
        workers = options.workers or os.cpu_count() or 1
        with (
            LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster,
            Client(cluster) as local,
        ):
            local.register_plugin(ModelPlugin())
            yield local
        return
    with Client(options.dask) as remote:
        remote.register_plugin(ModelPlugin())
        yield remote


def shards(inputs: Sequence[str], options: IngestOptions) -> list[str]:
    """The units of work, in the order the local reader would meet them: directories become their
    files, globs their sorted matches; files, URLs and `-` stay as they are."""
    found: list[str] = []
    for value in inputs:
        if value != "-" and not is_url(value) and os.path.isdir(value):
            found.extend(walk(value, options.include, options.exclude))
        elif value != "-" and not is_url(value) and not os.path.exists(value) and any(char in value for char in GLOB_CHARS):
            found.extend(sorted(glob.glob(value, recursive=True)))
        else:
            found.append(value)
    return found


def read_shard(shard: str, options: IngestOptions) -> list[Cleaned | ItemError]:
    """One shard task: every item of one input, read and cleaned, in order."""
    results: list[Cleaned | ItemError] = []
    for entry in entries([shard], options):
        if isinstance(entry, ItemError):
            results.append(entry)
            continue
        try:
            results.append(prepare(entry, options.dedup, options.limits))
        except Exception as exc:  # noqa: BLE001 - one bad item never fails its whole shard
            results.append(ItemError(entry.input_name, entry.position, f"internal error while cleaning this item: {type(exc).__name__}: {exc}"))
    return results


def _workers(client: Client) -> int:
    return max(1, len(client.scheduler_info().get("workers", {})))


def reader(client: Client) -> Reader:
    """Shards read on the cluster, a bounded window ahead, yielded in input order."""

    def read(inputs: Sequence[str], options: IngestOptions) -> Iterator[Cleaned | ItemError]:
        ahead = AHEAD_PER_WORKER * _workers(client)
        pending: deque[Any] = deque()
        for shard in shards(inputs, options):
            if shard == "-":
                while pending:
                    yield from pending.popleft().result()
                yield from read_shard(shard, options)
                continue
            pending.append(client.submit(read_shard, shard, options, pure=False))
            if len(pending) >= ahead:
                yield from pending.popleft().result()
        while pending:
            yield from pending.popleft().result()

    return read


def analyzer(client: Client) -> Analyzer:
    """Batches analysed on the cluster, a bounded window ahead, yielded in submission order."""

    def analyze(batches: Iterable[list[Article]]) -> Iterator[Analyzed]:
        return ordered(lambda batch: client.submit(analyze_batch, batch, pure=False), batches, AHEAD_PER_WORKER * _workers(client))

    return analyze
