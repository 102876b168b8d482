"""Each crawl in its own child process: Scrapy's reactor cannot be restarted, and a crawl that
crashes or hangs must not take the service with it. The child is `regwatch crawl SOURCE_ID`,
which records its own run; this module records what the child could not (a time limit, a crash)."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crawler.storage.models import CrawlRun, RunError
from crawler.storage.runs import now_utc

log = logging.getLogger(__name__)
NORMAL_EXIT = (0, 1)  # `regwatch crawl`: 0 all ok, 1 a source failed (and recorded it)


@dataclass
class ChildResult:
    source_id: str
    returncode: int
    seconds: float
    timed_out: bool = False
    stopped: bool = False  # by the service shutting down
    stderr_tail: str = ""


class CrawlChildren:
    """The crawl processes running now, so that shutdown can stop them."""

    def __init__(self, stop_grace: timedelta = timedelta(seconds=10)) -> None:
        self.stop_grace_s = stop_grace.total_seconds()  # Scrapy stops only after in-flight downloads
        self._running: dict[str, subprocess.Popen] = {}
        self._stopping = threading.Event()
        self._lock = threading.Lock()

    def run(self, config_path: Path, source_id: str, time_limit: timedelta,
            settings: dict[str, str] | None = None) -> ChildResult | None:
        """Run the crawl to its end or its time limit; None when the service is stopping."""
        command = [sys.executable, "-m", "crawler", "--config", str(config_path), "crawl", source_id]
        for name, value in (settings or {}).items():
            command += ["-s", f"{name}={value}"]
        started = time.monotonic()
        with tempfile.TemporaryFile() as stderr:
            # Its own session: stopping the crawl reaches Scrapy and whatever it started.
            process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                       stderr=stderr, cwd=config_path.parent, start_new_session=True)
            with self._lock:
                if self._stopping.is_set():  # shutdown began while this job was starting
                    process.kill()
                    process.wait()
                    return None
                self._running[source_id] = process
            timed_out = False
            try:
                process.wait(timeout=time_limit.total_seconds())
            except subprocess.TimeoutExpired:
                timed_out = True
                stop(process, self.stop_grace_s)
            finally:
                with self._lock:
                    self._running.pop(source_id, None)
            stderr.seek(0)
            tail = stderr.read()[-4000:].decode("utf-8", "replace")
        return ChildResult(source_id, process.returncode, time.monotonic() - started, timed_out,
                           stopped=self._stopping.is_set() and not timed_out, stderr_tail=tail)

    def stop_all(self) -> None:
        """Ask every running crawl to stop (Scrapy closes its spiders and records the run)."""
        self._stopping.set()
        with self._lock:
            processes = list(self._running.values())
        threads = [threading.Thread(target=stop, args=(p, self.stop_grace_s)) for p in processes]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    @property
    def running(self) -> list[str]:
        with self._lock:
            return list(self._running)


def stop(process: subprocess.Popen, grace_s: float) -> None:
    """SIGTERM lets Scrapy close the run cleanly; SIGKILL if it has not within the grace time."""
    for sig, wait_s in ((signal.SIGTERM, grace_s), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait_s)
            return
        except subprocess.TimeoutExpired:
            continue


def last_run_id(session: Session, source_id: str) -> int:
    return session.scalar(select(func.max(CrawlRun.id)).where(CrawlRun.source_id == source_id)) or 0


def failure_message(result: ChildResult, time_limit: timedelta) -> tuple[str, str] | None:
    """What went wrong that the child could not record itself, as (kind, message)."""
    if result.timed_out:
        return "time_limit", f"crawl exceeded its time limit of {_seconds(time_limit)} and was stopped"
    if result.stopped:
        return "stopped", "crawl stopped because the service was shutting down"
    if result.returncode not in NORMAL_EXIT:
        lines = [line for line in result.stderr_tail.splitlines() if line.strip()]
        last = f": {lines[-1].strip()}" if lines else ""
        return "crashed", f"crawl process exited with code {result.returncode}{last}"
    return None


def record_child_failure(session: Session, source_id: str, after_run_id: int, kind: str, message: str) -> None:
    """Mark the child's unfinished or failed runs with the reason; a child that died before it
    opened a run still leaves one, so the failure shows in the source's history. A run the child
    closed as ok before it was stopped or crashed on exit keeps its status: its items are stored."""
    runs = list(session.scalars(select(CrawlRun).where(CrawlRun.source_id == source_id,
                                                       CrawlRun.id > after_run_id)))
    if not runs:
        runs = [CrawlRun(source_id=source_id, started_at=now_utc(), status="failed", replay=False)]
        session.add(runs[0])
        session.flush()
    affected = [run for run in runs if run.finished_at is None or run.status == "failed"]
    if not affected:
        log.warning("%s: %s, after its run had finished", source_id, message)
        return
    for run in affected:
        run.status = "failed"
        run.finished_at = run.finished_at or now_utc()
        run.error_count = (run.error_count or 0) + 1
        session.add(RunError(run_id=run.id, kind=kind, url=None, message=message, at=now_utc()))
    session.commit()
    log.error("%s: %s", source_id, message)


def _seconds(duration: timedelta) -> str:
    seconds = duration.total_seconds()
    return f"{seconds:g}s" if seconds < 120 else f"{seconds / 60:g} min"
