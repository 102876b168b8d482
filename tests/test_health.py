"""Source health from recorded run histories: broken after N failures or a redesign symptom,
quiet against the cadence each source has shown, backoff that never disables a source."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from crawler import health
from crawler.config import Config
from crawler.items import CandidateItem
from crawler.schedule import period
from crawler.storage import db, documents, runs
from crawler.storage.models import CrawlRun, RunError
from crawler.storage.scheduler_models import AlertDelivery
from scheduler.alerts import queue
from tests.conftest import regwatch, write_config
from tests.test_alerts import webhook  # noqa: F401 (fixture)

NOW = datetime(2025, 3, 10, 15, tzinfo=UTC)  # a Monday


def make_config(**service) -> Config:
    return Config.model_validate({"sources": [
        {"id": "federal-register", "spider": "federal_register", "urls": ["https://fr.example/api"],
         "jurisdiction": "US", "schedule": {"interval": "1h"}},
        {"id": "tc260", "spider": "tc260", "urls": ["https://tc260.example/"], "jurisdiction": "CN"},
        {"id": "court", "spider": "feed", "urls": ["https://court.example/feed"], "expected_cadence": "2d"},
    ], "service": {"broken_after": 3, "max_backoff": "6h", **service}})


@pytest.fixture
def session(database_url):
    with db.open_session(database_url) as opened:
        runs.sync_sources(opened, make_config().sources)
        yield opened
    db.get_engine(database_url).dispose()


def add_run(session, source_id: str, status: str, items: int = 0, at: datetime = NOW,
            error: tuple[str, str] | None = None) -> None:
    run = CrawlRun(source_id=source_id, started_at=at - timedelta(minutes=1), finished_at=at, status=status,
                   items_parsed=items, error_count=1 if error else 0)
    session.add(run)
    session.flush()
    if error:
        session.add(RunError(run_id=run.id, kind=error[0], message=error[1], url="https://fr.example/api", at=at))
    session.commit()


def publish(session, source_id: str, days: list[date]) -> None:
    batch = [(CandidateItem(source=source_id, url=f"https://{source_id}.example/{d}", title=f"Doc {d}", published=d,
                            content_hash=str(d), fetched_at=NOW), None) for d in days]
    documents.store_items(session, source_id, batch)


def assess(session, source_id: str, config: Config | None = None, now: datetime = NOW) -> health.Health:
    config = config or make_config()
    source = config.source(source_id)
    return health.assess(session, source, config.service, now, period(source, now))


def test_three_failed_runs_in_a_row_flag_broken_and_one_success_recovers(session):
    add_run(session, "federal-register", "ok", items=12, at=NOW - timedelta(hours=4))
    bad_gateway = ("fetch_failed", "HTTP 502")
    for hours in (3, 2):
        add_run(session, "federal-register", "failed", at=NOW - timedelta(hours=hours), error=bad_gateway)
    two = assess(session, "federal-register")
    assert (two.state, two.consecutive_failures) == ("ok", 2)
    assert two.last_success == NOW - timedelta(hours=4) and two.items_per_run == 12
    add_run(session, "federal-register", "failed", at=NOW - timedelta(hours=1), error=bad_gateway)
    three = assess(session, "federal-register")
    assert three.state == "broken"
    assert three.reason == ("3 failed runs in a row; last error fetch_failed: HTTP 502 (https://fr.example/api)")
    add_run(session, "federal-register", "ok", items=11)
    assert assess(session, "federal-register").state == "ok"


def test_zero_items_from_a_source_that_usually_yields_items_is_broken_at_once(session):
    for hours in (3, 2):
        add_run(session, "federal-register", "ok", items=20, at=NOW - timedelta(hours=hours))
    add_run(session, "federal-register", "failed", error=("empty", "source yielded 0 items, last run had 20"))
    flagged = assess(session, "federal-register")
    assert flagged.state == "broken" and flagged.consecutive_failures == 1
    assert "usually yields 20 items per run, now empty: source yielded 0 items" in flagged.reason


def test_parse_errors_in_a_source_that_usually_yields_items_are_broken_at_once(session):
    add_run(session, "tc260", "ok", items=8, at=NOW - timedelta(hours=6))
    add_run(session, "tc260", "failed", error=("unparseable", "listing JSON has no 'data' key"))
    assert assess(session, "tc260").state == "broken"


def business_days(start: date, end: date) -> list[date]:
    return [start + timedelta(d) for d in range((end - start).days + 1) if (start + timedelta(d)).weekday() < 5]


def test_a_run_whose_items_the_generic_reader_read_makes_the_source_degraded_until_its_selectors_match(session):
    add_run(session, "federal-register", "ok", items=40, at=NOW - timedelta(hours=2))
    session.add(CrawlRun(source_id="federal-register", started_at=NOW - timedelta(minutes=1), finished_at=NOW,
                         status="ok", items_parsed=38, items_generic=38, warning_count=1))
    session.flush()
    latest = session.scalars(select(CrawlRun).order_by(CrawlRun.id.desc())).first()
    session.add(RunError(run_id=latest.id, kind="selector_missed", url="https://fr.example/list",
                         message="listing has no entries matching 'ul.results li'; read by the generic reader", at=NOW))
    session.commit()
    degraded = assess(session, "federal-register")
    assert degraded.state == "degraded" and degraded.items_generic == 38
    assert "38 item(s) read by the generic reader" in degraded.reason and "'ul.results li'" in degraded.reason
    assert degraded.missed == [{"message": "listing has no entries matching 'ul.results li'; read by the generic "
                                           "reader", "url": "https://fr.example/list"}]
    assert health.worth_telling("ok", "degraded") and health.worth_telling("degraded", "ok")
    add_run(session, "federal-register", "ok", items=40, at=NOW + timedelta(hours=1))
    assert assess(session, "federal-register", now=NOW + timedelta(hours=1)).state == "ok"


def test_business_day_cadence_is_learned_so_a_weekend_is_not_quiet_but_a_week_is(session):
    publish(session, "federal-register", business_days(date(2025, 1, 20), date(2025, 3, 7)))  # up to Friday
    add_run(session, "federal-register", "ok", items=5)
    monday = assess(session, "federal-register")
    assert monday.state == "ok" and monday.expected_cadence_days == 3 and monday.cadence_from == "learned"
    assert monday.last_published == date(2025, 3, 7)
    a_week_later = assess(session, "federal-register", now=NOW + timedelta(days=4))
    assert a_week_later.state == "quiet"
    assert a_week_later.reason == "nothing new since 2025-03-07 (7 days); it usually publishes every 3 day(s)"


def test_irregular_source_is_given_a_wide_margin(session):
    days = [date(2024, 6, 1) + timedelta(days=n) for n in (0, 9, 30, 34, 70, 88, 120, 125, 160)]
    publish(session, "tc260", days)  # TC260: a notice here, a draft there
    add_run(session, "tc260", "ok", items=9)
    learned = assess(session, "tc260", now=datetime(2024, 12, 20, tzinfo=UTC))
    assert learned.expected_cadence_days == 35
    assert learned.state == "ok"  # 42 days since the last notice is within its rhythm
    assert assess(session, "tc260", now=datetime(2025, 2, 20, tzinfo=UTC)).state == "quiet"


def test_configured_cadence_overrides_learning(session):
    publish(session, "court", [date(2025, 3, 5)])
    add_run(session, "court", "ok", items=1)
    court = assess(session, "court")
    assert court.expected_cadence_days == 2 and court.cadence_from == "configured"
    assert court.state == "quiet"  # 5 days > 2 x 2 days


def test_backoff_doubles_with_each_failure_up_to_the_ceiling():
    hour, ceiling = timedelta(hours=1), timedelta(hours=6)
    assert [health.backoff_delay(n, hour, ceiling) for n in range(1, 6)] == [
        timedelta(0), hour, 3 * hour, ceiling, ceiling]


def test_failing_source_backs_off_but_is_never_disabled(session):
    for hours in (5, 4, 3):
        add_run(session, "federal-register", "failed", at=NOW - timedelta(hours=hours), error=("blocked", "captcha"))
    state = assess(session, "federal-register")
    assert state.backoff_until == NOW - timedelta(hours=3) + timedelta(hours=3)
    config = make_config()
    assert config.source("federal-register").enabled  # only an operator turns a source off


def test_health_changes_go_to_the_operator_channel(session, webhook):  # noqa: F811 (fixture)
    config = make_config(operator_notify=[webhook.url("/ops")])
    for hours in (3, 2, 1):
        add_run(session, "federal-register", "failed", at=NOW - timedelta(hours=hours), error=("fetch_failed", "503"))

    def check() -> None:
        assessed = assess(session, "federal-register", config)
        previous = health.record_state(session, assessed, NOW)
        if previous is not None and health.worth_telling(previous, assessed.state):
            queue.operator_event(session, config, "federal-register", assessed.state, assessed.reason, NOW)
        queue.dispatch(session, config, NOW)

    check()
    check()  # unchanged: no second message
    add_run(session, "federal-register", "ok", items=3)
    check()
    assert [p["title"] for p in webhook.posts] == ["Regwatch: Source federal-register is broken",
                                                   "Regwatch: Source federal-register is ok"]
    assert "3 failed runs in a row" in webhook.posts[0]["message"]
    assert session.scalars(select(AlertDelivery.status)).all() == ["sent", "sent"]


def test_sources_json_adds_health_and_keeps_its_keys(tmp_path):
    config = write_config(tmp_path, [{"id": "agency", "spider": "feed", "urls": ["http://127.0.0.1:9/feed"]}])
    result = regwatch(config, "sources", "--json")
    assert result.returncode == 0, result.stderr
    [entry] = json.loads(result.stdout)
    assert {"id", "enabled", "status", "last_error", "items"} <= set(entry)
    assert entry["health"]["state"] == "never_run" and entry["health"]["consecutive_failures"] == 0
    table = regwatch(config, "sources")
    assert "Health" in table.stdout and "never_run" in table.stdout
