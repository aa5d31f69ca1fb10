"""HTTP latency and throughput of the story page and the article endpoint on a 10,000-article store.

    .venv/bin/python bench/bench_api.py [--articles 10000] [--clients 50] [--requests 2000] [--seconds 60]

The store is built once and cached under /tmp: the examples go through the real pipeline (analysis
and linking), then copies of every article are written through the real store functions
(`writes.insert_article`, `save_analysis`, `link_article`) with new ids and every date shifted by
800 days per copy (more than the examples' span plus the linker's story window), so each copy
forms stories of its own, as a long-running news archive would.
The server is uvicorn in a subprocess on 127.0.0.1; the clients are asyncio tasks sharing one httpx
client. Every loop is bounded by a request count and a time limit. Target: p99 < 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import random
import re
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import fields, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
INPUTS = ["text", "html", "jsonl", "feeds", "web", "broken"]
SHIFT_DAYS = 800
_FULL = re.compile(r"^(\d{4}-\d{2}-\d{2})(.*)$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_YEAR = re.compile(r"^(\d{4})$")


def shift_value(value: Any, days: int) -> Any:
    """A date-like string moved by `days`, keeping its granularity; anything else unchanged."""
    if not isinstance(value, str):
        return value
    if m := _FULL.match(value):
        try:
            return (date.fromisoformat(m.group(1)) + timedelta(days=days)).isoformat() + m.group(2)
        except ValueError:
            return value
    if m := _MONTH.match(value):
        moved = date(int(m.group(1)), int(m.group(2)), 15) + timedelta(days=days)
        return f"{moved.year:04d}-{moved.month:02d}"
    if m := _YEAR.match(value):
        return f"{(date(int(m.group(1)), 7, 1) + timedelta(days=days)).year:04d}"
    return value


def _moved(record: Any, article_id: str, days: int) -> Any:
    """A fact record belonging to the copy: new article id, date fields shifted."""
    changes: dict[str, Any] = {}
    for f in fields(record):
        value = getattr(record, f.name)
        if f.name == "article_id":
            changes[f.name] = article_id
        elif f.name in ("value", "earliest", "latest", "date"):
            changes[f.name] = shift_value(value, days)
        elif hasattr(value, "__dataclass_fields__") and hasattr(value, "article_id"):
            changes[f.name] = _moved(value, article_id, days)
    return replace(record, **changes)


def build_store(path: Path, target: int) -> None:
    """Ingest the examples for real, then write shifted copies until `target` articles are stored."""
    from sqlalchemy import func, select

    from storyline.model import Analysis
    from storyline.pipeline import IngestOptions, ingest
    from storyline.store import schema, writes
    from storyline.store.db import open_store
    from storyline.store.facts import load_analysis, save_analysis
    from storyline.store.queries import load_article
    from storyline.stories.link import link_article

    engine = open_store(str(path))
    with engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(schema.articles)).scalar_one()
    if stored == 0:
        print("ingesting the examples through the pipeline…", file=sys.stderr)
        ingest(engine, [str(EXAMPLES / name) for name in INPUTS], IngestOptions())
    with engine.connect() as conn:
        originals = [row[0] for row in conn.execute(select(schema.articles.c.id).where(~schema.articles.c.input_name.startswith("bench:")).order_by(schema.articles.c.published))]
        seeds = [(load_article(conn, i), load_analysis(conn, i)) for i in originals]
        stored = conn.execute(select(func.count()).select_from(schema.articles)).scalar_one()
    copy = 1 + (stored - len(seeds)) // len(seeds)
    started = time.monotonic()
    while stored < target:
        days = SHIFT_DAYS * copy
        with engine.begin() as conn:
            run_id = writes.start_run(conn, {"bench": copy})
            for article, analysis in seeds:
                if stored >= target:
                    break
                new_id = hashlib.sha256(f"{copy}:{article.id}".encode()).hexdigest()[:16]
                clone = replace(
                    article,
                    id=new_id,
                    content_hash=hashlib.sha256(f"{copy}:{article.content_hash}".encode()).hexdigest(),
                    item_key=hashlib.sha256(f"{copy}:{article.item_key}".encode()).hexdigest(),
                    published=article.published + timedelta(days=days) if article.published else None,
                    input_name=f"bench:{copy}",
                )
                facts = {
                    name: tuple(_moved(record, new_id, days) for record in getattr(analysis, name))
                    for name in ("mentions", "quotes", "quantities", "timerefs", "places", "events", "claims")
                }
                cloned = Analysis(article_id=new_id, version=analysis.version, entities=analysis.entities, **facts)
                writes.insert_article(conn, clone, run_id, b"", [])
                save_analysis(conn, cloned)
                link_article(conn, clone, cloned)
                writes.mark_analyzed(conn, new_id, "bench")
                stored += 1
            writes.finish_run(conn, run_id, "done", {"new": len(seeds)})
        if copy % 20 == 0:
            print(f"  {stored} articles ({time.monotonic() - started:.0f} s)", file=sys.stderr)
        copy += 1
    engine.dispose()


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the server even while it is still busy with requests the clients gave up on."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(db: Path, port: int, story_cache: int) -> subprocess.Popen[bytes]:
    code = (
        "import sys, uvicorn; from storyline.api import create_app; "
        "uvicorn.run(create_app(sys.argv[1], story_cache=int(sys.argv[3])), host='127.0.0.1', port=int(sys.argv[2]), "
        "log_level='warning', access_log=False)"
    )
    process = subprocess.Popen([sys.executable, "-c", code, str(db), str(port), str(story_cache)])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/status", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit("the server did not start")


async def load(base: str, paths: list[str], clients: int, requests: int, seconds: float) -> dict[str, Any]:
    """`clients` tasks issue up to `requests` GETs in total, for at most `seconds`; latencies in ms."""
    latencies: list[float] = []
    errors = 0
    issued = 0
    rng = random.Random(7)
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:

        async def worker() -> None:
            nonlocal errors, issued
            while issued < requests and time.monotonic() < deadline:
                issued += 1
                path = rng.choice(paths)
                started = time.perf_counter()
                try:
                    response = await client.get(path)
                    response.read()
                    if response.status_code != 200:
                        errors += 1
                except httpx.HTTPError:
                    errors += 1
                latencies.append((time.perf_counter() - started) * 1000)

        began = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(clients)))
        elapsed = time.monotonic() - began
    latencies.sort()

    def pct(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))]

    return {
        "requests": len(latencies), "errors": errors, "p50": pct(0.50), "p90": pct(0.90), "p99": pct(0.99),
        "max": latencies[-1], "mean": statistics.fmean(latencies), "rps": len(latencies) / elapsed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=2000, help="per scenario")
    parser.add_argument("--seconds", type=float, default=60, help="time limit per scenario")
    parser.add_argument("--db", type=Path, default=None, help="store to use (default: a cached one under /tmp)")
    parser.add_argument("--story-cache", type=int, default=512, help="create_app(story_cache=...); 0 measures uncached story builds")
    args = parser.parse_args()

    db = args.db or Path(f"/tmp/storyline-bench-{args.articles}-{SHIFT_DAYS}d.db")
    started = time.monotonic()
    build_store(db, args.articles)
    print(f"store: {db} ({time.monotonic() - started:.0f} s to build or check)", file=sys.stderr)

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(db, port, args.story_cache)
    try:
        status = httpx.get(f"{base}/api/v1/status").json()
        story_ids: list[str] = []
        cursor = None
        while len(story_ids) < 400:
            page = httpx.get(f"{base}/api/v1/stories", params={"limit": 200, **({"cursor": cursor} if cursor else {})}, timeout=300).json()
            story_ids += [s["id"] for s in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        article_ids = [a["id"] for a in httpx.get(f"{base}/api/v1/articles", params={"limit": 200}).json()["items"]]
    finally:
        stop(server)
    scenarios = {
        "GET /api/v1/stories/{id}": [f"/api/v1/stories/{i}" for i in story_ids],
        "GET /stories/{id} (page)": [f"/stories/{i}" for i in story_ids],
        "GET /api/v1/articles/{id}": [f"/api/v1/articles/{i}" for i in article_ids],
        "GET /articles/{id} (page)": [f"/articles/{i}" for i in article_ids],
        "GET /api/v1/stories (list)": ["/api/v1/stories?limit=20"],
        "GET /api/v1/search?q=…": ["/api/v1/search?q=Kharkiv", "/api/v1/search?q=North+Korean+troops", "/api/v1/search?q=flood"],
    }
    print(f"\nstore: {status['articles']} articles, {len(story_ids)} stories sampled; story cache {args.story_cache}; {args.clients} concurrent clients, "
          f"≤{args.requests} requests or ≤{args.seconds:.0f} s per scenario; a fresh server for each scenario\n")
    header = f"{'scenario':30} {'requests':>8} {'errors':>6} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'max ms':>8} {'req/s':>8}"
    print(header)
    print("-" * len(header))
    for name, paths in scenarios.items():
        # A fresh server per scenario: requests a client gave up on must not slow the next scenario.
        server = start_server(db, port, args.story_cache)
        try:
            asyncio.run(load(base, paths, 5, 50, 30))  # warm-up
            r = asyncio.run(load(base, paths, args.clients, args.requests, args.seconds))
        finally:
            stop(server)
        print(f"{name:30} {r['requests']:>8} {r['errors']:>6} {r['p50']:>8.1f} {r['p90']:>8.1f} {r['p99']:>8.1f} {r['max']:>8.1f} {r['rps']:>8.1f}", flush=True)


if __name__ == "__main__":
    main()
