"""Cost of the linker's per-story queries as one story grows (not a test).

`bench_linking.py` grows stores whose stories stay the size of one copy of its base; an archive of
one beat linked for real grows one story without end (`check_growth.py`: 3,586 of 4,000 passages in
one story). This bench puts 1k to 1M passages (two per development) into one story of a scratch
SQLite store and times, as the linker issues them for every passage it links to a story:

- "joined": has this article a passage in this story already (`_count_outlet` in stories/link.py);
- "by article": the same question answered from the article's own passages (primary key);
- "count developments": the story's development count (`_link_passage`).

Usage: python bench/bench_story_size.py [--sizes 1000 10000 100000 1000000]
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from storyline.store import story_tables as st
from storyline.store.db import open_store

DAY = "2024-01-01"


def _median_ms(conn: Any, statement: Any, repeat: int = 20) -> float:
    times = []
    for _ in range(repeat):
        before = time.perf_counter()
        conn.execute(statement).all()
        times.append(time.perf_counter() - before)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000, 1_000_000])
    args = parser.parse_args()
    ps, ds = st.passages, st.developments
    with tempfile.TemporaryDirectory(prefix="storyline-story-size-") as tmp:
        path = Path(tmp) / "story.db"
        engine = open_store(str(path))
        with engine.begin() as conn:
            st.ensure(conn)
        engine.dispose()
        raw = sqlite3.connect(path)
        done = 0
        print(f"{'passages':>9} {'joined ms':>10} {'by article ms':>13} {'count developments ms':>21}")
        for size in sorted(args.sizes):
            raw.executemany(
                'INSERT INTO passages (article_id, start, "end", development_id, story_id, date, published, score, new_facts) '
                "VALUES (?, 0, 10, ?, 'S', ?, ?, 1.0, '{}')",
                ((f"{i:016x}", f"d{i // 2:015x}", DAY, DAY) for i in range(done, size)),
            )
            raw.executemany(
                "INSERT INTO developments (id, story_id, date, first_date, last_date, first_published, last_published, label, passages, profile) "
                "VALUES (?, 'S', ?, ?, ?, ?, ?, 'x', 2, '{}')",
                ((f"d{i:015x}", DAY, DAY, DAY, DAY, DAY) for i in range(done // 2, size // 2)),
            )
            raw.commit()
            done = size
            engine = open_store(str(path))
            with engine.connect() as conn:
                article = f"{size // 2:016x}"
                joined = _median_ms(conn, select(ps.c.start).where(ps.c.article_id == article, ps.c.story_id == "S").limit(1))
                by_article = _median_ms(conn, select(ps.c.story_id).where(ps.c.article_id == article))
                developments = _median_ms(conn, select(func.count()).select_from(ds).where(ds.c.story_id == "S"))
            engine.dispose()
            print(f"{size:>9} {joined:>10.2f} {by_article:>13.3f} {developments:>21.2f}", flush=True)
        raw.close()


if __name__ == "__main__":
    main()
