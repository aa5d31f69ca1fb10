"""The stored read model: views rendered by the writers, served by the API, replaced when what they
show changes, on a real store built by the pipeline from `examples/` (SQLite or PostgreSQL)."""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, select, update
from typer.testing import CliRunner

from storyline import readmodel
from storyline.api import article_version, create_app, story_version
from storyline.cli import app as cli
from storyline.model import Entity
from storyline.pipeline import IngestOptions, ingest
from storyline.store import schema
from storyline.store import story_tables as st
from storyline.store.db import open_store
from storyline.store.facts import upsert_entity
from storyline.store.queries import totals

views = schema.rendered_views
HTML = {"accept": "text/html"}
JOINING = """Seoul says North Korean troops in Kursk are rotating home

South Korea's spy agency said on Friday that some of the North Korean soldiers sent to Russia's Kursk region had begun returning home, days after Pyongyang admitted for the first time that its troops had fought for Russia.

The National Intelligence Service told lawmakers in Seoul that North Korea had sent about 15,000 soldiers to Russia since October and that about 4,700 of them had been killed or wounded in the fighting around Kursk.

North Korean leader Kim Jong Un said this week that the deployment was ordered under the mutual defence treaty with Moscow, and state media praised the soldiers who helped Russian forces retake the Kursk region.

The United States and South Korea have demanded that Pyongyang withdraw its troops from Russia.
"""
"""A later report of the North Korean troops story, written for these tests (not one of the examples)."""


@pytest.fixture
def store(examples_store: Callable[[str], str], request: pytest.FixtureRequest) -> tuple[str, Engine]:
    url = examples_store(f"views-{request.node.name[:40]}")
    return url, open_store(url)


def _rows(engine: Engine) -> dict[tuple[str, str], Any]:
    with engine.connect() as conn:
        return {(r.kind, r.id): r for r in conn.execute(select(views))}


def _body(row: Any) -> bytes:
    """The bytes a stored row answers with (`readmodel.unpack`; a row that is not whole fails the test)."""
    body = readmodel.unpack(row.body, row.etag)
    assert body is not None, f"the stored {row.kind} view of {row.id} is not whole"
    return body


def _current(engine: Engine, kind: str, ident: str) -> str:
    """The version key a stored view of this kind must carry to be served now."""
    with engine.connect() as conn:
        version = story_version(conn, ident) if kind.startswith("story") else article_version(conn, ident)
    assert version is not None
    return readmodel.version_key(version)


def _nk_story(client: TestClient) -> str:
    stories = client.get("/api/v1/stories", params={"entity": "Kim Jong Un"}).json()["items"]
    assert stories, "no story mentions Kim Jong Un"
    return str(max(stories, key=lambda s: s["developments"])["id"])


def _members(engine: Engine, story_id: str) -> list[str]:
    with engine.connect() as conn:
        return sorted({r[0] for r in conn.execute(select(st.passages.c.article_id).where(st.passages.c.story_id == story_id))})


def _ids(engine: Engine) -> tuple[set[str], set[str]]:
    with engine.connect() as conn:
        stories = {r[0] for r in conn.execute(select(st.stories.c.id))}
        articles = {r[0] for r in conn.execute(select(schema.articles.c.id))}
    return stories, articles


def _paths(kind: str, ident: str) -> tuple[str, dict[str, str]]:
    return {
        "story_json": (f"/api/v1/stories/{ident}", {}),
        "story_page": (f"/stories/{ident}", HTML),
        "article_json": (f"/api/v1/articles/{ident}", {}),
        "article_page": (f"/articles/{ident}", HTML),
    }[kind]


def _get(client: TestClient, kind: str, ident: str, **headers: str) -> Any:
    path, base = _paths(kind, ident)
    response = client.get(path, headers={**base, **headers})
    assert response.status_code == 200, response.text
    return response


