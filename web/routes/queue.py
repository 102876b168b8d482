"""The queue page and the decisions taken on one item or a selection (in place or by form)."""

from __future__ import annotations

import time
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session
from starlette.datastructures import QueryParams

from crawler.storage import queue as queue_store
from editorial import triage
from web.deps import CHANGE, CurrentUser, DbSession
from web.views import back_to, message, render, wants_json

router = APIRouter()
STATUSES = ("new", "accepted", "rejected", "snoozed", "updated")
DEFAULT_STATUS = "new"
PER_PAGE = 50
# The filter menus list what is stored; they change rarely, and reading them scans every document.
CHOICES_TTL_S = 60.0


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


def _values(params: QueryParams, name: str) -> tuple[str, ...]:
    return tuple(v for v in params.getlist(name) if v)


def filter_from(params: QueryParams) -> queue_store.QueueFilter:
    status = params.get("status", DEFAULT_STATUS)
    return queue_store.QueueFilter(
        status=status if status in STATUSES else None,
        sources=_values(params, "source"), jurisdictions=_values(params, "jurisdiction"),
        categories=_values(params, "category"), doc_types=_values(params, "doc_type"),
        date_from=_date(params.get("date_from")), date_to=_date(params.get("date_to")),
        min_relevance=_float(params.get("min_relevance")), search=(params.get("q") or "").strip() or None,
        assignee=params.get("assignee") or None, month=params.get("month") or None,
    )


def _page(params: QueryParams) -> int:
    try:
        return max(1, int(params.get("page", "1")))
    except ValueError:
        return 1


def _choices(request: Request, session: Session) -> dict[str, list[str]]:
    cached = getattr(request.app.state, "filter_choices", None)
    if cached is None or time.monotonic() - cached[0] > CHOICES_TTL_S:
        cached = (time.monotonic(), queue_store.filter_choices(session))
        request.app.state.filter_choices = cached
    return cached[1]


@router.get("/queue")
def queue_page(request: Request, session: DbSession, user: CurrentUser) -> Response:
    flt = filter_from(request.query_params)
    result = queue_store.search_queue(session, flt, page=_page(request.query_params), per_page=PER_PAGE)
    counts = queue_store.status_counts(session, flt)
    search_terms = flt.search.split() if flt.search else []
    return render(request, "queue.html", page=result, counts=counts, flt=flt,
                  status=request.query_params.get("status", DEFAULT_STATUS), statuses=STATUSES,
                  choices=_choices(request, session), search_terms=search_terms,
                  default_month=date.today().strftime("%Y-%m"))


class Decision(BaseModel):
    """The posted form of /decide: which items, what to do, and that action's fields."""

    ids: list[int] = []
    action: str
    month: str = ""
    section: str = ""
    reason: str = ""
    until: str = ""
    assignee: str = ""
    next: str = ""


def apply_decision(session: Session, actor: str, ids: list[int], decision: Decision,
                   section_ids: tuple[str, ...]) -> str:
    """Runs one triage function; returns the status the items now have ("" when unchanged)."""
    action = decision.action
    if action == "accept":
        triage.accept(session, ids, actor, decision.month, decision.section, sections=section_ids)
        return "accepted"
    if action == "reject":
        triage.reject(session, ids, actor, decision.reason.strip())
        return "rejected"
    if action == "snooze":
        until = _date(decision.until)
        if until is None:
            raise triage.TriageError("snooze needs a date (YYYY-MM-DD)")
        triage.snooze(session, ids, actor, until)
        return "snoozed"
    if action == "assign":
        triage.assign(session, ids, actor, decision.assignee.strip() or None)
        return ""
    if action == "reopen":
        triage.reopen(session, ids, actor)
        return "new"
    raise triage.TriageError(f"unknown action {action!r}")


@router.post("/decide", dependencies=CHANGE)
def decide(request: Request, session: DbSession, user: CurrentUser, form: Annotated[Decision, Form()]) -> Response:
    """Accept, reject, snooze, assign or reopen the posted `ids` (one item or a selection)."""
    ids = form.ids
    if not ids:
        return message(request, "bad_request", 400, "no item selected")
    try:
        status = apply_decision(session, user.name, ids, form, tuple(request.app.state.section_titles))
        session.commit()
    except triage.TriageError as error:
        session.rollback()
        return message(request, "bad_request", 400, str(error))
    if wants_json(request):
        return JSONResponse({"ok": True, "ids": ids, "status": status, "action": form.action})
    return back_to(form.next)
