"""Claims: propositions the text attributes to someone or reports without vouching for them.

A claim is an event seen through the speech act it depends on: "Zelenskyy warns that Russia is planning
to deploy North Korean troops" is claimed by Zelenskyy, "the country officially confirmed it has been
sending troops" is confirmed by North Korea, "reports suggest" is reported. Its `signature` is built
from the event's ontology type and canonical entity ids, never from wording, so that linking can
recognise the same proposition in two articles written months apart by different outlets.
"""

from __future__ import annotations

from collections.abc import Sequence

from spacy.tokens import Doc, Span, Token

from storyline.analyze.context import EntityIndex
from storyline.analyze.events import DATE_VALUE, Lexicon, act_lemma, lexicon, speech_act, unsaid
from storyline.analyze.nlp import text as doc_text
from storyline.analyze.ontology import key
from storyline.model import Article, Claim, ClaimStatus, Event, Quote, TimeRef


SPEECH_TYPES = frozenset({"express concern", "demand", "confirm", "deny"})
_UNRESOLVED = frozenset({"he", "she", "they", "it", "we", "i", "you", "who", "which", "that"})
"""Pronouns the entity index could not resolve: naming one as claimant tells a reader nothing."""


def signature(event: Event) -> str | None:
    """A normalised, order-independent key for what the event says happened; None without an actor.

    Troop deployments are keyed by whose forces go where ("deploy_troops|actor=<north korea>|to=<russia>")
    whether the text says "Russia will deploy North Korean troops" or "North Korea sent troops to
    Russia": `events.py` lists the forces' owner first, then the party deploying or receiving them.
    """
    if not event.actors:
        return None
    kind = key(event.type)
    if event.type == "deploy troops":
        receiver = event.actors[1] if len(event.actors) > 1 else (event.targets[0] if event.targets else "")
        return f"{kind}|actor={event.actors[0]}|to={receiver}"
    return f"{kind}|actor={'+'.join(sorted(event.actors))}|target={'+'.join(sorted(event.targets))}"


def extract(
    doc: Doc,
    article: Article,
    index: EntityIndex,
    events: Sequence[Event],
    quotes: Sequence[Quote],
    timerefs: Sequence[TimeRef],
) -> list[Claim]:
    """One claim per attributed, hedged, confirmed or denied event; asserted and unattributed plans are facts
    or intentions of the article itself, not claims. Events that are themselves speech acts (concern,
    demands, confirmations, denials) are not propositions: what they assert is the event under them."""
    lex = lexicon()
    claims: list[Claim] = []
    seen: set[tuple[int, int, str]] = set()
    for event in events:
        if event.modality in ("asserted", "planned") and event.asserted_by is None or event.type in SPEECH_TYPES:
            continue
        sentence = doc.char_span(event.start, event.end, alignment_mode="expand")
        trigger = _trigger(sentence, event) if sentence is not None else None
        if sentence is None or trigger is None:
            continue
        headline = sentence if event.start < article.body_offset else None
        act, speaker = speech_act(trigger, index, lex, headline=headline)
        if act is not None and unsaid(act):
            act, speaker = None, None
        quote = next((q for q in quotes if q.content_start <= trigger.idx < q.content_end), None)
        status = _status(event, act, lex)
        span = _proposition(trigger, sentence, act, quote, headline)
        claimant_id = event.asserted_by or speaker
        claimant = _claimant_name(claimant_id, index, act, quote)
        if (span[0], span[1], status) in seen:
            continue
        seen.add((span[0], span[1], status))
        claims.append(Claim(
            article_id=article.id,
            start=span[0],
            end=span[1],
            text=doc_text(doc)[span[0]:span[1]],
            status=status,
            claimant=claimant,
            claimant_entity_id=claimant_id,
            signature=signature(event),
            date=_claim_date(doc_text(doc), sentence, span, act, claimant_id, events, timerefs, article, lex),
        ))
    return claims


def _trigger(sentence: Span, event: Event) -> Token | None:
    return next((t for t in sentence if t.text == event.trigger), None)


def _status(event: Event, act: Token | None, lex: Lexicon) -> ClaimStatus:
    lemma = act_lemma(act) if act is not None else ""
    if event.modality == "denied" or lemma in lex.lists["deny_verbs"]:
        return "denied"
    if lemma in lex.lists["retract_verbs"]:
        return "retracted"
    if lemma in lex.lists["confirm_verbs"]:
        return "confirmed"
    if event.modality == "hedged" and event.asserted_by is None:
        return "reported"
    return "claimed"


