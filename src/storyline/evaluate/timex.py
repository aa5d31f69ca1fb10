"""TempEval-3 time-expression task: find TIMEX3 spans and normalise them, scored the TE3 way.

Extraction is precision/recall/F1 with strict (same characters) and relaxed (overlapping) matching.
`value_f1` and `type_f1` are attribute accuracy over relaxed matches times relaxed F1; `value_f1` is
the headline. The document creation time is given to the system, as in the shared task. dateparser's
`search_dates` runs over the same text in the same run as the baseline.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from storyline.analyze import dates, nlp
from storyline.model import Article

_TAG = re.compile(r"<(/?)([A-Za-z0-9_]+)([^>]*?)(/?)>")
_ATTR = re.compile(r'(\w+)="([^"]*)"')


@dataclass(frozen=True, slots=True)
class Timex:
    start: int
    end: int
    type: str
    value: str


@dataclass(frozen=True, slots=True)
class Document:
    name: str
    corpus: str
    text: str
    dct: datetime
    timexes: tuple[Timex, ...]


def read(path: Path, corpus: str = "") -> Document:
    """One .tml file: plain `<TEXT>` with gold TIMEX3 character offsets into it, and the DCT."""
    raw = path.read_text(encoding="utf-8")
    dct_match = re.search(r"<DCT>\s*<TIMEX3[^>]*value=\"([^\"]+)\"", raw)
    if dct_match is None:
        raise ValueError(f"{path}: no DCT")
    dct = datetime.fromisoformat(dct_match.group(1)[:10]).replace(tzinfo=timezone.utc)
    body_match = re.search(r"<TEXT>(.*)</TEXT>", raw, re.DOTALL)
    if body_match is None:
        raise ValueError(f"{path}: no TEXT")
    text, timexes = strip_tags(body_match.group(1))
    return Document(path.stem, corpus, text, dct, tuple(timexes))


def strip_tags(markup: str) -> tuple[str, list[Timex]]:
    """Plain text of inline TimeML and the TIMEX3 spans, as offsets into that plain text."""
    parts: list[str] = []
    length = 0
    open_timex: list[tuple[int, dict[str, str]]] = []
    timexes: list[Timex] = []
    position = 0
    for tag in _TAG.finditer(markup):
        chunk = html.unescape(markup[position:tag.start()])
        parts.append(chunk)
        length += len(chunk)
        position = tag.end()
        closing, name = tag.group(1), tag.group(2)
        if name != "TIMEX3":
            continue
        if closing:
            start, attrs = open_timex.pop()
            timexes.append(Timex(start, length, attrs.get("type", ""), attrs.get("value", "")))
        elif not tag.group(4):
            open_timex.append((length, dict(_ATTR.findall(tag.group(3)))))
    parts.append(html.unescape(markup[position:]))
    return "".join(parts), timexes


def documents(path: Path, limit: int | None = None) -> list[Document]:
    """Every .tml under `path` (its subfolder names the corpus), spread evenly when `limit` is set."""
    files = sorted(path.rglob("*.tml"))
    if limit is not None and limit < len(files):
        step = len(files) / limit
        files = [files[int(i * step)] for i in range(limit)]
    return [read(f, f.parent.name if f.parent != path else path.name) for f in files]


def system(docs: Sequence[Document]) -> list[list[Timex]]:
    """Our extractor over each document, the DCT as publication date."""
    model = nlp.load()
    found: list[list[Timex]] = []
    for doc, parsed in zip(docs, model.pipe(d.text for d in docs), strict=True):
        article = Article(id=doc.name, content_hash=doc.name, item_key=doc.name, title="", text=doc.text,
                          published=doc.dct, url=None, source=None, author=None, language="en",
                          input_name=doc.name, position=0, format="tml", raw=b"")
        found.append([Timex(r.start, r.end, r.type, r.value) for r in dates.extract(parsed, article)])
    return found


def baseline(docs: Sequence[Document]) -> list[list[Timex]]:
    """dateparser's `search_dates`, relative to the DCT, values cut to day granularity."""
    from dateparser.search import search_dates

    found: list[list[Timex]] = []
    for doc in docs:
        hits = search_dates(doc.text, languages=["en"],
                            settings={"RELATIVE_BASE": doc.dct.replace(tzinfo=None)}) or []
        spans: list[Timex] = []
        cursor = 0
        for surface, when in hits:
            where = doc.text.find(surface, cursor)
            if where < 0:
                continue
            cursor = where + len(surface)
            spans.append(Timex(where, cursor, "DATE", when.date().isoformat()))
        found.append(spans)
    return found


