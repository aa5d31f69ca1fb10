"""`storyline eval developments`: incident clustering on the Gun Violence Archive corpus.

The whole stream goes, in publication order, through clean → analyze → link into a temporary SQLite
store, and each article's development (that of its first passage, which holds the headline) is
scored with B-cubed against the gold incidents. The 22 articles filed under several incidents are
scored against the first incident `clusters.jsonl` lists for them; articles the cleaner rejects (empty
pages) are left out of both sides. The reference in the same run is TF-IDF single-pass clustering at
its best threshold on this very data (an optimistic baseline: its threshold is tuned on the answers).
"""

from __future__ import annotations

import json
import os
import pickle
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import create_engine, select

from storyline.clean import CleanError, clean
from storyline.model import Analysis, Article, RawItem
from storyline.store import schema, story_tables
from storyline.stories.link import LinkConfig, link_article

THRESHOLDS = tuple(round(0.05 * i, 2) for i in range(1, 19))


def bcubed(predicted: dict[str, str], gold: dict[str, str]) -> tuple[float, float, float]:
    """B-cubed precision, recall and F1 over the items both sides label."""
    items = sorted(set(predicted) & set(gold))
    if not items:
        return 0.0, 0.0, 0.0
    pred_groups: dict[str, set[str]] = {}
    gold_groups: dict[str, set[str]] = {}
    for item in items:
        pred_groups.setdefault(predicted[item], set()).add(item)
        gold_groups.setdefault(gold[item], set()).add(item)
    precision = recall = 0.0
    for item in items:
        mine, truth = pred_groups[predicted[item]], gold_groups[gold[item]]
        shared = len(mine & truth)
        precision += shared / len(mine)
        recall += shared / len(truth)
    precision /= len(items)
    recall /= len(items)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def single_pass(similarity: np.ndarray, threshold: float) -> list[int]:
    """Online centroid clustering over a precomputed cosine matrix of unit vectors.

    cos(d, centroid) = Σ_j∈C cos(d, j) / ‖Σ_j∈C v_j‖, and ‖Σ v_j‖² = Σ_i,j∈C cos(i, j), so each step
    is one bincount over the items seen so far.
    """
    labels: list[int] = []
    norms2: list[float] = []
    for i in range(similarity.shape[0]):
        if labels:
            sums = np.bincount(labels, weights=similarity[i, :i], minlength=len(norms2))
            scores = sums / np.sqrt(np.maximum(norms2, 1e-12))
            best = int(np.argmax(scores))
            if scores[best] >= threshold:
                members = np.array(labels) == best
                norms2[best] += 2 * float(similarity[i, :i][members].sum()) + float(similarity[i, i])
                labels.append(best)
                continue
        labels.append(len(norms2))
        norms2.append(float(similarity[i, i]))
    return labels


