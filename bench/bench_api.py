"""HTTP latency and throughput of the story page and the article endpoint on a 10,000-article store.

    .venv/bin/python bench/bench_api.py [--articles 10000] [--clients 50] [--seconds 20] [--workers 1] [--loop LOOP] [--generator wrk|httpx]

The store is built once and cached under /tmp: the examples go through the real pipeline (analysis
and linking), then copies of every article are written through the real store functions
(`writes.insert_article`, `save_analysis`, `link_article`) with new ids and every date shifted by
800 days per copy (more than the examples' span plus the linker's story window), so each copy
forms stories of its own, as a long-running news archive would.
The server is `storyline serve`'s app under uvicorn in a subprocess on 127.0.0.1 (`--workers N`
processes) on the event loop `storyline serve` runs (`api.SERVE_LOOP`; `--loop asyncio|uvloop` to
compare), rate limits explicitly off. For each of the story and article views (JSON and page) a
fresh server first gets every sampled path once ("cold": nothing in its memory; each answer read from
the stored read model, or built when the store has no current stored view), then the
load generator asks for random sampled paths ("warm": answers come from the read cache, each checked
against the store's version). Context rows (story list, search) are not cached; the status row is answered
from counts kept at most a few seconds old.

The load generator is Debian's `wrk` (C; `apt-get install -y wrk`) with a Lua script over the paths,
bounded by a request count (in the script) and a duration (`-d`); without wrk the bench stops and says
so, unless `--generator httpx` asks for the Python one (asyncio tasks sharing one httpx client), which
takes most of a core itself on a 2-core machine. The cold pass uses the same generator, each path at
most once (wrk: every path but one per connection, so no request repeats a path; with httpx, which
on a loaded machine queues requests in the client itself, every path once). Every loop is bounded by
a request count and a time limit. Target: p99 < 50 ms.

Each cold pass opens its 50 connections at once, as a burst of new readers does: on plain uvloop,
which accepts one connection per loop iteration, the last ones waited behind hundreds of answers, and
that (not the reads) was the cold p99 (`api.accepting_loop`). (Until the Lua scripts' `tid` was made
a global, both wrk threads asked for the same paths, so half of each cold pass were cache hits.)

The cold pass measures what a first read costs. What a fresh process's first requests paid besides
(connections, statements, code run for the first time) is paid before it listens (`api.warm_up`: one
story and one article asked for through the app), and the heap built by start-up is frozen out of the
collector's full passes, which had stopped the server for 25-300 ms at a time. With the stored read model (`storyline views refresh`
run on the store beforehand; `bench_api.py` builds the store through the store functions, not the
ingest, so its views are rendered by that command) a first read is one more indexed query; without
it, every first read is a build.

The server's CPU time per request is printed beside the latencies: on a shared machine the latencies
move with everything else running, the CPU cost much less.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import random
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
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


_LUA_THREADS = r"""
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
function response(status, headers, body)
  answered = answered + 1
  if answered >= limit then wrk.thread:stop() end
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('BENCH {"requests": %d, "duration_us": %d, "errors": %d, "p50": %.3f, "p90": %.3f, "p99": %.3f, "max": %.3f}\n',
    summary.requests, summary.duration, e.status + e.connect + e.read + e.write + e.timeout,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
"""
"""What both load scripts share: numbered threads, each stopping after args[2] answers (the count
bound; wrk's -d is the time bound), and done() printing one JSON line the bench reads. `tid` and
`threads` are globals: `thread:set` sets a global of the thread's script, which a `local` of the same
name would hide (every thread then had tid 0, and the cold pass asked for each path twice)."""
WRK_SCRIPT = r"""
-- Random GETs over the paths in args[1].
local paths, limit, answered = {}, 0, 0
tid, threads = 0, 0
function init(args)
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
  limit = tonumber(args[2])
  math.randomseed(tonumber(args[3]) * 1000 + tid)
end
function request()
  return wrk.format("GET", paths[math.random(#paths)])
end
""" + _LUA_THREADS
WRK_COLD_SCRIPT = r"""
-- Each path at most once: thread k of n asks for paths k, k+n, k+2n, … in turn and stops after
-- args[2] answers, fewer than its share by its connection count, so requests still in flight when it
-- stops never had to repeat a path.
local paths, limit, answered, nxt = {}, 0, 0, 0
tid, threads = 0, 0
function init(args)
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
  limit = tonumber(args[2])
  stride = tonumber(args[3])
  nxt = tid
end
function request()
  local path = paths[nxt] or paths[1]
  nxt = nxt + stride
  return wrk.format("GET", path)
end
""" + _LUA_THREADS
TARGET_MS = 50.0


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the server (and its workers) even while it is still busy with requests the clients gave up on."""
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(db: Path, port: int, cache_size: int, workers: int, loop: str) -> subprocess.Popen[bytes]:
    """`storyline serve`'s app in a subprocess on uvicorn's `loop`, rate limits explicitly off (the
    clients all share one address and would be throttled, which is not what is measured)."""
    options = {"db": str(db), "cache_size": cache_size, "read_rate": None, "write_rate": None}
    code = (
        "import sys, uvicorn; "
        "uvicorn.run('storyline.api:app_from_env', factory=True, workers=int(sys.argv[2]), host='127.0.0.1', port=int(sys.argv[1]), "
        "log_level='warning', access_log=False, loop=sys.argv[3])"
    )
    env = {**os.environ, "STORYLINE_SERVE_OPTIONS": json.dumps(options)}
    process = subprocess.Popen([sys.executable, "-c", code, str(port), str(workers), loop], env=env)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/entities?limit=1", timeout=5).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    stop(process)
    raise SystemExit("the server did not start")


def server_cpu(process: subprocess.Popen[bytes]) -> float:
    """CPU seconds the server and its worker processes have used so far."""
    import psutil

    root = psutil.Process(process.pid)
    total = 0.0
    for proc in [root, *root.children(recursive=True)]:
        try:
            times = proc.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


async def _requests(base: str, next_path: Callable[[], str | None], clients: int, seconds: float, timeout: float) -> dict[str, Any]:
    """`clients` tasks GET the paths `next_path` hands out until it says None or `seconds` pass."""
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=timeout) as client:

        async def worker() -> None:
            while time.monotonic() < deadline and (path := next_path()) is not None:
                started = time.perf_counter()
                try:
                    response = await client.get(path)
                    if response.status_code != 200:
                        errors[f"HTTP {response.status_code} {path}"] += 1
                except httpx.HTTPError as exc:
                    errors[f"{type(exc).__name__} {path}"] += 1
                latencies.append((time.perf_counter() - started) * 1000)

        began = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(clients)))
        elapsed = time.monotonic() - began
    return _summary(latencies, errors, elapsed)


async def each_once(base: str, paths: list[str], clients: int, seconds: float) -> dict[str, Any]:
    """Every path requested once (first builds: nothing cached yet), `clients` at a time, for at most `seconds`."""
    queue = list(paths)
    return await _requests(base, lambda: queue.pop() if queue else None, clients, seconds, timeout=60)


async def random_gets(base: str, paths: list[str], clients: int, requests: int, seconds: float) -> dict[str, Any]:
    """The Python load generator: `clients` tasks issue up to `requests` random GETs, for at most `seconds`."""
    rng = random.Random(7)
    issued = 0

    def pick() -> str | None:
        nonlocal issued
        if issued >= requests:
            return None
        issued += 1
        return rng.choice(paths)

    return await _requests(base, pick, clients, seconds, timeout=30)


def _summary(latencies: list[float], errors: Counter[str], elapsed: float) -> dict[str, Any]:
    """Percentiles in ms; the errors are counted, and their kinds printed under the table."""
    latencies.sort()
    for reason, count in errors.most_common(5):
        print(f"    error: {count} × {reason}", file=sys.stderr)

    def pct(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))] if latencies else float("nan")

    return {"requests": len(latencies), "errors": sum(errors.values()), "p50": pct(0.50), "p90": pct(0.90), "p99": pct(0.99),
            "max": latencies[-1] if latencies else float("nan"), "rps": len(latencies) / elapsed if elapsed else 0.0}


