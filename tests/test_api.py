"""The HTTP API through the ASGI app, on a real store built by running the pipeline over `examples/`."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from storyline.api import create_app

TOKEN = "test-write-token-0123456789"


@pytest.fixture(scope="module")
def db(examples_store: Callable[[str], str]) -> str:
    return examples_store("api")


@pytest.fixture(scope="module")
def client(db: str) -> TestClient:
    return TestClient(create_app(db, token=TOKEN))


def _all_pages(client: TestClient, path: str, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    for _ in range(100):
        body = client.get(path, params={**params, **({"cursor": cursor} if cursor else {})}).json()
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("pagination did not end")


def _nk_story(client: TestClient) -> dict[str, Any]:
    """The North Korean troops story: the story with Kim Jong Un that has the most developments."""
    stories = client.get("/api/v1/stories", params={"entity": "Kim Jong Un"}).json()["items"]
    assert stories, "no story mentions Kim Jong Un"
    return max(stories, key=lambda s: s["developments"])


def _error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and body["error"]["code"] and body["error"]["message"]
    assert "Traceback" not in response.text
    return body["error"]


def test_status_counts_what_the_examples_hold(client: TestClient) -> None:
    status = client.get("/api/v1/status").json()
    assert status["articles"] == 28
    assert status["near_duplicates"] == 1
    assert status["errors"] == 4


def test_articles_page_through_everything_newest_first(client: TestClient) -> None:
    items = _all_pages(client, "/api/v1/articles", limit=7)
    ids = [a["id"] for a in items]
    assert len(ids) == 28 and len(set(ids)) == 28
    published = [a["published"] for a in items]
    assert published == sorted(published, reverse=True)


def test_articles_filter_by_date_source_and_story(client: TestClient) -> None:
    october = _all_pages(client, "/api/v1/articles", since="2024-10-01", until="2024-10-31")
    assert october and all("2024-10-01" <= a["published"][:10] <= "2024-10-31" for a in october)
    herald = _all_pages(client, "/api/v1/articles", source="Example Herald")
    assert herald and all(a["source"] == "Example Herald" for a in herald)
    story = _nk_story(client)
    members = _all_pages(client, "/api/v1/articles", story=story["id"])
    assert any(a["title"].startswith("Zelensky says North Korea") for a in members)
    assert not any(a["title"].startswith(("Flash floods", "Spain floods", "Spain sends")) for a in members)


def test_articles_filter_by_entity(client: TestClient) -> None:
    found = client.get("/api/v1/entities", params={"q": "Oleh Syn"}).json()["items"]
    assert found, "the Kharkiv governor is not among the entities"
    articles = _all_pages(client, "/api/v1/articles", entity=found[0]["id"])
    assert articles
    for article in articles:
        text = client.get(f"/api/v1/articles/{article['id']}").json()["document"]
        assert "Syniehubov" in text


def test_article_facts_point_into_its_text(client: TestClient) -> None:
    article_id = next(a["id"] for a in _all_pages(client, "/api/v1/articles") if a["title"].startswith("Zelensky says North Korea"))
    article = client.get(f"/api/v1/articles/{article_id}").json()
    document = article["document"]
    assert document == f"{article['title']}\n\n{article['text']}"
    facts = article["facts"]
    assert set(facts) == {"entities", "mentions", "quotes", "quantities", "dates", "places", "events", "claims"}
    assert facts["mentions"] and facts["quotes"]
    for mention in facts["mentions"]:
        assert document[mention["start"] : mention["end"]] == mention["text"]
    for quote in facts["quotes"]:
        assert 0 <= quote["content_start"] < quote["content_end"] <= len(document)
    speakers = {e["id"]: e["name"] for e in facts["entities"]}
    assert any(speakers.get(q["speaker_entity_id"]) == "Volodymyr Zelenskyy" for q in facts["quotes"])
    assert article["stories"], "the claim article belongs to no story"


def test_story_list_and_story_detail(client: TestClient) -> None:
    stories = _all_pages(client, "/api/v1/stories", limit=1)
    assert len({s["id"] for s in stories}) == len(stories) >= 2
    recent = [s["last_published"] for s in stories]
    assert recent == sorted(recent, reverse=True)
    story = client.get(f"/api/v1/stories/{_nk_story(client)['id']}").json()
    dates = [d["date"] for d in story["timeline"]]
    assert dates == sorted(dates) and len(dates) >= 5
    statuses = [{step["status"] for step in claim["history"]} for claim in story["claims"]]
    assert any("claimed" in s and "confirmed" in s for s in statuses), "no claim goes from claimed to confirmed"
    assert any(series["points"] for series in story["numbers"])
    assert {e["name"] for e in story["entities"]} & {"Kim Jong Un", "Volodymyr Zelenskyy"}


def test_story_filters(client: TestClient) -> None:
    floods = client.get("/api/v1/stories", params={"place": "Valencia"}).json()["items"]
    assert floods and all("Valencia" in json.dumps(client.get(f"/api/v1/stories/{s['id']}").json()) for s in floods)
    assert any("flood" in s["title"].lower() or "Valencia" in s["title"] for s in floods)
    late = client.get("/api/v1/stories", params={"since": "2025-03-01"}).json()["items"]
    assert late and all(s["last_date"] >= "2025-03-01" for s in late)
    assert client.get("/api/v1/stories", params={"entity": "nobody at all"}).json()["items"] == []


def test_entities_with_aliases_stories_and_quotes(client: TestClient) -> None:
    found = client.get("/api/v1/entities", params={"q": "volodymyr"}).json()["items"]
    zelenskyy = next(e for e in found if e["name"] == "Volodymyr Zelenskyy")
    detail = client.get(f"/api/v1/entities/{zelenskyy['id']}").json()
    assert "Zelensky" in detail["aliases"] or "Zelenskyy" in detail["aliases"]
    assert _nk_story(client)["id"] in {s["id"] for s in detail["stories"]}
    assert detail["quotes"] and all(q["speaker_entity_id"] == zelenskyy["id"] for q in detail["quotes"])
    everyone = _all_pages(client, "/api/v1/entities", limit=25)
    counts = [e["mentions"] for e in everyone]
    assert counts == sorted(counts, reverse=True) and len({e["id"] for e in everyone}) == len(everyone)


def test_full_text_search(client: TestClient) -> None:
    hits = client.get("/api/v1/search", params={"q": "Kharkiv missile"}).json()["items"]
    assert hits
    for hit in hits:
        document = client.get(f"/api/v1/articles/{hit['id']}").json()["document"].lower()
        assert "kharkiv" in document and "missile" in document
        assert any(seg["match"] for seg in hit["snippet"])
    phrase = client.get("/api/v1/search", params={"q": '"fake news"'}).json()["items"]
    assert phrase and all("fake news" in client.get(f"/api/v1/articles/{h['id']}").json()["document"].lower() for h in phrase)
    for hostile in ['title:x NEAR(a b', '"unterminated', "*", "OR OR", "a AND NOT b ^"]:
        assert client.get("/api/v1/search", params={"q": hostile}).status_code == 200


def test_changes_feed(client: TestClient) -> None:
    first = client.get("/api/v1/changes", params={"limit": 200}).json()
    assert first["items"]
    again = client.get("/api/v1/changes", params={"since": first["cursor"]}).json()
    assert again["items"] == [] and again["cursor"] == first["cursor"]
    story_id = _nk_story(client)["id"]
    mine = client.get(f"/api/v1/stories/{story_id}/changes").json()["items"]
    assert mine and all(c["story_id"] == story_id for c in mine)
    _error(client.get("/api/v1/stories/snothere/changes"), 404)


def test_errors_are_json_with_the_right_status(client: TestClient) -> None:
    assert _error(client.get("/api/v1/articles/0000000000000000"), 404)["code"] == "not_found"
    _error(client.get("/api/v1/stories/snothere"), 404)
    _error(client.get("/api/v1/entities/nothere"), 404)
    _error(client.get("/api/v1/no/such/route"), 404)
    _error(client.get("/api/v1/articles", params={"limit": 100000}), 422)
    _error(client.get("/api/v1/articles", params={"since": "yesterday"}), 422)
    assert _error(client.get("/api/v1/articles", params={"cursor": "bm90IGEgY3Vyc29y"}), 422)["code"] == "invalid_cursor"
    _error(client.get("/api/v1/search", params={"q": "x" * 201}), 422)
    _error(client.get("/api/v1/search"), 422)
    _error(client.get("/api/v1/export/nothing.csv"), 404)
    _error(client.get("/api/v1/export/articles.csv"), 404)


def test_internal_errors_do_not_leak(examples_store: Callable[[str], str]) -> None:
    broken = examples_store("broken")
    app = create_app(broken)
    article_id = TestClient(app).get("/api/v1/articles").json()["items"][0]["id"]
    with create_engine(broken).begin() as conn:
        conn.execute(text("DROP TABLE facts"))
        conn.execute(text("DELETE FROM rendered_views"))  # else the view stored at ingest answers, built before the damage
    response = TestClient(app, raise_server_exceptions=False).get(f"/api/v1/articles/{article_id}")
    error = _error(response, 500)
    assert error["code"] == "internal_error"
    assert "facts" not in response.text and "sqlite" not in response.text.lower()


def test_writes_are_disabled_without_a_token(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STORYLINE_API_TOKEN", raising=False)
    readonly = TestClient(create_app(db))
    error = _error(readonly.post("/api/v1/articles", json={"articles": [{"text": "Hello."}]}), 403)
    assert error["code"] == "writes_disabled" and "token" in error["message"]


def test_writes_need_the_right_token(client: TestClient) -> None:
    body = {"articles": [{"text": "Nothing."}]}
    _error(client.post("/api/v1/articles", json=body), 401)
    _error(client.post("/api/v1/articles", json=body, headers={"Authorization": "Bearer wrong"}), 401)
    _error(client.post("/api/v1/articles", json=body, headers={"Authorization": f"Bearer {TOKEN}x"}), 401)


def test_ingest_json_then_read_and_search_it(examples_store: Callable[[str], str]) -> None:
    client = TestClient(create_app(examples_store("write"), token=TOKEN))
    auth = {"Authorization": f"Bearer {TOKEN}"}
    article = {
        "title": "Ferry strike closes Odesa harbour",
        "text": "A drone struck a ferry in the port of Odesa on Tuesday, the regional governor said.\n\nThe harbour was closed for six hours.",
        "published": "2025-05-06",
        "url": "https://example.invalid/ferry",
        "source": "Test Wire",
    }
    report = client.post("/api/v1/articles", json={"articles": [article]}, headers=auth).json()
    assert report["new"] == 1 and report["errors"] == 0
    again = client.post("/api/v1/articles", json={"articles": [article]}, headers=auth).json()
    assert again["new"] == 0
    hits = client.get("/api/v1/search", params={"q": "ferry harbour"}).json()["items"]
    assert [h["title"] for h in hits] == ["Ferry strike closes Odesa harbour"]
    stored = client.get(f"/api/v1/articles/{hits[0]['id']}").json()
    assert stored["source"] == "Test Wire" and stored["facts"]["mentions"]
    _error(client.post("/api/v1/articles", json={"articles": [{"title": "no text"}]}, headers=auth), 422)
    _error(client.post("/api/v1/articles", json={"articles": []}, headers=auth), 422)


def test_ingest_upload(examples_store: Callable[[str], str]) -> None:
    client = TestClient(create_app(examples_store("upload"), token=TOKEN, analyze=False))
    auth = {"Authorization": f"Bearer {TOKEN}"}
    lines = [
        json.dumps({"title": "Glacier retreat measured", "text": "Scientists measured a glacier retreat of forty metres.", "published": "2025-05-07"}),
        "{not json",
    ]
    files = {"file": ("batch.jsonl", "\n".join(lines).encode(), "application/octet-stream")}
    report = client.post("/api/v1/ingest", files=files, headers=auth).json()
    assert report["new"] == 1 and report["errors"] == 1
    assert client.get("/api/v1/search", params={"q": "glacier"}).json()["items"]
    errors = client.get("/api/v1/errors").json()["items"]
    assert any("batch.jsonl" in e["input_name"] and e["position"] == 2 for e in errors)


def test_request_body_cap(db: str) -> None:
    small = TestClient(create_app(db, token=TOKEN, max_body_bytes=2000))
    auth = {"Authorization": f"Bearer {TOKEN}"}
    big = {"articles": [{"text": "word " * 1000}]}
    assert _error(small.post("/api/v1/articles", json=big, headers=auth), 413)["code"] == "payload_too_large"

    def chunks() -> Any:
        for _ in range(10):
            yield b"x" * 500

    streamed = small.post("/api/v1/ingest", content=chunks(), headers={**auth, "content-type": "multipart/form-data; boundary=b"})
    _error(streamed, 413)


def test_read_token(db: str) -> None:
    guarded = TestClient(create_app(db, token=TOKEN, read_token="reader-token"))
    _error(guarded.get("/api/v1/status"), 401)
    assert guarded.get("/", headers={"accept": "text/html"}).status_code == 401
    assert guarded.get("/api/v1/status", headers={"Authorization": "Bearer reader-token"}).status_code == 200
    assert guarded.get("/api/v1/status", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    _error(guarded.post("/api/v1/articles", json={"articles": [{"text": "x"}]}, headers={"Authorization": "Bearer reader-token"}), 401)


def test_exports_over_http(client: TestClient) -> None:
    from storyline.export import COLUMNS

    response = client.get("/api/v1/export/events.csv")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert rows and tuple(rows[0]) == COLUMNS["events"]
    places = client.get("/api/v1/export/places.geojson").json()
    assert places["type"] == "FeatureCollection" and places["features"]
    for feature in places["features"]:
        lon, lat = feature["geometry"]["coordinates"]
        assert -180 <= lon <= 180 and -90 <= lat <= 90
    story_id = _nk_story(client)["id"]
    lines = client.get("/api/v1/export/quotes.jsonl", params={"story": story_id}).text.splitlines()
    assert lines and all(json.loads(line)["content"] for line in lines)


def test_openapi_docs_and_headers_are_local(client: TestClient) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    assert {"/api/v1/stories/{story_id}", "/api/v1/search", "/api/v1/articles"} <= set(schema["paths"])
    docs = client.get("/docs")
    assert docs.status_code == 200 and "/api/v1/stories/{story_id}" in docs.text
    assert "http://" not in docs.text and "https://" not in docs.text
    assert "script-src 'self'" in docs.headers["content-security-policy"]
    preflight = client.options("/api/v1/status", headers={"Origin": "https://elsewhere.example", "Access-Control-Request-Method": "GET"})
    assert "access-control-allow-origin" not in preflight.headers
    assert "access-control-allow-origin" not in client.get("/api/v1/status", headers={"Origin": "https://elsewhere.example"}).headers


def test_pages_render(client: TestClient) -> None:
    html = {"accept": "text/html"}
    story_id = _nk_story(client)["id"]
    for path in ["/", f"/stories/{story_id}", f"/stories/{story_id}?order=newest", "/entities", "/search?q=Kursk", "/docs"]:
        page = client.get(path, headers=html)
        assert page.status_code == 200, path
        assert "<script" not in page.text
    assert client.get("/stories/snothere", headers=html).status_code == 404
    assert "text/html" in client.get("/stories/snothere", headers=html).headers["content-type"]


def test_story_cache_follows_story_changes(examples_store: Callable[[str], str]) -> None:
    copy = examples_store("cache")
    client = TestClient(create_app(copy, cache_size=8))
    story_id = _nk_story(client)["id"]
    before = client.get(f"/api/v1/stories/{story_id}").json()
    assert client.get(f"/api/v1/stories/{story_id}").json() == before
    with create_engine(copy).begin() as conn:
        conn.execute(text("UPDATE stories SET title = 'Retitled by a relink', updated_seq = updated_seq + 1000 WHERE id = :id"), {"id": story_id})
    after = client.get(f"/api/v1/stories/{story_id}").json()
    assert after["title"] == "Retitled by a relink" and before["title"] != after["title"]
    page = client.get(f"/stories/{story_id}", headers={"accept": "text/html"}).text
    assert "Retitled by a relink" in page


def _member_with_claims(client: TestClient) -> tuple[str, str]:
    """The NK story and one of its articles whose claims the story's claim history shows."""
    story = client.get(f"/api/v1/stories/{_nk_story(client)['id']}").json()
    sources = [step["article_id"] for claim in story["claims"] for step in claim["history"]]
    assert sources, "the NK story shows no claims"
    return story["id"], sources[-1]


