"""Where the model's time goes: each spaCy component's CPU, the shipped model beside storyline's (not a test).

`bench_throughput.py` compares the whole ingest with bare `nlp.pipe`; this splits the model part of that
comparison. Both models read the same texts (ukraine-news articles, title and body as the ingest sees
them) and each component runs over all of them in batches before the next starts, so each row is one
component's own cost. Storyline's model is the shipped one with its attribute ruler and lemmatizer
executed as array lookups (`analyze/nlp.py`), plus the CoNLL entity pass (`analyze/conll_ner.py`), which
bare spaCy does not run.

The last lines say what the throughput goal (the whole ingest at no more CPU than bare spaCy) leaves for
everything outside the model: bare spaCy's total minus what storyline's model passes cost. With
`--repeat N` the two models alternate N times and each row shows its least CPU time (other work on the
machine only ever adds to it).

Usage: python bench/bench_model_parts.py [--size 150] [--batch-size 16] [--repeat 1]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from storyline.analyze import conll_ner, nlp

REPO = Path(__file__).resolve().parents[1]
ARTICLES = REPO.parent / "shared" / "data" / "ukraine-news" / "articles.jsonl"
CONLL = "conll entity pass"

Stage = Callable[[Iterable[Doc]], Iterator[Doc]]


def texts(size: int) -> list[str]:
    """The first `size` articles as the ingest hands them to the model: title, paragraph break, body."""
    rows = [json.loads(line) for line in ARTICLES.read_text().splitlines()[:size]]
    return [f"{row['title']}\n\n{row['text']}" if row.get("title") else row.get("text") or "" for row in rows]


def stages(model: Language, batch_size: int, conll: bool) -> list[tuple[str, Stage]]:
    """The model's components in order, each as a function over a stream of Docs."""
    named: list[tuple[str, Stage]] = []
    for name, component in model.pipeline:
        if hasattr(component, "pipe"):
            named.append((name, lambda docs, c=component: c.pipe(docs, batch_size=batch_size)))
        else:
            named.append((name, lambda docs, c=component: (c(doc) for doc in docs)))
    if conll:
        named.append((CONLL, lambda docs: conll_ner.pipe(docs, batch_size)))
    return named


def time_parts(model: Language, corpus: list[str], batch_size: int, conll: bool) -> dict[str, float]:
    """CPU seconds of each component over the whole corpus, in pipeline order."""
    docs = [model.make_doc(text) for text in corpus]
    spent: dict[str, float] = {}
    for name, stage in stages(model, batch_size, conll):
        started = time.process_time()
        docs = list(stage(docs))
        spent[name] = time.process_time() - started
    return spent


def least(runs: list[dict[str, float]]) -> dict[str, float]:
    return {name: min(run[name] for run in runs) for name in runs[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=150, help="articles to analyse (the file has 447)")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=1, help="alternate the two models this many times")
    args = parser.parse_args()
    if not ARTICLES.exists():
        sys.exit(f"{ARTICLES} is missing (the shared data folder belongs beside the repository)")
    corpus = texts(args.size)
    bare = spacy.load(nlp.MODEL_NAME)
    ours = nlp.load()
    conll_ner.recognizer()
    bare_runs, our_runs = [], []
    for _ in range(max(1, args.repeat)):
        bare_runs.append(time_parts(bare, corpus, args.batch_size, conll=False))
        our_runs.append(time_parts(ours, corpus, args.batch_size, conll=True))
    bare_parts, our_parts = least(bare_runs), least(our_runs)
    bare_total, our_total = sum(bare_parts.values()), sum(our_parts.values())
    words = sum(len(text.split()) for text in corpus)
    print(f"model CPU by component on {len(corpus)} ukraine-news articles ({words} words), batch {args.batch_size}, "
          f"least of {max(1, args.repeat)} run(s)\n")
    print(f"{'component':<20} {'bare spaCy CPU s':>17} {'share':>6} {'storyline CPU s':>16} {'share':>6}")
    for name in [*bare_parts, *(n for n in our_parts if n not in bare_parts)]:
        mine = our_parts.get(name)
        theirs = bare_parts.get(name)
        print(f"{name:<20} {_cell(theirs, 17)} {_share(theirs, bare_total)} {_cell(mine, 16)} {_share(mine, our_total)}")
    print(f"{'total':<20} {bare_total:>17.2f} {'':>6} {our_total:>16.2f}")
    print(f"\nstoryline's model passes / bare spaCy's: {our_total / bare_total:.2f}x CPU")
    print(f"left for cleaning, extraction, linking and storage at the 1.0x goal: {bare_total - our_total:.2f} CPU s "
          f"({(bare_total - our_total) / len(corpus) * 1000:.0f} ms an article)")


def _cell(value: float | None, width: int) -> str:
    return f"{value:>{width}.2f}" if value is not None else f"{'-':>{width}}"


def _share(value: float | None, total: float) -> str:
    return f"{value / total:>6.0%}" if value is not None else f"{'':>6}"


if __name__ == "__main__":
    main()
