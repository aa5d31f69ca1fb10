"""Train the CoNLL-2003 entity recognizer shipped in `storyline/data/ner_conll`, or score it on eng.testa.

`train` fine-tunes a copy of the base model's own NER network (its hash embeddings, CNN encoder and
hidden layer start from the shipped weights; only the output layer is new, sized for PER/LOC/ORG/MISC)
on `eng.train`. The model is never shown `eng.testa`: a seeded slice of eng.train's documents is held out
for early stopping, and the best checkpoint on it (PER+LOC+ORG F1, the headline metric) is what gets
written. Examples are whole CoNLL documents over the gold tokens, the same unit `storyline eval ner`
feeds the models, built in the base model's vocab so the lexical features match those seen at run time.

`score` runs, once, the base model and the shipped component over `eng.testa` in the same process.
`speed` measures what the component adds to the base model's cost on real war coverage.

    OMP_NUM_THREADS=1 .venv/bin/python scripts/train_ner.py train
    OMP_NUM_THREADS=1 .venv/bin/python scripts/train_ner.py score
    OMP_NUM_THREADS=1 .venv/bin/python scripts/train_ner.py speed
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.pipeline import EntityRecognizer
from spacy.tokens import Doc, Span
from spacy.training import Example
from spacy.training.batchers import minibatch_by_words
from spacy.util import fix_random_seed
from spacy.vocab import Vocab
from thinc.api import Optimizer

from storyline.analyze import conll_ner, nlp
from storyline.evaluate import ner as ner_eval

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data" / "conll2003"
ARTICLES = REPO.parent / "shared" / "data" / "ukraine-news" / "articles.jsonl"

Document = tuple[list[str], set[ner_eval.Entity]]


def blank_doc(vocab: Vocab, words: list[str]) -> Doc:
    return Doc(vocab, words=words, spaces=[True] * (len(words) - 1) + [False])


def to_example(vocab: Vocab, words: list[str], entities: set[ner_eval.Entity]) -> Example:
    reference = blank_doc(vocab, words)
    reference.ents = [Span(reference, start, end, label=kind) for start, end, kind in sorted(entities)]
    return Example(blank_doc(vocab, words), reference)


def split(documents: list[Document], held_out: float, seed: int) -> tuple[list[Document], list[Document]]:
    """Hold out whole documents, so no story is half in training and half in the early-stopping set."""
    order = list(range(len(documents)))
    random.Random(seed).shuffle(order)
    cut = round(len(documents) * held_out)
    return [documents[i] for i in order[cut:]], [documents[i] for i in order[:cut]]


def build(base: Language, examples: Sequence[Example]) -> tuple[Language, Optimizer]:
    """A blank pipeline holding one NER with the base model's architecture, warm-started from its weights."""
    pipeline = spacy.blank("en", vocab=base.vocab)
    model_config = base.get_pipe_config("ner")["model"]
    recognizer = pipeline.add_pipe("ner", config={"model": model_config})
    for label in conll_ner.LABELS:
        recognizer.add_label(label)
    optimizer = pipeline.initialize(lambda: examples)
    source = base.get_pipe("ner").model
    for ref in ("tok2vec", "lower"):
        recognizer.model.get_ref(ref).from_bytes(source.get_ref(ref).to_bytes())
    return pipeline, optimizer


def predict(recognizer: EntityRecognizer, vocab: Vocab, documents: Iterable[Document]) -> list[set[ner_eval.Entity]]:
    docs = recognizer.pipe(blank_doc(vocab, words) for words, _ in documents)
    return [{(e.start, e.end, e.label_) for e in doc.ents} for doc in docs]


