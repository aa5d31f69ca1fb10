"""The HTTP API and the web reader in one ASGI app: thin views over the store's read functions.

`create_app` is what `storyline serve` runs. Everything under `/api/v1` answers JSON, errors included
(`{"error": {"code", "message"}}`, never a stack trace); the pages at `/` are the reader
(`storyline.web.pages`). Writes need the API token and are refused outright when none is configured,
so a server started without one is read-only by construction.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import os
import re
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, File, Form, HTTPException, Path as PathParam, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import Connection, Engine, select
from starlette.background import BackgroundTask
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from storyline import __version__
from storyline.store import search
from storyline.store import story_tables as st
from storyline.store.facts import load_analysis
from storyline.store.queries import get_article, list_errors, totals

log = logging.getLogger(__name__)

API = "/api/v1"
TOKEN_ENV = "STORYLINE_API_TOKEN"
READ_TOKEN_ENV = "STORYLINE_READ_TOKEN"
MAX_BODY_BYTES = 10 * 1024 * 1024
MAX_PAGE = 200
MAX_ARTICLES_PER_POST = 500
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

class StoryCache:
    """Story pages built recently, reused while the story has not changed.

    Building a story reads every member article's facts, so it is by far the costliest read. Entries
    are keyed by story and variant (the JSON, each page order) and valid while the story's
    `updated_seq` — bumped by every passage linked to it — is the same, for at most `ttl` seconds
    (re-analysing facts without relinking does not bump it). `size=0` turns caching off.
    """

    def __init__(self, size: int, ttl: float = 300.0) -> None:
        self.size = size
        self.ttl = ttl
        self.entries: OrderedDict[tuple[str, str], tuple[int, float, Any]] = OrderedDict()
        self.building: dict[tuple[str, str], threading.Lock] = {}
        self.lock = threading.Lock()

    def get(self, conn: Connection, story_id: str, variant: str, build: Callable[[], Any]) -> Any:
        """The cached value, or `build()` when missing or stale; None when there is no such story."""
        seq = conn.execute(select(st.stories.c.updated_seq).where(st.stories.c.id == story_id)).scalar()
        if seq is None:
            return None
        if self.size <= 0:
            return build()
        key = (story_id, variant)
        with self.lock:
            building = self.building.setdefault(key, threading.Lock())
        # One build per key at a time: concurrent readers of a story being built wait for it.
        with building:
            now = time.monotonic()
            with self.lock:
                hit = self.entries.get(key)
                if hit is not None and hit[0] == seq and now - hit[1] < self.ttl:
                    self.entries.move_to_end(key)
                    return hit[2]
            value = build()
            with self.lock:
                self.entries[key] = (seq, now, value)
                self.entries.move_to_end(key)
                while len(self.entries) > self.size:
                    evicted, _ = self.entries.popitem(last=False)
                    self.building.pop(evicted, None)
        return value


def cached_story(request: Request, conn: Connection, story_id: str) -> dict[str, Any] | None:
    """`story_detail` through the app's story cache."""
    from storyline.stories.queries import story_detail

    cache: StoryCache = request.app.state.story_cache
    return cache.get(conn, story_id, "detail", lambda: story_detail(conn, story_id))  # type: ignore[no-any-return]


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip()
    return request.headers.get("x-api-token")


def _matches(given: str | None, expected: str | None) -> bool:
    return bool(given and expected) and hmac.compare_digest(given.encode(), expected.encode())  # type: ignore[union-attr]


def connection(request: Request) -> Iterator[Connection]:
    """One pooled connection per request, returned when the response is done."""
    with request.app.state.engine.connect() as conn:
        yield conn


Conn = Annotated[Connection, Depends(connection)]


def can_read(request: Request) -> None:
    """Reads are open unless a read token is configured; the write token reads too."""
    state = request.app.state
    if state.read_token is None:
        return
    given = _bearer(request) or request.cookies.get("storyline_token")
    if not (_matches(given, state.read_token) or _matches(given, state.write_token)):
        raise ApiError(401, "unauthorized", "this server needs a read token (Authorization: Bearer TOKEN)", {"WWW-Authenticate": "Bearer"})


def can_write(request: Request) -> None:
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


# --- the app ------------------------------------------------------------------------------------


