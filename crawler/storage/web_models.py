"""Tables of the triage web app: its users (migration 0002_web), their login attempts and the
locks those lead to (0006_login_throttle)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from crawler.storage.models import Base

ROLES = ("editor", "viewer")
LANGUAGES = ("zh", "en")
# What became of a login attempt; the two failures count towards a lock.
LOGIN_OUTCOMES = ("ok", "wrong_password", "unknown_name")
LOCK_KINDS = ("account", "address")


class User(Base):
    """A member of the research group: editors decide, viewers only read."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(200))
    language: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[datetime]
    # Copied into the session at login; a new password raises it, so older sessions stop working.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class LoginAttempt(Base):
    """One password check at /login: the name typed (an account or not), from where, when, outcome."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_name_at", "name", "at"),
        Index("ix_login_attempts_address_at", "address", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime]
    name: Mapped[str] = mapped_column(String(100))
    address: Mapped[str] = mapped_column(String(100))
    outcome: Mapped[str] = mapped_column(String(20))


class LoginLock(Base):
    """Logins for a name (kind "account") or from a client address (kind "address") are refused
    until `locked_until`, unless an administrator lifted the lock earlier."""

    __tablename__ = "login_locks"
    __table_args__ = (Index("ix_login_locks_kind_key", "kind", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    key: Mapped[str] = mapped_column(String(100))
    locked_at: Mapped[datetime]
    locked_until: Mapped[datetime]
    failures: Mapped[int] = mapped_column(Integer)
    last_name: Mapped[str] = mapped_column(String(100))
    last_address: Mapped[str] = mapped_column(String(100))
    # Attempts answered 429 while it held: counted here, not stored one by one, so hammering a lock
    # cannot grow the attempts table.
    refused: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    lifted_at: Mapped[datetime | None]
    lifted_by: Mapped[str | None] = mapped_column(String(100))
