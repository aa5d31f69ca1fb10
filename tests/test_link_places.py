"""Round-5 and round-6 linking rules: where a happening is (cities by distance, stray foreign namesakes), who a
follow-up must name, and what carries a storyline (not outlets or regions; the report's subject).

Hand-built analyses keep each case to the one rule it checks; the gazetteer is the real one.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime

from storyline.model import Analysis, Article, Entity, Place

NEW_YORK, HARLEM, LAS_VEGAS, MAN_IVORY_COAST = "g5128581", "g5120034", "g5506956", "g2284647"


def _article(text: str) -> Article:
    return Article(
        id="places_case_____", content_hash="p", item_key="p", title=None, text=text,
        published=datetime(2015, 6, 24, tzinfo=UTC), url=None, source="p", author=None, language="en",
        input_name="rules", position=0, format="text", raw=text.encode(),
    )


def _place(text: str, name: str, start: int, geonameid: int | None, country: str | None) -> Place:
    return Place("places_case_____", start, start + len(name), name, name, geonameid, None, None, country)


def _dev_profile(cities: Counter[str]) -> dict:  # type: ignore[type-arg]
    from storyline.stories import profile as prof
    from storyline.stories.features import Passage

    member = Passage(article_id="m", start=0, end=10, published="2015-06-24", date="2015-06-24", dated=True,
                     headline="h", lead="l", terms=Counter({"shooting": 2, "deli": 1}), cities=cities)
    return prof.merge(prof.empty(), member, max_terms=10, max_entities=10)


def test_a_neighbourhood_and_its_city_are_one_place() -> None:
    """"Harlem" in one report and "New York City" in another are one scene (6 km apart): no city
    conflict once cities are compared by distance; compared by gazetteer id they conflict. A city
    across the country still conflicts either way."""
    from storyline.stories.features import Passage, distance_km
    from storyline.stories.link import LinkConfig, dev_score

    distance = distance_km(HARLEM, NEW_YORK)
    assert distance is not None and 5 < distance < 15
    config = LinkConfig()
    assert config.dev_city_km >= distance
    report = Passage(article_id="r", start=0, end=10, published="2015-06-24", date="2015-06-24", dated=True,
                     headline="h", lead="l", terms=Counter({"shooting": 1, "deli": 1}), cities=Counter({HARLEM: 1}))
    idf: dict[str, float] = {}
    near = dev_score(report, _dev_profile(Counter({NEW_YORK: 2})), idf, config)
    by_id = dev_score(report, _dev_profile(Counter({NEW_YORK: 2})), idf, replace(config, dev_city_km=0.0))
    far = dev_score(report, _dev_profile(Counter({LAS_VEGAS: 2})), idf, config)
    assert round(near - by_id, 6) == config.dev_w_city_conflict
    assert round(near - far, 6) == config.dev_w_city_conflict


def test_a_stray_foreign_namesake_is_no_city_of_the_passage() -> None:
    """A headline's "Man" geocoded to Man in Côte d'Ivoire, beside Las Vegas, Nevada, is a stray
    namesake: the passage's cities are its US ones. Alone in its passage, the stray is placed by the
    article's other places (the US); a passage really abroad keeps its city. (The report does not
    write "man" in lower case: that would make "Man" an ordinary word, `test_development_stray_places`.)"""
    from storyline.stories.features import passages

    text = "Man killed in shooting identified\n\nLas Vegas police in Nevada said the victim was shot near a park."
    man = _place(text, "Man", 0, 2284647, "CI")
    vegas = _place(text, "Las Vegas", text.index("Las Vegas"), 5506956, "US")
    nevada = _place(text, "Nevada", text.index("Nevada"), 5509151, "US")
    article = _article(text)
    (passage,) = passages(article, Analysis(article.id, "test", places=(man, vegas, nevada)), split_passages=False)
    assert set(passage.cities) == {LAS_VEGAS}
    assert MAN_IVORY_COAST in passage.fine_places
    (alone,) = passages(article, Analysis(article.id, "test", places=(man,)), split_passages=False)
    assert set(alone.cities) == {MAN_IVORY_COAST}


def test_outlets_and_regions_are_no_storyline_evidence() -> None:
    """"CNN" in every CNN dateline and "Middle East" around every uprising of 2011 do not make two
    reports one storyline; a person, an organisation with a name of its own, a city do."""
    from storyline.stories.features import is_specific

    assert not is_specific(Entity("o1", "CNN", "ORG"))
    assert not is_specific(Entity("o2", "The Associated Press", "ORG"))
    assert not is_specific(Entity("r1", "Middle East", "LOC"))
    assert is_specific(Entity("p1", "Hosni Mubarak", "PERSON"))
    assert is_specific(Entity("o3", "Muslim Brotherhood", "ORG"))
    assert is_specific(Entity("o4", "CNN Student News", "ORG"))
    assert is_specific(Entity("c1", "Benghazi", "GPE", geonameid=88319))


def test_a_report_continues_the_story_about_its_subject() -> None:
    """A report mostly about Syria that shares vocabulary with a Libya story ("sanctions", "protesters")
    continues the story whose leading entity is Syria: the shared subject is worth
    `story_w_subject`, enough to outweigh a slightly closer vocabulary."""
    from storyline.stories import profile as prof
    from storyline.stories.features import Passage
    from storyline.stories.link import LinkConfig, story_score

    def member(entities: dict[str, int], words: dict[str, int]) -> Passage:
        return Passage(article_id="m", start=0, end=10, published="2011-03-20", date="2011-03-20", dated=True, headline="h",
                       lead="l", terms=Counter(words), entities=Counter(entities), specific={"assad", "gaddafi"})

    libya = prof.merge(prof.empty(), member({"libya": 3, "us": 3}, {"sanctions": 1, "protesters": 1, "regime": 1}),
                       max_terms=10, max_entities=10)
    syria = prof.merge(prof.empty(), member({"syria": 4, "assad": 2}, {"sanctions": 1, "protesters": 1, "regime": 1, "deraa": 1,
                                                                       "homs": 1, "hama": 1, "latakia": 1}), max_terms=10, max_entities=10)
    report = member({"syria": 3, "us": 2}, {"sanctions": 1, "protesters": 1, "regime": 1})
    idf: dict[str, float] = {}
    config = LinkConfig()
    assert config.story_w_subject > 0
    unweighted = replace(config, story_w_subject=0.0)
    assert story_score(report, libya, idf, unweighted) > story_score(report, syria, idf, unweighted)
    assert story_score(report, syria, idf, config) > story_score(report, libya, idf, config)


def test_a_follow_up_needs_a_named_person_not_a_stray_word() -> None:
    """A months-later follow-up joins on a shared person; "Spam" from a site's comment box, filed as
    a PERSON on every page of that site, is no one, while "Ketron Nathan" is."""
    from storyline.model import Mention
    from storyline.stories import profile as prof
    from storyline.stories.features import passages
    from storyline.stories.link import LinkConfig, dev_score

    def report(day: str, text: str) -> object:
        article = replace(_article(text), published=datetime.fromisoformat(day).replace(tzinfo=UTC))
        entities = (Entity("kn", "Ketron Nathan", "PERSON"), Entity("sp", "Spam", "PERSON"))
        mentions = tuple(Mention(article.id, text.index(name), text.index(name) + len(name), name, key)
                         for key, name in (("kn", "Ketron Nathan"), ("sp", "Spam")) if name in text)
        (passage,) = passages(article, Analysis(article.id, "test", entities=entities, mentions=mentions), split_passages=False)
        return passage

    shooting = report("2014-03-24", "Ketron Nathan was shot dead outside a bar in Arlington. Report Spam.")
    assert shooting.persons == {"kn"}  # type: ignore[attr-defined]
    development = prof.merge(prof.empty(), shooting, max_terms=10, max_entities=10)  # type: ignore[arg-type]
    config = LinkConfig()
    trial = report("2015-06-17", "A jury found the man accused of killing Ketron Nathan not guilty. Report Spam.")
    stray = report("2015-06-17", "A jury found a man accused of a bar killing not guilty. Report Spam.")
    assert dev_score(trial, development, {}, config) > -1.0  # type: ignore[arg-type]
    assert dev_score(stray, development, {}, config) == -1.0  # type: ignore[arg-type]


BRISTOL_CT, BRISTOL_TN, TYLER, TEXAS, SHREVEPORT = 5282835, 4608657, 4738214, 4736286, 4341513


def test_a_city_named_alike_is_one_place() -> None:
    """Two reports of one shooting in Bristol, Tennessee, geocoded to two namesakes 1,000 km apart
    (by the countries each names, then by population), tell one scene: no city conflict while
    `dev_city_same_name` is on."""
    from storyline.stories.features import Passage
    from storyline.stories.link import LinkConfig, dev_score

    config = LinkConfig()
    assert config.dev_city_same_name
    report = Passage(article_id="r", start=0, end=10, published="2015-06-24", date="2015-06-24", dated=True,
                     headline="h", lead="l", terms=Counter({"shooting": 1, "deli": 1}), cities=Counter({f"g{BRISTOL_TN}": 1}))
    development = _dev_profile(Counter({f"g{BRISTOL_CT}": 2}))
    alike = dev_score(report, development, {}, config)
    apart = dev_score(report, development, {}, replace(config, dev_city_same_name=False))
    assert round(alike - apart, 6) == config.dev_w_city_conflict


def test_the_outlets_home_in_a_headline_tail_is_no_scene() -> None:
    """"… - KSLA News 12 Shreveport, Louisiana" closes every headline of a Shreveport station: a city
    named only there is the outlet's home, not where the shooting was; named in the body too, it is."""
    from storyline.stories.features import passages

    title = "Man killed in truck stop shooting - KSLA News 12 Shreveport"
    body = "A man was shot dead at a truck stop in Tyler, Texas, on Saturday, the sheriff said."
    article = replace(_article(body), title=title)
    document = article.document
    shreveport = _place(document, "Shreveport", document.index("Shreveport"), SHREVEPORT, "US")
    tyler = _place(document, "Tyler", document.index("Tyler"), TYLER, "US")
    texas = _place(document, "Texas", document.index("Texas"), TEXAS, "US")
    (passage,) = passages(article, Analysis(article.id, "test", places=(shreveport, tyler, texas)), split_passages=False)
    assert set(passage.cities) == {f"g{TYLER}"}
    told = replace(article, text=body + " Two victims were flown to Shreveport.")
    again = _place(told.document, "Shreveport", told.document.rindex("Shreveport"), SHREVEPORT, "US")
    (passage,) = passages(told, Analysis(told.id, "test", places=(shreveport, tyler, texas, again)), split_passages=False)
    assert set(passage.cities) == {f"g{TYLER}", f"g{SHREVEPORT}"}
