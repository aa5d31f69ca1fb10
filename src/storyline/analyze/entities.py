"""Named entities resolved to canonical entities: one `Entity` per real-world referent in an article.

spaCy finds name-shaped spans; this module decides what they refer to. "Zelensky" and "Zelenskyy" are
one person, "President Donald Trump" is Donald Trump with a role, "Trump" alone is the Trump named in
full elsewhere, "North Korean" is a mention of North Korea, and "Pyongyang" is the North Korean state
when it acts or speaks but the city in "a Pyongyang street". Entity ids hash type and canonical name,
so the same referent gets the same id in every article, which is what story linking relies on.

`entity_spans` is the corrected NER layer that `storyline eval ner` scores: people, organisations and
places from the CoNLL-trained component (`conll_ner`), the base model's other entities, then gazetteer
fixes; `extract` resolves those spans. Records it fills: `Entity.country` is an ISO 3166 alpha-2 code
and places carry GeoNames ids and coordinates (see `places.geocode`); `Mention.role` holds a person's
title or apposition at that mention, or marks country mentions that are not the country's name:
"demonym" ("North Korean troops") and "government" (a capital standing for its state, "Pyongyang said").
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy
import spacy
from rapidfuzz import fuzz
from spacy.attrs import IS_ALPHA, IS_TITLE, IS_UPPER, LENGTH, ORTH
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span, Token
from spacy.util import filter_spans
from spacy.vocab import Vocab

from storyline.analyze import conll_ner, gazetteer
from storyline.analyze.context import EntityIndex
from storyline.analyze.gazetteer import cache_dir, fold
from storyline.analyze.places import GeoRef, geocode
from storyline.model import Article, Entity, Mention

log = logging.getLogger(__name__)

ENTITY_LABELS = frozenset({"PERSON", "NORP", "FAC", "ORG", "GPE", "LOC", "PRODUCT", "EVENT", "WORK_OF_ART",
                           "LAW", "LANGUAGE"})
PLACE_LABELS = frozenset({"GPE", "LOC", "FAC"})
NAME_LABELS = frozenset({"PERSON", "ORG", *PLACE_LABELS})
"""Base-model labels the CoNLL component decides: who is a person, organisation or place."""
MISC_LABELS = frozenset({"NORP", "EVENT", "WORK_OF_ART", "LAW", "LANGUAGE", "PRODUCT"})
"""Base-model labels that CoNLL's MISC covers."""
HONORIFICS = frozenset({"mr", "mr.", "mrs", "mrs.", "ms", "ms.", "dr", "dr.", "sir", "dame", "lord", "lady"})
PART_NOUNS = frozenset({"district", "region", "oblast", "province", "raion", "county", "municipality",
                        "neighbourhood", "neighborhood", "quarter", "governorate", "prefecture"})
"""Nouns that make "<Name> district" one place name, part of the city or country around it."""

GOVERNMENT_NOUNS = frozenset({
    "pressure", "sanction", "demand", "concern", "worry", "alarm", "anger", "fear", "stance", "position",
    "tie", "relation", "talk", "cooperation", "collaboration", "agreement", "treaty", "deal", "pact",
    "accord", "support", "alliance", "dialogue", "negotiation", "warning", "criticism", "influence",
    "policy", "official", "leadership", "diplomat", "government", "regime", "authority", "administration",
    "partnership", "response", "decision", "involvement", "ambition", "claim", "aid", "ally",
    "opposition", "approach", "strategy", "view", "intention", "plan", "backing", "rebuke", "message",
})
"""Nouns whose possessor or prepositional complement, when a capital, is its government."""
GOVERNMENT_VERBS = frozenset({
    "urge", "warn", "pressure", "press", "call", "criticize", "criticise", "condemn", "accuse", "blame",
    "sanction", "support", "back", "help", "arm", "supply", "join", "ask", "tell", "persuade", "push",
    "threaten", "punish", "recognize", "recognise", "engage", "court", "lobby", "thank", "praise",
    "reassure", "assist", "fund", "rebuke",
})
"""Verbs whose object, when a capital, is the government rather than the city."""
PHYSICAL_VERBS = frozenset({"hit", "strike", "attack", "shell", "bomb", "target", "rock", "damage", "shake",
                            "visit", "flood", "bombard", "pound", "evacuate", "surround", "encircle"})
