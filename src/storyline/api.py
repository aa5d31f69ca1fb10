"""The HTTP API and the web reader in one ASGI app: thin views over the store's read functions.

`create_app` is what `storyline serve` runs. Everything under `/api/v1` answers JSON, errors included
(`{"error": {"code", "message"}}`, never a stack trace); the pages at `/` are the reader
(`storyline.web.pages`). Writes need the API token and are refused outright when none is configured,
so a server started without one is read-only by construction.
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import hmac
import json
import logging
import math
import os
import re
import socket
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, fields, is_dataclass
from functools import cache
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, File, Form, HTTPException, Path as PathParam, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import Connection, Engine, bindparam, func, select
from sqlalchemy.pool import QueuePool
from starlette.background import BackgroundTask
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from storyline import __version__, readmodel
from storyline.store import schema, search
from storyline.store import story_tables as st
from storyline.store.facts import alias_generation, read_generation
from storyline.store.db import StoreFull
from storyline.store.direct import DirectQuery
from storyline.store.queries import list_errors

log = logging.getLogger(__name__)

API = "/api/v1"
TOKEN_ENV = "STORYLINE_API_TOKEN"
READ_TOKEN_ENV = "STORYLINE_READ_TOKEN"
MAX_BODY_BYTES = 10 * 1024 * 1024
MAX_PAGE = 200
MAX_ARTICLES_PER_POST = 500
DEFAULT_WRITE_RATE = "60/minute"
DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?Z?)?$"
ID_PATTERN = r"^[A-Za-z0-9_:.-]{1,64}$"

Since = Annotated[str | None, Query(pattern=DATE_PATTERN, description="On or after this date (YYYY-MM-DD or ISO time).")]
Until = Annotated[str | None, Query(pattern=DATE_PATTERN, description="On or before this date (YYYY-MM-DD or ISO time).")]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description=f"Page size (at most {MAX_PAGE}).")]
Cursor = Annotated[str | None, Query(max_length=512, description="`next_cursor` of the previous page.")]
Name = Annotated[str | None, Query(max_length=200)]
Id = Annotated[str, PathParam(pattern=ID_PATTERN)]


class ApiError(HTTPException):
    """An HTTP error with a stable machine-readable code beside the human message."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(status_code=status, detail=message, headers=headers)
        self.code = code


_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
          413: "payload_too_large", 415: "unsupported_media_type", 422: "invalid_request", 429: "too_many_requests"}


