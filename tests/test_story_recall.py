"""Story merge recall: two parallel stories of one storyline are not kept apart by one round-up that the
splitter cut into both, nor by leading with related entities (one outbreak's country while it is the
archive's backdrop; a leader and his country), while the stories of one round-up's happenings, two
storylines with different subjects, and two stories that share only a region's vocabulary stay apart.

The stories are profiles as linking keeps them (capped term counts, the unfaded entity core, member
articles), compared by `merge.similarity` with the default `LinkConfig`. Each case is chosen so that
it turns on one rule, and checks that it does: the first test fails if `story_merge_sibling_scaled`
is dropped, the next two if the penalty or the subject rule is, the lead tests if related leads are
not counted (or counted without the `story_merge_lead_score` bar, or only as equal leaders), and the
last if `story_merge_needs_subject` is.
"""

from __future__ import annotations

from typing import Any

from storyline.stories import merge
from storyline.stories.link import LinkConfig
from storyline.stories.profile import idf_share

CONFIG = LinkConfig()


def _story(terms: dict[str, float], core: dict[str, float], articles: list[str]) -> dict[str, Any]:
    return {"terms": terms, "entities": core, "core": core, "articles": articles}


def _side(story: dict[str, Any], backdrop: frozenset[str] = frozenset(), config: LinkConfig = CONFIG) -> merge.Side:
    return merge.side(story, {}, set(backdrop), config.story_merge_lead_rank)


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


def _backdrop_of(df: dict[str, int], passages: int) -> frozenset[str]:
    """The archive's backdrop as the merge derives it from online document frequencies."""
    _, share = idf_share(df, passages, list(df), CONFIG.story_share_floor)
    return frozenset(merge._backdrop(share, CONFIG))


# An archive of 300 passages that is all one outbreak: its country is in most of them.
OUTBREAK_DF = {"e:mexico": 220, "e:who": 60, "e:united-kingdom": 70, "e:cdc": 20, "t:flu": 200, "t:swine": 180}


def test_parallel_stories_led_by_the_archives_backdrop_merge_on_their_wording() -> None:
    """While one outbreak is all the archive holds, its country is the backdrop: the subject rule then
    sees a WHO-led and a UK-led story of the outbreak as two subjects. Both are led by the same
    entity, and their foreground wording agrees well beyond a chance match, so they are one story."""
    backdrop = _backdrop_of(OUTBREAK_DF, 300)
    assert "e:mexico" in backdrop, "the case is one where the shared leader is backdrop"
    reuters = _story({"flu": 40.0, "swine": 30.0, "pandemic": 20.0, "case": 15.0, "vaccine": 12.0, "death": 10.0, "airline": 6.0},
                     {"mexico": 300.0, "united-kingdom": 140.0, "cdc": 40.0, "who": 6.0}, [f"r{i}" for i in range(60)])
    bbc = _story({"flu": 20.0, "swine": 15.0, "pandemic": 12.0, "school": 9.0, "alert": 6.0, "phase": 5.0},
                 {"mexico": 120.0, "who": 90.0, "margaret-chan": 25.0, "geneva": 20.0}, [f"b{i}" for i in range(20)])
    a, b = _side(reuters, backdrop), _side(bbc, backdrop)
    assert a.subject != b.subject and a.leads[0] == b.leads[0] == "mexico"
    assert CONFIG.story_merge_lead_score <= merge.similarity(a, b, CONFIG) < CONFIG.story_strong
    assert merge.similarity(a, b, LinkConfig(story_merge_lead_score=CONFIG.story_strong)) == -1.0, "the case is the rule's"


