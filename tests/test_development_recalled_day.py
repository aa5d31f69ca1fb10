"""When a development's reports say it happened: a follow-up dated by its own news still joins the
happening whose day it names, and a part of a day ("late Friday night") dates a report.

An arrest reported twelve days after a shooting is dated by the arrest; the first reports named no
one, so no shared person can carry it across the gap. It names the shooting's day ("March 25"), and
that is what makes it the same happening: `LinkConfig.dev_recalled_days`. The reports are analyzed
for real and linked into a real SQLite store.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from reports import report

from storyline.model import Article
from storyline.stories.link import LinkConfig

REPORTS = {
    "shooting": (
        "2016-03-26",
        "Man shot dead on Salem Avenue in Dayton",
        "A 30-year-old man was shot and killed Friday evening on Salem Avenue in Dayton, Ohio, police said.\n\n"
        "Officers found the man with gunshot wounds to the chest. He died at the scene. No arrest has been made, "
        "Dayton police said.",
    ),
    "other": (
        "2016-04-06",
        "Man shot on Salem Avenue in Dayton",
        "A 22-year-old man was shot and wounded Tuesday night on Salem Avenue in Dayton, Ohio, police said.\n\n"
        "Officers found the man with a gunshot wound to the leg. No arrest has been made, Dayton police said.",
    ),
    "arrest": (
        "2016-04-06",
        "Teen arrested in Salem Avenue killing in Dayton",
        "Dayton police on Wednesday arrested a 17-year-old boy in the killing of a man on Salem Avenue.\n\n"
        "The 30-year-old man was shot in the chest on March 25 and died at the scene, police said.",
    ),
}


def _article(key: str, position: int) -> Article:
    return report(key, *REPORTS[key], position, "recalled")


@pytest.fixture(scope="module")
def analysed():  # type: ignore[no-untyped-def]
    from storyline.analyze import analyze_articles

    return list(analyze_articles([_article(key, i) for i, key in enumerate(REPORTS)]))


def _link(pairs, url: str, config: LinkConfig) -> dict[str, str]:  # type: ignore[no-untyped-def]
    from storyline.store import writes
    from storyline.store.db import open_store
    from storyline.store.facts import save_analysis
    from storyline.stories.link import link_article

    engine = open_store(url)
    with engine.begin() as conn:
        run_id = writes.start_run(conn, {})
    developments = {}
    for article, analysis in pairs:
        with engine.begin() as conn:
            writes.insert_article(conn, article, run_id, b"", [])
            save_analysis(conn, analysis)
            developments[article.item_key] = link_article(conn, article, analysis, config).passages[0].development_id
    engine.dispose()
    return developments


def test_a_passage_keeps_the_days_it_names(analysed) -> None:  # type: ignore[no-untyped-def]
    """The arrest report is dated by the arrest (Wednesday) and also names the shooting's day; the first
    report's "Friday evening" (a part of a day) is a day it names too."""
    from storyline.stories.features import passages

    found = {article.item_key: passages(article, analysis)[0] for article, analysis in analysed}
    arrest = found["arrest"]
    assert (arrest.date, arrest.dated) == ("2016-04-06", True)
    assert "2016-03-25" in arrest.days
    assert arrest.persons == set()
    assert found["shooting"].days == {"2016-03-25"}


def test_an_arrest_naming_the_shootings_day_joins_it(analysed, new_db_url) -> None:  # type: ignore[no-untyped-def]
    developments = _link(analysed, new_db_url("recalled"), LinkConfig())
    assert developments["arrest"] == developments["shooting"]
    assert developments["other"] != developments["shooting"]


def test_without_the_recalled_day_the_arrest_stands_alone(analysed, new_db_url) -> None:  # type: ignore[no-untyped-def]
    """The same reports with the rule off: twelve days on and naming no one the first report named, the
    arrest is a late follow-up without a shared person and starts a development of its own."""
    developments = _link(analysed, new_db_url("recalled_off"), replace(LinkConfig(), dev_recalled_days=-1))
    assert developments["arrest"] != developments["shooting"]


def test_a_recalled_day_must_be_the_happenings() -> None:
    """A report naming a day a week before the happening, or none, is still a late follow-up."""
    from storyline.stories import profile as prof
    from storyline.stories.features import Passage
    from storyline.stories.link import _date_fit

    def passage(days: set[str]) -> Passage:
        return Passage(article_id="a", start=0, end=10, published="2016-04-06", date="2016-04-06", dated=True,
                       headline="h", lead="l", days=days)

    shooting = prof.merge(prof.empty(), replace(passage({"2016-03-25"}), date="2016-03-25", published="2016-03-26"),
                          max_terms=10, max_entities=10)
    config = LinkConfig()
    assert _date_fit(passage({"2016-04-06", "2016-03-25"}), shooting, config) == "near"
    assert _date_fit(passage({"2016-04-06", "2016-03-26"}), shooting, config) == "near"
    assert _date_fit(passage({"2016-04-06", "2016-03-18"}), shooting, config) == "late"
    assert _date_fit(passage(set()), shooting, config) == "late"
    assert _date_fit(passage({"2016-03-25"}), shooting, replace(config, dev_recalled_days=-1)) == "late"


def test_a_part_of_a_day_dates_the_happening() -> None:
    """"Late Friday night" is Friday: a report whose events carry no date is dated by it, not by the
    later "Tuesday" on which the victim died and the police spoke."""
    from storyline.model import TimeRef
    from storyline.stories.features import _passage_date

    refs = [TimeRef("a", 10, 26, "late Friday night", "DATE", "2016-11-04TNI"), TimeRef("a", 90, 97, "Tuesday", "DATE", "2016-11-08")]
    assert _passage_date([], refs, "2016-11-08", 7, 365) == "2016-11-04"
    assert _passage_date([], refs[1:], "2016-11-08", 7, 365) == "2016-11-08"
    later = [TimeRef("a", 10, 26, "Saturday night", "DATE", "2016-11-12TNI")]
    assert _passage_date([], later, "2016-11-08", 7, 365) is None