"""Verbs whose subject or object is the city itself ("Kyiv was hit")."""
CITY_NOUNS = frozenset({"street", "resident", "mayor", "airport", "outskirt", "centre", "center", "district",
                        "suburb", "metro", "citizen", "people", "building", "skyline", "population",
                        "region", "area", "neighbourhood", "neighborhood", "square", "station", "city"})
"""Head nouns that make a capital literal ("Kyiv's residents", "a Seoul street")."""
SENTENCE_ENDS = frozenset({".", "!", "?", ":", "“", '"'})
GOVERNMENT_PREPS = frozenset({"with", "against", "by"})
FUZZY_PERSON = 88
"""rapidfuzz ratio above which two person names in one article are taken as spellings of one name."""


@dataclass(slots=True)
class _Found:
    """A mention being resolved: its span in the document and what it is taken to refer to."""

    start: int
    end: int
    first: int
    last: int
    text: str
    name: str
    type: str
    surface: str = ""
    role: str | None = None
    country: str | None = None
    aliases: set[str] = field(default_factory=set)
    title_first: int | None = None


def entity_id(type_: str, name: str) -> str:
    """Stable across articles and runs: the same referent always hashes to the same id."""
    return hashlib.blake2b(f"{type_}:{fold(name)}".encode(), digest_size=8).hexdigest()


@lru_cache(maxsize=4)
def _matcher(vocab: Vocab) -> tuple[PhraseMatcher, dict[str, tuple[str, bool]]]:
    names = gazetteer.surface_names()
    matcher = PhraseMatcher(vocab, attr="LOWER")
    for name, words in zip(names, pattern_words(vocab, list(names)), strict=True):
        matcher.add(name, [Doc(vocab, words=words)])
    return matcher, names


def pattern_words(vocab: Vocab, names: list[str]) -> list[list[str]]:
    """Each name split as spaCy's English tokenizer splits it, kept in the cache folder (`cache_dir`).

    Tokenizing the few thousand gazetteer names took most of the second that building the matcher
    cost every process at start; a Doc made from the words has the same tokens, so the matcher
    matches the same. The file is named by a digest of the sorted names (their order follows set
    iteration, which differs between processes) and the spaCy version, so changed data or tokenizer
    rules make a new one, which replaces the old; a file whose words do not spell its names is ignored.
    """
    ordered = sorted(names)
    key = hashlib.blake2b("\n".join([spacy.__version__, *ordered]).encode(), digest_size=16).hexdigest()
    folder = cache_dir()
    path = folder / f"{_WORDS_FILE}{key}.json"
    try:
        cached = json.loads(path.read_text(encoding="utf-8"))
        if _spells(cached, ordered):
            return _in_order(names, ordered, cached)
    except (OSError, ValueError):
        pass
    tokenizer = spacy.blank("en", vocab=vocab).tokenizer
    words = [[token.text for token in doc] for doc in tokenizer.pipe(ordered)]
    try:
        folder.mkdir(parents=True, exist_ok=True)
        partial = folder / f"{path.name}.{os.getpid()}.partial"
        partial.write_text(json.dumps(words, ensure_ascii=False), encoding="utf-8")
        os.replace(partial, path)
        for old in folder.glob(f"{_WORDS_FILE}*.json"):
            if old != path:
                old.unlink(missing_ok=True)
    except OSError:
        log.info("could not cache the gazetteer's tokens in %s", folder, exc_info=True)
    return _in_order(names, ordered, words)


_WORDS_FILE = "gazetteer-words-"


def _in_order(names: list[str], ordered: list[str], words: list[list[str]]) -> list[list[str]]:
    by_name = dict(zip(ordered, words, strict=True))
    return [by_name[name] for name in names]


def _spells(words: object, names: list[str]) -> bool:
    """Whether `words` holds, for each name, tokens that spell it (a tokenizer keeps every character)."""
    return (isinstance(words, list) and len(words) == len(names)
            and all(isinstance(w, list) and w and "".join("".join(w).split()) == "".join(n.split())
                    for w, n in zip(words, names, strict=True)))