def test_ingest_stores_views_and_a_joining_article_replaces_its_story(store: tuple[str, Engine], tmp_path: Path) -> None:
    url, engine = store
    stories, articles = _ids(engine)
    rows = _rows(engine)
    for ident in stories:
        assert {("story_json", ident), ("story_page", ident)} <= set(rows), f"story {ident} has no stored views after the ingest"
    for ident in articles:
        assert {("article_json", ident), ("article_page", ident)} <= set(rows), f"article {ident} has no stored views after the ingest"
    stale = [key for key in rows if key[0] != "status" and rows[key].version != _current(engine, *key)]
    assert not stale, f"{len(stale)} of {len(rows)} views were out of date when the ingest returned, e.g. {stale[:3]}"

    story_id = _nk_story(TestClient(create_app(url)))
    before = rows[("story_json", story_id)]
    (tmp_path / "2025-05-02-troops-rotating-home.txt").write_text(JOINING, encoding="utf-8")
    (tmp_path / "2025-05-02-troops-rotating-home.meta.json").write_text(json.dumps({"published": "2025-05-02", "source": "Example Courier"}))
    report = ingest(engine, [str(tmp_path)], IngestOptions())
    assert report.new == 1 and report.analyzed == 1
    (new_id,) = _ids(engine)[1] - articles
    assert new_id in _members(engine, story_id), "the test article did not join the North Korean troops story"

    rows = _rows(engine)
    for kind, ident in [("story_json", story_id), ("story_page", story_id), ("article_json", new_id), ("article_page", new_id)]:
        assert rows[(kind, ident)].version == _current(engine, kind, ident), f"{kind} {ident} was not re-rendered by the ingest"
    assert _body(rows[("story_json", story_id)]) != _body(before)
    served = _get(TestClient(create_app(url)), "story_json", story_id)
    assert served.content == _body(rows[("story_json", story_id)])
    assert new_id in {s["article_id"] for entry in served.json()["timeline"] for s in entry["sources"]}


def test_stored_views_are_byte_for_byte_what_a_live_render_serves(store: tuple[str, Engine]) -> None:
    url, engine = store
    summary = readmodel.refresh_all(engine)
    assert summary.stories and summary.articles and summary.rendered + summary.current == 2 * (summary.stories + summary.articles)
    story_id = _nk_story(TestClient(create_app(url)))
    article_id = _members(engine, story_id)[0]
    stored = _rows(engine)
    with engine.begin() as conn:
        conn.execute(delete(views))
    client = TestClient(create_app(url))
    for kind, ident in [("story_json", story_id), ("story_page", story_id), ("article_json", article_id), ("article_page", article_id)]:
        live = _get(client, kind, ident)
        assert live.content == _body(stored[(kind, ident)]), f"the stored {kind} differs from the live render"
        assert live.headers["etag"] == stored[(kind, ident)].etag


def test_every_article_view_the_ingest_rendered_in_batches_is_what_the_routes_serve(store: tuple[str, Engine]) -> None:
    """The ingest renders article views a chunk at a time from analyses read together; each must be
    the bytes the routes build for that one article, whatever else shared its batch."""
    url, engine = store
    stored = _rows(engine)
    _, articles = _ids(engine)
    assert len(articles) > 1
    with engine.connect() as conn:
        batched = readmodel.render_articles(conn, ["no-such-article", *sorted(articles)])
        one_by_one = [r for ident in sorted(articles) for r in readmodel.render_article(conn, ident)]
    assert [(r["kind"], r["id"], r["version"], r["etag"]) for r in batched] == [
        (r["kind"], r["id"], r["version"], r["etag"]) for r in one_by_one], "a batch renders other bytes than one article at a time"
    with engine.begin() as conn:
        conn.execute(delete(views))
    client = TestClient(create_app(url, cache_size=0))
    for ident in sorted(articles):
        for kind in ("article_json", "article_page"):
            row = stored[(kind, ident)]
            assert row.version == _current(engine, kind, ident), f"the stored {kind} of {ident} was out of date"
            live = _get(client, kind, ident)
            assert live.content == _body(row), f"the stored {kind} of {ident} differs from the live render"
            assert live.headers["etag"] == row.etag