def error_body(code: str, message: str, details: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if details:
        error["details"] = details
    return {"error": error}


class BodyLimit:
    """Refuse request bodies over `max_bytes` with 413, whether or not Content-Length announces them."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        too_large = ApiError(413, "payload_too_large", f"the request body is over the {self.max_bytes} byte limit")
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            response = JSONResponse(error_body(too_large.code, str(too_large.detail)), status_code=413)
            await response(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise too_large
            return message

        await self.app(scope, counted, send)


class SecurityHeaders:
    """Every response forbids inline and foreign script, framing and MIME sniffing.

    Article text is untrusted: even if some markup slipped through escaping, the browser would not run
    it, because scripts may only come from this server's own static files.
    """

    POLICY = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    )

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"content-security-policy", self.POLICY.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"x-frame-options", b"DENY"),
                ]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)



class Admission:
    """At most `limit` requests inside the app at once; the rest wait their turn in the event loop.

    Each request holds one pooled database connection from a worker thread; letting more requests in
    than the pool has connections makes the surplus fail after the pool's timeout instead of queueing.
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.gate = asyncio.Semaphore(limit)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/static/"):
            await self.app(scope, receive, send)
            return
        async with self.gate:
            await self.app(scope, receive, send)

_RATE_UNITS = {"s": 1.0, "sec": 1.0, "second": 1.0, "m": 60.0, "min": 60.0, "minute": 60.0, "h": 3600.0, "hour": 3600.0}


@dataclass(frozen=True)
class Rate:
    """`requests` per `seconds`, with bursts up to `requests`: a token bucket of that size refilled
    evenly over `seconds`."""

    requests: int
    seconds: float

    @classmethod
    def parse(cls, spec: str) -> Rate | None:
        """`"60/minute"`, `"20/s"`, `"1000/hour"`; `"off"` (or "none", "0") is no limit."""
        if spec.strip().lower() in ("off", "none", "0", ""):
            return None
        count, _, unit = spec.strip().partition("/")
        if not count.strip().isdigit() or int(count) < 1 or unit.strip().lower() not in _RATE_UNITS:
            raise ValueError(f"a rate is COUNT/UNIT with a unit of {', '.join(sorted(set(_RATE_UNITS)))} (e.g. 60/minute) or off, not {spec!r}")
        return cls(int(count), _RATE_UNITS[unit.strip().lower()])


class RateLimit:
    """Per client address, separate token buckets for reads (GET, HEAD) and writes (everything else).

    A request finding its bucket empty gets 429 with `Retry-After` (whole seconds until a token is
    back) and the usual JSON error body, before any work is done for it. The address is the
    connection's peer: behind a reverse proxy every client shares the proxy's, so limit there instead.
    Buckets live in this process; with `--workers N` a client may reach up to N times the rate. At most
    `max_clients` addresses are tracked; the least recently seen is forgotten first (its bucket
    starts full again).
    """

    def __init__(self, app: ASGIApp, reads: Rate | None, writes: Rate | None, max_clients: int = 65_536) -> None:
        self.app = app
        self.rates = {"read": reads, "write": writes}
        self.max_clients = max_clients
        self.buckets: OrderedDict[tuple[str, str], tuple[float, float]] = OrderedDict()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/static/"):
            await self.app(scope, receive, send)
            return
        kind = "read" if scope["method"] in ("GET", "HEAD", "OPTIONS") else "write"
        rate = self.rates[kind]
        wait = 0.0 if rate is None else self.take((scope.get("client") or ("unknown", 0))[0], kind, rate, time.monotonic())
        if wait <= 0:
            await self.app(scope, receive, send)
            return
        retry = max(1, math.ceil(wait))
        message = f"too many {kind}s from this address: at most {rate.requests} per {rate.seconds:g} s; retry in {retry} s"  # type: ignore[union-attr]
        response = JSONResponse(error_body("too_many_requests", message), status_code=429, headers={"Retry-After": str(retry)})
        await response(scope, receive, send)

    def take(self, client: str, kind: str, rate: Rate, now: float) -> float:
        """Spend one token; 0 when there was one, else the seconds until there will be."""
        per_second = rate.requests / rate.seconds
        key = (client, kind)
        tokens, then = self.buckets.pop(key, (float(rate.requests), now))
        tokens = min(float(rate.requests), tokens + (now - then) * per_second)
        wait = 0.0 if tokens >= 1 else (1 - tokens) / per_second
        self.buckets[key] = (tokens - 1 if wait == 0 else tokens, now)
        while len(self.buckets) > self.max_clients:
            self.buckets.popitem(last=False)
        return wait


class ReadCache:
    """Built answers of the costliest reads, reused while what they show has not changed.

    A story page reads every member article's facts and an article page all of its own; both are
    kept here as the bytes sent (and the story detail they are built from), keyed by what was read
    and valid while the entry's version — read from the store before building — is still the store's
    current one (`story_version`, `article_version`). Each server process has its own cache; the
    version check makes them agree. `size=0` turns caching off.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self.entries: OrderedDict[tuple[str, ...], tuple[tuple[Any, ...], Any, str]] = OrderedDict()
        self.building: dict[tuple[str, ...], threading.Lock] = {}
        self.lock = threading.Lock()

    def peek(self, key: tuple[str, ...], version: tuple[Any, ...]) -> tuple[Any, str] | None:
        """The value and its ETag when cached at this version."""
        with self.lock:
            hit = self.entries.get(key)
            if hit is None or hit[0] != version:
                return None
            self.entries.move_to_end(key)
            return hit[1], hit[2]

    def put(self, key: tuple[str, ...], version: tuple[Any, ...], value: bytes, etag: str) -> tuple[bytes, str]:
        """Keep a view found elsewhere (the stored read model, which checked its ETag) at this version;
        the value and its ETag."""
        if self.size > 0:
            with self.lock:
                self._keep(key, version, value, etag)
        return value, etag

    def _keep(self, key: tuple[str, ...], version: tuple[Any, ...], value: Any, etag: str) -> None:
        self.entries[key] = (version, value, etag)
        self.entries.move_to_end(key)
        while len(self.entries) > self.size:
            evicted, _ = self.entries.popitem(last=False)
            self.building.pop(evicted, None)

    def get(self, key: tuple[str, ...], version: tuple[Any, ...], build: Callable[[], Any]) -> tuple[Any, str]:
        """The cached value and ETag, or `build()`'s when missing or stale (one build per key at a time)."""
        if self.size <= 0:
            value = build()
            return value, _etag(value)
        with self.lock:
            building = self.building.setdefault(key, threading.Lock())
        with building:
            hit = self.peek(key, version)
            if hit is not None:
                return hit
            value = build()
            etag = _etag(value)
            with self.lock:
                self._keep(key, version, value, etag)
        return value, etag


def _etag(value: Any) -> str:
    return readmodel.etag(value) if isinstance(value, bytes) else ""


_STORY_VERSION = DirectQuery(select(st.stories.c.updated_seq, read_generation()).where(st.stories.c.id == bindparam("id")))
_ARTICLE_VERSION = DirectQuery(
    select(
        schema.articles.c.analysis_version,
        select(func.count()).where(schema.duplicates.c.article_id == schema.articles.c.id).scalar_subquery(),
        read_generation(),
        alias_generation(),
        st.passages.c.story_id,
        st.passages.c.development_id,
        st.passages.c.start,
        st.passages.c.end,
        st.stories.c.title,
    )
    .select_from(
        schema.articles.outerjoin(st.passages, st.passages.c.article_id == schema.articles.c.id).outerjoin(
            st.stories, st.stories.c.id == st.passages.c.story_id
        )
    )
    .where(schema.articles.c.id == bindparam("id"))
    .order_by(st.passages.c.start)
)
"""Built once: these run before every cached answer, and building a statement costs more than running it.
An article's version is one query (its passages joined in) rather than two: it runs on every read."""


def story_version(conn: Connection, story_id: str) -> tuple[Any, ...] | None:
    """What a cached story view depends on: the story's `updated_seq` (bumped by every passage linked
    to it) and the store's read generation (facts replaced, entities changed); None: no such story."""
    rows = _STORY_VERSION.all(conn, id=story_id)
    return rows[0] if rows else None


def article_version(conn: Connection, article_id: str) -> tuple[Any, ...] | None:
    """What a cached article view depends on: its analysis version, its duplicates, its passages with
    the title of the story each is in (all the view shows of a story: another article joining the
    story leaves this article's view current), the read generation and the alias generation (its JSON
    lists each entity's aliases); None when `article_id` is not an exact id."""
    rows = _ARTICLE_VERSION.all(conn, id=article_id)
    if not rows:
        return None
    return (*rows[0][:4], tuple(tuple(r[4:]) for r in rows if r[4] is not None))


VERSIONS: dict[str, Callable[[Connection, str], tuple[Any, ...] | None]] = {"stories": story_version, "articles": article_version}


def cached(request: Request, conn: Connection, kind: str, ident: str, variant: str, build: Callable[[], Any]) -> tuple[Any, str] | None:
    """A view of one story or article through the app's read cache, then the stored read model
    (`storyline.readmodel`), then `build`; None when there is no such one. A view built here is
    queued to be stored for the next reader (of any server process)."""
    version = VERSIONS[kind](conn, ident)
    if version is None:
        return None
    cache: ReadCache = request.app.state.read_cache
    stored_kind = readmodel.KINDS.get((kind, variant))
    if stored_kind is None:
        return cache.get((kind, ident, variant), version, build)

    def load_or_build() -> Any:
        try:
            found = readmodel.stored(conn, stored_kind, ident, version)
        except Exception:  # noqa: BLE001 - the stored layer is an optimisation: render live instead
            log.warning("could not read the stored %s view of %s", stored_kind, ident, exc_info=True)
            conn.rollback()
            found = None
        body = None if found is None else found[0]
        if body is None:
            body = build()
            request.app.state.view_writer.submit(stored_kind, ident, version, body)
        return body

    return cache.get((kind, ident, variant), version, load_or_build)


def cached_story(request: Request, conn: Connection, story_id: str) -> dict[str, Any] | None:
    """`story_detail` through the app's read cache."""
    from storyline.stories.queries import story_detail

    found = cached(request, conn, "stories", story_id, "detail", lambda: story_detail(conn, story_id))
    return None if found is None else found[0]  # type: ignore[no-any-return]


def merged_story(request: Request, conn: Connection, story_id: str) -> Response | None:
    """A permanent redirect to the story that `story_id` was merged into, if it was: links, bookmarks
    and followers of a folded story keep reaching its passages. Asked only once a story is not found,
    so live stories pay nothing for it."""
    from storyline.stories.merge import resolve

    live = resolve(conn, story_id)
    if live == story_id:
        return None
    path = request.url.path.removesuffix(story_id) + live
    query = f"?{request.url.query}" if request.url.query else ""
    return RedirectResponse(path + query, status_code=308)


def encoded_response(request: Request, body: bytes, etag: str, media_type: str) -> Response:
    """The bytes with their ETag, or 304 when the client already has them."""
    headers = {"etag": etag, "cache-control": "no-cache"} if etag else {}
    if etag and etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)