def _trim(span: Span) -> Span | None:
    """Drop a leading article, a trailing possessive and edge punctuation: "the Group of Seven" → "Group of Seven".

    A capitalised "The" mid-sentence belongs to the name ("The Independent"); sentence-initially it is
    just the article.
    """
    start, end = span.start, span.end
    doc = span.doc
    while start < end and (doc[start].is_punct or (doc[start].lower_ == "the" and (
            doc[start].is_lower or _starts_sentence(doc[start])))):
        start += 1
    while end > start and (doc[end - 1].tag_ == "POS" or doc[end - 1].is_punct or doc[end - 1].text in {"'s", "’s"}):
        end -= 1
    return Span(doc, start, end, label=span.label) if end > start else None


def _starts_sentence(token: Token) -> bool:
    previous = token.nbor(-1) if token.i > 0 else None
    return previous is None or token.is_sent_start or previous.is_space or previous.text in SENTENCE_ENDS


def entity_spans(doc: Doc) -> list[Span]:
    """The models' entities corrected with the gazetteers: what NER evaluation scores and `extract` resolves.

    Curated names overrule the model (it calls Kursk a product and G7 a country); generated ones, such
    as country and big-city names, only fill gaps it left or relabel spans it gave a non-place label.
    """
    model = _model_spans(doc)
    shouted = _shouted_tokens(doc)
    matcher, names = _matcher(doc.vocab)
    curated: list[Span] = []
    generated: list[Span] = []
    for key, start, end in matcher(doc):
        name = doc.vocab.strings[key]
        label, is_curated = names[name]
        span = Span(doc, start, end, label=label)
        if span.text != name and not (span.text.isupper() and len(span.text) > 3):
            continue
        if is_curated:
            curated.append(span)
        elif span.start in shouted or (all(t.tag_ in {"NNP", "NNPS"} for t in span)
                                       and not _inside_longer_name(span)):
            generated.append(span)
    curated = filter_spans(curated)
    generated = filter_spans(generated)
    model = [s for s in model if s.start not in shouted or not any(_contains(s, g) for g in generated)]
    in_curated = _covered(len(doc), curated)
    spans = [s for s in model if not any(in_curated[s.start:s.end])
             or not any(_overlaps(s, c) and not _contains(s, c) for c in curated)]
    in_spans = _covered(len(doc), spans)
    spans += [c for c in curated if not any(in_spans[c.start:c.end])]
    result = []
    generated_at: dict[tuple[int, int], Span] = {}
    for g in generated:
        generated_at.setdefault((g.start, g.end), g)
    for span in spans:
        same = generated_at.get((span.start, span.end))
        if same is not None and span.label_ not in PLACE_LABELS and (span.label_ != "PERSON" or same.label_ == "GPE"
                                                                      and _is_country_or_capital(span.text)):
            span = Span(doc, span.start, span.end, label=same.label_)
        elif span.label_ not in {"PERSON", "DATE", "TIME", "CARDINAL", "ORDINAL", "MONEY", "PERCENT", "QUANTITY"} \
                and _titled(span):
            span = Span(doc, span.start, span.end, label="PERSON")
        result.append(span)
    taken = _covered(len(doc), result)
    result += [g for g in generated if not any(taken[g.start:g.end])]
    return _acronyms(doc, _consistent_people(doc, sorted(result, key=lambda s: s.start)))


def _model_spans(doc: Doc) -> list[Span]:
    """The CoNLL component's people, organisations and places, with the base model's other entities.

    The component, trained on newswire names, is far more accurate on who and what a name is; the base
    model's dates, numbers and nationalities stay, since other extractors and the MISC-like types read
    them. Where the two overlap the component wins; a base person, organisation or place it does not
    confirm is dropped.
    """
    base = [t for e in doc.ents if (t := _trim(e)) is not None]
    headline = _title_cased_headline(doc)
    conll = [t for s in conll_ner.ensure(doc).spans[conll_ner.SPAN_KEY]
             if (t := _trim(s)) is not None and t.start >= headline]
    base_labels: dict[tuple[int, int], str] = {}
    for b in base:
        base_labels.setdefault((b.start, b.end), b.label_)
    names = [relabelled for span in conll
             if (relabelled := _ontonotes(span, base_labels.get((span.start, span.end)))) is not None]
    in_conll = _covered(len(doc), conll)
    kept = [b for b in base if (b.label_ not in NAME_LABELS or b.end <= headline) and not any(in_conll[b.start:b.end])]
    return sorted(names + kept, key=lambda s: s.start)


