"""The runs handed to an executor and not finished yet: queued, or running on a worker.

Both executors write them (the local one on this machine, the Celery workers on theirs), and
`regwatch schedule` reads them from the database, so the view is the same from every machine.
One row per source: a source queued again while it runs keeps showing as running. Each function
commits at once."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from crawler.storage.runs import now_utc
from crawler.storage.service_models import ActiveRun
from scheduler.run_lock import insert_statement


def mark_queued(session: Session, source_id: str) -> None:
    """Handed to the executor; a row already there (queued, or running) stays as it is."""
    insert = insert_statement(session)(ActiveRun).values(source_id=source_id, state="queued", since=now_utc(),
                                                         worker=None)
    session.execute(insert.on_conflict_do_nothing(index_elements=["source_id"]))
    session.commit()


def mark_running(session: Session, source_id: str, worker: str) -> None:
    """Started crawling on `worker` (a name and process id, or the local service)."""
    values = {"state": "running", "since": now_utc(), "worker": worker}
    insert = insert_statement(session)(ActiveRun).values(source_id=source_id, **values)
    session.execute(insert.on_conflict_do_update(index_elements=["source_id"], set_=values))
    session.commit()


def mark_done(session: Session, source_id: str) -> None:
    """Finished (its run is recorded in crawl_runs), failed to start, or given up."""
    session.execute(delete(ActiveRun).where(ActiveRun.source_id == source_id))
    session.commit()


def current(session: Session) -> list[ActiveRun]:
    """Running runs first, then the queue, oldest first."""
    rows = session.scalars(select(ActiveRun)).all()
    return sorted(rows, key=lambda row: (row.state != "running", row.since, row.source_id))
