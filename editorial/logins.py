"""Login throttling: every password check is recorded (name, client address, moment, outcome), and
too many failures within a window lock the name, or the address, for a while. Kept in the
database so that every web process sees the same counts and an administrator can see and lift
locks. Names are locked whether or not they are accounts, so a lock says nothing about which
accounts exist. The caller commits."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crawler.config import LoginThrottle
from crawler.storage.web_models import LoginAttempt, LoginLock, User
from editorial import users

FAILED = ("wrong_password", "unknown_name")
KEY_LENGTH = 100  # the width of the name and address columns


@dataclass(frozen=True)
class LoginResult:
    """The user when the password was right; `retry_at` when the attempt was refused unchecked."""

    user: User | None
    retry_at: datetime | None = None


def log_in(session: Session, name: str, password: str, address: str, limits: LoginThrottle,
           now: datetime) -> LoginResult:
    """Check a password unless the name or the address is locked; record the attempt, and lock
    the name and/or the address when this failure is one too many."""
    name, address = name[:KEY_LENGTH], address[:KEY_LENGTH]
    holding = _holding(session, name, address, now)
    if holding:
        for lock in holding:
            lock.refused += 1
        return LoginResult(None, max(lock.locked_until for lock in holding))
    account = users.get_user(session, name) if name else None
    matches = users.password_matches(account, password)
    outcome = "ok" if matches else "wrong_password" if account else "unknown_name"
    session.add(LoginAttempt(at=now, name=name, address=address, outcome=outcome))
    session.flush()
    if matches:
        return LoginResult(account)
    _lock_when_over(session, "account", name, limits.account_failures, limits, name, address, now)
    _lock_when_over(session, "address", address, limits.address_failures, limits, name, address, now)
    return LoginResult(None)


def active_locks(session: Session, now: datetime, kind: str | None = None) -> list[LoginLock]:
    """Locks holding at `now`, the longest-lasting last."""
    query = select(LoginLock).where(LoginLock.locked_until > now, LoginLock.lifted_at.is_(None))
    if kind:
        query = query.where(LoginLock.kind == kind)
    return list(session.scalars(query.order_by(LoginLock.locked_until)))


def unlock(session: Session, name: str, now: datetime, by: str) -> list[LoginLock]:
    """Lift the locks holding on a name; its failures before now no longer count. Returns them."""
    lifted = [lock for lock in active_locks(session, now, "account") if lock.key == name]
    for lock in lifted:
        lock.lifted_at, lock.lifted_by = now, by[:KEY_LENGTH]
    session.flush()
    return lifted


def _holding(session: Session, name: str, address: str, now: datetime) -> list[LoginLock]:
    query = select(LoginLock).where(
        LoginLock.locked_until > now, LoginLock.lifted_at.is_(None),
        ((LoginLock.kind == "account") & (LoginLock.key == name))
        | ((LoginLock.kind == "address") & (LoginLock.key == address)))
    return list(session.scalars(query))


def _lock_when_over(session: Session, kind: str, key: str, allowed: int, limits: LoginThrottle,
                    name: str, address: str, now: datetime) -> None:
    column = LoginAttempt.name if kind == "account" else LoginAttempt.address
    since = _counting_since(session, kind, key, now - limits.window)
    failures = session.scalar(select(func.count()).select_from(LoginAttempt).where(
        column == key, LoginAttempt.outcome.in_(FAILED), LoginAttempt.at > since)) or 0
    if failures >= allowed:
        session.add(LoginLock(kind=kind, key=key, locked_at=now, locked_until=now + limits.lockout,
                              failures=failures, last_name=name, last_address=address, refused=0))
        session.flush()


def _counting_since(session: Session, kind: str, key: str, window_start: datetime) -> datetime:
    """Failures count from the window's start, or from the last lock of the key (its failures
    were paid for), or, for a name, from its last successful login, whichever is latest."""
    moments = [window_start, session.scalar(
        select(func.max(LoginLock.locked_at)).where(LoginLock.kind == kind, LoginLock.key == key))]
    if kind == "account":
        moments.append(session.scalar(select(func.max(LoginAttempt.at)).where(
            LoginAttempt.name == key, LoginAttempt.outcome == "ok")))
    return max(moment for moment in moments if moment is not None)


def retry_after_seconds(retry_at: datetime, now: datetime) -> int:
    """Whole seconds until `retry_at`, at least 1 (the Retry-After header's unit)."""
    return max(1, math.ceil((retry_at - now).total_seconds()))
