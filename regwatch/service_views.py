"""Rich tables for the service's commands."""

from __future__ import annotations

from datetime import datetime

from rich.table import Table

from crawler.health import Health
from crawler.storage.service_models import ActiveRun
from scheduler.status import JobRow, RuleRow

STATE_STYLE = {"ok": "green", "degraded": "yellow", "broken": "red", "quiet": "yellow", "never_run": "dim"}


def _moment(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "—"


def health_table(healths: list[Health]) -> Table:
    table = Table(title="Health")
    for column in ("id", "health", "last success", "fails", "items/run", "last new item", "cadence", "why"):
        table.add_column(column, overflow="fold")
    for h in healths:
        cadence = f"{h.expected_cadence_days:g} d ({h.cadence_from})" if h.expected_cadence_days else "learning"
        why = h.reason + (f"; backing off until {_moment(h.backoff_until)}" if h.backoff_until else "")
        table.add_row(h.source_id, f"[{STATE_STYLE.get(h.state, '')}]{h.state}[/]",
                      _moment(h.last_success), str(h.consecutive_failures),
                      "—" if h.items_per_run is None else f"{h.items_per_run:g}", _moment(h.last_new_item),
                      cadence, why)
    return table


def schedule_table(rows: list[JobRow], heartbeat: datetime | None) -> Table:
    caption = f"service heartbeat: {_moment(heartbeat)}" if heartbeat else "the service has not run yet"
    table = Table(title="Schedule", caption=caption)
    for column in ("source", "schedule", "next run"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(row.source_id, row.schedule, _moment(row.next_run) if row.stored else "(at service start)")
    return table


def active_runs_table(runs: list[ActiveRun], now: datetime) -> Table:
    """The runs queued and running now (`regwatch schedule`), with where and for how long."""
    table = Table(title="Queued and running")
    for column in ("source", "state", "since", "for", "worker"):
        table.add_column(column, overflow="fold")
    for run in runs:
        seconds = max(0, int((now - run.since).total_seconds()))
        waited = f"{seconds // 60} min {seconds % 60} s" if seconds >= 60 else f"{seconds} s"
        style = "green" if run.state == "running" else "yellow"
        table.add_row(run.source_id, f"[{style}]{run.state}[/]", run.since.strftime("%Y-%m-%d %H:%M:%S UTC"), waited,
                      run.worker or "—")
    return table


def alerts_table(rows: list[RuleRow]) -> Table:
    table = Table(title="Alert rules")
    for column in ("rule", "how", "channels", "sent", "pending", "failed", "last sent", "last failure"):
        table.add_column(column, overflow="fold")
    for row in rows:
        failure = row.last_failure
        table.add_row(row.rule_id, row.how, "\n".join(row.channels), str(row.counts.get("sent", 0)),
                      str(row.counts.get("pending", 0)), str(row.counts.get("failed", 0)), _moment(row.last_sent),
                      f"{_moment(failure.at)} {failure.channel}: {failure.error}" if failure else "—")
    return table
