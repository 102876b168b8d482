"""Per-day completeness: what a source says it published on a day against what a run got."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crawler.storage.models import DayCompleteness


@dataclass(frozen=True)
class DayCount:
    day: date
    expected: int
    found: int

    @property
    def completeness(self) -> float:
        """found / expected, 1.0 for a day with nothing to find."""
        return min(self.found / self.expected, 1.0) if self.expected else 1.0


def record_day_counts(session: Session, run_id: int, source_id: str, counts: list[DayCount]) -> None:
    now = datetime.now(UTC)
    session.add_all(DayCompleteness(run_id=run_id, source_id=source_id, day=c.day, expected=c.expected,
                                    found=c.found, checked_at=now) for c in counts)
    session.commit()


def latest_day_counts(session: Session, source_id: str) -> dict[date, DayCount]:
    """Each day's figure from the newest run that checked it."""
    rows = session.scalars(select(DayCompleteness).where(DayCompleteness.source_id == source_id)
                           .order_by(DayCompleteness.id))
    return {row.day: DayCount(row.day, row.expected, row.found) for row in rows}


def run_completeness(session: Session, run_id: int) -> dict[str, Any] | None:
    """A run's reconciled days as `regwatch sources --json` shows them; None for a source that
    reconciles nothing."""
    rows = list(session.scalars(select(DayCompleteness).where(DayCompleteness.run_id == run_id)
                                .order_by(DayCompleteness.day)))
    if not rows:
        return None
    gaps = [{"day": r.day.isoformat(), "expected": r.expected, "found": r.found} for r in rows if r.found < r.expected]
    return {"days": len(rows), "complete": len(rows) - len(gaps), "gaps": gaps}
