"""Tables of the background service: alert deliveries and their failures, source health, missed
runs, and a small key-value table for the service's own state. (APScheduler creates its job table.)"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from crawler.storage.models import Base


class AlertDelivery(Base):
    """One item (or one health event) to send for one rule. The unique (rule, document) pair is
    what makes an item alert at most once per rule, across restarts and re-crawls."""

    __tablename__ = "alert_deliveries"
    __table_args__ = (
        UniqueConstraint("rule_id", "document_id", name="uq_alert_rule_document"),
        Index("ix_alert_deliveries_due", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule_id: Mapped[str] = mapped_column(String(100))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))  # new | update | health
    version: Mapped[int] = mapped_column(Integer, default=1)
    detail: Mapped[dict[str, Any]]  # why the rule matched, or the health change
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending | sent | failed
    due_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    channels_done: Mapped[list[str]]  # keys of the channels that already have it
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    # The dispatcher sending it now (scheduler.alerts.queue): two services never send one delivery twice.
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_at: Mapped[datetime | None]


class AlertFailure(Base):
    """One failed attempt to reach one channel (the channel is named without its secrets)."""

    __tablename__ = "alert_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("alert_deliveries.id", ondelete="CASCADE"), index=True)
    rule_id: Mapped[str] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(300))
    at: Mapped[datetime]
    error: Mapped[str] = mapped_column(Text)


class SourceHealth(Base):
    """The last health state the service announced for a source, to alert only on changes."""

    __tablename__ = "source_health"

    source_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    state: Mapped[str] = mapped_column(String(20))  # ok | broken | quiet | never_run
    reason: Mapped[str] = mapped_column(Text)
    changed_at: Mapped[datetime]


class MissedRun(Base):
    """A scheduled crawl that did not run (the service was down past the misfire grace time)."""

    __tablename__ = "missed_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[str] = mapped_column(String(100), index=True)
    scheduled_for: Mapped[datetime]
    recorded_at: Mapped[datetime]


class ServiceState(Base):
    __tablename__ = "service_state"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
