from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
import yaml

from tests.loopback import LoopbackSite

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_ADMIN_URL = os.environ.get("REGWATCH_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
# CI sets this so that a missing PostgreSQL server fails the run instead of skipping its tests.
REQUIRE_POSTGRES = os.environ.get("REGWATCH_REQUIRE_POSTGRES") == "1"


@pytest.fixture
def site():
    with LoopbackSite() as running:
        yield running


def write_config(folder: Path, sources: list[dict], **top: object) -> Path:
    """A config.yaml in `folder` with data under folder/regwatch-data and no politeness delay."""
    config = {
        "storage": {"url": "sqlite:///regwatch-data/regwatch.db"},
        "archive": {"dir": "regwatch-data/archive"},
        "crawl": {"delay_s": 0, "timeout_s": 5, "retries": 1, "obey_robots": False},
        "sources": sources,
    }
    for key, value in top.items():
        config[key] = {**config.get(key, {}), **value} if isinstance(value, dict) else value
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


def regwatch(config: Path, *args: str, timeout: float = 120, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run the real `regwatch` command in a child process (Scrapy's reactor starts once per process)."""
    environment = {**os.environ, "COLUMNS": "200"}
    environment.pop("REGWATCH_DATABASE_URL", None)
    environment.update(env or {})
    return subprocess.run([sys.executable, "-m", "regwatch", "--config", str(config), *args],
                          capture_output=True, text=True, timeout=timeout, env=environment, cwd=config.parent)


def _postgres_available() -> bool:
    try:
        with psycopg.connect(POSTGRES_ADMIN_URL, connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


@pytest.fixture(scope="session")
def postgres_database():
    """A throw-away database on the real PostgreSQL server for this test session."""
    if not _postgres_available():
        if REQUIRE_POSTGRES:
            pytest.fail(f"PostgreSQL is required (REGWATCH_REQUIRE_POSTGRES=1) but {POSTGRES_ADMIN_URL} is unreachable")
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL}")
    name = f"regwatch_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    yield url
    from crawler.storage.db import get_engine

    get_engine(url).dispose()
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _reset_postgres(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("DROP SCHEMA public CASCADE")
        connection.execute("CREATE SCHEMA public")


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """The same storage tests on the embedded default and on the real PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'regwatch.db'}"
    url = request.getfixturevalue("postgres_database")
    _reset_postgres(url)
    from crawler.storage.db import get_engine

    get_engine(url).dispose()
    return url


@pytest.fixture
def session(database_url):
    """An open store on each database of `database_url`, closed after the test."""
    from tests.triage_items import open_store

    session = open_store(database_url)
    yield session
    session.close()