def test_stories_led_by_the_backdrop_with_little_wording_in_common_stay_apart() -> None:
    """In coverage of one war every story is led by the war's countries; a shared backdrop leader
    alone (a troop deployment and a loan agreement, both told as Ukraine's) is no reason to merge."""
    backdrop = _backdrop_of({"e:ukraine": 250, "e:russia": 240, "e:north-korea": 30, "e:g7": 20, "t:troop": 40, "t:loan": 15}, 300)
    troops = _story({"troop": 30.0, "deploy": 12.0, "soldier": 10.0, "kursk": 8.0},
                    {"ukraine": 200.0, "russia": 150.0, "north-korea": 120.0, "kim-jong-un": 40.0}, [f"t{i}" for i in range(30)])
    loans = _story({"loan": 25.0, "asset": 15.0, "frozen": 10.0, "summit": 6.0, "troop": 2.0},
                   {"ukraine": 90.0, "russia": 60.0, "g7": 50.0, "italy": 20.0}, [f"g{i}" for i in range(12)])
    a, b = _side(troops, backdrop), _side(loans, backdrop)
    assert a.leads[0] == b.leads[0] == "ukraine" and a.subject != b.subject
    assert merge.similarity(a, b, CONFIG) == -1.0
    lax = LinkConfig(story_merge_lead_score=CONFIG.story_merge_threshold)
    assert merge.similarity(a, b, lax) >= CONFIG.story_merge_threshold, "a shared leader with no bar would merge them: the case is the bar's"


def test_a_story_led_by_a_leader_merges_with_the_story_led_by_his_country() -> None:
    """A siege told through its commander (Gaddafi first, Libya second) and the war told through the
    country (Libya first, Gaddafi second) lead with each other's second entity: one storyline seen
    from two sides, merged once their wording agrees past `story_merge_lead_score`."""
    war = _story({"rebel": 30.0, "nato": 20.0, "strike": 10.0, "regime": 8.0, "tripoli": 6.0, "oil": 6.0},
                 {"libya": 400.0, "gaddafi": 250.0, "nato": 90.0, "united-states": 60.0, "benghazi": 50.0, "france": 40.0, "united-nations": 30.0},
                 [f"l{i}" for i in range(80)])
    siege = _story({"sirte": 20.0, "fighter": 12.0, "siege": 8.0, "rebel": 6.0, "hometown": 5.0, "convoy": 4.0},
                   {"gaddafi": 60.0, "libya": 45.0, "sirte": 40.0, "ntc": 30.0, "misrata": 20.0, "bani-walid": 15.0, "mustafa-abdel-jalil": 10.0},
                   [f"s{i}" for i in range(15)])
    a, b = _side(war), _side(siege)
    assert a.subject == "libya" and b.subject == "gaddafi"
    assert CONFIG.story_merge_lead_score <= merge.similarity(a, b, CONFIG) < CONFIG.story_strong
    first_only = LinkConfig(story_merge_lead_rank=1)
    assert merge.similarity(_side(war, config=first_only), _side(siege, config=first_only), first_only) == -1.0, \
        "with their leaders alone they stay apart: the case is the rank's"


def test_two_stories_of_neighbouring_topics_do_not_merge_on_wording_alone() -> None:
    """Grown stories of two wars of one region share the region's vocabulary and the powers that speak
    about both, past the score a passage may join on without a subject; a merge needs a subject or
    related leads all the same (one such merge folded Libya's war and Syria's uprising together)."""
    words = {"rebel": 30.0, "regime": 25.0, "force": 20.0, "protester": 15.0, "crackdown": 10.0, "sanction": 8.0}
    powers = {"united-states": 180.0, "united-nations": 120.0, "nato": 90.0, "france": 60.0, "turkey": 40.0}
    libya = _story(words | {"benghazi": 6.0}, {"libya": 400.0, "gaddafi": 390.0} | powers, [f"l{i}" for i in range(50)])
    syria = _story(words | {"homs": 6.0}, {"syria": 400.0, "assad": 390.0} | powers, [f"s{i}" for i in range(50)])
    a, b = _side(libya), _side(syria)
    wording_only = LinkConfig(story_merge_needs_subject=False)
    assert merge.similarity(a, b, wording_only) >= CONFIG.story_strong, "the wording passes a passage's bar: the case is the rule's"
    assert merge.similarity(a, b, CONFIG) == -1.0
