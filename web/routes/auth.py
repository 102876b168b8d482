"""Login, logout and the interface language."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from crawler.storage import users
from web.deps import CurrentUser, DbSession
from web.i18n import LANGUAGES
from web.security import check_csrf
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
    return render(request, "login.html", next=next, failed=False, name="")


@router.post("/login", dependencies=[Depends(check_csrf)])
def login(request: Request, session: DbSession, name: Annotated[str, Form()], password: Annotated[str, Form()],
          next: Annotated[str, Form()] = "/queue") -> Response:
    user = users.authenticate(session, name, password)
    if user is None:
        return render(request, "login.html", status_code=401, next=next, failed=True, name=name)
    chosen = request.session.get("lang")
    request.session.clear()  # a new session on login: no fixation of a token set before it
    request.session["user"] = user.name
    if user.language is None and chosen in LANGUAGES:  # the language picked on the login page sticks
        users.set_language(session, user.name, chosen)
        session.commit()
    return back_to(next)


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
