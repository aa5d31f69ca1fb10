"""Short hand-written news reports as the `Article` records the analyze and link stages take."""

from __future__ import annotations

from datetime import UTC, datetime

from storyline.model import Article


def report(key: str, published: str, title: str, text: str, position: int, input_name: str) -> Article:
    """A plain-text report whose id, hash, item key and source all derive from `key`, so that tests name
    reports by key and distinct keys never collide."""
    return Article(
        id=f"{key:_<16}"[:16], content_hash=key, item_key=key, title=title, text=text,
        published=datetime.fromisoformat(published).replace(tzinfo=UTC), url=None, source=key, author=None,
        language="en", input_name=input_name, position=position, format="text", raw=text.encode(),
    )
