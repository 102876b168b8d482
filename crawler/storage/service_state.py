"""The service's own small state in the database: the alert watermark, reload requests, heartbeat."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from crawler.storage.scheduler_models import ServiceState

ALERT_WATERMARK = "alerts.last_version_id"
RELOAD_REQUESTED = "schedule.reload_requested_at"
RELOADED = "schedule.reloaded_at"
HEARTBEAT = "service.heartbeat"


def now_utc() -> datetime:
    return datetime.now(UTC)


def get(session: Session, key: str, lock: bool = False) -> str | None:
    """lock: read it FOR UPDATE (PostgreSQL), so that one process at a time moves it on."""
    row = session.get(ServiceState, key, with_for_update=lock or None)
    return row.value if row else None


def put(session: Session, key: str, value: str) -> None:
    row = session.get(ServiceState, key) or ServiceState(key=key)
    row.value = value
    session.add(row)


def get_moment(session: Session, key: str) -> datetime | None:
    value = get(session, key)
    return datetime.fromisoformat(value) if value else None


def put_moment(session: Session, key: str, moment: datetime) -> None:
    put(session, key, moment.astimezone(UTC).isoformat())


def heartbeat(session: Session) -> datetime | None:
    """When the service last ticked (the web app and `regwatch schedule` show it)."""
    return get_moment(session, HEARTBEAT)
