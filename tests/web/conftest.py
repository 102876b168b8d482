"""A fixture-built database (sample.py) made once per session and copied for each test."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from crawler.config import Config, load_config
from crawler.storage import db
from tests.web import sample

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> tuple[Path, dict[str, int]]:
    folder = tmp_path_factory.mktemp("web-template")
    config = load_config(sample.sample_config(folder))
    with db.open_session(config.database_url) as session:
        ids = sample.build(session, config)
    db.get_engine(config.database_url).dispose()
    return folder, ids


@pytest.fixture
def web_config(built_site, tmp_path) -> Config:
    folder, _ids = built_site
    copy = tmp_path / "site"
    shutil.copytree(folder, copy)
    return load_config(copy / "config.yaml")


@pytest.fixture
def ids(built_site) -> dict[str, int]:
    return built_site[1]


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "page has no CSRF field"
    return found.group(1)


def login(client: TestClient, name: str, password: str = sample.PASSWORD) -> str:
    """Logs in through the form; returns the session's CSRF token."""
    token = csrf_of(client.get("/login").text)
    response = client.post("/login", data={"name": name, "password": password, "csrf_token": token},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    return csrf_of(client.get("/queue").text)


@pytest.fixture
def app(web_config):
    from web.app import create_app

    return create_app(web_config)


@pytest.fixture
def editor(app):
    with TestClient(app) as client:
        client.csrf = login(client, "editor")
        yield client


@pytest.fixture
def viewer(app):
    with TestClient(app) as client:
        client.csrf = login(client, "viewer")
        yield client
