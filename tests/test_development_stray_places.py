"""A headline's first word is no city abroad: "Man shot on 22nd Street dies" is not in Man, Côte d'Ivoire.

The geocoder reads a capitalised ordinary word as a town; as a city it made unrelated reports share a
scene and made a report disagree with its own development about where it happened. Reports are
analyzed for real (spaCy model, shipped gazetteer).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from storyline.model import Article

REPORTS = {
    "man": ("Man shot on 22nd Street dies",
            "A 34-year-old man shot Saturday night on 22nd Street has died, police said.\n\n"
            "The man was taken to a hospital, where he died Sunday morning."),
    "metro": ("Metro police investigate shooting in Nashville",
              "Metro police are investigating a shooting that left a man wounded in Nashville, Tennessee on Saturday "
              "night.\n\nThe metro area has seen three shootings this week."),
    "abroad": ("Gunmen kill two in Man, Ivory Coast",
               "Gunmen killed two people in Man, a city in western Ivory Coast, on Saturday, police said.\n\n"
               "A third man was wounded."),
}


@pytest.fixture(scope="module")
def analysed():  # type: ignore[no-untyped-def]
    from storyline.analyze import analyze_articles

    articles = [
        Article(id=f"{key:_<16}"[:16], content_hash=key, item_key=key, title=title, text=text,
                published=datetime(2016, 7, 24, tzinfo=UTC), url=None, source=key, author=None, language="en",
                input_name="stray", position=i, format="text", raw=text.encode())
        for i, (key, (title, text)) in enumerate(REPORTS.items())
    ]
    return {article.item_key: (article, analysis) for article, analysis in analyze_articles(articles)}


def _countries(pair) -> set[str | None]:  # type: ignore[no-untyped-def]
    from storyline.stories.features import located_places

    return {place.country for place in located_places(*pair)}


def test_an_ordinary_word_is_no_city(analysed) -> None:  # type: ignore[no-untyped-def]
    from storyline.stories.features import passages

    article, analysis = analysed["man"]
    assert any(place.country == "CI" for place in analysis.places), "the geocoder no longer reads 'Man' as a town; rewrite the case"
    assert _countries(analysed["man"]) == set()
    assert not passages(article, analysis)[0].cities


def test_the_report_s_own_city_stays(analysed) -> None:  # type: ignore[no-untyped-def]
    """"Metro" (a city in Indonesia to the geocoder) goes; Nashville, named beside it, stays."""
    assert "ID" in {place.country for place in analysed["metro"][1].places}
    assert _countries(analysed["metro"]) == {"US"}


def test_a_town_abroad_named_with_its_country_stays(analysed) -> None:  # type: ignore[no-untyped-def]
    """A report from Man, Côte d'Ivoire, names the country too: there Man is the place it is about."""
    from storyline.stories.features import passages

    article, analysis = analysed["abroad"]
    assert _countries(analysed["abroad"]) == {"CI"}
    assert passages(article, analysis)[0].cities
