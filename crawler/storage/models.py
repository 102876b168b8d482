"""SQLAlchemy 2 models: sources, documents and their versions, crawl runs, triage state."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, synonym


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps no offset of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: Regwatch stores timezone-aware moments")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[str]: JSON, datetime: UTCDateTime, date: Date}


class Source(Base):
    __tablename__ = "sources"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    spider: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(300))
    authority: Mapped[str | None] = mapped_column(String(300))
    jurisdiction: Mapped[str | None] = mapped_column(String(10))
    category: Mapped[str | None] = mapped_column(String(40))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)


class Document(Base):
    """The latest state of one document; its history is in document_versions."""

    __tablename__ = "documents"
    __table_args__ = (
        UniqueConstraint("source_id", "url", name="uq_documents_source_url"),
        Index("ix_documents_published", "published"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[str] = mapped_column(ForeignKey("sources.id"))
    url: Mapped[str] = mapped_column(String(2048))
    title: Mapped[str] = mapped_column(Text)
    published: Mapped[date | None]
    authority: Mapped[str | None] = mapped_column(String(300))
    jurisdiction: Mapped[str | None] = mapped_column(String(10))
    category: Mapped[str | None] = mapped_column(String(40))
    doc_type: Mapped[str] = mapped_column(String(40))
    identifiers: Mapped[dict[str, Any]]
    dates: Mapped[dict[str, Any]]
    summary: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(20))
    content_hash: Mapped[str] = mapped_column(String(64))
    relevance_score: Mapped[float] = mapped_column(Float, index=True)
    relevance_terms: Mapped[list[str]]
    # How the score was made: prior, terms and model parts, the model's strongest features
    # (migration 0008_relevance_model); None for rows scored before, by terms alone.
    relevance_detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    relevance_model_version: Mapped[str | None] = mapped_column(String(80))
    fetched_at: Mapped[datetime]
    first_seen_at: Mapped[datetime]
    version_count: Mapped[int] = mapped_column(Integer, default=1)
    # The same document seen through another source (a public-inspection filing later printed in
    # the Federal Register, a White House order and its FR printing) points at the first sighting,
    # the item reviewers see. No foreign key: SQLite could only add one by rebuilding the table.
    linked_to: Mapped[int | None] = mapped_column(Integer, index=True)
    # "generic" when the source's own selectors missed and the generic reader read it.
    # The server's default only: rows written before the column existed (and by older code) read "source".
    extraction: Mapped[str] = mapped_column(String(10), server_default="source")


class DocumentIdentifier(Base):
    """Identifiers that name exactly one document (see items.UNIQUE_IDENTIFIERS)."""

    __tablename__ = "document_identifiers"
    __table_args__ = (UniqueConstraint("source_id", "scheme", "value", name="uq_identifier_per_source"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    source_id: Mapped[str] = mapped_column(String(100))
    scheme: Mapped[str] = mapped_column(String(60))
    value: Mapped[str] = mapped_column(String(300))


class DocumentLinkKey(Base):
    """What names a document across sources (see storage.links): a shared key links two documents."""

    __tablename__ = "document_link_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(400), index=True)


class DayCompleteness(Base):
    """How many of the documents a source says it published on a day one run actually got."""

    __tablename__ = "day_completeness"
    __table_args__ = (Index("ix_day_completeness_source_day", "source_id", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("crawl_runs.id", ondelete="CASCADE"), index=True)
    source_id: Mapped[str] = mapped_column(String(100))
    day: Mapped[date]
    expected: Mapped[int] = mapped_column(Integer)
    found: Mapped[int] = mapped_column(Integer)
    checked_at: Mapped[datetime]


class DocumentVersion(Base):
    """What the source said at one fetch, with a reference to the WARC record that proves it."""

    __tablename__ = "document_versions"
    __table_args__ = (UniqueConstraint("document_id", "version", name="uq_version_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    item: Mapped[dict[str, Any]]
    fetched_at: Mapped[datetime]
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"))
    warc_file: Mapped[str | None] = mapped_column(String(1024))
    warc_offset: Mapped[int | None] = mapped_column(BigInteger)
    warc_record_id: Mapped[str | None] = mapped_column(String(100))


class CrawlRun(Base):
    __tablename__ = "crawl_runs"
    __table_args__ = (Index("ix_crawl_runs_source_started", "source_id", "started_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[str] = mapped_column(String(100))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    # running | ok | failed | blocked | not_configured
    status: Mapped[str] = mapped_column(String(20))
    replay: Mapped[bool] = mapped_column(Boolean, default=False)
    requests: Mapped[int] = mapped_column(Integer, default=0)
    not_modified: Mapped[int] = mapped_column(Integer, default=0)
    items_parsed: Mapped[int] = mapped_column(Integer, default=0)
    items_new: Mapped[int] = mapped_column(Integer, default=0)
    items_updated: Mapped[int] = mapped_column(Integer, default=0)
    items_unchanged: Mapped[int] = mapped_column(Integer, default=0)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    items_generic: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    warning_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    warc_file: Mapped[str | None] = mapped_column(String(1024))


class RunError(Base):
    __tablename__ = "run_errors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("crawl_runs.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    url: Mapped[str | None] = mapped_column(String(2048))
    message: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime]


class HttpValidator(Base):
    """ETag / Last-Modified last seen per source and URL, for conditional GET."""

    __tablename__ = "http_validators"

    source_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    url: Mapped[str] = mapped_column(String(2048), primary_key=True)
    etag: Mapped[str | None] = mapped_column(String(500))
    last_modified: Mapped[str | None] = mapped_column(String(100))


class TriageState(Base):
    """Where the research group stands on an item: new, accepted, rejected, snoozed."""

    __tablename__ = "triage_states"
    __table_args__ = (Index("ix_triage_status", "status"),)

    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True)
    status: Mapped[str] = mapped_column(String(20), default="new")
    updated: Mapped[bool] = mapped_column(Boolean, default=False)
    bulletin_month: Mapped[str | None] = mapped_column(String(7))
    section: Mapped[str | None] = mapped_column(String(40))
    assignee: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    snooze_until: Mapped[date | None]
    changed_at: Mapped[datetime]
    # The bulletin's own Chinese title and 摘要, written by an editor (migration 0002_web).
    editorial_title: Mapped[str | None] = mapped_column(Text)
    editorial_summary: Mapped[str | None] = mapped_column(Text)
    snoozed_until = synonym("snooze_until")


class TriageEvent(Base):
    """The audit trail: every change to an item's triage state."""

    __tablename__ = "triage_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(40))
    detail: Mapped[dict[str, Any]]
