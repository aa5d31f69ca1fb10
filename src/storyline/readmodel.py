"""The read model: story and article views stored as the bytes sent, rendered when what they show
changes, so that the first read of a view costs what a repeated one does.

A view is answered by three layers in turn: the server's in-process cache (`api.ReadCache`), the
`rendered_views` table, and a live render. A stored view carries the version of the store it shows —
the same version the in-process cache is keyed by (`api.story_version`, `api.article_version`) — and
is served only while that is still the store's current version and its ETag still matches its bytes;
otherwise the reader renders live and hands the row to a background writer (`WriteBehind`), so a read
never waits for the store's write lock and never fails because that write did. Writers render what
their change touched: an ingest when it is done (its articles, the stories they joined and originals
that got a duplicate, gathered by `IngestViews`), `storyline relink` and `reanalyze`, and `storyline
views refresh` for a whole store.
"""

from __future__ import annotations

import hashlib
import json
import logging
import queue
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, delete, select

from storyline.model import Analysis
from storyline.store import schema
from storyline.store.db import StoreFull
from storyline.store.facts import load_analyses, load_analysis
from storyline.store.queries import get_article
from storyline.store import story_tables as st
from storyline.store.direct import DirectQuery

log = logging.getLogger(__name__)

views = schema.rendered_views
KINDS: dict[tuple[str, str], str] = {
    ("stories", "json"): "story_json",
    ("stories", "page:oldest"): "story_page",
    ("articles", "json"): "article_json",
    ("articles", "page:"): "article_page",
}
"""The stored kind of each (view, variant) the API and the reader serve; the story page is stored in
its default (oldest first) order and the article page without a marked span."""
STATUS = ("status", "totals")
"""The row holding the last counts of the store (`StatusCounts`)."""
CHUNK = 64
"""Views rendered per transaction by `refresh_all`: each write stays short."""


def etag(body: bytes) -> str:
    return f'"{hashlib.blake2b(body, digest_size=12).hexdigest()}"'


def version_key(version: tuple[Any, ...]) -> str:
    """A fixed-size digest of a view's version tuple, compared instead of the tuple itself."""
    return hashlib.blake2b(json.dumps(version, default=str, separators=(",", ":")).encode(), digest_size=16).hexdigest()


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


RAW = b"\x01"
"""The first byte of a stored body kept as sent (`pack`); a body stored by an earlier version is
zlib-compressed and starts with 0x78."""


def pack(body: bytes, tag: str) -> bytes:
    """A body to store: the bytes sent, uncompressed, after a CRC-32 of the ETag and the bytes.

    The first read of a view is served from this row, on the event loop: inflating it and hashing
    the result again to check the ETag took 100-430 µs a view (three quarters of a first read), the
    CRC takes 3-16. The price is disk: views take about four times what they did compressed (34 against
    8 kB an article with its two views, 49 against 16 kB a story)."""
    return RAW + struct.pack(">I", zlib.crc32(body, zlib.crc32(tag.encode()))) + body


def unpack(stored_body: bytes, tag: str) -> bytes | None:
    """The bytes to send from a stored body and its ETag; None when the row is not whole (torn,
    overwritten, or its ETag not that of its bytes), so the view is rendered live instead."""
    if stored_body[:1] == RAW:
        body = stored_body[5:]
        return body if struct.unpack(">I", stored_body[1:5])[0] == zlib.crc32(body, zlib.crc32(tag.encode())) else None
    try:
        body = zlib.decompress(stored_body)
    except zlib.error:
        return None
    return body if etag(body) == tag else None


def row(kind: str, ident: str, version: tuple[Any, ...], body: bytes) -> dict[str, Any]:
    """A row to store: the body as `pack` keeps it, the ETag that of the bytes sent."""
    tag = etag(body)
    return {"kind": kind, "id": ident, "version": version_key(version), "body": pack(body, tag), "etag": tag, "rendered_at": _now()}


_LOAD = select(views.c.version, views.c.body, views.c.etag).where(views.c.kind == bindparam("kind"), views.c.id == bindparam("id"))
_LOAD_DIRECT = DirectQuery(_LOAD)


