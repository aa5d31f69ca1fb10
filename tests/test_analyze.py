"""The analyze stage end to end: one parse, every extractor, spans that point into the document."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from storyline.analyze import EXTRACTOR_VERSION, analyze, analyze_articles, conll_ner, nlp
from storyline.model import Analysis, Article

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
GOLD = SEEDS / "gold.json"


def seed_articles() -> list[Article]:
    gold = json.loads(GOLD.read_text(encoding="utf-8"))["articles"]
    articles = []
    for name, expected in sorted(gold.items()):
        lines = (SEEDS / name).read_text(encoding="utf-8").splitlines()[1:]
        body = "\n".join(line for line in lines if line.strip() not in expected["boilerplate_lines_removed"])
        articles.append(Article(
            id=name, content_hash=name, item_key=name, title=expected["title"], text=body.strip(),
            published=datetime.fromisoformat(expected["published"]).replace(tzinfo=timezone.utc), url=None,
            source=None, author=None, language="en", input_name=name, position=0, format="text", raw=b""))
    return articles


@pytest.fixture(scope="module")
def analysed() -> list[tuple[Article, Analysis]]:
    if not GOLD.exists():
        pytest.skip(f"seeds not found at {SEEDS}")
    return list(analyze_articles(seed_articles(), batch_size=2))


def test_batches_keep_article_order_and_match_single_analysis(analysed: list[tuple[Article, Analysis]]) -> None:
    articles = seed_articles()
    assert [a.id for a, _ in analysed] == [a.id for a in articles]
    first, result = analysed[0]
    assert analyze(first, nlp.load()(first.document)) == result
    assert all(r.article_id == a.id and r.version == EXTRACTOR_VERSION for a, r in analysed)


def test_spans_slice_the_document(analysed: list[tuple[Article, Analysis]]) -> None:
    for article, result in analysed:
        document = article.document
        records = [*result.mentions, *result.places, *result.timerefs, *result.quantities, *result.claims]
        assert records
        for record in records:
            assert 0 <= record.start < record.end <= len(document)
            assert document[record.start:record.end] == record.text
        for quote in result.quotes:
            assert document[quote.content_start:quote.content_end] == quote.content


def test_every_extractor_contributes(analysed: list[tuple[Article, Analysis]]) -> None:
    _, first = analysed[0]
    assert first.entities and first.mentions and first.places and first.timerefs and first.quotes
    assert first.events and first.quantities and first.claims
    ids = {e.id for e in first.entities}
    assert all(m.entity_id in ids for m in first.mentions)


def test_the_trained_entity_component_annotates_the_parse_once() -> None:
    article = seed_articles()[0] if GOLD.exists() else None
    if article is None:
        pytest.skip(f"seeds not found at {SEEDS}")
    doc = nlp.load()(article.document)
    before = [(e.start, e.end, e.label_) for e in doc.ents]
    result = analyze(article, doc)
    spans = doc.spans[conll_ner.SPAN_KEY]
    assert spans and [(e.start, e.end, e.label_) for e in doc.ents] == before
    assert conll_ner.ensure(doc).spans[conll_ner.SPAN_KEY] is spans
    assert analyze(article, doc) == result
