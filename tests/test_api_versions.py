"""The version reads behind every cached story and article answer (`storyline.store.direct.DirectQuery`): run on
the driver's connection, they must give what SQLAlchemy would and leave no transaction open, on SQLite
and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from storyline.api import _ARTICLE_VERSION, _STORY_VERSION, API, HotReads, create_app
from storyline.store import schema
from storyline.store import story_tables as st
from storyline.store.db import open_store


def test_direct_version_reads_equal_sqlalchemy_ones(examples_store: Callable[[str], str]) -> None:
    engine = open_store(examples_store("versions"))
    with engine.connect() as conn:
        story_ids = [r[0] for r in conn.execute(select(st.stories.c.id))]
        article_ids = [r[0] for r in conn.execute(select(schema.articles.c.id))]
        assert story_ids and article_ids
        for query, ids in ((_STORY_VERSION, story_ids), (_ARTICLE_VERSION, article_ids)):
            for ident in [*ids, "no-such-id"]:
                direct = query.all(conn, id=ident)
                assert direct == [tuple(row) for row in conn.execute(query.statement, {"id": ident})]
        assert any(len(_ARTICLE_VERSION.all(conn, id=ident)) > 1 for ident in article_ids), "some article is in several passages"
    engine.dispose()


def _hot_reads(app: Any) -> HotReads:
    layer = app.middleware_stack
    while not isinstance(layer, HotReads):
        layer = layer.app
    return layer


def test_hot_reads_leave_no_transaction_open(examples_store: Callable[[str], str]) -> None:
    """An open transaction would pin an old snapshot (SQLite's WAL) or stay 'idle in transaction' (PostgreSQL)."""
    app = create_app(examples_store("versions-hot"))
    with TestClient(app) as client:
        story = client.get(f"{API}/stories", params={"limit": 1}).json()["items"][0]["id"]
        article = client.get(f"{API}/articles", params={"limit": 1}).json()["items"][0]["id"]
        for path in (f"{API}/stories/{story}", f"/stories/{story}", f"{API}/articles/{article}", f"{API}/stories/{story}"):
            assert client.get(path, headers={"accept": "text/html"}).status_code == 200
        hot = _hot_reads(app)
        assert hot.conn is not None, "the hot-read check answered"
        driver = hot.conn.connection.dbapi_connection
        if app.state.engine.dialect.name == "sqlite":
            assert driver.in_transaction is False  # type: ignore[union-attr]
        else:
            from psycopg.pq import TransactionStatus

            assert driver.info.transaction_status == TransactionStatus.IDLE  # type: ignore[union-attr]
