"""Timelines: dates ranked by how much coverage points at them, sentences by centrality, and the
tilse-style scores used to check them against Timeline17."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from storyline.evaluate.timeline import _score, align_rouge1, date_f1
from storyline.model import Analysis, Article, TimeRef
from storyline.stories.timeline import DatedSentence, central, dated_sentences, named_day, rank_dates, sentences, summary


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


def test_the_span_protocol_keeps_only_days_within_the_gold_timeline() -> None:
    gold = [("2011-01-25", ["Protests begin in Cairo"]), ("2011-02-11", ["Mubarak resigns"])]
    before = [_dated("2011-01-20", f"Police arrest activists {i}", article=f"b{i}") for i in range(5)]
    inside = [_dated("2011-01-25", "Protests begin in Cairo", article="c"), _dated("2011-02-11", "Mubarak resigns", article="d")]
    dates, _ = _score(before + inside, [gold])
    span_dates, span_rouges = _score(before + inside, [gold], within_span=True)
    assert dates == [0.5]
    assert span_dates == [1.0]
    assert span_rouges[0] == pytest.approx(1.0)


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


def _stamped(article_id: str, day: date, body: str, refs: list[tuple[str, str, str, str | None]]) -> tuple[Article, Analysis]:
    """An article whose phrases are time references given as (text, type, value, covered day)."""
    published = datetime(day.year, day.month, day.day, tzinfo=UTC)
    article = Article(article_id, "h", "k", "Title", body, published, None, None, None, "en", "t", 0, "text", b"")
    doc = article.document
    found = tuple(
        TimeRef(article_id, doc.index(text), doc.index(text) + len(text), text, kind, value, covered, covered)  # type: ignore[arg-type]
        for text, kind, value, covered in refs
    )
    return article, Analysis(article_id, "t", timerefs=found)


def test_a_day_named_with_its_part_is_a_reference_but_a_clock_time_is_not() -> None:
    """"Thursday night" and "last night" point at a day like "Thursday" does; "4:23 pm EST" stamps the report."""
    body = "Police fired on crowds on Thursday night .\nLast night the curfew held .\nUpdated 4:23 pm EST .\nNow talks go on ."
    article, analysis = _stamped("a", date(2011, 1, 29), body, [
        ("Thursday night", "DATE", "2011-01-27TNI", "2011-01-27"),
        ("Last night", "TIME", "2011-01-28TNI", "2011-01-28"),
        ("4:23 pm EST", "TIME", "2011-01-29T16:23", "2011-01-29"),
        ("Now", "DATE", "PRESENT_REF", "2011-01-29"),
    ])
    named = [(d.date, d.text) for d in dated_sentences(article, analysis) if d.weight == 1.0]
    assert named == [("2011-01-27", "Police fired on crowds on Thursday night ."), ("2011-01-28", "Last night the curfew held .")]
    assert [named_day(ref) for ref in analysis.timerefs] == ["2011-01-27", "2011-01-28", None, None]


def test_a_chronology_in_a_report_weighs_its_days_more() -> None:
    """A report's list of key days ("February 17 - ...") outweighs a day two reports mention in passing."""
    lines = {"February 15": "2011-02-15", "February 17": "2011-02-17", "February 24": "2011-02-24", "February 28": "2011-02-28"}
    body = " \n".join(f"{text} - Rebels and Gaddafi forces clash ." for text in lines)
    chronology = _article("c", date(2011, 3, 5), body, lines)
    passing = [_article(f"p{i}", date(2011, 3, 4), "Talks were held on March 1 .", {"March 1": "2011-03-01"}) for i in range(2)]
    items = [d for article, analysis in [chronology, *passing] for d in dated_sentences(article, analysis)]
    assert {d.weight for d in items if d.article_id == "c" and d.date in lines.values()} == {3.0}
    assert rank_dates(items, 1)[0] in lines.values()
    short = _article("s", date(2011, 3, 5), body.rsplit(" \n", 1)[0], dict(list(lines.items())[:3]))
    assert {d.weight for d in dated_sentences(*short) if d.date in lines.values()} == {1.0}


def test_comment_stamps_are_no_chronology() -> None:
    """Readers' comments open with their time stamp; a page of them is not an editor's list of days."""
    stamps = {"January 27 , 2011": "2011-01-27", "January 28 , 2011": "2011-01-28", "January 29 , 2011": "2011-01-29", "January 30 , 2011": "2011-01-30"}
    body = " \n".join(f"{text} at 2:23 pm | Power to the people ." for text in stamps)
    article, analysis = _article("c", date(2011, 2, 1), body, stamps)
    assert {d.weight for d in dated_sentences(article, analysis) if d.date in stamps.values()} == {1.0}


def test_a_prelude_days_before_the_first_report_is_left_out_but_the_eve_is_kept() -> None:
    """The happening that starts a story is reported that day or the next; a day recalled from the
    week before belongs to another story's timeline."""
    prelude = [DatedSentence("2011-01-22", "A man set himself on fire", f"a{i}", 0, 25, 1.0, "2011-01-26") for i in range(3)]
    eve = [DatedSentence("2011-01-25", "Protesters fill Tahrir Square", "a0", 30, 60, 1.0, "2011-01-26")]
    later = [DatedSentence("2011-01-28", "Day of rage in Cairo", "a1", 30, 50, 1.0, "2011-01-29")]
    assert [d for d, _ in summary(prelude + eve + later, 2)] == ["2011-01-25", "2011-01-28"]
    assert [d for d, _ in summary(prelude + eve + later, 2, lead_days=7)][0] == "2011-01-22"


def test_a_day_reports_announce_counts_but_a_later_comment_stamp_does_not() -> None:
    """Reports waiting for the vote mark its day, more weakly than reports recalling it; a reader's
    comment stamped the next day is no announcement."""
    announced = [_article(f"a{i}", date(2011, 3, 15), "The Security Council votes on Thursday .", {"Thursday": "2011-03-17"}) for i in range(3)]
    own_day = _article("o", date(2011, 3, 16), "Talks resumed on Wednesday .", {"Wednesday": "2011-03-16"})
    comment = _article("c", date(2011, 3, 15), "Old news .\nMarch 16 , 2011 at 2:23 pm | Power to the people .", {"March 16 , 2011": "2011-03-16"})
    items = [d for article, analysis in [*announced, own_day, comment] for d in dated_sentences(article, analysis)]
    assert [d.weight for d in items if d.date == "2011-03-17"] == [0.25, 0.25, 0.25]
    assert not [d for d in items if d.article_id == "c" and d.date == "2011-03-16"]
    assert rank_dates(items, 1) == ["2011-03-17"]
    recalled = _article("r", date(2011, 3, 20), "The council voted on March 17 .", {"March 17": "2011-03-17"})
    assert [d.weight for d in dated_sentences(*recalled)] == [1.0]
