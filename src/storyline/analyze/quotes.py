"""Who said what: direct quotations and reported speech, each tied to a speaker entity.

A *frame* is one act of saying found in the parse: a cue ("said", "warned", "a warning that",
"according to"), its speaker and, when the cue takes a reported clause, that clause. Quotation marks are
found on the raw text, independently of the parse, and each quotation is then attached to the frame that
governs it. Two conventions follow from this and are relied on downstream:

- a quotation interrupted by its cue ("“A,” she said, “B.”") yields two direct Quotes sharing the same
  cue span and speaker; so does reported speech that embeds quoted words ("X said the troops were sent
  to “annihilate …”"), which yields an indirect Quote for the clause and a direct one for the words
  (just the direct one when the quotation is nearly all of the clause). Quotes with the same cue span
  are one attribution. A quotation right after an attributed one ("“A,” she said. “B.”") or opening
  the next paragraph continues it, with the same cue.
- a quotation with no cue nearby is still a Quote (scare quotes), with speaker and cue None, unless it
  reads like a title.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy
from spacy.attrs import LOWER, ORTH, POS
from spacy.parts_of_speech import NOUN, VERB
from spacy.tokens import Doc, Span, Token

from storyline.analyze.context import EntityIndex
from storyline.analyze.cues import CueLexicon
from storyline.analyze.cues import load as load_cues
from storyline.analyze.nlp import text as doc_text
from storyline.model import Article, Entity, Mention, Quote, QuoteKind

_OPENING = "“«"
_CLOSING = "”»"
_OPEN_CONTEXT = " \t\n([{—–-/"
_MARKS = re.compile(f"[{_OPENING}{_CLOSING}\"‘’\n\u2060]")
"""The characters `quotation_spans` acts on; it steps from one to the next, since any other leaves its
state as it was (scanning every character took half of its time)."""
_STRIPPED = " \t\n,;:."
_SUBJECT_DEPS = ("nsubj",)
_INHERIT_SUBJECT_DEPS = ("conj", "advcl", "xcomp", "pcomp", "prep")
_SPEAKER_NP_DEPS = frozenset(
    {"det", "compound", "amod", "poss", "nmod", "nummod", "flat", "case", "prep", "pobj", "cc", "conj",
     "quantmod", "predet"}
)
_RELATIVE_PRONOUNS = frozenset({"who", "that", "which"})
_PERSON_PRONOUNS = frozenset({"he", "she", "him", "her"})
_GROUP_PRONOUNS = frozenset({"they", "it", "we"})
_PERSON_TYPES = frozenset({"PERSON", "PER"})
_ROLE_NOUNS = frozenset(
    {"spokesperson", "spokesman", "spokeswoman", "spokespeople", "official", "representative", "aide",
     "ministry", "department", "government", "office", "agency", "administration", "embassy", "military",
     "army", "statement", "spokespersons"}
)
_ADDRESSEE_VERBS = frozenset({"tell", "ask", "remind", "assure", "brief", "urge", "warn", "thank", "inform"})
_CONTENT_PREPOSITIONS = frozenset({"for", "about", "on", "of"})
_SPEAKER_BREAKS = frozenset({"–", "—", "--", "(", ")", ":", ";", "|"})
_NOT_CONTENT_ENTITIES = frozenset({"DATE", "TIME"})
_PERFORMED = frozenset({"force", "compel", "oblige", "make", "begin", "start", "continue", "proceed", "rush", "hasten", "go",
                        "take"})
"""Verbs under which an infinitive speech act does take place ("was forced to admit")."""
OBLIGING = frozenset({"force", "compel", "oblige", "require", "press", "pressure"})
"""Verbs whose passive subject speaks the infinitive below them ("North Korea was forced to admit")."""
_PRONOUN_WINDOW = 800
_ROLE_WINDOW = 1500
_TREE_DEPTH = 4


@dataclass
class _Frame:
    """One act of saying: cue, speaker head token and the reported clause's character range."""

    cue_start: int
    cue_end: int
    speaker: Token | None
    content: tuple[int, int] | None = None


@dataclass
class _Attribution:
    """A quote before its speaker is resolved to an entity."""

    kind: QuoteKind
    content: tuple[int, int]
    outer: tuple[int, int]
    frame: _Frame | None
    speaker_span: tuple[int, int] | None = None
    entity: Entity | None = None