def _covered(length: int, spans: Iterable[Span]) -> bytearray:
    """Which of a Doc's `length` tokens the (non-empty) spans cover: a span overlaps one of them exactly
    when it has a covered token, a lookup instead of a comparison with every span."""
    covered = bytearray(length)
    for span in spans:
        covered[span.start:span.end] = b"\x01" * (span.end - span.start)
    return covered


def _title_cased_headline(doc: Doc) -> int:
    """End of the document's headline when it is in Title Case ("Zelensky Claims Russia May Deploy ..."),
    else 0. The CoNLL component never saw such headlines (its newswire capitalises names only, or
    everything) and reads capitalised verbs as names; the base model is steadier there.
    """
    end = next((t.i for t in doc if t.is_space and "\n" in t.text), 0)
    words = [t for t in doc[:end] if t.is_alpha and len(t) > 3]
    titled = sum(t.is_title for t in words)
    return end if len(words) >= 3 and titled >= 0.8 * len(words) else 0


def _ontonotes(span: Span, same: str | None) -> Span | None:
    """A CoNLL span under the OntoNotes label the extractors expect, or None for a MISC span whose kind
    is unknown (CoNLL's MISC lumps nationalities, events, products and titles together).

    A place is a GPE when the gazetteers know it as a country, US state or city (or the base model
    said so), else a LOC (rivers, regions, seas). A person or organisation that the base model took for
    a place the gazetteers know is that place: the component was trained on few Ukrainian names and
    reads "Kharkiv" as a person. A MISC span takes the base model's MISC-like label for the same words,
    or NORP when it is a nationality. `same` is the base model's label for the same tokens, if it has one.
    """
    text = span.text
    if span.label_ in {"PER", "ORG"} and same in PLACE_LABELS and _known_polity(text):
        label: str | None = same
    elif span.label_ == "PER":
        label = "PERSON"
    elif span.label_ == "ORG":
        label = "ORG"
    elif span.label_ == "LOC":
        label = same if same in PLACE_LABELS else "GPE" if _known_polity(text) else "LOC"
    elif same in MISC_LABELS:
        label = same
    else:
        label = "NORP" if gazetteer.country_of_demonym(text) is not None else None
    return Span(span.doc, span.start, span.end, label=label) if label is not None else None


def _known_polity(name: str) -> bool:
    """Whether a place name is a country, US state, city or curated polity, as opposed to a river or region."""
    curated = gazetteer.curated().get(fold(name))
    return (curated is not None and curated[1] == "GPE") or gazetteer.country_of_name(name) is not None \
        or gazetteer.us_state(name) is not None or bool(gazetteer.city_candidates(name))


def _shouted_tokens(doc: Doc) -> set[int]:
    """Tokens of all-capitals sentences (headlines, datelines), where the model's spans are least
    reliable and gazetteer names are trusted over them ("CRICKET - ENGLAND V PAKISTAN")."""
    shouted: set[int] = set()
    alpha, upper, length = doc.to_array([IS_ALPHA, IS_UPPER, LENGTH]).T.tolist()
    for sentence in doc.sents:
        words = [i for i in range(sentence.start, sentence.end) if alpha[i] and length[i] > 1]
        if len(words) >= 2 and sum(upper[i] for i in words) >= 0.8 * len(words):
            shouted.update(range(sentence.start, sentence.end))
    return shouted


def _acronyms(doc: Doc, spans: list[Span]) -> list[Span]:
    """An acronym introduced in parentheses ("Kurdistan Democratic Party (KDP)") takes its long form's
    label, there and wherever it recurs in the document."""
    covered = {i for s in spans for i in range(s.start, s.end)}
    labels: dict[str, str] = {}
    for span in spans:
        i = span.end
        if i + 2 < len(doc) and doc[i].text == "(" and doc[i + 2].text == ")" and i + 1 not in covered \
                and _is_acronym(doc[i + 1].text) and span.label_ in {"ORG", "GPE", "LOC", "FAC", "NORP"}:
            labels[doc[i + 1].text] = span.label_
    if not labels:
        return spans
    extra = [Span(doc, t.i, t.i + 1, label=labels[t.text]) for t in doc if t.text in labels and t.i not in covered]
    return sorted(spans + extra, key=lambda s: s.start)


def _is_acronym(text: str) -> bool:
    return 2 <= len(text) <= 8 and text[0].isupper() and text.upper() == text and text.isalnum()


