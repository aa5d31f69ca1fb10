"""Online story merge: two stories whose profiles have converged become one.

Linking compares a passage with stories, never stories with each other. A report that misses a
story's profile (no specific entity shared, too little wording in common) starts a story of its own,
and on a long stream a topic ends as parallel stories that each keep growing and never join. So after
each passage is linked, its story is compared with the stories near it — found through the same
`link_keys` index as a passage's candidates, never by a scan — and when the two profiles are alike
enough (`LinkConfig.story_merge_threshold`) the smaller story is folded into the larger: its passages,
developments and index keys move, the profiles are combined, the old id is left in `story_redirects`
and the follow feed gets a `merged` change, so readers and followers of the old id reach the story
that holds its passages now (`resolve`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, bindparam, delete, insert, select, update

from storyline.store import schema
from storyline.store import story_tables as st
from storyline.stories import profile as prof
from storyline.stories.features import shift
from storyline.stories.rows import CHANGE, DOC_COUNT_KEY, SAVE_UPDATE, STORY_SOURCES, candidates, profiles, title_terms

if TYPE_CHECKING:
    from storyline.stories.link import LinkConfig

_DF = select(st.link_df.c.key, st.link_df.c.df).where(st.link_df.c.key.in_(bindparam("keys", expanding=True)))
_RESOLVE = select(st.story_redirects.c.new_id).where(st.story_redirects.c.old_id == bindparam("id"))
_LK = st.link_keys
_KEPT = _LK.alias("kept")
# Driven from the absorbed story's rows (`ix_link_keys_target`), each looked up in the kept story's
# by primary key. The statements name the rows by key: with a subquery over the kept story's keys,
# SQLite without statistics (ingest never runs ANALYZE) scans every story key instead.
_SHARED_KEYS = (
    select(_LK.c.key, _LK.c.first_date, _LK.c.last_date, _KEPT.c.first_date, _KEPT.c.last_date)
    .join(_KEPT, (_KEPT.c.kind == "s") & (_KEPT.c.key == _LK.c.key) & (_KEPT.c.target == bindparam("target")))
    .where(_LK.c.kind == "s", _LK.c.target == bindparam("absorbed"))
)
_KEY_DROP = delete(_LK).where(_LK.c.kind == "s", _LK.c.target == bindparam("absorbed"), _LK.c.key == bindparam("k"))
_KEYS_RETARGET = update(_LK).where(_LK.c.kind == "s", _LK.c.target == bindparam("absorbed")).values(target=bindparam("target"))
_KEYS_WIDEN = (
    update(_LK)
    .where(_LK.c.kind == "s", _LK.c.target == bindparam("tg"), _LK.c.key == bindparam("k"))
    .values(first_date=bindparam("f"), last_date=bindparam("l"))
)
_STORY_ROW = select(st.stories.c.developments).where(st.stories.c.id == bindparam("id"))
CHUNK = 500


def resolve(conn: Connection, story_id: str) -> str:
    """The live story holding what `story_id` held: itself, or the story it was folded into."""
    return conn.execute(_RESOLVE, {"id": story_id}).scalar() or story_id


def absorbed_ids(conn: Connection, story_id: str) -> list[str]:
    """Ids of the stories folded into `story_id` (redirects are flat, so one look-up finds all)."""
    table = st.story_redirects
    return list(conn.execute(select(table.c.old_id).where(table.c.new_id == story_id).order_by(table.c.old_id)).scalars())


def _weights(conn: Connection, keys: list[str], floor: int) -> tuple[dict[str, float], dict[str, float]]:
    """IDF and share of passages for profile keys, from the online document frequencies."""
    wanted = list(dict.fromkeys(keys)) + [DOC_COUNT_KEY]
    known: dict[str, int] = {}
    for at in range(0, len(wanted), CHUNK):
        known.update({row[0]: row[1] for row in conn.execute(_DF, {"keys": wanted[at : at + CHUNK]})})
    return prof.idf_share(known, known.get(DOC_COUNT_KEY, 0), wanted[:-1], floor)


def _profile_keys(profile: dict[str, Any]) -> list[str]:
    return [f"t:{t}" for t in profile["terms"]] + [f"e:{e}" for e in {**profile["entities"], **_core(profile)}]


def _foreground(counts: dict[str, float], prefix: str, idf: dict[str, float], backdrop: set[str]) -> dict[str, float]:
    return prof.weights({k: v for k, v in counts.items() if prefix + k not in backdrop}, idf, prefix)


def _core(profile: dict[str, Any]) -> dict[str, float]:
    """The entities the story named over its whole life (`profile.UNFADED`); profiles stored before
    the core was kept fall back to their faded entities."""
    return profile.get("core") or profile["entities"]  # type: ignore[no-any-return]


def _ranked(entities: dict[str, float], backdrop: set[str]) -> list[str]:
    return [k for k, _ in sorted(((k, v) for k, v in entities.items() if f"e:{k}" not in backdrop), key=lambda kv: (-kv[1], kv[0]))]


def _leading(entities: dict[str, float], backdrop: set[str]) -> str | None:
    ranked = _ranked(entities, backdrop)
    return ranked[0] if ranked else None


@dataclass(frozen=True)
class Side:
    """One story as the merge compares it: its foreground term and core-entity weights, its subject
    (leading foreground core entity), its leads (most-named core entities, backdrop or not, the
    most-named first) and its articles, worked out once per check rather than once per pair."""

    terms: dict[str, float]
    core: dict[str, float]
    subject: str | None
    leads: tuple[str, ...]
    articles: frozenset[str]


def side(profile: dict[str, Any], idf: dict[str, float], backdrop: set[str], leads: int = 1) -> Side:
    core = _core(profile)
    return Side(_foreground(profile["terms"], "t:", idf, backdrop), _foreground(core, "e:", idf, backdrop), _leading(core, backdrop),
                tuple(_ranked(core, set())[:leads]), frozenset(profile["articles"]))


def similarity(a: Side, b: Side, config: LinkConfig) -> float:
    """How alike two stories are, on the scale of `link.story_score` and under its rule: the
    same weighted cosines of foreground terms and entities, and the same-subject bonus when both
    stories are most about the same entity; two stories are only alike when they have that subject
    in common or related leads (below; -1 otherwise), as a passage needs specific evidence to join a
    story. Unlike a passage, a story is never let in on wording alone (`story_merge_needs_subject`;
    off, `story_strong` is that bar): two grown stories of neighbouring topics share a whole
    region's vocabulary, and one such merge folds two wars into one story. The sibling penalty
    applies when an article had passages cut apart into the two stories (the splitter judged them
    different happenings, as in a round-up); with
    `story_merge_sibling_scaled` it is scaled by the share of the smaller story's articles that are
    such shared articles. The splitter's verdict is one article's: two stories that hold nothing but
    one round-up's passages stay apart, while two stories that dozens of other articles built are
    compared on their merits, as a passage is when it meets a story others have built up.

    A subject is one foreground entity, and the test is strict: a story of a siege told through the
    besieged leader and the story of his country's war lead with each other's second entity; and
    while one topic is most of the archive (the first months of an outbreak that is all the archive
    holds), the topic's own country is the backdrop, so its parallel stories, all led by it, have no
    subject left to share. Two stories whose leads are related — each one's most-named core entity,
    backdrop or not, among the other's `story_merge_lead_rank` most-named — are therefore alike from
    `story_merge_lead_score` up: more wording than a shared subject needs, less than `story_strong`."""
    score = config.story_w_terms * prof.cosine(a.terms, b.terms)
    score += config.story_w_entities * prof.cosine(a.core, b.core)
    same_subject = a.subject is not None and a.subject == b.subject
    if same_subject:
        score += config.story_w_subject
    shared = a.articles & b.articles
    if shared:
        penalty = config.story_sibling_penalty
        if config.story_merge_sibling_scaled:
            penalty *= len(shared) / min(len(a.articles), len(b.articles))
        score -= penalty
    if config.story_needs_specific and not same_subject and (config.story_merge_needs_subject or score < config.story_strong):
        related = bool(a.leads and b.leads) and a.leads[0] in b.leads and b.leads[0] in a.leads
        if not (related and score >= config.story_merge_lead_score):
            return -1.0
    return score


def _backdrop(share: dict[str, float], config: LinkConfig) -> set[str]:
    return {k for k, v in share.items() if v > config.story_backdrop_share}


def _index_keys(profile: dict[str, Any], me: Side, idf: dict[str, float], backdrop: set[str], config: LinkConfig) -> list[str]:
    """The story's rarest foreground terms and entities: what it would be found by as a passage."""
    keys = []
    for prefix, weights, size in (("t:", me.terms, config.index_terms),
                                  ("e:", _foreground(profile["entities"], "e:", idf, backdrop), config.index_entities)):
        keys += [prefix + k for k, _ in sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))[:size]]
    return keys


