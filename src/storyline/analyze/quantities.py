"""Numbers with what they count: casualties, troop sizes, money, percentages.

Conventions (the story's number evolution compares these, so they must be stable):
- exact figures set `value`; ranges set `min` and `max`; "at least N" / "more than N" / "over N" set
  only `min` (the strict "more than" is stored as the bound itself); "up to N" / "fewer than N" set only
  `max`; "nearly N" / "almost N" set `max` and `approximate`.
- vague plurals mean "at least two of them": "dozens" → min 24, "hundreds" → min 200, "thousands" →
  min 2,000, "tens of thousands" → min 20,000; always approximate, no upper bound.
- `unit` is a currency code ("USD", "EUR", "GBP"), "percent", or a measure ("km"); plain counts leave
  it None and say what they count in `counted`.
- `counted` is the counted noun ("soldiers", "loans"); for people hurt or moved it adds the verb that
  governs them in the parse: "people killed", "people injured", "residents evacuated" (generic heads
  "others", "persons" become "people"), so casualty counts can be told apart in the same sentence.
- a figure a tally reaches ("the death toll rose to 217", "the number of people killed has risen to
  four", "as the toll passes 200") counts what the tally counts; a bare "toll" is the dead.
- numbers that are not quantities are skipped: dates and times, ordinals, ages ("eight-year-old"),
  numbers inside names ("G7", "Group of Seven"), list numbering.
"""

from __future__ import annotations

import re

import numpy
from spacy.attrs import IDX, LIKE_NUM, LOWER, POS
from spacy.parts_of_speech import NOUN
from spacy.tokens import Doc, Span, Token

from storyline.analyze import numbers
from storyline.analyze.nlp import text as doc_text
from storyline.model import Article, Quantity

CURRENCY_SYMBOLS = {"$": "USD", "us$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR", "₴": "UAH"}
CURRENCY_WORDS = {"dollar": "USD", "dollars": "USD", "usd": "USD", "euro": "EUR", "euros": "EUR", "eur": "EUR",
                  "pound": "GBP", "pounds": "GBP", "sterling": "GBP", "gbp": "GBP", "yen": "JPY",
                  "rupees": "INR", "hryvnias": "UAH", "hryvnia": "UAH", "roubles": "RUB", "rubles": "RUB",
                  "yuan": "CNY", "won": "KRW"}
MEASURES = {"km": "km", "kilometres": "km", "kilometers": "km", "kilometre": "km", "kilometer": "km",
            "miles": "mi", "mile": "mi", "metres": "m", "meters": "m", "tonnes": "t", "tons": "t",
            "barrels": "bbl", "acres": "acre", "hectares": "ha", "kg": "kg", "kilograms": "kg"}
PERCENT_WORDS = ("%", "percent", "per cent", "pct")
VAGUE_PLURALS = {"dozens": 24.0, "scores": 40.0, "hundreds": 200.0, "thousands": 2000.0,
                 "millions": 2e6, "billions": 2e9}

_LOWER = ("at least", "no fewer than", "no less than", "a minimum of", "more than", "over", "upwards of",
          "in excess of", "above", "exceeding", "at least some")
_UPPER = ("up to", "as many as", "at most", "no more than", "a maximum of", "fewer than", "less than",
          "under", "below")
_NEARLY = ("nearly", "almost", "close to", "just under", "just shy of")
_ABOUT = ("about", "around", "approximately", "approx.", "some", "roughly", "an estimated", "estimated",
          "circa", "about some", "an approximate", "approximate", "a reported", "reportedly")
_FILLER = ("another", "an additional", "additional", "a further", "further", "a total of", "total of",
           "the", "a", "an", "all", "only", "just", "still", "a mere", "mere", "some other")
_BOUNDS_LONGEST_FIRST = tuple(sorted(_LOWER + _UPPER + _NEARLY + _ABOUT, key=len, reverse=True))
_PREFIXES_LONGEST_FIRST = tuple(sorted(_LOWER + _UPPER + _NEARLY + _ABOUT + _FILLER, key=len, reverse=True))
"""Sorted once here rather than for every figure and every word stripped (a tenth of the stage)."""

