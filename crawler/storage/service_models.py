"""Tables of the service at scale: the run lease that keeps one run per source at a time across
schedulers and workers, and the runs queued or running now (what `regwatch schedule` shows)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from crawler.storage.models import Base


class RunLease(Base):
    """Held by the process crawling a source; a lease past `expires_at` belongs to a crawl that
    died without releasing it (a killed worker) and may be taken over."""

    __tablename__ = "run_leases"

    source_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))  # worker name and process id
    taken_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class ActiveRun(Base):
    """A run handed to an executor and not finished: queued, or running on a worker."""

    __tablename__ = "active_runs"

    source_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    state: Mapped[str] = mapped_column(String(20))  # queued | running
    since: Mapped[datetime]
    worker: Mapped[str | None] = mapped_column(String(200))