def _consistent_people(doc: Doc, spans: list[Span]) -> list[Span]:
    """A surname of a person named in full elsewhere in the document is that person, whatever the model
    made of it alone ("Philippoussis", or "PHILIPPOUSSIS" in a headline, after "Mark Philippoussis") — one
    sense per discourse."""
    surnames = {s[-1].text for s in spans if s.label_ == "PERSON" and len(s) > 1 and s[-1].is_title}
    surnames = {name for name in surnames if not _is_country_or_capital(name)}
    if not surnames:
        return spans
    surnames |= {name.upper() for name in surnames}
    result = [Span(doc, s.start, s.end, label="PERSON")
              if len(s) == 1 and s.text in surnames and s.label_ in ENTITY_LABELS else s for s in spans]
    covered = {i for s in result for i in range(s.start, s.end)}
    wanted = {doc.vocab.strings[name] for name in surnames}
    spelled = [i for i, orth in enumerate(doc.to_array(ORTH).tolist()) if orth in wanted]
    result += [Span(doc, i, i + 1, label="PERSON") for i in spelled if i not in covered and doc[i].pos_ == "PROPN"]
    return sorted(result, key=lambda s: s.start)


def _is_country_or_capital(name: str) -> bool:
    """Names the model sometimes takes for people ("Kyiv") but that practically never are."""
    return gazetteer.country_of_name(name) is not None or any(
        c.geonameid in gazetteer.capitals() for c in gazetteer.city_candidates(name)[:1])


def _titled(span: Span) -> bool:
    """A short proper name right after a capitalised title is a person: "Chancellor Olaf Scholz"."""
    doc = span.doc
    if len(span) > 3 or not all(t.pos_ == "PROPN" for t in span) or span.start == 0:
        return False
    start = _title_ending_at(doc, span.start - 1, max(0, span.start - 4))
    return start is not None and doc[start].is_title and fold(doc[start].text) not in {"head", "chair", "general"}


def _inside_longer_name(span: Span) -> bool:
    """Whether a place name is a piece of a longer proper name ("Bayern Munich", "Moscow State
    University"): then it names something else, and only the model may label it."""
    doc = span.doc
    before = doc[span.start - 1] if span.start > 0 else None
    after = doc[span.end] if span.end < len(doc) else None
    return any(t is not None and t.tag_ in {"NNP", "NNPS"} and not t.is_upper for t in (before, after)) \
        and not span.text.isupper()


def _overlaps(a: Span, b: Span) -> bool:
    return a.start < b.end and b.start < a.end


def _contains(a: Span, b: Span) -> bool:
    return a.start <= b.start and b.end <= a.end and (a.start, a.end) != (b.start, b.end)


def extract(doc: Doc, article: Article) -> EntityIndex:
    """Canonical entities and their mentions in one parsed article."""
    found = _outside_titles([f for span in entity_spans(doc) if (f := _resolve(_with_part_noun(span))) is not None])
    found += _uncovered_demonyms(doc, found)
    found = _link_people(found)
    _link_acronyms(doc, found)
    canon = {(f.first, f.last): f for f in found}
    by_token = {i: g for g in canon.values() for i in range(g.first, g.last + 1)}
    for f in found:
        f.role = _apposition_role(doc, f, by_token) or f.role
    return _build(article, found)


def _outside_titles(found: list[_Found]) -> list[_Found]:
    """Drop the model's fragments of a person's title ("Defense" in "Defense Secretary Lloyd Austin");
    countries and nationalities in a title stay, as mentions of the country."""
    titles = [(f.title_first, f.first) for f in found if f.title_first is not None]
    return [f for f in found if f.type == "GPE" or not any(a <= f.first and f.last < b for a, b in titles)]


def _with_part_noun(span: Span) -> Span:
    """Extend "Solomianskyi" to "Solomianskyi district": the district is the place, not a person or a city."""
    doc = span.doc
    if span.end < len(doc) and doc[span.end].lower_ in PART_NOUNS and span.label_ not in {"ORG", "NORP"}:
        return Span(doc, span.start, span.end + 1, label="LOC")
    return span


def _found(span: Span, name: str, type_: str, **kw: object) -> _Found:
    """A resolved mention; its surface keeps a preceding article ("the Russian Federation") as an alias."""
    doc = span.doc
    with_article = (span.start > 0 and doc[span.start - 1].lower_ == "the" and kw.get("role") != "demonym"
                    and span.root.dep_ not in {"compound", "amod", "nmod"})
    surface = doc[span.start - 1:span.end].text if with_article else span.text
    return _Found(span.start_char, span.end_char, span.start, span.end - 1, span.text, name, type_,
                  surface=surface, **kw)


