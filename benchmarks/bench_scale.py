"""The service at scale (run through bench_service.py --periods K): N feeds due every interval.

After the first crawls of every feed (each a full feed; not measured), K whole periods are
measured, each centred on the moment the feeds fall due again, so every feed is due exactly K
times in the window and the feeds' answers are all 304 Not Modified:
  - CPU of the whole process tree (service, crawl fork server, batch processes, read from /proc)
    over the window, per scheduled run                                         goal <= 20 ms
  - that CPU as a share of the machine                                         goal <= 50%
  - due runs completed, and completed before the feed's next run was due       goal >= 99%
  - memory: the service, the fork server, the largest batch process
  - alert latency of the 1-minute feed (new entry -> webhook), if --trials     goal <= 60 s + 30 s
"""

from __future__ import annotations

import argparse
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench_service import Loopback, MemoryWatch, alert_latency, descendants, free_port, wait_for, write_config

from crawler.config import parse_duration

TICKS = os.sysconf("SC_CLK_TCK")


def tree_cpu_s(pid: int, alone: bool = False) -> float:
    """CPU seconds of `pid` and its descendants, with those of the descendants they have reaped
    (alone: of `pid` itself, without them)."""
    total = 0
    for member in [pid] if alone else [pid, *descendants(pid)]:
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += sum(int(value) for value in fields[11:13 if alone else 15])  # utime stime cutime cstime
    return total / TICKS


def _moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _runs(database: Path) -> list[tuple[str, datetime, datetime | None, str]]:
    with sqlite3.connect(database) as connection:
        rows = connection.execute("select source_id, started_at, finished_at, status from crawl_runs").fetchall()
    return [(source, _moment(started), _moment(finished) if finished else None, status)
            for source, started, finished, status in rows]


def _sleep_until(moment: datetime) -> None:
    time.sleep(max(0.0, (moment - datetime.now(UTC)).total_seconds()))


def measure_scale(args: argparse.Namespace) -> None:
    interval = parse_duration(args.interval)
    loopback = Loopback(args.sources, args.entries)
    with tempfile.TemporaryDirectory() as folder:
        config = write_config(Path(folder), loopback, args.sources, free_port(), interval=args.interval)
        environment = {k: v for k, v in os.environ.items() if k != "REGWATCH_DATABASE_URL"}
        log_path = Path(folder) / "serve.log"
        database = Path(folder) / "regwatch-data" / "regwatch.db"
        with log_path.open("w") as log:
            service = subprocess.Popen([sys.executable, "-m", "regwatch", "--config", str(config), "serve", "--no-web"],
                                       stdout=log, stderr=subprocess.STDOUT, cwd=folder, env=environment)
        watch = MemoryWatch(service.pid)
        memory_from_start = time.monotonic()
        try:
            wait_for(lambda: "regwatch service started" in log_path.read_text(), 900, "start")
            started_s = time.monotonic() - memory_from_start
            wait_for(lambda: database.exists() and len({r[0] for r in _runs(database) if r[2]}) > args.sources,
                     3600, "the first crawls")
            first = min(started for source, started, _, _ in _runs(database) if source != "minute")
            done = datetime.now(UTC)
            periods_before = int((done - first) / interval + 0.5)
            window_start = first + (periods_before + 0.5) * interval
            window_end = window_start + args.periods * interval
            print(f"service start-up {started_s:.0f} s; first crawls of {args.sources} feeds took "
                  f"{(done - first).total_seconds():.0f} s; "
                  f"measuring {window_start:%H:%M:%S}-{window_end:%H:%M:%S} UTC", flush=True)
            _sleep_until(window_start)
            cpu_start, memory_from = tree_cpu_s(service.pid), time.monotonic()
            service_start = tree_cpu_s(service.pid, alone=True)
            latencies: list[float] = []
            if args.trials:
                trials = threading.Thread(target=lambda: latencies.extend(
                    alert_latency(loopback, n, 0.5 + 58.5 * n / max(1, args.trials - 1)) for n in range(args.trials)))
                trials.start()
            _sleep_until(window_end)
            cpu_s = tree_cpu_s(service.pid) - cpu_start
            service_cpu_s = tree_cpu_s(service.pid, alone=True) - service_start
            idle = [mb for moment, mb, _ in watch.service if moment >= memory_from]
            if args.trials:
                trials.join()
            time.sleep(min(interval.total_seconds(), 120))  # the window's last runs finish
            runs = _runs(database)
        finally:
            watch.stop.set()
            service.send_signal(signal.SIGTERM)
            service.wait(120)
        report(args, interval, runs, first, window_start, window_end, cpu_s, idle, watch, latencies,
               log_path.read_text())
        print(f"of which the service process itself: {service_cpu_s:.1f} s")


def report(args, interval: timedelta, runs, first, window_start, window_end, cpu_s: float, service_mb: list[float],
           watch: MemoryWatch, latencies: list[float], log: str) -> None:
    measured = [run for run in runs if window_start <= run[1] < window_end]
    feeds = [run for run in measured if run[0] != "minute"]
    due = args.sources * args.periods
    completed = [run for run in feeds if run[2] is not None and run[3] == "ok"]

    def next_due(started: datetime) -> datetime:
        return first + (round((started - first) / interval) + 1) * interval

    on_time = [run for run in completed if run[2] < next_due(run[1])]
    seconds = (window_end - window_start).total_seconds()
    per_run_ms = 1000 * cpu_s / max(1, len(measured))
    batches = log.count("source(s) crawled in")
    print(f"{args.sources} feeds of {args.entries} entries every {args.interval} (+ one 1-minute feed), "
          f"{args.periods} period(s) measured, "
          f"{os.cpu_count()} CPUs")
    print(f"scheduled runs in the window: {len(measured)} ({len(feeds)} of the {due} due feed runs), "
          f"batches over the whole run: {batches}")
    print(f"CPU of the process tree: {cpu_s:.1f} s = {per_run_ms:.1f} ms per run (goal <= 20 ms); "
          f"{100 * cpu_s / seconds / (os.cpu_count() or 1):.1f}% of the machine (goal <= 50%)")
    print(f"due runs completed ok: {len(completed)}/{due} ({100 * len(completed) / max(1, due):.2f}%), "
          f"before the next was due: {len(on_time)} ({100 * len(on_time) / max(1, due):.2f}%) (goal >= 99%)")
    if service_mb:
        print(f"memory: service RSS median {sorted(service_mb)[len(service_mb) // 2]:.0f} MB, max {max(service_mb):.0f}"
              f" MB; crawl fork server {watch.fork_server_peak:.0f} MB; batch process peak {watch.child_peak:.0f} MB")
    if latencies:
        print("alert latency, s: " + ", ".join(f"{s:.1f}" for s in latencies)
              + f"; worst {max(latencies):.1f} s (goal <= 90 s: the 1-minute interval + 30 s)")
