"""The shipped CoNLL entity component: sensible labels on news sentences, the base entities left alone, small size."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from spacy.language import Language
from spacy.tokens import Doc

from storyline.analyze import conll_ner, nlp

SIZE_LIMIT = 10 * 1024 * 1024


@pytest.fixture(scope="module")
def base() -> Language:
    return nlp.load()


@pytest.fixture(scope="module")
def annotate() -> Callable[[Doc], Doc]:
    return conll_ner.load()


def found(doc: Doc) -> set[tuple[str, str]]:
    return {(span.text, span.label_) for span in doc.spans[conll_ner.SPAN_KEY]}


@pytest.mark.parametrize(("text", "expected"), [
    ("Reuters reported that Volodymyr Zelenskyy met NATO officials in Brussels.",
     {("Reuters", "ORG"), ("Volodymyr Zelenskyy", "PER"), ("NATO", "ORG"), ("Brussels", "LOC")}),
    ("Angela Merkel said Germany would send more troops to Lithuania.",
     {("Angela Merkel", "PER"), ("Germany", "LOC"), ("Lithuania", "LOC")}),
    ("Shares of Microsoft fell 3 percent in New York on Tuesday, while the European Commission met in Paris.",
     {("Microsoft", "ORG"), ("New York", "LOC"), ("European Commission", "ORG"), ("Paris", "LOC")}),
    ("The Russian and Ukrainian delegations met in Istanbul on Tuesday.",
     {("Russian", "MISC"), ("Ukrainian", "MISC"), ("Istanbul", "LOC")}),
])
def test_labels_on_news_sentences(base: Language, annotate: Callable[[Doc], Doc], text: str,
                                  expected: set[tuple[str, str]]) -> None:
    assert found(annotate(base(text))) == expected


def test_base_entities_and_offsets_are_kept(base: Language, annotate: Callable[[Doc], Doc]) -> None:
    doc = base("Sergei Lavrov told reporters in Moscow that Washington was to blame.")
    before = [(e.start_char, e.end_char, e.label_) for e in doc.ents]
    annotate(doc)
    assert [(e.start_char, e.end_char, e.label_) for e in doc.ents] == before
    spans = doc.spans[conll_ner.SPAN_KEY]
    assert spans and all(span.doc is doc and span.label_ in conll_ner.LABELS for span in spans)
    assert {doc.text[s.start_char:s.end_char] for s in spans} >= {"Sergei Lavrov", "Moscow"}


def test_component_is_small() -> None:
    files = [p for p in conll_ner.MODEL_DIR.rglob("*") if p.is_file()]
    assert files, f"no trained component in {conll_ner.MODEL_DIR}"
    assert sum(p.stat().st_size for p in files) <= SIZE_LIMIT


def test_batched_pipe_matches_one_doc_at_a_time(base: Language, annotate: Callable[[Doc], Doc]) -> None:
    texts = ["Angela Merkel said Germany would send more troops to Lithuania.", "",
             "Reuters reported that Volodymyr Zelenskyy met NATO officials in Brussels.",
             "Shares of Microsoft fell 3 percent in New York on Tuesday."]
    single = [found(annotate(base(text))) for text in texts]
    already = base(texts[0])
    already.spans[conll_ner.SPAN_KEY] = []
    docs = [already, *base.pipe(texts[1:])]
    piped = list(conll_ner.pipe(iter(docs), batch_size=2))
    assert [d is o for d, o in zip(piped, docs, strict=True)] == [True] * len(docs)
    assert found(piped[0]) == set()
    assert [found(d) for d in piped[1:]] == single[1:]
