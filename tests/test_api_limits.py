"""API security limits through the ASGI app: per-address rate limits, CORS only when configured,
token comparison, and errors that never carry a stack trace."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from storyline.api import DEFAULT_WRITE_RATE, Rate, RateLimit, _matches, create_app

TOKEN = "limits-write-token-0123456789"


@pytest.fixture(scope="module")
def db(examples_store: Callable[[str], str]) -> str:
    return examples_store("limits")


def _too_many(response: object) -> int:
    """The Retry-After seconds of a 429, after checking its body is the usual JSON error."""
    assert response.status_code == 429, response.text  # type: ignore[attr-defined]
    assert response.json() == {"error": {"code": "too_many_requests", "message": response.json()["error"]["message"]}}  # type: ignore[attr-defined]
    assert "Traceback" not in response.text  # type: ignore[attr-defined]
    retry = int(response.headers["retry-after"])  # type: ignore[attr-defined]
    assert retry >= 1
    return retry


def test_writes_are_limited_by_default_and_reads_are_not(db: str) -> None:
    limit = Rate.parse(DEFAULT_WRITE_RATE)
    assert limit is not None
    client = TestClient(create_app(db, token=TOKEN))
    auth = {"Authorization": f"Bearer {TOKEN}"}
    # Invalid bodies cost nothing to refuse, but each still spends a write token.
    for _ in range(limit.requests):
        assert client.post("/api/v1/articles", json={"articles": []}, headers=auth).status_code == 422
    # Tokens trickle back while the burst is sent (one a second at 60/minute), so the refusal comes
    # once those are spent too — long before another full burst would be allowed.
    statuses = [client.post("/api/v1/articles", json={"articles": []}, headers=auth) for _ in range(limit.requests)]
    refused = [r for r in statuses if r.status_code != 422]
    assert refused, "no write was refused after a whole burst"
    _too_many(refused[0])
    for _ in range(limit.requests + 20):
        assert client.get("/api/v1/entities", params={"limit": 1}).status_code == 200


def test_read_limit_is_per_client_address(db: str) -> None:
    app = create_app(db, read_rate="5/minute", write_rate=None)
    first = TestClient(app, client=("192.0.2.1", 40000))
    other = TestClient(app, client=("192.0.2.2", 40000))
    for _ in range(5):
        assert first.get("/api/v1/entities", params={"limit": 1}).status_code == 200
    retry = _too_many(first.get("/api/v1/entities", params={"limit": 1}))
    assert retry <= 12  # one token comes back every 12 s at 5/minute
    _too_many(first.get("/", headers={"accept": "text/html"}))
    assert other.get("/api/v1/entities", params={"limit": 1}).status_code == 200
    assert first.get("/static/style.css").status_code == 200


def test_limits_can_be_turned_off(db: str) -> None:
    client = TestClient(create_app(db, token=TOKEN, read_rate=None, write_rate=None))
    auth = {"Authorization": f"Bearer {TOKEN}"}
    limit = Rate.parse(DEFAULT_WRITE_RATE)
    assert limit is not None
    for _ in range(limit.requests + 5):
        assert client.post("/api/v1/articles", json={"articles": []}, headers=auth).status_code == 422


def test_token_bucket_refills_evenly_and_caps_bursts() -> None:
    limiter = RateLimit(app=None, reads=None, writes=None, max_clients=2)  # type: ignore[arg-type]
    rate = Rate(requests=3, seconds=3.0)
    assert [limiter.take("a", "write", rate, 100.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.take("a", "write", rate, 100.0) == pytest.approx(1.0)
    assert limiter.take("a", "write", rate, 100.5) == pytest.approx(0.5)
    assert limiter.take("a", "write", rate, 101.0) == 0.0
    # A long pause refills only up to the burst size.
    assert [limiter.take("a", "write", rate, 1000.0) for _ in range(4)][-1] > 0
    limiter.take("b", "write", rate, 1000.0)
    limiter.take("c", "write", rate, 1000.0)
    assert len(limiter.buckets) == 2 and ("a", "write") not in limiter.buckets


def test_rate_specs() -> None:
    assert Rate.parse("60/minute") == Rate(60, 60.0)
    assert Rate.parse("20/s") == Rate(20, 1.0)
    assert Rate.parse("off") is None
    for bad in ("fast", "10", "0/minute", "-1/s", "5/fortnight", "1.5/s"):
        with pytest.raises(ValueError, match="COUNT/UNIT"):
            Rate.parse(bad)


def test_cors_is_off_unless_origins_are_configured(db: str) -> None:
    origin = "https://reader.example"
    preflight = {"Origin": origin, "Access-Control-Request-Method": "GET"}
    closed = TestClient(create_app(db))
    for response in (closed.get("/api/v1/status", headers={"Origin": origin}), closed.options("/api/v1/status", headers=preflight)):
        assert not [h for h in response.headers if h.lower().startswith("access-control-")]
    opened = TestClient(create_app(db, cors_origins=(origin,)))
    assert opened.get("/api/v1/status", headers={"Origin": origin}).headers["access-control-allow-origin"] == origin
    assert opened.options("/api/v1/status", headers=preflight).headers["access-control-allow-origin"] == origin
    assert "access-control-allow-origin" not in opened.get("/api/v1/status", headers={"Origin": "https://elsewhere.example"}).headers


def test_token_comparison() -> None:
    assert _matches("secret-token", "secret-token")
    for given in ("secret-tokeN", "secret-token ", "secret", "secret-token-and-more", "", None):
        assert not _matches(given, "secret-token")
    assert not _matches("anything", None) and not _matches(None, None) and not _matches("", "")


def test_no_stack_traces_in_error_responses(db: str) -> None:
    client = TestClient(create_app(db), raise_server_exceptions=False)
    for path, status in [("/api/v1/articles/%00%ff", 422), ("/api/v1/articles", 200), ("/api/v1/search?q=" + "x" * 500, 422),
                         ("/api/v1/stories/no-such-story", 404), ("/stories/no-such-story", 404), ("/api/v1/changes?since=abc", 422)]:
        response = client.get(path, headers={"accept": "text/html"} if not path.startswith("/api") else {})
        assert response.status_code == status, path
        assert "Traceback" not in response.text and 'File "' not in response.text, path
