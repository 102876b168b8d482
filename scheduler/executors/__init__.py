"""Where the service's due runs are crawled: the executor interface.

`regwatch serve` decides *when* a source is due (APScheduler, the backoff check) and hands the run
to an executor, which decides *where* it is crawled: `local` crawls in warm worker processes on
this machine (scheduler.executors.local), `celery` sends it to Celery workers on any machine
(scheduler.executors.celery). Either way `on_finished` receives the runs' outcomes, so the
service can assess health and deliver alerts after each run."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from crawler.config import Config
from crawler.errors import ConfigError
from crawler.outcome import SourceOutcome

OnFinished = Callable[[list[SourceOutcome]], None]


@dataclass
class RunState:
    """A run handed to the executor and not finished yet."""

    source_id: str
    state: str  # "queued" | "running"
    since: datetime


class RunExecutor(Protocol):
    def start(self) -> None:
        """Get ready to crawl; raises ConfigError/ServiceError with a clear message if it cannot."""

    def submit(self, source_id: str) -> None:
        """A due run of this source; returns at once."""

    def states(self) -> list[RunState]:
        """The runs queued and running now."""

    def stop(self) -> None:
        """Stop the running crawls and record them as stopped."""


def make_executor(config: Config, config_path: Path, on_finished: OnFinished) -> RunExecutor:
    kind = getattr(config.service, "executor", "local")
    if kind == "local":
        from scheduler.executors.local import LocalExecutor

        return LocalExecutor(config, config_path, on_finished)
    if kind == "celery":
        from scheduler.executors.celery import CeleryExecutor

        return CeleryExecutor(config, config_path, on_finished)
    raise ConfigError(f"service.executor: unknown executor {kind!r} (executors: local, celery)")
