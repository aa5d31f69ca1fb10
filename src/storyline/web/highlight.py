"""An article's text as HTML with its extractions marked inline, every character escaped.

Spans come from different extractors and may overlap; markup must nest, so a span that crosses an
already placed one is left out of the inline view (it is still listed beside the text). Paragraphs are
rendered one by one and spans are clipped to them, so a quote running over two paragraphs is marked
in both.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

from storyline.model import Analysis

ENTITY_LABELS = {
    "PERSON": "Person",
    "ORG": "Organisation",
    "GPE": "Country or city",
    "LOC": "Place",
    "FAC": "Facility",
    "NORP": "Group",
    "EVENT": "Event",
}


@dataclass(frozen=True, slots=True)
class Span:
    """One mark: `cls` is the CSS class, `tip` what hovering or focusing it tells, `anchor` its id."""

    start: int
    end: int
    cls: str
    tip: str
    anchor: str | None = None
    badge: str | None = None
    href: str | None = None
    priority: int = 0


def _amount(q: Any) -> str:
    if q.value is not None:
        return f"{q.value:,.0f}" if float(q.value).is_integer() else f"{q.value:,}"
    low = f"{q.min:,.0f}" if q.min is not None else ""
    high = f"{q.max:,.0f}" if q.max is not None else ""
    if low and high:
        return f"{low}–{high}"
    return f"at least {low}" if low else f"at most {high}" if high else q.text


def spans(analysis: Analysis) -> list[Span]:
    """The marks of an analysis, outermost kinds first: quotes, then entities, numbers and dates."""
    entities = {e.id: e for e in analysis.entities}
    found: list[Span] = []
    for n, quote in enumerate(analysis.quotes):
        speaker = entities[quote.speaker_entity_id].name if quote.speaker_entity_id in entities else quote.speaker or "unknown speaker"
        tip = f"{quote.kind.capitalize()} quote — {speaker}" + (f" ({quote.cue})" if quote.cue else "")
        found.append(Span(quote.content_start, quote.content_end, f"quote quote-{quote.kind}", tip, f"q{n}", badge=speaker, priority=3))
        if quote.speaker_start is not None and quote.speaker_end is not None:
            found.append(Span(quote.speaker_start, quote.speaker_end, "speaker", f"Speaker of quote {n + 1}", priority=2))
    for mention in analysis.mentions:
        entity = entities.get(mention.entity_id)
        if entity is None:
            continue
        label = ENTITY_LABELS.get(entity.type, entity.type.title())
        tip = f"{label}: {entity.name}" + (f" — {entity.role}" if entity.role else "")
        found.append(Span(mention.start, mention.end, f"ent ent-{entity.type.lower()}", tip, href=f"/entities/{entity.id}", priority=1))
    for n, quantity in enumerate(analysis.quantities):
        counted = f" {quantity.counted}" if quantity.counted else ""
        tip = f"Number: {'about ' if quantity.approximate else ''}{_amount(quantity)}{counted}"
        found.append(Span(quantity.start, quantity.end, "num", tip, f"n{n}", priority=1))
    for timeref in analysis.timerefs:
        resolved = timeref.earliest if timeref.earliest and timeref.earliest == timeref.latest else timeref.value
        found.append(Span(timeref.start, timeref.end, "date", f"Date: {resolved}", priority=1))
    return found


def _nest(candidates: Iterable[Span]) -> list[Span]:
    """Keep spans that nest with those already kept (longer and higher priority placed first)."""
    kept: list[Span] = []
    for span in sorted(candidates, key=lambda s: (-s.priority, -(s.end - s.start), s.start)):
        if span.end <= span.start:
            continue
        if all(span.end <= k.start or span.start >= k.end or (k.start <= span.start and span.end <= k.end) or (span.start <= k.start and k.end <= span.end) for k in kept):
            kept.append(span)
    return sorted(kept, key=lambda s: (s.start, -(s.end - s.start), -s.priority))


def _open(span: Span) -> str:
    attrs = f' class="{escape(span.cls)}" data-tip="{escape(span.tip)}" tabindex="0"'
    if span.anchor:
        attrs += f' id="{escape(span.anchor)}"'
    if span.href:
        return f'<a{attrs} href="{escape(span.href)}">'
    return f"<mark{attrs}>"


def _close(span: Span) -> str:
    badge = f'<span class="badge" aria-hidden="true">{escape(span.badge)}</span>' if span.badge else ""
    return ("</a>" if span.href else "</mark>") + badge


def render_range(document: str, start: int, end: int, marks: Iterable[Span]) -> Markup:
    """`document[start:end]` as escaped HTML with the marks inside it (clipped to the range)."""
    clipped = []
    for span in marks:
        if span.end <= start or span.start >= end:
            continue
        s, e = max(span.start, start), min(span.end, end)
        anchor = span.anchor if s == span.start else None
        badge = span.badge if e == span.end else None
        clipped.append(Span(s, e, span.cls, span.tip, anchor, badge, span.href, span.priority))
    out: list[str] = []
    stack: list[Span] = []
    position = start

    def close_until(limit: int) -> None:
        nonlocal position
        while stack and stack[-1].end <= limit:
            done = stack.pop()
            out.append(str(escape(document[position : done.end])))
            out.append(_close(done))
            position = done.end

    for span in _nest(clipped):
        close_until(span.start)
        out.append(str(escape(document[position : span.start])))
        position = span.start
        if span.href and any(s.href for s in stack):
            # A link cannot hold a link: the inner entity becomes a plain mark.
            span = Span(span.start, span.end, span.cls, span.tip, span.anchor, span.badge, None, span.priority)
        stack.append(span)
        out.append(_open(span))
    close_until(end)
    out.append(str(escape(document[position:end])))
    return Markup("".join(out))


def paragraphs(document: str, body_offset: int) -> list[tuple[int, int]]:
    """Character ranges of the body's paragraphs (blank-line separated), title excluded."""
    ranges = []
    position = body_offset
    for block in document[body_offset:].split("\n\n"):
        stripped = block.strip()
        if stripped:
            lead = block.index(stripped[0])
            ranges.append((position + lead, position + lead + len(stripped)))
        position += len(block) + 2
    return ranges


def render_article(article: Mapping[str, Any], analysis: Analysis, target: tuple[int, int] | None = None) -> dict[str, Any]:
    """Title and paragraphs of an article as marked-up HTML fragments.

    `target` is a span a link pointed at (a claim, a number, a timeline sentence): it is marked around
    everything else and gets the `mark` anchor, so the browser scrolls to it.
    """
    title, text = article["title"] or "", article["text"] or ""
    document = f"{title}\n\n{text}" if title else text
    body_offset = len(title) + 2 if title else 0
    marks = spans(analysis)
    if target and 0 <= target[0] < target[1] <= len(document):
        marks.append(Span(target[0], target[1], "target", "The passage this link points to", "mark", priority=9))
    return {
        "title": render_range(document, 0, len(title), marks) if title else Markup(""),
        "paragraphs": [render_range(document, a, b, marks) for a, b in paragraphs(document, body_offset)],
        "document": document,
    }
