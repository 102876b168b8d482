"""Splitting an item out of its story (and undoing that), from the item page and the queue."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session

from crawler.storage import stories, story_views
from web.deps import CHANGE, CurrentUser, DbSession
from web.views import back_to, message, wants_json

router = APIRouter()


def story_context(session: Session, document_id: int) -> dict[str, Any]:
    """What the item page's "Same story" panel shows (templates/_story.html)."""
    return {"story": story_views.stories_of(session, [document_id]).get(document_id),
            "story_split": story_views.split_out(session, document_id)}


def _settings(request: Request) -> stories.StorySettings:
    configured = request.app.state.config.stories
    return stories.StorySettings(window_days=configured.window_days, min_score=configured.min_score)


@router.post("/items/{document_id}/split", dependencies=CHANGE)
def split(request: Request, document_id: int, session: DbSession, user: CurrentUser,
          next: Annotated[str, Form()] = "") -> Response:
    """Take the item out of its story for good: decided on its own, never grouped again."""
    try:
        story_id = stories.split(session, document_id, user.name)
        session.commit()
    except stories.StoryError as error:
        session.rollback()
        return message(request, "bad_request", 400, str(error))
    if wants_json(request):
        return JSONResponse({"ok": True, "id": document_id, "story": story_id})
    return back_to(next or f"/items/{document_id}")


@router.post("/items/{document_id}/unsplit", dependencies=CHANGE)
def unsplit(request: Request, document_id: int, session: DbSession, user: CurrentUser,
            next: Annotated[str, Form()] = "") -> Response:
    """Let the item be grouped again (it joins a story at once if it matches one)."""
    try:
        joined = stories.allow_grouping(session, document_id, user.name, _settings(request))
        session.commit()
    except stories.StoryError as error:
        session.rollback()
        return message(request, "bad_request", 400, str(error))
    if wants_json(request):
        return JSONResponse({"ok": True, "id": document_id, "joined": joined})
    return back_to(next or f"/items/{document_id}")
