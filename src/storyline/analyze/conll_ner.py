"""CoNLL-2003 entity types (PER, LOC, ORG, MISC) from a small NER trained on CoNLL's own training data.

The base model's OntoNotes entities are reused by every extractor, so this component must not replace
them: it runs on a copy of the Doc and leaves its predictions in `doc.spans[SPAN_KEY]`, offsets
identical to the original's. The component was fine-tuned from the base model's own NER weights (see
`scripts/train_ner.py`), so it reads the same token features and costs roughly one more NER pass.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache, partial
from itertools import islice
from pathlib import Path

import spacy
from spacy.pipeline import EntityRecognizer
from spacy.tokens import Doc, Span

MODEL_DIR = Path(__file__).resolve().parents[1] / "data" / "ner_conll"
SPAN_KEY = "conll"
LABELS = ("PER", "LOC", "ORG", "MISC")


@lru_cache(maxsize=1)
def recognizer() -> EntityRecognizer:
    """The trained component; cached, like the base model, so that a process loads the weights once."""
    ner = spacy.load(MODEL_DIR).get_pipe("ner")
    if not isinstance(ner, EntityRecognizer):
        raise TypeError(f"{MODEL_DIR} holds no entity recognizer")
    return ner


def load() -> Callable[[Doc], Doc]:
    """A pipe for single Docs made by the base model that adds CoNLL entities under `doc.spans[SPAN_KEY]`."""
    return partial(annotate, recognizer())


def pipe(docs: Iterable[Doc], batch_size: int = 16) -> Iterator[Doc]:
    """Annotate a stream of Docs in batches, yielding each as its batch is done: one network pass per
    batch costs far less than one per Doc, and the result is the same as `ensure` on each."""
    ner = recognizer()
    stream = iter(docs)
    while batch := list(islice(stream, batch_size)):
        todo = [doc for doc in batch if SPAN_KEY not in doc.spans]
        scratches = ner.pipe([_scratch(ner, doc) for doc in todo], batch_size=max(1, len(todo)))
        for doc, scratch in zip(todo, scratches, strict=True):
            _keep(doc, scratch)
        yield from batch


def ensure(doc: Doc) -> Doc:
    """Annotate `doc` unless it already carries CoNLL entities, so that every reader of the entity layer
    sees them while a Doc is still annotated only once (the analyze stage does it up front)."""
    return doc if SPAN_KEY in doc.spans else load()(doc)


def annotate(ner: EntityRecognizer, doc: Doc) -> Doc:
    """Run `ner` on a copy, so the base model's `doc.ents` (what every extractor reads) stay untouched.

    The copy's entities are reset to "missing", not "outside": spaCy's NER keeps preset entity tags
    and would otherwise just echo the base model's. The labels go into the Doc's string store first,
    because the base vocab has never seen "MISC" and spaCy refuses a span label it cannot name.
    """
    _keep(doc, ner(_scratch(ner, doc)))
    return doc


def _scratch(ner: EntityRecognizer, doc: Doc) -> Doc:
    for label in ner.labels:
        doc.vocab.strings.add(label)
    scratch = doc.copy()
    scratch.set_ents([], default="missing")
    return scratch


def _keep(doc: Doc, scratch: Doc) -> None:
    doc.spans[SPAN_KEY] = [Span(doc, ent.start, ent.end, label=ent.label) for ent in scratch.ents]
