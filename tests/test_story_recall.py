"""Story merge recall: two parallel stories of one storyline are not kept apart by one round-up that the
splitter cut into both, while the stories of one round-up's happenings, and two storylines with
different subjects, stay apart.

The stories are profiles as linking keeps them (capped term counts, the unfaded entity core, member
articles), compared by `merge.similarity` with the default `LinkConfig`. The numbers are chosen so
that the old rule (the full sibling penalty for any shared article) keeps the first pair apart: the
first test fails if `story_merge_sibling_scaled` is dropped, the others if the penalty or the
subject rule is.
"""

from __future__ import annotations

from typing import Any

from storyline.stories import merge
from storyline.stories.link import LinkConfig

CONFIG = LinkConfig()


def _story(terms: dict[str, float], core: dict[str, float], articles: list[str]) -> dict[str, Any]:
    return {"terms": terms, "entities": core, "core": core, "articles": articles}


def _side(story: dict[str, Any]) -> merge.Side:
    return merge.side(story, {}, set())


FLU_TERMS = {"flu": 40.0, "swine": 30.0, "pandemic": 20.0, "virus": 15.0, "mexico": 12.0, "case": 10.0}


def test_one_shared_round_up_does_not_keep_two_grown_stories_apart() -> None:
    """A round-up cut by the splitter into both stories is one article's judgement; two stories of one
    outbreak built up by dozens of other articles are compared on their merits, as a passage joining
    a story is (the H1N1 and Haiti stories of Timeline17 were kept apart by such an article)."""
    big = _story(FLU_TERMS | {"death": 25.0, "toll": 12.0}, {"mexico": 300.0, "united-states": 120.0, "who": 60.0},
                 [f"a{i}" for i in range(40)] + ["roundup"])
    other = _story({"flu": 3.0, "school": 8.0, "closed": 6.0, "vaccine": 6.0, "pupil": 4.0},
                   {"mexico": 30.0, "texas": 24.0, "cdc": 26.0, "austin": 20.0, "rick-perry": 15.0}, [f"b{i}" for i in range(12)] + ["roundup"])
    score = merge.similarity(_side(big), _side(other), CONFIG)
    assert score >= CONFIG.story_merge_threshold
    unscaled = merge.similarity(_side(big), _side(other), LinkConfig(story_merge_sibling_scaled=False))
    assert unscaled < CONFIG.story_merge_threshold, "the full penalty would keep them apart: the case is the rule's"


def test_the_stories_of_one_round_up_stay_apart() -> None:
    """Stories that hold nothing but one round-up's passages pay the full sibling penalty (seed 000: the
    North Korean troops and the Dnipro strike, both told as Russia's doing)."""
    troops = _story({"troop": 6.0, "deploy": 3.0, "soldier": 2.0}, {"russia": 6.0, "north-korea": 5.0, "kursk": 4.0, "kim-jong-un": 3.0}, ["roundup"])
    strike = _story({"strike": 5.0, "missile": 3.0, "killed": 2.0}, {"russia": 5.0, "dnipro": 4.0, "zelenskyy": 3.0}, ["roundup"])
    assert merge.similarity(_side(troops), _side(strike), CONFIG) < CONFIG.story_merge_threshold
    unpenalised = merge.similarity(_side(troops), _side(strike), LinkConfig(story_sibling_penalty=0.0))
    assert unpenalised >= CONFIG.story_merge_threshold, "without the penalty they would merge: the case is the rule's"


def test_two_storylines_with_different_subjects_stay_apart() -> None:
    """Libya's war and Syria's uprising share the powers that speak about both; neither is the other's
    subject, so their stories are not merged however alike their wording."""
    libya = _story({"rebel": 30.0, "gaddafi": 25.0, "nato": 20.0, "strike": 10.0, "regime": 8.0},
                   {"libya": 400.0, "gaddafi": 250.0, "united-states": 180.0, "nato": 90.0, "united-nations": 60.0}, [f"l{i}" for i in range(50)])
    syria = _story({"protester": 30.0, "assad": 25.0, "regime": 20.0, "crackdown": 10.0, "rebel": 8.0},
                   {"syria": 400.0, "assad": 150.0, "united-states": 120.0, "turkey": 90.0, "united-nations": 60.0}, [f"s{i}" for i in range(50)])
    assert merge.similarity(_side(libya), _side(syria), CONFIG) == -1.0