def test_article_and_story_views_follow_reanalysis(examples_store: Callable[[str], str]) -> None:
    """Re-analysing an article (same extractor version) replaces its facts through `save_analysis`:
    cached article JSON, article page, story JSON and story page all show the new facts at once."""
    from dataclasses import replace

    from storyline.store.db import open_store
    from storyline.store.facts import load_analysis, save_analysis
    from storyline.store.writes import mark_analyzed

    url = examples_store("reanalysis")
    client = TestClient(create_app(url))
    story_id, article_id = _member_with_claims(client)
    html = {"accept": "text/html"}
    before = client.get(f"/api/v1/articles/{article_id}")
    assert before.json()["facts"]["claims"] and before.json()["facts"]["quotes"]
    assert client.get(f"/api/v1/articles/{article_id}").content == before.content
    assert 'class="quote-text"' in client.get(f"/articles/{article_id}", headers=html).text
    page_before = client.get(f"/stories/{story_id}", headers=html).text
    version = before.json()["analysis_version"]

    engine = open_store(url)
    with engine.begin() as conn:
        analysis = load_analysis(conn, article_id)
        save_analysis(conn, replace(analysis, claims=(), quotes=()))
        mark_analyzed(conn, article_id, version)
    engine.dispose()

    after = client.get(f"/api/v1/articles/{article_id}").json()
    assert after["analysis_version"] == version
    assert after["facts"]["claims"] == [] and after["facts"]["quotes"] == []
    assert 'class="quote-text"' not in client.get(f"/articles/{article_id}", headers=html).text
    story = client.get(f"/api/v1/stories/{story_id}").json()
    assert article_id not in {step["article_id"] for claim in story["claims"] for step in claim["history"]}
    assert client.get(f"/stories/{story_id}", headers=html).text != page_before