_GENERIC_PEOPLE = {"others", "other", "persons", "person", "individuals", "individual", "people"}
_VERB_STATES = {"kill": "killed", "die": "killed", "dead": "killed", "death": "killed", "murder": "killed",
                "injure": "injured", "wound": "injured", "hurt": "injured", "injury": "injured",
                "injured": "injured", "wounded": "injured", "evacuate": "evacuated", "evacuation": "evacuated",
                "displace": "displaced", "arrest": "arrested", "detain": "detained", "miss": "missing",
                "missing": "missing", "rescue": "rescued", "capture": "captured", "hospitalize": "hospitalized",
                "hospitalise": "hospitalized", "kidnap": "kidnapped", "abduct": "kidnapped",
                "execute": "killed", "fatality": "killed", "casualty": "casualties"}
_SKIP_ENTS = frozenset({"DATE", "TIME", "ORDINAL", "ORG", "PERSON", "GPE", "LOC", "FAC", "PRODUCT",
                        "EVENT", "WORK_OF_ART", "LAW", "NORP", "LANGUAGE"})
_NUMBER_ENTS = frozenset({"CARDINAL", "MONEY", "QUANTITY", "PERCENT"})
_NUM_TOKEN = re.compile(r"^(?:\d[\d,.]*(?:k|m|bn|mn|tn)?|[$€£¥]\d[\d,.]*(?:k|m|bn|mn|tn)?)$", re.IGNORECASE)
_CURRENCY_SIGNS = "$€£¥"


def extract(doc: Doc, article: Article) -> list[Quantity]:
    """Every quantity in the article, in text order."""
    found: list[Quantity] = []
    taken: list[tuple[int, int]] = []
    for span in _candidates(doc):
        if any(span.start_char < e and s < span.end_char for s, e in taken):
            continue
        quantity = _read(span, article.id)
        if quantity is not None:
            found.append(quantity)
            taken.append((span.start_char, span.end_char))
    for quantity in _singular_casualties(doc, article.id):
        if not any(quantity.start < e and s < quantity.end for s, e in taken):
            found.append(quantity)
    return sorted(found, key=lambda q: (q.start, q.end))


def _candidates(doc: Doc) -> list[Span]:
    """The model's number entities and every other token that is a figure or a vague plural.

    Tokens are screened on the Doc's attribute arrays, and only one that starts as `_NUM_TOKEN` must
    (a decimal digit or a currency sign) has its text matched: asking every token of the article for
    its attributes was most of the cost of finding the figures."""
    spans = [_widen(ent) for ent in doc.ents if ent.label_ in _NUMBER_ENTS]
    in_ent = {i for ent in doc.ents for i in range(ent.start, ent.end)}
    text = doc_text(doc)
    vague = {doc.vocab.strings[word] for word in VAGUE_PLURALS}
    for i, (idx, like_num, lower) in enumerate(doc.to_array([IDX, LIKE_NUM, LOWER]).tolist()):
        if i in in_ent:
            continue
        if like_num or (_may_be_figure(text[idx]) and _NUM_TOKEN.match(doc[i].text)) or lower in vague:
            spans.append(_widen(doc[i:i + 1]))
    return spans


def _may_be_figure(first: str) -> bool:
    """Whether a token starting with `first` can match `_NUM_TOKEN` (whose `\\d` is any decimal digit)."""
    return first.isdecimal() or first in _CURRENCY_SIGNS


def _widen(span: Span) -> Span:
    """Take in what belongs to the figure but the model left out: a bound word before it, a scale or
    currency word after it, the second half of a range."""
    doc = span.doc
    start, end = span.start, span.end
    while end < len(doc) and (doc[end].lower_ in numbers.SCALES or doc[end].lower_ in CURRENCY_WORDS
                              or doc[end].lower_ in ("percent", "%")):
        end += 1
    if end + 1 < len(doc) and doc[end].text in ("-", "\u2013", "to") and (doc[end + 1].like_num or _NUM_TOKEN.match(doc[end + 1].text)):
        end += 2
        while end < len(doc) and doc[end].lower_ in numbers.SCALES:
            end += 1
    text_before = doc[max(start - 4, 0):start].text.lower()
    for phrase in _BOUNDS_LONGEST_FIRST:
        if text_before.endswith(phrase) and (len(text_before) == len(phrase) or not text_before[-len(phrase) - 1].isalnum()):
            start -= len(phrase.split())
            break
    if start > 0 and doc[start - 1].text in CURRENCY_SYMBOLS:
        start -= 1
    if start > 0 and doc[start - 1].lower_ in ("between", "from"):
        start -= 1
    if start > 1 and doc[start - 2].lower_ == "tens" and doc[start - 1].lower_ == "of":
        start -= 2
    return doc[start:end]