def _proposition(
    trigger: Token, sentence: Span, act: Token | None, quote: Quote | None, headline: Span | None
) -> tuple[int, int]:
    """The characters that state the proposition: the quote's content, the clause under the speech act
    (in a headline, the words after the speech verb), or the trigger's sentence."""
    if quote is not None:
        return quote.content_start, quote.content_end
    if headline is not None and act is not None and act.i < trigger.i and act not in trigger.ancestors:
        rest = [t for t in headline if t.i > act.i]
        return rest[0].idx, rest[-1].idx + len(rest[-1].text)
    if act is not None and act.lower_ != "according":
        clause = trigger
        while clause.head != act and clause.head.i != clause.i:
            clause = clause.head
        if clause.head == act and clause.i != act.i:
            tokens = [t for t in clause.subtree if not (t.is_punct and (t.i == clause.left_edge.i or t.i == clause.right_edge.i))]
            tokens = [t for t in tokens if t.dep_ != "mark" or t.head != clause] or [clause]
            return tokens[0].idx, tokens[-1].idx + len(tokens[-1].text)
    return sentence.start_char, sentence.end_char


def _claimant_name(entity_id: str | None, index: EntityIndex, act: Token | None, quote: Quote | None) -> str | None:
    if entity_id is not None and entity_id in index.entities:
        return index.entities[entity_id].name
    if quote is not None and quote.speaker and quote.speaker.casefold() not in _UNRESOLVED:
        return quote.speaker
    if act is not None:
        subject = next((c for c in act.children if c.dep_ in ("nsubj", "nsubjpass")), None)
        if subject is not None and subject.lower_ not in _UNRESOLVED and subject.ent_type_ not in ("DATE", "TIME"):
            return " ".join(t.text for t in subject.subtree)
    return None


def _claim_date(
    text: str,
    sent: Span,
    proposition: tuple[int, int],
    act: Token | None,
    claimant_id: str | None,
    events: Sequence[Event],
    timerefs: Sequence[TimeRef],
    article: Article,
    lex: Lexicon,
) -> str | None:
    """When the claim was made, from the closest evidence: a date in its own sentence; else the date of
    the same statement told again elsewhere in the article ("confirmed it has been sending troops" in
    the lead, "only formally confirmed its involvement on April 28" further down); else the date
    nearest the speech in its paragraph. None leaves the publication day to stand for it."""
    published = article.published.date().isoformat() if article.published else None
    anchor = act.idx if act is not None else sent.start_char
    return (
        _dated(timerefs, sent.start_char, sent.end_char, proposition, anchor, published)
        or _restated(act, claimant_id, events, published, lex)
        or _dated(timerefs, *_paragraph(text, sent.start_char, sent.end_char), proposition, anchor, published)
    )


def _dated(
    timerefs: Sequence[TimeRef], start: int, end: int, proposition: tuple[int, int], anchor: int, published: str | None
) -> str | None:
    """The day of the time expression in [start, end) nearest the speech act, outside the proposition
    itself and not after publication (what someone said cannot postdate the report of it; "as early
    as this Sunday" is the proposition's time even where the parse hangs it elsewhere)."""
    outside = [
        t for t in timerefs
        if start <= t.start < end
        and not (proposition[0] <= t.start < proposition[1])
        and t.type in ("DATE", "TIME") and DATE_VALUE.match(t.value)
        and (published is None or (t.earliest or t.value)[:10] <= published)
    ]
    if not outside:
        return None
    best = min(outside, key=lambda t: abs(t.start - anchor))
    match = DATE_VALUE.match(best.value)
    return match.group(0) if match else None


def _restated(act: Token | None, claimant_id: str | None, events: Sequence[Event], published: str | None, lex: Lexicon) -> str | None:
    """The date of a dated confirmation or denial by the same party elsewhere in the article."""
    lemma = act_lemma(act) if act is not None else ""
    kind = "confirm" if lemma in lex.lists["confirm_verbs"] else "deny" if lemma in lex.lists["deny_verbs"] else None
    if kind is None or claimant_id is None:
        return None
    for event in events:
        match = DATE_VALUE.match(event.date or "")
        if event.type == kind and claimant_id in event.actors and match and len(match.group(0)) == 10 and (published is None or match.group(0) <= published):
            return match.group(0)
    return None


def _paragraph(text: str, start: int, end: int) -> tuple[int, int]:
    left = text.rfind("\n", 0, start) + 1
    right = text.find("\n", end)
    return left, right if right >= 0 else len(text)