def _resolve(span: Span) -> _Found | None:
    """What one span refers to, by curated alias, country, demonym, capital and city tables in that order."""
    if span.label_ not in ENTITY_LABELS:
        return None
    text = span.text
    curated = gazetteer.curated().get(fold(text))
    if span.label_ == "PERSON" and (curated is None or curated[1] == "PERSON"):
        return _person(span)
    if curated is not None:
        return _found(span, curated[0], curated[1])
    iso = gazetteer.country_of_name(text)
    if iso is not None:
        return _found(span, gazetteer.countries()[iso].name, "GPE", country=iso)
    iso = gazetteer.country_of_demonym(text)
    if iso is not None and (span.label_ in {"NORP", "GPE"} or span[-1].tag_ in {"JJ", "NNPS"}):
        return _found(span, gazetteer.countries()[iso].name, "GPE", country=iso, role="demonym")
    if span.label_ in PLACE_LABELS and gazetteer.us_state(text) is not None:
        return _found(span, gazetteer.us_state(text), "GPE", country="US")
    if span.label_ in PLACE_LABELS:
        cities = gazetteer.city_candidates(text)
        governed = next((gazetteer.capitals()[c.geonameid] for c in cities[:1] if c.geonameid in gazetteer.capitals()),
                        None)
        if governed is not None and _acts_as_government(span.root):
            return _found(span, gazetteer.countries()[governed].name, "GPE", country=governed, role="government")
        if cities and span.label_ == "GPE":
            exact = any(fold(c.name) == fold(text) for c in cities)
            return _found(span, text if exact else cities[0].name, "GPE")
        return _found(span, text, span.label_)
    return _found(span, text, span.label_)


def _person(span: Span) -> _Found | None:
    """A person's name with a leading title or honorific moved into its role: "President Donald Trump"."""
    doc = span.doc
    start = span.start
    role = None
    while start < span.end - 1:
        title = _title_at(doc, start, span.end - 1)
        if title is None:
            break
        if fold(" ".join(t.text for t in doc[start:title])) not in HONORIFICS:
            role = doc[start:title].text
        start = title
    name_span = doc[start:span.end]
    before = _title_before(doc, span.start)
    if before is not None:
        role = before[0]
        surface = doc[before[1]:span.end].text
    else:
        surface = span.text
    curated = gazetteer.curated().get(fold(name_span.text))
    name = curated[0] if curated is not None and curated[1] == "PERSON" else name_span.text
    found = _found(name_span, name, "PERSON", role=role)
    found.start, found.end, found.first = name_span.start_char, name_span.end_char, name_span.start
    found.surface = surface
    found.aliases = {surface, span.text}
    found.title_first = before[1] if before is not None else None
    return found


def _title_at(doc: Doc, i: int, limit: int) -> int | None:
    """End index of the title or honorific starting at token i (not reaching `limit`), or None."""
    if fold(doc[i].text) in HONORIFICS:
        return i + 1
    for title in gazetteer.roles_by_word(0).get(doc[i].lower_, ()):
        end = i + len(title)
        if end <= limit and tuple(fold(t.text) for t in doc[i:end]) == title:
            return end
    return None


def _title_ending_at(doc: Doc, last: int, floor: int) -> int | None:
    """Start index of a title whose last token is `last`, not before `floor`, or None."""
    if last < floor:
        return None
    for title in gazetteer.roles_by_word(-1).get(doc[last].lower_, ()):
        start = last - len(title) + 1
        if start >= floor and tuple(fold(t.text) for t in doc[start:last + 1]) == title:
            return start
    return None


def _title_before(doc: Doc, first: int) -> tuple[str, int] | None:
    """The role written just before a name ("Russian President", "Ukraine's foreign minister") and where
    it starts; a nationality before the title becomes "President of Russia"."""
    start = _title_ending_at(doc, first - 1, max(0, first - 4))
    if start is None:
        return None
    title = doc[start:first].text
    for width in (2, 1):
        lead = doc[start - width:start] if start - width >= 0 else None
        if lead is None or any(t.is_space for t in lead) or (width == 1 and lead[0].tag_ == "POS"):
            continue
        iso = gazetteer.country_of_demonym(lead.text) or gazetteer.country_of_name(lead.text)
        if iso is not None:
            return f"{title} of {gazetteer.countries()[iso].name}", start - width
    if start >= 2 and doc[start - 1].tag_ == "POS":
        for width in (2, 1):
            lead = doc[start - 1 - width:start - 1] if start - 1 - width >= 0 else None
            iso = gazetteer.country_of_name(lead.text) if lead is not None else None
            if iso is not None:
                return f"{title} of {gazetteer.countries()[iso].name}", start - 1 - width
    return title, start


