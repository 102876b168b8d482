"""The item page's bulletin draft: shown beside the source's text, "use draft" to put it into the
editorial form (the editor edits and saves; nothing is saved by using it), "draft now" to make one."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from crawler.errors import ConfigError, DraftFailed
from crawler.storage.models import Document
from editorial import drafts
from web.deps import CHANGE, CurrentUser, DbSession
from web.views import back_to, message

router = APIRouter()


def draft_context(request: Request, session: Session, state: Any) -> dict[str, Any]:
    """What item.html and _draft.html show: the item's draft, and the editorial form's values (the
    draft's when the editor asked to use it, else what was saved)."""
    draft = drafts.get_draft(session, state.document_id)
    use = draft is not None and request.query_params.get("use_draft") == "1"
    form = {"title": draft.title if use else state.editorial_title or "",
            "summary": draft.summary if use else state.editorial_summary or "", "from_draft": use}
    drafted = session.get(Document, draft.document_id) if draft is not None else None  # the first sighting
    stale = drafted is not None and draft.content_hash != drafted.content_hash
    return {"draft": draft, "draft_stale": stale, "editorial_form": form}


@router.post("/items/{document_id}/draft", dependencies=CHANGE)
def draft_now(request: Request, document_id: int, session: DbSession, user: CurrentUser) -> Response:
    """Draft the item now (waits for the model, up to drafting.timeout_s); the editor's text stays."""
    from editorial.drafting import Drafter

    try:
        with Drafter(request.app.state.config) as drafter:
            drafter.draft(session, document_id, user.name)
        session.commit()
    except (DraftFailed, ConfigError) as error:
        session.rollback()
        if isinstance(error, ConfigError):
            status = 500
        else:
            status = 404 if error.message == "no such item" else 502
        return message(request, "draft_failed", status, str(error))
    return back_to(f"/items/{document_id}#draft")
