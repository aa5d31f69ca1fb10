"""Quote and attribution extraction on the seed articles and on small hand-made texts."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from spacy.language import Language

from storyline.analyze import entities, quotes
from storyline.analyze.context import EntityIndex
from storyline.analyze.nlp import load
from storyline.clean import clean
from storyline.model import Article, Quote, RawItem

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"


@pytest.fixture(scope="module")
def nlp() -> Language:
    return load()


def _article(text: str, title: str = "") -> Article:
    return Article(
        id="t", content_hash="t", item_key="t", title=title, text=text,
        published=datetime(2024, 10, 26, tzinfo=UTC), url=None, source=None, author=None, language="en",
        input_name="t", position=0, format="text", raw=b"",
    )


def _analyse(nlp: Language, article: Article) -> tuple[list[Quote], EntityIndex]:
    doc = nlp(article.document)
    index = entities.extract(doc, article)
    return quotes.extract(doc, article, index), index


def _speaker_name(quote: Quote, index: EntityIndex) -> str | None:
    if quote.speaker_entity_id is None:
        return None
    return index.entity(quote.speaker_entity_id).name


@pytest.fixture(scope="module")
def seeds(nlp: Language) -> dict[str, tuple[Article, list[Quote], EntityIndex, dict]]:
    if not (SEEDS / "gold.json").is_file():
        pytest.skip(f"seed articles not found under {SEEDS}")
    gold = json.loads((SEEDS / "gold.json").read_text(encoding="utf-8"))
    result = {}
    for name, expected in gold["articles"].items():
        item = RawItem(
            input_name=name, position=0, format="text", raw=(SEEDS / name).read_bytes(),
            published=expected["published"],
        )
        article = clean(item)
        found, index = _analyse(nlp, article)
        result[name] = (article, found, index, expected)
    return result


def _gold_quotes() -> list[tuple[str, dict]]:
    path = SEEDS / "gold.json"
    if not path.is_file():
        return []
    gold = json.loads(path.read_text(encoding="utf-8"))
    return [(name, q) for name, article in gold["articles"].items() for q in article["quotes"]]


def _quote_id(value: str | dict) -> str:
    return value if isinstance(value, str) else value["text"][:30]


@pytest.mark.parametrize(("name", "expected"), _gold_quotes(), ids=_quote_id)
def test_seed_gold_quote_found_with_speaker_and_kind(seeds: dict, name: str, expected: dict) -> None:
    article, found, index, _ = seeds[name]
    document = article.document
    start = document.find(expected["text"])
    assert start >= 0, "gold quote text not in the cleaned article"
    end = start + len(expected["text"])
    same_kind = [q for q in found if q.kind == expected["kind"]]
    assert same_kind, f"no {expected['kind']} quotes at all"
    best = max(same_kind, key=lambda q: min(end, q.content_end) - max(start, q.content_start))
    overlap = min(end, best.content_end) - max(start, best.content_start)
    assert overlap >= 0.8 * (end - start), f"no {expected['kind']} quote covers {expected['text']!r}"
    assert best.kind == expected["kind"]
    assert (_speaker_name(best, index) or "").casefold() == expected["speaker"].casefold()


def test_offsets_point_into_the_document(seeds: dict) -> None:
    for article, found, _, _ in seeds.values():
        assert found
        for quote in found:
            document = article.document
            assert document[quote.content_start : quote.content_end] == quote.content
            assert quote.start <= quote.content_start <= quote.content_end <= quote.end
            if quote.speaker is not None:
                assert document[quote.speaker_start : quote.speaker_end] == quote.speaker
            if quote.cue is not None:
                assert document[quote.cue_start : quote.cue_end] == quote.cue


def _quote_containing(found: list[Quote], words: str) -> Quote:
    matching = [q for q in found if words in q.content]
    assert matching, f"no quote contains {words!r}"
    return matching[0]


def test_seed_speaker_resolution_cases(seeds: dict) -> None:
    article, found, index, _ = seeds["003_475177e114bdde18.txt"]
    added = _quote_containing(found, "stringing me along")
    assert (added.speaker, added.cue) == ("He", "added")
    assert _speaker_name(added, index) == "Donald Trump"
    spokesperson = _quote_containing(found, "must end")
    assert spokesperson.speaker == "a spokesperson"
    assert _speaker_name(spokesperson, index) == "US State Department"
    praised = _quote_containing(found, "heroes and representatives")
    assert (praised.speaker, praised.cue, _speaker_name(praised, index)) == ("He", "praised", "Kim Jong Un")

    article, found, index, _ = seeds["000_b91f1ef5999b48e8.txt"]
    lysak = _quote_containing(found, "three people were killed")
    assert lysak.cue is not None and lysak.cue.lower() == "according to"
    assert _speaker_name(lysak, index) == "Serhiy Lysak"
    yermak = _quote_containing(found, "Don’t be deceived")
    assert (yermak.speaker, yermak.cue, _speaker_name(yermak, index)) == ("Yermak", "stated", "Andriy Yermak")
    concern = _quote_containing(found, "grave concern")
    assert (concern.cue, _speaker_name(concern, index)) == ("expressed", "South Korea")
    consensus = _quote_containing(found, "reached a consensus")
    assert consensus.cue == "noted"
    assert _speaker_name(consensus, index) == "G7"


def test_pronoun_skips_an_organisation_to_reach_the_last_person(nlp: Language) -> None:
    text = (
        "Maria Keller, the mayor of Springfield, met the council on Monday. "
        "The council approved the budget. She said the plan would cut waiting times by half."
    )
    found, index = _analyse(nlp, _article(text))
    quote = _quote_containing(found, "cut waiting times")
    assert quote.kind == "indirect"
    assert quote.speaker == "She"
    assert _speaker_name(quote, index) == "Maria Keller"


def test_quotation_spanning_paragraphs_is_one_quote() -> None:
    text = "“The first part goes on,\n\n“and the second part ends here,” she said.\n\nNext paragraph."
    spans = quotes.quotation_spans(text)
    assert [text[s:e] for s, e in spans] == ["The first part goes on,\n\n“and the second part ends here,"]


def test_quotation_continues_after_a_removed_line() -> None:
    text = "“We are concerned.\n\nIt must end,” a spokesperson said.\n\n“Another,” he said."
    spans = quotes.quotation_spans(text)
    assert [text[s:e] for s, e in spans] == ["We are concerned.\n\nIt must end,", "Another,"]


def test_unclosed_quotation_ends_with_its_paragraph() -> None:
    text = "He called it “a disgrace\n\nThe vote is on Monday."
    spans = quotes.quotation_spans(text)
    assert [text[s:e] for s, e in spans] == ["a disgrace"]


def test_straight_quotes_and_apostrophes() -> None:
    text = "\"We won't stop,\" she said. It's 'fine', he said, calling it \"a sham\"."
    spans = quotes.quotation_spans(text)
    assert [text[s:e] for s, e in spans] == ["We won't stop,", "a sham"]


def test_interrupted_quote_gives_two_quotes_with_one_speaker_and_cue(nlp: Language) -> None:
    text = "“We will rebuild,” Mayor Anna Lee said on Tuesday, “and we will do it this year.”"
    found, _ = _analyse(nlp, _article(text))
    direct = [q for q in found if q.kind == "direct"]
    assert [q.content for q in direct] == ["We will rebuild,", "and we will do it this year."]
    expected = ("Mayor Anna Lee", "said", text.index("said"))
    assert {(q.speaker, q.cue, q.cue_start) for q in direct} == {expected}


def test_multi_paragraph_quote_is_attributed_to_the_closing_cue(nlp: Language) -> None:
    body = (
        "The minister spoke at length.\n\n“Our troops will stay as long as needed.\n\n"
        "“Nobody should doubt that,” Defence Minister Carl Brandt said."
    )
    found, index = _analyse(nlp, _article(body))
    quote = _quote_containing(found, "Nobody should doubt")
    assert quote.kind == "direct"
    assert quote.content.startswith("Our troops will stay")
    assert _speaker_name(quote, index) == "Carl Brandt"


def test_scare_quotes_have_no_speaker_and_titles_are_skipped(nlp: Language) -> None:
    text = "The so-called “peace dividend” never came. Critics watched “The Apprentice” on Sunday."
    found, _ = _analyse(nlp, _article(text))
    assert [(q.content, q.speaker, q.cue) for q in found] == [("peace dividend", None, None)]


def test_reported_speech_after_the_clause(nlp: Language) -> None:
    text = "The bridge will reopen in March, the city's transport department said on Friday."
    found, index = _analyse(nlp, _article(text))
    quote = _quote_containing(found, "The bridge will reopen in March")
    assert (quote.kind, quote.cue) == ("indirect", "said")
    assert quote.speaker is not None and "transport department" in quote.speaker


def test_quote_opening_the_next_paragraph_continues_the_speaker(nlp: Language) -> None:
    text = (
        "“We will not give up,” Governor Ruth Alder said.\n\n"
        "“The roads will be open by winter.”\n\n"
        "Later the so-called “winter plan” was published."
    )
    found, _ = _analyse(nlp, _article(text))
    continued = _quote_containing(found, "roads will be open")
    assert (continued.speaker, continued.cue) == ("Governor Ruth Alder", "said")
    scare = _quote_containing(found, "winter plan")
    assert (scare.speaker, scare.cue) == (None, None)


def test_headline_speaker_and_cue_after_an_exclamation(nlp: Language) -> None:
    text = "The vote began. “The great state of Alabama is proud!” Senator Jeff Sessions said as it began."
    found, _ = _analyse(nlp, _article(text, title="Bolton: ‘The slogan might as well be a warning’"))
    headline = _quote_containing(found, "The slogan might")
    assert (headline.speaker, headline.cue) == ("Bolton", ":")
    proud = _quote_containing(found, "Alabama is proud")
    assert (proud.speaker, proud.cue) == ("Senator Jeff Sessions", "said")


def test_a_weekday_is_never_the_speaker(nlp: Language) -> None:
    """A headline run into the first sentence puts the subject on another line; the phrase before the
    cue is then "on Monday", which says when, not who."""
    body = ("North Korea on Monday confirmed for the first time that it had sent troops to fight for Russia, "
            "ending months of silence.")
    found, _ = _analyse(nlp, _article(body, title="North Korea confirms for the first time that its troops fought for Russia"))
    confirmed = _quote_containing(found, "it had sent troops")
    assert confirmed.speaker == "North Korea"
    assert confirmed.content.startswith("it had sent troops")
    assert all(q.speaker != "Monday" for q in found)


def test_a_negated_cue_is_no_quote(nlp: Language) -> None:
    found, _ = _analyse(nlp, _article("North Korea did not say how many soldiers it had sent. Seoul said 3,000 more had gone."))
    assert [q.content for q in found] == ["3,000 more had gone"]


def test_a_participle_cue_after_a_reported_clause_is_the_reporters(nlp: Language) -> None:
    text = ("Governor Ruth Alder said on Sunday that the partnership between the two towns had moved beyond trade, "
            "warning that the mill was now sending workers to the harbour.")
    found, _ = _analyse(nlp, _article(text))
    (warned,) = [q for q in found if q.cue == "warning"]
    assert (warned.speaker, warned.content) == ("Governor Ruth Alder", "the mill was now sending workers to the harbour")