def _is_not_quantity(span: Span) -> bool:
    doc = span.doc
    for token in span:
        if token.ent_type_ in _SKIP_ENTS:
            return True
    last = span[-1]
    following = doc[last.i + 1:last.i + 4].text.lower()
    if re.match(r"^-?\s*(?:year|month|week|day)s?[\s-]+old\b", following) or re.search(r"-(?:year|month)-old", span.text.lower()):
        return True
    if re.fullmatch(r"(?:1[5-9]|20)\d\d", span.text.strip()) and span.root.tag_ == "CD":
        return True
    first = span[0]
    if (first.i == 0 or "\n" in doc[first.i - 1].text) and last.i + 1 < len(doc) and doc[last.i + 1].text in (".", ")"):
        return True
    if first.lower_ in ("one", "1") and len(span) == 1 and first.dep_ != "nummod":
        return True
    if len(span) == 1 and first.is_alpha and first.is_title and not first.is_sent_start:
        return True
    return False


def _read(span: Span, article_id: str) -> Quantity | None:
    if _is_not_quantity(span):
        return None
    amount = read_amount(span.text)
    if amount is None:
        return None
    value, low, high, approximate, unit = amount
    noun_unit, counted = _counted(span)
    if unit is None and noun_unit is not None:
        unit = noun_unit
    if counted is None and unit is None and value is not None and _looks_like_age(span):
        return None
    return Quantity(article_id=article_id, start=span.start_char, end=span.end_char, text=span.text,
                    value=value, min=low, max=high, unit=unit, counted=counted, approximate=approximate)


_TALLIES = frozenset({"toll", "number", "total", "count", "figure", "tally"})


def _tally_subject(token: Token) -> Token | None:
    """The subject of "<subject> was N" when it is a count ("the death toll was 12")."""
    for child in token.head.children:
        if child.dep_.startswith("nsubj") and child.lemma_.lower() in _TALLIES:
            return child
    return None


_TALLY_PREPS = frozenset({"to", "at", "past", "above", "beyond"})


def _tally_reached(token: Token) -> Token | None:
    """The count a figure is the new level of: "the death toll rose to 217", "the number of people
    killed has risen to four", "as the toll passes 200", "officials put the toll at three"."""
    if token.dep_ == "pobj" and token.head.dep_ == "prep" and token.head.lower_ in _TALLY_PREPS:
        verb = token.head.head
    elif token.dep_ == "dobj":
        verb = token.head
    else:
        return None
    if verb.pos_ not in ("VERB", "AUX"):
        return None
    return next((c for c in verb.children if c.dep_ in ("nsubj", "nsubjpass", "dobj") and c.lemma_.lower() in _TALLIES and c.i != token.i), None)


_LEVEL_VERBS = frozenset({"rise", "climb", "reach", "pass", "top", "exceed", "hit", "stand", "increase", "jump", "grow", "surpass"})


def _tally_before(token: Token) -> Token | None:
    """The same, read from the words when the parse is off (a headline run into the body): "<tally>
    ... <rises|reaches|passes> [to|at|past] <figure>" within one line."""
    doc = token.doc
    i = token.i - 1
    if i >= 0 and doc[i].lower_ in _TALLY_PREPS:
        i -= 1
    if i < 0 or doc[i].lemma_.lower() not in _LEVEL_VERBS:
        return None
    for j in range(i - 1, -1, -1):
        if "\n" in doc[j].text_with_ws:
            return None
        if doc[j].lemma_.lower() in _TALLIES and doc[j].pos_ == "NOUN":
            return doc[j]
    return None


def _tally_counted(tally: Token) -> str | None:
    """What a tally counts: its "death"/"injury" word, the noun of its "of" phrase with the verb over it
    ("number of people killed"), or the dead for a bare "toll", as news writes the death toll."""
    words = {c.lemma_.lower() for c in tally.children if c.dep_ in ("compound", "amod")}
    states = sorted({_VERB_STATES[w] for w in words if w in _VERB_STATES})
    if states:
        return f"people {states[0]}"
    for prep in (c for c in tally.children if c.dep_ == "prep" and c.lower_ == "of"):
        for noun in (c for c in prep.children if c.dep_ == "pobj" and c.is_alpha):
            head = "people" if noun.lower_ in _GENERIC_PEOPLE else noun.lower_
            state = _state_of(noun)
            return f"{head} {state}" if state else head
    return "people killed" if tally.lemma_.lower() == "toll" else None


