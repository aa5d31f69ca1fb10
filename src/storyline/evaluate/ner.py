"""`storyline eval ner`: named-entity spans on CoNLL-2003, ours against bare spaCy in the same run.

Both systems read the gold tokens one document at a time, so tokenisation never costs a match. spaCy's
OntoNotes labels are mapped to CoNLL's four types (the dataset README's map); scoring is conlleval's
exact match of span and type, micro-averaged. The headline is PER+LOC+ORG, because MISC is defined too
differently in the two schemes to be compared fairly. "Ours" is `entities.entity_spans`, the layer the
analyze stage uses (trained CoNLL component, base model, gazetteer fixes); its MISC-like spans carry
OntoNotes labels (NORP, EVENT, ...) that the map turns back into MISC.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc, Span

from storyline.analyze import entities, nlp

LABEL_MAP = {"PERSON": "PER", "GPE": "LOC", "LOC": "LOC", "FAC": "LOC", "ORG": "ORG", "NORP": "MISC",
             "EVENT": "MISC", "WORK_OF_ART": "MISC", "LAW": "MISC", "LANGUAGE": "MISC", "PRODUCT": "MISC"}
HEADLINE_TYPES = ("PER", "LOC", "ORG")
ALL_TYPES = (*HEADLINE_TYPES, "MISC")
DEFAULT_FILE = "eng.testa"

Entity = tuple[int, int, str]
"""(first token, end token exclusive, CoNLL type)."""


def read_conll(path: Path) -> Iterator[tuple[list[str], set[Entity]]]:
    """Documents of a CoNLL-2003 file: their tokens and gold entities (IOB1 or IOB2 tags)."""
    words: list[str] = []
    tags: list[str] = []
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            fields = line.split()
            if fields and fields[0] == "-DOCSTART-":
                if words:
                    yield words, set(iob_entities(tags))
                words, tags = [], []
            elif fields:
                words.append(fields[0])
                tags.append(fields[-1])
    if words:
        yield words, set(iob_entities(tags))


def iob_entities(tags: list[str]) -> Iterator[Entity]:
    """Entity spans from IOB tags; an I- tag after a different type (IOB1) or a B- tag starts a new one."""
    start: int | None = None
    kind = ""
    for i, tag in enumerate([*tags, "O"]):
        prefix, _, label = tag.partition("-")
        if start is not None and (tag == "O" or prefix == "B" or label != kind):
            yield start, i, kind
            start = None
        if tag != "O" and start is None:
            start, kind = i, label


def mapped(spans: Iterable[Span]) -> set[Entity]:
    return {(s.start, s.end, LABEL_MAP[s.label_]) for s in spans if s.label_ in LABEL_MAP}


def parse(model: Language, words: list[str]) -> Doc:
    """Run the pipeline over gold tokens: the tokenizer is skipped, every other component runs once."""
    doc = Doc(model.vocab, words=words, spaces=[True] * (len(words) - 1) + [False])
    for _, component in model.pipeline:
        doc = component(doc)
    return doc


def score(gold: Iterable[set[Entity]], predicted: Iterable[set[Entity]]) -> dict[str, Any]:
    """conlleval-style exact-match scores: micro P/R/F1 over PER+LOC+ORG, per-type F1, and all four types."""
    hits: Counter[str] = Counter()
    wanted: Counter[str] = Counter()
    proposed: Counter[str] = Counter()
    for expected, found in zip(gold, predicted, strict=True):
        wanted.update(kind for *_, kind in expected)
        proposed.update(kind for *_, kind in found)
        hits.update(kind for *_, kind in expected & found)

    def prf(types: Iterable[str]) -> tuple[float, float, float]:
        kinds = list(types)
        tp = sum(hits[k] for k in kinds)
        p = tp / max(1, sum(proposed[k] for k in kinds))
        r = tp / max(1, sum(wanted[k] for k in kinds))
        return p, r, (2 * p * r / (p + r) if p + r else 0.0)

    precision, recall, f1 = prf(HEADLINE_TYPES)
    return {"f1": round(f1, 4), "precision": round(precision, 4), "recall": round(recall, 4),
            "per_type": {k: round(prf([k])[2], 4) for k in ALL_TYPES},
            "f1_all4": round(prf(ALL_TYPES)[2], 4),
            "gold_entities": sum(wanted[k] for k in HEADLINE_TYPES)}


def evaluate(path: Path, *, limit: int | None = None) -> dict[str, Any]:
    """Score our entity layer and bare spaCy on a CoNLL-2003 file (a folder means its `eng.testa`)."""
    path = Path(path)
    if path.is_dir():
        path = path / DEFAULT_FILE
    model = nlp.load()
    gold, ours, baseline = [], [], []
    for n, (words, expected) in enumerate(read_conll(path)):
        if limit is not None and n >= limit:
            break
        doc = parse(model, words)
        gold.append(expected)
        baseline.append(mapped(doc.ents))
        ours.append(mapped(entities.entity_spans(doc)))
    result = score(gold, ours)
    result.update(task="ner", dataset=str(path), documents=len(gold), model=nlp.MODEL_NAME,
                  baseline={"name": "bare spaCy", **score(gold, baseline)})
    return result
