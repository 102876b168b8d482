"""Logins and TLS deployments through the real app (TestClient, SQLite) and the real `regwatch user`
commands: throttling per account and per client address, the record of attempts, locks an
administrator sees and lifts, sessions ended by a new password, Secure cookies, trusted proxies, HSTS."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import select

from crawler.config import Config, load_config
from crawler.storage import db
from crawler.storage.web_models import LoginAttempt, User
from tests.conftest import regwatch
from tests.web import sample
from tests.web.conftest import csrf_of, login

NEW_PASSWORD = "a brand new passphrase"


class Clock:
    """The app's clock, moved by the tests instead of sleeping through a lockout."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def configured(config: Config, **web: object) -> Config:
    """The site's config.yaml with `web:` settings added, loaded (and validated) again."""
    raw = yaml.safe_load(config.path.read_text(encoding="utf-8"))
    raw["web"] = {**raw.get("web", {}), **web}
    config.path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return load_config(config.path)


def make_app(config: Config, clock: Clock | None = None):
    from web.app import create_app

    return create_app(config, clock=clock) if clock else create_app(config)


def try_login(client: TestClient, name: str, password: str, **headers: str):
    token = csrf_of(client.get("/login").text)
    return client.post("/login", data={"name": name, "password": password, "csrf_token": token},
                       headers=headers, follow_redirects=False)


def attempts(config: Config) -> list[tuple[str, str, str]]:
    with db.open_session(config.database_url) as session:
        rows = session.scalars(select(LoginAttempt).order_by(LoginAttempt.id))
        return [(row.name, row.address, row.outcome) for row in rows]


def run_regwatch(config: Config, *args: str, stdin: str) -> subprocess.CompletedProcess:
    """`regwatch` in a child process with text on its stdin (tests.conftest.regwatch has none)."""
    return subprocess.run([sys.executable, "-m", "regwatch", "--config", str(config.path), *args], input=stdin,
                          capture_output=True, text=True, timeout=120, cwd=config.path.parent)


def test_five_wrong_passwords_lock_the_account_until_the_lockout_has_passed(web_config):
    clock = Clock()
    with TestClient(make_app(web_config, clock)) as client:
        for _ in range(5):
            assert try_login(client, "editor", "wrong password").status_code == 401
        refused = try_login(client, "editor", sample.PASSWORD)
        assert refused.status_code == 429
        assert refused.headers["retry-after"] == str(15 * 60)
        assert "Try again after" in refused.text or "请于" in refused.text
        assert client.get("/queue", follow_redirects=False).status_code == 303
        clock.advance(minutes=14, seconds=59)
        assert try_login(client, "editor", sample.PASSWORD).headers["retry-after"] == "1"
        clock.advance(seconds=1)
        assert try_login(client, "editor", sample.PASSWORD).status_code == 303
        assert client.get("/queue").status_code == 200


def test_failures_older_than_the_window_do_not_count(web_config):
    clock = Clock()
    with TestClient(make_app(web_config, clock)) as client:
        for _ in range(4):
            assert try_login(client, "editor", "wrong password").status_code == 401
        clock.advance(minutes=15, seconds=1)
        for _ in range(4):
            assert try_login(client, "editor", "wrong password").status_code == 401
        assert try_login(client, "editor", sample.PASSWORD).status_code == 303


def test_a_successful_login_clears_the_accounts_failures(web_config):
    with TestClient(make_app(web_config, Clock())) as client:
        for _ in range(4):
            assert try_login(client, "editor", "wrong password").status_code == 401
        assert try_login(client, "editor", sample.PASSWORD).status_code == 303
        for _ in range(4):
            assert try_login(client, "editor", "wrong password").status_code == 401
        assert try_login(client, "editor", sample.PASSWORD).status_code == 303


def test_the_address_limit_counts_failures_across_accounts(web_config):
    config = configured(web_config, login_throttle={"address_failures": 6})  # 6, not 20: fewer argon2 checks
    app = make_app(config, Clock())
    with TestClient(app, client=("203.0.113.9", 40000)) as client:
        for number in range(6):  # six names, one failure each: no account limit is reached
            assert try_login(client, f"ghost{number}", "wrong password").status_code == 401
        refused = try_login(client, "editor", sample.PASSWORD)
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) == 15 * 60
    with TestClient(app, client=("198.51.100.4", 40000)) as elsewhere:
        assert try_login(elsewhere, "editor", sample.PASSWORD).status_code == 303