def consider(conn: Connection, story_id: str, mine: dict[str, Any], config: LinkConfig, *, article_id: str, start: int,
             development_id: str) -> str:
    """After a passage joined or began `story_id`, whose profile is now `mine`: fold it together with
    the most similar nearby story when their profiles have converged; returns the id of the story
    that holds it now."""
    idf, share = _weights(conn, _profile_keys(mine), config.story_share_floor)
    backdrop = _backdrop(share, config)
    me = side(mine, idf, backdrop, config.story_merge_lead_rank)
    keys = _index_keys(mine, me, idf, backdrop, config)
    lo, hi = shift(mine["date_lo"], -config.story_window_days), shift(mine["date_hi"], config.story_window_days)
    found = [k for k in candidates(conn, "s", keys, lo, hi, config.story_merge_candidates + 1) if k != story_id]
    others = profiles(conn, st.stories, found[: config.story_merge_candidates])
    if not others:
        return story_id
    more_idf, more_share = _weights(conn, [k for p in others.values() for k in _profile_keys(p) if k not in idf], config.story_share_floor)
    idf, backdrop = idf | more_idf, _backdrop(share | more_share, config)
    scores = {k: similarity(me, side(p, idf, backdrop, config.story_merge_lead_rank), config) for k, p in others.items()}
    best = min(scores, key=lambda k: (-scores[k], k))
    if scores[best] < config.story_merge_threshold:
        return story_id
    larger, smaller = sorted(((story_id, mine), (best, others[best])), key=lambda kv: (-kv[1]["n"], kv[0]))
    fold(conn, smaller[0], larger[0], config, article_id=article_id, start=start, development_id=development_id, score=scores[best])
    return larger[0]


