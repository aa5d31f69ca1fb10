"""Running the stages: read → clean → dedup → store, then analyze → link in publication order.

The ingest is two passes over committed state. Pass one turns every input item into exactly one of
an article, a recorded duplicate or an `ingest_errors` row, each in its own transaction. Pass two
analyzes and links every article that has no facts yet, oldest publication first, one transaction
per article. A kill at any instant therefore leaves whole items only, and the next run resumes:
items already stored are recognised by their key, and unanalyzed articles are picked up again.

Only the analysis may run elsewhere — in a local process pool (`workers`) or on Dask workers
(`dask`, see `storyline.distributed`); deciding duplicates, storing and linking stay with this single
writer, so every runner gives the same store. On PostgreSQL several ingest processes may share one
store: unique keys make pass one safe to race, and an advisory lock lets one process link at a time.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import Connection, Engine, select, text, update
from sqlalchemy.exc import IntegrityError

from storyline import readmodel
from storyline.clean import CleanError, clean, item_key
from storyline.dedup import DedupConfig, band_keys, signature, similarity
from storyline.model import Analysis, Article, ItemError, RawItem
from storyline.sources import Limits, read
from storyline.store import schema, writes
from storyline.store.db import StoreError
from storyline.store.facts import save_analysis
from storyline.store.queries import load_article

if TYPE_CHECKING:
    from distributed import Client

log = logging.getLogger(__name__)

Outcome = Literal["new", "duplicate", "near_duplicate", "unchanged", "error"]
Progress = Callable[[str, str], None]
Analyzed = list[tuple[Article, Analysis | None]]
Analyzer = Callable[[Iterable[list[Article]]], Iterator[Analyzed]]
"""Turns batches of articles into their analyses (None where one failed), batch for batch, in order."""

LINK_LOCK = 0x5354_4C4B
"""PostgreSQL advisory lock key held by the one process linking a store ("STLK")."""
STORE_ATTEMPTS = 3
DEFAULT_LIMITS = Limits()
ANALYSIS_MAX_CHARS = 1_000_000
"""Documents longer than this are never parsed, whatever `--max-chars` let in: spaCy refuses them
(its `max_length`) and would need several GB to try; such an article is marked failed."""


@dataclass(frozen=True)
class IngestOptions:
    format: str | None = None
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    published: str | None = None
    source: str | None = None
    limits: Limits = field(default_factory=Limits)
    dedup: DedupConfig = field(default_factory=DedupConfig)
    analyze: bool = True
    batch_size: int = 16
    workers: int | None = None
    """Analyze in this many local processes; None analyzes in this process."""
    dask: str | None = None
    """Read, clean and analyze on a Dask cluster: a scheduler address, or "local"."""


@dataclass(frozen=True)
class Cleaned:
    """An input item after the read and clean stages (which may run anywhere), ready for the writer.

    `article` is None when cleaning rejected the item; `reason` then says why.
    """

    input_name: str
    position: int
    key: str
    article: Article | None = None
    signature: bytes = b""
    band_keys: tuple[str, ...] = ()
    reason: str = ""


def prepare(item: RawItem, config: DedupConfig, limits: Limits = DEFAULT_LIMITS) -> Cleaned:
    """The store-independent part of pass one: cleaning (within `limits.max_chars`) and the MinHash signature."""
    key = item_key(item)
    try:
        article = clean(item, limits.max_chars)
    except CleanError as exc:
        return Cleaned(item.input_name, item.position, key, reason=str(exc))
    sig = signature(article.text, config)
    return Cleaned(item.input_name, item.position, key, article, sig, tuple(band_keys(sig, config)))


@dataclass
class IngestReport:
    run_id: int
    inputs: int = 0
    new: int = 0
    duplicates: int = 0
    near_duplicates: int = 0
    unchanged: int = 0
    errors: int = 0
    analyzed: int = 0
    analysis_failed: int = 0
    seconds: float = 0.0
    error_samples: list[dict[str, Any]] = field(default_factory=list)

    def count(self, outcome: Outcome) -> None:
        self.inputs += 1
        attr = {"new": "new", "duplicate": "duplicates", "near_duplicate": "near_duplicates", "unchanged": "unchanged", "error": "errors"}[outcome]
        setattr(self, attr, getattr(self, attr) + 1)

    def counts(self) -> dict[str, int]:
        return {k: getattr(self, k) for k in ("inputs", "new", "duplicates", "near_duplicates", "unchanged", "errors")}

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _stale_runs_interrupted(conn: Connection) -> None:
    """Runs left 'running' by a process on this host that no longer exists were killed."""
    runs = schema.ingest_runs
    host = socket.gethostname()
    for run_id, args in conn.execute(select(runs.c.id, runs.c.args).where(runs.c.status == "running")).all():
        pid = (args or {}).get("pid")
        if (args or {}).get("host") == host and isinstance(pid, int) and not _alive(pid):
            conn.execute(update(runs).where(runs.c.id == run_id).values(status="interrupted"))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _store_item(engine: Engine, item: RawItem, run_id: int, config: DedupConfig,
                limits: Limits = DEFAULT_LIMITS) -> tuple[Outcome, str]:
    """Decide what one item is and commit that decision; returns the outcome and a reason or id."""
    key = item_key(item)
    with engine.connect() as conn:
        if writes.item_known(conn, key):
            return "unchanged", key
    return store_cleaned(engine, prepare(item, config, limits), run_id, config)


def store_cleaned(engine: Engine, cleaned: Cleaned, run_id: int, config: DedupConfig) -> tuple[Outcome, str]:
    """Commit the dedup decision for one cleaned item.

    Another process writing the same store may commit the same item, or its exact copy, between
    our check and our insert; the unique keys then refuse our insert and the decision is retaken
    against what is now stored, which finds the item known or the copy as its original.
    """
    for _ in range(STORE_ATTEMPTS - 1):
        try:
            return _decide(engine, cleaned, run_id, config)
        except IntegrityError:
            log.info("item %s:%s was stored concurrently; deciding again", cleaned.input_name, cleaned.position)
    return _decide(engine, cleaned, run_id, config)


def _decide(engine: Engine, cleaned: Cleaned, run_id: int, config: DedupConfig) -> tuple[Outcome, str]:
    article = cleaned.article
    if article is None:
        with engine.begin() as conn:
            writes.record_error(conn, run_id, cleaned.input_name, cleaned.position, cleaned.reason)
        return "error", cleaned.reason
    keys = list(cleaned.band_keys)
    with engine.begin() as conn:
        writes.lock_item(conn, cleaned.key)
        if writes.item_known(conn, cleaned.key):
            return "unchanged", cleaned.key
        original = writes.article_by_hash(conn, article.content_hash)
        if original:
            writes.insert_duplicate(conn, article, original, "exact", 1.0, run_id)
            return "duplicate", original
        best_id, best = _nearest(conn, cleaned.signature, keys, article.id)
        if best_id and best >= config.threshold:
            writes.insert_duplicate(conn, article, best_id, "near", best, run_id)
            return "near_duplicate", best_id
        writes.insert_article(conn, article, run_id, cleaned.signature, keys)
    return "new", article.id


def _nearest(conn: Connection, sig: bytes, keys: list[str], own_id: str) -> tuple[str | None, float]:
    best_id, best = None, 0.0
    for candidate_id, candidate_sig in writes.near_candidates(conn, keys):
        if candidate_id == own_id:
            continue
        score = similarity(sig, candidate_sig)
        if score > best or (score == best and best_id is not None and candidate_id < best_id):
            best_id, best = candidate_id, score
    return best_id, best


def entries(inputs: Sequence[str], options: IngestOptions) -> Iterator[RawItem | ItemError]:
    """Read each input on its own, so a reader bug on one input cannot end the whole batch."""
    for name in inputs:
        try:
            yield from read(
                [name],
                format=options.format,
                include=options.include,
                exclude=options.exclude,
                published=options.published,
                source=options.source,
                limits=options.limits,
            )
        except Exception as exc:  # noqa: BLE001 - any reader failure becomes an error row, never a crash
            log.exception("reader failed on %s", name)
            yield ItemError(name, -1, f"could not read this input: {type(exc).__name__}: {exc}", traceback.format_exc(limit=5))


def ingest(
    engine: Engine,
    inputs: Sequence[str],
    options: IngestOptions | None = None,
    progress: Progress | None = None,
    *,
    client: Client | None = None,
) -> IngestReport:
    """Ingest inputs (paths, URLs, `-`); returns the run's accounting.

    `progress(phase, message)` is called once per input item in phase "read" and once per article
    in phase "analyze"; the CLI drives its progress bars from it. With `options.dask` (or an already
    connected Dask `client`) reading, cleaning and analysis run on the cluster; with
    `options.workers` analysis runs in a local process pool.
    """
    options = options or IngestOptions()
    if client is not None or options.dask:
        from storyline import distributed

        with distributed.session(options, client) as cluster:
            return _ingest(engine, inputs, options, progress, distributed.reader(cluster), distributed.analyzer(cluster))
    if options.workers:
        from storyline import runner

        with runner.pool_analyzer(options.workers) as analyzer:
            return _ingest(engine, inputs, options, progress, None, analyzer)
    return _ingest(engine, inputs, options, progress, None, analyze_in_process)


Reader = Callable[[Sequence[str], IngestOptions], Iterator[Cleaned | ItemError]]
"""Runs read and clean elsewhere, yielding every input item's result in input order."""