def test_unknown_accounts_count_for_the_address_and_look_like_wrong_passwords(web_config):
    with TestClient(make_app(web_config, Clock())) as client:
        wrong, unknown = [], []
        for _ in range(3):
            started = time.perf_counter()
            wrong_answer = try_login(client, "editor", "wrong password")
            wrong.append(time.perf_counter() - started)
            started = time.perf_counter()
            unknown_answer = try_login(client, "nobody", "wrong password")
            unknown.append(time.perf_counter() - started)
            assert wrong_answer.status_code == unknown_answer.status_code == 401
            assert wrong_answer.text.replace('value="editor"', "") == unknown_answer.text.replace('value="nobody"', "")
        # Both ran the argon2 check (about 0.1 s here); a missing account would otherwise answer at once.
        assert min(unknown) > 0.5 * min(wrong)
        for _ in range(2):
            try_login(client, "nobody", "wrong password")
        # A name that is no account locks like one: the 429 does not tell which names exist.
        locked = try_login(client, "nobody", "wrong password")
        assert locked.status_code == 429 and locked.headers["retry-after"] == str(15 * 60)
    recorded = attempts(web_config)
    assert recorded.count(("nobody", "testclient", "unknown_name")) == 5
    assert recorded.count(("editor", "testclient", "wrong_password")) == 3
    assert len(recorded) == 8  # the refused attempt is counted on its lock, not stored as an attempt


def test_attempts_are_recorded_with_the_client_address_and_time(web_config):
    clock = Clock()
    with TestClient(make_app(web_config, clock), client=("198.51.100.4", 5000)) as client:
        try_login(client, "editor", "wrong password")
        try_login(client, "editor", sample.PASSWORD)
    with db.open_session(web_config.database_url) as session:
        rows = list(session.scalars(select(LoginAttempt).order_by(LoginAttempt.id)))
    assert [(r.name, r.address, r.outcome) for r in rows] == [("editor", "198.51.100.4", "wrong_password"),
                                                             ("editor", "198.51.100.4", "ok")]
    assert all(row.at == clock.now for row in rows)


@pytest.mark.parametrize(("peer", "forwarded_for", "client"), [
    ("10.1.2.3", "203.0.113.9", "203.0.113.9"),                   # a trusted proxy says who the client is
    ("10.1.2.3", "6.6.6.6, 203.0.113.9, 10.0.0.2", "203.0.113.9"),  # what the client itself sent is skipped
    ("192.0.2.1", "203.0.113.9", "192.0.2.1"),                    # any other peer: the header is ignored
    ("testclient", "203.0.113.9", "testclient"),                  # a peer that is no IP address: ignored too
])
def test_forwarded_for_counts_only_from_a_trusted_proxy(web_config, peer, forwarded_for, client):
    config = configured(web_config, trusted_proxies=["10.0.0.0/8"])
    with TestClient(make_app(config, Clock()), client=(peer, 40000)) as browser:
        try_login(browser, "editor", "wrong password", **{"X-Forwarded-For": forwarded_for})
    assert attempts(config) == [("editor", client, "wrong_password")]


def test_user_list_shows_a_locked_account_and_unlock_lifts_it(web_config):
    app = make_app(web_config)
    with TestClient(app, client=("203.0.113.9", 40000)) as client:
        for _ in range(5):
            try_login(client, "editor", "wrong password")
        for _ in range(5):
            try_login(client, "ghost", "wrong password")
    listed = regwatch(web_config.path, "user", "list")
    assert listed.returncode == 0, listed.stderr
    lines = {line.split()[0]: line for line in listed.stdout.splitlines()}
    assert "locked until" in lines["editor"] and "5 failed logins, last from 203.0.113.9" in lines["editor"]
    assert "locked" not in lines["viewer"]
    assert "name 'ghost' (no such account)  locked until" in listed.stdout

    unlocked = regwatch(web_config.path, "user", "unlock", "editor")
    assert unlocked.returncode == 0 and "editor unlocked (was locked until" in unlocked.stdout
    assert "locked" not in regwatch(web_config.path, "user", "list").stdout.split("\n")[0]
    again = regwatch(web_config.path, "user", "unlock", "editor")
    assert again.returncode == 0 and "editor was not locked; nothing changed" in again.stdout
    missing = regwatch(web_config.path, "user", "unlock", "nobody")
    assert missing.returncode == 1 and "no user 'nobody'" in missing.stderr
    with TestClient(app, client=("203.0.113.9", 40000)) as client:
        assert try_login(client, "editor", "wrong password").status_code == 401  # counting starts over
        assert try_login(client, "editor", sample.PASSWORD).status_code == 303


