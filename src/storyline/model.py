"""The records that flow between stages.

Every stage is a function from these records to these records; nothing here does I/O. Character spans
(`start`, `end`) in analysis records always index into `Article.document` — the title, a blank line,
then the clean body — so a fact found in the headline is traceable like any other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

Modality = Literal["asserted", "claimed", "hedged", "planned", "denied"]
QuoteKind = Literal["direct", "indirect"]
ClaimStatus = Literal["claimed", "reported", "confirmed", "denied", "retracted"]


@dataclass(frozen=True, slots=True)
class RawItem:
    """One input item as a source found it, before any cleaning.

    `raw` is what was read, byte for byte, so the store can keep it for audit and re-processing.
    `text` is set when the format itself delimits the body (JSONL field, feed entry, HTML main text);
    for plain text files it is None and the cleaner splits title and body itself.
    """

    input_name: str
    position: int
    format: str
    raw: bytes
    text: str | None = None
    title: str | None = None
    published: str | None = None
    url: str | None = None
    source: str | None = None
    author: str | None = None
    language: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ItemError:
    """An input item that could not become a RawItem; it ends as an `ingest_errors` row."""

    input_name: str
    position: int
    reason: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class RemovedLine:
    """A line the cleaner cut, kept so cleaning can be audited and never silently invents or drops."""

    text: str
    reason: str


@dataclass(frozen=True, slots=True)
class Article:
    """A cleaned article. `id` derives from the clean content, so re-ingesting never changes it."""

    id: str
    content_hash: str
    item_key: str
    title: str
    text: str
    published: datetime | None
    url: str | None
    source: str | None
    author: str | None
    language: str | None
    input_name: str
    position: int
    format: str
    raw: bytes
    removed: tuple[RemovedLine, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def document(self) -> str:
        """The text every analysis span points into: title, blank line, body."""
        return f"{self.title}\n\n{self.text}" if self.title else self.text

    @property
    def body_offset(self) -> int:
        """Where the body starts inside `document`."""
        return len(self.title) + 2 if self.title else 0


@dataclass(frozen=True, slots=True)
class Entity:
    """A canonical real-world entity; `id` derives from type and canonical name."""

    id: str
    name: str
    type: str
    aliases: tuple[str, ...] = ()
    role: str | None = None
    country: str | None = None
    geonameid: int | None = None
    lat: float | None = None
    lon: float | None = None


@dataclass(frozen=True, slots=True)
class Mention:
    article_id: str
    start: int
    end: int
    text: str
    entity_id: str
    role: str | None = None


@dataclass(frozen=True, slots=True)
class Quote:
    article_id: str
    start: int
    end: int
    kind: QuoteKind
    content: str
    content_start: int
    content_end: int
    speaker: str | None = None
    speaker_entity_id: str | None = None
    speaker_start: int | None = None
    speaker_end: int | None = None
    cue: str | None = None
    cue_start: int | None = None
    cue_end: int | None = None


@dataclass(frozen=True, slots=True)
class Quantity:
    """A number with what it counts. Exact values set `value`; ranges and bounds set `min`/`max`."""

    article_id: str
    start: int
    end: int
    text: str
    value: float | None = None
    min: float | None = None
    max: float | None = None
    unit: str | None = None
    counted: str | None = None
    approximate: bool = False


@dataclass(frozen=True, slots=True)
class TimeRef:
    """A time expression resolved against the publication date.

    `value` follows TIMEX3 conventions ("2024-10-27", "2024-W43", "2024", "P3D", "PRESENT_REF");
    `earliest`/`latest` give the covered calendar range for dates, None for durations and sets.
    """

    article_id: str
    start: int
    end: int
    text: str
    type: Literal["DATE", "TIME", "DURATION", "SET"]
    value: str
    earliest: str | None = None
    latest: str | None = None


@dataclass(frozen=True, slots=True)
class Place:
    article_id: str
    start: int
    end: int
    text: str
    name: str
    geonameid: int | None
    lat: float | None
    lon: float | None
    country: str | None
    entity_id: str | None = None


@dataclass(frozen=True, slots=True)
class Event:
    """Something that happened (or is said, feared or planned to happen), typed by `ontology.md`."""

    article_id: str
    start: int
    end: int
    type: str
    subtype: str | None = None
    trigger: str | None = None
    actors: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()
    place: str | None = None
    geonameid: int | None = None
    date: str | None = None
    killed: Quantity | None = None
    injured: Quantity | None = None
    missing: Quantity | None = None
    evacuated: Quantity | None = None
    size: Quantity | None = None
    modality: Modality = "asserted"
    asserted_by: str | None = None


@dataclass(frozen=True, slots=True)
class Claim:
    """An attributed or hedged proposition, with the signature linking uses to follow it over time."""

    article_id: str
    start: int
    end: int
    text: str
    status: ClaimStatus
    claimant: str | None = None
    claimant_entity_id: str | None = None
    signature: str | None = None
    date: str | None = None


@dataclass(frozen=True, slots=True)
class Analysis:
    """Everything the analyze stage found in one article."""

    article_id: str
    version: str
    entities: tuple[Entity, ...] = ()
    mentions: tuple[Mention, ...] = ()
    quotes: tuple[Quote, ...] = ()
    quantities: tuple[Quantity, ...] = ()
    timerefs: tuple[TimeRef, ...] = ()
    places: tuple[Place, ...] = ()
    events: tuple[Event, ...] = ()
    claims: tuple[Claim, ...] = ()


@dataclass(frozen=True, slots=True)
class PassageRef:
    """The part of an article a development draws on: a round-up gives each happening its own passage."""

    article_id: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Development:
    """One real-world happening (an attack, a deployment, an announcement) and the passages reporting it.

    `date` is when it happened as the passages say (event date, else the earliest publication), so a
    timeline orders developments by the world's clock, not the newsroom's.
    """

    id: str
    story_id: str
    date: str
    first_published: str
    last_published: str
    label: str
    event_types: tuple[str, ...] = ()
    places: tuple[str, ...] = ()
    entities: tuple[str, ...] = ()
    passages: tuple[PassageRef, ...] = ()


@dataclass(frozen=True, slots=True)
class Story:
    """A storyline made of developments over weeks or months, carried by shared actors and claims."""

    id: str
    title: str
    first_date: str
    last_date: str
    entities: tuple[str, ...] = ()
    places: tuple[str, ...] = ()
    development_ids: tuple[str, ...] = ()
