"""`storyline serve` as a real process on loopback, for the load and crash tests and benches: started
with a write token and no rate limits (the load is the point), stopped or killed by its pid."""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO, Any

import httpx

TOKEN = "load-test-token"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """One `storyline serve` process; its stderr goes to `log` so a failure can be read back."""

    def __init__(self, db: str, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        command = [sys.executable, "-m", "storyline.cli", "serve", "--db", db, "--port", str(self.port), "--token", TOKEN,
                   "--rate-limit", "off", "--write-rate-limit", "off"]
        self._err: IO[bytes] = log.open("ab")
        self.proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=self._err)
        self._wait_ready()

    def _wait_ready(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"storyline serve exited {self.proc.returncode}: {self.log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/api/v1/status", timeout=5).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"storyline serve did not answer within {timeout:.0f} s: {self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        """SIGKILL: no shutdown handler, no flush, as a crash or the OOM killer would end it."""
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)
        self._err.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
        self._err.close()

    def rss_mb(self) -> float:
        """Resident memory of the server process, from /proc."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0


def auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKEN}"}


def article_problem(client: httpx.Client, article_id: str) -> str | None:
    """What is torn about one article as the API shows it: listed but unreadable, facts without a
    finished analysis, or a story passage pointing at a story that cannot be read."""
    answer = client.get(f"/api/v1/articles/{article_id}")
    if answer.status_code != 200:
        return f"article {article_id} listed but answers {answer.status_code}"
    article = answer.json()
    has_facts = any(article["facts"].values()) or article["stories"]
    if article["analysis_version"] is None and has_facts:
        return f"article {article_id} shows facts or stories before its analysis committed"
    for passage in article["stories"]:
        if client.get(f"/api/v1/stories/{passage['story_id']}").status_code != 200:
            return f"article {article_id} is in story {passage['story_id']}, which answers no story"
    return None


def _cited(value: Any) -> set[str]:
    """Every article id a story view cites, wherever it sits (timeline, numbers, what's new)."""
    if isinstance(value, dict):
        found = {v for k, v in value.items() if (k == "article_id" or k.endswith("_article")) and isinstance(v, str)}
        return found.union(*(_cited(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_cited(v) for v in value))
    return set()


def story_problem(client: httpx.Client, story_id: str, rng: random.Random, sample: int = 3) -> str | None:
    """A story citing an article that cannot be read or is not yet analyzed (a few cited ones are checked)."""
    answer = client.get(f"/api/v1/stories/{story_id}")
    if answer.status_code != 200:
        return f"story {story_id} listed but answers {answer.status_code}"
    cited = sorted(_cited(answer.json()))
    if not cited:
        return f"story {story_id} cites no article"
    for article_id in rng.sample(cited, min(sample, len(cited))):
        shown = client.get(f"/api/v1/articles/{article_id}")
        if shown.status_code != 200:
            return f"story {story_id} cites article {article_id}, which answers {shown.status_code}"
        if shown.json()["analysis_version"] is None:
            return f"story {story_id} cites article {article_id} whose analysis has not committed"
    return None


class Readers:
    """Threads reading the API as a reader app would — article list, an article, story list, a story —
    each check looking for torn state; every request's latency is kept per kind."""

    def __init__(self, url: str, threads: int = 4, seed: int = 0) -> None:
        self.url = url
        self.latencies: dict[str, list[float]] = {"articles": [], "article": [], "stories": [], "story": []}
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._run, args=(seed + n,), daemon=True) for n in range(threads)]

    def __enter__(self) -> Readers:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=120)

    def take(self) -> dict[str, list[float]]:
        """The latencies gathered since the last call (seconds), and a fresh start."""
        with self._lock:
            taken, self.latencies = self.latencies, {kind: [] for kind in self.latencies}
        return taken

    def _timed(self, client: httpx.Client, kind: str, path: str, **params: Any) -> httpx.Response:
        started = time.perf_counter()
        answer = client.get(path, params=params)
        with self._lock:
            self.latencies[kind].append(time.perf_counter() - started)
        if answer.status_code != 200:
            self.failures.append(f"GET {path} answered {answer.status_code}: {answer.text[:200]}")
        return answer

    def _run(self, seed: int) -> None:
        rng = random.Random(seed)
        with httpx.Client(base_url=self.url, timeout=60) as client:
            while not self._stop.is_set():
                try:
                    listed = self._timed(client, "articles", "/api/v1/articles", limit=20)
                    items = listed.json().get("items", []) if listed.status_code == 200 else []
                    if items:
                        chosen = rng.choice(items)["id"]
                        self._timed(client, "article", f"/api/v1/articles/{chosen}")
                        if problem := article_problem(client, chosen):
                            self.failures.append(problem)
                    stories = self._timed(client, "stories", "/api/v1/stories", limit=20)
                    found = stories.json().get("items", []) if stories.status_code == 200 else []
                    if found:
                        story = rng.choice(found)["id"]
                        self._timed(client, "story", f"/api/v1/stories/{story}")
                        if problem := story_problem(client, story, rng):
                            self.failures.append(problem)
                except httpx.HTTPError as exc:
                    self.failures.append(f"{type(exc).__name__}: {exc}")


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (0..1) by nearest rank; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]
