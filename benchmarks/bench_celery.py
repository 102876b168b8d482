"""The Celery executor's cost per scheduled run, as a deployment meets it: a real redis-server, the
real PostgreSQL server, `regwatch worker` processes, and the service's CeleryExecutor sending
due runs of FEEDS loopback feeds (benchmarks/feed_server.py, ETag: an unchanged feed answers 304).

    python benchmarks/bench_celery.py [--feeds 200] [--rounds 3] [--concurrency 2]

Round 0 stores every feed's entries; the following rounds are unchanged runs. For each round it
prints the wall time from sending to the last run recorded, and the CPU of the worker's whole
process tree (main process, pool processes and the batch processes they forked and reaped, read
from /proc) per run, beside the CPU the sending service process spent."""

from __future__ import annotations

import argparse
import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
import yaml  # noqa: E402

from crawler.config import load_config  # noqa: E402
from crawler.storage import db, runs  # noqa: E402
from scheduler.executors.celery import CeleryExecutor  # noqa: E402

ADMIN_URL = os.environ.get("REGWATCH_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def tree_cpu_s(root: int) -> float:
    """CPU seconds of a process tree: each live process's own time and that of the children it reaped."""
    children: dict[int, list[int]] = {}
    stats: dict[int, list[str]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        stats[int(entry)] = fields
        children.setdefault(int(fields[1]), []).append(int(entry))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        if pid in stats:
            total += sum(int(value) for value in stats[pid][11:15])  # utime stime cutime cstime
        todo += children.get(pid, [])
    return total / TICKS


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=2)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-celery-"))
    redis_port, feed_port = free_port(), free_port()
    name = f"regwatch_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    database_url = ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    started = [subprocess.Popen(["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
                                 "--appendonly", "no"], stdout=subprocess.DEVNULL),
               subprocess.Popen([sys.executable, str(ROOT / "benchmarks" / "feed_server.py"), str(feed_port),
                                 str(args.feeds), "5"], stdout=subprocess.PIPE, text=True)]
    started[1].stdout.readline()
    sources = [{"id": f"feed-{n}", "spider": "feed", "urls": [f"http://127.0.0.1:{feed_port}/feed/{n}.xml"],
                "schedule": {"interval": "1h"}} for n in range(args.feeds)]
    config_path = folder / "config.yaml"
    config_path.write_text(yaml.safe_dump({
        "storage": {"url": database_url}, "archive": {"enabled": False},
        "crawl": {"delay_s": 0, "obey_robots": False},
        "service": {"executor": "celery", "broker": f"redis://127.0.0.1:{redis_port}/0"}, "sources": sources}))
    config = load_config(config_path)
    with db.open_session(database_url) as session:
        runs.sync_sources(session, config.sources)
    worker = subprocess.Popen([sys.executable, "-m", "regwatch", "--config", str(config_path), "worker",
                               "--concurrency", str(args.concurrency)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, cwd=ROOT, start_new_session=True)
    try:
        finished: list = []
        executor = CeleryExecutor(config, config_path, finished.extend)
        executor.start()
        time.sleep(15)  # the worker starts (imports, pool processes)
        for number in range(args.rounds):
            finished.clear()
            cpu_before, own_before, wall = tree_cpu_s(worker.pid), _own_cpu_s(), time.monotonic()
            for source in config.sources:
                executor.submit(source.id)
            while len(finished) < args.feeds:
                time.sleep(0.2)
            seconds = time.monotonic() - wall
            cpu = tree_cpu_s(worker.pid) - cpu_before
            statuses = {outcome.status for outcome in finished}
            print(f"round {number} ({'first crawl' if number == 0 else 'unchanged'}): {args.feeds} runs in "
                  f"{seconds:.1f} s; worker tree {cpu:.2f} CPU-s = {1000 * cpu / args.feeds:.1f} ms per run; "
                  f"service {1000 * (_own_cpu_s() - own_before) / args.feeds:.1f} ms per run; statuses {statuses}",
                  flush=True)
        executor.stop()
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(60)
        for process in started:
            process.terminate()
        db.get_engine(database_url).dispose()
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _own_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    main()
