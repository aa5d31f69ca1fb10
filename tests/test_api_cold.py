"""First reads of a fresh server: each story and article view comes from its stored row (`readmodel.pack`:
the bytes sent, uncompressed, under a CRC-32 of its ETag and bytes), byte for byte and ETag for ETag
what a live build answers, and never once the store has changed under it. On the examples store the
real pipeline builds (SQLite or PostgreSQL, as the store fixtures run)."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, select, update

from storyline import readmodel
from storyline.api import SERVE_LOOP, accepting_loop, article_version, create_app, story_version
from storyline.pipeline import IngestOptions, ingest
from storyline.store import schema
from storyline.store import story_tables as st
from storyline.store.db import open_store
from test_read_model import _get, _paths

views = schema.rendered_views
KINDS = ("story_json", "story_page", "article_json", "article_page")
JOINING = """Seoul says North Korean troops in Kursk are rotating home

South Korea's spy agency said on Friday that some of the North Korean soldiers sent to Russia's Kursk region had begun returning home, days after Pyongyang admitted for the first time that its troops had fought for Russia.

The National Intelligence Service told lawmakers in Seoul that North Korea had sent about 15,000 soldiers to Russia since October and that about 4,700 of them had been killed or wounded in the fighting around Kursk.

North Korean leader Kim Jong Un said this week that the deployment was ordered under the mutual defence treaty with Moscow.
"""
"""A later report of the North Korean troops story, written for these tests (not one of the examples)."""


@pytest.fixture
def store(examples_store: Callable[[str], str], request: pytest.FixtureRequest) -> Iterator[tuple[str, Engine]]:
    url = examples_store(f"cold-{request.node.name[:40]}")
    engine = open_store(url)
    readmodel.refresh_all(engine, everything=True)
    yield url, engine
    engine.dispose()


@pytest.fixture
def apps() -> Iterator[Callable[..., FastAPI]]:
    """`create_app`, whose stores' connections are closed after the test (PostgreSQL's are limited)."""
    made: list[FastAPI] = []

    def make(url: str, **options: Any) -> FastAPI:
        made.append(create_app(url, **options))
        return made[-1]

    yield make
    for app in made:
        app.state.engine.dispose()


def _row(engine: Engine, kind: str, ident: str) -> Any:
    with engine.connect() as conn:
        return conn.execute(select(views).where(views.c.kind == kind, views.c.id == ident)).one()


def _nk_story(engine: Engine) -> tuple[str, str]:
    """The North Korean troops story (the one with most passages) and one of its articles."""
    with engine.connect() as conn:
        story_id = conn.execute(select(st.stories.c.id).order_by(st.stories.c.passages.desc(), st.stories.c.id).limit(1)).scalar_one()
        article_id = conn.execute(select(st.passages.c.article_id).where(st.passages.c.story_id == story_id).order_by(st.passages.c.article_id)).scalars().first()
    assert article_id is not None
    return story_id, article_id


def _ident(kind: str, story_id: str, article_id: str) -> str:
    return story_id if kind.startswith("story") else article_id


def _version(engine: Engine, kind: str, ident: str) -> tuple[Any, ...]:
    with engine.connect() as conn:
        version = story_version(conn, ident) if kind.startswith("story") else article_version(conn, ident)
    assert version is not None
    return version


def test_rows_are_stored_packed_and_unpack_only_when_whole() -> None:
    body = json.dumps({"title": "Dam bursts", "text": "ü " * 5000}).encode()
    tag = readmodel.etag(body)
    packed = readmodel.pack(body, tag)
    assert packed[:1] == readmodel.RAW and packed.endswith(body)
    assert readmodel.unpack(packed, tag) == body
    assert readmodel.unpack(packed[:-1], tag) is None, "a torn row was accepted"
    flipped = bytearray(packed)
    flipped[len(packed) // 2] ^= 0x20
    assert readmodel.unpack(bytes(flipped), tag) is None, "a changed byte was accepted"
    assert readmodel.unpack(packed, readmodel.etag(b"other bytes")) is None, "an ETag not of these bytes was accepted"
    # Rows an earlier version stored compressed are still read, and checked against their ETag.
    assert readmodel.unpack(zlib.compress(body, 1), tag) == body
    assert readmodel.unpack(zlib.compress(body, 1), readmodel.etag(b"other bytes")) is None
    assert readmodel.unpack(b'{"not a stored row"}', tag) is None


@pytest.mark.parametrize("cache_size", [2048, 0], ids=["before-routing", "in-the-routes"])
def test_a_first_read_is_the_stored_row_and_equals_a_live_build(store: tuple[str, Engine], cache_size: int, apps: Callable[..., FastAPI]) -> None:
    url, engine = store
    story_id, article_id = _nk_story(engine)
    rows = {kind: _row(engine, kind, _ident(kind, story_id, article_id)) for kind in KINDS}
    assert all(row.body[:1] == readmodel.RAW for row in rows.values()), "the refresh did not store packed rows"

    # Rows carrying a marker at the current version: a fresh server answering the marker read the row.
    markers = {kind: f"<p>stored {kind}</p>".encode() for kind in KINDS}
    with engine.begin() as conn:
        readmodel.save(conn, [readmodel.row(kind, _ident(kind, story_id, article_id), _version(engine, kind, _ident(kind, story_id, article_id)), markers[kind])
                              for kind in KINDS])
    client = TestClient(apps(url, cache_size=cache_size))
    for kind in KINDS:
        served = _get(client, kind, _ident(kind, story_id, article_id))
        assert served.content == markers[kind], f"the first read of {kind} was not answered from its stored row"
        assert served.headers["etag"] == readmodel.etag(markers[kind])
    with engine.begin() as conn:
        readmodel.save(conn, [row._asdict() for row in rows.values()])

    cold = TestClient(apps(url, cache_size=cache_size))
    stored = {kind: _get(cold, kind, _ident(kind, story_id, article_id)) for kind in KINDS}
    with engine.begin() as conn:
        conn.execute(delete(views))
    live = TestClient(apps(url, cache_size=cache_size))
    for kind in KINDS:
        built = _get(live, kind, _ident(kind, story_id, article_id))
        assert stored[kind].content == built.content, f"the stored {kind} is not what a live build answers"
        assert stored[kind].headers["etag"] == built.headers["etag"] == rows[kind].etag
        path, headers = _paths(kind, _ident(kind, story_id, article_id))
        assert cold.get(path, headers={**headers, "if-none-match": rows[kind].etag}).status_code == 304


def test_a_damaged_row_is_rendered_live_and_written_back(store: tuple[str, Engine], apps: Callable[..., FastAPI]) -> None:
    url, engine = store
    story_id, article_id = _nk_story(engine)
    damaged = {
        "story_page": lambda row: {"body": row.body[: len(row.body) // 2]},
        "article_json": lambda row: {"body": row.body[:-1] + bytes([row.body[-1] ^ 0x01])},
        "article_page": lambda row: {"etag": readmodel.etag(b"bytes this row does not hold")},
    }
    rows = {kind: _row(engine, kind, _ident(kind, story_id, article_id)) for kind in damaged}
    with engine.begin() as conn:
        for kind, change in damaged.items():
            conn.execute(update(views).where(views.c.kind == kind, views.c.id == rows[kind].id).values(**change(rows[kind])))
    app = apps(url)
    client = TestClient(app)
    for kind in damaged:
        served = _get(client, kind, rows[kind].id)
        assert served.content == readmodel.unpack(rows[kind].body, rows[kind].etag), f"the damaged {kind} was not rendered as it was"
        assert served.headers["etag"] == rows[kind].etag
    app.state.view_writer.flush()
    for kind in damaged:
        assert readmodel.unpack(_row(engine, kind, rows[kind].id).body, rows[kind].etag) is not None, f"the live {kind} was not written back"


def test_no_stale_stored_view_is_served_after_an_ingest(store: tuple[str, Engine], tmp_path: Path, apps: Callable[..., FastAPI]) -> None:
    """An ingest joins an article to a story; its rows from before are put back (as a slow writer
    racing the ingest could leave them): neither a fresh server nor one that had them cached serves them."""
    url, engine = store
    story_id, article_id = _nk_story(engine)
    before = {kind: _row(engine, kind, story_id) for kind in ("story_json", "story_page")}
    running = TestClient(apps(url))
    for kind in before:
        assert _get(running, kind, story_id).headers["etag"] == before[kind].etag

    (tmp_path / "2025-05-02-troops-rotating-home.txt").write_text(JOINING, encoding="utf-8")
    (tmp_path / "2025-05-02-troops-rotating-home.meta.json").write_text(json.dumps({"published": "2025-05-02", "source": "Example Courier"}))
    with engine.connect() as conn:
        members = set(conn.execute(select(st.passages.c.article_id).where(st.passages.c.story_id == story_id)).scalars())
    assert ingest(engine, [str(tmp_path)], IngestOptions()).new == 1
    with engine.connect() as conn:
        joined = set(conn.execute(select(st.passages.c.article_id).where(st.passages.c.story_id == story_id)).scalars()) - members
    assert len(joined) == 1, "the test article did not join the North Korean troops story"
    (new_id,) = joined
    with engine.begin() as conn:
        readmodel.save(conn, [row._asdict() for row in before.values()])

    for client in (running, TestClient(apps(url))):
        served = _get(client, "story_json", story_id, **{"if-none-match": before["story_json"].etag})
        assert served.headers["etag"] != before["story_json"].etag
        assert new_id in {s["article_id"] for entry in served.json()["timeline"] for s in entry["sources"]}
        page = _get(client, "story_page", story_id)
        assert page.headers["etag"] != before["story_page"].etag and page.content != readmodel.unpack(before["story_page"].body, before["story_page"].etag)


def test_the_serving_loop_accepts_a_whole_burst_of_connections_at_once() -> None:
    """`storyline serve`'s loop (`accepting_loop`) takes every connection waiting on its listening
    socket when it next looks: 50 clients that connected while it was busy are all being served a
    few iterations later (uvloop alone accepts one per iteration), and `close` stops listening."""
    made: list[asyncio.BaseTransport] = []

    class Count(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            made.append(transport)

    async def burst() -> int:
        server = await asyncio.get_running_loop().create_server(Count, "127.0.0.1", 0, backlog=2048)
        port = server.sockets[0].getsockname()[1]
        clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(50)]
        for _ in range(10):
            await asyncio.sleep(0)
        accepted = len(made)
        server.close()
        await server.wait_closed()
        for transport in made:
            transport.close()
        for client in clients:
            client.close()
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=5).close()
        return accepted

    loop = accepting_loop()
    try:
        accepted = loop.run_until_complete(burst())
    finally:
        loop.close()
    assert accepted == 50, f"{accepted} of 50 waiting connections were being served after 10 loop iterations"


def test_a_burst_of_first_reads_on_the_serving_loop(store: tuple[str, Engine], apps: Callable[..., FastAPI]) -> None:
    """The app under uvicorn on `storyline serve`'s loop, in this process: 50 clients connecting at
    once each read a story or article view for the first time, and get the stored bytes and ETag."""
    url, engine = store
    story_id, article_id = _nk_story(engine)
    expected = {kind: _row(engine, kind, _ident(kind, story_id, article_id)) for kind in KINDS}
    config = uvicorn.Config(apps(url), host="127.0.0.1", port=0, loop=SERVE_LOOP, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(600):
        if server.started:
            break
        thread.join(0.1)
    assert server.started, "the server did not start"
    port = server.servers[0].sockets[0].getsockname()[1]

    def read(kind: str) -> tuple[str, bytes, str]:
        path, headers = _paths(kind, _ident(kind, story_id, article_id))
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            response = client.get(path, headers=headers)
        return kind, response.content, response.headers.get("etag", "")

    try:
        with ThreadPoolExecutor(50) as pool:
            answers = list(pool.map(read, [KINDS[i % len(KINDS)] for i in range(50)]))
    finally:
        server.should_exit = True
        thread.join(30)
    for kind, body, tag in answers:
        assert body == readmodel.unpack(expected[kind].body, expected[kind].etag) and tag == expected[kind].etag, f"{kind} differs from its stored row"
    assert not thread.is_alive(), "the server did not stop"