def _ingest(
    engine: Engine,
    inputs: Sequence[str],
    options: IngestOptions,
    progress: Progress | None,
    reader: Reader | None,
    analyzer: Analyzer,
) -> IngestReport:
    started = time.monotonic()
    with engine.begin() as conn:
        _stale_runs_interrupted(conn)
        args = {"inputs": list(inputs), "format": options.format, "pid": os.getpid(), "host": socket.gethostname()}
        run_id = writes.start_run(conn, args)
    report = IngestReport(run_id=run_id)
    status = "failed"
    views = readmodel.IngestViews(engine)
    stream = entries(inputs, options) if reader is None else reader(inputs, options)
    try:
        for entry in stream:
            if isinstance(entry, ItemError):
                with engine.begin() as conn:
                    writes.record_error(conn, run_id, entry.input_name, entry.position, entry.reason, entry.detail)
                outcome, note = "error", entry.reason
                _sample(report, entry.input_name, entry.position, entry.reason)
            else:
                try:
                    if isinstance(entry, Cleaned):
                        outcome, note = store_cleaned(engine, entry, run_id, options.dedup)
                    else:
                        outcome, note = _store_item(engine, entry, run_id, options.dedup, options.limits)
                except StoreError:
                    raise  # the store failed, not this item: stop, keeping what is committed
                except Exception as exc:  # noqa: BLE001 - one bad item never stops the batch
                    log.exception("item %s:%s failed", entry.input_name, entry.position)
                    reason = f"internal error while storing this item: {type(exc).__name__}: {exc}"
                    with engine.begin() as conn:
                        writes.record_error(conn, run_id, entry.input_name, entry.position, reason, traceback.format_exc(limit=5))
                    outcome, note = "error", reason
                if outcome == "error":
                    _sample(report, entry.input_name, entry.position, note)
            report.count(outcome)
            if outcome in ("duplicate", "near_duplicate"):
                views.duplicated([note])
            if progress:
                progress("read", outcome)
        if options.analyze:
            analyzed, failed = analyze_pending(engine, batch_size=options.batch_size, progress=progress, analyzer=analyzer, views=views)
            report.analyzed, report.analysis_failed = analyzed, failed
        views.done()
        status = "done"
    except KeyboardInterrupt:
        status = "interrupted"
        raise
    finally:
        report.seconds = round(time.monotonic() - started, 3)
        with engine.begin() as conn:
            writes.finish_run(conn, run_id, status, report.counts())
    return report


