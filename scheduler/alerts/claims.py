"""Which dispatcher sends a delivery: each claims the due deliveries before sending them, so two
services (or a service and its restart) on one database never send one delivery twice.

On PostgreSQL the due rows are read `FOR UPDATE SKIP LOCKED` (a dispatcher passes over the rows
another one is claiming at that moment) and marked claimed in the same transaction. SQLite
has one writer at a time, so a single conditional UPDATE is the claim. A claim lasts across the
sends and is confirmed before each one; a dispatcher that died mid-send leaves a claim that
others take over after CLAIM_TIMEOUT."""

from __future__ import annotations

import os
import socket
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from crawler.storage.scheduler_models import AlertDelivery

CLAIM_TIMEOUT = timedelta(minutes=10)
CLAIM_LIMIT = 1000  # deliveries claimed at once; the rest wait for the next tick


def new_claimer() -> str:
    """A name for one dispatch: the host, the process and a random part (threads share a pid)."""
    return f"{socket.gethostname()[:60]}/{os.getpid()}/{uuid.uuid4().hex[:8]}"


def _claimable(now: datetime):
    return (AlertDelivery.status == "pending", AlertDelivery.due_at <= now,
            or_(AlertDelivery.claimed_by.is_(None), AlertDelivery.claimed_at < now - CLAIM_TIMEOUT))


def claim_due(session: Session, claimer: str, now: datetime) -> list[AlertDelivery]:
    """Claim the due, unclaimed deliveries for `claimer` and return them, oldest first."""
    if session.get_bind().dialect.name == "postgresql":
        ids = list(session.scalars(select(AlertDelivery.id).where(*_claimable(now)).order_by(AlertDelivery.id)
                                   .limit(CLAIM_LIMIT).with_for_update(skip_locked=True)))
        if ids:
            session.execute(update(AlertDelivery).where(AlertDelivery.id.in_(ids))
                            .values(claimed_by=claimer, claimed_at=now)
                            .execution_options(synchronize_session=False))
    else:
        due = select(AlertDelivery.id).where(*_claimable(now)).order_by(AlertDelivery.id).limit(CLAIM_LIMIT)
        session.execute(update(AlertDelivery).where(AlertDelivery.id.in_(due.scalar_subquery()), *_claimable(now))
                        .values(claimed_by=claimer, claimed_at=now).execution_options(synchronize_session=False))
    session.commit()
    return list(session.scalars(select(AlertDelivery).where(AlertDelivery.claimed_by == claimer)
                                .order_by(AlertDelivery.id).execution_options(populate_existing=True)))


def confirm(session: Session, claimer: str, deliveries: list[AlertDelivery]) -> list[AlertDelivery]:
    """Renew the claim just before a send; a delivery whose claim another dispatcher took over
    (this one was slower than CLAIM_TIMEOUT) is left to it."""
    ids = [delivery.id for delivery in deliveries]
    session.execute(update(AlertDelivery).where(AlertDelivery.id.in_(ids), AlertDelivery.claimed_by == claimer)
                    .values(claimed_at=datetime.now(UTC)).execution_options(synchronize_session=False))
    session.commit()
    still = set(session.scalars(select(AlertDelivery.id).where(AlertDelivery.id.in_(ids),
                                                              AlertDelivery.claimed_by == claimer)))
    return [delivery for delivery in deliveries if delivery.id in still]


def unclaim(deliveries: list[AlertDelivery]) -> None:
    """Done with them (sent, or failed and due again later): the caller commits."""
    for delivery in deliveries:
        delivery.claimed_by = delivery.claimed_at = None


def release_all(session: Session, claimer: str) -> None:
    """Give back whatever `claimer` still holds (a dispatch that stopped on an error)."""
    session.rollback()
    session.execute(update(AlertDelivery).where(AlertDelivery.claimed_by == claimer)
                    .values(claimed_by=None, claimed_at=None).execution_options(synchronize_session=False))
    session.commit()
