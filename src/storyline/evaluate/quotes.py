"""Task `quotes`: attribution extraction scored on PolNeAR (brat standoff: Source, Cue, Content).

PolNeAR annotates every attribution relation: direct and indirect speech, "according to", and also
beliefs and stances. A predicted attribution matches a gold one when its content covers at least half of
the gold content's characters; `attribution_*` additionally requires the predicted source span to
overlap the gold source span (or both to have no source). Matching is one-to-one, best overlap first.

storyline's Quotes sharing a cue span are one attribution (an interrupted quotation, or reported speech
with quoted words inside), exactly as PolNeAR's `Content`/`Content2` make one relation. Quotations with
no cue (scare quotes) are predictions too; `cued_only` repeats the scores without them, since PolNeAR
has no relation without a cue. Articles annotated by several annotators are scored against the first
annotator's file in sorted file-name order.

`quoted_gold` gives recall on the gold attributions whose content is mostly inside quotation marks,
the direct quotes a news reader sees first. The baseline, run on the same parses, is textacy's `direct_quotations` (quotation-mark spans with a
speech verb and its subject).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spacy.tokens import Doc

from storyline.analyze import entities, quotes
from storyline.analyze.nlp import load
from storyline.analyze.quotes import quotation_spans
from storyline.model import Article, Quote

MIN_CONTENT_OVERLAP = 0.5
_SPLIT = "dev"


@dataclass(frozen=True)
class Attribution:
    """One relation as character sets: who (source) said what (content); either may be empty."""

    source: frozenset[int]
    content: frozenset[int]


def evaluate(path: Path, *, limit: int | None = None) -> dict[str, Any]:
    """Score storyline and the textacy baseline on PolNeAR's dev split under `path`."""
    split = path / _SPLIT if (path / _SPLIT).is_dir() else path
    articles = read_polnear(split, limit=limit)
    nlp = load()
    ours: list[tuple[list[Attribution], list[Attribution]]] = []
    cued: list[tuple[list[Attribution], list[Attribution]]] = []
    baseline: list[tuple[list[Attribution], list[Attribution]]] = []
    quoted: list[tuple[list[Attribution], list[Attribution]]] = []
    quoted_baseline: list[tuple[list[Attribution], list[Attribution]]] = []
    refused = 0
    texts = [text for _, text, _ in articles]
    for (name, text, gold), doc in zip(articles, nlp.pipe(texts, batch_size=8), strict=True):
        found = _storyline_quotes(name, text, doc)
        ours.append((from_quotes(found), gold))
        cued.append((from_quotes(q for q in found if q.cue_start is not None), gold))
        predicted = _textacy(doc)
        refused += predicted is None
        baseline.append((predicted or [], gold))
        direct = _mostly_quoted(gold, text)
        quoted.append((ours[-1][0], direct))
        quoted_baseline.append((baseline[-1][0], direct))
    return {
        "task": "quotes",
        "dataset": f"PolNeAR {split.name}",
        "articles": len(articles),
        "annotator": "first .ann file per article in sorted order",
        "min_content_overlap": MIN_CONTENT_OVERLAP,
        **score(ours),
        "cued_only": score(cued),
        "quoted_gold": recall(quoted),
        "baseline": {
            "name": "textacy.extract.triples.direct_quotations (textacy 0.13.0)",
            "articles_refused": refused,
            **score(baseline),
            "quoted_gold": recall(quoted_baseline),
        },
    }


def read_polnear(split: Path, *, limit: int | None = None) -> list[tuple[str, str, list[Attribution]]]:
    """(article name, text, gold attributions) for each article of one PolNeAR split folder."""
    by_article: dict[str, list[Path]] = defaultdict(list)
    for ann in sorted((split / "attributions").glob("*.ann")):
        by_article[ann.stem.rsplit("_", 1)[0]].append(ann)
    names = sorted(by_article)[:limit] if limit is not None else sorted(by_article)
    result = []
    for name in names:
        text = (split / "text" / f"{name}.txt").read_text(encoding="utf-8")
        result.append((name, text, read_brat(by_article[name][0].read_text(encoding="utf-8"))))
    return result


_SPAN = re.compile(r"^(T\d+)\t(\S+) ([\d ;]+)\t", re.MULTILINE)


def read_brat(ann: str) -> list[Attribution]:
    """Attribution relations of one brat file: each E record's Source* and Content* spans."""
    spans: dict[str, frozenset[int]] = {}
    for match in _SPAN.finditer(ann):
        chars: set[int] = set()
        for fragment in match.group(3).split(";"):
            start, end = (int(x) for x in fragment.split())
            chars.update(range(start, end))
        spans[match.group(1)] = frozenset(chars)
    relations = []
    for line in ann.splitlines():
        if not line.startswith("E"):
            continue
        source: set[int] = set()
        content: set[int] = set()
        for argument in line.split("\t")[1].split():
            role, _, ref = argument.partition(":")
            if role.startswith("Source"):
                source |= spans.get(ref, frozenset())
            elif role.startswith("Content"):
                content |= spans.get(ref, frozenset())
        if content:
            relations.append(Attribution(frozenset(source), frozenset(content)))
    return relations