def _move_keys(conn: Connection, absorbed: str, target: str) -> None:
    """The absorbed story's index keys now find the target, over the union of both date spans.

    A story's keys grow with every passage it ever had, and moving them was most of a merge's cost.
    Only the keys both stories hold are read into Python (the target's row is widened, the absorbed
    one dropped); the others change their target in place, in one statement, which leaves each row
    and its entry in the date index (`ix_link_keys_lookup`) where they are instead of deleting and
    inserting both.
    """
    shared = conn.execute(_SHARED_KEYS, {"absorbed": absorbed, "target": target}).all()
    widen = [
        {"tg": target, "k": key, "f": min(first, kept_first), "l": max(last, kept_last)}
        for key, first, last, kept_first, kept_last in shared
        if first < kept_first or last > kept_last
    ]
    if widen:
        conn.execute(_KEYS_WIDEN, widen)
    if shared:
        conn.execute(_KEY_DROP, [{"absorbed": absorbed, "k": row[0]} for row in shared])
    conn.execute(_KEYS_RETARGET, {"absorbed": absorbed, "target": target})


def fold(conn: Connection, absorbed: str, target: str, config: LinkConfig, *, article_id: str, start: int, development_id: str,
         score: float) -> int:
    """Fold story `absorbed` into story `target`; returns the sequence number of the `merged` change.

    Passages and developments keep their ids and only change story; the absorbed story's row is
    replaced by a redirect, and earlier redirects to it are pointed at the target, so every old id
    resolves in one look-up.
    """
    both = profiles(conn, st.stories, [absorbed, target])
    counts = {key: conn.execute(_STORY_ROW, {"id": key}).scalar_one() for key in (absorbed, target)}
    gone, kept = both[absorbed], both[target]
    conn.execute(update(st.passages).where(st.passages.c.story_id == absorbed).values(story_id=target))
    conn.execute(update(st.developments).where(st.developments.c.story_id == absorbed).values(story_id=target))
    _move_keys(conn, absorbed, target)
    merged = prof.combine(gone, kept, max_terms=config.profile_terms, max_entities=config.profile_entities, half_life=config.story_half_life_days)
    idf, _ = _weights(conn, [f"t:{t}" for t in merged["terms"]], config.story_share_floor)
    centre = prof.weights(merged["terms"], idf, "t:")
    if merged["titles"]:
        lead = merged["titles"][0]
        prof.add_title(merged, lead[1], lead[2], lambda text: prof.cosine(prof.weights(title_terms(text), idf, "t:"), centre))
    held = conn.execute(STORY_SOURCES, {"story": target}).all()
    merged["outlets"] = sorted({str(row.source_id) for row in held if row.source_id is not None})
    merged["anonymous"] = sum(1 for row in held if row.source_id is None)
    merged["sources"] = len(merged["outlets"]) + merged["anonymous"]
    seq: int = conn.execute(
        CHANGE,
        {
            "story_id": absorbed,
            "development_id": development_id,
            "article_id": article_id,
            "start": start,
            "kind": "merged",
            "detail": {
                "merged_into": target,
                "title": gone["titles"][0][1] if gone["titles"] else "",
                "into_title": merged["titles"][0][1] if merged["titles"] else "",
                "passages": gone["n"],
                "developments": counts[absorbed],
                "score": round(score, 6),
            },
        },
    ).inserted_primary_key[0]
    conn.execute(
        SAVE_UPDATE[st.stories.name],
        {
            "key": target,
            "profile": merged,
            "title": merged["titles"][0][1] if merged["titles"] else "",
            "first_date": merged["date_lo"],
            "last_date": merged["date_hi"],
            "first_published": merged["pub_lo"],
            "last_published": merged["pub_hi"],
            "developments": counts[absorbed] + counts[target],
            "passages": merged["n"],
            "updated_seq": seq,
        },
    )
    conn.execute(delete(st.stories).where(st.stories.c.id == absorbed))
    views = schema.rendered_views
    conn.execute(delete(views).where(views.c.kind.startswith("story"), views.c.id == absorbed))
    redirects = st.story_redirects
    conn.execute(update(redirects).where(redirects.c.new_id == absorbed).values(new_id=target))
    conn.execute(insert(redirects).values(old_id=absorbed, new_id=target, seq=seq))
    return seq
