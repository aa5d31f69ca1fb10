"""`storyline serve` killed with SIGKILL while readers and a writer load it: the store stays intact, no
acknowledged write is lost, no article is half-written, and after a restart every article gets its
facts and the accounting balances.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import DATA, need
from served import Server, article_problem, auth
from sqlalchemy import create_engine, select
from store_state import accounted, problems

from storyline.store import schema

pytestmark = pytest.mark.slow

READERS = 4


def payloads(count: int, tag: str) -> list[dict[str, Any]]:
    """Real war coverage, each article given a title that says which post it came from."""
    lines = need(DATA / "ukraine-news" / "articles.jsonl").read_text().splitlines()
    chosen = []
    for n, line in enumerate(lines[100 : 100 + count]):
        item = json.loads(line)
        chosen.append({"title": f"{tag} post {n}", "text": item["text"], "published": item["published"], "source": "load-test"})
    return chosen


class Load:
    """Readers walking the article list and detail pages, and one writer posting articles one by one."""

    def __init__(self, url: str, articles: list[dict[str, Any]]) -> None:
        self.url = url
        self.articles = articles
        self.acknowledged: list[str] = []
        self.sent: list[str] = []
        self.read_problems: list[str] = []
        self.reads = 0
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._write, daemon=True)]
        self.threads += [threading.Thread(target=self._read, args=(seed,), daemon=True) for seed in range(READERS)]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def join(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=120)

    def _write(self) -> None:
        with httpx.Client(base_url=self.url, headers=auth(), timeout=300) as client:
            for article in self.articles:
                if self.stop.is_set():
                    return
                self.sent.append(article["title"])
                try:
                    answer = client.post("/api/v1/articles", json={"articles": [article]})
                except httpx.TransportError:
                    return
                if answer.status_code == 200:
                    self.acknowledged.append(article["title"])

    def _read(self, seed: int) -> None:
        rng = random.Random(seed)
        with httpx.Client(base_url=self.url, timeout=60) as client:
            while not self.stop.is_set():
                try:
                    listed = client.get("/api/v1/articles", params={"limit": 20})
                    if listed.status_code != 200:
                        self.read_problems.append(f"article list answered {listed.status_code}")
                        continue
                    items = listed.json()["items"]
                    if items and (problem := article_problem(client, rng.choice(items)["id"])):
                        self.read_problems.append(problem)
                    self.reads += 1
                except httpx.TransportError:
                    return


def stored_titles(url: str) -> dict[str, str | None]:
    """Titles of the stored articles and their analysis version, plus titles filed as duplicates."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            arts = dict(conn.execute(select(schema.articles.c.title, schema.articles.c.analysis_version)).all())
            dups = {title: "duplicate" for (title,) in conn.execute(select(schema.duplicates.c.title))}
    finally:
        engine.dispose()
    return {**dups, **arts}


def test_server_killed_under_load_loses_nothing_and_resumes(tmp_path: Path, examples_store: Callable[[str], str]) -> None:
    url = examples_store("api-kill")
    before = accounted(url)
    log = tmp_path / "serve.log"
    articles = payloads(40, "api-kill")
    server = Server(url, log)
    load = Load(server.url, articles)
    load.start()
    deadline = time.monotonic() + 300
    while len(load.acknowledged) < 2 and time.monotonic() < deadline and server.proc.poll() is None:
        time.sleep(0.1)
    time.sleep(random.uniform(0.0, 1.5))  # somewhere inside the next post
    server.kill()
    load.join()
    assert len(load.acknowledged) >= 2, f"the writer got too few posts through: {log.read_text()[-3000:]}"
    assert load.read_problems == [], load.read_problems[:5]
    assert problems(url) == []
    held = stored_titles(url)
    assert [t for t in load.acknowledged if t not in held] == [], "an acknowledged post was lost"
    landed = [t for t in load.sent if t in held]
    counts = accounted(url)
    assert sum(counts.values()) == sum(before.values()) + len(landed)

    restarted = Server(url, log)
    try:
        with httpx.Client(base_url=restarted.url, headers=auth(), timeout=600) as client:
            again = client.post("/api/v1/articles", json={"articles": articles[len(load.sent) - 1 : len(load.sent) + 1]})
            assert again.status_code == 200, again.text
    finally:
        restarted.stop()
    held = stored_titles(url)
    assert problems(url) == []
    assert [t for t, version in held.items() if version is None] == [], "an article was left without its analysis"
    landed = [t for t in load.sent + [articles[len(load.sent)]["title"]] if t in held]
    assert sum(accounted(url).values()) == sum(before.values()) + len(landed)
