"""Request dependencies: a database session, the logged-in user, the editor role, CSRF."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from editorial import users
from web.security import check_csrf

# The session key holding the account's session epoch at login (users.session_epoch).
SESSION_EPOCH = "epoch"


class LoginRequired(Exception):
    """No logged-in user: pages redirect to the login form, in-place actions get 401."""


class Forbidden(Exception):
    """A viewer asked to change something."""


def db_session(request: Request) -> Iterator[Session]:
    with request.app.state.sessions() as session:
        yield session


def current_user(request: Request, session: Annotated[Session, Depends(db_session)]) -> Any:
    name = request.session.get("user")
    user = users.get_user(session, name) if name else None
    # A session from before the last password change is stale (sessions from before epochs read as 0).
    if user is None or request.session.get(SESSION_EPOCH, 0) != user.session_epoch:
        request.session.pop("user", None)
        request.session.pop(SESSION_EPOCH, None)
        raise LoginRequired()
    request.state.user = user
    return user


def editor(user: Annotated[Any, Depends(current_user)]) -> Any:
    if user.role != "editor":
        raise Forbidden()
    return user


# Every state-changing route depends on these: a valid CSRF token first, then the editor role.
CHANGE = [Depends(check_csrf), Depends(editor)]


DbSession = Annotated[Session, Depends(db_session)]
CurrentUser = Annotated[Any, Depends(current_user)]
Editor = Annotated[Any, Depends(editor)]
