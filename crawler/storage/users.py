"""Accounts of the web app: editors decide, viewers read. Passwords are stored as argon2id hashes.
The caller commits."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from crawler.storage.web_models import LANGUAGES, ROLES, User

NAME = re.compile(r"^[\w.@-]{1,100}$")
MIN_PASSWORD = 8
_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Verified against when the name is unknown, so that a login takes as long either way."""
    return _hasher.hash("regwatch: no such user")


class UserError(ValueError):
    """An account that cannot be created or changed as asked."""


def add_user(session: Session, name: str, role: str, password: str) -> User:
    """A new account, or a new role and password for an existing one."""
    if not NAME.match(name or ""):
        raise UserError(f"user name {name!r}: use letters, digits, '.', '_', '-', '@' (at most 100)")
    if role not in ROLES:
        raise UserError(f"role {role!r}: use one of {', '.join(ROLES)}")
    if len(password or "") < MIN_PASSWORD:
        raise UserError(f"the password must have at least {MIN_PASSWORD} characters")
    user = get_user(session, name)
    if user is None:
        user = User(name=name, created_at=datetime.now(UTC))
        session.add(user)
    user.role, user.password_hash = role, _hasher.hash(password)
    session.flush()
    return user


def authenticate(session: Session, name: str, password: str) -> User | None:
    """The user when the password is theirs, else None (unknown name or wrong password alike)."""
    user = get_user(session, name) if name else None
    try:
        _hasher.verify(user.password_hash if user else _dummy_hash(), password or "")
    except (VerificationError, InvalidHashError):
        return None
    return user


def get_user(session: Session, name: str) -> User | None:
    return session.scalar(select(User).where(User.name == name))


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.name)))


def set_language(session: Session, name: str, lang: str) -> None:
    if lang not in LANGUAGES:
        raise UserError(f"language {lang!r}: use one of {', '.join(LANGUAGES)}")
    user = get_user(session, name)
    if user is None:
        raise UserError(f"no user {name!r}")
    user.language = lang
    session.flush()
