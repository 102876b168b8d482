"""How a source's schedule line is read: a standard five-field crontab line in a time zone.

The core's config validation and the scheduler's jobs read cron lines the same way, here."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

if TYPE_CHECKING:  # config.py reads cron lines through this module
    from crawler.config import SourceConfig


WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")  # crontab numbering: 0 and 7 are Sunday


def _weekday_number(token: str) -> int:
    if token.isdigit() and int(token) <= 7:
        return int(token) % 7
    if token[:3].lower() in WEEKDAYS:
        return WEEKDAYS.index(token[:3].lower())
    raise ValueError(f"{token!r} is not a day of the week (0-7 or sun-sat)")


def crontab_weekdays(field: str) -> str:
    """A crontab day-of-week field in APScheduler 3's terms: APScheduler 3 counts 0 as Monday
    where crontab counts 0 as Sunday, so "1-5" would otherwise mean Tuesday to Saturday."""
    if field == "*":
        return field
    days: set[int] = set()
    for part in field.split(","):
        base, _, step = part.partition("/")
        if base == "*":
            first, last = 0, 6
        elif "-" in base:
            start, end = base.split("-", 1)
            first, last = _weekday_number(start), _weekday_number(end)
            last = 7 if end.isdigit() and int(end) == 7 else last  # "5-7": Friday to Sunday
        else:
            first = last = _weekday_number(base)
            last = 6 if step else last  # "1/2": from Monday on, every other day
        if last < first:
            raise ValueError(f"day-of-week range {base!r} runs backwards")
        days.update(day % 7 for day in range(first, last + 1, int(step or 1)))
    return ",".join(WEEKDAYS[day] for day in sorted(days))


def cron_trigger(expression: str, timezone: str, jitter: int | None = None) -> CronTrigger:
    """A standard five-field crontab line, read in the given time zone."""
    minute, hour, day, month, weekday = expression.split()
    return CronTrigger(minute=minute, hour=hour, day=day, month=month, day_of_week=crontab_weekdays(weekday),
                       timezone=ZoneInfo(timezone), jitter=jitter)


def period(source: SourceConfig, now: datetime) -> timedelta:
    """The usual time between two runs (for cron: between its next two firings)."""
    if source.schedule.interval is not None:
        return source.schedule.interval
    trigger = cron_trigger(source.schedule.cron, source.timezone)
    first = trigger.get_next_fire_time(None, now)
    second = trigger.get_next_fire_time(first, first + timedelta(seconds=1))
    return second - first