def _sample(report: IngestReport, input_name: str, position: int, reason: str) -> None:
    if len(report.error_samples) < 5:
        report.error_samples.append({"input": input_name, "position": position, "reason": reason})


def _batches(engine: Engine, version: str, batch_size: int, only_missing: bool) -> Iterator[list[Article]]:
    """Pending articles in publication order, paged by key so batches can be fetched ahead of marking."""
    after: writes.PendingKey | None = None
    while True:
        with engine.connect() as conn:
            keys = writes.unanalyzed(conn, version, batch_size, only_missing=only_missing, after=after)
            batch = [load_article(conn, article_id) for _, article_id in keys]
        if not batch:
            return
        after = keys[-1]
        yield batch


@contextmanager
def linking(engine: Engine) -> Iterator[None]:
    """Hold the store's link lock: linking is order-dependent, so one process links at a time.

    On PostgreSQL a session advisory lock on a connection of its own; the server drops it when the
    process dies, so a killed ingest never leaves the store locked. A SQLite store has one ingest
    at a time by convention and takes no lock.
    """
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": LINK_LOCK})
        conn.commit()
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": LINK_LOCK})
            conn.commit()


def analyze_in_process(batches: Iterable[list[Article]]) -> Iterator[Analyzed]:
    """The default analyzer: each batch in one `nlp.pipe` in this process."""
    for batch in batches:
        yield _analyze_batch(batch)