def tfidf_baseline(ids: Sequence[str], texts: Sequence[str], gold: dict[str, str]) -> dict[str, Any]:
    """The reference: TF-IDF single-pass clustering, reporting the threshold that scores best."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    matrix = TfidfVectorizer(sublinear_tf=True, stop_words="english", min_df=1).fit_transform(texts)
    similarity = (matrix @ matrix.T).toarray().astype(np.float64)
    best: dict[str, Any] = {"bcubed_f1": -1.0}
    for threshold in THRESHOLDS:
        labels = single_pass(similarity, threshold)
        p, r, f = bcubed({i: str(label) for i, label in zip(ids, labels, strict=True)}, gold)
        if f > best["bcubed_f1"]:
            best = {"method": "tfidf single-pass", "threshold": threshold, "bcubed_precision": p, "bcubed_recall": r, "bcubed_f1": f}
    return best


def _analyze(articles: Sequence[Article]) -> Iterator[tuple[Article, Analysis]]:
    """Analyze in batches; a batch that fails is redone article by article, and an article whose
    analysis fails keeps an empty analysis (version "failed"), so one extractor bug costs one article."""
    from storyline.analyze import analyze_articles

    for start in range(0, len(articles), 50):
        batch = articles[start : start + 50]
        try:
            yield from list(analyze_articles(batch))
        except Exception:  # noqa: BLE001 - isolate the failing article below
            for article in batch:
                try:
                    yield from list(analyze_articles([article]))
                except Exception:  # noqa: BLE001
                    yield article, Analysis(article.id, "failed")


def cache_dir() -> Path:
    """Where analyses are cached: `$STORYLINE_EVAL_CACHE`, else `storyline-eval-cache` in the temp dir."""
    configured = os.environ.get("STORYLINE_EVAL_CACHE")
    path = Path(configured) if configured else Path(tempfile.gettempdir()) / "storyline-eval-cache"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _write(path: Path, cached: dict[str, Analysis]) -> None:
    partial = path.with_suffix(".partial")
    partial.write_bytes(pickle.dumps(cached))
    os.replace(partial, path)


def analyses(articles: Sequence[Article], cache_name: str, *, save_every: int = 100) -> list[Analysis]:
    """Analyses of the articles, cached per extractor version (analysing a few thousand articles
    takes hours on a loaded machine; tuning the linker re-reads them many times).

    The cache is rewritten every `save_every` new analyses, so an interrupted full run keeps what it
    analysed and the next run resumes from there.
    """
    from storyline.analyze import EXTRACTOR_VERSION

    path = cache_dir() / f"{cache_name}-v{EXTRACTOR_VERSION}.pkl"
    cached: dict[str, Analysis] = pickle.loads(path.read_bytes()) if path.exists() else {}
    missing = [a for a in articles if a.id not in cached]
    for done, (article, analysis) in enumerate(_analyze(missing), start=1):
        cached[article.id] = analysis
        if done % save_every == 0:
            _write(path, cached)
    if missing:
        _write(path, cached)
    return [cached[a.id] for a in articles]


def link_stream(pairs: Iterable[tuple[Article, Analysis]], config: LinkConfig = LinkConfig()) -> dict[str, list[tuple[int, int, str, str]]]:
    """Link articles in the given order into a fresh in-memory store; per article its passages'
    (start, end, development id, story id) as they stand at the end of the stream.

    Stories merge as the stream goes on (`stories.merge`), so the story a passage was filed under
    when it arrived may since have been folded into another: the memberships are read back from the
    store once every article is linked, as a reader of the store would see them.
    """
    engine = create_engine("sqlite://")
    with engine.begin() as conn:
        schema.metadata.create_all(conn)
        story_tables.ensure(conn)
    order = []
    for article, analysis in pairs:
        with engine.begin() as conn:
            link_article(conn, article, analysis, config)
        order.append(article.id)
    ps = story_tables.passages
    memberships: dict[str, list[tuple[int, int, str, str]]] = {article_id: [] for article_id in order}
    with engine.connect() as conn:
        for row in conn.execute(select(ps.c.article_id, ps.c.start, ps.c.end, ps.c.development_id, ps.c.story_id).order_by(ps.c.article_id, ps.c.start)):
            memberships[row.article_id].append((row.start, row.end, row.development_id, row.story_id))
    engine.dispose()
    return memberships


def clean_all(records: Iterable[tuple[int, dict[str, Any]]], make_item: Callable[[int, dict[str, Any]], RawItem]) -> list[tuple[Article, dict[str, Any]]]:
    """Clean dataset records, keeping each with its source record; empty pages are skipped."""
    kept = []
    for position, record in records:
        try:
            kept.append((clean(make_item(position, record)), record))
        except CleanError:
            continue
    return kept


def _gva_item(position: int, record: dict[str, Any]) -> RawItem:
    return RawItem(
        input_name="gva/articles.jsonl",
        position=position,
        format="jsonl",
        raw=json.dumps(record).encode(),
        text=record.get("text") or "",
        title=record.get("title"),
        published=record.get("published"),
        url=record.get("url"),
    )


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def evaluate(path: Path, *, limit: int | None = None, config: LinkConfig = LinkConfig()) -> dict[str, Any]:
    """Score development linking on the gva folder; `limit` keeps the earliest articles."""
    path = Path(path)
    records = sorted(read_jsonl(path / "articles.jsonl"), key=lambda r: (r.get("published") or "", r["id"]))
    records = records[:limit] if limit else records
    incident: dict[str, str] = {}
    for row in read_jsonl(path / "clusters.jsonl"):
        incident.setdefault(row["id"], row["incident"])
    cleaned = clean_all(enumerate(records), _gva_item)
    articles = [article for article, _ in cleaned]
    gold = {article.id: incident[record["id"]] for article, record in cleaned if record["id"] in incident}
    found = analyses(articles, "gva")
    links = link_stream(zip(articles, found, strict=True), config)
    predicted = {article_id: passages[0][2] for article_id, passages in links.items() if passages}
    return {
        "incidents": len(set(gold.values())),
        "developments": len(set(predicted.values())),
        **clustering_report(articles, found, predicted, gold),
    }


def clustering_report(articles: Sequence[Article], found: Iterable[Analysis], predicted: dict[str, str],
                      gold: dict[str, str]) -> dict[str, Any]:
    """The B-cubed scores every clustering eval reports, beside the TF-IDF reference on the same articles."""
    p, r, f = bcubed(predicted, gold)
    return {
        "articles": len(articles),
        "analysis_failed": sum(a.version == "failed" for a in found),
        "bcubed_precision": round(p, 4),
        "bcubed_recall": round(r, 4),
        "bcubed_f1": round(f, 4),
        "baseline": {k: round(v, 4) if isinstance(v, float) else v for k, v in tfidf_baseline(
            [a.id for a in articles], [a.document for a in articles], gold).items()},
    }
