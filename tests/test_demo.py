"""The newcomer's path: `regwatch demo`, then the demo opened in the web app with its evidence."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time

import httpx

from tests.source_site import ROOT, default_config_copy
from tests.test_alerts import free_port

DEMO_SOURCES = {"federal_register", "cac"}


def _start_web(config, port: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "regwatch", "--config", str(config), "web", "--demo",
                             "--port", str(port)], cwd=config.parent, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env={**os.environ, "COLUMNS": "200"})


def _login(client: httpx.Client, password: str) -> None:
    form = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    answer = client.post("/login", data={"name": "demo", "password": password, "csrf_token": token})
    assert answer.status_code in (200, 303), answer.text[:300]


def test_demo_items_show_their_archived_copy_in_the_web_app(tmp_path):
    config = default_config_copy(tmp_path, DEMO_SOURCES)
    (tmp_path / "demo").mkdir()
    shutil.copyfile(ROOT / "demo" / "demo.warc.gz", tmp_path / "demo" / "demo.warc.gz")
    demo = subprocess.run([sys.executable, "-m", "regwatch", "--config", str(config), "demo"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120, env={**os.environ, "COLUMNS": "200"})
    assert demo.returncode == 0, demo.stderr
    assert "regwatch web --demo" in demo.stdout

    port = free_port()
    web = _start_web(config, port)
    try:
        password = None
        deadline = time.monotonic() + 30
        while password is None and time.monotonic() < deadline:
            line = web.stdout.readline()
            found = re.search(r"demo login: demo / (\S+)", line)
            password = found.group(1) if found else None
        assert password, "the web app printed no demo login"
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", follow_redirects=True, timeout=10) as client:
            for _ in range(100):
                try:
                    client.get("/login")
                    break
                except httpx.ConnectError:
                    time.sleep(0.1)
            _login(client, password)
            item = client.get("/items/1")
            archived = re.search(r'href="(/items/1/archive/\d+)"', item.text)
            assert archived, "the item page links no archived copy"
            copy = client.get(archived.group(1))
            assert copy.status_code == 200
            assert len(copy.content) > 200
    finally:
        web.terminate()
        web.wait(timeout=10)


def test_web_demo_without_a_demo_database_says_to_run_the_demo_first(tmp_path):
    config = default_config_copy(tmp_path, DEMO_SOURCES)
    answer = subprocess.run([sys.executable, "-m", "regwatch", "--config", str(config), "web", "--demo"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert answer.returncode == 1
    assert "run `regwatch demo` first" in answer.stderr
