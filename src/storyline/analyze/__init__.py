"""The analyze stage: one spaCy pass per article, then every extractor reads that same `Doc`.

The trained CoNLL entity component (`conll_ner`) adds its spans to that Doc before the extractors run,
once per Doc, leaving the base entities in place: the entity layer combines the two.

Extractors run in dependency order (entities first, since speakers, actors and places resolve through
them) and their results are gathered into one `Analysis`. `EXTRACTOR_VERSION` is stored with each
analysis so the store can tell which articles an upgrade must re-analyze. Every pipeline component of
the model is read by some extractor (the parse by all, lemmas by dates, quotes and events), so none is
disabled.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator

from spacy.tokens import Doc

from storyline.analyze import claims, conll_ner, dates, entities, events, nlp, places, quantities, quotes
from storyline.model import Analysis, Article

EXTRACTOR_VERSION = "3"
"""Bump whenever any extractor's output for the same input changes."""


def analyze(article: Article, doc: Doc) -> Analysis:
    """Run every extractor over `doc`, which must be the parse of `article.document`.

    The CoNLL entity component adds its spans first; the entity layer reads them beside the base entities.
    """
    conll_ner.ensure(doc)
    index = entities.extract(doc, article)
    found_places = places.extract(doc, article, index)
    timerefs = dates.extract(doc, article)
    found_quantities = quantities.extract(doc, article)
    found_quotes = quotes.extract(doc, article, index)
    found_events = events.extract(doc, article, index, found_places, timerefs, found_quantities, found_quotes)
    found_claims = claims.extract(doc, article, index, found_events, found_quotes, timerefs)
    return Analysis(
        article_id=article.id,
        version=EXTRACTOR_VERSION,
        entities=tuple(index.entities.values()),
        mentions=tuple(index.mentions),
        quotes=tuple(found_quotes),
        quantities=tuple(found_quantities),
        timerefs=tuple(timerefs),
        places=tuple(found_places),
        events=tuple(found_events),
        claims=tuple(found_claims),
    )


def analyze_articles(articles: Iterable[Article], *, batch_size: int = 16) -> Iterator[tuple[Article, Analysis]]:
    """Parse articles in batches (spaCy is much faster piped), add the CoNLL entities batch by batch
    too, and analyze each as its parse arrives.

    Articles stream through: only the batch being parsed is held in memory.
    """
    pending: deque[Article] = deque()

    def texts() -> Iterator[str]:
        for article in articles:
            pending.append(article)
            yield article.document

    parsed = nlp.load().pipe(texts(), batch_size=batch_size)
    for doc in conll_ner.pipe(parsed, batch_size=batch_size):
        article = pending.popleft()
        yield article, analyze(article, doc)
