"""The read side of stories: the story list, one story in full, and the follow feed.

Everything returns plain dicts, ready for the CLI, the HTTP API, the web reader and exports. Facts are
read back from the store (`load_analyses`), so every claim and number comes with its article and
sentence.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, String, and_, cast, func, or_, select, tuple_

from storyline.store import schema
from storyline.store import story_tables as st
from storyline.store.facts import load_analyses
from storyline.store.queries import load_articles
from storyline.stories.evolution import Member, claim_histories, number_series
from storyline.stories.merge import absorbed_ids, resolve

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


def _ranked(profile: dict[str, Any], top: int) -> list[str]:
    return [e for e, _ in sorted(profile["entities"].items(), key=lambda kv: (-kv[1], kv[0]))][: top * 2]


def _summary(row: Any, known: dict[str, dict[str, Any]], top: int = 6) -> dict[str, Any]:
    profile = row.profile
    entities = [known[e] for e in _ranked(profile, top) if e in known]
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


def _sources(conn: Connection, row: Any) -> int:
    """The count linking keeps on the profile; stories linked before it was kept are counted here."""
    stored = row.profile.get("sources")
    return int(stored) if stored is not None else _independent_sources(conn, row.id)


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
    rows = conn.execute(query).all()
    known = _names(conn, sorted({e for row in rows for e in _ranked(row.profile, 6)}))
    return [_summary(row, known) | {"sources": _sources(conn, row)} for row in rows]


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


def _passage_rows(story_id: str) -> Any:
    """The story's passages with their article's title, url and outlet name."""
    ps, arts, srcs = st.passages, schema.articles, schema.sources
    return (
        select(ps, arts.c.title, arts.c.url, srcs.c.name.label("source"))
        .select_from(ps.join(arts, arts.c.id == ps.c.article_id).outerjoin(srcs, srcs.c.id == arts.c.source_id))
        .where(ps.c.story_id == story_id)
    )


def _member_rows(conn: Connection, story_id: str, articles: int) -> list[Any]:
    """The passages of the story's `articles` most recently published articles, oldest first."""
    ps = st.passages
    latest = (
        select(ps.c.article_id)
        .where(ps.c.story_id == story_id)
        .group_by(ps.c.article_id)
        .order_by(func.max(ps.c.published).desc(), ps.c.article_id.desc())
        .limit(articles)
    )
    return conn.execute(_passage_rows(story_id).where(ps.c.article_id.in_(latest)).order_by(ps.c.published, ps.c.article_id, ps.c.start)).all()


def _latest_articles(rows: list[Any], articles: int) -> set[str]:
    """`_member_rows`'s choice of articles, made over passages already read."""
    newest: dict[str, str] = {}
    for passage in rows:
        newest[passage.article_id] = max(newest.get(passage.article_id, ""), passage.published)
    return set(sorted(newest, key=lambda a: (newest[a], a), reverse=True)[:articles])


def _members(conn: Connection, rows: list[Any]) -> list[Member]:
    """The passages with their article and facts; claims and numbers are built from these alone."""
    ids = {row.article_id for row in rows}
    analyses = load_analyses(conn, ids)
    articles = load_articles(conn, ids, raw=False)
    return [Member(articles[row.article_id], analyses[row.article_id], row.start, row.end, row.source, row.development_id) for row in rows]


def _development_sources(conn: Connection, story_id: str, dev_ids: list[str], per_development: int) -> dict[str, list[Any]]:
    """The first `per_development` passages of each development (a development's count is on its row)."""
    ps = st.passages
    rank = func.row_number().over(partition_by=ps.c.development_id, order_by=(ps.c.published, ps.c.article_id, ps.c.start)).label("rank")
    ranked = select(ps.c.article_id, ps.c.start, rank).where(ps.c.development_id.in_(dev_ids)).subquery()
    keep = select(ranked.c.article_id, ranked.c.start).where(ranked.c.rank <= per_development)
    query = _passage_rows(story_id).where(tuple_(ps.c.article_id, ps.c.start).in_(keep)).order_by(ps.c.published, ps.c.article_id, ps.c.start)
    by_dev: dict[str, list[Any]] = {}
    for passage in conn.execute(query):
        by_dev.setdefault(passage.development_id, []).append(passage)
    return by_dev