def _acts_as_government(token: Token) -> bool:
    """Whether a capital's name stands for its government here, read from the dependency parse.

    Subjects of speech and action, possessors of stances and decisions, partners "with"/"against", and
    complements of political nouns ("pressure on Pyongyang", "concerns in Seoul") are governments;
    modifiers ("a Seoul street"), places of events ("occurred in Kyiv") and targets of strikes are cities.
    """
    dep, head = token.dep_, token.head
    nxt = token.doc[token.i + 1] if token.i + 1 < len(token.doc) else None
    if nxt is not None and nxt.tag_ == "POS":
        owner = nxt.head if nxt.head.i != token.i else head
        return owner.lemma_ not in CITY_NOUNS
    if dep == "poss":
        return head.lemma_ not in CITY_NOUNS
    if dep in {"nsubj", "nsubjpass"}:
        return head.lemma_ not in PHYSICAL_VERBS
    if dep == "compound":
        return head.lemma_ in {"government", "regime", "leadership", "authority", "official", "administration"}
    if dep == "pobj":
        prep = head
        governor = prep.head
        if governor.lemma_ in GOVERNMENT_NOUNS or fold(governor.text).rstrip("s") in GOVERNMENT_NOUNS:
            return True
        return prep.lower_ in GOVERNMENT_PREPS and governor.lemma_ not in PHYSICAL_VERBS
    if dep == "dobj":
        return head.lemma_ in GOVERNMENT_VERBS
    if dep == "conj" and head.ent_type_ in PLACE_LABELS and head.i != token.i:
        return _acts_as_government(head)
    return False


def _uncovered_demonyms(doc: Doc, found: list[_Found]) -> list[_Found]:
    """Nationality adjectives the model left unlabelled ("Ukrainian front lines")."""
    covered = {i for f in found for i in range(f.first, f.last + 1)}
    extra = []
    resume = 0
    for token in (doc[i] for i in numpy.flatnonzero(doc.to_array(IS_TITLE)).tolist()):
        if token.i < resume or token.i in covered:
            continue
        for width in (2, 1):
            end = token.i + width
            if end > len(doc) or any(j in covered for j in range(token.i, end)):
                continue
            span = doc[token.i:end]
            iso = gazetteer.country_of_demonym(span.text)
            if iso is not None and span[-1].tag_ in {"JJ", "NNP", "NNPS"}:
                extra.append(_found(span, gazetteer.countries()[iso].name, "GPE", country=iso, role="demonym"))
                resume = end
                break
    return extra


def _link_people(found: list[_Found]) -> list[_Found]:
    """One canonical name per person: spelling variants and bare surnames join the fullest name the
    article gives, matched against every spelling seen so far."""
    spellings: dict[str, str] = {}
    for f in sorted((f for f in found if f.type == "PERSON"), key=lambda f: (-len(f.name.split()), f.start)):
        canonical = _same_person(f.name, spellings) or f.name
        spellings.setdefault(f.name, canonical)
        spellings.setdefault(canonical, canonical)
        f.name = canonical
    for f in found:
        if f.type not in {"PERSON", "GPE"} and len(f.name.split()) == 1 and f.name == f.text:
            match = _same_person(f.name, spellings)
            if match is not None:
                f.name, f.type = match, "PERSON"
    return found


def _same_person(name: str, spellings: dict[str, str]) -> str | None:
    """The canonical name of an already seen person that `name` spells, or None."""
    parts = name.split()
    for spelling, canonical in spellings.items():
        other = spelling.split()
        if fold(spelling) == fold(name):
            return canonical
        if len(parts) == 1 and len(other) > 1:
            if fold(name) in {fold(other[-1]), fold(other[0])}:
                return canonical
            if len(name) >= 5 and fuzz.ratio(fold(name), fold(other[-1])) >= FUZZY_PERSON:
                return canonical
        elif len(parts) == len(other) > 1 and fold(parts[0]) == fold(other[0]) \
                and fuzz.ratio(fold(name), fold(spelling)) >= FUZZY_PERSON:
            return canonical
    return None