def _prf(matched_sys: int, matched_gold: int, n_sys: int, n_gold: int) -> dict[str, float]:
    p = matched_sys / n_sys if n_sys else 0.0
    r = matched_gold / n_gold if n_gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4)}


def _pairs(gold: Sequence[Timex], predicted: Sequence[Timex]) -> list[tuple[Timex, Timex]]:
    """One-to-one relaxed matches, the largest overlaps first."""
    candidates = []
    for gi, g in enumerate(gold):
        for pi, p in enumerate(predicted):
            overlap = min(g.end, p.end) - max(g.start, p.start)
            if overlap > 0:
                candidates.append((-overlap, gi, pi))
    used_gold: set[int] = set()
    used_pred: set[int] = set()
    pairs = []
    for _, gi, pi in sorted(candidates):
        if gi not in used_gold and pi not in used_pred:
            used_gold.add(gi)
            used_pred.add(pi)
            pairs.append((gold[gi], predicted[pi]))
    return pairs


def score(gold: Iterable[Sequence[Timex]], predicted: Iterable[Sequence[Timex]]) -> dict[str, Any]:
    """TE3 timex metrics over parallel lists of documents."""
    n_gold = n_sys = relaxed = strict = values = types = 0
    for g_doc, p_doc in zip(gold, predicted, strict=True):
        n_gold += len(g_doc)
        n_sys += len(p_doc)
        pairs = _pairs(g_doc, p_doc)
        relaxed += len(pairs)
        strict += len({(p.start, p.end) for p in p_doc} & {(g.start, g.end) for g in g_doc})
        values += sum(g.value == p.value for g, p in pairs)
        types += sum(g.type == p.type for g, p in pairs)
    relaxed_prf = _prf(relaxed, relaxed, n_sys, n_gold)
    value_accuracy = values / relaxed if relaxed else 0.0
    type_accuracy = types / relaxed if relaxed else 0.0
    return {
        "gold": n_gold,
        "system": n_sys,
        "relaxed": relaxed_prf,
        "strict": _prf(strict, strict, n_sys, n_gold),
        "value_accuracy": round(value_accuracy, 4),
        "type_accuracy": round(type_accuracy, 4),
        "value_f1": round(value_accuracy * relaxed_prf["f1"], 4),
        "type_f1": round(type_accuracy * relaxed_prf["f1"], 4),
    }


def _report(docs: Sequence[Document], found: Sequence[Sequence[Timex]]) -> dict[str, Any]:
    result = score([d.timexes for d in docs], found)
    result["documents"] = len(docs)
    corpora = sorted({d.corpus for d in docs})
    if len(corpora) > 1:
        result["by_corpus"] = {
            name: score([d.timexes for d in docs if d.corpus == name],
                        [f for d, f in zip(docs, found, strict=True) if d.corpus == name])
            for name in corpora
        }
    return result


def evaluate(path: Path, *, limit: int | None = None) -> dict[str, Any]:
    """Score our extractor and the dateparser baseline on the TimeML files under `path`."""
    docs = documents(path, limit)
    if not docs:
        raise FileNotFoundError(f"no .tml files under {path}")
    result = _report(docs, system(docs))
    result["baseline"] = _report(docs, baseline(docs))
    return result