def train(args: argparse.Namespace) -> None:
    fix_random_seed(args.seed)
    base = nlp.load()
    documents = list(ner_eval.read_conll(args.data / "eng.train"))
    kept, held = split(documents, args.held_out, args.seed)
    examples = [to_example(base.vocab, words, entities) for words, entities in kept]
    pipeline, optimizer = build(base, examples[:100])
    optimizer.learn_rate = args.learn_rate
    recognizer = pipeline.get_pipe("ner")
    shuffler = random.Random(args.seed)
    gold = [entities for _, entities in held]
    best, stale, step, started = -1.0, 0, 0, time.monotonic()
    print(json.dumps({"train_docs": len(kept), "held_out_docs": len(held), "args": {
        k: str(v) for k, v in vars(args).items() if k != "func"}}), flush=True)
    for epoch in range(args.max_epochs):
        shuffler.shuffle(examples)
        losses: dict[str, float] = {}
        for batch in minibatch_by_words(examples, size=args.batch_words, get_length=lambda e: len(e.reference)):
            pipeline.update(batch, drop=args.dropout, sgd=optimizer, losses=losses)
            step += 1
            if step % args.eval_every:
                continue
            with pipeline.use_params(optimizer.averages):
                result = ner_eval.score(gold, predict(recognizer, base.vocab, held))
                if result["f1"] > best:
                    best, stale = result["f1"], 0
                    pipeline.to_disk(args.out, exclude=["vocab"])
                else:
                    stale += 1
            minutes = (time.monotonic() - started) / 60
            print(json.dumps({"epoch": epoch, "step": step, "loss": round(float(losses.get("ner", 0.0)), 1),
                              "held_out_f1": result["f1"], "per_type": result["per_type"],
                              "f1_all4": result["f1_all4"], "best": best, "minutes": round(minutes, 1)}), flush=True)
            if stale >= args.patience or step >= args.max_steps or minutes >= args.max_minutes:
                print(json.dumps({"stopped_at_step": step, "best_held_out_f1": best}), flush=True)
                return


def score(args: argparse.Namespace) -> None:
    base = nlp.load()
    annotate = conll_ner.load()
    gold, ours, bare = [], [], []
    started = time.monotonic()
    for words, entities in ner_eval.read_conll(args.data / "eng.testa"):
        doc = annotate(ner_eval.parse(base, words))
        gold.append(entities)
        bare.append(ner_eval.mapped(doc.ents))
        ours.append({(s.start, s.end, s.label_) for s in doc.spans[conll_ner.SPAN_KEY]})
    print(json.dumps({"file": str(args.data / "eng.testa"), "documents": len(gold),
                      "ours": ner_eval.score(gold, ours), "bare_sm": ner_eval.score(gold, bare),
                      "seconds": round(time.monotonic() - started, 1)}, indent=1))


def speed(args: argparse.Namespace) -> None:
    """Words per second of the base model alone and with the component, article by article as analyze runs."""
    base = nlp.load()
    annotate = conll_ner.load()
    with args.articles.open(encoding="utf-8") as lines:
        texts = [record["text"] for record in map(json.loads, lines)][: args.limit]
    started = time.monotonic()
    docs = [base(text) for text in texts]
    base_seconds = time.monotonic() - started
    started = time.monotonic()
    for doc in docs:
        annotate(doc)
    extra_seconds = time.monotonic() - started
    words = sum(1 for doc in docs for token in doc if not token.is_space)
    print(json.dumps({"articles": len(docs), "words": words, "base_words_per_s": round(words / base_seconds),
                      "base_plus_conll_words_per_s": round(words / (base_seconds + extra_seconds)),
                      "conll_share_of_time": round(extra_seconds / (base_seconds + extra_seconds), 3)}))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DATA, help="folder with eng.train and eng.testa")
    commands = parser.add_subparsers(required=True)
    trainer = commands.add_parser("train")
    trainer.set_defaults(func=train)
    trainer.add_argument("--out", type=Path, default=conll_ner.MODEL_DIR)
    trainer.add_argument("--seed", type=int, default=0)
    trainer.add_argument("--held-out", type=float, default=0.1, help="share of eng.train documents kept out")
    trainer.add_argument("--dropout", type=float, default=0.2)
    trainer.add_argument("--learn-rate", type=float, default=0.001)
    trainer.add_argument("--batch-words", type=int, default=1000)
    trainer.add_argument("--eval-every", type=int, default=200, help="updates between held-out checks")
    trainer.add_argument("--patience", type=int, default=5, help="held-out checks without improvement")
    trainer.add_argument("--max-epochs", type=int, default=30)
    trainer.add_argument("--max-steps", type=int, default=20000)
    trainer.add_argument("--max-minutes", type=float, default=25.0)
    commands.add_parser("score").set_defaults(func=score)
    timer = commands.add_parser("speed")
    timer.set_defaults(func=speed)
    timer.add_argument("--articles", type=Path, default=ARTICLES)
    timer.add_argument("--limit", type=int, default=200)
    args = parser.parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