def story_detail(
    conn: Connection,
    story_id: str,
    *,
    fact_articles: int = 50,
    whats_new: int = 100,
    timeline: int = 200,
    sources_per_development: int = 25,
) -> dict[str, Any] | None:
    """One story: what it is about, its timeline by happening date, claims, numbers and developments.

    Only what the page shows is loaded, so the cost of a page stays bounded however large the story
    grows: claims and numbers from the `fact_articles` latest articles, the `whats_new` latest
    passages, the `timeline` latest developments (the story's `developments` and `passages` stay the
    full counts) and up to `sources_per_development` sources each.

    A story folded into another (`stories.merge`) is answered by the story that holds its passages
    now, whose `id` is then not the one asked for; `merged_from` names the ids folded into it.
    """
    story_id = resolve(conn, story_id)
    row = conn.execute(select(st.stories).where(st.stories.c.id == story_id)).first()
    if row is None:
        return None
    ps, ds = st.passages, st.developments
    newest_first = (ps.c.published.desc(), ps.c.article_id.desc(), ps.c.start.desc())
    recent = conn.execute(_passage_rows(story_id).order_by(*newest_first).limit(whats_new)).all()[::-1]
    devs = conn.execute(select(ds).where(ds.c.story_id == story_id).order_by(ds.c.date.desc(), ds.c.id.desc()).limit(timeline)).all()[::-1]
    by_dev: dict[str, list[Any]] = {}
    if len(recent) < whats_new:
        # Every passage is already on the page: the rest is taken from it, without reading them again.
        chosen = _latest_articles(recent, fact_articles)
        member_rows = [p for p in recent if p.article_id in chosen]
        shown = {dev.id for dev in devs}
        for passage in recent:
            if passage.development_id in shown and len(by_dev.setdefault(passage.development_id, [])) < sources_per_development:
                by_dev[passage.development_id].append(passage)
        articles = len({p.article_id for p in recent})
    else:
        member_rows = _member_rows(conn, story_id, fact_articles)
        by_dev = _development_sources(conn, story_id, [dev.id for dev in devs], sources_per_development)
        articles = conn.execute(select(func.count(func.distinct(ps.c.article_id))).where(ps.c.story_id == story_id)).scalar_one()
    members = _members(conn, member_rows)
    names = {}
    for member in members:
        names.update({e.id: e.name for e in member.analysis.entities})
    ranked_by_dev = {dev.id: [e for e, _ in sorted(dev.profile["entities"].items(), key=lambda kv: (-kv[1], kv[0]))[:8]] for dev in devs}
    lead = _ranked(row.profile, 6)
    known = _names(conn, sorted(set(lead) | ({e for ids in ranked_by_dev.values() for e in ids} - names.keys())))
    names.update({e: found["name"] for e, found in known.items() if e not in names})
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
                    "entities": [names.get(e, e) for e in ranked_by_dev[dev.id]],
                },
            }
        )
    news = [
        {"article_id": p.article_id, "start": p.start, "end": p.end, "published": p.published, "title": p.title, "new": p.new_facts}
        for p in recent
    ]
    return _summary(row, known) | {
        "sources": _sources(conn, row),
        "articles": articles,
        "timeline": timeline,
        "claims": claim_histories(members, names),
        "numbers": number_series(members, names),
        "developments": [
            {"id": d.id, "date": d.date, "label": d.label, "passages": d.passages, "first_published": d.first_published, "last_published": d.last_published}
            for d in devs
        ],
        "whats_new": news,
        "merged_from": absorbed_ids(conn, story_id),
    }


def follow(conn: Connection, since: str | None = None, story_id: str | None = None, limit: int = 100) -> tuple[list[dict[str, Any]], str]:
    """Changes to stories after the cursor `since` (oldest first), and the cursor to pass next time.

    Following one story follows what it became: an id folded into another story (`stories.merge`)
    gives the changes of the story holding its passages now, and the changes of every story folded
    into that one, the `merged` change among them (its `merged_into` names the id to follow next).
    """
    table = st.story_changes
    after = int(since) if since else 0
    query = select(table).where(table.c.seq > after)
    if story_id:
        live = resolve(conn, story_id)
        query = query.where(table.c.story_id.in_([live, *absorbed_ids(conn, live)]))
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
