"""Running the stages: read → clean → dedup → store, then analyze → link in publication order.

The ingest is two passes over committed state. Pass one turns every input item into exactly one of
an article, a recorded duplicate or an `ingest_errors` row, each in its own transaction. Pass two
analyzes and links every article that has no facts yet, oldest publication first, one transaction
per article. A kill at any instant therefore leaves whole items only, and the next run resumes:
items already stored are recognised by their key, and unanalyzed articles are picked up again.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from sqlalchemy import Connection, Engine, select, update

from storyline.clean import CleanError, clean, item_key
from storyline.dedup import DedupConfig, band_keys, signature, similarity
from storyline.model import Article, ItemError, RawItem
from storyline.sources import Limits, read
from storyline.store import schema, writes
from storyline.store.facts import save_analysis
from storyline.store.queries import load_article

log = logging.getLogger(__name__)

Outcome = Literal["new", "duplicate", "near_duplicate", "unchanged", "error"]
Progress = Callable[[str, str], None]


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


def _store_item(engine: Engine, item: RawItem, run_id: int, config: DedupConfig) -> tuple[Outcome, str]:
    """Decide what one item is and commit that decision; returns the outcome and a reason or id."""
    key = item_key(item)
    with engine.connect() as conn:
        if writes.item_known(conn, key):
            return "unchanged", key
    try:
        article = clean(item)
    except CleanError as exc:
        with engine.begin() as conn:
            writes.record_error(conn, run_id, item.input_name, item.position, str(exc))
        return "error", str(exc)
    sig = signature(article.text, config)
    keys = band_keys(sig, config)
    with engine.begin() as conn:
        if writes.item_known(conn, key):
            return "unchanged", key
        original = writes.article_by_hash(conn, article.content_hash)
        if original:
            writes.insert_duplicate(conn, article, original, "exact", 1.0, run_id)
            return "duplicate", original
        best_id, best = _nearest(conn, sig, keys, article.id)
        if best_id and best >= config.threshold:
            writes.insert_duplicate(conn, article, best_id, "near", best, run_id)
            return "near_duplicate", best_id
        writes.insert_article(conn, article, run_id, sig, keys)
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


def _entries(inputs: Sequence[str], options: IngestOptions) -> Iterator[RawItem | ItemError]:
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
) -> IngestReport:
    """Ingest inputs (paths, URLs, `-`); returns the run's accounting.

    `progress(phase, message)` is called once per input item in phase "read" and once per article
    in phase "analyze"; the CLI drives its progress bars from it.
    """
    options = options or IngestOptions()
    started = time.monotonic()
    with engine.begin() as conn:
        _stale_runs_interrupted(conn)
        args = {"inputs": list(inputs), "format": options.format, "pid": os.getpid(), "host": socket.gethostname()}
        run_id = writes.start_run(conn, args)
    report = IngestReport(run_id=run_id)
    status = "failed"
    try:
        for entry in _entries(inputs, options):
            if isinstance(entry, ItemError):
                with engine.begin() as conn:
                    writes.record_error(conn, run_id, entry.input_name, entry.position, entry.reason, entry.detail)
                outcome, note = "error", entry.reason
                _sample(report, entry.input_name, entry.position, entry.reason)
            else:
                try:
                    outcome, note = _store_item(engine, entry, run_id, options.dedup)
                except Exception as exc:  # noqa: BLE001 - one bad item never stops the batch
                    log.exception("item %s:%s failed", entry.input_name, entry.position)
                    reason = f"internal error while storing this item: {type(exc).__name__}: {exc}"
                    with engine.begin() as conn:
                        writes.record_error(conn, run_id, entry.input_name, entry.position, reason, traceback.format_exc(limit=5))
                    outcome, note = "error", reason
                if outcome == "error":
                    _sample(report, entry.input_name, entry.position, note)
            report.count(outcome)
            if progress:
                progress("read", outcome)
        if options.analyze:
            analyzed, failed = analyze_pending(engine, batch_size=options.batch_size, progress=progress)
            report.analyzed, report.analysis_failed = analyzed, failed
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
    """Batches re-queried from the store: each batch is marked before the next is asked for."""
    while True:
        with engine.connect() as conn:
            ids = writes.unanalyzed(conn, version, batch_size, only_missing=only_missing)
            batch = [load_article(conn, article_id) for article_id in ids]
        if not batch:
            return
        yield batch


def analyze_pending(
    engine: Engine,
    *,
    batch_size: int = 16,
    only_missing: bool = True,
    link: bool = True,
    progress: Progress | None = None,
) -> tuple[int, int]:
    """Analyze (and link) articles without current facts, in publication order; (done, failed)."""
    from storyline.analyze import EXTRACTOR_VERSION
    from storyline.stories.link import link_article

    done = failed = 0
    for batch in _batches(engine, EXTRACTOR_VERSION, batch_size, only_missing):
        for article, analysis in _analyze_batch(batch):
            try:
                with engine.begin() as conn:
                    if analysis is None:
                        raise RuntimeError("analysis failed")
                    save_analysis(conn, analysis)
                    if link:
                        link_article(conn, article, analysis)
                    writes.mark_analyzed(conn, article.id, EXTRACTOR_VERSION)
                done += 1
            except Exception:  # noqa: BLE001 - the article stays stored; its failure is logged and marked
                log.exception("analysis of article %s failed", article.id)
                with engine.begin() as conn:
                    writes.mark_analyzed(conn, article.id, f"failed:{EXTRACTOR_VERSION}")
                failed += 1
            if progress:
                progress("analyze", article.id)
    return done, failed


def _analyze_batch(batch: list[Article]) -> Iterable[tuple[Article, Any]]:
    """Analyze a batch in one `nlp.pipe`; if the batch fails, retry one by one to isolate the bad article."""
    from storyline.analyze import analyze_articles

    try:
        return list(analyze_articles(batch))
    except Exception:  # noqa: BLE001
        log.exception("batch analysis failed; retrying article by article")
    results: list[tuple[Article, Any]] = []
    for article in batch:
        try:
            results.extend(analyze_articles([article]))
        except Exception:  # noqa: BLE001
            log.exception("analysis of article %s failed", article.id)
            results.append((article, None))
    return results