def analyze_pending(
    engine: Engine,
    *,
    batch_size: int = 16,
    only_missing: bool = True,
    link: bool = True,
    progress: Progress | None = None,
    analyzer: Analyzer = analyze_in_process,
    views: readmodel.IngestViews | None = None,
) -> tuple[int, int]:
    """Analyze (and link) articles without current facts, in publication order; (done, failed).

    `analyzer` decides where the parsing runs; the results are saved and linked here, one
    transaction per article, under the link lock. What linking touched is gathered in `views`,
    rendered when the caller's run is done (`IngestViews.done`); without one, before this returns.
    """
    from storyline.analyze import EXTRACTOR_VERSION
    from storyline.stories.link import link_article

    done = failed = 0
    own_views = views is None
    views = readmodel.IngestViews(engine) if views is None else views
    with linking(engine):
        for results in analyzer(_batches(engine, EXTRACTOR_VERSION, batch_size, only_missing)):
            for article, analysis in results:
                try:
                    with engine.begin() as conn:
                        if analysis is None:
                            raise RuntimeError("analysis failed")
                        save_analysis(conn, analysis)
                        if link:
                            link_article(conn, article, analysis)
                        writes.mark_analyzed(conn, article.id, EXTRACTOR_VERSION)
                    done += 1
                except StoreError:
                    raise  # a full disk is no fault of the article: it stays pending for the rerun
                except Exception:  # noqa: BLE001 - the article stays stored; its failure is logged and marked
                    log.exception("analysis of article %s failed", article.id)
                    with engine.begin() as conn:
                        writes.mark_analyzed(conn, article.id, f"failed:{EXTRACTOR_VERSION}")
                    failed += 1
                if progress:
                    progress("analyze", article.id)
            if link:
                views.linked(article.id for article, analysis in results if analysis is not None)
    if own_views:
        views.done()
    return done, failed


def _analyze_batch(batch: list[Article]) -> Analyzed:
    """Analyze a batch in one `nlp.pipe`; if the batch fails, retry one by one to isolate the bad article."""
    from storyline.analyze import analyze_articles

    if any(len(article.document) > ANALYSIS_MAX_CHARS for article in batch):
        too_long = {article.id for article in batch if len(article.document) > ANALYSIS_MAX_CHARS}
        log.warning("not analyzing %d article(s) over %d characters: %s", len(too_long), ANALYSIS_MAX_CHARS,
                    ", ".join(sorted(too_long)))
        fitting = iter(_analyze_batch([article for article in batch if article.id not in too_long]))
        return [(article, None) if article.id in too_long else next(fitting) for article in batch]
    try:
        return list(analyze_articles(batch))
    except Exception:  # noqa: BLE001
        log.exception("batch analysis failed; retrying article by article")
    results: Analyzed = []
    for article in batch:
        try:
            results.extend(analyze_articles([article]))
        except Exception:  # noqa: BLE001
            log.exception("analysis of article %s failed", article.id)
            results.append((article, None))
    return results


def analyze_batch(batch: list[Article]) -> list[Analysis | None]:
    """A batch's analyses alone, for runners in other processes: the articles need not travel back."""
    return [analysis for _, analysis in _analyze_batch(batch)]
