"""Timelines: what happened when, dated by the world's clock, each date told by its best sentence.

Two builders share one idea. A story's timeline lists its developments by happening date. A summary
timeline of fixed size (the Timeline17 task) picks the dates the coverage refers to most often
(a date is important when many later reports point back at it) and, for each, the sentence that
best represents what the coverage says about that date: the one nearest the centroid of the
sentences naming it and of the opening sentences of the reports published on it or the day after
(the "PM" candidate sets of Ghalandari & Ifrim 2020's Datewise).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from storyline.model import Analysis, Article, TimeRef
from storyline.stories.features import day, shift, terms
from storyline.stories.profile import cosine

_SENTENCE = re.compile(r"[^\n]+?(?:[.!?][\"'”’]?(?=\s)|$)", re.MULTILINE)
# What follows a date that stamps a line rather than tells of a day: a clock time ("January 31 ,
# 2011 at 2:23 pm | Reply"), a column bar, "Last updated".
_STAMP = re.compile(r"\s*(?:,\s*\d{4}\s*)?(?:\||at \d{1,2}[:.]\d{2}|\d{1,2}[:.]\d{2}\b|(?:last )?updated)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class DatedSentence:
    """A sentence and the day it speaks about.

    `weight` is how much the sentence counts as a reference to its day when dates are ranked: a day
    named by a later report 1, a line of a report's chronology `chronology_weight`, a report's own
    day `publication_weight`, a day a report announces `announcement_weight`, and 0 for an opening
    sentence offered as a candidate for the day before publication (text to choose from, no
    reference).
    """

    date: str
    text: str
    article_id: str
    start: int
    end: int
    weight: float = 1.0
    published: str = ""
    """The day the sentence's article was published ("" when unknown)."""


def sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Sentence spans of `text[start:end]` by punctuation and line breaks (no parse needed at read time)."""
    stop = len(text) if end is None else end
    found = []
    for match in _SENTENCE.finditer(text, start, stop):
        s, e = match.start(), match.end()
        while s < e and text[s].isspace():
            s += 1
        if e - s > 1:
            found.append((s, e))
    return found


def named_day(ref: TimeRef) -> str | None:
    """The calendar day a time expression names, if it names exactly one.

    "Thursday night", "Friday morning" and "last night" name a day as surely as "Thursday" does
    (the analyzer gives them a one-day range, not a plain day value); a clock time ("4:23 pm EST")
    stamps the report itself and "now" names no day, so neither is a reference.
    """
    value = day(ref.value)
    if value:
        return value
    if not ref.earliest or ref.earliest != ref.latest or ref.value.endswith("_REF"):
        return None
    if ref.type == "TIME" and any(ch.isdigit() for ch in ref.text):
        return None
    return ref.earliest


def dated_sentences(
    article: Article,
    analysis: Analysis,
    *,
    start: int = 0,
    end: int | None = None,
    publication_weight: float = 0.5,
    max_back_days: int = 3650,
    lead_sentences: int = 5,
    chronology_weight: float = 3.0,
    chronology_lines: int = 4,
    announcement_weight: float = 0.25,
    max_ahead_days: int = 30,
) -> list[DatedSentence]:
    """Sentences of one article (or passage) with the days they refer to.

    A sentence naming a calendar day is dated by it. A report naming its own publication day is
    the report itself, not a later look back, so it counts `publication_weight`, like the
    publication: news mostly reports the day before or the day itself. The first `lead_sentences`
    of an article that name no day tell what was new when it appeared, so they are candidates for
    the publication day (counting `publication_weight`) and for the day before (counting nothing).

    A report whose lines open with earlier days ("February 17 - Activists designate a day of
    rage"), at least `chronology_lines` distinct ones, carries a chronology: an editor's list of the
    story's key days, so each of those lines counts `chronology_weight` instead of 1. A day up to
    `max_ahead_days` after publication is announced ("the Security Council votes on Thursday"):
    coverage that waits for a day marks it, more weakly than coverage that recalls it, so it counts
    `announcement_weight`; a line stamped with a later day and a clock time is a reader's comment,
    not an announcement.
    """
    document = article.document
    stop = len(document) if end is None else end
    published = article.published.date().isoformat() if article.published else ""
    opening = start <= article.body_offset
    spans = sentences(document, article.body_offset if opening else start, stop)
    refs = sorted((t for t in analysis.timerefs if start <= t.start < stop and t.type in ("DATE", "TIME")), key=lambda t: t.start)
    found: list[DatedSentence] = []
    chronology: list[int] = []
    for position, (s, e) in enumerate(spans):
        text = document[s:e].strip()
        named = False
        for ref in refs:
            value = named_day(ref)
            if not value or not s <= ref.start < e:
                continue
            if published and not shift(published, -max_back_days) <= value <= shift(published, max_ahead_days):
                continue
            stamp = _STAMP.match(document, ref.end)
            if published and value > published:
                if stamp:
                    continue
                weight = announcement_weight
            else:
                weight = publication_weight if value == published else 1.0
            named = True
            if value < published and not document[s:ref.start].strip() and not stamp:
                chronology.append(len(found))
            found.append(DatedSentence(value, text, article.id, s, e, weight, published))
        if published and not named and opening and position < lead_sentences:
            found.append(DatedSentence(published, text, article.id, s, e, publication_weight, published))
            found.append(DatedSentence(shift(published, -1), text, article.id, s, e, 0.0, published))
    if len({found[i].date for i in chronology}) >= chronology_lines:
        for i in chronology:
            found[i] = replace(found[i], weight=chronology_weight)
    return found


def rank_dates(items: Iterable[DatedSentence], n: int) -> list[str]:
    """The `n` dates referred to by the most articles (ties: earlier first), in calendar order.

    Each article counts once per date, with its strongest reference (a line of its chronology over
    a day named in a later report over the report's own day over a day it announces): a date
    matters when many reports point at it, not when one report repeats it, and most when reports
    published after it still recall it (Kessler et al. 2012; Datewise's learned date ranker weighs
    "documents referring back" highest). Candidates that are no reference (weight 0) never make a
    date.
    """
    strongest: dict[tuple[str, str], float] = {}
    for item in items:
        key = (item.date, item.article_id)
        strongest[key] = max(strongest.get(key, 0.0), item.weight)
    weight: Counter[str] = Counter()
    for (date, _), value in strongest.items():
        if value > 0:
            weight[date] += value
    top = sorted(weight.items(), key=lambda kv: (-kv[1], kv[0]))[:n]
    return sorted(date for date, _ in top)


def central(items: Sequence[DatedSentence], n: int, redundancy: float = 0.5) -> list[DatedSentence]:
    """The `n` sentences closest to the date's whole coverage, none repeating one already chosen.

    The coverage of a day is every candidate sentence for it (those naming it and the opening
    sentences of the reports that followed), each counted alike: how strongly a sentence refers to
    its day ranks dates, not sentences. Syndicated copies and follow-ups retell a day in nearly the
    same words; a sentence whose words overlap a chosen one by more than `redundancy` (cosine) says
    nothing new, so the next best distinct sentence takes its place.
    """
    centroid: Counter[str] = Counter()
    vectors = []
    for item in items:
        vector = terms(item.text)
        vectors.append(vector)
        centroid.update(vector)
    ranked = sorted(
        range(len(items)),
        key=lambda i: (-cosine(vectors[i], centroid), items[i].article_id, items[i].start),
    )
    chosen: list[int] = []
    for i in ranked:
        if not vectors[i] or any(cosine(vectors[i], vectors[j]) > redundancy for j in chosen):
            continue
        chosen.append(i)
        if len(chosen) == n:
            break
    return [items[i] for i in chosen]


def summary(items: Sequence[DatedSentence], n_dates: int, per_date: int | Sequence[int] = 1,
            lead_days: int | None = 1) -> list[tuple[str, list[DatedSentence]]]:
    """A timeline of `n_dates` dates with `per_date` sentences each (or a count per chosen date).

    A story's timeline runs from the happening that set its coverage off, reported on its day or
    the next: dates more than `lead_days` before its first report are background the reports
    recall ("Mubarak has ruled since 1981", last week's prelude), not steps of the story, and they
    are left out (None keeps them).
    """
    if lead_days is not None:
        first = min((item.published for item in items if item.published), default="")
        if first:
            earliest = shift(first, -lead_days)
            items = [item for item in items if item.date >= earliest]
    by_date: dict[str, list[DatedSentence]] = defaultdict(list)
    for item in items:
        by_date[item.date].append(item)
    dates = rank_dates(items, n_dates)
    counts = [per_date] * len(dates) if isinstance(per_date, int) else list(per_date)
    return [(date, central(by_date[date], counts[i] if i < len(counts) else 1)) for i, date in enumerate(dates)]
