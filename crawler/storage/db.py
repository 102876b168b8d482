"""Engines and schema upgrades for SQLite (the embedded default) and PostgreSQL."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    # Pages read through a memory map, not a read() each: the web queue's counts visit
    # tens of thousands of rows per request (benchmarks/bench_web.py: about twice as fast).
    cursor.execute("PRAGMA mmap_size=1073741824")
    cursor.close()


@lru_cache(maxsize=16)
def get_engine(url: str) -> Engine:
    """One engine per database URL per process."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    # A server can drop a pooled connection (a PostgreSQL restart): ping it before use. A SQLite
    # file has no server, and the ping would cost a query on every session.
    engine = create_engine(url, future=True, pool_pre_ping=not url.startswith("sqlite"))
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _alembic_config(engine: Engine) -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def schema_is_current(engine: Engine) -> bool:
    heads = set(ScriptDirectory.from_config(_alembic_config(engine)).get_heads())
    with engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads()) == heads


def upgrade_schema(engine: Engine) -> None:
    """Create or upgrade the schema to the newest migrations (what `regwatch init` does).

    Feature areas (web app, scheduler) may add migrations on their own branch from a common
    parent, so every head is applied."""
    if not schema_is_current(engine):
        command.upgrade(_alembic_config(engine), "heads")


def open_session(url: str) -> Session:
    engine = get_engine(url)
    upgrade_schema(engine)
    return sessionmaker(engine, expire_on_commit=False)()
