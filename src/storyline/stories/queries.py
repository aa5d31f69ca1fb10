"""The read side of stories: the story list, one story in full, and the follow feed.

Everything returns plain dicts, ready for the CLI, the HTTP API, the web reader and exports. Facts are
read back from the store (`load_analysis`), so every claim and number comes with its article and
sentence.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, String, and_, cast, func, or_, select

from storyline.model import Article
from storyline.store import schema
from storyline.store import story_tables as st
from storyline.store.facts import load_analysis
from storyline.store.queries import load_article
from storyline.stories.evolution import Member, claim_histories, number_series

PLACE_TYPES = ("GPE", "LOC", "FAC")


def _entity_ids(conn: Connection, name: str, types: tuple[str, ...] | None = None) -> list[str]:
    """Entities matching an id or a name, case-insensitively (aliases included)."""
    table = schema.entities
    query = select(table.c.id, table.c.name, table.c.aliases, table.c.type)
    folded = name.casefold()
    ids = []
    for row in conn.execute(query.where(or_(table.c.id == name, func.lower(table.c.name) == folded))):
        if types is None or row.type in types:
            ids.append(row.id)
    if ids:
        return ids
    for row in conn.execute(query.where(table.c.aliases.isnot(None))):
        if (types is None or row.type in types) and any(str(a).casefold() == folded for a in row.aliases or ()):
            ids.append(row.id)
    return ids


def _stories_mentioning(entity_ids: list[str]) -> Any:
    """Story ids whose passages mention one of the entities (within the passage span, not the article)."""
    ps, ms = st.passages, schema.mentions
    return (
        select(ps.c.story_id)
        .distinct()
        .select_from(ps.join(ms, and_(ms.c.article_id == ps.c.article_id, ms.c.start >= ps.c.start, ms.c.start < ps.c.end)))
        .where(ms.c.entity_id.in_(entity_ids))
    )


def _names(conn: Connection, ids: list[str]) -> dict[str, dict[str, Any]]:
    if not ids:
        return {}
    table = schema.entities
    rows = conn.execute(select(table.c.id, table.c.name, table.c.type, table.c.role).where(table.c.id.in_(ids)))
    return {row.id: {"id": row.id, "name": row.name, "type": row.type, "role": row.role} for row in rows}


def _summary(conn: Connection, row: Any, top: int = 6) -> dict[str, Any]:
    profile = row.profile
    ranked = [e for e, _ in sorted(profile["entities"].items(), key=lambda kv: (-kv[1], kv[0]))]
    known = _names(conn, ranked[: top * 2])
    entities = [known[e] for e in ranked if e in known]
    return {
        "id": row.id,
        "title": row.title,
        "first_date": row.first_date,
        "last_date": row.last_date,
        "first_published": row.first_published,
        "last_published": row.last_published,
        "developments": row.developments,
        "passages": row.passages,
        "entities": [e for e in entities if e["type"] not in PLACE_TYPES][:top],
        "places": [e for e in entities if e["type"] in PLACE_TYPES][:top],
        "event_types": [t for t, _ in sorted(profile["types"].items(), key=lambda kv: (-kv[1], kv[0]))][:top],
    }


def list_stories(
    conn: Connection,
    *,
    entity: str | None = None,
    place: str | None = None,
    since: str | None = None,
    until: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Stories most recently reported first; filters by an entity or place (name or id) and by the
    span of happening dates (a story overlapping [since, until] is listed)."""
    table = st.stories
    query = select(table)
    for name, types in ((entity, None), (place, PLACE_TYPES)):
        if name:
            ids = _entity_ids(conn, name, types)
            if not ids:
                return []
            query = query.where(table.c.id.in_(_stories_mentioning(ids)))
    if since:
        query = query.where(table.c.last_date >= since[:10])
    if until:
        query = query.where(table.c.first_date <= until[:10])
    query = query.order_by(table.c.last_published.desc(), table.c.id).limit(limit).offset(offset)
    return [_summary(conn, row) | {"sources": _independent_sources(conn, row.id)} for row in conn.execute(query)]


