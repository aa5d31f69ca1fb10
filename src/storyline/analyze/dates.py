"""Time expressions of one article, resolved against its publication date and the tense around them.

Candidates are spaCy's DATE/TIME entities plus the expressions the small model tends to miss ("now",
"recently", "Friday evening", "weekly"). Each is normalised by `timenorm`; the clause's tense decides
which side of publication a weekday or a year-less date falls on.
"""

from __future__ import annotations

import re
from datetime import date

from spacy.tokens import Doc, Span, Token

from storyline.analyze import timenorm
from storyline.analyze.nlp import text as doc_text
from storyline.model import Article, TimeRef

_MISSED = re.compile(
    r"\b(?<!as )(?:now|currently|recently|nowadays|lately|"
    r"the (?:near |distant )?future|today|tonight|yesterday|tomorrow|overnight|"
    r"(?:(?:early|late|last|this|next) )?(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)days?"
    r"(?: (?:morning|afternoon|evening|night)s?)?|"
    r"(?:this|last|yesterday|tomorrow) (?:morning|afternoon|evening|night)|"
    r"(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.? \d{1,2}(?:, \d{4})?|"
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
    r" \d{1,2}(?:, \d{4})?|"
    r"\d{1,2}(?::\d\d)? ?[ap]\.m\.|\d{1,2}:\d\d ?[ap]m\b|noon|midnight|"
    r"daily|weekly|monthly|annually|yearly|quarterly|hourly)(?!\w)",
    re.IGNORECASE,
)
_YEAR_AFTER = re.compile(r"\b(?:[Ii]n|[Ss]ince|by|until|from|before|after|during|of|early|late|mid-) "
                         r"((?:1[89]|20)\d\d)\b(?![.,]?\d)")
_ADVERB_ONLY = frozenset({"now", "lately", "daily", "weekly", "nowadays",
                          "monthly", "annually", "yearly", "quarterly", "hourly", "recently", "currently"})
_LATER = re.compile(r"\b((?:second|minute|hour|day|night|week|month|year|decade)s?) (?:later|after|afterwards?)$",
                    re.IGNORECASE)
""""Three days later" counts from another event, not from publication: keep the duration only."""
_SPLIT = re.compile(r"\s*(?:\band\b|\bor\b|\bto\b|\bthrough\b|\buntil\b|-|\u2013|,)\s*")
_NOT_TIME = re.compile(r"\b(?:old|aged?)\b|^(?!(?:1\d|20)\d\d$)\d+(?:\.\d+)?%?$|\bpercent\b", re.IGNORECASE)

_FUTURE_AUX = frozenset({"will", "'ll", "shall", "wo"})
_WEAK_MODALS = frozenset({"would", "could", "may", "might", "should", "must", "can", "ca"})
_PLAN_HEADS = frozenset({"plan", "expect", "intend", "schedule", "aim", "hope", "want", "prepare", "go",
                         "set", "due", "likely", "seek", "try", "propose", "threaten", "vow", "promise",
                         "agree", "decide", "begin", "start", "move", "ready", "poised", "able",
                         "warn", "need", "urge", "call", "ask"})
_HEDGES = frozenset({"potentially", "possibly", "perhaps", "probably", "likely"})
"""Adverbs that, hedging the time phrase itself ("potentially as early as this Sunday", "possibly next
week"), mark a time not yet come, whatever the tense of the verb the phrase hangs from."""
_SCHEDULE = frozenset({"plan", "schedule", "expect", "slate", "intend"})
"""Verbs whose object lies ahead even in the past tense ("protesters planned a rally on Saturday");
only the pluperfect ("had been scheduled to expire Friday") puts it behind."""


_QUARTER_REACH = 600
"""How many characters a mentioned quarter stays the topic for "a year earlier" and "the period"."""


_SAME_QUARTER = re.compile(r"(?:the|this|that|the same) (?:fiscal )?quarter", re.IGNORECASE)
_YEAR_BACK = re.compile(r"\b(?:a year (?:ago|earlier|before)|last year|year-ago|year-earlier|"
                        r"the (?:previous|prior) year)\b", re.IGNORECASE)


def extract(doc: Doc, article: Article) -> list[TimeRef]:
    """Every time expression of the article with its TIMEX3 value; unreadable candidates are dropped."""
    anchor = article.published.date() if article.published else None
    refs: list[TimeRef] = []
    last_quarter: str | None = None
    quarter_at = -_QUARTER_REACH
    for span in sorted(_candidates(doc), key=lambda s: s.start):
        for ref in _resolve(span, article.id, anchor):
            recent = last_quarter if ref.start - quarter_at <= _QUARTER_REACH else None
            resolved = _in_context(ref, span, anchor, recent)
            if re.fullmatch(r"\d{4}-Q\d", resolved.value) and not _YEAR_BACK.search(ref.text):
                last_quarter, quarter_at = resolved.value, resolved.end
            refs.append(resolved)
    return refs