class HotReads:
    """Story and article views that are cached or stored current, answered before routing.

    The views are the costliest reads and, once built, the most repeated; checking that a cached
    one is current takes one or two indexed queries, cheaper than the thread hop and the routing
    around them, and a view missing from this process's cache is looked up in the stored read model
    (`storyline.readmodel`) with one more. They run on the event loop over a connection of this
    process's own. Anything else — a view neither cached nor stored current, an unknown or
    abbreviated id, other query parameters, a read token given as a cookie — goes on to the routes,
    which build, cache and answer it.
    """

    PATH = re.compile(r"^/(api/v1/)?(stories|articles)/([A-Za-z0-9_:.-]{1,64})$")
    PAGE_QUERIES = {("stories", b""): "page:oldest", ("stories", b"order=oldest"): "page:oldest",
                    ("stories", b"order=newest"): "page:newest", ("articles", b""): "page:"}

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.conn: Connection | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and scope["path"] == f"{API}/status" and not scope["query_string"]:
            if await self._status(scope, send):
                return
        elif scope["type"] == "http" and scope["method"] == "GET" and (match := self.PATH.match(scope["path"])):
            api, kind, ident = match.groups()
            variant = "json" if api and not scope["query_string"] else None if api else self.PAGE_QUERIES.get((kind, scope["query_string"]))
            if variant is not None and await self._answer(scope, send, kind, ident, variant, "application/json" if api else "text/html; charset=utf-8"):
                return
        await self.app(scope, receive, send)

    @staticmethod
    def _allowed(state: Any, headers: dict[bytes, bytes]) -> bool:
        """The read-token check of `can_read`, for header tokens (a cookie goes through the routes)."""
        if state.read_token is None:
            return True
        given = headers.get(b"authorization", b"").decode("latin-1")
        token = given[7:].strip() if given[:7].lower() == "bearer " else headers.get(b"x-api-token", b"").decode("latin-1")
        return _matches(token, state.read_token) or _matches(token, state.write_token)

    async def _status(self, scope: Scope, send: Send) -> bool:
        """The status counts while a snapshot is in memory (counting, the first time, goes through the route)."""
        state = scope["app"].state
        counts: readmodel.StatusCounts = state.status_counts
        if counts.snapshot is None or not self._allowed(state, dict(scope["headers"])):
            return False
        body = encode({"version": __version__, **counts.get()})
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
        return True

    async def _answer(self, scope: Scope, send: Send, kind: str, ident: str, variant: str, media_type: str) -> bool:
        state = scope["app"].state
        headers = dict(scope["headers"])
        if not self._allowed(state, headers):
            return False
        hit = self._lookup(state.engine, state.read_cache, kind, ident, variant)
        if hit is None:
            return False
        body, etag = hit
        fresh = etag.encode() in headers.get(b"if-none-match", b"")
        response_headers = [(b"etag", etag.encode()), (b"cache-control", b"no-cache")]
        if not fresh:
            response_headers += [(b"content-type", media_type.encode()), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 304 if fresh else 200, "headers": response_headers})
        await send({"type": "http.response.body", "body": b"" if fresh else body})
        return True

    def _lookup(self, engine: Engine, cache: ReadCache, kind: str, ident: str, variant: str) -> tuple[bytes, str] | None:
        """The cached view if current, else the stored one if current (then cached too); None: route it."""
        try:
            if self.conn is None:
                self.conn = engine.connect()
            try:
                version = VERSIONS[kind](self.conn, ident)
                if version is None:
                    return None
                key = (kind, ident, variant)
                hit = cache.peek(key, version)
                if hit is not None:
                    return hit  # type: ignore[return-value]
                stored_kind = readmodel.KINDS.get((kind, variant))
                found = None if stored_kind is None else readmodel.stored(self.conn, stored_kind, ident, version)
                return None if found is None else cache.put(key, version, *found)
            finally:
                self.conn.rollback()
                self.conn.connection.dbapi_connection.rollback()  # type: ignore[union-attr] - what the version read began (`DirectQuery`)
        except Exception:  # noqa: BLE001 - the routes answer instead, and report what is wrong
            log.warning("hot read check failed; serving through the routes", exc_info=True)
            if self.conn is not None:
                self.conn.invalidate()
                self.conn = None
            return None


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip()
    return request.headers.get("x-api-token")


