"""Login (throttled, see editorial.logins), logout and the interface language."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from editorial import logins, users
from web.deps import SESSION_EPOCH, CurrentUser, DbSession
from web.i18n import LANGUAGES
from web.security import check_csrf, client_address
from web.views import back_to, render

router = APIRouter()


@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse("/queue", status_code=303)


@router.get("/login")
def login_form(request: Request, next: str = "/queue", lang: str | None = None) -> Response:
    if lang in LANGUAGES:  # before login the choice lives in the session
        request.session["lang"] = lang
    if request.session.get("user"):
        return back_to(next)
    return render(request, "login.html", next=next, failed=False, retry_at=None, name="")


@router.post("/login", dependencies=[Depends(check_csrf)])
def login(request: Request, session: DbSession, name: Annotated[str, Form()], password: Annotated[str, Form()],
          next: Annotated[str, Form()] = "/queue") -> Response:
    now = request.app.state.clock()
    result = logins.log_in(session, name, password, client_address(request),
                           request.app.state.config.web.login_throttle, now)
    session.commit()
    if result.retry_at is not None:
        return _too_many_attempts(request, name, next, result.retry_at, now)
    user = result.user
    if user is None:
        return render(request, "login.html", status_code=401, next=next, failed=True, retry_at=None, name=name)
    chosen = request.session.get("lang")
    request.session.clear()  # a new session on login: no fixation of a token set before it
    request.session["user"] = user.name
    request.session[SESSION_EPOCH] = user.session_epoch
    if user.language is None and chosen in LANGUAGES:  # the language picked on the login page sticks
        users.set_language(session, user.name, chosen)
        session.commit()
    return back_to(next)


def _too_many_attempts(request: Request, name: str, next: str, retry_at: datetime, now: datetime) -> Response:
    """429 with when to try again, in the page and in Retry-After (seconds)."""
    seconds = logins.retry_after_seconds(retry_at, now)
    shown = (retry_at + timedelta(seconds=59, microseconds=999_999)).replace(second=0, microsecond=0)  # minutes, up
    response = render(request, "login.html", status_code=429, next=next, failed=False, retry_at=shown,
                      retry_minutes=-(-seconds // 60), name=name)
    response.headers["Retry-After"] = str(seconds)
    return response


@router.post("/logout", dependencies=[Depends(check_csrf)])
def logout(request: Request) -> Response:
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.post("/language", dependencies=[Depends(check_csrf)])
def set_language(request: Request, session: DbSession, user: CurrentUser, lang: Annotated[str, Form()],
                 next: Annotated[str, Form()] = "/queue") -> Response:
    """Remembered per user (viewers too: it changes no data, only how it is shown)."""
    if lang in LANGUAGES:
        users.set_language(session, user.name, lang)
        session.commit()
    return back_to(next)