def wrk_gets(base: str, paths: list[str], clients: int, requests: int, seconds: float, folder: Path) -> dict[str, Any]:
    """Debian's wrk (C, two threads) issuing random GETs over `paths`: at most `requests`, for `seconds`."""
    threads = min(2, clients)
    listing = folder / "paths.txt"
    listing.write_text("\n".join(paths) + "\n")
    script = folder / "paths.lua"
    script.write_text(WRK_SCRIPT)
    per_thread = max(1, requests // threads)
    command = ["wrk", f"-t{threads}", f"-c{clients}", f"-d{max(1, round(seconds))}s", "--timeout", "30s", "-s", str(script), base,
               "--", str(listing), str(per_thread), "7"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=False)
    line = next((line for line in done.stdout.splitlines() if line.startswith("BENCH ")), None)
    if done.returncode != 0 or line is None:
        raise SystemExit(f"wrk failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}")
    result = json.loads(line[len("BENCH "):])
    ended_by_count = result["requests"] >= per_thread * threads
    result["rps"] = float("nan") if ended_by_count else result["requests"] / (result["duration_us"] / 1e6)
    return result


def wrk_cold(base: str, paths: list[str], clients: int, seconds: float, folder: Path) -> dict[str, Any]:
    """wrk asking for each path at most once (first builds), `clients` connections; answers counted
    are the paths minus one per connection (the requests in flight when each thread stops)."""
    threads = min(2, clients)
    listing = folder / "cold-paths.txt"
    listing.write_text("\n".join(paths) + "\n")
    script = folder / "cold.lua"
    script.write_text(WRK_COLD_SCRIPT)
    per_thread = max(1, len(paths) // threads - clients // threads)
    command = ["wrk", f"-t{threads}", f"-c{clients}", f"-d{max(1, round(seconds))}s", "--timeout", "30s", "-s", str(script), base,
               "--", str(listing), str(per_thread), str(threads)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=False)
    line = next((line for line in done.stdout.splitlines() if line.startswith("BENCH ")), None)
    if done.returncode != 0 or line is None:
        raise SystemExit(f"wrk failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}")
    result = json.loads(line[len("BENCH "):])
    result["rps"] = float("nan")  # wrk runs for its whole -d even when every thread stopped early
    return result


def _wrk_version() -> str:
    done = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    words = (done.stdout + done.stderr).split()
    return words[1] if len(words) > 1 else "?"


def _http_implementation(loop: str) -> str:
    """What uvicorn's `http="auto"` picks (httptools when installed, else the pure-Python h11), and
    the event loop `loop` names ("auto": uvloop when installed)."""
    try:
        import httptools  # noqa: F401

        parser = "httptools"
    except ImportError:
        parser = "h11"
    try:
        import uvloop  # noqa: F401

        installed = "uvloop"
    except ImportError:
        installed = "asyncio"
    name = {"auto": installed, "storyline.api:accepting_loop": f"{installed} accepting every waiting connection"}.get(loop, loop)
    return f"{parser} + {name} loop"


def machine_cpu() -> tuple[int, ...] | None:
    """The machine's CPU time so far (/proc/stat, clock ticks): busy, steal, total; None off Linux."""
    try:
        with open("/proc/stat") as handle:
            ticks = [int(value) for value in handle.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)
    steal = ticks[7] if len(ticks) > 7 else 0
    total = sum(ticks[:8])
    return total - idle - steal, steal, total


def _machine(before: tuple[int, ...] | None, after: tuple[int, ...] | None) -> str:
    """Busy and stolen shares of the machine's CPU between two readings, as "busy/steal" percent.

    The latencies are those of one server process among everything else the machine runs; a
    hypervisor's steal is time none of it ran. Both move the tail more than anything in the server.
    """
    if before is None or after is None or after[2] <= before[2]:
        return "-"
    busy, steal, total = (a - b for a, b in zip(after, before, strict=True))
    return f"{100 * busy / total:.0f}/{100 * steal / total:.0f}"


def _row(name: str, phase: str, r: dict[str, Any], cpu_ms: float | None, machine: str) -> str:
    cpu = f"{cpu_ms:>8.2f}" if cpu_ms is not None else f"{'':>8}"
    return (f"{name:28} {phase:6} {r['requests']:>8} {r['errors']:>6} {r['p50']:>8.1f} {r['p90']:>8.1f} {r['p99']:>8.1f} {r['max']:>8.1f} "
            f"{r['rps']:>8.1f} {cpu} {r['p99'] / TARGET_MS:>7.2f} {machine:>9}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=1_000_000,
                        help="count bound of each warm run (req/s is shown only when the time bound ended it: "
                             "wrk reports its whole -d as the duration even when the count stopped it early)")
    parser.add_argument("--seconds", type=float, default=20, help="time bound of each run")
    parser.add_argument("--workers", type=int, default=1, help="server processes (storyline serve --workers)")
    parser.add_argument("--loop", default=None,
                        help="uvicorn's event loop: asyncio, uvloop, auto or module:factory (default: what storyline serve runs, "
                             "`api.SERVE_LOOP`)")
    parser.add_argument("--generator", choices=["wrk", "httpx"], default="wrk", help="load generator for the warm runs")
    parser.add_argument("--db", type=Path, default=None, help="store to use (default: a cached one under /tmp)")
    parser.add_argument("--cache-size", type=int, default=2048, help="create_app(cache_size=...); 0 measures uncached builds only")
    parser.add_argument("--stories", type=int, default=400, help="distinct stories requested")
    parser.add_argument("--article-ids", type=int, default=400, help="distinct articles requested")
    parser.add_argument("--targets-only", action="store_true", help="skip the story list and search (context, uncached); status stays")
    args = parser.parse_args()
    if args.generator == "wrk" and shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: `apt-get install -y wrk` (Debian's package) or pass --generator httpx "
                         "(a Python load generator, which itself takes most of a core and so understates the server)")

    from storyline.api import SERVE_LOOP

    loop = args.loop or SERVE_LOOP
    db = args.db or Path(f"/tmp/storyline-bench-{args.articles}-{SHIFT_DAYS}d.db")
    started = time.monotonic()
    build_store(db, args.articles)
    print(f"store: {db} ({time.monotonic() - started:.0f} s to build or check)", file=sys.stderr)

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(db, port, 0, 1, loop)
    try:
        story_ids: list[str] = []
        cursor = None
        while len(story_ids) < args.stories:
            page = httpx.get(f"{base}/api/v1/stories", params={"limit": 200, **({"cursor": cursor} if cursor else {})}, timeout=300).json()
            story_ids += [s["id"] for s in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        article_ids: list[str] = []
        cursor = None
        while len(article_ids) < args.article_ids:
            page = httpx.get(f"{base}/api/v1/articles", params={"limit": 200, **({"cursor": cursor} if cursor else {})}, timeout=300).json()
            article_ids += [a["id"] for a in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        articles = httpx.get(f"{base}/api/v1/status", timeout=300).json()["articles"]
    finally:
        stop(server)
    story_ids, article_ids = story_ids[: args.stories], article_ids[: args.article_ids]
    targets = {
        "GET /api/v1/stories/{id}": [f"/api/v1/stories/{i}" for i in story_ids],
        "GET /stories/{id} (page)": [f"/stories/{i}" for i in story_ids],
        "GET /api/v1/articles/{id}": [f"/api/v1/articles/{i}" for i in article_ids],
        "GET /articles/{id} (page)": [f"/articles/{i}" for i in article_ids],
    }
    # The status counts are a target too (p99 < 50 ms), answered from a snapshot recounted in the background.
    context = {"GET /api/v1/status": ["/api/v1/status"]} if args.targets_only else {
        "GET /api/v1/status": ["/api/v1/status"],
        "GET /api/v1/stories (list)": ["/api/v1/stories?limit=20"],
        "GET /api/v1/search?q=…": ["/api/v1/search?q=Kharkiv", "/api/v1/search?q=North+Korean+troops", "/api/v1/search?q=flood"],
    }
    generator = "wrk " + _wrk_version() if args.generator == "wrk" else "httpx (Python)"
    print(f"\nstore: {articles} articles; {len(story_ids)} stories and {len(article_ids)} articles requested; cache {args.cache_size}; "
          f"{args.workers} server process(es), HTTP {_http_implementation(loop)}; {args.clients} concurrent clients; {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f} at start")
    with sqlite3.connect(db) as conn:
        stored = conn.execute("SELECT count(*) FROM rendered_views WHERE kind != 'status'").fetchone()[0]
    print(f"cold: a fresh server, each path at most once ({args.clients} at a time, {generator}); {stored} stored views in the store. "
          f"warm: then {generator}, random paths, "
          f"≤{args.requests} requests or ≤{args.seconds:.0f} s. cpu ms/req: the server's CPU time per answered request. "
          f"p99/50: p99 over the {TARGET_MS:.0f} ms target (≤ 1 meets it). busy/st%: the whole machine's CPU busy and stolen "
          f"(hypervisor) during the row, percent.\n")
    header = (f"{'scenario':28} {'phase':6} {'requests':>8} {'errors':>6} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'max ms':>8} "
              f"{'req/s':>8} {'cpu ms':>8} {'p99/50':>7} {'busy/st%':>9}")
    print(header)
    print("-" * len(header))
    with tempfile.TemporaryDirectory(prefix="storyline-bench-") as folder:
        for name, paths in {**targets, **context}.items():
            # A fresh server per scenario: requests a client gave up on must not slow the next one.
            server = start_server(db, port, args.cache_size, args.workers, loop)
            try:
                if name in targets:
                    before, machine = server_cpu(server), machine_cpu()
                    if args.generator == "wrk":
                        cold = wrk_cold(base, paths, args.clients, args.seconds, Path(folder))
                    else:
                        cold = asyncio.run(each_once(base, paths, args.clients, args.seconds * 3))
                    cpu_ms = (server_cpu(server) - before) * 1000 / max(1, cold["requests"])
                    print(_row(name, "cold", cold, cpu_ms, _machine(machine, machine_cpu())), flush=True)
                else:
                    asyncio.run(random_gets(base, paths, 5, 20, 30))  # warm-up
                before, machine = server_cpu(server), machine_cpu()
                if args.generator == "wrk":
                    warm = wrk_gets(base, paths, args.clients, args.requests, args.seconds, Path(folder))
                else:
                    warm = asyncio.run(random_gets(base, paths, args.clients, args.requests, args.seconds))
                cpu_ms = (server_cpu(server) - before) * 1000 / max(1, warm["requests"])
                print(_row(name, "warm" if name in targets else "-", warm, cpu_ms, _machine(machine, machine_cpu())),
                      f"  load {os.getloadavg()[0]:.1f}", flush=True)
            finally:
                stop(server)


if __name__ == "__main__":
    main()
