"""Sources page: each source's health, last runs, last new item and error messages."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from crawler.health import source_health
from crawler.storage import runs
from crawler.storage.models import CrawlRun, RunError
from crawler.storage.service_state import heartbeat
from web.deps import CurrentUser, DbSession
from web.views import render

router = APIRouter()
RUNS_SHOWN = 5
ERRORS_SHOWN = 3


def _recent_runs(session: Session, source_id: str) -> list[tuple[CrawlRun, list[RunError], list[RunError]]]:
    """Each recent run with its first errors and its warnings (the selectors that missed)."""
    recent = list(session.scalars(select(CrawlRun).where(CrawlRun.source_id == source_id)
                                  .order_by(CrawlRun.id.desc()).limit(RUNS_SHOWN)))
    return [(run, runs.run_errors(session, run.id)[:ERRORS_SHOWN] if run.error_count else [],
             runs.run_errors(session, run.id, warnings=True)[:ERRORS_SHOWN] if run.warning_count else [])
            for run in recent]


@router.get("/sources")
def sources_page(request: Request, session: DbSession, user: CurrentUser) -> Response:
    config = request.app.state.config
    summaries = runs.source_summaries(session, config.sources)
    health = source_health(session, config)
    rows = [(summary, health.get(summary.id), _recent_runs(session, summary.id)) for summary in summaries]
    return render(request, "sources.html", rows=rows, heartbeat=heartbeat(session))
