"""What a story is about, when a passage is judged to continue it: its most-named foreground entity over
its whole life (`LinkConfig.story_subject_from_core`), the subject the story merge compares.

Passages and profiles are built as linking builds them (`profile.merge` with the default half-life and
the unfaded core); shares are those of an archive in which one topic is most of what is held. Each case
turns on the rule: with `story_subject_from_core` off, the passage is refused (score −1).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from storyline.stories import profile as prof
from storyline.stories.features import Passage
from storyline.stories.link import LinkConfig, story_score

CONFIG = LinkConfig()
FADED_LEAD = LinkConfig(story_subject_from_core=False)


COUNTRIES = {"mexico", "spain", "united-kingdom", "canada"}


def _passage(day: str, entities: dict[str, int], terms: dict[str, int], article: str) -> Passage:
    return Passage(article_id=article, start=0, end=10, published=day, date=day, dated=True, headline="h", lead="l",
                   terms=Counter(terms), entities=Counter(entities), specific=set(entities) - COUNTRIES)


def _story(members: list[Passage]) -> dict[str, Any]:
    profile = prof.empty()
    for member in members:
        profile = prof.merge(profile, member, max_terms=CONFIG.profile_terms, max_entities=CONFIG.profile_entities,
                             half_life=CONFIG.story_half_life_days, keep_core=True)
    return profile


# One outbreak is most of the archive: its country is in 70 % of passages (backdrop), the health agency
# in 35 % (too common to be specific evidence), its words in most of them.
OUTBREAK_SHARE = {"e:mexico": 0.7, "e:who": 0.35, "e:texas": 0.05, "e:spain": 0.1, "e:united-kingdom": 0.3, "e:canada": 0.2, "e:cdc": 0.1, "t:flu": 0.6, "t:swine": 0.55, "t:pandemic": 0.3,
                  "t:alert": 0.1, "t:vaccine": 0.1, "t:school": 0.05}
OUTBREAK_IDF = {"e:mexico": 1.3, "e:who": 2.0, "e:texas": 4.0, "e:spain": 3.0, "e:united-kingdom": 2.2, "e:canada": 2.5, "e:cdc": 3.2, "t:flu": 1.4, "t:swine": 1.5, "t:pandemic": 2.2,
                "t:alert": 3.0, "t:vaccine": 3.0, "t:school": 3.5}


def test_a_story_led_by_the_backdrop_is_about_its_first_foreground_entity() -> None:
    """Every report of the outbreak names its country most, so the story's most-named entity is the
    backdrop, which is never a subject; what the story is about is the next one, the health agency. A
    report led by the agency, with little wording in common, continues it."""
    story = _story([_passage(f"2009-04-{day}", {"mexico": 5, "who": 3, "united-kingdom": 2, "canada": 2, "cdc": 2},
                             {"flu": 4, "swine": 3, "pandemic": 2, "alert": 2}, f"a{day}") for day in range(24, 30)])
    report = _passage("2009-04-30", {"who": 3, "spain": 2, "mexico": 1}, {"pandemic": 1, "vaccine": 2, "school": 2}, "new")
    assert story_score(report, story, OUTBREAK_IDF, FADED_LEAD, OUTBREAK_SHARE) == -1.0, "the case is the rule's"
    score = story_score(report, story, OUTBREAK_IDF, CONFIG, OUTBREAK_SHARE)
    assert CONFIG.story_threshold <= score < CONFIG.story_strong
    # The story's subject moves, never the passage's: a report led by the backdrop has none to share.
    about_backdrop = _passage("2009-04-30", {"mexico": 3, "spain": 1}, {"vaccine": 2, "school": 2}, "other")
    assert story_score(about_backdrop, story, OUTBREAK_IDF, CONFIG, OUTBREAK_SHARE) == -1.0


def test_a_story_is_about_what_it_named_over_its_life_not_its_latest_reports() -> None:
    """Months of reports led by the agency, then, after a quiet summer, a few days led by one state's
    school closures: the faded profile now leads with the state, but the story is still the agency's,
    and a later agency report continues it."""
    early = [_passage(f"2009-05-{day:02d}", {"who": 4, "texas": 1}, {"pandemic": 3, "alert": 2}, f"e{day}") for day in range(1, 21)]
    late = [_passage(f"2009-09-{day:02d}", {"texas": 4, "who": 1}, {"school": 3, "flu": 1}, f"l{day}") for day in range(1, 4)]
    story = _story(early + late)
    faded_lead = max(story["entities"], key=story["entities"].get)
    core_lead = max(story["core"], key=story["core"].get)
    assert (faded_lead, core_lead) == ("texas", "who"), "fading has moved the lead: the case is the rule's"
    report = _passage("2009-09-05", {"who": 2}, {"pandemic": 1, "vaccine": 2}, "new")
    assert story_score(report, story, OUTBREAK_IDF, FADED_LEAD, OUTBREAK_SHARE) == -1.0
    assert story_score(report, story, OUTBREAK_IDF, CONFIG, OUTBREAK_SHARE) >= CONFIG.story_threshold
