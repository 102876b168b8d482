"""Alerts end to end on the real storage: rules matched against stored items, delivered to a real
local SMTP server (aiosmtpd) and a real HTTP webhook receiver on 127.0.0.1 through apprise."""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller
from rich.console import Console
from sqlalchemy import select

from crawler.config import Config
from crawler.items import CandidateItem, Relevance
from crawler.storage import db, documents, runs
from crawler.storage.scheduler_models import AlertDelivery, AlertFailure
from regwatch import service_views as views
from scheduler import status
from scheduler.alerts import channels, queue
from tests.conftest import regwatch, write_config

NOW = datetime(2025, 1, 20, 12, tzinfo=UTC)


class WebhookReceiver:
    """A JSON webhook endpoint (what apprise's json:// posts to); `failing` answers 500."""

    def __init__(self) -> None:
        self.posts: list[dict] = []
        self.failing = False
        receiver = self

        class _Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if receiver.failing:
                    self.send_response(500)
                else:
                    receiver.posts.append({"path": self.path, **json.loads(body)})
                    self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str = "/hook") -> str:
        return f"json://127.0.0.1:{self.server.server_address[1]}{path}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmtpSink:
    """A real SMTP server on loopback that keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        sink = self

        class _Handler:
            async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
                sink.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
                return "250 OK"

        self.port = free_port()
        self.controller = Controller(_Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def url(self, to: str = "research@example.org") -> str:
        return f"mailto://127.0.0.1:{self.port}?from=regwatch@example.org&to={to}"

    def text(self, index: int = 0) -> str:
        return self.messages[index].get_body(preferencelist=("plain",)).get_content()


@pytest.fixture
def webhook():
    receiver = WebhookReceiver()
    yield receiver
    receiver.close()


@pytest.fixture
def smtp():
    sink = SmtpSink()
    yield sink
    sink.controller.stop()


SOURCES = [
    {"id": "federal-register", "spider": "federal_register", "urls": ["https://www.federalregister.gov/api"],
     "authority": "Office of the Federal Register", "jurisdiction": "US", "category": "law_regulation"},
    {"id": "tc260", "spider": "tc260", "urls": ["https://www.tc260.org.cn/"], "authority": "TC260",
     "jurisdiction": "CN", "category": "standard"},
    {"id": "federal-register-inspection", "spider": "federal_register_inspection",
     "urls": ["https://www.federalregister.gov/api"], "authority": "Office of the Federal Register",
     "jurisdiction": "US", "category": "law_regulation"},
]


def make_config(alerts: list[dict], **service) -> Config:
    return Config.model_validate({"sources": SOURCES, "alerts": alerts,
                                  "service": {"delivery_backoff": "30s", "delivery_attempts": 3, **service}})


def item(source: str, n: int, title: str, score: float = 0.75, text: str = "", version: str = "a") -> CandidateItem:
    authority = "Office of the Federal Register" if source == "federal-register" else "全国网络安全标准化技术委员会"
    return CandidateItem(
        source=source, url=f"https://{source}.example/doc/{n}", title=title, published=date(2025, 1, 17),
        authority=authority, jurisdiction="US" if source == "federal-register" else "CN",
        category="law_regulation" if source == "federal-register" else "standard", doc_type="rule",
        summary="", text=text, content_hash=f"{source}-{n}-{version}", fetched_at=NOW,
        relevance=Relevance(score=score, terms=["artificial intelligence"] if score else []))


@pytest.fixture
def session(database_url):
    engine = db.get_engine(database_url)
    db.upgrade_schema(engine)
    with db.open_session(database_url) as opened:
        runs.sync_sources(opened, make_config([]).sources)
        queue.collect(opened, make_config([]), NOW)  # the service's first start sets the watermark
        yield opened
    engine.dispose()


def store(session, *items: CandidateItem) -> None:
    for one in items:
        documents.store_items(session, one.source, [(one, None)])


def deliver(session, config: Config, at: datetime = NOW) -> queue.DispatchReport:
    queue.collect(session, config, at)
    return queue.dispatch(session, config, at)


def test_matching_item_reaches_webhook_with_title_authority_date_link_terms_and_why(session, webhook):
    config = make_config([{"id": "us-rules", "notify": [webhook.url()],
                           "match": {"jurisdictions": ["US"], "keywords": ["frontier model"], "min_relevance": 0.5}}])
    store(session, item("federal-register", 1, "Safety rule for frontier models", text="covers frontier model labs"),
          item("federal-register", 2, "Unrelated frontier model note", score=0.1, text="frontier model"),
          item("tc260", 3, "人工智能安全标准 frontier model"))
    report = deliver(session, config)
    assert report.sent == 1 and len(webhook.posts) == 1
    post = webhook.posts[0]
    assert post["path"] == "/hook"
    assert post["title"] == "Regwatch New: Safety rule for frontier models"
    body = post["message"]
    assert "Authority: Office of the Federal Register" in body
    assert "Date: 2025-01-17" in body
    assert "Link: https://federal-register.example/doc/1" in body
    assert "Matched terms: frontier model, artificial intelligence" in body
    assert ("Why: rule us-rules: jurisdiction US; keywords found: frontier model; relevance 0.75 ≥ 0.5" in body)


def test_item_alerts_once_per_rule_across_recrawls_and_restarts(session, database_url, webhook):
    config = make_config([{"id": "all-us", "notify": [webhook.url()], "match": {"sources": ["federal-register"]}},
                          {"id": "second", "notify": [webhook.url("/second")]}])
    first = item("federal-register", 1, "Rule on AI")
    store(session, first)
    deliver(session, config)
    store(session, first)  # a re-crawl sees it unchanged
    store(session, item("federal-register", 1, "Rule on AI", version="b"))  # and then changed
    deliver(session, config)
    db.get_engine(database_url).dispose()  # a restart: new connections, state only from the database
    with db.open_session(database_url) as restarted:
        deliver(restarted, config, NOW + timedelta(hours=1))
    assert sorted(p["path"] for p in webhook.posts) == ["/hook", "/second"]
    assert session.scalar(select(AlertDelivery.version).where(AlertDelivery.rule_id == "all-us")) == 1


def test_document_seen_through_a_second_source_is_not_alerted_again(session, webhook):
    config = make_config([{"id": "us", "notify": [webhook.url()], "match": {"jurisdictions": ["US"]}}])
    filing = item("federal-register-inspection", 1, "AI export rule (filed)")
    filing.identifiers["fr_document_number"] = "2025-01234"
    store(session, filing)
    deliver(session, config)
    printing = item("federal-register", 2, "AI export rule")
    printing.identifiers["fr_document_number"] = "2025-01234"
    store(session, printing)
    deliver(session, config, NOW + timedelta(hours=1))
    assert [p["title"] for p in webhook.posts] == ["Regwatch New: AI export rule (filed)"]


def test_update_alerts_again_only_for_rules_that_ask_for_updates(session, webhook):
    config = make_config([{"id": "updates", "notify": [webhook.url("/updates")], "match": {"updates": True}},
                          {"id": "new-only", "notify": [webhook.url("/new")]}])
    store(session, item("federal-register", 1, "Proposed rule on AI"))
    deliver(session, config)
    store(session, item("federal-register", 1, "Proposed rule on AI (corrected)", version="b"))
    deliver(session, config)
    titles = [(p["path"], p["title"]) for p in webhook.posts]
    assert titles == [("/updates", "Regwatch New: Proposed rule on AI"), ("/new", "Regwatch New: Proposed rule on AI"),
                      ("/updates", "Regwatch Updated: Proposed rule on AI (corrected)")]


def test_chinese_rule_emails_in_chinese_through_real_smtp_server(session, smtp):
    config = make_config([{"id": "cn-standards", "language": "zh", "notify": [smtp.url()],
                           "match": {"jurisdictions": ["CN"], "categories": ["standard"]}}])
    store(session, item("tc260", 7, "网络安全技术 人工智能生成合成内容标识方法"))
    assert deliver(session, config).sent == 1
    [message] = smtp.messages
    assert message["Subject"] == "Regwatch 新发现: 网络安全技术 人工智能生成合成内容标识方法"
    assert message["To"] == "research@example.org"
    text = smtp.text()
    assert "发布机关：全国网络安全标准化技术委员会" in text
    assert "日期：2025-01-17" in text
    assert "链接：https://tc260.example/doc/7" in text
    assert "匹配原因：规则 cn-standards: 法域 CN；类别 standard" in text


def test_failing_channel_is_retried_with_backoff_and_recorded_without_blocking_others(session, webhook, smtp):
    flaky = WebhookReceiver()
    flaky.failing = True
    dead = f"json://127.0.0.1:{free_port()}/nobody"
    config = make_config([{"id": "everywhere", "notify": [smtp.url(), flaky.url(), dead, webhook.url()]}])
    store(session, item("federal-register", 1, "Rule on AI"))
    deliver(session, config)
    assert len(smtp.messages) == 1 and len(webhook.posts) == 1  # the good channels did not wait
    delivery = session.scalars(select(AlertDelivery)).one()
    assert delivery.status == "pending" and delivery.attempts == 1
    assert delivery.due_at == NOW + timedelta(seconds=30)
    failures = session.scalars(select(AlertFailure)).all()
    assert len(failures) == 2 and all(f.rule_id == "everywhere" for f in failures)
    assert any("127.0.0.1" in f.channel and "nobody" in f.channel for f in failures)
    deliver(session, config, NOW + timedelta(seconds=10))  # not due yet
    assert len(session.scalars(select(AlertFailure)).all()) == 2
    flaky.failing = False
    deliver(session, config, NOW + timedelta(seconds=30))  # the flaky one recovered, the dead one has not
    assert len(flaky.posts) == 1 and len(webhook.posts) == 1 and len(smtp.messages) == 1
    session.refresh(delivery)
    assert delivery.attempts == 2 and delivery.due_at == NOW + timedelta(seconds=30 + 60)
    deliver(session, config, NOW + timedelta(seconds=90))
    session.refresh(delivery)
    assert delivery.status == "failed" and "nobody" in delivery.last_error  # gave up after 3 attempts
    flaky.close()


def test_digest_rule_sends_one_message_at_its_time(session, webhook):
    config = make_config([{"id": "morning", "mode": "digest", "digest_at": "08:30", "notify": [webhook.url()]}])
    store(session, item("federal-register", 1, "First AI rule"), item("tc260", 2, "人工智能标准"))
    deliver(session, config)
    assert webhook.posts == []
    deliver(session, config, datetime(2025, 1, 21, 8, 30, tzinfo=UTC))
    [post] = webhook.posts
    assert post["title"] == "Regwatch: 2 new item(s) for rule morning"
    assert "First AI rule" in post["message"] and "人工智能标准" in post["message"]


def test_unquoted_yaml_digest_time_reads_as_hours_and_minutes(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("alerts:\n  - {id: daily, mode: digest, digest_at: 8:30, notify: ['json://127.0.0.1/x']}\n")
    from crawler.config import load_config

    assert load_config(path).alerts[0].digest_at.isoformat() == "08:30:00"


def test_alerts_test_command_sends_a_sample_and_reports_failing_channels(tmp_path, webhook, smtp):
    config = write_config(tmp_path, [], alerts=[
        {"id": "group", "notify": [webhook.url(), "${SMTP_URL}"], "language": "en"},
        {"id": "broken", "notify": [f"json://127.0.0.1:{free_port()}/x"]},
    ])
    result = regwatch(config, "alerts", "test", "group", env={"SMTP_URL": smtp.url()})
    assert result.returncode == 0, result.stderr + result.stdout
    assert webhook.posts[0]["title"].startswith("Regwatch New: Sample:")
    assert "Link: https://www.federalregister.gov/" in webhook.posts[0]["message"]
    assert "Sample:" in smtp.messages[0]["Subject"]
    failed = regwatch(config, "alerts", "test", "broken")
    assert failed.returncode == 1 and "failed" in failed.stdout
    unset = regwatch(config, "alerts", "test", "group")  # SMTP_URL not set this time
    assert unset.returncode == 1 and "unset ${VAR}" in unset.stdout
    listing = regwatch(config, "alerts")
    assert listing.returncode == 0, listing.stderr
    assert "group" in listing.stdout and "broken" in listing.stdout and "immediate, en" in listing.stdout
    unknown = regwatch(config, "alerts", "test", "nope")
    assert unknown.returncode == 2 and "no alert rule 'nope'" in unknown.stderr


def test_alerts_listing_counts_deliveries_and_names_the_last_failure_without_secrets(session, webhook):
    dead = f"json://hook:s3cret@127.0.0.1:{free_port()}/x"
    config = make_config([{"id": "ops-watch", "notify": [webhook.url(), dead]},
                          {"id": "daily", "mode": "digest", "digest_at": "08:00", "timezone": "Asia/Shanghai",
                           "language": "zh", "notify": [webhook.url("/daily")]}],
                         operator_notify=[webhook.url("/ops")])
    store(session, item("federal-register", 1, "Rule on AI"))
    deliver(session, config)
    [watch, daily, operator] = status.alert_rules(session, config)
    assert (watch.counts, watch.last_sent) == ({"pending": 1}, None)  # one channel still owes it
    assert watch.last_failure.rule_id == "ops-watch" and "127.0.0.1" in watch.last_failure.channel
    assert not any("s3cret" in text for text in [*watch.channels, watch.last_failure.channel])
    assert (daily.how, daily.counts) == ("digest at 08:00 Asia/Shanghai, zh", {"pending": 1})
    assert (operator.rule_id, operator.how) == ("operator", "health changes, en")
    console = Console(record=True, width=200)
    console.print(views.alerts_table([watch, daily, operator]))
    assert "ops-watch" in console.export_text() and "s3cret" not in console.export_text()


CHANNELS = {  # one URL of each kind the documentation shows, with its secret
    "email": ("mailtos://regwatch:s3cretpw@smtp.example.org:587?to=research@example.org", "s3cretpw"),
    "Slack": ("slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ", "TIiajkdnlazkcOXrIdevi7FQ"),
    "Microsoft Teams": ("workflows://prod-00.westus.logic.azure.com:443/5f0e6c2bd1e44e1e/sigA1b2C3d4E5f6",
                        "sigA1b2C3d4E5f6"),
    "DingTalk": ("dingtalk://SECa1b2c3d4e5f6@5e1c9b0a7d3f4e2b8c6a1d9e0f7b3c5a", "5e1c9b0a7d3f4e2b8c6a1d9e0f7b3c5a"),
    "WeCom": ("wecombot://693axxx6-7aoc-4bc4-97a0-0ec2sifa5aaa", "693axxx6-7aoc-4bc4-97a0-0ec2sifa5aaa"),
    "Feishu": ("feishu://0f3a6c2e-8b1d-4e5f-9a7c-2d4b6e8f0a1c", "0f3a6c2e-8b1d-4e5f-9a7c-2d4b6e8f0a1c"),
    "Lark": ("lark://0f3a6c2e-8b1d-4e5f-9a7c-2d4b6e8f0a1c", "0f3a6c2e-8b1d-4e5f-9a7c-2d4b6e8f0a1c"),
    "JSON webhook": ("jsons://regwatch:t0ken@hooks.example.org/regwatch", "t0ken"),
}


@pytest.mark.parametrize("kind", list(CHANNELS))
def test_every_documented_channel_kind_is_understood_and_named_without_its_secret(kind):
    url, secret = CHANNELS[kind]
    label = channels.channel_label(url)
    assert "(invalid)" not in label and secret not in label
