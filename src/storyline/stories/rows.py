"""Statements and reads on the story tables that linking and the story merge share.

Every statement is built once with bound parameters: linking runs a few dozen statements per
passage, and built anew per call SQLAlchemy spent more time constructing them and deriving their
cache keys than the database spent running them.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Text, bindparam, cast, func, insert, select, update

from storyline.store import schema
from storyline.store import story_tables as st
from storyline.stories.features import terms

DOC_COUNT_KEY = "#passages"
PROFILE_CACHE_SIZE = 1024
"""Decoded profiles kept per process: about 17 kB each with their text (under 80 kB at the counters'
caps), and more than the candidates a busy date window returns."""

HITS = func.count().label("hits")
CANDIDATES = (
    select(st.link_keys.c.target, HITS)
    .where(
        st.link_keys.c.kind == bindparam("kind"),
        st.link_keys.c.key.in_(bindparam("keys", expanding=True)),
        st.link_keys.c.last_date >= bindparam("lo"),
        st.link_keys.c.first_date <= bindparam("hi"),
    )
    .group_by(st.link_keys.c.target)
    .order_by(HITS.desc(), st.link_keys.c.target)
    .limit(bindparam("limit"))
)
PROFILE_TEXT = {t.name: select(t.c.id, cast(t.c.profile, Text)).where(t.c.id.in_(bindparam("ids", expanding=True))) for t in (st.stories, st.developments)}
SAVE_NEW = {t.name: insert(t) for t in (st.stories, st.developments)}
SAVE_UPDATE = {
    t.name: update(t).where(t.c.id == bindparam("key")).values({c.name: bindparam(c.name) for c in t.c if c.name != "id"})
    for t in (st.stories, st.developments)
}
STORY_SOURCES = (
    select(schema.articles.c.source_id, schema.articles.c.id)
    .distinct()
    .join(st.passages, st.passages.c.article_id == schema.articles.c.id)
    .where(st.passages.c.story_id == bindparam("story"))
)
CHANGE = insert(st.story_changes)


def candidates(conn: Connection, kind: str, keys: list[str], lo: str, hi: str, limit: int) -> list[str]:
    """Targets of `kind` ("d" developments, "s" stories) holding the most of `keys` within the dates."""
    if not keys:
        return []
    return [row[0] for row in conn.execute(CANDIDATES, {"kind": kind, "keys": keys, "lo": lo, "hi": hi, "limit": limit})]


@lru_cache(maxsize=PROFILE_CACHE_SIZE)
def decode(text: str) -> dict[str, Any]:
    """A stored profile, decoded once per distinct content rather than once per candidate look-up.

    The cache is keyed by the stored JSON text itself, not by an id and a version, so it cannot go
    stale: another process rewriting a profile (or a relink rebuilding the store) changes the text,
    and the new text is decoded afresh. The dict is shared between callers, so linking treats
    loaded profiles as read-only and builds every changed profile as a new dict (`profile.merge`).
    """
    return json.loads(text)  # type: ignore[no-any-return]


@lru_cache(maxsize=4096)
def title_terms(text: str) -> dict[str, int]:
    """Terms of a kept headline: every join scores all kept headlines again (`profile.add_title`),
    so each is tokenised once. Shared between callers, hence read-only."""
    return terms(text)


def profiles(conn: Connection, table: Any, ids: list[str]) -> dict[str, dict[str, Any]]:
    """Profiles by id; the text is read raw (a cheap string) and decoded through `decode`."""
    if not ids:
        return {}
    return {row[0]: decode(row[1]) for row in conn.execute(PROFILE_TEXT[table.name], {"ids": ids})}
