"""From new document versions to alert deliveries, and from deliveries to channels.

`collect` reads document versions stored since a watermark (skipping a source's first crawl,
its baseline) and records one delivery per
(rule, document): the unique constraint is the "at most once per rule" guarantee, so re-crawls
and restarts cannot alert twice. `dispatch` sends what is due, one channel at a time per
delivery, retrying failed channels with backoff and recording every failure. Several services
and workers may share one database: collectors take turns on the watermark, and dispatchers claim
deliveries (scheduler.alerts.claims) so that none is sent twice."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from crawler.config import AlertRule, Config
from crawler.storage import service_state as state
from crawler.storage.models import CrawlRun, Document, DocumentVersion
from crawler.storage.scheduler_models import AlertDelivery, AlertFailure
from scheduler.alerts import channels, claims
from scheduler.alerts.match import match_item
from scheduler.alerts.messages import AlertItem, render_health, render_items

log = logging.getLogger(__name__)
OPERATOR = "operator"  # the rule id of health events
BATCH = 500
MAX_RETRY_DELAY = timedelta(hours=1)


def next_digest(rule: AlertRule, now: datetime) -> datetime:
    """The next moment at the rule's digest_at, in the rule's time zone."""
    local = now.astimezone(ZoneInfo(rule.timezone))
    at = local.replace(hour=rule.digest_at.hour, minute=rule.digest_at.minute, second=0, microsecond=0)
    return at if at > local else at + timedelta(days=1)


def _due_at(rule: AlertRule, now: datetime) -> datetime:
    return next_digest(rule, now) if rule.mode == "digest" else now


def collect(session: Session, config: Config, now: datetime) -> int:
    """Turn versions stored since the watermark into deliveries; returns how many were queued.
    The first time, the watermark starts at the newest version: no flood of the existing backlog."""
    queued = 0
    while True:
        # Locked until the batch is committed: collectors on several processes (the service, the
        # Celery workers) take turns, and none queues from a watermark another has moved on.
        watermark = state.get(session, state.ALERT_WATERMARK, lock=True)
        if watermark is None:
            newest = session.scalar(select(func.max(DocumentVersion.id))) or 0
            state.put(session, state.ALERT_WATERMARK, str(newest))
            session.commit()
            return 0
        rows = session.execute(
            select(DocumentVersion.id, DocumentVersion.version, DocumentVersion.run_id, Document)
            .join(Document, Document.id == DocumentVersion.document_id)
            .where(DocumentVersion.id > int(watermark)).order_by(DocumentVersion.id).limit(BATCH)).all()
        if not rows:
            session.commit()
            return queued
        queued += _queue_batch(session, config, rows, now)
        state.put(session, state.ALERT_WATERMARK, str(rows[-1].id))
        session.commit()


def _first_runs(session: Session, source_ids: set[str]) -> dict[str, int]:
    return dict(session.execute(select(CrawlRun.source_id, func.min(CrawlRun.id))
                                .where(CrawlRun.source_id.in_(source_ids)).group_by(CrawlRun.source_id)).all())


def _link_groups(session: Session, documents: list[Document]) -> dict[int, int]:
    """Every document of the batch's link groups -> its group's item (a document seen through
    several sources is one item, so it alerts once per rule, whichever sighting comes later)."""
    roots = {document.linked_to or document.id for document in documents}
    members = session.execute(select(Document.id, Document.linked_to)
                              .where(or_(Document.id.in_(roots), Document.linked_to.in_(roots)))).all()
    return {member_id: linked_to or member_id for member_id, linked_to in members}


def _queue_batch(session: Session, config: Config, rows: list[Any], now: datetime) -> int:
    group_of = _link_groups(session, [row.Document for row in rows])
    # A source's first crawl finds its backlog, not news: it sets the baseline and alerts nothing.
    first_runs = _first_runs(session, {row.Document.source_id for row in rows})
    existing = {(d.rule_id, group_of.get(d.document_id, d.document_id)): d for d in session.scalars(
        select(AlertDelivery).where(AlertDelivery.document_id.in_(group_of)))}
    queued = 0
    for row in rows:
        document, version = row.Document, row.version
        item_id = group_of.get(document.id, document.id)
        if row.run_id is not None and row.run_id == first_runs.get(document.source_id):
            continue
        for rule in config.alerts:
            if version > 1 and not rule.match.updates:
                continue
            why = match_item(rule.match, document)
            if why is None:
                continue
            delivery = existing.get((rule.id, item_id))
            if delivery is None:
                delivery = AlertDelivery(rule_id=rule.id, document_id=item_id, kind="new" if version == 1
                                         else "update", version=version, detail=why, status="pending",
                                         due_at=_due_at(rule, now), attempts=0, channels_done=[], created_at=now)
                session.add(delivery)
                existing[(rule.id, item_id)] = delivery
                queued += 1
            elif delivery.version < version:
                delivery.version, delivery.detail = version, why
                if delivery.status != "pending":  # already told: tell again, as an update
                    delivery.kind, delivery.status, delivery.attempts = "update", "pending", 0
                    delivery.channels_done, delivery.due_at, delivery.sent_at = [], _due_at(rule, now), None
                    queued += 1
    session.flush()
    return queued


def operator_event(session: Session, config: Config, source_id: str, state_name: str, reason: str,
                   now: datetime) -> None:
    """A health change for the operator channel (nothing is queued when none is configured)."""
    if not config.service.operator_notify:
        return
    session.add(AlertDelivery(rule_id=OPERATOR, document_id=None, kind="health", version=1,
                              detail={"source_id": source_id, "state": state_name, "reason": reason},
                              status="pending", due_at=now, attempts=0, channels_done=[], created_at=now))
    session.commit()


@dataclass
class DispatchReport:
    sent: int = 0
    failed_channels: list[str] = field(default_factory=list)


def _alert_item(delivery: AlertDelivery, document: Document) -> AlertItem:
    return AlertItem(title=document.title, authority=document.authority, published=document.published,
                     url=document.url, source_id=document.source_id, kind=delivery.kind,
                     terms=delivery.detail.get("terms", []), reasons=delivery.detail.get("reasons", []))


def _message(session: Session, rule_id: str, language: str, digest: bool,
             batch: list[AlertDelivery]) -> tuple[str, str]:
    if rule_id == OPERATOR:
        return render_health([d.detail for d in batch], language)
    items = [_alert_item(d, session.get(Document, d.document_id)) for d in batch]
    return render_items(items, rule_id, language, digest)


def dispatch(session: Session, config: Config, now: datetime) -> DispatchReport:
    """Send every due delivery; each rule's digest goes out as one message per channel."""
    report = DispatchReport()
    claimer = claims.new_claimer()
    due = claims.claim_due(session, claimer, now)
    try:
        _dispatch_claimed(session, config, claimer, due, now, report)
    finally:  # what an error left unsent goes back to the queue at once, not after the claim timeout
        claims.release_all(session, claimer)
    return report