@pytest.mark.parametrize("cache_size", [2048, 0], ids=["before-routing", "in-the-routes"])
def test_a_current_row_is_served_and_a_corrupt_or_missing_one_is_rendered_live(store: tuple[str, Engine], cache_size: int) -> None:
    url, engine = store
    readmodel.refresh_all(engine)
    story_id = _nk_story(TestClient(create_app(url)))
    article_id = _members(engine, story_id)[0]
    marker = b'{"served":"from the stored row"}'
    with engine.begin() as conn:
        conn.execute(update(views).where(views.c.kind == "story_json", views.c.id == story_id).values(body=zlib.compress(marker), etag=readmodel.etag(marker)))
        conn.execute(update(views).where(views.c.kind == "article_json", views.c.id == article_id).values(body=b'{"corrupt'))
        conn.execute(delete(views).where(views.c.kind == "article_page", views.c.id == article_id))
    app = create_app(url, cache_size=cache_size)
    client = TestClient(app)
    assert _get(client, "story_json", story_id).content == marker

    article = _get(client, "article_json", article_id)
    assert article.json()["id"] == article_id
    page = _get(client, "article_page", article_id)
    assert article.json()["title"] in page.text
    app.state.view_writer.flush()
    rows = _rows(engine)
    assert _body(rows[("article_json", article_id)]) == article.content, "the live render was not written back over the corrupt row"
    assert _body(rows[("article_page", article_id)]) == page.content, "the live render was not written back into the missing row"


def test_the_read_token_guards_stored_views(store: tuple[str, Engine]) -> None:
    url, engine = store
    readmodel.refresh_all(engine)
    story_id = _nk_story(TestClient(create_app(url)))
    stored = _rows(engine)[("story_json", story_id)]
    client = TestClient(create_app(url, read_token="read-token-0123456789"))
    for path in (f"/api/v1/stories/{story_id}", f"/stories/{story_id}"):
        assert client.get(path).status_code == 401
        assert client.get(path, headers={"authorization": "Bearer wrong-token"}).status_code == 401
    assert _get(client, "story_json", story_id, authorization="Bearer read-token-0123456789").content == _body(stored)
    client.cookies.set("storyline_token", "read-token-0123456789")
    assert _get(client, "story_json", story_id).content == _body(stored)


def test_an_alias_change_is_served_and_written_back(store: tuple[str, Engine]) -> None:
    url, engine = store
    readmodel.refresh_all(engine)
    app = create_app(url)
    client = TestClient(app)
    story_id = _nk_story(client)
    article_id = _members(engine, story_id)[0]
    entity = max(_get(client, "article_json", article_id).json()["facts"]["entities"], key=lambda e: len(e["aliases"]))
    with engine.begin() as conn:
        upsert_entity(conn, Entity(**{**entity, "aliases": (*entity["aliases"], "Alias Learned In A Test")}))
    served = _get(client, "article_json", article_id)
    assert "Alias Learned In A Test" in next(e for e in served.json()["facts"]["entities"] if e["id"] == entity["id"])["aliases"]
    app.state.view_writer.flush()
    row = _rows(engine)[("article_json", article_id)]
    assert row.version == _current(engine, "article_json", article_id) and _body(row) == served.content