def _matches(given: str | None, expected: str | None) -> bool:
    """Constant time in the tokens' contents and lengths: equal-size digests are what is compared."""
    if not (given and expected):
        return False
    return hmac.compare_digest(hashlib.sha256(given.encode()).digest(), hashlib.sha256(expected.encode()).digest())


def connection(request: Request) -> Iterator[Connection]:
    """One pooled connection per request, returned when the response is done."""
    with request.app.state.engine.connect() as conn:
        yield conn


Conn = Annotated[Connection, Depends(connection)]


async def can_read(request: Request) -> None:
    """Reads are open unless a read token is configured; the write token reads too."""
    state = request.app.state
    if state.read_token is None:
        return
    given = _bearer(request) or request.cookies.get("storyline_token")
    if not (_matches(given, state.read_token) or _matches(given, state.write_token)):
        raise ApiError(401, "unauthorized", "this server needs a read token (Authorization: Bearer TOKEN)", {"WWW-Authenticate": "Bearer"})


async def can_write(request: Request) -> None:
    state = request.app.state
    if state.write_token is None:
        raise ApiError(403, "writes_disabled", f"writes are disabled on this server: start it with an API token (${TOKEN_ENV}) to enable them")
    if not _matches(_bearer(request), state.write_token):
        raise ApiError(401, "unauthorized", "this endpoint needs the API token (Authorization: Bearer TOKEN)", {"WWW-Authenticate": "Bearer"})


# --- request bodies -----------------------------------------------------------------------------


class ArticleIn(BaseModel):
    title: str | None = Field(default=None, max_length=2000)
    text: str = Field(min_length=1, description="Article body; paragraphs separated by blank lines.")
    published: str | None = Field(default=None, max_length=64, description="ISO 8601 date or time.")
    url: str | None = Field(default=None, max_length=4000)
    source: str | None = Field(default=None, max_length=300, description="Outlet name.")
    author: str | None = Field(default=None, max_length=300)


class IngestIn(BaseModel):
    articles: list[ArticleIn] = Field(min_length=1, max_length=MAX_ARTICLES_PER_POST)


# --- start-up -----------------------------------------------------------------------------------

WARM_UP_ID = "warm-up"
"""An id no story or article has (ids are hex digests): the not-found answers are warmed with it."""
WARM_UP_CLIENT = ("storyline-warm-up", 0)
"""The client address of the warm-up requests: a rate limit counts them apart from real clients."""
WARM_UP_CANDIDATES = 200
"""The warm-up story is the smallest of this many (the first rows of the table): a live build of it,
when its views are not stored, stays short, and finding it reads that many rows on any store."""


@dataclass
class WarmUp:
    """What start-up paid for before the server took its first connection (`app.state.warm_up`)."""

    answers: dict[str, int] = field(default_factory=dict)
    """Each warm-up path and the status it was answered with."""
    connections: int = 0
    """Pooled connections opened and left in the pool."""
    frozen: int = 0
    """Objects moved out of the collector's reach (`gc.freeze`)."""
    seconds: float = 0.0
    """How long the requests and the connections took (the heap's freezing not included)."""


def _warm_up_ids(engine: Engine) -> tuple[str | None, str | None]:
    """A small story's id and any article's id (None when the store has none), in reads bounded
    whatever the store holds."""
    first = select(st.stories.c.id, st.stories.c.passages).limit(WARM_UP_CANDIDATES).subquery()
    with engine.connect() as conn:
        story = conn.execute(select(first.c.id).order_by(first.c.passages, first.c.id).limit(1)).scalar()
        article = conn.execute(select(schema.articles.c.id).limit(1)).scalar()
    return story, article


def _fill_pool(engine: Engine) -> int:
    """Open as many connections as the pool keeps, at once, and give them back: the first burst of
    requests then finds them open instead of each paying a connect (and the PRAGMAs on SQLite)."""
    pool = engine.pool
    if not isinstance(pool, QueuePool):
        return 0
    opened: list[Connection] = []
    try:
        for _ in range(pool.size()):
            opened.append(engine.connect())
    finally:
        for conn in opened:
            conn.close()
    return len(opened)