def extract(doc: Doc, article: Article, index: EntityIndex) -> list[Quote]:
    """All direct and indirect quotes of one article, in document order."""
    lexicon = load_cues()
    text = doc_text(doc)
    marked = quotation_spans(text)
    frames = _frames(doc, lexicon, marked)
    by_token = {f.cue_start: f for f in frames}
    attributions: list[_Attribution] = []
    previous: tuple[int, _Frame] | None = None
    for start, end in marked:
        frame = _frame_for_quotation(doc, start, end, frames, by_token, marked)
        if frame is None and previous is not None and _continues_speech(text, previous, start):
            frame = previous[1]
        if frame is None and _looks_like_title(text[start:end]):
            continue
        previous = (end, frame) if frame is not None else None
        outer = (start - 1, min(end + 1, len(text)))
        attributions.append(_Attribution("direct", (start, end), outer, frame))
    for frame in frames:
        if frame.content is None or _quoted_share(frame.content, marked) >= 0.8:
            continue
        attributions.append(_Attribution("indirect", frame.content, frame.content, frame))
    _resolve_speakers(doc, index, attributions, marked)
    quotes = [_to_quote(article.id, text, a) for a in attributions]
    return sorted(quotes, key=lambda q: (q.start, q.content_start, q.kind))


def quotation_spans(text: str) -> list[tuple[int, int]]:
    """Character ranges of quoted words (marks excluded), in order.

    A quotation left open at the end of a paragraph continues into the next one when that paragraph
    opens with a quotation mark (the usual convention) or closes a quotation before opening any (what
    remains when a cleaner cuts a stray line out of a quote); otherwise it ends with its paragraph.
    """
    spans: list[tuple[int, int]] = []
    double_at: int | None = None
    single_at: int | None = None
    text = text.replace("''", '"\u2060')
    for found in _MARKS.finditer(text):
        i, ch = found.start(), found.group()
        if ch == "\u2060" and double_at == i:
            double_at = i + 1
        if ch == "\n":
            single_at = None
            if double_at is not None and not _continues(text, i):
                _add_span(text, spans, double_at, i)
                double_at = None
            continue
        role = _double_role(text, i, double_at is not None)
        if role == "open":
            if double_at is None:
                double_at = i + 1
                single_at = None
            elif not _opens_paragraph(text, i):
                _add_span(text, spans, double_at, i)
                double_at = i + 1
        elif role == "close" and double_at is not None:
            _add_span(text, spans, double_at, i)
            double_at = None
        elif double_at is None:
            if ch == "‘" and (i == 0 or text[i - 1] in _OPEN_CONTEXT):
                single_at = i + 1
            elif ch == "’" and single_at is not None and (i + 1 == len(text) or not text[i + 1].isalnum()):
                _add_span(text, spans, single_at, i)
                single_at = None
    if double_at is not None:
        _add_span(text, spans, double_at, len(text))
    return spans


def _double_role(text: str, i: int, is_open: bool) -> str | None:
    """Curly marks say which way they face; a straight one opens after a space and closes otherwise.
    Two apostrophes ('') stand for a straight mark, written as a mark and a word joiner."""
    ch = text[i]
    if ch in _OPENING:
        return "open"
    if ch in _CLOSING:
        return "close"
    if ch != '"':
        return None
    before = text[i - 1] if i else " "
    after_at = i + 2 if i + 1 < len(text) and text[i + 1] == "\u2060" else i + 1
    after = text[after_at] if after_at < len(text) else " "
    if before.isalnum() and after.isalnum():
        return None
    if before in _OPEN_CONTEXT and not after.isspace():
        return "open"
    if after.isspace() and before.isspace():
        return "close" if is_open else "open"
    return "close" if is_open else "open"


def _opens_paragraph(text: str, i: int) -> bool:
    line_start = text.rfind("\n", 0, i) + 1
    return not text[line_start:i].strip()


def _continues(text: str, newline: int) -> bool:
    """Whether a quotation open at this paragraph break goes on in the next paragraph."""
    start = newline
    while start < len(text) and text[start].isspace():
        start += 1
    if start == len(text):
        return False
    end = text.find("\n", start)
    line = text[start : end if end >= 0 else len(text)]
    if line[0] in _OPENING or line[0] == '"':
        return True
    for j, ch in enumerate(line):
        if ch in _OPENING:
            return False
        if ch in _CLOSING:
            return True
        if ch == '"':
            return j > 0 and not line[j - 1].isspace()
    return False


