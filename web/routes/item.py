"""The item page, its archived copy, notes and the editorial Chinese title and 摘要."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from crawler.archive import read_record
from editorial import triage, users
from web.deps import CHANGE, CurrentUser, DbSession
from web.diffing import version_diffs
from web.routes.drafts import draft_context
from web.routes.stories import story_context
from web.security import inside
from web.views import back_to, message, render

router = APIRouter()
# The archived page runs nothing and loads nothing: no scripts, no images, no fonts, no frames.
ARCHIVE_POLICY = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'"
SHOWN_AS_HTML = ("text/html", "application/xhtml+xml")
SHOWN_AS_TEXT = ("text/", "application/json", "application/xml", "application/rss+xml", "application/atom+xml",
                 "application/ld+json", "application/javascript")


def _detail(session: Session, document_id: int) -> Any:
    try:
        return triage.item_detail(session, document_id)
    except triage.TriageError as error:
        raise HTTPException(404) from error


@router.get("/items/{document_id}")
def item_page(request: Request, document_id: int, session: DbSession, user: CurrentUser) -> Response:
    detail = _detail(session, document_id)
    versions = list(detail.versions)
    diffs = version_diffs([v.item for v in versions], [v.version for v in versions])
    return render(request, "item.html", d=detail, doc=detail.document, state=detail.state, versions=versions,
                  diffs=diffs, people=[u.name for u in users.list_users(session)],
                  **draft_context(request, session, detail.state), **story_context(session, document_id))


@router.get("/items/{document_id}/archive/{version}")
def archived_copy(request: Request, document_id: int, version: int, session: DbSession,
                  user: CurrentUser) -> Response:
    """The archived response of one version, read only through its stored WARC reference."""
    detail = _detail(session, document_id)
    found = next((v for v in detail.versions if v.version == version), None)
    if found is None or not found.warc_file or found.warc_offset is None:
        raise HTTPException(404)
    path = inside(request.app.state.config.archive_dir, found.warc_file)
    if path is None:
        raise HTTPException(404)
    try:
        record = read_record(path, found.warc_offset)
    except (OSError, StopIteration, ValueError) as error:
        raise HTTPException(404) from error
    return _archived_response(record.headers, record.body)


def _archived_response(headers: list[tuple[str, str]], body: bytes) -> Response:
    declared = next((v for k, v in headers if k.lower() == "content-type"), "application/octet-stream")
    media = declared.split(";")[0].strip().lower()
    if media in SHOWN_AS_HTML:
        content_type = declared
    elif media.startswith(SHOWN_AS_TEXT):
        charset = declared.partition("charset=")[2].strip() or "utf-8"
        content_type = f"text/plain; charset={charset}"
    else:  # PDFs and other files are downloaded, never rendered inside the app's origin
        content_type = "application/octet-stream"
    response = Response(body, media_type=None, headers={"Content-Type": content_type})
    response.headers["Content-Security-Policy"] = ARCHIVE_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    if content_type == "application/octet-stream":
        response.headers["Content-Disposition"] = "attachment"
    return response


@router.post("/items/{document_id}/note", dependencies=CHANGE)
def add_note(request: Request, document_id: int, session: DbSession, user: CurrentUser,
             text: Annotated[str, Form()]) -> Response:
    if not text.strip():
        return back_to(f"/items/{document_id}")
    try:
        triage.add_note(session, document_id, user.name, text.strip())
        session.commit()
    except triage.TriageError as error:
        session.rollback()
        return message(request, "bad_request", 400, str(error))
    return back_to(f"/items/{document_id}#notes")


@router.post("/items/{document_id}/editorial", dependencies=CHANGE)
def set_editorial(request: Request, document_id: int, session: DbSession, user: CurrentUser,
                  title: Annotated[str, Form()] = "", summary: Annotated[str, Form()] = "") -> Response:
    try:
        triage.set_editorial(session, document_id, user.name, title.strip() or None, summary.strip() or None)
        session.commit()
    except triage.TriageError as error:
        session.rollback()
        return message(request, "bad_request", 400, str(error))
    return back_to(f"/items/{document_id}#editorial")
