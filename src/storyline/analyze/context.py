"""The entity lookup every later extractor shares, so speakers, actors and places resolve the same way."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from storyline.model import Entity, Mention


@dataclass(frozen=True)
class EntityIndex:
    """Canonical entities of one article and their mentions, searchable by character span."""

    entities: Mapping[str, Entity]
    mentions: Sequence[Mention]
    _starts: list[int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        ordered = sorted(self.mentions, key=lambda m: (m.start, m.end))
        object.__setattr__(self, "mentions", tuple(ordered))
        object.__setattr__(self, "_starts", [m.start for m in ordered])

    def in_range(self, start: int, end: int) -> list[Mention]:
        """Mentions lying wholly inside [start, end)."""
        i = bisect_right(self._starts, start - 1)
        found = []
        for mention in self.mentions[i:]:
            if mention.start >= end:
                break
            if mention.end <= end:
                found.append(mention)
        return found

    def covering(self, start: int, end: int) -> Mention | None:
        """The mention overlapping [start, end) the most, or None."""
        best: Mention | None = None
        best_overlap = 0
        i = bisect_right(self._starts, end - 1)
        for mention in reversed(self.mentions[:i]):
            overlap = min(end, mention.end) - max(start, mention.start)
            if overlap > best_overlap:
                best, best_overlap = mention, overlap
            if mention.end <= start and mention.start < start - 200:
                break
        return best

    def entity(self, entity_id: str) -> Entity:
        return self.entities[entity_id]

    def entity_at(self, start: int, end: int) -> Entity | None:
        mention = self.covering(start, end)
        return self.entities[mention.entity_id] if mention else None
