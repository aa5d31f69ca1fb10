"""Tables of the story layer: developments, stories, passage memberships, the linking index, changes.

They live on the shared `metadata`, so `metadata.create_all` builds them with the rest of the store.
Linking reads candidates through `link_keys` (indexed by key and date) and never scans all stories,
so the cost of linking one article stays flat as the store grows.
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, Connection, Float, Index, Integer, String, Table, Text

from storyline.store.schema import metadata

stories = Table(
    "stories",
    metadata,
    Column("id", String(24), primary_key=True),
    Column("title", Text, nullable=False),
    Column("first_date", String(10), nullable=False),
    Column("last_date", String(10), nullable=False),
    Column("first_published", String(10), nullable=False),
    Column("last_published", String(10), nullable=False),
    Column("developments", Integer, nullable=False),
    Column("passages", Integer, nullable=False),
    Column("profile", JSON, nullable=False),
    Column("updated_seq", Integer, nullable=False),
    Index("ix_stories_last_date", "last_date"),
    # The story list's order, so a page is read off the index instead of sorting every story.
    Index("ix_stories_last_published", "last_published", "id"),
    Index("ix_stories_updated", "updated_seq"),
)

developments = Table(
    "developments",
    metadata,
    Column("id", String(24), primary_key=True),
    Column("story_id", String(24), nullable=False),
    Column("date", String(10), nullable=False),
    Column("first_date", String(10), nullable=False),
    Column("last_date", String(10), nullable=False),
    Column("first_published", String(10), nullable=False),
    Column("last_published", String(10), nullable=False),
    Column("label", Text, nullable=False),
    Column("passages", Integer, nullable=False),
    Column("profile", JSON, nullable=False),
    Index("ix_developments_story", "story_id", "date"),
)

passages = Table(
    "passages",
    metadata,
    Column("article_id", String(16), primary_key=True),
    Column("start", Integer, primary_key=True),
    Column("end", Integer, nullable=False),
    Column("development_id", String(24), nullable=False),
    Column("story_id", String(24), nullable=False),
    Column("date", String(10), nullable=False),
    Column("published", String(10), nullable=False),
    Column("score", Float, nullable=False),
    Column("new_facts", JSON, nullable=False),
    Index("ix_passages_development", "development_id"),
    Index("ix_passages_story", "story_id", "date"),
)

link_keys = Table(
    "link_keys",
    metadata,
    Column("kind", String(1), primary_key=True),
    Column("key", String(160), primary_key=True),
    Column("target", String(24), primary_key=True),
    Column("first_date", String(10), nullable=False),
    Column("last_date", String(10), nullable=False),
    Index("ix_link_keys_lookup", "kind", "key", "last_date"),
    # A story's or development's own keys (relink, merges): `kind` is in it so that a query on both
    # uses this index rather than the primary key's `kind` prefix.
    Index("ix_link_keys_target", "target", "kind"),
)

link_df = Table(
    "link_df",
    metadata,
    Column("key", String(160), primary_key=True),
    Column("df", Integer, nullable=False),
)

story_changes = Table(
    "story_changes",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("story_id", String(24), nullable=False),
    Column("development_id", String(24), nullable=False),
    Column("article_id", String(16), nullable=False),
    Column("start", Integer, nullable=False),
    Column("kind", String(24), nullable=False),
    Column("detail", JSON, nullable=False),
    Index("ix_story_changes_story", "story_id", "seq"),
)

story_redirects = Table(
    "story_redirects",
    metadata,
    # A story folded into another (`stories.merge`) leaves its id here, so links and followers of the
    # old id reach the story that holds its passages now. Chains are kept flat: `new_id` is always a
    # live story.
    Column("old_id", String(24), primary_key=True),
    Column("new_id", String(24), nullable=False),
    Column("seq", Integer, nullable=False),
    Index("ix_story_redirects_new", "new_id"),
)

STORY_TABLES = (stories, developments, passages, link_keys, link_df, story_changes, story_redirects)


def ensure(conn: Connection) -> None:
    """Create the story tables in a store made before they existed."""
    metadata.create_all(conn, tables=list(STORY_TABLES), checkfirst=True)


def clear(conn: Connection) -> None:
    """Empty every story table (relink rebuilds them from articles and facts)."""
    for table in reversed(STORY_TABLES):
        conn.execute(table.delete())