def _looks_like_age(span: Span) -> bool:
    """A bare number said of a person is an age: "the victim was 17", "John Smith, 17, was shot"."""
    token = _figure_root(span)
    doc = span.doc
    if token.dep_ in ("attr", "acomp") and token.head.lemma_ == "be":
        return _tally_subject(token) is None
    before = doc[span.start - 2] if span.start >= 2 else None
    return (before is not None and before.ent_type_ == "PERSON" and doc[span.start - 1].text == ","
            and span.end < len(doc) and doc[span.end].text == ",")


Amount = tuple[float | None, float | None, float | None, bool, str | None]


def read_amount(text: str) -> Amount | None:
    """(value, min, max, approximate, unit) of a figure's own words, None when they hold no number."""
    t = text.lower().replace("\u2013", "-").replace("\u2014", "-").replace("\u00a0", " ").strip(" .,;:")
    unit = None
    for symbol, code in CURRENCY_SYMBOLS.items():
        if symbol in t:
            unit = code
            t = t.replace(symbol, " ")
    for word in PERCENT_WORDS:
        if t.endswith(word) or f"{word} " in t:
            unit = "percent"
            t = t.replace(word, " ")
    words = t.split()
    if words and words[-1] in CURRENCY_WORDS:
        unit = CURRENCY_WORDS[words[-1]]
        words = words[:-1]
    if words and words[-1] in MEASURES:
        unit = MEASURES[words[-1]]
        words = words[:-1]
    t = " ".join(words)
    low_kind = high_kind = False
    approximate = False
    changed = True
    while changed:
        changed = False
        for phrase in _PREFIXES_LONGEST_FIRST:
            if t.startswith(phrase + " "):
                t = t[len(phrase) + 1:].strip()
                low_kind |= phrase in _LOWER
                high_kind |= phrase in _UPPER or phrase in _NEARLY
                approximate |= phrase in _NEARLY or phrase in _ABOUT
                changed = True
                break
    match = re.fullmatch(r"(?:between |from )?(.+?)\s*(?:-|\bto\b|\band\b)\s*(.+)", t)
    if match and not re.fullmatch(r"[a-z]+-[a-z]+", t) and not re.search(r"\bhundred and|thousand and|million and", t):
        first, second = _number(match.group(1)), _number(match.group(2))
        if first is not None and second is not None:
            scale = _scale_of(match.group(2))
            if scale and first < second / scale and not _scale_of(match.group(1)):
                first *= scale
            if first < second:
                return None, first, second, approximate, unit
    if t.startswith("tens of "):
        inner = VAGUE_PLURALS.get(t[len("tens of "):])
        if inner:
            return None, inner * 10, None, True, unit
    if t.startswith("hundreds of "):
        inner = VAGUE_PLURALS.get(t[len("hundreds of "):])
        if inner:
            return None, inner * 100, None, True, unit
    if t in VAGUE_PLURALS:
        return None, VAGUE_PLURALS[t], None, True, unit
    value = _number(t)
    if value is None:
        return None
    if low_kind:
        return None, value, None, approximate, unit
    if high_kind:
        return None, None, value, approximate, unit
    return value, None, None, approximate, unit


def _scale_of(text: str) -> float | None:
    words = text.split()
    if words and words[-1] in numbers.SCALES and words[-1] != "hundred":
        return numbers.SCALES[words[-1]]
    glued = numbers.split_glued(words[-1]) if words else None
    return numbers.SCALES[glued[1]] if glued else None


def _number(text: str) -> float | None:
    words = text.strip().split()
    if len(words) == 1:
        glued = numbers.split_glued(words[0])
        if glued:
            base = numbers.parse(glued[0])
            return None if base is None else base * numbers.SCALES[glued[1]]
    return numbers.parse(text)


