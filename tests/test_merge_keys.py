"""A fold moves the absorbed story's index keys to the story it joins, in SQL: each key then finds
the target over the union of the two date spans, and nothing finds the absorbed id any more.

The keys only the absorbed story holds change their target in place, and the shared ones are
widened and dropped, so the second test checks the result against the plain definition (per key, the
union of both spans) over many random pairs of stories."""

from __future__ import annotations

import random
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
        ("s", "t:levee", "sTarget", "2024-03-02", "2024-03-03"),
        # The absorbed story's keys.
        ("s", "t:flood", "sGone", "2024-02-20", "2024-03-20"),
        ("s", "e:Valencia", "sGone", "2024-03-04", "2024-03-05"),
        ("s", "t:rescue", "sGone", "2024-03-06", "2024-03-08"),
        # Shared keys that widen the target's span at one end only.
        ("s", "t:dam", "sGone", "2024-03-01", "2024-03-02"),
        ("s", "t:levee", "sGone", "2024-03-03", "2024-03-09"),
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
        ("s", "t:dam", "sTarget", "2024-03-01", "2024-03-03"),
        ("s", "t:levee", "sTarget", "2024-03-02", "2024-03-09"),
        ("s", "t:rescue", "sTarget", "2024-03-06", "2024-03-08"),
        ("d", "t:rescue", "sGone", "2024-01-01", "2024-01-02"),
        ("s", "t:rescue", "sOther", "2024-01-01", "2024-01-02"),
    }


def _span(rng: random.Random) -> tuple[str, str]:
    first = rng.randrange(1, 28)
    return f"2024-05-{first:02d}", f"2024-05-{rng.randrange(first, 29):02d}"


def test_a_fold_gives_each_key_the_union_of_its_spans(new_db_url: Callable[[str], str]) -> None:
    """Random pairs of stories over a small vocabulary (so that many keys are shared, some only one
    side holds), with other stories' and developments' keys around them: after each fold the index
    holds exactly what the definition says."""
    rng = random.Random(6)
    vocabulary = [f"t:w{i}" for i in range(40)]
    rows: dict[tuple[str, str, str], tuple[str, str]] = {}
    for n in range(12):
        for target in (f"sKept{n}", f"sGone{n}", f"sNear{n}"):
            for key in rng.sample(vocabulary, rng.randrange(0, 30)):
                rows["s", key, target] = _span(rng)
        for key in rng.sample(vocabulary, 5):
            rows["d", key, f"sGone{n}"] = _span(rng)
    expected = dict(rows)
    for n in range(12):
        gone, kept = f"sGone{n}", f"sKept{n}"
        for (kind, key, target), (first, last) in rows.items():
            if kind == "s" and target == gone:
                del expected[kind, key, target]
                old = expected.get((kind, key, kept))
                expected[kind, key, kept] = (first, last) if old is None else (min(first, old[0]), max(last, old[1]))
    engine = open_store(new_db_url("merge_keys_union"))
    keys = st.link_keys
    with engine.begin() as conn:
        fields = ("kind", "key", "target", "first_date", "last_date")
        conn.execute(insert(keys), [dict(zip(fields, (*name, *span), strict=True)) for name, span in rows.items()])
        for n in range(12):
            _move_keys(conn, f"sGone{n}", f"sKept{n}")
    with engine.connect() as conn:
        stored = conn.execute(select(keys.c.kind, keys.c.key, keys.c.target, keys.c.first_date, keys.c.last_date))
        found = {(r[0], r[1], r[2]): (r[3], r[4]) for r in stored}
    engine.dispose()
    assert found == expected