def test_passwd_from_stdin_ends_the_users_existing_sessions(app, editor, viewer, web_config):
    assert editor.get("/queue").status_code == 200
    changed = run_regwatch(web_config, "user", "passwd", "editor", "--password-stdin", stdin=NEW_PASSWORD + "\n")
    assert changed.returncode == 0, changed.stderr
    assert "password of editor changed; its sessions have ended" in changed.stdout
    stale = editor.get("/queue", follow_redirects=False)
    assert stale.status_code == 303 and stale.headers["location"].startswith("/login")
    assert editor.post("/decide", data={"ids": 1, "action": "reject", "csrf_token": editor.csrf},
                       follow_redirects=False).status_code == 401
    assert viewer.get("/queue").status_code == 200  # another account's session is untouched
    with TestClient(app) as fresh:
        assert try_login(fresh, "editor", sample.PASSWORD).status_code == 401
        login(fresh, "editor", NEW_PASSWORD)
        assert fresh.get("/queue").status_code == 200


def test_passwd_prompts_twice_and_refuses_a_mismatch_or_an_unknown_user(web_config):
    mismatch = run_regwatch(web_config, "user", "passwd", "editor", stdin=f"{NEW_PASSWORD}\nsomething else\n")
    assert mismatch.returncode != 0
    prompted = run_regwatch(web_config, "user", "passwd", "editor", stdin=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n")
    assert prompted.returncode == 0, prompted.stderr
    readded = run_regwatch(web_config, "user", "add", "editor", "--password-stdin", stdin=NEW_PASSWORD + "\n")
    assert readded.returncode == 0, readded.stderr
    with db.open_session(web_config.database_url) as session:  # both new passwords ended the sessions
        assert session.scalar(select(User.session_epoch).where(User.name == "editor")) == 2
    unknown = run_regwatch(web_config, "user", "passwd", "nobody", "--password-stdin", stdin=NEW_PASSWORD + "\n")
    assert unknown.returncode == 2 and "no user 'nobody'" in unknown.stderr


def _session_cookie(client: TestClient) -> str:
    return try_login(client, "editor", sample.PASSWORD).headers["set-cookie"].lower()


def test_session_cookie_is_secure_with_secure_cookies_and_not_without(web_config):
    with TestClient(make_app(web_config)) as plain:
        assert "secure" not in _session_cookie(plain)
    with TestClient(make_app(configured(web_config, secure_cookies=True))) as secure:
        cookie = _session_cookie(secure)
    assert "; secure" in cookie and "httponly" in cookie and "samesite=lax" in cookie


def test_session_cookie_is_secure_on_https_requests(web_config):
    with TestClient(make_app(web_config), base_url="https://testserver") as client:
        assert "; secure" in _session_cookie(client)


def test_hsts_only_over_https(web_config):
    with TestClient(make_app(web_config)) as plain:
        assert "strict-transport-security" not in plain.get("/login").headers
        # From a peer that is not a trusted proxy, X-Forwarded-Proto is not believed.
        spoofed = plain.get("/login", headers={"X-Forwarded-Proto": "https"})
        assert "strict-transport-security" not in spoofed.headers
    with TestClient(make_app(web_config), base_url="https://testserver") as tls:
        assert tls.get("/login").headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"


def test_a_trusted_proxys_forwarded_proto_brings_hsts_and_secure_cookies(web_config):
    config = configured(web_config, trusted_proxies=["127.0.0.1", "10.0.0.0/8"])
    with TestClient(make_app(config), client=("10.0.0.2", 40000)) as proxy:
        https = {"X-Forwarded-Proto": "https"}
        assert "strict-transport-security" in proxy.get("/login", headers=https).headers
        assert "strict-transport-security" not in proxy.get("/login", headers={"X-Forwarded-Proto": "http"}).headers
        token = csrf_of(proxy.get("/login", headers=https).text)
        logged_in = proxy.post("/login", data={"name": "editor", "password": sample.PASSWORD, "csrf_token": token},
                               headers=https, follow_redirects=False)
        assert logged_in.status_code == 303 and "; secure" in logged_in.headers["set-cookie"].lower()
    with TestClient(make_app(config), client=("192.0.2.1", 40000)) as stranger:
        assert "strict-transport-security" not in stranger.get("/login", headers=https).headers


def test_trusted_proxies_must_be_addresses_or_networks(web_config):
    from crawler.config import ConfigError

    with pytest.raises(ConfigError, match="not an IP address or network"):
        configured(web_config, trusted_proxies=["proxy.example.org"])


def test_upgrade_to_0006_keeps_accounts_and_downgrades_cleanly(tmp_path):
    from alembic import command
    from sqlalchemy import inspect, text

    from editorial import users

    engine = db.get_engine(f"sqlite:///{tmp_path / 'old.db'}")
    alembic = db._alembic_config(engine)
    for head in ("0005_generic_extraction", "0002_web_queue_index", "0003_scheduler"):  # the heads before 0006
        command.upgrade(alembic, head)
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO users (name, role, password_hash, created_at) "
                                "VALUES ('wang', 'editor', 'x', '2025-01-01 00:00:00')"))
    db.upgrade_schema(engine)
    with db.open_session(str(engine.url)) as session:
        assert users.get_user(session, "wang").session_epoch == 0
    assert {"login_attempts", "login_locks"} <= set(inspect(engine).get_table_names())
    command.downgrade(alembic, "0005_generic_extraction")
    tables = set(inspect(engine).get_table_names())
    assert "login_attempts" not in tables and "users" in tables
    assert "session_epoch" not in {c["name"] for c in inspect(engine).get_columns("users")}
    engine.dispose()