def _dispatch_claimed(session: Session, config: Config, claimer: str, due: list[AlertDelivery], now: datetime,
                      report: DispatchReport) -> None:
    by_rule: dict[str, list[AlertDelivery]] = defaultdict(list)
    for delivery in due:
        by_rule[delivery.rule_id].append(delivery)
    rules = {rule.id: rule for rule in config.alerts}
    for rule_id, deliveries in by_rule.items():
        if rule_id == OPERATOR:
            urls, language, digest = config.service.operator_notify, config.service.operator_language, False
        elif rule_id in rules:
            rule = rules[rule_id]
            urls, language, digest = rule.notify, rule.language, rule.mode == "digest"
        else:
            _give_up(session, deliveries, f"rule {rule_id!r} is no longer in the configuration")
            continue
        batches = [deliveries] if digest or rule_id == OPERATOR else [[d] for d in deliveries]
        for batch in batches:
            batch = claims.confirm(session, claimer, batch)
            if batch:
                _send_batch(session, config, rule_id, urls, language, digest, batch, now, report)


def _send_batch(session: Session, config: Config, rule_id: str, urls: list[str], language: str, digest: bool,
                batch: list[AlertDelivery], now: datetime, report: DispatchReport) -> None:
    title, body = _message(session, rule_id, language, digest, batch)
    todo = [url for url in urls if any(channels.channel_key(url) not in d.channels_done for d in batch)]
    errors = {url: error for url, error in channels.send_all(todo, title, body).items() if error}
    done = [channels.channel_key(url) for url in todo if url not in errors]
    wanted = {channels.channel_key(url) for url in urls}
    for delivery in batch:
        delivery.channels_done = sorted(set(delivery.channels_done) | set(done))
        if wanted <= set(delivery.channels_done):
            delivery.status, delivery.sent_at = "sent", now
            report.sent += 1
            continue
        delivery.attempts += 1
        delivery.last_error = "; ".join(f"{channels.channel_label(u)}: {e}" for u, e in errors.items())
        delay = min(MAX_RETRY_DELAY, config.service.delivery_backoff * 2 ** (delivery.attempts - 1))
        delivery.due_at = now + delay
        if delivery.attempts >= config.service.delivery_attempts:
            delivery.status = "failed"
        for url, error in errors.items():
            session.add(AlertFailure(delivery_id=delivery.id, rule_id=rule_id, channel=channels.channel_label(url),
                                     at=now, error=error))
    claims.unclaim(batch)
    if done:
        log.info("alert rule %s: %d item(s) sent to %d channel(s)", rule_id, len(batch), len(done))
    for url, error in errors.items():
        report.failed_channels.append(channels.channel_label(url))
        log.warning("alert rule %s: channel %s failed: %s", rule_id, channels.channel_label(url), error)
    session.commit()


def _give_up(session: Session, deliveries: list[AlertDelivery], reason: str) -> None:
    for delivery in deliveries:
        delivery.status, delivery.last_error = "failed", reason
    claims.unclaim(deliveries)
    session.commit()