def test_relink_and_reanalysis_replace_the_views(store: tuple[str, Engine]) -> None:
    url, engine = store
    story_id = _nk_story(TestClient(create_app(url)))
    article_id = _members(engine, story_id)[-1]
    with engine.begin() as conn:
        readmodel.save(conn, [readmodel.row("story_json", "sgone0000000000", (1, None), b"{}")])
        conn.execute(update(schema.articles).where(schema.articles.c.id == article_id).values(analysis_version="old"))

    done = CliRunner().invoke(cli, ["reanalyze", "--db", url, "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["analyzed"] == 1
    rows = _rows(engine)
    assert ("story_json", "sgone0000000000") not in rows, "a view of a story that no longer exists was kept"
    for kind, ident in [("article_json", article_id), ("article_page", article_id), ("story_json", story_id), ("story_page", story_id)]:
        assert rows[(kind, ident)].version == _current(engine, kind, ident), f"{kind} {ident} was not re-rendered after the reanalysis"
    assert json.loads(_body(rows[("article_json", article_id)]))["analysis_version"] not in (None, "old")

    with engine.begin() as conn:
        conn.execute(delete(views).where(views.c.kind.in_(["story_json", "story_page"])))
    done = CliRunner().invoke(cli, ["relink", "--db", url, "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["views"]["rendered"] >= 2 * len(_ids(engine)[0])
    assert readmodel.refresh_all(engine).rendered == 0, "relink left views missing or out of date"
    served = _get(TestClient(create_app(url)), "story_page", story_id)
    assert served.content == _body(_rows(engine)[("story_page", story_id)])


def test_views_command_reports_what_it_rendered(store: tuple[str, Engine]) -> None:
    url, engine = store
    first = CliRunner().invoke(cli, ["views", "refresh", "--db", url, "--all", "--json"])
    assert first.exit_code == 0, first.output
    summary = json.loads(first.stdout)
    stories, articles = _ids(engine)
    assert summary["rendered"] == 2 * (len(stories) + len(articles)) and summary["current"] == 0
    again = json.loads(CliRunner().invoke(cli, ["views", "refresh", "--db", url, "--json"]).stdout)
    assert again["rendered"] == 0 and again["current"] == summary["rendered"]


def test_status_answers_exact_counts_without_recounting_each_call(store: tuple[str, Engine]) -> None:
    url, engine = store
    first = TestClient(create_app(url)).get("/api/v1/status").json()
    with engine.connect() as conn:
        expected = totals(conn)
    assert {k: first[k] for k in expected} == expected and first["counted_at"]
    # A new server process answers from the stored counts (the same moment), without counting first.
    assert TestClient(create_app(url)).get("/api/v1/status").json()["counted_at"] == first["counted_at"]


def test_a_learned_alias_leaves_stored_story_views_current(store: tuple[str, Engine]) -> None:
    """Aliases are learned all through an ingest and only an article's JSON shows them: a story view
    rendered before must still be the one served, while a role filled in is shown and replaces it."""
    url, engine = store
    readmodel.refresh_all(engine)
    client = TestClient(create_app(url))
    story_id = _nk_story(client)
    before = _rows(engine)[("story_json", story_id)].version
    entity = next(e for e in _get(client, "story_json", story_id).json()["entities"])
    with engine.connect() as conn:
        stored = conn.execute(select(schema.entities).where(schema.entities.c.id == entity["id"])).one()
    learned = Entity(id=stored.id, name=stored.name, type=stored.type, aliases=(*(stored.aliases or ()), "An Alias Learned Later"), role=stored.role)
    with engine.begin() as conn:
        upsert_entity(conn, learned)
    assert _current(engine, "story_json", story_id) == before
    with engine.begin() as conn:
        conn.execute(update(schema.entities).where(schema.entities.c.id == entity["id"]).values(role=None))
        upsert_entity(conn, Entity(id=stored.id, name=stored.name, type=stored.type, aliases=(), role="a role filled in by a test"))
    assert _current(engine, "story_json", story_id) != before
    shown = next(e for e in TestClient(create_app(url)).get(f"/api/v1/stories/{story_id}").json()["entities"] if e["id"] == entity["id"])
    assert shown["role"] == "a role filled in by a test"


def test_views_rendered_early_in_a_long_ingest_are_rendered_again_when_they_went_stale(store: tuple[str, Engine]) -> None:
    """An ingest renders early when it has gathered `limit` ids; an entity filling its role later (as
    the next articles' linking does) puts every view out of date, so the end of the run renders the
    early ones again, and leaves the views it did not render alone."""
    url, engine = store
    readmodel.refresh_all(engine)
    story_id = _nk_story(TestClient(create_app(url)))
    article_id, untouched = _members(engine, story_id)[0], sorted(_ids(engine)[1] - set(_members(engine, story_id)))[0]
    views = readmodel.IngestViews(engine, limit=1)
    views.linked([article_id])
    early = _rows(engine)
    touched = [("story_json", story_id), ("story_page", story_id), ("article_json", article_id), ("article_page", article_id)]
    assert all(early[key].version == _current(engine, *key) for key in touched), "the limit did not render early"
    with engine.connect() as conn:
        stored = conn.execute(select(schema.entities).where(schema.entities.c.role.is_(None))).first()
    assert stored is not None
    with engine.begin() as conn:
        upsert_entity(conn, Entity(id=stored.id, name=stored.name, type=stored.type, aliases=(), role="a role a later article fills"))
    assert all(early[key].version != _current(engine, *key) for key in touched), "filling a role left the views current"

    views.done()
    rows = _rows(engine)
    for key in touched:
        assert rows[key].version == _current(engine, *key), f"{key} rendered early was left out of date"
    assert rows[("article_json", untouched)].rendered_at == early[("article_json", untouched)].rendered_at, "a view the run never touched was rendered"
