"""Metadata that comes from outside an item: a sidecar file and the `published=`/`source=` arguments."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any

from storyline.model import RawItem

SIDECAR_FIELDS = ("published", "url", "source", "title")


@dataclass(frozen=True, slots=True)
class Given:
    """What the user told us about an input, as opposed to what the input says about itself."""

    published: str | None = None
    url: str | None = None
    source: str | None = None
    title: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def but(self, **values: str | None) -> Given:
        """A copy where every non-None value given here wins (the argument-over-sidecar rule)."""
        changes: dict[str, Any] = {k: v for k, v in values.items() if v is not None}
        return dataclasses.replace(self, **changes)

    def override(self, item: RawItem) -> RawItem:
        """For a single-item file the user's word beats what was extracted from the page."""
        values = {k: getattr(self, k) for k in SIDECAR_FIELDS if getattr(self, k) is not None}
        meta = {**item.meta, **self.meta} if self.meta else item.meta
        return dataclasses.replace(item, meta=meta, **values)

    def fill(self, item: RawItem) -> RawItem:
        """For items inside a container the item's own fields are more specific; we only fill gaps."""
        values = {k: getattr(self, k) for k in SIDECAR_FIELDS
                  if getattr(self, k) is not None and getattr(item, k) is None}
        meta = {**self.meta, **item.meta} if self.meta else item.meta
        return dataclasses.replace(item, meta=meta, **values)


def parse_sidecar(data: bytes) -> Given:
    """Read a sidecar's JSON; raises ValueError with a message fit for an ItemError reason."""
    try:
        obj = json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise ValueError(f"metadata sidecar is not valid JSON: {exc}") from exc
    if not isinstance(obj, dict):
        raise ValueError("metadata sidecar must hold a JSON object")
    known = {k: _as_text(obj[k]) for k in SIDECAR_FIELDS if obj.get(k) is not None}
    return Given(meta={k: v for k, v in obj.items() if k not in SIDECAR_FIELDS}, **known)


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)