def test_locks_and_their_counting_on_sqlite_and_postgresql(database_url):
    from crawler.config import LoginThrottle
    from editorial import logins, users

    limits = LoginThrottle(account_failures=2, address_failures=3, window="15m", lockout="15m")
    start = datetime(2025, 1, 31, 9, 0, tzinfo=UTC)
    with db.open_session(database_url) as session:
        users.add_user(session, "wang", "editor", sample.PASSWORD)

        def attempt(name: str, password: str, minute: int, address: str = "192.0.2.1") -> logins.LoginResult:
            return logins.log_in(session, name, password, address, limits, start + timedelta(minutes=minute))

        assert attempt("wang", "wrong password", 0).user is None
        assert attempt("wang", sample.PASSWORD, 1).user.name == "wang"  # clears wang's failure, not the address's
        assert attempt("wang", "wrong password", 2).retry_at is None
        assert attempt("wang", "wrong password", 3, "192.0.2.2").retry_at is None  # the second failure locks
        assert attempt("wang", sample.PASSWORD, 4, "192.0.2.2").retry_at == start + timedelta(minutes=18)
        assert attempt("li", "wrong password", 5).retry_at is None  # the address's third failure locks it
        assert attempt("zhao", "wrong password", 6).retry_at == start + timedelta(minutes=20)
        assert attempt("zhao", "wrong password", 6, "198.51.100.7").retry_at is None
        now = start + timedelta(minutes=7)
        assert {(lock.kind, lock.key, lock.failures) for lock in logins.active_locks(session, now)} == {
            ("account", "wang", 2), ("address", "192.0.2.1", 3)}
        assert [lock.refused for lock in logins.unlock(session, "wang", now, "admin")] == [1]
        assert attempt("wang", sample.PASSWORD, 8, "198.51.100.7").user.name == "wang"
        session.commit()
    db.get_engine(database_url).dispose()