def _warm_up_paths(story_id: str | None, article_id: str | None) -> list[tuple[str, dict[str, str]]]:
    """The story and article views as the API and the reader ask for them, and a not-found answer of
    each kind (the routes, their dependencies, the error handlers and the error page's template)."""
    html = {"accept": "text/html"}
    paths: list[tuple[str, dict[str, str]]] = []
    if story_id is not None:
        paths += [(f"{API}/stories/{story_id}", {}), (f"/stories/{story_id}", html)]
    if article_id is not None:
        paths += [(f"{API}/articles/{article_id}", {}), (f"/articles/{article_id}", html)]
    return paths + [(f"{API}/stories/{WARM_UP_ID}", {}), (f"/articles/{WARM_UP_ID}", html)]


async def warm_up(app: FastAPI) -> WarmUp:
    """Do what the first requests to a fresh process would otherwise pay for, before it accepts any.

    The first request of a fresh process paid 8-18 ms for what later ones reuse (the hot-read check's
    connection, its statements compiled, code paths run for the first time), and a burst of requests
    arriving together all waited behind it. Here one story and one article are asked for
    through the whole app (middleware, hot-read check, stored views, routes), with the read token when
    one is set, and the pool's connections are opened. The work is a few requests whatever the store
    holds; a failure is logged and the server starts anyway, since nothing here is needed to answer.
    """
    import httpx
    from starlette.concurrency import run_in_threadpool

    started = time.perf_counter()
    done = WarmUp()
    state = app.state
    try:
        story_id, article_id = await run_in_threadpool(_warm_up_ids, state.engine)
        done.connections = await run_in_threadpool(_fill_pool, state.engine)
        token = state.read_token or state.write_token
        auth = {"authorization": f"Bearer {token}"} if token else {}
        transport = httpx.ASGITransport(app=app, client=WARM_UP_CLIENT)
        async with httpx.AsyncClient(transport=transport, base_url="http://storyline") as client:
            for path, headers in _warm_up_paths(story_id, article_id):
                done.answers[path] = (await client.get(path, headers={**headers, **auth})).status_code
    except Exception:  # noqa: BLE001 - an optimisation only: the first requests pay instead
        log.warning("start-up warm-up failed; the first requests will be slower", exc_info=True)
    done.seconds = round(time.perf_counter() - started, 3)
    return done


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Warm up, then freeze what start-up allocated (see `warm_up`, `_freeze_heap`); undone at shutdown,
    when the store's connections are closed too (a PostgreSQL server counts them against its limit)."""
    app.state.warm_up = await warm_up(app)
    app.state.warm_up.frozen = _freeze_heap()
    try:
        yield
    finally:
        gc.unfreeze()
        app.state.engine.dispose()


def _freeze_heap() -> int:
    """Keep the objects start-up made (the imported libraries and the app: over 100,000) out of
    the cyclic collector's full passes; their count.

    A full collection walks every tracked object and stops the event loop meanwhile: on this heap it
    took 25-350 ms on a busy 2-core machine, once every 10,000-20,000 requests, and delayed every request
    in flight by that much. Frozen objects are still freed when their last reference goes; only what requests
    allocate is walked afterwards, which takes well under a millisecond.
    """
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


# --- the app ------------------------------------------------------------------------------------


def create_app(
    db: str | None = None,
    *,
    token: str | None = None,
    read_token: str | None = None,
    max_body_bytes: int = MAX_BODY_BYTES,
    cors_origins: tuple[str, ...] = (),
    analyze: bool = True,
    cache_size: int = 2048,
    max_concurrency: int = 12,
    read_rate: Rate | str | None = None,
    write_rate: Rate | str | None = DEFAULT_WRITE_RATE,
) -> FastAPI:
    """The API and the reader over the store at `db` (a URL or a SQLite path, as for the CLI).

    `token` (else $STORYLINE_API_TOKEN) enables the write endpoints; `read_token` (else
    $STORYLINE_READ_TOKEN) makes reads need it too (the write token also reads). CORS stays off unless
    origins are given. `analyze=False` makes API ingests store articles without extracting facts;
    `cache_size` is how many built story and article views to keep (0: none); `max_concurrency` caps
    requests served at once (keep it below the store's connection pool size). `read_rate` and
    `write_rate` limit each client address (a `Rate` or its text, e.g. "60/minute"; None: no limit):
    writes are limited by default, reads are not.
    """
    reads = Rate.parse(read_rate) if isinstance(read_rate, str) else read_rate
    writes = Rate.parse(write_rate) if isinstance(write_rate, str) else write_rate
    from storyline.store.db import open_store
    from storyline.web import pages

    engine = open_store(db)
    with engine.begin() as conn:
        st.ensure(conn)
        if conn.dialect.name == "sqlite":
            search.ensure_sqlite_fts(conn)
    write_secret = token or os.environ.get(TOKEN_ENV) or None
    read_secret = read_token or os.environ.get(READ_TOKEN_ENV) or None

    app = FastAPI(
        title="storyline",
        version=__version__,
        description="Stories built from news articles: what happened, when and where, who said what, how numbers and claims changed.",
        openapi_url=f"{API}/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=_lifespan,
    )
    app.state.engine = engine
    app.state.write_token = write_secret
    app.state.read_token = read_secret
    app.state.read_cache = ReadCache(cache_size)
    app.state.view_writer = readmodel.WriteBehind(engine)
    app.state.status_counts = readmodel.StatusCounts(engine)

    _install_errors(app)
    app.include_router(_read_routes(), prefix=API, dependencies=[Depends(can_read)])
    app.include_router(_write_routes(engine, analyze), prefix=API, dependencies=[Depends(can_write)])
    app.include_router(pages.router(), dependencies=[Depends(can_read)])
    app.mount("/static", pages.static_files(), name="static")
    app.add_middleware(BodyLimit, max_bytes=max_body_bytes)
    app.add_middleware(Admission, limit=max_concurrency)
    if cache_size > 0:
        app.add_middleware(HotReads)
    if reads is not None or writes is not None:
        app.add_middleware(RateLimit, reads=reads, writes=writes)
    if cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(CORSMiddleware, allow_origins=list(cors_origins), allow_methods=["GET", "POST"], allow_headers=["Authorization", "Content-Type"])
    app.add_middleware(SecurityHeaders)
    return app


