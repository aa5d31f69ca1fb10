"""Tables of the store, in SQLAlchemy Core so SQLite and PostgreSQL share one schema.

Times are ISO 8601 strings in UTC ("2024-10-26T00:00:00Z"): they sort correctly as text on both
backends and round-trip without timezone surprises.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

meta = Table(
    "meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

sources = Table(
    "sources",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(300), nullable=False, unique=True),
)

ingest_runs = Table(
    "ingest_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("started_at", String(32), nullable=False),
    Column("finished_at", String(32)),
    Column("status", String(16), nullable=False),
    Column("args", JSON, nullable=False),
    Column("inputs", Integer, nullable=False, default=0),
    Column("new", Integer, nullable=False, default=0),
    Column("duplicates", Integer, nullable=False, default=0),
    Column("near_duplicates", Integer, nullable=False, default=0),
    Column("unchanged", Integer, nullable=False, default=0),
    Column("errors", Integer, nullable=False, default=0),
)

articles = Table(
    "articles",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("content_hash", String(64), nullable=False, unique=True),
    Column("item_key", String(64), nullable=False, unique=True),
    Column("title", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("published", String(32)),
    Column("url", Text),
    Column("source_id", Integer, ForeignKey("sources.id")),
    Column("author", Text),
    Column("language", String(16)),
    Column("input_name", Text, nullable=False),
    Column("position", Integer, nullable=False),
    Column("format", String(16), nullable=False),
    Column("raw", LargeBinary, nullable=False),
    Column("removed", JSON, nullable=False),
    Column("meta", JSON, nullable=False),
    Column("minhash", LargeBinary),
    Column("analysis_version", String(32)),
    Column("run_id", Integer, ForeignKey("ingest_runs.id")),
    Column("ingested_at", String(32), nullable=False),
    Index("ix_articles_published", "published"),
    Index("ix_articles_source", "source_id"),
)

duplicates = Table(
    "duplicates",
    metadata,
    Column("item_key", String(64), primary_key=True),
    Column("article_id", String(16), ForeignKey("articles.id"), nullable=False, index=True),
    Column("kind", String(8), nullable=False),
    Column("similarity", Float, nullable=False),
    Column("title", Text),
    Column("url", Text),
    Column("source_id", Integer, ForeignKey("sources.id")),
    Column("published", String(32)),
    Column("input_name", Text, nullable=False),
    Column("position", Integer, nullable=False),
    Column("run_id", Integer, ForeignKey("ingest_runs.id")),
    Column("created_at", String(32), nullable=False),
)

ingest_errors = Table(
    "ingest_errors",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("error_key", String(64), nullable=False, unique=True),
    Column("input_name", Text, nullable=False),
    Column("position", Integer, nullable=False),
    Column("reason", Text, nullable=False),
    Column("detail", Text, nullable=False),
    Column("run_id", Integer, ForeignKey("ingest_runs.id")),
    Column("created_at", String(32), nullable=False),
)

minhash_bands = Table(
    "minhash_bands",
    metadata,
    Column("band_key", String(48), primary_key=True),
    Column("article_id", String(16), ForeignKey("articles.id"), primary_key=True),
)

entities = Table(
    "entities",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", Text, nullable=False),
    Column("type", String(16), nullable=False),
    Column("aliases", JSON, nullable=False),
    Column("role", Text),
    Column("country", String(8)),
    Column("geonameid", Integer),
    Column("lat", Float),
    Column("lon", Float),
    Index("ix_entities_name", "name"),
)

mentions = Table(
    "mentions",
    metadata,
    Column("article_id", String(16), ForeignKey("articles.id"), primary_key=True),
    Column("start", Integer, primary_key=True),
    Column("end", Integer, primary_key=True),
    Column("entity_id", String(32), ForeignKey("entities.id"), primary_key=True),
    Column("text", Text, nullable=False),
    Column("role", Text),
    Index("ix_mentions_entity", "entity_id"),
)

facts = Table(
    "facts",
    metadata,
    Column("article_id", String(16), ForeignKey("articles.id"), primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("start", Integer, nullable=False),
    Column("end", Integer, nullable=False),
    Column("data", JSON, nullable=False),
)

rendered_views = Table(
    "rendered_views",
    metadata,
    Column("kind", String(16), primary_key=True),
    Column("id", String(64), primary_key=True),
    Column("version", String(64), nullable=False),
    Column("body", LargeBinary, nullable=False),
    Column("etag", String(40), nullable=False),
    Column("rendered_at", String(32), nullable=False),
)
"""The read model (`storyline.readmodel`): each story and article view as the bytes sent, after a CRC-32
of ETag and bytes (`readmodel.pack`; rows of earlier versions are zlib-compressed), their ETag and the
version of the store they show; a reader serves a row only while its
version is the store's current one."""
