"""In-process cost of the story read functions on an existing store, without HTTP or a cache.

    .venv/bin/python bench/bench_story_reads.py STORE [--recent 400] [--largest 5] [--lists 20]

Times `story_detail` on the most recently reported stories and on the stories with the most
passages (whose cost used to grow with their size), `list_stories` for a page of 20, one article
with all its facts (`article_with_facts`), and the version checks the API's read cache makes before
every cached answer.
Use a copy of a bench store (bench/bench_api.py builds one under /tmp).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from storyline.api import article_version, article_with_facts, story_version
from storyline.store import schema
from storyline.store import story_tables as st
from storyline.store.db import open_store
from storyline.stories.queries import list_stories, story_detail


def timed(calls: list[Callable[[], Any]]) -> str:
    """p50, p99 and max of the calls, in milliseconds."""
    spent = []
    for call in calls:
        started = time.perf_counter()
        call()
        spent.append((time.perf_counter() - started) * 1000)
    spent.sort()
    p50, p99 = spent[len(spent) // 2], spent[min(len(spent) - 1, int(0.99 * len(spent)))]
    return f"p50 {p50:8.1f}  p99 {p99:8.1f}  max {spent[-1]:8.1f}  ({len(spent)} calls)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("store")
    parser.add_argument("--recent", type=int, default=400)
    parser.add_argument("--largest", type=int, default=5)
    parser.add_argument("--lists", type=int, default=20)
    args = parser.parse_args()
    engine = open_store(args.store)
    table = st.stories
    with engine.connect() as conn:
        recent = list(conn.execute(select(table.c.id).order_by(table.c.last_published.desc(), table.c.id).limit(args.recent)).scalars())
        largest = conn.execute(select(table.c.id, table.c.passages).order_by(table.c.passages.desc()).limit(args.largest)).all()
        print(f"largest stories (passages): {[row.passages for row in largest]}")
        print(f"story_detail, recent stories  {timed([lambda i=i: story_detail(conn, i) for i in recent])}")
        print(f"story_detail, largest stories {timed([lambda i=row.id: story_detail(conn, i) for row in largest])}")
        print(f"list_stories(limit=21)        {timed([lambda: list_stories(conn, limit=21)] * args.lists)}")
        articles = list(conn.execute(select(schema.articles.c.id).order_by(schema.articles.c.published.desc()).limit(args.recent)).scalars())
        print(f"article_with_facts            {timed([lambda i=i: article_with_facts(conn, i) for i in articles])}")
        print(f"story_version (cache check)   {timed([lambda i=i: story_version(conn, i) for i in recent])}")
        print(f"article_version (cache check) {timed([lambda i=i: article_version(conn, i) for i in articles])}")
    engine.dispose()


if __name__ == "__main__":
    main()
