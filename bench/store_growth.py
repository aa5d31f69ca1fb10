"""Grow a large SQLite store from a small real one, in SQL, for the linking benchmark (not a test).

Copy c of the base store gets its dates moved `c * step` days on, its article ids prefixed with
`c` in five hex digits, its story and development ids suffixed with the same, and its entity ids and
signatures renamed `X~c`: each copy is a separate set of storylines over the same vocabulary, at
the same density of articles per day as the base.

Why it is fast enough for a million articles: every table is filled by one `INSERT ... SELECT` over
the base rows crossed with a table of copies, never row by row from Python. Rows are produced in
(or close to) the order of the table's primary key: tables keyed by article id are filled copy
after copy (the id starts with the copy), and tables keyed by a renamed entity, key or story id
are filled base row after base row, all copies of one row together, so each insert lands in the
few pages the previous one touched. The unique indexes of the primary keys, which cannot be
dropped, then never see random inserts; the secondary indexes are dropped for the load and built
once at the end by sorting. Only the story and development profiles (JSON) go through Python, in
a SQL function.

What is left out, and why it does not matter to what is measured: the raw bytes and MinHash of
each article, the MinHash band index (copies of the base would all be near-duplicates of it; the
measured path stores arrivals without bands, as `insert_article` does for an item that has none)
and the detail of each fact (`data` is `{}`): storing and linking a new article never reads them.
No `ANALYZE` is run, because `storyline ingest` never runs it: the query planner sees the store a
real ingest leaves.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
RENAMED_KEYS = ("e:", "s:")  # link_keys kinds whose key holds an entity id or a signature
RENAMED_DF = ("e:", "g:")  # link_df keys that hold an entity id or a signature


@dataclass(frozen=True)
class Copy:
    """Copy c of the base: dates `days` later, entities and signatures renamed `~c`, ids marked with c."""

    c: int
    days: int

    @property
    def suffix(self) -> str:
        return f"~{self.c}"

    @property
    def mark(self) -> str:
        return f"{self.c:05x}"

    def article_id(self, base_id: str) -> str:
        return f"{self.mark}{base_id[5:]}"


@lru_cache(maxsize=1_000_000)
def moved_day(value: str, days: int) -> str:
    return (date.fromisoformat(value) + timedelta(days=days)).isoformat()


def moved(value: str | None, days: int) -> str | None:
    """A date or timestamp moved `days` on; anything that is not one is returned unchanged."""
    if not value or not DAY.fullmatch(value[:10]):
        return value
    return moved_day(value[:10], days) + value[10:]


class Profiles:
    """Base profiles as JSON templates, so writing one per copy is a few string replacements.

    Renamed entity ids and signatures carry a marker that becomes `~c`; article ids a marker that
    becomes the copy's prefix; dates are shifted by one regex pass.
    """

    ENTITY, ARTICLE = "\u0001", "\u0002"

    def __init__(self, rows: list[tuple[str, Any]]) -> None:
        self.templates = {key: self._template(json.loads(profile) if isinstance(profile, str) else profile) for key, profile in rows}

    def _template(self, profile: dict[str, Any]) -> str:
        mark = self.ENTITY
        out = dict(profile)
        for name in ("entities", "core", "persons", "signatures"):
            out[name] = {f"{k}{mark}": v for k, v in (profile.get(name) or {}).items()}
        out["articles"] = [self._article(a) for a in profile.get("articles") or []]
        out["titles"] = [[*t[:-1], self._article(t[-1])] if isinstance(t[-1], str) and len(t[-1]) == 16 else t for t in profile.get("titles") or []]
        return json.dumps(out, ensure_ascii=True)

    def _article(self, article_id: str) -> str:
        return self.ARTICLE + article_id[5:]

    def render(self, key: str, c: int, days: int) -> str:
        text = self.templates[key].replace("\\u0001", f"~{c}").replace("\\u0002", f"{c:05x}")
        return DAY.sub(lambda m: moved_day(m.group(), days), text)


def grow(base: Path, target: Path, copies: int, step: int) -> dict[str, float]:
    """Fill a new store at `target` with `copies` renamed, re-dated copies of the base store.

    Returns the seconds each phase took (for the report), keyed by table or phase.
    """
    from storyline.store import writes
    from storyline.store.db import open_store

    times: dict[str, float] = {}
    started = time.perf_counter()
    engine = open_store(str(target))
    with engine.begin() as setup:
        run_id = writes.start_run(setup, {"bench": "bulk copies of the base"})
    engine.dispose()
    conn = sqlite3.connect(target, isolation_level=None)
    conn.execute("PRAGMA journal_mode=OFF")  # a failed build is thrown away, never recovered
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-1000000")
    conn.execute("PRAGMA temp.cache_size=-200000")  # the sorted base tables, scanned once per copy
    conn.execute("PRAGMA threads=2")
    conn.execute("ATTACH DATABASE ? AS base", (str(base),))
    indexes = conn.execute("SELECT name, sql FROM main.sqlite_master WHERE type = 'index' AND sql IS NOT NULL").fetchall()
    for name, _ in indexes:
        conn.execute(f'DROP INDEX main."{name}"')
    conn.execute("CREATE TEMP TABLE copies (c INTEGER PRIMARY KEY, mark TEXT NOT NULL, suffix TEXT NOT NULL, shift TEXT NOT NULL, days INTEGER NOT NULL)")
    conn.executemany("INSERT INTO copies VALUES (?, ?, ?, ?, ?)", [(c, f"{c:05x}", f"~{c}", f"+{c * step} days", c * step) for c in range(copies)])
    # The same copies in the order of their suffix as text ("~0" < "~1" < "~10"), so that rows renamed
    # `X~c` come out in key order when crossed with base rows taken in key order.
    conn.execute("CREATE TEMP TABLE copies_by_suffix AS SELECT * FROM copies ORDER BY suffix")
    devs = Profiles(conn.execute("SELECT id, profile FROM base.developments").fetchall())
    stories = Profiles(conn.execute("SELECT id, profile FROM base.stories").fetchall())
    conn.create_function("dev_profile", 3, devs.render, deterministic=True)
    conn.create_function("story_profile", 3, stories.render, deterministic=True)
    per_copy = conn.execute("SELECT coalesce(max(seq), 0) FROM base.story_changes").fetchone()[0]
    conn.execute("INSERT OR IGNORE INTO main.sources (id, name) SELECT id, name FROM base.sources")

    def load(table: str, sql: str, **params: Any) -> None:
        before = time.perf_counter()
        conn.execute("BEGIN")
        conn.execute(sql, {"run": run_id, **params})
        conn.execute("COMMIT")
        times[table] = time.perf_counter() - before

    def sorted_base(table: str, order: str) -> str:
        """The base table as a temp table in primary-key order (rowid order of a fresh table)."""
        name = f"sorted_{table}"
        conn.execute(f"CREATE TEMP TABLE {name} AS SELECT * FROM base.{table} ORDER BY {order}")
        return name

    # Keyed by article id (copy first): copy after copy, base rows in key order.
    articles = sorted_base("articles", "id")
    load(
        "articles",
        "INSERT INTO main.articles (id, content_hash, item_key, title, text, published, url, source_id, author, language, input_name, position, "
        "format, raw, removed, meta, minhash, analysis_version, run_id, ingested_at) "
        "SELECT k.mark || substr(b.id, 6), k.mark || substr(b.content_hash, 6), k.mark || substr(b.item_key, 6), b.title, b.text, "
        "date(substr(b.published, 1, 10), k.shift) || substr(b.published, 11), b.url, b.source_id, b.author, b.language, "
        "b.input_name, b.position, b.format, x'', b.removed, b.meta, NULL, b.analysis_version, :run, b.ingested_at "
        f"FROM copies AS k CROSS JOIN {articles} AS b",
    )
    mentions = sorted_base("mentions", 'article_id, start, "end", entity_id')
    load(
        "mentions",
        f'INSERT INTO main.mentions SELECT k.mark || substr(b.article_id, 6), b.start, b."end", b.entity_id || k.suffix, b.text, b.role '
        f"FROM copies AS k CROSS JOIN {mentions} AS b",
    )
    facts = sorted_base("facts", "article_id, kind, seq")
    load(
        "facts",
        f'INSERT INTO main.facts (article_id, kind, seq, start, "end", data) '
        f"SELECT k.mark || substr(b.article_id, 6), b.kind, b.seq, b.start, b.\"end\", '{{}}' FROM copies AS k CROSS JOIN {facts} AS b",
    )
    passages = sorted_base("passages", "article_id, start")
    load(
        "passages",
        'INSERT INTO main.passages (article_id, start, "end", development_id, story_id, date, published, score, new_facts) '
        'SELECT k.mark || substr(b.article_id, 6), b.start, b."end", b.development_id || k.mark, b.story_id || k.mark, date(b.date, k.shift), '
        f"date(b.published, k.shift), b.score, b.new_facts FROM copies AS k CROSS JOIN {passages} AS b",
    )
    changes = sorted_base("story_changes", "seq")
    load(
        "story_changes",
        "INSERT INTO main.story_changes (seq, story_id, development_id, article_id, start, kind, detail) "
        "SELECT b.seq + k.c * :n, b.story_id || k.mark, b.development_id || k.mark, k.mark || substr(b.article_id, 6), b.start, b.kind, b.detail "
        f"FROM copies AS k CROSS JOIN {changes} AS b",
        n=per_copy,
    )
    # Keyed by a renamed id or key: base row after base row (in key order), all its copies together,
    # in the order of their renamed key; no sort of the output, which for profiles would be gigabytes.
    entities = sorted_base("entities", "id")
    load(
        "entities",
        "INSERT INTO main.entities (id, name, type, aliases, role, country, geonameid, lat, lon) "
        f"SELECT b.id || k.suffix, b.name, b.type, b.aliases, b.role, b.country, b.geonameid, b.lat, b.lon FROM {entities} AS b CROSS JOIN copies_by_suffix AS k",
    )
    link_keys = sorted_base("link_keys", "kind, key, target")
    renamed = " OR ".join(f"substr(b.key, 1, 2) = '{p}'" for p in RENAMED_KEYS)
    load(
        "link_keys",
        "INSERT INTO main.link_keys (kind, key, target, first_date, last_date) "
        f"SELECT b.kind, CASE WHEN {renamed} THEN b.key || k.suffix ELSE b.key END, b.target || k.mark, date(b.first_date, k.shift), date(b.last_date, k.shift) "
        f"FROM {link_keys} AS b CROSS JOIN copies_by_suffix AS k",
    )
    link_df = sorted_base("link_df", "key")
    renamed_df = " OR ".join(f"substr(b.key, 1, 2) = '{p}'" for p in RENAMED_DF)
    load(
        "link_df",
        # Keys every copy shares count each copy's passages; renamed keys are one key per copy.
        f"INSERT INTO main.link_df (key, df) SELECT b.key, b.df * :copies FROM {link_df} AS b WHERE NOT ({renamed_df}) "
        f"UNION ALL SELECT b.key || k.suffix, b.df FROM {link_df} AS b CROSS JOIN copies_by_suffix AS k WHERE {renamed_df}",
        copies=copies,
    )
    developments = sorted_base("developments", "id")
    load(
        "developments",
        "INSERT INTO main.developments (id, story_id, date, first_date, last_date, first_published, last_published, label, passages, profile) "
        "SELECT b.id || k.mark, b.story_id || k.mark, date(b.date, k.shift), date(b.first_date, k.shift), date(b.last_date, k.shift), "
        "date(b.first_published, k.shift), date(b.last_published, k.shift), b.label, b.passages, dev_profile(b.id, k.c, k.days) "
        f"FROM {developments} AS b CROSS JOIN copies AS k",
    )
    stories_sorted = sorted_base("stories", "id")
    load(
        "stories",
        "INSERT INTO main.stories (id, title, first_date, last_date, first_published, last_published, developments, passages, updated_seq, profile) "
        "SELECT b.id || k.mark, b.title, date(b.first_date, k.shift), date(b.last_date, k.shift), date(b.first_published, k.shift), "
        "date(b.last_published, k.shift), b.developments, b.passages, b.updated_seq + k.c * :n, story_profile(b.id, k.c, k.days) "
        f"FROM {stories_sorted} AS b CROSS JOIN copies AS k",
        n=per_copy,
    )
    conn.execute("DETACH DATABASE base")
    before = time.perf_counter()
    for _, sql in indexes:
        conn.execute(sql)
    times["indexes"] = time.perf_counter() - before
    conn.execute("PRAGMA journal_mode=WAL")  # as `open_store` leaves every store
    conn.close()
    times["total"] = time.perf_counter() - started
    return times