def _counted(span: Span) -> tuple[str | None, str | None]:
    """(measure unit, what is counted) from the noun the figure attaches to and the verb over it."""
    root = _figure_root(span)
    noun: Token | None = None
    if root.pos_ in ("NOUN", "PROPN") and root.lower_ not in VAGUE_PLURALS and root.lower_ not in numbers.SCALES \
            and root.lower_ not in CURRENCY_WORDS and root.lower_ not in MEASURES and root not in span[:-1]:
        noun = root if root.i >= span.end else None
    if noun is None and root.dep_ in ("nummod", "quantmod", "amod", "compound") and root.head.pos_ in ("NOUN", "PROPN"):
        noun = root.head
    if noun is not None and "\n" in span.doc[min(noun.i, root.i):max(noun.i, root.i) + 1].text:
        noun = None  # a headline without a full stop runs into the body in the parse, not in meaning
    if noun is not None and noun.lower_ in PERCENT_WORDS:
        root, noun = noun, None
    if noun is None:
        for child in root.children:
            if child.dep_ == "prep" and child.lower_ in ("of", "in"):
                objects = [c for c in child.children if c.dep_ == "pobj"]
                if objects:
                    noun = objects[0]
                    break
    if noun is None and root.head.pos_ in ("NOUN", "PROPN") and root.dep_ in ("pobj",) and root.head.i > span.end:
        noun = root.head
    tally = _tally_subject(root) if root.dep_ == "attr" and root.head.lemma_ == "be" else _tally_reached(root) or _tally_before(root)
    if noun is None and tally is not None:
        return None, _tally_counted(tally)
    if noun is None and root.dep_ == "nummod" and root.head.pos_ == "ADJ" and root.head.lemma_.lower() in _VERB_STATES:
        return None, f"people {_VERB_STATES[root.head.lemma_.lower()]}"
    if noun is None:
        state = _state_of(root)
        return None, f"people {state}" if state and root.dep_.startswith("nsubj") else None
    if noun.lower_ in MEASURES:
        return MEASURES[noun.lower_], None
    if not noun.is_alpha:
        return None, None
    if noun.pos_ == "ADJ" and noun.lemma_.lower() in _VERB_STATES:
        return None, f"people {_VERB_STATES[noun.lemma_.lower()]}"
    words = [c.lower_ for c in noun.children if c.dep_ == "compound" and c.i < noun.i] + [noun.lower_]
    head = " ".join(words)
    if noun.lower_ in _GENERIC_PEOPLE:
        head = "people"
    state = _state_of(noun) or (_state_of(root) if noun.head.i == root.i or noun.head.head.i == root.i else None)
    if state is not None:
        return None, f"{head} {state}"
    return None, head


def _figure_root(span: Span) -> Token:
    """The token carrying the figure: spaCy's span root can be a bound word or "another"."""
    figures = [t for t in span if t.like_num or _NUM_TOKEN.match(t.text) or t.lower_ in VAGUE_PLURALS
               or t.lower_ in numbers.SCALES or t.lower_ in CURRENCY_WORDS or t.lower_ in MEASURES]
    outside = [t for t in figures if not span.start <= t.head.i < span.end]
    return (outside or figures or [span.root])[-1]


def _state_of(token: Token) -> str | None:
    """What happened to the counted people: the verb they are subject or object of, an adjective on
    them, or the noun whose "of"/"to" phrase holds them ("injuries to five others")."""
    for child in token.children:
        if child.dep_ in ("amod", "acl") and child.lemma_.lower() in _VERB_STATES:
            return _VERB_STATES[child.lemma_.lower()]
    head = token.head
    if token.dep_ in ("nsubjpass", "nsubj", "dobj", "attr") and head.lemma_.lower() in _VERB_STATES:
        if token.dep_ == "nsubj" and head.lemma_.lower() not in ("die",) and head.tag_ != "VBN" and head.pos_ == "VERB":
            return None
        return _VERB_STATES[head.lemma_.lower()]
    if token.dep_ in ("nsubj", "nsubjpass"):
        for child in head.children:
            if child.dep_ in ("acomp", "attr", "oprd") and child.lemma_.lower() in _VERB_STATES:
                return _VERB_STATES[child.lemma_.lower()]
    if token.dep_ == "pobj" and head.dep_ == "prep" and head.lower_ in ("to", "of", "among"):
        for owner in (head.head, token.doc[head.i - 1]):
            if owner.pos_ == "NOUN" and owner.lemma_.lower() in _VERB_STATES:
                return _VERB_STATES[owner.lemma_.lower()]
    return None


def _singular_casualties(doc: Doc, article_id: str) -> list[Quantity]:
    """"the death of a teenage girl" counts one person killed though no number is written."""
    found = []
    nouns = numpy.flatnonzero(doc.to_array(POS) == NOUN).tolist()
    for token in (doc[i] for i in nouns):
        state = _VERB_STATES.get(token.lemma_.lower())
        if state not in ("killed", "injured"):
            continue
        for prep in token.children:
            if prep.dep_ != "prep" or prep.lower_ not in ("of", "to"):
                continue
            for obj in prep.children:
                if obj.dep_ == "pobj" and obj.tag_ == "NN" and any(c.lower_ in ("a", "an", "one") and c.dep_ in ("det", "nummod") for c in obj.children):
                    phrase = doc[obj.left_edge.i:obj.i + 1]
                    found.append(Quantity(article_id=article_id, start=phrase.start_char, end=phrase.end_char,
                                          text=phrase.text, value=1.0, counted=f"people {state}"))
    return found