def _independent_sources(conn: Connection, story_id: str) -> int:
    """Distinct outlets among the story's articles; duplicates never became articles, so they are
    collapsed already, and an article without a known source counts as its own outlet."""
    ps, arts = st.passages, schema.articles
    rows = conn.execute(
        select(func.coalesce(cast(arts.c.source_id, String), arts.c.id))
        .distinct()
        .select_from(ps.join(arts, arts.c.id == ps.c.article_id))
        .where(ps.c.story_id == story_id)
    ).all()
    return len(rows)


def _members(conn: Connection, story_id: str) -> tuple[list[Member], list[Any]]:
    ps, arts, srcs = st.passages, schema.articles, schema.sources
    rows = conn.execute(
        select(ps, arts.c.title, arts.c.url, srcs.c.name.label("source"))
        .select_from(ps.join(arts, arts.c.id == ps.c.article_id).outerjoin(srcs, srcs.c.id == arts.c.source_id))
        .where(ps.c.story_id == story_id)
        .order_by(ps.c.published, ps.c.article_id, ps.c.start)
    ).all()
    articles: dict[str, Article] = {}
    analyses = {}
    members = []
    for row in rows:
        if row.article_id not in articles:
            articles[row.article_id] = load_article(conn, row.article_id)
            analyses[row.article_id] = load_analysis(conn, row.article_id)
        members.append(Member(articles[row.article_id], analyses[row.article_id], row.start, row.end, row.source))
    return members, rows


def story_detail(conn: Connection, story_id: str) -> dict[str, Any] | None:
    """One story: what it is about, its timeline by happening date, claims, numbers and developments."""
    row = conn.execute(select(st.stories).where(st.stories.c.id == story_id)).first()
    if row is None:
        return None
    members, rows = _members(conn, story_id)
    names = {}
    for member in members:
        names.update({e.id: e.name for e in member.analysis.entities})
    by_dev: dict[str, list[Any]] = {}
    for passage in rows:
        by_dev.setdefault(passage.development_id, []).append(passage)
    devs = conn.execute(select(st.developments).where(st.developments.c.story_id == story_id).order_by(st.developments.c.date, st.developments.c.id)).all()
    timeline = []
    for dev in devs:
        sources = [
            {"article_id": p.article_id, "title": p.title, "source": p.source, "published": p.published, "url": p.url, "start": p.start, "end": p.end}
            for p in by_dev.get(dev.id, [])
        ]
        profile = dev.profile
        label_article = profile["titles"][0][2] if profile["titles"] else None
        timeline.append(
            {
                "date": dev.date,
                "development_id": dev.id,
                "sentence": dev.label,
                "sentence_article_id": label_article,
                "sources": sources,
                "facts": {
                    "event_types": sorted(profile["types"]),
                    "killed": profile["killed"],
                    "injured": profile["injured"],
                    "entities": [names.get(e, e) for e, _ in sorted(profile["entities"].items(), key=lambda kv: (-kv[1], kv[0]))[:8]],
                },
            }
        )
    whats_new = [
        {"article_id": p.article_id, "start": p.start, "end": p.end, "published": p.published, "title": p.title, "new": p.new_facts}
        for p in rows
    ]
    detail = _summary(conn, row) | {
        "sources": _independent_sources(conn, story_id),
        "articles": len({p.article_id for p in rows}),
        "timeline": timeline,
        "claims": claim_histories(members, names),
        "numbers": number_series(members, names),
        "developments": [
            {"id": d.id, "date": d.date, "label": d.label, "passages": d.passages, "first_published": d.first_published, "last_published": d.last_published}
            for d in devs
        ],
        "whats_new": whats_new,
    }
    return detail


def follow(conn: Connection, since: str | None = None, story_id: str | None = None, limit: int = 100) -> tuple[list[dict[str, Any]], str]:
    """Changes to stories after the cursor `since` (oldest first), and the cursor to pass next time."""
    table = st.story_changes
    after = int(since) if since else 0
    query = select(table).where(table.c.seq > after)
    if story_id:
        query = query.where(table.c.story_id == story_id)
    rows = conn.execute(query.order_by(table.c.seq).limit(limit)).all()
    changes = [
        {
            "seq": row.seq,
            "story_id": row.story_id,
            "development_id": row.development_id,
            "article_id": row.article_id,
            "start": row.start,
            "kind": row.kind,
            **row.detail,
        }
        for row in rows
    ]
    cursor = str(rows[-1].seq) if rows else str(after)
    return changes, cursor
