"""Tables of the triage web app: its users (migration 0002_web)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from crawler.storage.models import Base

ROLES = ("editor", "viewer")
LANGUAGES = ("zh", "en")


class User(Base):
    """A member of the research group: editors decide, viewers only read."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(200))
    language: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[datetime]
