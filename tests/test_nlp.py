"""The shared pipeline: paragraph breaks bound sentences, and the faster components give spaCy's own output."""

from __future__ import annotations

from pathlib import Path

import numpy
import pytest
import spacy
from spacy.language import Language

from storyline.analyze import nlp

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
ATTRS = ["TAG", "POS", "MORPH", "LEMMA", "DEP", "HEAD", "ENT_TYPE", "ENT_IOB", "SENT_START"]
TEXTS = [
    "But he said it's gonna rain, and they'll wanna leave -- ain't that so?\n\n  Her book and his.",
    "The U.S. and an E.U. envoy met this week; those talks were theirs, not yours.",
    "Y'all know there is something wrong: c'mon, let's go, I gotta see whether nothing's changed.\n \nThere were 3.",
    "BUT THAT is what   they said.\n\n\nSomeone, anyone -- that which remains -- should ask about it, because.",
    "",
    "\n\n",
]


@pytest.fixture(scope="module")
def shipped() -> Language:
    """The model as spaCy ships it, plus only the paragraph-break step, so the parses are comparable."""
    model = spacy.load(nlp.MODEL_NAME)
    model.add_pipe("storyline_paragraph_breaks", before="parser")
    return model


def test_a_paragraph_break_ends_an_unpunctuated_headline() -> None:
    doc = nlp.load()("Russia Launches Massive Drone Attack On Kyiv\n\nRussian forces launched dozens of drones "
                     "at the capital overnight, officials said.\n\nThe attack killed two people.")
    sentences = [s.text.strip() for s in doc.sents]
    assert sentences == ["Russia Launches Massive Drone Attack On Kyiv",
                         "Russian forces launched dozens of drones at the capital overnight, officials said.",
                         "The attack killed two people."]
    headline = doc[:7]
    assert all(headline.start <= t.head.i < headline.end for t in headline)


def test_a_single_line_break_leaves_sentences_to_the_parser() -> None:
    doc = nlp.load()("Officials said the talks\nwould resume on Monday.")
    assert len(list(doc.sents)) == 1


def test_the_faster_components_match_spacys_own(shipped: Language) -> None:
    texts = list(TEXTS)
    if SEEDS.exists():
        texts += [path.read_text(encoding="utf-8") for path in sorted(SEEDS.glob("*.txt"))]
    ours_model = nlp.load()
    assert ours_model.pipe_names == ["tok2vec", "tagger", "paragraph_breaks", "parser", "attribute_ruler",
                                     "lemmatizer", "ner"]
    for ours, theirs in zip(ours_model.pipe(texts), shipped.pipe(texts), strict=True):
        assert numpy.array_equal(ours.to_array(ATTRS), theirs.to_array(ATTRS)), ours.text[:80]
        assert [str(t.morph) for t in ours] == [str(t.morph) for t in theirs]
        assert [t.lemma_ for t in ours] == [t.lemma_ for t in theirs]
        assert nlp.text(ours) == theirs.text


def test_the_faster_components_match_on_each_doc_alone(shipped: Language) -> None:
    """Lemmas are remembered across Docs; a Doc's own result must not depend on what came before."""
    text = TEXTS[2]
    fresh = nlp.load()(text)
    for _ in nlp.load().pipe(TEXTS):
        pass
    again = nlp.load()(text)
    theirs = shipped(text)
    assert [t.lemma_ for t in fresh] == [t.lemma_ for t in again] == [t.lemma_ for t in theirs]