def test_article_view_follows_entity_and_story_changes(examples_store: Callable[[str], str]) -> None:
    from dataclasses import replace

    from storyline.store.db import open_store
    from storyline.store.facts import load_analysis, upsert_entity

    url = examples_store("entity-change")
    client = TestClient(create_app(url))
    story_id, article_id = _member_with_claims(client)
    before = client.get(f"/api/v1/articles/{article_id}").json()
    engine = open_store(url)
    with engine.begin() as conn:
        entity = load_analysis(conn, article_id).entities[0]
        upsert_entity(conn, replace(entity, aliases=(*entity.aliases, "A Newly Learned Alias")))
    entities = {e["id"]: e for e in client.get(f"/api/v1/articles/{article_id}").json()["facts"]["entities"]}
    assert "A Newly Learned Alias" in entities[entity.id]["aliases"]
    assert story_id in {s["story_id"] for s in before["stories"]}
    with engine.begin() as conn:
        conn.execute(text("UPDATE stories SET title = 'Retitled story', updated_seq = updated_seq + 1000 WHERE id = :id"), {"id": story_id})
    engine.dispose()
    titles = {s["story_id"]: s["title"] for s in client.get(f"/api/v1/articles/{article_id}").json()["stories"]}
    assert titles[story_id] == "Retitled story"
    assert "Retitled story" in client.get(f"/articles/{article_id}", headers={"accept": "text/html"}).text


