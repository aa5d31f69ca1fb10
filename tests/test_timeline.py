"""Timelines: dates ranked by how much coverage points at them, sentences by centrality, and the
tilse-style scores used to check them against Timeline17."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from storyline.evaluate.timeline import align_rouge1, date_f1
from storyline.model import Analysis, Article, TimeRef
from storyline.stories.timeline import DatedSentence, central, dated_sentences, rank_dates, sentences, summary


def _dated(date: str, text: str, article: str = "a", weight: float = 1.0) -> DatedSentence:
    return DatedSentence(date, text, article, 0, len(text), weight)


def test_dates_are_ranked_by_references_and_returned_in_order() -> None:
    items = [_dated("2011-02-11", "x")] * 3 + [_dated("2011-01-25", "y")] * 2 + [_dated("2011-02-01", "z", weight=0.5)]
    assert rank_dates(items, 2) == ["2011-01-25", "2011-02-11"]
    assert rank_dates(items, 5) == ["2011-01-25", "2011-02-01", "2011-02-11"]


def test_central_sentence_wins_and_repeats_are_dropped() -> None:
    items = [
        _dated("d", "Mubarak resigns as president after weeks of protests in Cairo"),
        _dated("d", "Mubarak resigns as president after weeks of protests in Cairo"),
        _dated("d", "Crowds celebrate in Cairo as the Mubarak era ends"),
        _dated("d", "Weather was mild in Alexandria"),
    ]
    chosen = central(items, 2)
    assert [c.text for c in chosen] == [items[0].text, items[2].text]


def test_a_near_copy_of_a_chosen_sentence_gives_way_to_a_distinct_one() -> None:
    """A syndicated retelling of the chosen sentence adds no new words to the entry."""
    items = [
        _dated("d", "Mubarak resigns as president after weeks of protests in Cairo"),
        _dated("d", "Mubarak resigns as Egypt president after weeks of protests in Cairo"),
        _dated("d", "Mubarak resigns as president after weeks of protests, Cairo"),
        _dated("d", "The army takes over as Mubarak resigns"),
    ]
    assert [c.text for c in central(items, 2)] == [items[0].text, items[3].text]
    assert len(central(items, 2, redundancy=1.0)) == 2
    assert items[3] not in central(items, 2, redundancy=1.0)


def test_dates_long_before_the_first_report_are_background() -> None:
    """"Mubarak has ruled since 1981", recalled by every report, is no step of the 2011 story."""
    recalled = [DatedSentence("1981-10-14", "Mubarak has ruled since 1981", f"a{i}", 0, 28, 1.0, "2011-01-26") for i in range(4)]
    story = [DatedSentence("2011-01-25", "Protesters fill Tahrir Square", "a0", 30, 60, 1.0, "2011-01-26"),
             DatedSentence("2011-01-28", "Day of rage in Cairo", "a1", 30, 50, 1.0, "2011-01-29")]
    assert [d for d, _ in summary(recalled + story, 2)] == ["2011-01-25", "2011-01-28"]
    assert [d for d, _ in summary(recalled + story, 2, lead_days=None)][0] == "1981-10-14"


def test_summary_takes_the_requested_shape() -> None:
    texts = ("Mubarak steps down", "Mubarak hands power to the army", "Crowds cheer as Mubarak quits", "Suleiman announces Mubarak resignation")
    items = [_dated("2011-02-11", text) for text in texts] + [_dated("2011-01-28", "Day of rage in Cairo")]
    timeline = summary(items, 2, [1, 3])
    assert [d for d, _ in timeline] == ["2011-01-28", "2011-02-11"]
    assert [len(s) for _, s in timeline] == [1, 3]


def test_sentences_are_dated_by_the_days_they_name() -> None:
    title = "Protests grow"
    body = "Thousands marched on Tuesday . \nThe army stayed in barracks .\nOn January 25 , crowds filled Tahrir Square ."
    article = Article("a1", "h", "k", title, body, datetime(2011, 1, 27, tzinfo=UTC), None, None, None, "en", "t", 0, "text", b"")
    doc = article.document
    refs = tuple(
        TimeRef("a1", doc.index(text), doc.index(text) + len(text), text, "DATE", value)
        for text, value in (("Tuesday", "2011-01-25"), ("January 25", "2011-01-25"))
    )
    found = dated_sentences(article, Analysis("a1", "t", timerefs=refs))
    named = [(d.date, d.text) for d in found if d.weight == 1.0]
    assert named == [("2011-01-25", "Thousands marched on Tuesday ."), ("2011-01-25", "On January 25 , crowds filled Tahrir Square .")]
    lead = [(d.date, d.text, d.weight) for d in found if d.weight < 1.0]
    assert lead == [("2011-01-27", "The army stayed in barracks .", 0.5), ("2011-01-26", "The army stayed in barracks .", 0.0)]
    assert len(sentences(body)) == 3


def test_date_f1_and_alignment_rouge() -> None:
    gold = [("2011-01-25", ["Protests begin in Cairo"]), ("2011-02-11", ["Mubarak resigns"])]
    assert date_f1(["2011-01-25", "2011-02-11"], ["2011-01-25", "2011-02-11"]) == 1.0
    assert date_f1(["2011-01-25", "2011-03-01"], ["2011-01-25", "2011-02-11"]) == 0.5
    perfect = align_rouge1(gold, gold)
    assert perfect == pytest.approx(1.0)
    shifted = align_rouge1([("2011-01-26", ["Protests begin in Cairo"]), ("2011-02-11", ["Mubarak resigns"])], gold)
    assert 0.5 < shifted < 1.0
    wrong = align_rouge1([("2011-01-25", ["Weather mild"]), ("2011-02-11", ["Football results"])], gold)
    assert wrong == 0.0


def test_a_date_counts_once_per_article() -> None:
    """One report repeating a date five times weighs less than three reports naming another."""
    repeated = [DatedSentence("2011-02-01", f"s{i}", "a1", i, i + 1) for i in range(5)]
    shared = [DatedSentence("2011-02-11", "s", f"b{i}", 0, 1) for i in range(3)]
    assert rank_dates(repeated + shared, 1) == ["2011-02-11"]


def _article(article_id: str, day: date, body: str, days: dict[str, str] | None = None) -> tuple[Article, Analysis]:
    """An article published on `day` whose phrases in `days` are DATE references to the given days."""
    published = datetime(day.year, day.month, day.day, tzinfo=UTC)
    article = Article(article_id, "h", "k", "Title", body, published, None, None, None, "en", "t", 0, "text", b"")
    doc = article.document
    refs = tuple(
        TimeRef(article_id, doc.index(text), doc.index(text) + len(text), text, "DATE", value)
        for text, value in (days or {}).items()
    )
    return article, Analysis(article_id, "t", timerefs=refs)


def test_later_reports_recalling_a_day_outweigh_reports_naming_their_own_day() -> None:
    """Two reports looking back at 25 January outrank three reports of 28 January naming their own day."""
    same_day = [_article(f"s{i}", date(2011, 1, 28), "Police clash with crowds on Friday .", {"Friday": "2011-01-28"}) for i in range(3)]
    looking_back = [_article(f"l{i}", date(2011, 2, 3), "Protests began on January 25 .", {"January 25": "2011-01-25"}) for i in range(2)]
    items = [d for article, analysis in same_day + looking_back for d in dated_sentences(article, analysis)]
    assert [d.weight for d in items if d.date == "2011-01-28"] == [0.5, 0.5, 0.5]
    assert rank_dates(items, 1) == ["2011-01-25"]


def test_opening_sentences_are_candidates_for_the_day_before_but_do_not_rank_it() -> None:
    article, analysis = _article("a", date(2011, 2, 12), "Mubarak resigns as president . \nCrowds cheer in Tahrir Square .")
    items = dated_sentences(article, analysis)
    assert sorted((d.date, d.weight) for d in items) == [("2011-02-11", 0.0)] * 2 + [("2011-02-12", 0.5)] * 2
    assert rank_dates(items, 2) == ["2011-02-12"]
    assert dated_sentences(article, analysis, lead_sentences=0) == []


def test_the_day_after_s_opening_sentence_can_tell_a_day() -> None:
    """A day named only in passing is best told by the next morning's opening sentence, which
    shares the words the other reports use for it."""
    recalls = ("On February 11 , Mubarak resigned .", "Crowds celebrated on February 11 .", "The army took power on February 11 .")
    named = [_article(f"n{i}", date(2011, 2, 20), text, {"February 11": "2011-02-11"}) for i, text in enumerate(recalls)]
    morning = _article("m", date(2011, 2, 12), "Mubarak resigned , crowds celebrated and the army took power . \nTraffic was heavy .")
    items = [d for article, analysis in [*named, morning] for d in dated_sentences(article, analysis)]
    ((day, chosen),) = summary(items, 1)
    assert day == "2011-02-11"
    assert [c.article_id for c in chosen] == ["m"]