def _in_context(ref: TimeRef, span: Span, anchor: date | None, last_quarter: str | None) -> TimeRef:
    """Financial news counts in quarters: "the quarter" is the one just discussed, and "a year
    earlier" next to a quarter means that quarter a year before."""
    if anchor is None:
        return ref
    if _SAME_QUARTER.fullmatch(ref.text) and last_quarter:
        res = timenorm.quarter(int(last_quarter[:4]), int(last_quarter[-1]))
        return _ref(ref.article_id, ref.start, ref.end, ref.text, res)
    period = re.fullmatch(r"(?:the )?(\d{4}) (?:period|quarter)", ref.text, re.IGNORECASE)
    if period and last_quarter:
        res = timenorm.quarter(int(period.group(1)), int(last_quarter[-1]))
        return _ref(ref.article_id, ref.start, ref.end, ref.text, res)
    if re.fullmatch(r"\d{4}", ref.value) and _YEAR_BACK.search(ref.text) and (
            "quarter" in span.sent.text.lower() or (last_quarter and not ref.text.lower().endswith("last year"))):
        if last_quarter:
            y, q = int(last_quarter[:4]) - 1, int(last_quarter[-1])
        else:
            previous = (anchor.month - 1) // 3
            y, q = (anchor.year - 1, previous) if previous else (anchor.year - 2, 4)
        return _ref(ref.article_id, ref.start, ref.end, ref.text, timenorm.quarter(y, q))
    return ref


def _candidates(doc: Doc) -> list[Span]:
    spans = [_extend(ent) for ent in doc.ents if ent.label_ in ("DATE", "TIME")]
    taken = [(s.start_char, s.end_char) for s in spans]
    text = doc_text(doc)
    matches = [m.span() for m in _MISSED.finditer(text)] + [m.span(1) for m in _YEAR_AFTER.finditer(text)]
    for start, end in matches:
        if any(start < e and s < end for s, e in taken):
            continue
        span = doc.char_span(start, end, alignment_mode="expand")
        if span is None:
            continue
        if text[start:end].lower() in _ADVERB_ONLY and span.root.pos_ != "ADV":
            continue
        spans.append(span)
        taken.append((start, end))
    return spans


_TAIL = re.compile(r"(?:-(?:ago|earlier|end)(?: period| quarter)?| (?:period|quarter)\b)", re.IGNORECASE)


def _extend(span: Span) -> Span:
    """Take in what the model left outside: a part of day ("Friday" + "evening"), the rest of
    "the year-ago period", "year-end", "the 1988 period"."""
    doc = span.doc
    if span.end < len(doc) and doc[span.end].lower_ in timenorm.PARTS:
        return doc[span.start:span.end + 1]
    tail = _TAIL.match(doc_text(doc), span.end_char)
    if tail:
        wider = doc.char_span(span.start_char, tail.end(), alignment_mode="expand")
        if wider is not None:
            return wider
    return span


def _resolve(span: Span, article_id: str, anchor: date | None) -> list[TimeRef]:
    text = span.text
    if _NOT_TIME.search(text):
        return []
    if len(span) == 1 and span[0].lower_ in timenorm.ADVERBS and span[0].dep_ == "amod":
        return []
    direction = tense(span)
    start = span.start_char
    trimmed = re.sub(r"(?:'s|\u2019s|[\s,.;:])+$", "", text)
    trimmed = _LATER.sub(r"\1", trimmed)
    res = timenorm.normalise(trimmed, anchor, direction)
    if res is not None:
        return [_ref(article_id, start, start + len(trimmed), trimmed, res)]
    parts = _parts(trimmed, anchor, direction)
    if len(parts) > 1:
        return [_ref(article_id, start + where, start + where + len(part), part, res) for where, part, res in parts]
    words = list(re.finditer(r"\S+", trimmed))
    for word in words[1:]:
        rest = trimmed[word.start():]
        if " " not in rest and timenorm.clean(rest) in timenorm.UNIT_CODES:
            break
        res = timenorm.normalise(rest, anchor, direction)
        if res is not None:
            return [_ref(article_id, start + word.start(), start + len(trimmed), rest, res)]
    return [_ref(article_id, start + where, start + where + len(part), part, res) for where, part, res in parts]


