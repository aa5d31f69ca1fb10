"""Finding things in the store: full-text search over articles, and the filtered listings people browse by.

Full-text search is per backend, and in both the database keeps the index in step with `articles`, so
every writer (the pipeline, a CLI, a test) feeds it without knowing it exists: SQLite uses an FTS5
index filled by triggers, PostgreSQL a generated tsvector column with a GIN index (added by schema
migration 2). Listings page with opaque keyset cursors instead of offsets, so page 500 costs what
page 1 costs.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, and_, func, or_, select, text

from storyline.store import schema
from storyline.store import story_tables as st
from storyline.store.queries import _article_select, filtered_articles

MAX_QUERY_CHARS = 200
MAX_TERMS = 16
HIT_START, HIT_END = "\x02", "\x03"

_FTS_DDL = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS articles_fts USING fts5("
    "title, text, content='articles', content_rowid='rowid', tokenize='porter unicode61 remove_diacritics 2')",
    "CREATE TRIGGER IF NOT EXISTS articles_fts_ai AFTER INSERT ON articles BEGIN "
    "INSERT INTO articles_fts(rowid, title, text) VALUES (new.rowid, new.title, new.text); END",
    "CREATE TRIGGER IF NOT EXISTS articles_fts_ad AFTER DELETE ON articles BEGIN "
    "INSERT INTO articles_fts(articles_fts, rowid, title, text) VALUES ('delete', old.rowid, old.title, old.text); END",
    "CREATE TRIGGER IF NOT EXISTS articles_fts_au AFTER UPDATE OF title, text ON articles BEGIN "
    "INSERT INTO articles_fts(articles_fts, rowid, title, text) VALUES ('delete', old.rowid, old.title, old.text); "
    "INSERT INTO articles_fts(rowid, title, text) VALUES (new.rowid, new.title, new.text); END",
)
_PG_COLUMN, _PG_INDEX = "search_vector", "articles_search_vector_idx"
_PG_DDL = (
    f"ALTER TABLE articles ADD COLUMN IF NOT EXISTS {_PG_COLUMN} tsvector GENERATED ALWAYS AS "
    "(to_tsvector('english', coalesce(title, '') || ' ' || text)) STORED",
    f"CREATE INDEX IF NOT EXISTS {_PG_INDEX} ON articles USING GIN ({_PG_COLUMN})",
)
# Like the FTS5 snippet: one window of at most 16 words around the best-ranked hits.
_PG_HEADLINE = f'StartSel="{HIT_START}", StopSel="{HIT_END}", MaxWords=16, MinWords=8, MaxFragments=1'
_TOKEN = re.compile(r'"([^"]*)"|(\S+)')
_WORD = re.compile(r"\w+")


class BadCursor(ValueError):
    """A cursor that this store did not hand out (or that was cut or edited)."""


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    next_cursor: str | None


def encode_cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, size: int) -> list[Any]:
    """The key values a cursor carries; BadCursor unless it is a list of `size` scalars."""
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise BadCursor("this cursor is not valid; start again from the first page") from exc
    if not isinstance(values, list) or len(values) != size or not all(isinstance(v, str | int | float) for v in values):
        raise BadCursor("this cursor is not valid; start again from the first page")
    return values


# --- full-text search -------------------------------------------------------------------------


def ensure_sqlite_fts(conn: Connection) -> bool:
    """Create the FTS5 index and its sync triggers if missing, and fill it when it lags the articles.

    Idempotent; the API calls it on start and search on every use. Python's sqlite3 commits DDL at
    once but the fill only with the caller's transaction, so a first search on a connection that is
    never committed leaves the table there but empty: comparing the index's row count with the
    articles' catches that, where trusting that the table exists would return no hits for good.
    Returns True when the index was filled now.
    """
    for statement in _FTS_DDL:
        conn.execute(text(statement))
    indexed, stored = conn.execute(text("SELECT (SELECT count(*) FROM articles_fts_docsize), (SELECT count(*) FROM articles)")).one()
    if indexed == stored:
        return False
    conn.execute(text("INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')"))
    return True


def ensure_postgres_fts(conn: Connection) -> None:
    """Add the generated tsvector column and its GIN index if missing (idempotent).

    A generated column cannot drift from the row it is computed from, and adding it fills it for the
    articles already stored, so an older store becomes searchable in the same step.
    """
    for statement in _PG_DDL:
        conn.execute(text(statement))


def fts_query(query: str) -> str:
    """The user's words as an FTS5 expression that cannot be anything but words and phrases.

    `"a phrase"` stays a phrase, `word*` a prefix, a bare `OR` between terms an alternative; every
    other character is dropped, so no input can reach FTS5's column filters or NEAR syntax.
    """
    parts: list[str] = []
    for phrase, word in _TOKEN.findall(query[:MAX_QUERY_CHARS]):
        if word == "OR":
            if parts and parts[-1] != "OR":
                parts.append("OR")
            continue
        words = _WORD.findall(phrase or word)
        if not words:
            continue
        term = '"' + " ".join(words) + '"'
        if word and word.endswith("*") and len(words) == 1:
            term += "*"
        parts.append(term)
        if len(parts) >= 2 * MAX_TERMS:
            break
    while parts and parts[-1] == "OR":
        parts.pop()
    return " ".join(parts)


def _split_snippet(snippet: str) -> list[dict[str, Any]]:
    """The snippet as plain-text segments flagged `match`, so no view ever has to trust markup."""
    segments: list[dict[str, Any]] = []
    for piece in re.split(f"({HIT_START}[^{HIT_END}]*{HIT_END})", snippet):
        if not piece:
            continue
        matched = piece.startswith(HIT_START)
        segments.append({"text": piece.strip(HIT_START + HIT_END), "match": matched})
    return segments


def _sqlite_search(conn: Connection, query: str, limit: int, offset: int) -> list[dict[str, Any]]:
    expression = fts_query(query)
    if not expression:
        return []
    ensure_sqlite_fts(conn)
    rows = conn.execute(
        text(
            "SELECT a.id, bm25(articles_fts, 4.0, 1.0) AS rank, "
            f"snippet(articles_fts, 1, '{HIT_START}', '{HIT_END}', '…', 16) AS snippet "
            "FROM articles_fts JOIN articles a ON a.rowid = articles_fts.rowid "
            "WHERE articles_fts MATCH :q ORDER BY rank, a.id LIMIT :limit OFFSET :offset"
        ),
        {"q": expression, "limit": limit, "offset": offset},
    ).all()
    return [{"id": row.id, "score": float(f"{-float(row.rank):.4g}"), "snippet": row.snippet} for row in rows]


def _postgres_search(conn: Connection, query: str, limit: int, offset: int) -> list[dict[str, Any]]:
    """`websearch_to_tsquery` reads any string as words, "phrases", OR and -exclusions, never as syntax.

    Only the page's rows get a headline, since `ts_headline` re-parses the whole text.
    """
    rows = conn.execute(
        text(
            "WITH q AS (SELECT websearch_to_tsquery('english', :q) AS query), "
            f"hits AS (SELECT a.id, a.text, ts_rank_cd(a.{_PG_COLUMN}, q.query) AS rank, q.query FROM articles a, q "
            f"WHERE a.{_PG_COLUMN} @@ q.query ORDER BY rank DESC, a.id LIMIT :limit OFFSET :offset) "
            "SELECT id, rank, ts_headline('english', text, query, :options) AS snippet FROM hits ORDER BY rank DESC, id"
        ),
        {"q": query, "limit": limit, "offset": offset, "options": _PG_HEADLINE},
    ).all()
    return [{"id": row.id, "score": float(f"{float(row.rank):.4g}"), "snippet": row.snippet} for row in rows]


_BACKENDS: dict[str, Callable[[Connection, str, int, int], list[dict[str, Any]]]] = {
    "sqlite": _sqlite_search,
    "postgresql": _postgres_search,
}


def search_articles(conn: Connection, query: str, *, limit: int = 20, offset: int = 0) -> list[dict[str, Any]]:
    """Articles matching all the words of `query`, best first, each with a highlighted snippet.

    The result rows are the article listing fields plus `score` and `snippet` (segments of text with
    `match` set on the query's hits).
    """
    hits = _BACKENDS[conn.dialect.name](conn, query[:MAX_QUERY_CHARS], limit, offset)
    if not hits:
        return []
    arts = schema.articles
    rows = {row.id: dict(row._mapping) for row in conn.execute(_article_select().where(arts.c.id.in_([h["id"] for h in hits])))}
    return [rows[h["id"]] | {"score": h["score"], "snippet": _split_snippet(h["snippet"])} for h in hits if h["id"] in rows]


# --- article listings ---------------------------------------------------------------------------


def _ids_for_story(story_id: str) -> Any:
    return select(st.passages.c.article_id).where(st.passages.c.story_id == story_id)


def _ids_for_entity(entity_id: str) -> Any:
    return select(schema.mentions.c.article_id).where(schema.mentions.c.entity_id == entity_id)


def browse_articles(
    conn: Connection,
    *,
    since: str | None = None,
    until: str | None = None,
    source: str | None = None,
    entity: str | None = None,
    story: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> Page:
    """Articles newest first, filtered, one page after `cursor` (from the previous page's `next_cursor`).

    Unlike `queries.list_articles` it filters by entity and story and pages by key, not offset.
    """
    arts = schema.articles
    published = func.coalesce(arts.c.published, "")
    query = filtered_articles(since, until, source)
    if entity:
        query = query.where(arts.c.id.in_(_ids_for_entity(entity)))
    if story:
        query = query.where(arts.c.id.in_(_ids_for_story(story)))
    if cursor:
        after_published, after_id = decode_cursor(cursor, 2)
        query = query.where(or_(published < after_published, and_(published == after_published, arts.c.id > after_id)))
    rows = [dict(row._mapping) for row in conn.execute(query.order_by(published.desc(), arts.c.id).limit(limit + 1))]
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor([rows[-1]["published"] or "", rows[-1]["id"]]) if more else None
    return Page(rows, next_cursor)


# --- entities -----------------------------------------------------------------------------------


def list_entities(
    conn: Connection,
    *,
    q: str | None = None,
    type: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> Page:
    """Entities most mentioned first; `q` matches the start of the name (case-insensitive)."""
    ents, ments = schema.entities, schema.mentions
    counts = select(ments.c.entity_id, func.count().label("mentions"), func.count(func.distinct(ments.c.article_id)).label("articles"))
    counts = counts.group_by(ments.c.entity_id).subquery()
    mentions = func.coalesce(counts.c.mentions, 0)
    query = select(
        ents.c.id, ents.c.name, ents.c.type, ents.c.role, ents.c.aliases, ents.c.country, mentions.label("mentions"),
        func.coalesce(counts.c.articles, 0).label("articles"),
    ).select_from(ents.outerjoin(counts, counts.c.entity_id == ents.c.id))
    if q:
        query = query.where(func.lower(ents.c.name).startswith(q.lower(), autoescape=True))
    if type:
        query = query.where(ents.c.type == type)
    if cursor:
        after_count, after_id = decode_cursor(cursor, 2)
        query = query.where(or_(mentions < after_count, and_(mentions == after_count, ents.c.id > after_id)))
    rows = [dict(row._mapping) for row in conn.execute(query.order_by(mentions.desc(), ents.c.id).limit(limit + 1))]
    more = len(rows) > limit
    rows = rows[:limit]
    for row in rows:
        row["aliases"] = list(row["aliases"] or [])
    return Page(rows, encode_cursor([rows[-1]["mentions"], rows[-1]["id"]]) if more else None)


def get_entity(conn: Connection, entity_id: str, *, stories: int = 50, quotes: int = 50) -> dict[str, Any] | None:
    """One entity with its aliases, the stories it takes part in and what it was quoted saying."""
    ents, ments, facts = schema.entities, schema.mentions, schema.facts
    row = conn.execute(select(ents).where(ents.c.id == entity_id)).first()
    if row is None:
        return None
    entity = dict(row._mapping)
    entity["aliases"] = list(entity["aliases"] or [])
    counts = conn.execute(
        select(func.count(), func.count(func.distinct(ments.c.article_id))).where(ments.c.entity_id == entity_id)
    ).one()
    entity["mentions"], entity["articles"] = int(counts[0]), int(counts[1])
    passages, stories_table = st.passages, st.stories
    member = (
        select(passages.c.story_id, func.count().label("passages"))
        .select_from(passages.join(ments, and_(ments.c.article_id == passages.c.article_id, ments.c.start >= passages.c.start, ments.c.start < passages.c.end)))
        .where(ments.c.entity_id == entity_id)
        .group_by(passages.c.story_id)
        .subquery()
    )
    entity["stories"] = [
        dict(r._mapping)
        for r in conn.execute(
            select(stories_table.c.id, stories_table.c.title, stories_table.c.first_date, stories_table.c.last_date, stories_table.c.developments, member.c.passages)
            .join(member, member.c.story_id == stories_table.c.id)
            .order_by(stories_table.c.last_date.desc(), stories_table.c.id)
            .limit(stories)
        )
    ]
    article_ids = select(ments.c.article_id).where(ments.c.entity_id == entity_id).distinct()
    said: list[dict[str, Any]] = []
    quote_rows = conn.execute(
        select(facts.c.article_id, facts.c.seq, facts.c.data, schema.articles.c.title, schema.articles.c.published)
        .join(schema.articles, schema.articles.c.id == facts.c.article_id)
        .where(facts.c.kind == "quote", facts.c.article_id.in_(article_ids))
        .order_by(schema.articles.c.published.desc(), facts.c.article_id, facts.c.seq)
    )
    for quote in quote_rows:
        if quote.data.get("speaker_entity_id") == entity_id:
            said.append({"article_id": quote.article_id, "title": quote.title, "published": quote.published, "seq": quote.seq, **quote.data})
            if len(said) >= quotes:
                break
    entity["quotes"] = said
    return entity


# --- what the reader's pages add ----------------------------------------------------------------


def counts(conn: Connection) -> dict[str, int]:
    """The three numbers the reader's front page shows."""

    def count(table: Any) -> int:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())

    return {"articles": count(schema.articles), "stories": count(st.stories), "entities": count(schema.entities)}


def story_activity(conn: Connection, story_ids: list[str], buckets: int = 16) -> dict[str, list[int]]:
    """Reports per period over each story's publication span, for sparklines (oldest period first)."""
    if not story_ids:
        return {}
    ps = st.passages
    days: dict[str, dict[str, int]] = {}
    rows = conn.execute(
        select(ps.c.story_id, ps.c.published, func.count(func.distinct(ps.c.article_id)))
        .where(ps.c.story_id.in_(story_ids))
        .group_by(ps.c.story_id, ps.c.published)
    )
    for story_id, published, n in rows:
        days.setdefault(story_id, {})[published[:10]] = int(n)
    result: dict[str, list[int]] = {}
    for story_id, per_day in days.items():
        ordinals = {date_ordinal(day): n for day, n in per_day.items() if date_ordinal(day) is not None}
        if not ordinals:
            continue
        first, last = min(ordinals), max(ordinals)  # type: ignore[type-var]
        # At least a day per bar, and never fewer bars than `buckets`: a one-day story is one thin bar.
        width = max((last - first + 1) / buckets, 1.0)
        bars = [0] * buckets
        for day, n in ordinals.items():
            bars[min(int((day - first) / width), len(bars) - 1)] += n  # type: ignore[operator]
        result[story_id] = bars
    return result


def date_ordinal(value: str) -> int | None:
    try:
        return date.fromisoformat(value[:10]).toordinal()
    except ValueError:
        return None


def story_places(conn: Connection, story_id: str) -> list[dict[str, Any]]:
    """The places named in a story's passages, one row per place with coordinates and a mention count."""
    ps, facts = st.passages, schema.facts
    rows = conn.execute(
        select(facts.c.data)
        .select_from(ps.join(facts, and_(facts.c.article_id == ps.c.article_id, facts.c.start >= ps.c.start, facts.c.start < ps.c.end)))
        .where(ps.c.story_id == story_id, facts.c.kind == "place")
    )
    places: dict[str, dict[str, Any]] = {}
    for (data,) in rows:
        key = str(data.get("geonameid") or data.get("name"))
        place = places.setdefault(
            key, {"name": data.get("name"), "geonameid": data.get("geonameid"), "lat": data.get("lat"), "lon": data.get("lon"), "country": data.get("country"), "count": 0}
        )
        place["count"] += 1
    return sorted(places.values(), key=lambda p: (-p["count"], str(p["name"])))