def _add_span(text: str, spans: list[tuple[int, int]], start: int, end: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append((start, end))


def _continues_speech(text: str, previous: tuple[int, _Frame], start: int) -> bool:
    """A quotation right after an attributed one, with only that one's cue clause between, or opening
    the next paragraph, goes on with the same speaker ("“A,” she said. “B.”")."""
    previous_end, frame = previous
    between = text[previous_end + 1 : start - 1]
    if "\n" in between.strip():
        return False
    if "\n" in between:
        return not between.rsplit("\n", 1)[1].strip()
    return len(between) <= 250 and previous_end < frame.cue_start < start


def _looks_like_title(content: str) -> bool:
    """Short quoted names of works or programmes ("The Apprentice") are not speech."""
    words = content.split()
    return 0 < len(words) <= 6 and all(w[0].isupper() or not w[0].isalpha() for w in words)


def _inside(pos: int, spans: Sequence[tuple[int, int]]) -> bool:
    return any(s - 1 <= pos < e + 1 for s, e in spans)


def _inside_mask(spans: Sequence[tuple[int, int]], length: int) -> bytearray:
    """`_inside` for every position below `length` at once, where each token is asked in turn: a
    scan of every quotation per token was a third of finding the cues."""
    mask = bytearray(length)
    for s, e in spans:
        low, high = max(s - 1, 0), min(e + 1, length)
        if high > low:
            mask[low:high] = b"\x01" * (high - low)
    return mask


def _quoted_share(span: tuple[int, int], marked: Sequence[tuple[int, int]]) -> float:
    start, end = span
    covered = sum(max(0, min(end, e) - max(start, s)) for s, e in marked)
    return covered / max(1, end - start)


def _frames(doc: Doc, lexicon: CueLexicon, marked: Sequence[tuple[int, int]]) -> list[_Frame]:
    """Every cue outside quotation marks, with its speaker and reported clause where the parse has one."""
    frames: list[_Frame] = []
    inside = _inside_mask(marked, len(doc_text(doc)))
    for tok in (doc[i] for i in _cue_candidates(doc)):
        if inside[tok.idx]:
            continue
        lemma = tok.lemma_.lower()
        if tok.pos_ == "VERB" and (lemma in lexicon.verbs or _introduces_quotation(tok, marked)):
            if _so_called(doc, tok) or _unsaid(tok, marked):
                continue
            speaker = _subject(tok)
            objects = speaker is not None and lemma not in lexicon.clause_only
            content = _verb_content(doc, tok, objects=objects)
            frames.append(_Frame(tok.idx, tok.idx + len(tok), speaker, content))
        elif tok.lower_ == "according" and tok.i + 1 < len(doc) and doc[tok.i + 1].lower_ == "to":
            frame = _according_to(doc, tok)
            if frame is not None:
                frames.append(frame)
        elif (
            tok.pos_ == "NOUN"
            and lemma in lexicon.nouns
            and _that_clause_follows(doc, tok)
            and not _governed_by_cue(tok, lexicon)
        ):
            content = _clip((doc[tok.i + 2].idx, _segment_end(doc, tok)), doc, tok)
            frames.append(_Frame(tok.idx, tok.idx + len(tok), _noun_owner(tok), content))
        elif tok.text == ":" and (speaker := _headline_speaker(doc, tok, marked)) is not None:
            frames.append(_Frame(tok.idx, tok.idx + 1, speaker))
    return frames


def _cue_candidates(doc: Doc) -> list[int]:
    """The tokens `_frames` can take a cue from (a verb, a noun, "according", a colon), in order: the
    rest of an article need not be asked for anything."""
    pos, lower, orth = doc.to_array([POS, LOWER, ORTH]).T
    strings = doc.vocab.strings
    wanted = (pos == VERB) | (pos == NOUN) | (lower == strings["according"]) | (orth == strings[":"])
    return numpy.flatnonzero(wanted).tolist()


def _headline_speaker(doc: Doc, colon: Token, marked: Sequence[tuple[int, int]]) -> Token | None:
    """ "Bolton: ‘Clinton’s slogan …’": a short name opening a line, a colon, then a quotation."""
    if colon.i + 1 >= len(doc) or not _inside(doc[colon.i + 1].idx, marked):
        return None
    line_start = doc_text(doc).rfind("\n", 0, colon.idx) + 1
    before = [t for t in doc[max(0, colon.i - 6) : colon.i] if t.idx >= line_start]
    if not before or before[0].idx != line_start or len(before) > 5:
        return None
    names = [t for t in before if t.pos_ == "PROPN"]
    return names[-1] if names else None


def _introduces_quotation(verb: Token, marked: Sequence[tuple[int, int]]) -> bool:
    """Any verb with a subject whose clausal complement is quoted, or that a colon joins to a
    quotation, speaks it ("“…,” he joked", "Trump shot back: “…”").

    The quotation is looked for before the subject: most verbs frame none, and finding a subject is
    the costlier question."""
    return _quotation_follows(verb, marked) and _subject(verb) is not None


def _quotation_follows(verb: Token, marked: Sequence[tuple[int, int]]) -> bool:
    if any(c.dep_ == "ccomp" and _inside(c.idx, marked) for c in verb.children):
        return True
    doc = verb.doc
    for tok in doc[verb.i + 1 : min(verb.i + 4, len(doc) - 1)]:
        if tok.text == ":":
            return _inside(doc[tok.i + 1].idx, marked)
        if tok.pos_ not in ("ADP", "ADV", "PART"):
            return False
    return False


def unsaid(act: Token) -> bool:
    """ "North Korea did not say how many soldiers it had sent", "has not confirmed", "urged Putin to
    deny that he would attack", "has yet to confirm": a negated or merely wanted speech act vouches for
    nothing, so what it governs is nobody's claim."""
    if any(c.dep_ == "neg" for c in act.children):
        return True
    wanted = any(c.dep_ == "aux" and c.lower_ == "to" for c in act.children)
    return wanted and act.head.lemma_.lower() not in _PERFORMED


def _unsaid(verb: Token, marked: Sequence[tuple[int, int]]) -> bool:
    """A negated or merely wanted cue reports nothing, unless it still frames quoted words."""
    return unsaid(verb) and not _introduces_quotation(verb, marked)


def _so_called(doc: Doc, tok: Token) -> bool:
    return tok.i >= 2 and doc[tok.i - 1].text == "-" and doc[tok.i - 2].lower_ == "so"


def _subject(verb: Token) -> Token | None:
    """The speaker of a cue verb; participles and conjoined verbs borrow their governor's subject.

    The parser runs sentences across line breaks (a live blog's "4:40 p.m." line, a headline), so a
    subject found on another line is replaced by the noun phrase just before the cue on its own line.
    """
    found = _parsed_subject(verb)
    if found is not None and (found.is_punct or found.is_space):
        return None
    if found is not None and _is_time(found):
        return _phrase_before(verb)
    if found is None or _same_line(found, verb):
        return found
    return _phrase_before(verb)


def _is_time(tok: Token) -> bool:
    """A weekday or time expression ("on Monday", "Tuesday evening") says when, never who."""
    return tok.ent_type_ in _NOT_CONTENT_ENTITIES


def _parsed_subject(verb: Token) -> Token | None:
    current = _reporter(verb) or verb
    for _ in range(_TREE_DEPTH):
        for child in current.children:
            if child.dep_ in _SUBJECT_DEPS or child.dep_ == "nsubjpass" and current is not verb and current.lemma_.lower() in OBLIGING:
                if child.lower_ in _RELATIVE_PRONOUNS and current.dep_ == "relcl":
                    return current.head
                return child
            if child.dep_ == "agent":
                objects = [c for c in child.children if c.dep_ == "pobj"]
                return objects[0] if objects else None
        if current.dep_ not in _INHERIT_SUBJECT_DEPS or current.head.i == current.i:
            return None
        current = current.head
    return None


def _reporter(verb: Token) -> Token | None:
    """ "Zelenskyy said the partnership had moved on, warning that …": the parser hangs the participle
    on the reported clause, but it is the reporter who warns, so it takes the cue verb above that clause."""
    if verb.tag_ != "VBG" or verb.dep_ != "advcl":
        return None
    clause = verb.head
    if clause.dep_ == "ccomp" and clause.head.i != clause.i and clause.head.lemma_.lower() in load_cues().verbs:
        return clause.head
    return None


def _same_line(a: Token, b: Token) -> bool:
    lo, hi = sorted((a.idx, b.idx))
    return "\n" not in doc_text(a.doc)[lo:hi]


def _phrase_before(verb: Token) -> Token | None:
    """The head of the noun phrase ending right before the cue on the cue's line, if any, looking past
    adjuncts of time and manner between them ("North Korea on Monday confirmed", "Kyiv, in a
    statement, said")."""
    chunks = {chunk.end: chunk for chunk in verb.doc.noun_chunks}
    i = verb.i
    while i > 0 and _same_line(verb.doc[i - 1], verb):
        chunk = chunks.get(i) or chunks.get(i - 1)
        if chunk is not None and not _is_time(chunk.root) and (
            chunk.root.dep_ != "pobj" or not _same_line(chunk.root.head, chunk.root)
        ):
            return chunk.root
        before = verb.doc[i - 1]
        if chunk is not None:
            i = chunk.start
        elif before.pos_ in ("ADP", "ADV", "PUNCT", "DET", "NUM") or _is_time(before):
            i -= 1
        else:
            return None
    return None


def _noun_owner(noun: Token) -> Token | None:
    """Who issued "a warning that …": the possessor, else the subject of the governing verb."""
    for child in noun.children:
        if child.dep_ == "poss":
            return child
    if noun.dep_ in ("dobj", "pobj", "attr", "conj") and noun.head.i != noun.i:
        governor = noun.head
        if governor.dep_ == "prep" and governor.head.i != governor.i:
            governor = governor.head
        return _subject(governor) if governor.pos_ in ("VERB", "AUX") else None
    return None


def _governed_by_cue(noun: Token, lexicon: CueLexicon) -> bool:
    """ "noted in a statement that …": the verb is the cue, the noun only says how it was said."""
    governor = noun.head.head if noun.head.dep_ == "prep" else noun.head
    return governor.i != noun.i and governor.pos_ == "VERB" and governor.lemma_.lower() in lexicon.verbs


def _that_clause_follows(doc: Doc, noun: Token) -> bool:
    if noun.i + 2 >= len(doc) or doc[noun.i + 1].lower_ != "that":
        return False
    after = doc[noun.i + 2]
    return after.pos_ not in ("AUX", "VERB", "PUNCT") and "\n" not in after.text


def _verb_content(doc: Doc, verb: Token, *, objects: bool) -> tuple[int, int] | None:
    """The reported clause: the cue's clausal complement, or what it governs when the parse inverts.
    With `objects`, what was condemned or called for counts too; it is off for thinking verbs and for
    cues without a speaker ("to support Ukraine"), where an object is no report of anything."""
    for child in verb.children:
        if child.dep_ == "ccomp":
            start = child.left_edge
            if start.lower_ in ("that", ":") and start.i < child.i:
                start = doc[start.i + 1]
            return _clip((start.idx, _token_end(child.right_edge)), doc, verb)
    for child in verb.children:
        clause = adjunct_clause(child) if child.i > verb.i else None
        if clause is not None:
            that = next(t for t in clause.children if t.lower_ == "that" and t.i < clause.i)
            return _clip((doc[that.i + 1].idx, _token_end(clause.right_edge)), doc, verb)
    if verb.dep_ in ("parataxis", "ccomp") and verb.head.i < verb.i:
        speaker = _subject(verb)
        stop = speaker.left_edge.idx if speaker is not None and speaker.i < verb.i else verb.idx
        return _clip((verb.head.left_edge.idx, stop), doc, verb)
    following = doc[verb.i + 1] if verb.i + 1 < len(doc) else None
    if following is not None and following.text == ":" and following.i + 1 < len(doc):
        return _clip((doc[following.i + 1].idx, _segment_end(doc, verb)), doc, verb)
    return _object_content(doc, verb) if objects else None


def adjunct_clause(prep: Token) -> Token | None:
    """The reported clause the parser hung on an adjunct's noun: "confirmed for the first time that it
    had sent troops", "said in a statement that …" parse the clause as a relative clause of "time" or
    "statement", but its "that" is a complementiser, not a relative pronoun, so the clause is what the
    verb reports. None when the adjunct has no such clause."""
    if prep.dep_ != "prep":
        return None
    for obj in prep.children:
        if obj.dep_ != "pobj":
            continue
        for clause in obj.children:
            if clause.dep_ in ("relcl", "acl") and any(
                t.lower_ == "that" and t.dep_ in ("mark", "advmod") and t.i < clause.i for t in clause.children
            ):
                return clause
    return None


def _object_content(doc: Doc, verb: Token) -> tuple[int, int] | None:
    """What is vowed, condemned or called for when no clause is reported: "vowed to fight",
    "condemned the strike", "called for a ceasefire". Addressees ("told reporters") are not content."""
    children = list(verb.children)
    for deps in (("xcomp",), ("dobj",), ("prep",)):
        for child in children:
            if child.dep_ not in deps or child.i < verb.i:
                continue
            if child.dep_ == "dobj" and verb.lemma_.lower() in _ADDRESSEE_VERBS:
                continue
            if child.dep_ == "prep" and child.lower_ not in _CONTENT_PREPOSITIONS:
                continue
            if child.ent_type_ in _NOT_CONTENT_ENTITIES:
                continue
            start = doc[child.i + 1] if child.dep_ == "prep" and child.i + 1 < len(doc) else child.left_edge
            return _clip((start.idx, _token_end(child.right_edge)), doc, verb)
    return None


def _according_to(doc: Doc, according: Token) -> _Frame | None:
    """ "According to X, …" and "…, according to X": the reported clause is the rest of the sentence."""
    to = doc[according.i + 1]
    objects = [c for c in to.children if c.dep_ == "pobj"]
    if not objects:
        return None
    source = objects[0]
    phrase_end = _token_end(source.right_edge)
    sentence = _segment(doc, according)
    before = (sentence[0], according.idx)
    after = (phrase_end, sentence[1])
    content = after if after[1] - after[0] > before[1] - before[0] else before
    return _Frame(according.idx, _token_end(to), source, _clip(content, doc, according))


def _token_end(tok: Token) -> int:
    return tok.idx + len(tok)


def _segment(doc: Doc, tok: Token) -> tuple[int, int]:
    """The token's sentence cut to its paragraph, since the parser runs sentences over line breaks."""
    text = doc_text(doc)
    sent = tok.sent
    line_start = text.rfind("\n", 0, tok.idx) + 1
    line_end = text.find("\n", tok.idx)
    line_end = len(text) if line_end < 0 else line_end
    return max(sent.start_char, line_start), min(sent.end_char, line_end)


def _segment_end(doc: Doc, tok: Token) -> int:
    return _segment(doc, tok)[1]


def _clip(span: tuple[int, int], doc: Doc, anchor: Token) -> tuple[int, int] | None:
    """Keep a reported clause inside the cue's paragraph and trim its edges of spaces and commas."""
    text = doc_text(doc)
    line_start = text.rfind("\n", 0, anchor.idx) + 1
    line_end = text.find("\n", anchor.idx)
    line_end = len(text) if line_end < 0 else line_end
    start, end = max(span[0], line_start), min(span[1], line_end)
    while start < end and text[start] in _STRIPPED:
        start += 1
    while end > start and text[end - 1] in _STRIPPED:
        end -= 1
    closing = text.find("”", end, end + 3)
    if closing >= 0 and text.count("“", start, end) > text.count("”", start, end):
        end = closing + 1
    return (start, end) if end - start > 1 else None


def _frame_for_quotation(
    doc: Doc,
    start: int,
    end: int,
    frames: Sequence[_Frame],
    by_token: dict[int, _Frame],
    marked: Sequence[tuple[int, int]],
) -> _Frame | None:
    """The act of saying a quotation belongs to: by the parse first, then by position in its sentences."""
    span = doc.char_span(start, end, alignment_mode="expand")
    if span is None or len(span) == 0:
        return None
    found = _frame_by_tree(span, start, end, by_token)
    if found is not None:
        return found
    for frame in frames:
        if frame.content is not None and frame.content[0] <= start and end <= frame.content[1]:
            return frame
    return _frame_by_position(doc, span, start, end, frames, marked)


def _frame_by_tree(span: Span, start: int, end: int, by_token: dict[int, _Frame]) -> _Frame | None:
    best: tuple[int, _Frame] | None = None
    for tok in span:
        if tok.is_punct:
            continue
        head = tok
        while start - 1 <= head.idx < end + 1 and head.head.i != head.i:
            head = head.head
        if start - 1 <= head.idx < end + 1:
            continue
        for depth in range(_TREE_DEPTH):
            frame = by_token.get(head.idx)
            if frame is not None:
                if best is None or depth < best[0]:
                    best = (depth, frame)
                break
            if head.head.i == head.i:
                break
            head = head.head
    return best[1] if best else None


def _frame_by_position(
    doc: Doc,
    span: Span,
    start: int,
    end: int,
    frames: Sequence[_Frame],
    marked: Sequence[tuple[int, int]],
) -> _Frame | None:
    """A cue in the sentence that opens or closes the quotation, or a "X said:" just before it."""
    first_segment = _segment(doc, span[0])
    last_segment = _segment(doc, span[-1])
    best: tuple[int, _Frame] | None = None
    for frame in frames:
        if first_segment[0] <= frame.cue_end <= start:
            distance = start - frame.cue_end
        elif end <= frame.cue_start < last_segment[1] or _cue_follows(doc_text(doc), end, frame):
            distance = frame.cue_start - end
        else:
            continue
        if _quotation_between(frame, start, end, marked):
            continue
        if best is None or distance < best[0]:
            best = (distance, frame)
    if best is not None:
        return best[1]
    before = doc_text(doc)[: first_segment[0]].rstrip()
    if before.endswith(":"):
        for frame in reversed(frames):
            if frame.cue_end <= len(before) and len(before) - frame.cue_end < 200:
                return frame
    return None


def _cue_follows(text: str, end: int, frame: _Frame) -> bool:
    """ "“… missing!” Trump said.": the parser starts a new sentence after the closing mark, but a
    cue just after it on the same line, with no clause of its own, still attributes the quotation."""
    gap = text[end : frame.cue_start]
    return 0 <= len(gap) <= 60 and "\n" not in gap and frame.content is None


def _quotation_between(frame: _Frame, start: int, end: int, marked: Sequence[tuple[int, int]]) -> bool:
    lo, hi = (frame.cue_end, start) if frame.cue_end <= start else (end, frame.cue_start)
    return any(lo < s and e < hi for s, e in marked)


def _speaker_span(tok: Token) -> tuple[int, int]:
    """The speaker's noun phrase without relative clauses or appositions."""
    tokens = [tok]
    for child in tok.children:
        if child.dep_ in _SPEAKER_NP_DEPS:
            tokens.extend(child.subtree)
    text = doc_text(tok.doc)
    line_start = text.rfind("\n", 0, tok.idx) + 1
    line_end = text.find("\n", tok.idx) % (len(text) + 1)
    breaks = [t.i for t in tokens if t.i < tok.i and t.text in _SPEAKER_BREAKS]
    first = max(breaks) + 1 if breaks else 0
    tokens = [
        t for t in tokens
        if t.i == tok.i
        or (
            (not t.is_punct or t.dep_ == "case")
            and not t.is_space
            and line_start <= t.idx < line_end
            and t.i >= first
        )
    ]
    return min(t.idx for t in tokens), max(_token_end(t) for t in tokens)


def _resolve_speakers(
    doc: Doc, index: EntityIndex, attributions: list[_Attribution], marked: Sequence[tuple[int, int]]
) -> None:
    """Name each speaker, in text order so that "He added" can look back at who spoke before."""
    subjects = _subject_mentions(doc, index, marked)
    spoken: list[tuple[int, Entity]] = []
    ordered = sorted(
        (a for a in attributions if a.frame is not None and a.frame.speaker is not None),
        key=lambda a: a.frame.speaker.idx,
    )
    for attribution in ordered:
        speaker = attribution.frame.speaker
        attribution.speaker_span = _speaker_span(speaker)
        entity = _named(doc, index, speaker, attribution.speaker_span)
        lower = speaker.lower_
        if entity is None and (lower in _PERSON_PRONOUNS or lower in _GROUP_PRONOUNS):
            entity = _antecedent(index, speaker.idx, lower in _PERSON_PRONOUNS, subjects, spoken)
        elif entity is None and speaker.lemma_.lower() in _ROLE_NOUNS:
            entity = _organisation_before(index, speaker.idx, subjects, spoken)
        attribution.entity = entity
        if entity is not None:
            spoken.append((speaker.idx, entity))


def _named(doc: Doc, index: EntityIndex, speaker: Token, span: tuple[int, int]) -> Entity | None:
    """The entity the speaker phrase names: its head's mention, a modifier's ("the G7 leaders", "a
    spokesperson for the State Department"), or an apposition's. Names deeper in the phrase ("efforts
    to support Ukraine") are what the speaker is about, not who it is."""
    head_mention = index.covering(speaker.idx, _token_end(speaker))
    if head_mention is not None:
        return index.entity(head_mention.entity_id)
    modifiers = [m for m in index.in_range(*span) if m.end <= speaker.idx]
    for child in speaker.children:
        if child.dep_ == "prep" and child.lower_ in ("for", "of", "at", "from"):
            modifiers += index.in_range(child.idx, _token_end(child.right_edge))
    if modifiers:
        return index.entity(_preferred(index, modifiers).entity_id)
    related = [c for c in speaker.children if c.dep_ == "appos"]
    if speaker.dep_ == "appos":
        related.append(speaker.head)
    for other in related:
        mention = index.covering(other.idx, _token_end(other))
        if mention is not None:
            return index.entity(mention.entity_id)
    return None


def _preferred(index: EntityIndex, mentions: Sequence[Mention]) -> Mention:
    """Among several names in one speaker phrase: people first, then the last (closest to the head)."""
    people = [m for m in mentions if index.entity(m.entity_id).type in _PERSON_TYPES]
    return (people or list(mentions))[-1]


def _subject_mentions(
    doc: Doc, index: EntityIndex, marked: Sequence[tuple[int, int]]
) -> list[tuple[int, Entity]]:
    """Entities that are grammatical subjects outside quotations: the antecedents a later "he" or
    "a spokesperson" most likely points back to."""
    found: list[tuple[int, Entity]] = []
    for mention in index.mentions:
        if _inside(mention.start, marked):
            continue
        span = doc.char_span(mention.start, mention.end, alignment_mode="expand")
        if span is not None and span.root.dep_ in ("nsubj", "nsubjpass"):
            found.append((mention.start, index.entity(mention.entity_id)))
    return found


def _antecedent(
    index: EntityIndex,
    position: int,
    person: bool,
    subjects: Iterable[tuple[int, Entity]],
    spoken: Iterable[tuple[int, Entity]],
) -> Entity | None:
    """The most recent compatible speaker or subject before a pronoun."""
    best: tuple[int, Entity] | None = None
    for start, entity in [*subjects, *spoken]:
        if not position - _PRONOUN_WINDOW <= start < position:
            continue
        if (entity.type in _PERSON_TYPES) != person:
            continue
        if best is None or start > best[0]:
            best = (start, entity)
    return best[1] if best else None


def _organisation_before(
    index: EntityIndex,
    position: int,
    subjects: Iterable[tuple[int, Entity]],
    spoken: Iterable[tuple[int, Entity]],
) -> Entity | None:
    """For "a spokesperson said": the organisation last acting or speaking before it, else the last
    organisation named."""
    candidates = [
        (start, entity)
        for start, entity in [*subjects, *spoken]
        if position - _ROLE_WINDOW <= start < position and entity.type not in _PERSON_TYPES
    ]
    organisations = [c for c in candidates if c[1].type == "ORG"]
    pool = organisations or candidates
    if not pool:
        named = [
            m for m in index.mentions
            if position - _ROLE_WINDOW <= m.start < position and index.entity(m.entity_id).type == "ORG"
        ]
        return index.entity(named[-1].entity_id) if named else None
    return max(pool, key=lambda c: c[0])[1]


def _to_quote(article_id: str, text: str, attribution: _Attribution) -> Quote:
    start, end = attribution.content
    frame = attribution.frame
    bounds = [attribution.outer[0], attribution.outer[1]]
    cue = cue_start = cue_end = None
    if frame is not None:
        cue_start, cue_end = frame.cue_start, frame.cue_end
        cue = text[cue_start:cue_end]
        bounds += [cue_start, cue_end]
    speaker = speaker_start = speaker_end = None
    if attribution.speaker_span is not None:
        speaker_start, speaker_end = attribution.speaker_span
        speaker = text[speaker_start:speaker_end]
        bounds += [speaker_start, speaker_end]
    return Quote(
        article_id=article_id,
        start=min(bounds),
        end=max(bounds),
        kind=attribution.kind,
        content=text[start:end],
        content_start=start,
        content_end=end,
        speaker=speaker,
        speaker_entity_id=attribution.entity.id if attribution.entity is not None else None,
        speaker_start=speaker_start,
        speaker_end=speaker_end,
        cue=cue,
        cue_start=cue_start,
        cue_end=cue_end,
    )