def _link_acronyms(doc: Doc, found: list[_Found]) -> None:
    """ "Group of Seven (G7)": the long form and the acronym name one entity, under the curated name if any."""
    by_first = {f.first: f for f in found}
    for f in found:
        i = f.last + 1
        if i + 2 >= len(doc) or doc[i].text != "(" or doc[i + 2].text != ")":
            continue
        short = doc[i + 1]
        if not _is_acronym(short.text):
            continue
        inner = by_first.get(short.i)
        canonical = inner.name if inner is not None and gazetteer.curated().get(fold(short.text)) else f.name
        for other in found:
            if fold(other.name) in {fold(short.text), fold(f.name)}:
                other.name, other.type = canonical, f.type
        f.aliases.add(short.text)


def _apposition_role(doc: Doc, f: _Found, by_token: dict[int, _Found]) -> str | None:
    """A person's role from an apposition: "Andriy Yermak, Zelenskyy’s chief of staff," → "chief of staff
    to Volodymyr Zelenskyy"; "Serhiy Lysak, the regional governor," → "regional governor".

    `by_token` maps each token of a resolved entity to it; built once per article by the caller, since
    building it for every person cost as much as the rest of the search."""
    if f.type != "PERSON":
        return None
    root = doc[f.last]
    heads = [c for c in root.children if c.dep_ == "appos"] + ([root.head] if root.dep_ == "appos" else [])
    for head in heads:
        if not (head.pos_ == "NOUN" or head.lower_ in gazetteer.roles_by_word(-1)) or head.ent_type_:
            continue
        skip = {t.i for t in root.subtree} if head.i == root.head.i else set()
        for t in head.subtree:
            if t.i != head.i and t.dep_ in {"relcl", "acl", "advcl", "conj", "cc", "punct", "appos", "prep"} \
                    and not (t.dep_ == "prep" and t.head.i == head.i and t.lower_ == "of"):
                skip.update(u.i for u in t.subtree)
        tokens = [t for t in head.subtree if t.i not in skip]
        if len(tokens) > 8:
            continue
        owner = next((by_token[t.i] for t in tokens if t.i in by_token and t.dep_ in {"poss", "nmod"}
                      and by_token[t.i].role != "demonym"), None)
        nation = next((by_token[t.i] for t in tokens if t.i in by_token and by_token[t.i].role == "demonym"), None)
        owned = {i for g in (owner, nation) if g is not None for i in range(g.first, g.last + 1)}
        words = [t.text for t in tokens if t.i not in owned and t.tag_ != "POS" and t.dep_ != "det"]
        if not words:
            continue
        role = " ".join(words)
        if owner is not None:
            return f"{role} {'to' if owner.type == 'PERSON' else 'of'} {owner.name}"
        if nation is not None:
            return f"{role} of {nation.name}"
        return role
    return None


def _build(article: Article, found: list[_Found]) -> EntityIndex:
    groups: dict[str, list[_Found]] = {}
    for f in found:
        groups.setdefault(fold(f.name), []).append(f)
    mentioned = Counter(f.country for f in found if f.country)
    entities: dict[str, Entity] = {}
    mentions = []
    text = article.document
    for members in groups.values():
        name = next((m.name for m in members if not m.name.isupper()), members[0].name)
        type_ = Counter(m.type for m in members).most_common(1)[0][0]
        geo: GeoRef | None = geocode(name, mentioned) if type_ in PLACE_LABELS else None
        roles = [m.role for m in members if m.role and m.role not in {"demonym", "government"}]
        role = next((r for r in roles if " of " in r or " to " in r), roles[0] if roles else None)
        aliases = {a for m in members for a in (m.text, m.surface, *m.aliases) if a} - {name}
        entity = Entity(entity_id(type_, name), name, type_, tuple(sorted(aliases)), role,
                        country=geo.country if geo else members[0].country,
                        geonameid=geo.geonameid if geo else None, lat=geo.lat if geo else None,
                        lon=geo.lon if geo else None)
        entities[entity.id] = entity
        mentions += [Mention(article.id, m.start, m.end, text[m.start:m.end], entity.id, m.role) for m in members]
    return EntityIndex(entities, mentions)
