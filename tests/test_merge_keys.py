"""A fold moves the absorbed story's index keys to the story it joins, in SQL: each key then finds
the target over the union of the two date spans, and nothing finds the absorbed id any more."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import insert, select

from storyline.store import story_tables as st
from storyline.store.db import open_store
from storyline.stories.merge import _move_keys


def test_a_fold_moves_keys_over_the_union_of_both_spans(new_db_url: Callable[[str], str]) -> None:
    engine = open_store(new_db_url("merge_keys"))
    rows = [
        # The target's own keys: one the absorbed story shares with wider dates, one with narrower.
        ("s", "t:flood", "sTarget", "2024-03-01", "2024-03-10"),
        ("s", "e:Valencia", "sTarget", "2024-03-01", "2024-03-10"),
        ("s", "t:dam", "sTarget", "2024-03-02", "2024-03-03"),
        # The absorbed story's keys.
        ("s", "t:flood", "sGone", "2024-02-20", "2024-03-20"),
        ("s", "e:Valencia", "sGone", "2024-03-04", "2024-03-05"),
        ("s", "t:rescue", "sGone", "2024-03-06", "2024-03-08"),
        # A development's key of the same name and another story's key stay as they are.
        ("d", "t:rescue", "sGone", "2024-01-01", "2024-01-02"),
        ("s", "t:rescue", "sOther", "2024-01-01", "2024-01-02"),
    ]
    with engine.begin() as conn:
        conn.execute(insert(st.link_keys), [dict(zip(("kind", "key", "target", "first_date", "last_date"), r, strict=True)) for r in rows])
        _move_keys(conn, "sGone", "sTarget")
    keys = st.link_keys
    with engine.connect() as conn:
        found = {tuple(row) for row in conn.execute(select(keys.c.kind, keys.c.key, keys.c.target, keys.c.first_date, keys.c.last_date))}
    engine.dispose()
    assert found == {
        ("s", "t:flood", "sTarget", "2024-02-20", "2024-03-20"),
        ("s", "e:Valencia", "sTarget", "2024-03-01", "2024-03-10"),
        ("s", "t:dam", "sTarget", "2024-03-02", "2024-03-03"),
        ("s", "t:rescue", "sTarget", "2024-03-06", "2024-03-08"),
        ("d", "t:rescue", "sGone", "2024-01-01", "2024-01-02"),
        ("s", "t:rescue", "sOther", "2024-01-01", "2024-01-02"),
    }
