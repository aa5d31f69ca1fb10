"""A started server has paid for its first requests before taking any: the warm-up and the frozen heap
(`storyline.api.warm_up`, `_freeze_heap`), on the examples store and on an empty one (SQLite or
PostgreSQL, as the store fixtures run)."""

from __future__ import annotations

import gc
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy.pool import QueuePool

from storyline.api import API, WARM_UP_ID, create_app

HTML = {"accept": "text/html"}
NOT_FOUND = {f"{API}/stories/{WARM_UP_ID}": 404, f"/articles/{WARM_UP_ID}": 404}


def _warmed_ids(answers: dict[str, int]) -> tuple[str, str]:
    story = next(path.rsplit("/", 1)[1] for path in answers if path.startswith(f"{API}/stories/") and not path.endswith(WARM_UP_ID))
    article = next(path.rsplit("/", 1)[1] for path in answers if path.startswith(f"{API}/articles/"))
    return story, article


def test_start_up_asks_for_a_story_and_an_article_and_fills_the_pool(examples_store: Callable[[str], str]) -> None:
    app = create_app(examples_store("startup"))
    with TestClient(app) as client:
        done = app.state.warm_up
        story, article = _warmed_ids(done.answers)
        assert done.answers == {
            f"{API}/stories/{story}": 200, f"/stories/{story}": 200, f"{API}/articles/{article}": 200, f"/articles/{article}": 200, **NOT_FOUND,
        }
        pool = app.state.engine.pool
        assert isinstance(pool, QueuePool)
        assert done.connections == pool.size() > 0
        assert pool.checkedin() + pool.checkedout() >= pool.size(), "the opened connections stay open (the hot-read check keeps one)"
        # The four views are in this process's cache: the first real request is answered from it.
        cached = set(app.state.read_cache.entries)
        assert {("stories", story, "json"), ("stories", story, "page:oldest"), ("articles", article, "json"), ("articles", article, "page:")} <= cached
        etag = app.state.read_cache.entries[("stories", story, "page:oldest")][2]
        first = client.get(f"/stories/{story}", headers=HTML)
        assert first.status_code == 200 and first.headers["etag"] == etag
        assert client.get(f"/stories/{story}", headers={**HTML, "if-none-match": etag}).status_code == 304


def test_start_up_reads_with_the_read_token(examples_store: Callable[[str], str]) -> None:
    app = create_app(examples_store("startup-token"), read_token="reader-token")
    with TestClient(app) as client:
        answers = app.state.warm_up.answers
        assert sorted(answers.values()) == [200, 200, 200, 200, 404, 404]
        assert client.get(f"{API}/articles/{_warmed_ids(answers)[1]}").status_code == 401, "the warm-up opened nothing to clients"


def test_start_up_on_an_empty_store(new_db_url: Callable[[str], str]) -> None:
    app = create_app(new_db_url("startup-empty"))
    with TestClient(app) as client:
        assert app.state.warm_up.answers == NOT_FOUND
        assert client.get(f"{API}/stories").json() == {"items": [], "next_cursor": None}


def test_start_up_freezes_the_heap_and_shutdown_thaws_it(examples_store: Callable[[str], str]) -> None:
    app = create_app(examples_store("startup-gc"))
    with TestClient(app) as client:
        assert app.state.warm_up.frozen > 10_000 and gc.get_freeze_count() > 10_000, "the libraries and the app are out of the collector's passes"
        assert client.get(f"{API}/stories").status_code == 200
    assert gc.get_freeze_count() == 0