SERVE_ENV = "STORYLINE_SERVE_OPTIONS"


SERVE_LOOP = f"{__name__}:accepting_loop"
"""The event loop `storyline serve` runs uvicorn on (its `loop` option), in each process. With two
processes sharing the listening socket one may take a whole burst while the other idles, yet the
bench's burst of 50 first reads still had a lower p99 than on plain uvloop (63 and 94 ms against 101
and 329 on a loaded 2-core machine)."""


def accepting_loop() -> asyncio.AbstractEventLoop:
    """uvloop (asyncio's own loop without it) whose TCP servers accept every waiting connection at once.

    libuv, under uvloop, accepts one connection per loop iteration (since 1.45): when 50 clients
    connect at once to a busy server the last waits 50 iterations, each as long as the requests in
    flight take, which put 150-400 ms on the p99 of a burst of first reads on a loaded 2-core machine
    while each read took under a millisecond. asyncio's own loop accepts them all, but costs a third
    more CPU per request than uvloop. Here uvloop keeps serving the connections and a reader on the
    listening socket accepts what is waiting, up to the backlog, whenever it is readable.
    """
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()

    class Loop(uvloop.Loop):
        async def create_server(self, protocol_factory: Callable[[], asyncio.Protocol], *args: Any, **kwargs: Any) -> Any:
            server = await super().create_server(protocol_factory, *args, **kwargs)
            if kwargs.get("ssl") is not None:
                return server
            listeners = [socket.socket(fileno=os.dup(s.fileno())) for s in server.sockets if s.type == socket.SOCK_STREAM and s.family != socket.AF_UNIX]
            for listener in listeners:
                listener.setblocking(False)
                self.add_reader(listener.fileno(), _accept_waiting, self, listener, protocol_factory, kwargs.get("backlog", 100))
            return _AcceptingServer(server, self, listeners)

    return Loop()


def _accept_waiting(loop: Any, listener: socket.socket, protocol_factory: Callable[[], asyncio.Protocol], backlog: int) -> None:
    """Every connection waiting on `listener` (at most `backlog`), each handed to the loop to serve."""
    for _ in range(backlog):
        try:
            conn, _ = listener.accept()
        except (BlockingIOError, InterruptedError):
            return
        except OSError:  # out of file descriptors, a connection reset while waiting: the loop's own accept goes on
            log.warning("could not accept a connection", exc_info=True)
            return
        conn.setblocking(False)
        loop.create_task(loop.connect_accepted_socket(protocol_factory, conn))


class _AcceptingServer:
    """The loop's server, whose `close` also stops `accepting_loop`'s readers."""

    def __init__(self, server: Any, loop: asyncio.AbstractEventLoop, listeners: list[socket.socket]) -> None:
        self.server = server
        self.loop = loop
        self.listeners = listeners

    def close(self) -> None:
        for listener in self.listeners:
            self.loop.remove_reader(listener.fileno())
            listener.close()
        self.listeners = []
        self.server.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.server, name)


def app_from_env() -> FastAPI:
    """`create_app` with the keyword arguments in $STORYLINE_SERVE_OPTIONS (JSON): how each worker
    process of `storyline serve --workers N` builds its own app (uvicorn imports it by name)."""
    options = json.loads(os.environ.get(SERVE_ENV) or "{}")
    return create_app(options.pop("db", None), **options)


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith(API) and "text/html" in request.headers.get("accept", "")


def _install_errors(app: FastAPI) -> None:
    from storyline.web import pages

    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        code = getattr(exc, "code", None) or _CODES.get(exc.status_code, "error")
        message = str(exc.detail) if exc.detail else code.replace("_", " ")
        if _wants_html(request):
            return pages.error_page(request, exc.status_code, message, headers=exc.headers)
        return JSONResponse(error_body(code, message), status_code=exc.status_code, headers=exc.headers)

    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        details = [{"where": ".".join(str(p) for p in err.get("loc", ())), "problem": err.get("msg", "")} for err in exc.errors()]
        message = "; ".join(f"{d['where']}: {d['problem']}" for d in details[:5]) or "the request is not valid"
        if _wants_html(request):
            return pages.error_page(request, 422, message)
        return JSONResponse(error_body("invalid_request", message, details), status_code=422)

    async def bad_cursor(request: Request, exc: search.BadCursor) -> Response:
        return JSONResponse(error_body("invalid_cursor", str(exc)), status_code=422)

    async def store_full(request: Request, exc: StoreFull) -> Response:
        # The message names server paths and free space: the log gets it, the client does not.
        log.error("store full on %s %s: %s", request.method, request.url.path, exc)
        return JSONResponse(error_body("store_full", "the server's storage is full; nothing was half-written, retry later"), status_code=507)

    async def crash(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        message = "internal error; the server log has the details"
        if _wants_html(request):
            return pages.error_page(request, 500, message)
        return JSONResponse(error_body("internal_error", message), status_code=500)

    app.add_exception_handler(StarletteHTTPException, http_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, invalid)  # type: ignore[arg-type]
    app.add_exception_handler(search.BadCursor, bad_cursor)  # type: ignore[arg-type]
    app.add_exception_handler(StoreFull, store_full)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, crash)