def _parts(text: str, anchor: date | None, direction: int) -> list[tuple[int, str, timenorm.Resolved]]:
    """The expressions inside a coordination or range the model tagged as one ("Saturday to Sunday")."""
    found = []
    offset = 0
    for part in _SPLIT.split(text):
        where = text.find(part, offset)
        offset = where + len(part)
        res = timenorm.normalise(part, anchor, direction) if part and len(part) < len(text) else None
        if res is not None:
            found.append((where, part, res))
    return found


def _ref(article_id: str, start: int, end: int, text: str, res: timenorm.Resolved) -> TimeRef:
    return TimeRef(article_id=article_id, start=start, end=end, text=text, type=res.type, value=res.value,
                   earliest=res.earliest, latest=res.latest)


def tense(span: Span) -> int:
    """Whether the clause governing `span` speaks of the past (-1), the future (1) or cannot tell (0).

    The dependency parse decides when it reaches a verb inside the paragraph; otherwise (a headline
    glued to the first paragraph, no verb) the nearest tense-bearing word before `span` does.
    """
    found = _syntactic(span)
    return found if found is not None else _lexical(span)


def _same_paragraph(a: Token, b: Token) -> bool:
    low, high = sorted((a, b), key=lambda token: token.i)
    return doc_text(a.doc).find("\n", low.idx, high.idx + len(high)) < 0


def _lexical(span: Span) -> int:
    doc = span.doc
    for token in reversed(doc[max(span.start - 12, span.sent.start):span.start]):
        if "\n" in token.text or token.text in (".", ";"):
            return 0
        if token.lower_ in _FUTURE_AUX or token.lower_ in _WEAK_MODALS or (
                token.lemma_.lower() in _PLAN_HEADS and token.tag_ in ("VBZ", "VBP", "VBG")):
            return 1
        if token.tag_ == "VBD":
            return -1
    return 0


def _is_past(verb: Token) -> bool:
    aux = [c for c in verb.children if c.dep_ in ("aux", "auxpass")]
    if verb.tag_ == "VBD" or any(a.tag_ == "VBD" for a in aux):
        return True
    return verb.tag_ == "VBN" and any(a.lower_ in ("has", "have", "had", "'s", "'ve") for a in aux)


def _syntactic(span: Span) -> int | None:
    """The tense from the parse, None when no verb governs `span` within its paragraph."""
    verb: Token | None = span.root
    while verb is not None and verb.pos_ not in ("VERB", "AUX"):
        if any(c.dep_ == "advmod" and c.lower_ in _HEDGES for c in verb.children):
            return 1
        verb = verb.head if verb.head.i != verb.i else None
    if verb is None or not _same_paragraph(verb, span.root):
        return None
    for _ in range(3):
        aux = [c for c in verb.children if c.dep_ in ("aux", "auxpass")]
        words = {a.lower_ for a in aux}
        if words & _FUTURE_AUX or any(c.lower_ == "going" for c in aux):
            return 1
        if words & _WEAK_MODALS:
            # "may deploy" looks ahead; "could not be reached", "may have been" report the past
            return 1 if not words & {"have", "be", "been"} and not any(a.dep_ == "auxpass" for a in aux) else -1
        if verb.lemma_ in _SCHEDULE:
            return -1 if "had" in words else 1
        if verb.lemma_ == "go" and verb.tag_ == "VBG" and any(c.dep_ == "xcomp" for c in verb.children):
            return -1 if _is_past(verb) else 1
        if _is_past(verb) or (verb.tag_ == "VBN" and verb.dep_ in ("acl", "relcl")):
            return -1
        if verb.tag_ == "VB" and verb.dep_ in ("xcomp", "ccomp", "advcl", "conj") and verb.head.i != verb.i:
            head = verb.head
            if head.lemma_ in _SCHEDULE and head.pos_ == "VERB":
                return -1 if any(c.lower_ == "had" for c in head.children) else 1
            if head.lemma_ in _PLAN_HEADS:
                governing = head if head.pos_ in ("VERB", "AUX") else head.head
                below = [c for c in head.children if c.dep_ in ("aux", "auxpass", "cop")]
                past = _is_past(governing) or any(c.tag_ == "VBD" for c in below)
                return -1 if past else 1
            verb = head
            continue
        if verb.tag_ in ("VBZ", "VBP") and verb.dep_ == "ROOT" and verb.lemma_ in _PLAN_HEADS:
            return 1
        return 0
    return 0