def create_app(
    db: str | None = None,
    *,
    token: str | None = None,
    read_token: str | None = None,
    max_body_bytes: int = MAX_BODY_BYTES,
    cors_origins: tuple[str, ...] = (),
    analyze: bool = True,
    story_cache: int = 512,
    max_concurrency: int = 12,
) -> FastAPI:
    """The API and the reader over the store at `db` (a URL or a SQLite path, as for the CLI).

    `token` (else $STORYLINE_API_TOKEN) enables the write endpoints; `read_token` (else
    $STORYLINE_READ_TOKEN) makes reads need it too (the write token also reads). CORS stays off unless
    origins are given. `analyze=False` makes API ingests store articles without extracting facts;
    `story_cache` is how many built story views to keep (0: none); `max_concurrency` caps requests
    served at once (keep it below the store's connection pool size).
    """
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
    )
    app.state.engine = engine
    app.state.write_token = write_secret
    app.state.read_token = read_secret
    app.state.story_cache = StoryCache(story_cache)

    _install_errors(app)
    app.include_router(_read_routes(), prefix=API, dependencies=[Depends(can_read)])
    app.include_router(_write_routes(engine, analyze), prefix=API, dependencies=[Depends(can_write)])
    app.include_router(pages.router(), dependencies=[Depends(can_read)])
    app.mount("/static", pages.static_files(), name="static")
    app.add_middleware(BodyLimit, max_bytes=max_body_bytes)
    app.add_middleware(Admission, limit=max_concurrency)
    if cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(CORSMiddleware, allow_origins=list(cors_origins), allow_methods=["GET", "POST"], allow_headers=["Authorization", "Content-Type"])
    app.add_middleware(SecurityHeaders)
    return app


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

    async def crash(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        message = "internal error; the server log has the details"
        if _wants_html(request):
            return pages.error_page(request, 500, message)
        return JSONResponse(error_body("internal_error", message), status_code=500)

    app.add_exception_handler(StarletteHTTPException, http_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, invalid)  # type: ignore[arg-type]
    app.add_exception_handler(search.BadCursor, bad_cursor)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, crash)


# --- read side ----------------------------------------------------------------------------------


def article_with_facts(conn: Connection, article_id: str) -> dict[str, Any] | None:
    """One article with its clean text, removed lines and every fact, each with its span.

    Spans index into `document` (title, blank line, text), which is returned as well so a client can
    slice it directly.
    """
    article = get_article(conn, article_id)
    if article is None:
        return None
    analysis = load_analysis(conn, article["id"])
    article["document"] = f"{article['title']}\n\n{article['text']}" if article["title"] else article["text"]
    article["facts"] = {
        "entities": [asdict(e) for e in analysis.entities],
        "mentions": [asdict(m) for m in analysis.mentions],
        "quotes": [asdict(q) for q in analysis.quotes],
        "quantities": [asdict(q) for q in analysis.quantities],
        "dates": [asdict(t) for t in analysis.timerefs],
        "places": [asdict(p) for p in analysis.places],
        "events": [asdict(e) for e in analysis.events],
        "claims": [asdict(c) for c in analysis.claims],
    }
    ps, stories = st.passages, st.stories
    article["stories"] = [
        dict(row._mapping)
        for row in conn.execute(
            select(ps.c.story_id, stories.c.title, ps.c.development_id, ps.c.start, ps.c.end)
            .join(stories, stories.c.id == ps.c.story_id)
            .where(ps.c.article_id == article["id"])
            .order_by(ps.c.start)
        )
    ]
    return article


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

    @router.get("/status", summary="What the store holds", tags=["store"])
    def status(conn: Conn) -> dict[str, Any]:
        return {"version": __version__, **totals(conn)}

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
    def article(conn: Conn, article_id: Id) -> Response:
        found = article_with_facts(conn, article_id)
        if found is None:
            raise ApiError(404, "not_found", f"no article with id {article_id!r}")
        # Encoded directly: the facts are plain JSON values, and FastAPI's generic encoder walking
        # every fact took as long as reading them from the store.
        return Response(json.dumps(found, ensure_ascii=False, default=str).encode(), media_type="application/json")

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
        def encoded() -> bytes:
            detail = cached_story(request, conn, story_id)
            return json.dumps(detail, ensure_ascii=False, default=str).encode()

        body = request.app.state.story_cache.get(conn, story_id, "json", encoded)
        if body is None:
            raise ApiError(404, "not_found", f"no story with id {story_id!r}")
        return Response(body, media_type="application/json")

    @router.get("/stories/{story_id}/changes", summary="What changed in one story since a cursor", tags=["changes"])
    def story_changes(
        conn: Conn,
        story_id: Id,
        since: Annotated[str | None, Query(pattern=r"^\d{1,18}$", description="`cursor` of the previous call.")] = None,
        limit: Limit = 100,
    ) -> dict[str, Any]:
        if conn.execute(select(st.stories.c.id).where(st.stories.c.id == story_id)).first() is None:
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
    def post_articles(body: IngestIn) -> dict[str, Any]:
        with tempfile.TemporaryDirectory(prefix="storyline-api-") as folder:
            path = Path(folder) / "api-articles.jsonl"
            with path.open("w", encoding="utf-8") as handle:
                for item in body.articles:
                    handle.write(json.dumps(item.model_dump(exclude_none=True), ensure_ascii=False) + "\n")
            return _run_ingest(engine, path, analyze, format="jsonl")

    @router.post("/ingest", summary="Ingest an uploaded file in any supported format", tags=["ingest"])
    async def post_file(
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
            return await run_in_threadpool(_run_ingest, engine, path, analyze, format, source)

    return router