def stored(conn: Connection, kind: str, ident: str, version: tuple[Any, ...]) -> tuple[bytes, str] | None:
    """The stored view (the bytes to send) and its checked ETag when it shows `version` and is whole;
    None means render live. It is read on the request path of every first read, so it runs as a
    once-compiled driver statement."""
    rows = _LOAD_DIRECT.all(conn, kind=kind, id=ident)
    if not rows or rows[0][0] != version_key(version):
        return None
    _, stored_body, tag = rows[0]
    body = unpack(bytes(stored_body), tag)
    if body is None:
        log.warning("stored %s view of %s is not whole or does not match its ETag; rendering it live", kind, ident)
        return None
    return body, tag


def save(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Insert or replace rows, in the caller's transaction."""
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(views)
    statement = statement.on_conflict_do_update(
        index_elements=[views.c.kind, views.c.id], set_={name: statement.excluded[name] for name in ("version", "body", "etag", "rendered_at")}
    )
    conn.execute(statement, rows)


# --- rendering ------------------------------------------------------------------------------------


def render_story(conn: Connection, story_id: str) -> list[dict[str, Any]]:
    """The story's JSON and page rows, each as the routes build it; none when there is no such story.

    The version is read before the views are built, as the in-process cache does: a change landing
    in between leaves a row whose version is already old, which readers then skip."""
    from storyline.api import encode, story_version
    from storyline.stories.queries import story_detail
    from storyline.web.pages import _story_html as story_html

    version = story_version(conn, story_id)
    detail = None if version is None else story_detail(conn, story_id)
    if version is None or detail is None:
        return []
    return [row("story_json", story_id, version, encode(detail)), row("story_page", story_id, version, story_html(conn, detail, "oldest").encode())]


def render_article(conn: Connection, article_id: str) -> list[dict[str, Any]]:
    """The article's JSON and page rows; none when `article_id` is not a stored article's id."""
    return render_articles(conn, [article_id])


def render_articles(conn: Connection, article_ids: Iterable[str]) -> list[dict[str, Any]]:
    """The JSON and page rows of these articles (ids that are not a stored article's give none).

    Their analyses are read together (`load_analyses`: three queries for the lot instead of three an
    article, which made reading them half of an ingest's article renders); each view is otherwise
    built as the routes build it (`article_and_analysis`), so the bytes are the same.
    """
    from storyline.api import article_version, encode
    from storyline.web.pages import article_html

    versions = {ident: version for ident in dict.fromkeys(article_ids) if (version := article_version(conn, ident)) is not None}
    analyses = load_analyses(conn, versions)
    rows: list[dict[str, Any]] = []
    for article_id, version in versions.items():
        found = article_and_analysis(conn, article_id, analyses.get(article_id))
        if found is not None:
            article, analysis = found
            rows += [row("article_json", article_id, version, encode(article)),
                     row("article_page", article_id, version, article_html(article, analysis).encode())]
    return rows


def article_and_analysis(conn: Connection, article_id: str, analysis: Analysis | None = None) -> tuple[dict[str, Any], Analysis] | None:
    """An article with its clean text, removed lines, every fact (each with its span) and its stories,
    and the analysis it was made from (the article page marks the text with it); None when there is
    no such article. Spans index into `document` (title, blank line, text), returned as well so a client
    can slice it. `analysis`, when given, must be the stored one (`load_analysis`) of the article."""
    from storyline.api import plain

    article = get_article(conn, article_id)
    if article is None:
        return None
    if analysis is None or analysis.article_id != article["id"]:
        analysis = load_analysis(conn, article["id"])
    article["document"] = f"{article['title']}\n\n{article['text']}" if article["title"] else article["text"]
    article["facts"] = {
        "entities": plain(analysis.entities),
        "mentions": plain(analysis.mentions),
        "quotes": plain(analysis.quotes),
        "quantities": plain(analysis.quantities),
        "dates": plain(analysis.timerefs),
        "places": plain(analysis.places),
        "events": plain(analysis.events),
        "claims": plain(analysis.claims),
    }
    ps, stories = st.passages, st.stories
    article["stories"] = [
        dict(found._mapping)
        for found in conn.execute(
            select(ps.c.story_id, stories.c.title, ps.c.development_id, ps.c.start, ps.c.end)
            .join(stories, stories.c.id == ps.c.story_id)
            .where(ps.c.article_id == article["id"])
            .order_by(ps.c.start)
        )
    ]
    return article, analysis


def touched_stories(conn: Connection, article_ids: Iterable[str]) -> set[str]:
    """The stories these articles are linked into."""
    ids = sorted(set(article_ids))
    found: set[str] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        found.update(r[0] for r in conn.execute(select(st.passages.c.story_id).where(st.passages.c.article_id.in_(chunk)).distinct()))
    return found


def refresh(engine: Engine, story_ids: Iterable[str] = (), article_ids: Iterable[str] = ()) -> int:
    """Render these stories' and articles' views and store them in one short transaction; rows written."""
    rows: list[dict[str, Any]] = []
    with engine.connect() as conn:
        for story_id in sorted(set(story_ids)):
            rows += render_story(conn, story_id)
        rows += render_articles(conn, sorted(set(article_ids)))
    with engine.begin() as conn:
        save(conn, rows)
    return len(rows)


def after_link(engine: Engine, article_ids: list[str], *, with_stories: bool = True) -> None:
    """Render the views of these articles (and, `with_stories`, of the stories they are linked into).
    Rendering is derived work: a failure is logged, never costing an article."""
    if not article_ids:
        return
    try:
        with engine.connect() as conn:
            stories = sorted(touched_stories(conn, article_ids)) if with_stories else []
    except StoreFull:
        raise
    except Exception:  # noqa: BLE001 - the ingest goes on; readers render what is missing
        log.warning("could not store the views of %d article(s); they will be rendered when read", len(article_ids), exc_info=True)
        return
    _render_chunks(engine, stories, article_ids)


def _render_chunks(engine: Engine, story_ids: list[str], article_ids: list[str]) -> None:
    """Render and store views `CHUNK` at a time, each chunk in its own short transaction; a failure is
    logged and leaves the views to be rendered on their first read, never costing an article. A full
    disk is no such failure: it stops the ingest with its one clear error, as it would one chunk later."""
    try:
        for start in range(0, len(story_ids), CHUNK):
            refresh(engine, story_ids[start : start + CHUNK], ())
        for start in range(0, len(article_ids), CHUNK):
            refresh(engine, (), article_ids[start : start + CHUNK])
    except StoreFull:
        raise
    except Exception:  # noqa: BLE001 - the ingest goes on; readers render what is missing
        log.warning("could not store the views of %d stories and %d articles; they will be rendered when read",
                    len(story_ids), len(article_ids), exc_info=True)


class IngestViews:
    """What an ingest touched, rendered once when it is done (`done`), and every `limit` ids on a long one.

    An entity filling its role anywhere replaces the read generation that every view is keyed by, and
    that happens all through an ingest, so views rendered while it runs are mostly out of date before
    it ends (renders every 30 seconds left two in three to nine in ten stale), and a story joined by articles
    of many batches was rendered again and again. Rendered once at the end, each touched view costs
    one render and is current when the ingest returns; while it runs, readers render live, as for any
    view out of date. `limit` bounds the ids held on an ingest of millions; when it was reached, `done`
    also renders again the views rendered since the start that went out of date.
    """

    def __init__(self, engine: Engine, limit: int = 4096) -> None:
        self.engine = engine
        self.limit = limit
        self.linked_ids: set[str] = set()
        self.original_ids: set[str] = set()
        self.started = _now()
        self.rendered_early = False

    def linked(self, article_ids: Iterable[str]) -> None:
        """After a batch's link commit: these articles' views and their stories' changed."""
        self.linked_ids.update(article_ids)
        self._bounded()

    def duplicated(self, article_ids: Iterable[str]) -> None:
        """These originals got a duplicate: only their own views show it."""
        self.original_ids.update(article_ids)
        self._bounded()

    def done(self) -> None:
        """The run's writes are over: render what it touched, then what went stale since an early render."""
        self._render()
        if self.rendered_early:
            self.rendered_early = False
            try:
                with self.engine.connect() as conn:
                    stories, articles = stale_since(conn, self.started)
            except Exception:  # noqa: BLE001 - as for any render: readers render what is out of date
                log.warning("could not check the views rendered during the ingest", exc_info=True)
                return
            _render_chunks(self.engine, stories, articles)

    def _bounded(self) -> None:
        if len(self.linked_ids) + len(self.original_ids) >= self.limit:
            self._render()
            self.rendered_early = True

    def _render(self) -> None:
        linked, originals = sorted(self.linked_ids), sorted(self.original_ids - self.linked_ids)
        self.linked_ids, self.original_ids = set(), set()
        after_link(self.engine, linked)
        after_link(self.engine, originals, with_stories=False)


def stale_since(conn: Connection, since: str) -> tuple[list[str], list[str]]:
    """The stories and articles with a view rendered at or after `since` that no longer shows them as they are."""
    from storyline.api import article_version, story_version

    found = conn.execute(select(views.c.kind, views.c.id, views.c.version).where(views.c.rendered_at >= since, views.c.kind.in_(KINDS.values()))).all()
    stories: set[str] = set()
    articles: set[str] = set()
    for kind, ident, version in found:
        is_story = kind.startswith("story")
        current = (story_version if is_story else article_version)(conn, ident)
        if current is not None and version_key(current) != version:
            (stories if is_story else articles).add(ident)
    return sorted(stories), sorted(articles)


# --- a whole store ----------------------------------------------------------------------------------


@dataclass
class RefreshSummary:
    stories: int = 0
    articles: int = 0
    rendered: int = 0
    current: int = 0
    removed: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


_CURRENT = select(views.c.kind, views.c.id, views.c.version)


def _stale(conn: Connection, ids: list[str], versions: Callable[[Connection, str], tuple[Any, ...] | None], kinds: tuple[str, str]) -> list[str]:
    """The ids among `ids` with a view missing or at another version."""
    have: dict[tuple[str, str], str] = {(k, i): v for k, i, v in conn.execute(_CURRENT.where(views.c.kind.in_(kinds)))}
    stale = []
    for ident in ids:
        version = versions(conn, ident)
        if version is None:
            continue
        key = version_key(version)
        if any(have.get((k, ident)) != key for k in kinds):
            stale.append(ident)
    return stale


def refresh_all(engine: Engine, *, everything: bool = False, progress: Callable[[str, int, int], None] | None = None) -> RefreshSummary:
    """Bring every story and article view of the store up to date; `everything` re-renders current ones too.

    Views of stories and articles that no longer exist (after a relink) are removed. Work goes in
    chunks of `CHUNK`, each written in its own transaction, so readers and an ingest are never
    blocked for long and an interrupted refresh keeps what it finished. `progress(phase, done, total)`
    is called after each chunk.
    """
    from storyline.api import article_version, story_version

    started = time.monotonic()
    summary = RefreshSummary()
    with engine.connect() as conn:
        story_ids = [r[0] for r in conn.execute(select(st.stories.c.id).order_by(st.stories.c.id))]
        article_ids = [r[0] for r in conn.execute(select(schema.articles.c.id).order_by(schema.articles.c.id))]
        summary.stories, summary.articles = len(story_ids), len(article_ids)
        stale_stories = story_ids if everything else _stale(conn, story_ids, story_version, ("story_json", "story_page"))
        stale_articles = article_ids if everything else _stale(conn, article_ids, article_version, ("article_json", "article_page"))
    with engine.begin() as conn:
        for kind, ids in (("story_json", story_ids), ("story_page", story_ids), ("article_json", article_ids), ("article_page", article_ids)):
            known = set(ids)
            gone = [i for (i,) in conn.execute(select(views.c.id).where(views.c.kind == kind)) if i not in known]
            for start in range(0, len(gone), 500):
                summary.removed += conn.execute(delete(views).where(views.c.kind == kind, views.c.id.in_(gone[start : start + 500]))).rowcount
    summary.current = 2 * (len(story_ids) - len(stale_stories) + len(article_ids) - len(stale_articles))
    for phase, ids, is_story in (("stories", stale_stories, True), ("articles", stale_articles, False)):
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            summary.rendered += refresh(engine, chunk, ()) if is_story else refresh(engine, (), chunk)
            if progress:
                progress(phase, min(start + CHUNK, len(ids)), len(ids))
        if progress and not ids:
            progress(phase, 0, 0)
    summary.seconds = round(time.monotonic() - started, 3)
    return summary


# --- the server's side --------------------------------------------------------------------------------


class WriteBehind:
    """Views a reader rendered live, written back by one background thread.

    The reader only queues the row: it never waits for the store's write lock (an ingest may hold
    it), and a failed or dropped write costs nothing but another live render later. Each transaction
    writes at most `batch` rows, so the lock is held briefly.
    """

    def __init__(self, engine: Engine, capacity: int = 256, batch: int = 16) -> None:
        self.engine = engine
        self.batch = batch
        self.queue: queue.Queue[dict[str, Any]] = queue.Queue(capacity)
        self.thread: threading.Thread | None = None
        self.lock = threading.Lock()

    def submit(self, kind: str, ident: str, version: tuple[Any, ...], body: bytes) -> None:
        try:
            self.queue.put_nowait(row(kind, ident, version, body))
        except queue.Full:
            return
        with self.lock:
            if self.thread is None:
                self.thread = threading.Thread(target=self._run, name="storyline-views", daemon=True)
                self.thread.start()

    def flush(self) -> None:
        """Wait until every queued row is written or given up on (tests, shutdown)."""
        self.queue.join()

    def _rows(self) -> Iterator[tuple[list[dict[str, Any]], int]]:
        """Up to `batch` queued rows (the last one of each view wins) and how many queue items they took."""
        while True:
            first = self.queue.get()
            rows = {(first["kind"], first["id"]): first}
            taken = 1
            while taken < self.batch:
                try:
                    item = self.queue.get_nowait()
                except queue.Empty:
                    break
                rows[(item["kind"], item["id"])] = item
                taken += 1
            yield list(rows.values()), taken

    def _run(self) -> None:
        for rows, taken in self._rows():
            try:
                with self.engine.begin() as conn:
                    save(conn, rows)
            except Exception:  # noqa: BLE001 - best effort: the next read renders live again
                log.warning("could not store %d rendered view(s)", len(rows), exc_info=True)
            finally:
                for _ in range(taken):
                    self.queue.task_done()


class StatusCounts:
    """What `/api/v1/status` reports, counted at most every `max_age` seconds instead of per call.

    Counting the large tables costs tens of milliseconds to seconds on a big store; the counts are
    exact as of `counted_at`, which the answer includes. A stale snapshot is answered at once while
    one background thread recounts; the snapshot is kept in the store too, so a fresh server process
    answers from it without counting first. `invalidate` (after a write through this server) makes
    the next answer count anew.
    """

    def __init__(self, engine: Engine, max_age: float = 5.0) -> None:
        self.engine = engine
        self.max_age = max_age
        self.snapshot: tuple[float, dict[str, Any]] | None = None
        self.lock = threading.Lock()
        self.counting = False

    def get(self) -> dict[str, Any]:
        snapshot = self.snapshot
        if snapshot is None:
            with self.lock:
                if self.snapshot is None:
                    self.snapshot = self._stored() or self._count()
                snapshot = self.snapshot
        if time.time() - snapshot[0] > self.max_age:
            self._recount_in_background()
        return snapshot[1]

    def invalidate(self) -> None:
        with self.lock:
            self.snapshot = None

    def _stored(self) -> tuple[float, dict[str, Any]] | None:
        try:
            with self.engine.connect() as conn:
                found = conn.execute(_LOAD, {"kind": STATUS[0], "id": STATUS[1]}).first()
            if found is None:
                return None
            body = unpack(found.body, found.etag)
            if body is None:
                return None
            counts = json.loads(body)
            return datetime.fromisoformat(counts["counted_at"].replace("Z", "+00:00")).timestamp(), counts
        except Exception:  # noqa: BLE001 - counting anew is always possible
            log.warning("could not read the stored status counts", exc_info=True)
            return None

    def _count(self) -> tuple[float, dict[str, Any]]:
        from storyline.store.queries import totals

        at = time.time()
        with self.engine.connect() as conn:
            counts = {**totals(conn), "counted_at": datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}
        try:
            with self.engine.begin() as conn:
                body = json.dumps(counts, default=str).encode()
                save(conn, [{**row(*STATUS, (), body), "rendered_at": counts["counted_at"]}])
        except Exception:  # noqa: BLE001 - the counts are still right; only the next process counts again
            log.warning("could not store the status counts", exc_info=True)
        return at, counts

    def _recount_in_background(self) -> None:
        with self.lock:
            if self.counting:
                return
            self.counting = True

        def recount() -> None:
            try:
                self.snapshot = self._count()
            except Exception:  # noqa: BLE001 - the old snapshot stays; the next call tries again
                log.warning("could not count the store", exc_info=True)
            finally:
                self.counting = False

        threading.Thread(target=recount, name="storyline-status", daemon=True).start()