def test_views_carry_etags_and_answer_304(client: TestClient) -> None:
    story_id = _nk_story(client)["id"]
    article_id = client.get("/api/v1/articles", params={"limit": 1}).json()["items"][0]["id"]
    for path in [f"/api/v1/stories/{story_id}", f"/stories/{story_id}", f"/api/v1/articles/{article_id}", f"/articles/{article_id}"]:
        first = client.get(path)
        etag = first.headers["etag"]
        again = client.get(path)  # a cache hit, answered before routing
        assert again.status_code == 200 and again.headers["etag"] == etag and again.content == first.content, path
        assert again.headers["content-type"] == first.headers["content-type"], path
        assert "content-security-policy" in again.headers, path
        unchanged = client.get(path, headers={"If-None-Match": etag})
        assert unchanged.status_code == 304 and unchanged.content == b"", path
        assert client.get(path, headers={"If-None-Match": '"something-else"'}).status_code == 200, path


def test_cached_views_still_need_the_read_token(db: str) -> None:
    guarded = TestClient(create_app(db, read_token="reader-token"))
    reader = {"Authorization": "Bearer reader-token"}
    story_id = _nk_story(TestClient(create_app(db)))["id"]
    article_id = TestClient(create_app(db)).get("/api/v1/articles", params={"limit": 1}).json()["items"][0]["id"]
    for path in [f"/api/v1/stories/{story_id}", f"/stories/{story_id}", f"/api/v1/articles/{article_id}", f"/articles/{article_id}"]:
        assert guarded.get(path, headers=reader).status_code == 200, path
        assert guarded.get(path, headers=reader).status_code == 200, path
        assert guarded.get(path).status_code == 401, path
        assert guarded.get(path, headers={"Authorization": "Bearer wrong"}).status_code == 401, path