def from_quotes(found: Iterable[Quote]) -> list[Attribution]:
    """Quotes sharing a cue span become one attribution; a quote without cue stands alone."""
    grouped: dict[tuple[int, int], tuple[set[int], set[int]]] = {}
    for quote in found:
        alone = (-1 - quote.content_start, 0)
        key = (quote.cue_start, quote.cue_end) if quote.cue_start is not None else alone
        source, content = grouped.setdefault(key, (set(), set()))
        content.update(range(quote.content_start, quote.content_end))
        if quote.speaker_start is not None and quote.speaker_end is not None:
            source.update(range(quote.speaker_start, quote.speaker_end))
    return [Attribution(frozenset(s), frozenset(c)) for s, c in grouped.values()]


def score(documents: Sequence[tuple[Sequence[Attribution], Sequence[Attribution]]]) -> dict[str, Any]:
    """Precision, recall and F1 for content-only and content-plus-source matching, summed over documents."""
    predicted = sum(len(p) for p, _ in documents)
    gold = sum(len(g) for _, g in documents)
    content_hits = sum(_matches(p, g, with_source=False) for p, g in documents)
    attribution_hits = sum(_matches(p, g, with_source=True) for p, g in documents)
    return {
        "predicted": predicted,
        "gold": gold,
        **_prf("content", content_hits, predicted, gold),
        **_prf("attribution", attribution_hits, predicted, gold),
    }


def recall(documents: Sequence[tuple[Sequence[Attribution], Sequence[Attribution]]]) -> dict[str, Any]:
    """Recall alone, for a subset of the gold (precision against a subset means nothing)."""
    gold = sum(len(g) for _, g in documents)
    content_hits = sum(_matches(p, g, with_source=False) for p, g in documents)
    attribution_hits = sum(_matches(p, g, with_source=True) for p, g in documents)
    return {
        "gold": gold,
        "content_recall": round(content_hits / gold, 4) if gold else 0.0,
        "attribution_recall": round(attribution_hits / gold, 4) if gold else 0.0,
    }


def _mostly_quoted(gold: Sequence[Attribution], text: str) -> list[Attribution]:
    """Gold attributions whose content is at least half inside quotation marks: the direct quotes."""
    inside = {i for start, end in quotation_spans(text) for i in range(start, end)}
    return [g for g in gold if len(g.content & inside) * 2 >= len(g.content)]


def _prf(prefix: str, hits: int, predicted: int, gold: int) -> dict[str, float | int]:
    precision = hits / predicted if predicted else 0.0
    recall = hits / gold if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        f"{prefix}_matched": hits,
        f"{prefix}_precision": round(precision, 4),
        f"{prefix}_recall": round(recall, 4),
        f"{prefix}_f1": round(f1, 4),
    }


def _matches(predicted: Sequence[Attribution], gold: Sequence[Attribution], *, with_source: bool) -> int:
    """One-to-one matches, pairing the largest content overlaps first."""
    pairs = []
    for gi, g in enumerate(gold):
        for pi, p in enumerate(predicted):
            overlap = len(g.content & p.content) / len(g.content)
            if overlap < MIN_CONTENT_OVERLAP:
                continue
            if with_source and not _same_source(p, g):
                continue
            pairs.append((overlap, gi, pi))
    used_gold: set[int] = set()
    used_predicted: set[int] = set()
    for _, gi, pi in sorted(pairs, reverse=True):
        if gi not in used_gold and pi not in used_predicted:
            used_gold.add(gi)
            used_predicted.add(pi)
    return len(used_gold)


def _same_source(predicted: Attribution, gold: Attribution) -> bool:
    if not gold.source or not predicted.source:
        return not gold.source and not predicted.source
    return bool(gold.source & predicted.source)


def _storyline_quotes(name: str, text: str, doc: Doc) -> list[Quote]:
    article = Article(
        id=name, content_hash=name, item_key=name, title="", text=text, published=None, url=None,
        source=None, author=None, language="en", input_name=name, position=0, format="text", raw=b"",
    )
    return quotes.extract(doc, article, entities.extract(doc, article))


def _textacy(doc: Doc) -> list[Attribution] | None:
    """The baseline's attributions, or None where it refuses a document (an odd number of marks)."""
    from textacy.extract.triples import direct_quotations

    try:
        triples = list(direct_quotations(doc))
    except ValueError:
        return None
    found = []
    for triple in triples:
        source = {i for tok in triple.speaker for i in range(tok.idx, tok.idx + len(tok))}
        content = range(triple.content.start_char, triple.content.end_char)
        found.append(Attribution(frozenset(source), frozenset(content)))
    return found
