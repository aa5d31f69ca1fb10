"""Properties of every extractor on hostile articles: analysis never crashes and every span it reports
lies inside `Article.document`, where the text at the span is the surface it stored.

Articles are made the way ingest makes them (the cleaner on generated text), so what the extractors
see is what they would see in production. spaCy is slow, so the example counts are small.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from hypothesis import example, given, settings
from hypothesis import strategies as st

from storyline.analyze import analyze_articles
from storyline.analyze import numbers, timenorm
from storyline.clean import CleanError, clean
from storyline.model import Analysis, Article, Quantity, RawItem
from hostile import FRAGMENTS, PROPERTIES, articleish_text, hostile_text

TIME_WORDS = st.sampled_from((
    "Friday", "Monday", "31", "30", "29", "0", "00", "-1", "1e400", "10000000000000000000", "99999", "9999", "1",
    "February", "Feb.", "Sept", "December", "2024", "1999", "0001", "last", "next", "this", "ago", "from now",
    "days", "day", "weeks", "months", "years", "decades", "centuries", "hours", "a", "an", "half", "dozen",
    "million", "the", "of", "early", "late", "mid", "st", "nd", "th", "Q4", "H2", "summer", "winter", "1990s",
    "'90s", "am", "pm", "noon", "midnight", ":", "-", "/", ".", ",", "every", "twice", "times", "per", "since",
    "until", "between", "and", "Christmas", "Easter", "Ramadan", "week", "quarter", "tomorrow", "yesterday",
))
time_phrases = st.lists(TIME_WORDS, min_size=1, max_size=7).map(" ".join)
"""Word salad from the vocabulary of time expressions, so the rules, not only the fallbacks, run."""

PUBLISHED = st.one_of(st.none(), st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)).map(
    lambda d: d.replace(tzinfo=UTC).isoformat()), st.sampled_from(FRAGMENTS),
                      st.sampled_from(("0001-01-01", "9999-12-31")))


def _article(title: str | None, text: str, published: str | None) -> Article | None:
    item = RawItem(input_name="x.jsonl", position=1, format="jsonl", raw=text.encode("utf-8", "surrogatepass"),
                   text=text, title=title, published=published)
    try:
        return clean(item)
    except CleanError:
        return None


def _assert_span(document: str, start: int | None, end: int | None, surface: str | None = None) -> None:
    assert start is not None and end is not None
    assert 0 <= start <= end <= len(document), (start, end, len(document))
    if surface is not None:
        assert document[start:end] == surface


def _assert_spans_valid(article: Article, analysis: Analysis) -> None:
    document = article.document
    assert analysis.article_id == article.id
    quantities: list[Quantity] = list(analysis.quantities)
    for record in (*analysis.mentions, *analysis.places, *analysis.timerefs, *analysis.claims):
        _assert_span(document, record.start, record.end, record.text)
    for event in analysis.events:
        _assert_span(document, event.start, event.end)
        quantities.extend(q for q in (event.killed, event.injured, event.missing, event.evacuated, event.size) if q)
    for quantity in quantities:
        _assert_span(document, quantity.start, quantity.end, quantity.text)
    for quote in analysis.quotes:
        _assert_span(document, quote.start, quote.end)
        _assert_span(document, quote.content_start, quote.content_end, quote.content)
        if quote.speaker_start is not None:
            _assert_span(document, quote.speaker_start, quote.speaker_end)
        if quote.cue_start is not None:
            _assert_span(document, quote.cue_start, quote.cue_end, quote.cue)
    entity_ids = {entity.id for entity in analysis.entities}
    assert all(mention.entity_id in entity_ids for mention in analysis.mentions)


@settings(PROPERTIES, max_examples=40)
@given(title=st.one_of(st.none(), hostile_text, articleish_text), texts=st.lists(articleish_text, min_size=1, max_size=3),
       published=PUBLISHED)
@example(title="Friday 31 February: 1e400 dead", texts=['The army said 1e400 people died on Friday 31 February.\n\n'
                                                       '"He said \u201cnever closed and 10^400 drones', "\x00\u202e"],
         published="Friday 31 February")
def test_extractor_spans_lie_inside_the_document(title: str | None, texts: list[str], published: str | None) -> None:
    articles = [a for a in (_article(title, text, published) for text in texts) if a is not None]
    results = list(analyze_articles(articles, batch_size=2))
    assert [a.id for a, _ in results] == [a.id for a in articles]
    for article, analysis in results:
        _assert_spans_valid(article, analysis)


@settings(PROPERTIES, max_examples=500)
@given(text=st.one_of(time_phrases, hostile_text, st.sampled_from(FRAGMENTS)))
@example(text="1e400")
@example(text="99999999999999999999999999999999999999999999 thousand billion")
def test_number_parsing_never_crashes(text: str) -> None:
    value = numbers.parse(text)
    assert value is None or isinstance(value, float)
    glued = numbers.split_glued(text)
    assert glued is None or (isinstance(glued, tuple) and len(glued) == 2)


@settings(PROPERTIES, max_examples=1000)
@given(text=st.one_of(time_phrases, time_phrases, hostile_text, st.sampled_from(FRAGMENTS)),
       anchor=st.one_of(st.none(), st.dates(), st.sampled_from((date.min, date.max))), direction=st.sampled_from((-1, 0, 1)))
@example(text="Friday 31 February", anchor=None, direction=0)
@example(text="9999 years from now", anchor=date.max, direction=1)
@example(text="in 1e400 days", anchor=date.min, direction=-1)
def test_time_normalisation_never_crashes(text: str, anchor: object, direction: int) -> None:
    resolved = timenorm.normalise(text, anchor, direction)  # type: ignore[arg-type]
    if resolved is not None:
        assert resolved.type in ("DATE", "TIME", "DURATION", "SET")
        assert isinstance(resolved.value, str) and resolved.value
