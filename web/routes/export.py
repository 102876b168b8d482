"""The month's bulletin draft: a preview and Markdown / DOCX downloads."""

from __future__ import annotations

import re
from datetime import date

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from web.deps import CurrentUser, DbSession
from web.views import render

router = APIRouter()
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _month(value: str | None) -> str:
    if value is None or value == "":
        return date.today().strftime("%Y-%m")
    if not MONTH.match(value):
        raise HTTPException(400, f"month {value!r}: use YYYY-MM")
    return value


def _title(request: Request) -> str:
    return request.app.state.config.bulletin.title_zh


def _mark(request: Request) -> str | None:
    from editorial import bulletin

    return bulletin.draft_mark(request.app.state.config.bulletin)


@router.get("/export")
def export_page(request: Request, session: DbSession, user: CurrentUser, month: str | None = None) -> Response:
    from editorial import bulletin

    month = _month(month)
    entries = bulletin.bulletin_entries(session, month, request.app.state.sections)
    return render(request, "export.html", month=month, entries=entries, draft_mark=_mark(request),
                  total=sum(len(items) for items in entries.values()))


@router.get("/export/{month}.{fmt}")
def export_file(request: Request, month: str, fmt: str, session: DbSession, user: CurrentUser) -> Response:
    from editorial import bulletin

    month = _month(month)
    sections = request.app.state.sections
    entries = bulletin.bulletin_entries(session, month, sections)
    name = f"regwatch-bulletin-{month}.{fmt}"
    disposition = {"Content-Disposition": f'attachment; filename="{name}"'}
    if fmt == "md":
        text = bulletin.render_markdown(entries, month, sections, title=_title(request), mark=_mark(request))
        return Response(text.encode("utf-8"), media_type="text/markdown; charset=utf-8", headers=disposition)
    if fmt == "docx":
        document = bulletin.render_docx(entries, month, sections, title=_title(request), mark=_mark(request))
        return Response(document, media_type=DOCX, headers=disposition)
    raise HTTPException(404)
