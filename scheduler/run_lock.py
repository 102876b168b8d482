"""One run per source at a time, across every scheduler and worker sharing the database.

A crawl starts only after taking its source's lease (a row in `run_leases`) and releases it when
it ends. The lease expires after the crawl time limit plus the stop grace and a margin, so a
crawl whose worker died (a killed process, a lost machine) blocks its source only until then;
the next taker finds the expired lease, takes it over and learns who held it."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from crawler.config import ServiceConfig
from crawler.storage.runs import now_utc
from crawler.storage.service_models import RunLease

# Time for a stopped crawl to be killed and its run recorded after the stop grace.
RECORD_ALLOWANCE = timedelta(seconds=5)


@dataclass
class Taken:
    """The outcome of asking for a source's lease."""

    source_id: str
    taken: bool
    holder: str | None = None  # refused: who holds it now; taken over: whose expired lease it was
    expires_at: datetime | None = None  # refused: when the holder's lease ends; taken over: when it ended


def lease_time(service: ServiceConfig) -> timedelta:
    """How long a lease lasts: a crawl is stopped by then, and its run recorded."""
    return service.crawl_time_limit + service.stop_grace + RECORD_ALLOWANCE


def holder_name(worker: str | None = None) -> str:
    """This process, as a lease holder: the worker's name (or the host) and the process id."""
    return f"{worker or socket.gethostname()}/{os.getpid()}"


def insert_statement(session: Session):
    """INSERT … ON CONFLICT of the session's database (SQLite and PostgreSQL both have it)."""
    dialect = session.get_bind().dialect.name
    return (postgresql if dialect == "postgresql" else sqlite).insert


def take(session: Session, source_id: str, holder: str, duration: timedelta) -> Taken:
    """Take the source's lease if it is free or expired (or already ours); commits at once.
    Each step is one statement that only one taker can win: an INSERT that does nothing on a
    conflict, then an UPDATE conditional on expiry (PostgreSQL re-checks the condition on the
    row a concurrent taker just committed; SQLite runs one writer at a time)."""
    now = now_utc()
    insert = insert_statement(session)(RunLease).values(source_id=source_id, holder=holder, taken_at=now,
                                                        expires_at=now + duration)
    if session.execute(insert.on_conflict_do_nothing(index_elements=["source_id"])).rowcount == 1:
        session.commit()
        return Taken(source_id, True)
    current = session.execute(select(RunLease.holder, RunLease.expires_at)
                              .where(RunLease.source_id == source_id)).first()
    takeover = (update(RunLease).where(RunLease.source_id == source_id,
                                       (RunLease.expires_at < now) | (RunLease.holder == holder))
                .values(holder=holder, taken_at=now, expires_at=now + duration))
    won = session.execute(takeover).rowcount == 1
    session.commit()
    if current is None:  # released between the two statements: ask again
        return take(session, source_id, holder, duration)
    if won:
        previous = None if current.holder == holder else current.holder
        return Taken(source_id, True, previous, current.expires_at if previous else None)
    return Taken(source_id, False, current.holder, current.expires_at)


def release(session: Session, source_id: str, holder: str) -> None:
    """Give the lease back, if it is still ours (after expiry another crawl may hold it)."""
    session.execute(delete(RunLease).where(RunLease.source_id == source_id, RunLease.holder == holder))
    session.commit()


def leases(session: Session) -> dict[str, RunLease]:
    """Every lease held now, by source id."""
    return {lease.source_id: lease for lease in session.scalars(select(RunLease))}


def leased_now(session: Session) -> set[str]:
    """Sources a live crawl holds (an unexpired lease), wherever it runs: a service starting up
    must not close their runs as abandoned."""
    return set(session.scalars(select(RunLease.source_id).where(RunLease.expires_at > now_utc())))
