"""Accounts of the web app: editors decide, viewers read. Passwords are stored as argon2id hashes;
a new password raises the account's session epoch, which ends its sessions. The caller commits."""

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
    _check_password(password)
    user = get_user(session, name)
    if user is None:
        user = User(name=name, created_at=datetime.now(UTC), session_epoch=0)
        session.add(user)
    else:
        user.session_epoch += 1  # a new password: sessions opened with the old one end
    user.role, user.password_hash = role, _hasher.hash(password)
    session.flush()
    return user


def set_password(session: Session, name: str, password: str) -> User:
    """A new password for an existing account; every session opened before it stops working."""
    _check_password(password)
    user = get_user(session, name)
    if user is None:
        raise UserError(f"no user {name!r}")
    user.password_hash = _hasher.hash(password)
    user.session_epoch += 1
    session.flush()
    return user


def _check_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD:
        raise UserError(f"the password must have at least {MIN_PASSWORD} characters")


def authenticate(session: Session, name: str, password: str) -> User | None:
    """The user when the password is theirs, else None (unknown name or wrong password alike)."""
    user = get_user(session, name) if name else None
    return user if password_matches(user, password) else None


def password_matches(user: User | None, password: str) -> bool:
    """False for no user too, after the same argon2 work as for a wrong password: the answer's
    timing does not tell whether the account exists."""
    try:
        return _hasher.verify(user.password_hash if user else _dummy_hash(), password or "") and user is not None
    except (VerificationError, InvalidHashError):
        return False


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