# --- read side ----------------------------------------------------------------------------------


def article_with_facts(conn: Connection, article_id: str) -> dict[str, Any] | None:
    """One article with its clean text, removed lines and every fact, each with its span.

    Spans index into `document` (title, blank line, text), which is returned as well so a client can
    slice it directly.
    """
    found = readmodel.article_and_analysis(conn, article_id)
    return None if found is None else found[0]


@cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


def plain(value: Any) -> Any:
    """Fact records as JSON-ready values, like `dataclasses.asdict` without its deep copies (which
    took a third of an article's build); sequences become lists."""
    if is_dataclass(value) and not isinstance(value, type):
        return {name: plain(getattr(value, name)) for name in _field_names(type(value))}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    return value


def encode(value: Any) -> bytes:
    """JSON as sent: the facts are plain values, and FastAPI's generic encoder walking every fact
    took as long as reading them from the store."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def story_page(conn: Connection, *, entity: str | None, place: str | None, since: str | None, until: str | None, limit: int, cursor: str | None) -> dict[str, Any]:
    """A page of the story list; the story layer pages by offset, which the cursor carries."""
    from storyline.stories.queries import list_stories

    offset = int(search.decode_cursor(cursor, 1)[0]) if cursor else 0
    rows = list_stories(conn, entity=entity, place=place, since=since, until=until, limit=limit + 1, offset=offset)
    more = len(rows) > limit
    return {"items": rows[:limit], "next_cursor": search.encode_cursor([offset + limit]) if more else None}


def _read_routes() -> APIRouter:
    from storyline import export as exports
    from storyline.stories.queries import follow

    router = APIRouter()

    @router.get("/status", summary="What the store holds (counted at most a few seconds ago: see counted_at)", tags=["store"])
    async def status(request: Request) -> dict[str, Any]:
        from starlette.concurrency import run_in_threadpool

        counts: readmodel.StatusCounts = request.app.state.status_counts
        # A snapshot in memory is answered on the event loop; only counting (the first call) takes a thread.
        return {"version": __version__, **(counts.get() if counts.snapshot is not None else await run_in_threadpool(counts.get))}

    @router.get("/articles", summary="Articles, newest first", tags=["articles"])
    def articles(
        conn: Conn,
        since: Since = None,
        until: Until = None,
        source: Name = None,
        entity: Annotated[str | None, Query(pattern=ID_PATTERN, description="Only articles mentioning this entity id.")] = None,
        story: Annotated[str | None, Query(pattern=ID_PATTERN, description="Only articles contributing to this story id.")] = None,
        limit: Limit = 50,
        cursor: Cursor = None,
    ) -> dict[str, Any]:
        page = search.browse_articles(conn, since=since, until=until, source=source, entity=entity, story=story, limit=limit, cursor=cursor)
        return {"items": page.items, "next_cursor": page.next_cursor}

    @router.get("/articles/{article_id}", summary="One article with its text and all its facts", tags=["articles"])
    def article(request: Request, conn: Conn, article_id: Id) -> Response:
        def build() -> bytes:
            article = article_with_facts(conn, article_id)
            if article is None:
                raise ApiError(404, "not_found", f"no article with id {article_id!r}")
            return encode(article)

        found = cached(request, conn, "articles", article_id, "json", build)
        if found is None:
            # Not an exact id: perhaps an unambiguous prefix, answered without the cache.
            article = article_with_facts(conn, article_id)
            if article is None:
                raise ApiError(404, "not_found", f"no article with id {article_id!r}")
            return Response(encode(article), media_type="application/json")
        return encoded_response(request, *found, "application/json")

    @router.get("/stories", summary="Stories, most recently reported first", tags=["stories"])
    def stories(
        conn: Conn,
        entity: Annotated[str | None, Query(max_length=200, description="Entity name, alias or id.")] = None,
        place: Annotated[str | None, Query(max_length=200, description="Place name or id.")] = None,
        since: Since = None,
        until: Until = None,
        limit: Limit = 50,
        cursor: Cursor = None,
    ) -> dict[str, Any]:
        return story_page(conn, entity=entity, place=place, since=since, until=until, limit=limit, cursor=cursor)

    @router.get("/stories/{story_id}", summary="One story: timeline, claims, numbers, entities, places", tags=["stories"])
    def story(request: Request, conn: Conn, story_id: Id) -> Response:
        def build() -> bytes:
            detail = cached_story(request, conn, story_id)
            if detail is None:
                raise ApiError(404, "not_found", f"no story with id {story_id!r}")
            return encode(detail)

        found = cached(request, conn, "stories", story_id, "json", build)
        if found is None:
            moved = merged_story(request, conn, story_id)
            if moved is not None:
                return moved
            raise ApiError(404, "not_found", f"no story with id {story_id!r}")
        return encoded_response(request, *found, "application/json")

    @router.get("/stories/{story_id}/changes", summary="What changed in one story since a cursor", tags=["changes"])
    def story_changes(
        conn: Conn,
        story_id: Id,
        since: Annotated[str | None, Query(pattern=r"^\d{1,18}$", description="`cursor` of the previous call.")] = None,
        limit: Limit = 100,
    ) -> dict[str, Any]:
        from storyline.stories.merge import resolve

        if conn.execute(select(st.stories.c.id).where(st.stories.c.id == resolve(conn, story_id))).first() is None:
            raise ApiError(404, "not_found", f"no story with id {story_id!r}")
        changes, cursor = follow(conn, since, story_id, limit)
        return {"items": changes, "cursor": cursor}

    @router.get("/changes", summary="What changed in any story since a cursor", tags=["changes"])
    def changes(
        conn: Conn,
        since: Annotated[str | None, Query(pattern=r"^\d{1,18}$", description="`cursor` of the previous call.")] = None,
        limit: Limit = 100,
    ) -> dict[str, Any]:
        items, cursor = follow(conn, since, None, limit)
        return {"items": items, "cursor": cursor}

    @router.get("/entities", summary="Entities, most mentioned first", tags=["entities"])
    def entities(
        conn: Conn,
        q: Annotated[str | None, Query(max_length=200, description="Start of the name.")] = None,
        type: Annotated[str | None, Query(pattern=r"^[A-Z_]{1,16}$", description="PERSON, ORG, GPE, ...")] = None,
        limit: Limit = 50,
        cursor: Cursor = None,
    ) -> dict[str, Any]:
        page = search.list_entities(conn, q=q, type=type, limit=limit, cursor=cursor)
        return {"items": page.items, "next_cursor": page.next_cursor}

    @router.get("/entities/{entity_id}", summary="One entity: aliases, role, stories, quotes", tags=["entities"])
    def entity(conn: Conn, entity_id: Id) -> dict[str, Any]:
        found = search.get_entity(conn, entity_id)
        if found is None:
            raise ApiError(404, "not_found", f"no entity with id {entity_id!r}")
        return found

    @router.get("/search", summary="Full-text search over articles", tags=["articles"])
    def full_text(
        conn: Conn,
        q: Annotated[str, Query(min_length=1, max_length=search.MAX_QUERY_CHARS, description='Words (all must match), "a phrase", prefix*, a OR b.')],
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
        offset: Annotated[int, Query(ge=0, le=10_000)] = 0,
    ) -> dict[str, Any]:
        return {"query": q, "items": search.search_articles(conn, q, limit=limit, offset=offset)}

    @router.get("/errors", summary="Input items that could not be ingested, with reasons", tags=["store"])
    def errors(conn: Conn, limit: Limit = 100) -> dict[str, Any]:
        return {"items": list_errors(conn, limit=limit)}

    @router.get("/export/{name}", summary="Download an export: stories, articles, events, quotes, quantities, places", tags=["export"])
    def export(
        conn: Conn,
        name: Annotated[str, PathParam(pattern=r"^[a-z]+\.[a-z]+$", description="KIND.FORMAT, e.g. events.csv")],
        since: Since = None,
        until: Until = None,
        source: Name = None,
        story: Annotated[str | None, Query(pattern=ID_PATTERN)] = None,
        entity: Annotated[str | None, Query(pattern=ID_PATTERN)] = None,
    ) -> Response:
        kind, fmt = name.split(".")
        try:
            exports.check(kind, fmt)
        except ValueError as exc:
            raise ApiError(404, "unknown_export", str(exc)) from exc
        handle = tempfile.NamedTemporaryFile("w+", encoding="utf-8", suffix=f".{fmt}", delete=False)  # noqa: SIM115 - closed below, removed after sending
        try:
            with handle:
                exports.export(conn, kind, fmt, handle, since=since, until=until, source=source, story=story, entity=entity)
        except BaseException:
            os.unlink(handle.name)
            raise
        return FileResponse(
            handle.name,
            media_type=exports.MEDIA_TYPES[fmt],
            filename=f"storyline-{kind}.{fmt}",
            background=BackgroundTask(os.unlink, handle.name),
        )

    return router


# --- write side ---------------------------------------------------------------------------------

_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def _run_ingest(engine: Engine, path: Path, analyze: bool, format: str | None = None, source: str | None = None) -> dict[str, Any]:
    from storyline.pipeline import IngestOptions, ingest

    report = ingest(engine, [str(path)], IngestOptions(format=format, source=source, analyze=analyze))
    return report.to_dict()


def _write_routes(engine: Engine, analyze: bool) -> APIRouter:
    router = APIRouter()

    @router.post("/articles", summary="Ingest articles given as JSON", tags=["ingest"])
    def post_articles(request: Request, body: IngestIn) -> dict[str, Any]:
        with tempfile.TemporaryDirectory(prefix="storyline-api-") as folder:
            path = Path(folder) / "api-articles.jsonl"
            with path.open("w", encoding="utf-8") as handle:
                for item in body.articles:
                    handle.write(json.dumps(item.model_dump(exclude_none=True), ensure_ascii=False) + "\n")
            try:
                return _run_ingest(engine, path, analyze, format="jsonl")
            finally:
                request.app.state.status_counts.invalidate()

    @router.post("/ingest", summary="Ingest an uploaded file in any supported format", tags=["ingest"])
    async def post_file(
        request: Request,
        file: Annotated[UploadFile, File(description="Text, HTML, JSON Lines, RSS/Atom or WARC file.")],
        format: Annotated[str | None, Form(pattern=r"^(text|html|jsonl|feed|warc)$")] = None,
        source: Annotated[str | None, Form(max_length=300)] = None,
    ) -> dict[str, Any]:
        from starlette.concurrency import run_in_threadpool

        name = _SAFE_NAME.sub("_", Path(file.filename or "upload").name).strip("._") or "upload"
        with tempfile.TemporaryDirectory(prefix="storyline-api-") as folder:
            path = Path(folder) / name
            with path.open("wb") as handle:
                while chunk := await file.read(1024 * 1024):
                    handle.write(chunk)
            try:
                return await run_in_threadpool(_run_ingest, engine, path, analyze, format, source)
            finally:
                request.app.state.status_counts.invalidate()

    return router

