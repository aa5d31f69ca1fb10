"""Online linking: each new passage joins a development (one happening) and a story (a storyline).

Candidates come from the `link_keys` index, restricted to a date window around the passage's
happening date, so an article arriving late still lands beside the happenings of its own time and the
cost per article does not grow with the store. Scores and thresholds live in `LinkConfig`;
`docs/linking.md` says how they were tuned.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, select, tuple_, update

from storyline.model import Analysis, Article
from storyline.store import schema
from storyline.store import story_tables as st
from storyline.stories import profile as prof
from storyline.stories import rows
from storyline.stories.features import Passage, distance_km, gap, passages, shift
from storyline.stories.rows import CHANGE, DOC_COUNT_KEY, SAVE_NEW, SAVE_UPDATE, STORY_SOURCES, candidates

@dataclass(frozen=True)
class LinkConfig:
    """Thresholds and weights of linking; load a tuned set with `LinkConfig.load(path)`."""

    split_passages: bool = True
    max_ahead_days: int = 7
    dev_window_days: int = 3
    dev_follow_days: int = 30
    dev_late_days: int = 730
    dev_late_penalty: float = 0.25
    dev_late_needs_person: bool = True
    dev_late_both_ways: bool = True
    dev_recalled_days: int = 1
    dev_threshold: float = 0.35
    dev_w_terms: float = 0.6
    dev_w_entities: float = 0.4
    dev_w_place: float = 0.15
    dev_w_place_conflict: float = 0.1
    dev_w_city_conflict: float = 0.5
    dev_city_overlap: float = 0.5
    dev_city_km: float = 25.0
    dev_city_same_name: bool = True
    dev_w_casualties: float = 0.1
    dev_max_casualties: int = 100
    dev_w_type: float = 0.05
    story_window_days: int = 240
    story_threshold: float = 0.05
    story_w_terms: float = 0.6
    story_w_entities: float = 0.8
    story_w_signatures: float = 0.25
    story_w_subject: float = 0.1
    story_sibling_penalty: float = 0.4
    story_needs_specific: bool = True
    story_strong: float = 0.5
    story_subjects: int = 1
    story_specific_share: float = 0.2
    story_backdrop_share: float = 0.5
    story_share_floor: int = 100
    story_half_life_days: float = 30.0
    story_merge: bool = True
    story_merge_threshold: float = 0.05
    story_merge_candidates: int = 10
    story_merge_sibling_scaled: bool = True
    story_merge_lead_score: float = 0.25
    story_merge_lead_rank: int = 2
    story_merge_needs_subject: bool = True
    story_subject_from_core: bool = True
    candidates: int = 25
    index_terms: int = 12
    index_entities: int = 12
    profile_terms: int = 100
    profile_entities: int = 40

    @classmethod
    def load(cls, path: Path) -> LinkConfig:
        """Read overrides from a TOML or JSON file (keys are the field names)."""
        text = Path(path).read_text(encoding="utf-8")
        data = json.loads(text) if Path(path).suffix == ".json" else tomllib.loads(text)
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown link settings: {', '.join(unknown)}")
        return cls(**data)


@dataclass(frozen=True)
class PassageLink:
    article_id: str
    start: int
    end: int
    development_id: str
    story_id: str
    new_development: bool
    new_story: bool
    score: float


@dataclass(frozen=True)
class LinkResult:
    article_id: str
    passages: tuple[PassageLink, ...]


@dataclass(frozen=True)
class RelinkSummary:
    articles: int
    passages: int
    developments: int
    stories: int


# Linking's own statements; those the story merge shares are in `stories.rows`.
_DF_READ = select(st.link_df.c.key, st.link_df.c.df).where(st.link_df.c.key.in_(bindparam("keys", expanding=True)))
_DF_WRITE = update(st.link_df).where(st.link_df.c.key == bindparam("k")).values(df=bindparam("df"))
_DF_ADD = insert(st.link_df)
_KEYS_READ = select(st.link_keys.c.key, st.link_keys.c.first_date, st.link_keys.c.last_date).where(
    st.link_keys.c.kind == bindparam("kind"), st.link_keys.c.target == bindparam("target"), st.link_keys.c.key.in_(bindparam("keys", expanding=True))
)
_KEYS_WIDEN = (
    update(st.link_keys)
    .where(st.link_keys.c.kind == bindparam("kd"), st.link_keys.c.target == bindparam("tg"), st.link_keys.c.key == bindparam("k"))
    .values(first_date=bindparam("f"), last_date=bindparam("l"))
)
_KEYS_ADD = insert(st.link_keys)
_JOINED = select(st.passages.c.story_id).where(st.passages.c.article_id == bindparam("article"))
"""Asked by article (primary key, a few rows) and not by story: a story's passages grow without end, and
SQLite, without statistics, would walk them all through the story index."""
_ARTICLE_SOURCE = select(schema.articles.c.source_id).where(schema.articles.c.id == bindparam("article"))
_DEV_STORY = select(st.developments.c.story_id).where(st.developments.c.id == bindparam("id"))
_STORY_DEVELOPMENTS = select(st.stories.c.developments).where(st.stories.c.id == bindparam("story"))
_PASSAGE = insert(st.passages)
_LINKED = (
    select(st.passages.c.start, st.passages.c.end, st.passages.c.development_id, st.passages.c.story_id, st.passages.c.score)
    .where(st.passages.c.article_id == bindparam("article"))
    .order_by(st.passages.c.start)
)


def _id(prefix: str, passage: Passage) -> str:
    digest = hashlib.sha1(f"{passage.article_id}:{passage.start}".encode()).hexdigest()[:16]
    return prefix + digest


def _idf(conn: Connection, passage: Passage, floor: int = 1) -> tuple[dict[str, float], dict[str, float]]:
    """Count the passage into document frequencies; return smoothed IDF for its keys and the share
    of passages holding each of its terms (`t:`), entities (`e:`) and signatures (`g:`): document
    frequency over the passage count, taken as at least `floor` (until the archive is that large,
    shares are judged as if it were)."""
    keys = [f"t:{t}" for t in passage.terms] + [f"e:{e}" for e in passage.entities] + [f"g:{g}" for g in passage.signatures] + [DOC_COUNT_KEY]
    known: dict[str, int] = {}
    for chunk in range(0, len(keys), 500):
        known.update({row[0]: row[1] for row in conn.execute(_DF_READ, {"keys": keys[chunk : chunk + 500]})})
    existing = [{"k": k, "df": known[k] + 1} for k in keys if k in known]
    fresh = [{"key": k, "df": 1} for k in keys if k not in known]
    if existing:
        conn.execute(_DF_WRITE, existing)
    if fresh:
        conn.execute(_DF_ADD, fresh)
    counted = {k: known.get(k, 0) + 1 for k in keys}
    return prof.idf_share(counted, counted[DOC_COUNT_KEY], keys[:-1], floor)


def _top(weights: dict[str, float], n: int) -> list[str]:
    return [k for k, _ in sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))[:n]]


def _keys(passage: Passage, idf: dict[str, float], config: LinkConfig, kind: str) -> list[str]:
    """Index keys of a passage: its rarest terms and entities, fine places, signatures."""
    term_w = prof.weights(passage.terms, idf, "t:")
    entity_w = prof.weights(passage.entities, idf, "e:")
    keys = [f"t:{t}" for t in _top(term_w, config.index_terms)]
    keys += [f"e:{e}" for e in _top(entity_w, config.index_entities)]
    if kind == "d":
        keys += [f"p:{p}" for p in sorted(passage.fine_places)]
    else:
        keys += [f"s:{s}" for s in sorted(passage.signatures)]
    return keys


def _date_fit(passage: Passage, profile: dict[str, Any], config: LinkConfig) -> str:
    """"near" when the dates allow the same happening, "late" for a follow-up (arrest, trial) long
    after it, "no" otherwise.

    Windows are measured from the day the members agree the happening took place
    (`profile.happened`), not from the span of dates the members cover: a span grows with every
    member, so a development measured by it slides along a busy beat and swallows a month of it.

    A report dated by its own news (charges filed "Wednesday", a funeral "today") that also names
    the happening's day ("Friday evening", "the March 28 shooting"), within
    `dev_recalled_days` of it, is as near as a report of the day itself: the date it recalls is
    the happening's. Such a follow-up often names no one the first reports named (they had no
    names to give yet), so the shared-person rule of late follow-ups would keep it out.
    """
    anchor = prof.happened(profile)
    window = config.dev_window_days
    if passage.dated:
        if abs(gap(anchor, passage.date)) <= window:
            return "near"
    elif -window <= gap(anchor, passage.published) <= config.dev_follow_days:
        return "near"
    if config.dev_recalled_days >= 0 and any(abs(gap(anchor, told)) <= config.dev_recalled_days for told in passage.days):
        return "near"
    lag = gap(anchor, passage.date)
    return "late" if 0 < lag <= config.dev_late_days or (config.dev_late_both_ways and -config.dev_late_days <= lag < 0) else "no"


@lru_cache(maxsize=8)
def _near(km: float, same_name: bool = False) -> Callable[[str, str], bool] | None:
    """Whether two cities (place keys) are within `km` of each other, or, with `same_name`, bear one
    name (`features.same_name`: one town that two reports' geocodes put at two namesakes); None
    compares ids only."""
    from storyline.stories.features import same_name as named_alike

    if km <= 0 and not same_name:
        return None

    def near(a: str, b: str) -> bool:
        if same_name and named_alike(a, b):
            return True
        found = distance_km(a, b) if km > 0 else None
        return found is not None and found <= km

    return near


def dev_score(passage: Passage, profile: dict[str, Any], idf: dict[str, float], config: LinkConfig, share: dict[str, float] | None = None) -> float:
    """Similarity of a passage to a development; -1 when the dates rule it out.

    Two shootings on the same day differ in place, names and counts: disjoint cities (gazetteer
    places, compared by mention counts so one stray match does not make two cities one; cities
    within `dev_city_km`, or of one name with `dev_city_same_name`, are one place) cost
    `dev_w_city_conflict`, disjoint street-level places `dev_w_place_conflict`,
    different casualty counts `dev_w_casualties`. A follow-up
    reported long after the happening must name a person the development names, one not named in
    more than `story_specific_share` of all passages (a suspect, not a head of state), and pays
    `dev_late_penalty`, so only strong evidence carries it across the gap.
    """
    fit = _date_fit(passage, profile, config)
    share = share or {}
    persons = {e for e in passage.persons if share.get(f"e:{e}", 0.0) <= config.story_specific_share}
    if fit == "no" or (fit == "late" and config.dev_late_needs_person and not persons & set(profile["persons"])):
        return -1.0
    fine = set(profile["fine_places"])
    score = config.dev_w_terms * prof.cosine(prof.weights(passage.terms, idf, "t:"), prof.weights(profile["terms"], idf, "t:"))
    score += config.dev_w_entities * prof.cosine(prof.weights(passage.entities, idf, "e:"), prof.weights(profile["entities"], idf, "e:"))
    if passage.fine_places and fine:
        score += config.dev_w_place if passage.fine_places & fine else -config.dev_w_place_conflict
    their_cities = profile.get("cities") or {}
    near = _near(config.dev_city_km, config.dev_city_same_name)
    if passage.cities and their_cities and prof.overlap(passage.cities, their_cities, near) < config.dev_city_overlap:
        score -= config.dev_w_city_conflict
    if passage.event_types & set(profile["types"]):
        score += config.dev_w_type
    for attr in ("killed", "injured"):
        mine, theirs = getattr(passage, attr), profile[attr]
        if mine is not None and theirs is not None and max(mine, theirs) <= config.dev_max_casualties:
            score += config.dev_w_casualties if mine == theirs else -config.dev_w_casualties
    if fit == "late":
        score -= config.dev_late_penalty
    return score


def story_score(passage: Passage, profile: dict[str, Any], idf: dict[str, float], config: LinkConfig, share: dict[str, float] | None = None) -> float:
    """Similarity of a passage to a storyline: shared actors, claim signatures and vocabulary; -1
    when nothing specific is shared.

    Reports of one war all name its countries and its vocabulary, so a loan to Ukraine and a strike
    on Kharkiv look alike on those alone; and a story, once joined on them, attracts everything
    else of the beat. Below `story_strong` a join therefore needs a shared claim or event signature,
    a shared specific entity (a person, organisation or city: `features.is_specific`), or the same
    subject: the passage's most-named entity among the story's `story_subjects` most-named ones (a
    country can be what a story is about, as Syria is for the Syrian uprising).

    With `story_subject_from_core` the story's most-named entities are counted over its whole life
    (the unfaded core the merge compares stories on) and the backdrop is passed over, as it is for
    the passage: a story of months whose latest week named one city most is still about what it
    named all along, and a story whose every report names the outbreak's country (backdrop while
    the outbreak is most of the archive) is about the next entity it names, the health agency:
    counted with the backdrop, its leader would be an entity no passage may take as its subject.

    What a whole archive is about carries no storyline: in coverage of one war, Zelenskyy and Putin
    are named in every other report and Ukraine is every report's subject. So a specific entity
    or signature counts only while at most `story_specific_share` of the passages name it; terms and
    entities in more than `story_backdrop_share` of them are the archive's backdrop: they are
    neither a subject nor part of the similarity (`share`, from the online document frequencies).
    In a stream mixing topics no topic's country reaches that share; in an archive of one war,
    Russia and Ukraine are in nine passages of ten.
    """
    share = share or {}
    signatures = {g for g in passage.signatures if share.get(f"g:{g}", 0.0) <= config.story_specific_share}
    shared_signature = bool(signatures & set(profile["signatures"]))
    backdrop = {k for k, v in share.items() if v > config.story_backdrop_share}

    def foreground(counts: dict[str, Any], prefix: str) -> dict[str, float]:
        return prof.weights({k: v for k, v in counts.items() if prefix + k not in backdrop}, idf, prefix)

    score = config.story_w_terms * prof.cosine(foreground(passage.terms, "t:"), foreground(profile["terms"], "t:"))
    score += config.story_w_entities * prof.cosine(foreground(passage.entities, "e:"), foreground(profile["entities"], "e:"))
    if shared_signature:
        score += config.story_w_signatures
    if config.story_subject_from_core:
        named, skip = profile.get("core") or profile["entities"], backdrop
    else:
        named, skip = profile["entities"], set()
    leading = {e for e, _ in sorted(((e, n) for e, n in named.items() if f"e:{e}" not in skip), key=lambda kv: (-kv[1], kv[0]))[: config.story_subjects]}
    top = max(passage.entities.values(), default=0)
    subject = {e for e, n in passage.entities.items() if n == top and f"e:{e}" not in backdrop}
    specific = {e for e in passage.specific if share.get(f"e:{e}", 0.0) <= config.story_specific_share}
    specific_evidence = shared_signature or bool(specific & set(profile["entities"])) or bool(subject & leading)
    if subject & leading:
        score += config.story_w_subject
    if config.story_needs_specific and not specific_evidence and score < config.story_strong:
        return -1.0
    return score


def _story_scores(conn: Connection, passage: Passage, idf: dict[str, float], share: dict[str, float], config: LinkConfig,
                  siblings: set[str]) -> dict[str, float]:
    """How well a passage that starts a new development continues each candidate story.

    The splitter cut the article where a sibling passage begins because the passages tell
    different happenings, so joining a story that so far holds nothing but this article needs
    `story_sibling_penalty` more evidence: the only evidence for it would be the very document that
    was split. Stories other articles have built up are joined on their merits.
    """
    story_keys = _keys(passage, idf, config, "s")
    lo, hi = shift(passage.date, -config.story_window_days), shift(passage.date, config.story_window_days)
    profiles = rows.profiles(conn, st.stories, candidates(conn, "s", story_keys, lo, hi, config.candidates))
    return {
        key: story_score(passage, profile, idf, config, share)
        - (config.story_sibling_penalty if key in siblings and profile["articles"] == [passage.article_id] else 0.0)
        for key, profile in profiles.items()
    }


def _best(scored: dict[str, float]) -> tuple[str | None, float]:
    if not scored:
        return None, 0.0
    target = min(scored, key=lambda k: (-scored[k], k))
    return target, scored[target]


def _upsert_keys(conn: Connection, kind: str, target: str, keys: list[str], lo: str, hi: str) -> None:
    if not keys:
        return
    rows = conn.execute(_KEYS_READ, {"kind": kind, "target": target, "keys": keys}).all()
    have = {row[0]: (row[1], row[2]) for row in rows}
    changed = [
        {"kd": kind, "tg": target, "k": key, "f": min(first, lo), "l": max(last, hi)}
        for key, (first, last) in have.items()
        if lo < first or hi > last
    ]
    if changed:
        conn.execute(_KEYS_WIDEN, changed)
    fresh = [{"kind": kind, "key": k, "target": target, "first_date": lo, "last_date": hi} for k in dict.fromkeys(keys) if k not in have]
    if fresh:
        conn.execute(_KEYS_ADD, fresh)


def _new_facts(passage: Passage, before: dict[str, Any]) -> dict[str, Any]:
    """What this passage told its story that the story did not know yet."""
    facts: dict[str, Any] = {
        "entities": sorted(set(passage.entities) - set(before["entities"])),
        "places": sorted(passage.places - set(before["places"])),
        "event_types": sorted(passage.event_types - set(before["types"])),
        "signatures": sorted(passage.signatures - set(before["signatures"])),
    }
    for attr in ("killed", "injured"):
        value = getattr(passage, attr)
        if value is not None and value != before[attr]:
            facts[attr] = value
    return facts


def _save(conn: Connection, table: Any, key: str, profile: dict[str, Any], values: dict[str, Any], create: bool) -> None:
    if create:
        conn.execute(SAVE_NEW[table.name], {"id": key, "profile": profile, **values})
    else:
        conn.execute(SAVE_UPDATE[table.name], {"key": key, "profile": profile, **values})


def _count_outlet(conn: Connection, profile: dict[str, Any], story_id: str, article_id: str) -> None:
    """Keep the story's independent-sources count on its profile, so readers never recount it.

    Outlets are the known sources (few per story, kept as a list); an article without a known source
    counts as its own outlet, once, when its first passage joins the story.
    """
    if "outlets" not in profile:
        # A new story, or one linked before the count was kept: start from what it already holds.
        held = conn.execute(STORY_SOURCES, {"story": story_id}).all()
        profile["outlets"] = sorted({str(row.source_id) for row in held if row.source_id is not None})
        profile["anonymous"] = sum(1 for row in held if row.source_id is None)
    if story_id in conn.execute(_JOINED, {"article": article_id}).scalars().all():
        profile["sources"] = len(profile["outlets"]) + profile["anonymous"]
        return
    source = conn.execute(_ARTICLE_SOURCE, {"article": article_id}).scalar()
    outlets = list(profile["outlets"])
    if source is None:
        profile["anonymous"] += 1
    elif str(source) not in outlets:
        outlets.append(str(source))
    profile["outlets"] = outlets
    profile["sources"] = len(outlets) + profile["anonymous"]


def _link_passage(conn: Connection, passage: Passage, config: LinkConfig, siblings: set[str]) -> PassageLink:
    """Link one passage; `siblings` are the stories earlier passages of the same article went to.

    The splitter cut the article there because the passages tell different happenings, so joining a
    story that so far holds nothing but this article needs `story_sibling_penalty` more evidence:
    the only evidence for it would be the very document that was split. Stories other articles
    have built up are joined on their merits.
    """
    idf, share = _idf(conn, passage, config.story_share_floor)
    window = config.dev_window_days
    anchor = passage.date if passage.dated else passage.published
    lo = shift(anchor, -max(config.dev_late_days, config.dev_follow_days))
    hi = shift(anchor, config.dev_late_days if config.dev_late_both_ways else window)
    dev_keys = _keys(passage, idf, config, "d")
    dev_profiles = rows.profiles(conn, st.developments, candidates(conn, "d", dev_keys, lo, hi, config.candidates))
    dev_scores = {k: dev_score(passage, p, idf, config, share) for k, p in dev_profiles.items()}
    dev_id, score = _best({k: v for k, v in dev_scores.items() if v >= config.dev_threshold})
    new_dev = dev_id is None
    if dev_id is None:
        dev_id = _id("d", passage)
        dev_profile = prof.empty()
        story_scores = _story_scores(conn, passage, idf, share, config, siblings)
        story_id, story_match = _best({k: v for k, v in story_scores.items() if v >= config.story_threshold})
        score = story_match
    else:
        dev_profile = dev_profiles[dev_id]
        story_id = conn.execute(_DEV_STORY, {"id": dev_id}).scalar_one()
    new_story = story_id is None
    if story_id is None:
        story_id = _id("s", passage)
        story_profile = prof.empty()
    else:
        story_profile = rows.profiles(conn, st.stories, [story_id])[story_id]
    facts = _new_facts(passage, story_profile) | {"new_development": new_dev, "new_story": new_story}

    dev_profile = prof.merge(dev_profile, passage, max_terms=config.profile_terms, max_entities=config.profile_entities)
    dev_weights = prof.weights(dev_profile["terms"], idf, "t:")
    prof.add_title(dev_profile, passage.lead, passage.article_id, lambda text: prof.cosine(prof.weights(rows.title_terms(text), idf, "t:"), dev_weights))
    _save(
        conn,
        st.developments,
        dev_id,
        dev_profile,
        {
            "story_id": story_id,
            "date": prof.happened(dev_profile),
            "first_date": dev_profile["date_lo"],
            "last_date": dev_profile["date_hi"],
            "first_published": dev_profile["pub_lo"],
            "last_published": dev_profile["pub_hi"],
            "label": dev_profile["titles"][0][1],
            "passages": dev_profile["n"],
        },
        new_dev,
    )
    _upsert_keys(conn, "d", dev_id, dev_keys, dev_profile["date_lo"], dev_profile["date_hi"])

    story_profile = prof.merge(story_profile, passage, max_terms=config.profile_terms, max_entities=config.profile_entities,
                               half_life=config.story_half_life_days, keep_core=True)
    story_weights = prof.weights(story_profile["terms"], idf, "t:")
    if passage.first or not story_profile["titles"]:
        # A later passage of a round-up has no headline of its own, only its first sentence, which
        # names the story only until a member brings a real headline.
        prof.add_title(
            story_profile, passage.headline, passage.article_id, lambda text: prof.cosine(prof.weights(rows.title_terms(text), idf, "t:"), story_weights)
        )
    _count_outlet(conn, story_profile, story_id, passage.article_id)
    # The story row keeps its development count; counting them would walk the whole story.
    developments = (0 if new_story else conn.execute(_STORY_DEVELOPMENTS, {"story": story_id}).scalar_one()) + int(new_dev)
    seq = conn.execute(
        CHANGE,
        {
            "story_id": story_id,
            "development_id": dev_id,
            "article_id": passage.article_id,
            "start": passage.start,
            "kind": "new_story" if new_story else "new_development" if new_dev else "update",
            "detail": facts | {"headline": passage.headline, "date": passage.date, "published": passage.published},
        },
    ).inserted_primary_key[0]
    _save(
        conn,
        st.stories,
        story_id,
        story_profile,
        {
            "title": story_profile["titles"][0][1],
            "first_date": story_profile["date_lo"],
            "last_date": story_profile["date_hi"],
            "first_published": story_profile["pub_lo"],
            "last_published": story_profile["pub_hi"],
            "developments": developments,
            "passages": story_profile["n"],
            "updated_seq": seq,
        },
        new_story,
    )
    _upsert_keys(conn, "s", story_id, _keys(passage, idf, config, "s"), story_profile["date_lo"], story_profile["date_hi"])
    conn.execute(
        _PASSAGE,
        {
            "article_id": passage.article_id,
            "start": passage.start,
            "end": passage.end,
            "development_id": dev_id,
            "story_id": story_id,
            "date": passage.date,
            "published": passage.published,
            "score": round(score, 6),
            "new_facts": facts,
        },
    )
    if config.story_merge:
        from storyline.stories import merge

        story_id = merge.consider(conn, story_id, story_profile, config, article_id=passage.article_id, start=passage.start, development_id=dev_id)
    return PassageLink(passage.article_id, passage.start, passage.end, dev_id, story_id, new_dev, new_story, score)


def link_article(conn: Connection, article: Article, analysis: Analysis, config: LinkConfig = LinkConfig()) -> LinkResult:
    """File each passage of a new article under a development and a story; a second call is a no-op."""
    done = conn.execute(_LINKED, {"article": article.id}).all()
    if done:
        return LinkResult(article.id, tuple(PassageLink(article.id, r[0], r[1], r[2], r[3], False, False, r[4]) for r in done))
    found = passages(article, analysis, split_passages=config.split_passages, max_ahead=config.max_ahead_days)
    links: list[PassageLink] = []
    for passage in found:
        links.append(_link_passage(conn, passage, config, {link.story_id for link in links}))
    return LinkResult(article.id, tuple(links))


def relink(conn: Connection, config: LinkConfig = LinkConfig(), *, batch: int = 500) -> RelinkSummary:
    """Rebuild developments and stories from stored articles and facts, in publication order.

    Articles are read in keyset-paged batches, so memory stays flat however large the store is.
    """
    from storyline.store.facts import load_analysis
    from storyline.store.queries import load_article

    st.ensure(conn)
    st.clear(conn)
    arts = schema.articles
    order = func.coalesce(arts.c.published, "")
    after: tuple[str, str] | None = None
    articles = passages_linked = 0
    while True:
        query = select(order.label("at"), arts.c.id).order_by(order, arts.c.id).limit(batch)
        if after is not None:
            query = query.where(tuple_(order, arts.c.id) > tuple_(*after))
        rows = conn.execute(query).all()
        if not rows:
            break
        for row in rows:
            result = link_article(conn, load_article(conn, row.id), load_analysis(conn, row.id), config)
            articles += 1
            passages_linked += len(result.passages)
        after = (rows[-1].at, rows[-1].id)
    developments = conn.execute(select(func.count()).select_from(st.developments)).scalar_one()
    stories = conn.execute(select(func.count()).select_from(st.stories)).scalar_one()
    return RelinkSummary(articles=articles, passages=passages_linked, developments=developments, stories=stories)
