"""Entity extraction against the hand-made seed expectations and small constructed cases."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from storyline.analyze import entities, nlp
from storyline.analyze.context import EntityIndex
from storyline.model import Article

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
GOLD = SEEDS / "gold.json"
KNOWLEDGE_ROLES = {"Donald Trump"}
"""Gold roles the text does not state: the seed says "President Donald Trump", not of which country."""


def make_article(text: str, title: str = "", name: str = "test") -> Article:
    return Article(id=name, content_hash=name, item_key=name, title=title, text=text,
                   published=datetime(2024, 10, 26, tzinfo=timezone.utc), url=None, source=None, author=None,
                   language="en", input_name=name, position=0, format="text", raw=b"")


def seed_article(name: str, expected: dict) -> Article:
    """The seed as the cleaner should leave it: gold title, body without the listed boilerplate lines."""
    lines = (SEEDS / name).read_text(encoding="utf-8").splitlines()[1:]
    body = "\n".join(line for line in lines if line.strip() not in expected["boilerplate_lines_removed"]).strip()
    return make_article(body, expected["title"], name)


def gold_cases() -> list:
    if not GOLD.exists():
        return [pytest.param(None, None, marks=pytest.mark.skip(reason=f"seeds not found at {SEEDS}"))]
    gold = json.loads(GOLD.read_text(encoding="utf-8"))["articles"]
    cases = []
    for name, expected in sorted(gold.items()):
        for entity in expected["entities"]:
            cases.append(pytest.param(name, entity, id=f"{name[:3]}-{entity['canonical']}"))
    return cases


@pytest.fixture(scope="module")
def seed_indexes() -> dict[str, EntityIndex]:
    if not GOLD.exists():
        pytest.skip(f"seeds not found at {SEEDS}")
    gold = json.loads(GOLD.read_text(encoding="utf-8"))["articles"]
    model = nlp.load()
    indexes = {}
    for name, expected in gold.items():
        article = seed_article(name, expected)
        indexes[name] = entities.extract(model(article.document), article)
    return indexes


def index_of(text: str) -> EntityIndex:
    article = make_article(text)
    return entities.extract(nlp.load()(article.document), article)


def by_name(index: EntityIndex, name: str):
    return next((e for e in index.entities.values() if e.name.casefold() == name.casefold()), None)


def surface_forms(index: EntityIndex, entity) -> set[str]:
    texts = {m.text for m in index.mentions if m.entity_id == entity.id}
    return {s.casefold() for s in (entity.name, *entity.aliases, *texts)}


@pytest.mark.parametrize(("name", "expected"), gold_cases())
def test_gold_entity_resolved(seed_indexes: dict[str, EntityIndex], name: str, expected: dict) -> None:
    index = seed_indexes[name]
    entity = by_name(index, expected["canonical"])
    assert entity is not None, f"{expected['canonical']} not among {[e.name for e in index.entities.values()]}"
    assert entity.type == expected["type"]
    missing = {a for a in expected.get("aliases_in_text", []) if a.casefold() not in surface_forms(index, entity)}
    assert not missing
    if "role" in expected and expected["canonical"] not in KNOWLEDGE_ROLES:
        assert (entity.role or "").casefold() == expected["role"].casefold()


def test_role_without_country_keeps_the_title(seed_indexes: dict[str, EntityIndex]) -> None:
    trump = by_name(seed_indexes["003_475177e114bdde18.txt"], "Donald Trump")
    assert trump is not None and trump.role == "President"


def test_every_mention_slices_the_document(seed_indexes: dict[str, EntityIndex]) -> None:
    gold = json.loads(GOLD.read_text(encoding="utf-8"))["articles"]
    for name, index in seed_indexes.items():
        document = seed_article(name, gold[name]).document
        for mention in index.mentions:
            assert document[mention.start:mention.end] == mention.text
            assert mention.entity_id in index.entities


def test_capital_as_government_and_as_city(seed_indexes: dict[str, EntityIndex]) -> None:
    index = seed_indexes["000_b91f1ef5999b48e8.txt"]
    seoul = [m for m in index.mentions if m.text == "Seoul"]
    assert len(seoul) == 2
    acting, literal = (index.entity(m.entity_id).name for m in seoul)
    assert acting == "South Korea"
    assert literal == "Seoul"


@pytest.mark.parametrize(("text", "capital", "expected"), [
    ("Moscow said on Tuesday it would retaliate against the sanctions.", "Moscow", "Russia"),
    ("Washington warned Beijing against any move on the island.", "Beijing", "China"),
    ("The talks with Kyiv stalled again in March.", "Kyiv", "Ukraine"),
    ("Residents of Kyiv spent the night in metro stations.", "Kyiv", "Kyiv"),
    ("A Moscow court sentenced him to ten years.", "Moscow", "Moscow"),
    ("Tourists crowded a Paris street on Sunday.", "Paris", "Paris"),
])
def test_capital_metonymy_from_the_parse(text: str, capital: str, expected: str) -> None:
    index = index_of(text)
    mention = next(m for m in index.mentions if m.text == capital)
    assert index.entity(mention.entity_id).name == expected


def test_titles_are_stripped_into_roles() -> None:
    index = index_of("German Chancellor Olaf Scholz met President Joe Biden in Berlin on Friday. Scholz said "
                     "the talks went well.")
    scholz = by_name(index, "Olaf Scholz")
    biden = by_name(index, "Joe Biden")
    assert scholz is not None and scholz.role == "Chancellor of Germany"
    assert biden is not None and biden.role == "President"
    assert sum(m.entity_id == scholz.id for m in index.mentions) == 2


@pytest.mark.parametrize("text", [
    "Volodymyr Zelenskyy, the President of Ukraine, said the army held its lines.",
    "Ukrainian President Volodymyr Zelenskyy said the army held its lines.",
])
def test_roles_from_apposition_and_nationality_agree(text: str) -> None:
    zelenskyy = by_name(index_of(text), "Volodymyr Zelenskyy")
    assert zelenskyy is not None and zelenskyy.role == "President of Ukraine"


def test_surnames_and_possessives_join_the_full_name(seed_indexes: dict[str, EntityIndex]) -> None:
    index = seed_indexes["000_b91f1ef5999b48e8.txt"]
    yermak = by_name(index, "Andriy Yermak")
    assert {m.text for m in index.mentions if m.entity_id == yermak.id} == {"Andriy Yermak", "Yermak"}
    zelenskyy = by_name(index, "Volodymyr Zelenskyy")
    texts = [m.text for m in index.mentions if m.entity_id == zelenskyy.id]
    assert "Zelenskyy" in texts and not any("’s" in t for t in texts)


def test_spelling_variants_merge_by_fuzzy_match() -> None:
    index = index_of("Mikhail Mishustin visited the plant. Mishustine said the talks would continue.")
    people = [e for e in index.entities.values() if e.type == "PERSON"]
    assert [p.name for p in people] == ["Mikhail Mishustin"]


def test_demonyms_are_mentions_of_their_country() -> None:
    index = index_of("North Korean troops were seen near the border, and Ukrainians fear more will come.")
    names = {m.text: index.entity(m.entity_id).name for m in index.mentions}
    assert names["North Korean"] == "North Korea"
    assert names["Ukrainians"] == "Ukraine"


def test_acronym_in_parentheses_is_an_alias() -> None:
    index = index_of("The International Monetary Fund (IMF) approved the loan. The IMF said payments start soon.")
    fund = by_name(index, "International Monetary Fund")
    assert fund is not None and "IMF" in fund.aliases
    assert sum(m.entity_id == fund.id for m in index.mentions) >= 2


def test_ids_are_stable_across_articles(seed_indexes: dict[str, EntityIndex]) -> None:
    first, second = (seed_indexes[n] for n in sorted(seed_indexes))
    assert by_name(first, "North Korea").id == by_name(second, "North Korea").id
    assert entities.entity_id("GPE", "Georgia") != entities.entity_id("PERSON", "Georgia")


def spans_of(text: str) -> set[tuple[str, str]]:
    return {(s.text, s.label_) for s in entities.entity_spans(nlp.load()(text))}


def test_trained_component_decides_names_and_base_keeps_dates() -> None:
    spans = spans_of("Gazprom cut gas supplies to Moldova on Monday, a spokesman for Naftogaz said.")
    assert {("Gazprom", "ORG"), ("Moldova", "GPE"), ("Naftogaz", "ORG"), ("Monday", "DATE")} <= spans
    assert ("Moldova", "ORG") not in spans


def test_gazetteer_places_overrule_the_trained_component() -> None:
    assert ("Kyiv", "GPE") in spans_of("Kyiv's mayor Vitali Klitschko said the Darnytskyi district lost power.")


def test_misc_entities_keep_a_misc_like_label() -> None:
    spans = spans_of("The Russian and Ukrainian delegations met in Istanbul on Tuesday.")
    assert {("Russian", "NORP"), ("Ukrainian", "NORP"), ("Istanbul", "GPE")} <= spans


def test_title_case_headline_names_come_from_the_base_model() -> None:
    article = make_article("Ukrainian President Volodymyr Zelenskyy said on Friday that troops could arrive.",
                           title="Zelensky Claims Russia May Deploy North Korean Troops to Battlefront")
    spans = {(s.text, s.label_) for s in entities.entity_spans(nlp.load()(article.document))}
    assert ("Zelensky", "PERSON") in spans and ("Russia", "GPE") in spans
    assert not any(text.startswith("Zelensky Claims") or "Deploy" in text for text, _ in spans)


def test_the_gazetteer_matcher_reads_the_tokens_the_tokenizer_makes_from_its_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The cached words are what spaCy's English tokenizer makes of every name, on the first call (which
    writes the file) and the next (which reads it); a file that does not spell the names is not used."""
    import spacy

    from storyline.analyze import gazetteer

    monkeypatch.setenv("STORYLINE_CACHE_DIR", str(tmp_path))
    vocab = nlp.load().vocab
    names = list(gazetteer.surface_names())
    expected = [[token.text for token in doc] for doc in spacy.blank("en", vocab=vocab).tokenizer.pipe(names)]
    assert any(len(words) > 1 for words in expected)
    assert entities.pattern_words(vocab, names) == expected
    (cached,) = tmp_path.glob("gazetteer-words-*.json")
    assert sorted(json.loads(cached.read_text(encoding="utf-8"))) == sorted(expected)
    assert entities.pattern_words(vocab, names) == expected
    assert entities.pattern_words(vocab, names[::-1]) == expected[::-1]
    assert list(tmp_path.glob("gazetteer-words-*.json")) == [cached], "the same names in another order (as in another process) made another file"
    words = json.loads(cached.read_text(encoding="utf-8"))
    cached.write_text(json.dumps([["Atlantis"]] + words[1:]), encoding="utf-8")
    assert entities.pattern_words(vocab, names) == expected, "a cache file that misspells a name was used"
    assert entities.pattern_words(vocab, names[1:]) == expected[1:], "another list of names was answered from this one's file"
    assert len(list(tmp_path.glob("gazetteer-words-*.json"))) == 1, "the file of the older names was kept"
