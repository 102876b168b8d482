"""Service benchmark: `regwatch serve` as it runs unattended, everything on loopback.

    python benchmarks/bench_service.py [--sources 40] [--trials 5] [--idle-s 60]
    python benchmarks/bench_service.py --sources 5000 --interval 15m --periods 2 [--trials 3]

The service watches `--sources` hourly feeds (about the size of the default config) plus one
feed on a 1-minute schedule, with an alert rule posting to a JSON webhook receiver. Measures:
  1. the service's resident memory once its first crawls are done and it sits idle
     (the long-running process; crawls are short-lived child processes, reported apart)   goal <= 150 MB
  2. the time from a new entry appearing in the 1-minute feed to its alert arriving at the
     webhook receiver, with the entry added at evenly spread moments after a fetch, so the
     worst phase (just after a fetch) is among the trials                                  goal <= 70 s
With --periods K the feeds are due every --interval and, once their first crawls are done, K
whole periods are measured (bench_scale.py): the CPU of the whole process tree (service, fork
server, batch processes) per scheduled run of an unchanged feed (goal <= 20 ms), the share of
the machine it uses (goal <= 50%), and the due runs completed before the next was due (goal >= 99%).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
FEED_TYPE = "application/rss+xml; charset=UTF-8"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def rss(base: str, entries: list[tuple[str, str, datetime]]) -> bytes:
    items = "".join(f"<item><title>{title}</title><link>{base}{path}</link><guid>{base}{path}</guid>"
                    f"<pubDate>{format_datetime(moment)}</pubDate><description>An agency notice about "
                    f"artificial intelligence oversight.</description></item>" for title, path, moment in entries)
    return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Agency</title>'
            f"<link>{base}/</link><description>News</description>{items}</channel></rss>").encode()


SUBJECTS = ("emissions", "bank capital", "drug labels", "pipeline safety", "export controls", "tariffs",
            "wage rules", "water quality", "broadband", "pesticides", "aviation noise", "student loans",
            "crop insurance", "mine safety", "rail tank cars", "medical devices", "securities filings",
            "food labels", "organ transplants", "nuclear waste", "fisheries", "payment apps", "housing grants")
ACTIONS = ("proposes changes to", "finalizes its rule on", "opens comment on", "withdraws guidance on",
           "issues a notice about", "extends the deadline for", "announces a hearing on", "corrects its rule on")
PLACES = ("Alaska", "Ohio", "the Gulf region", "tribal lands", "small businesses", "rural areas", "ports",
          "hospitals", "schools", "border crossings", "federal contractors")


def headline(feed: int, entry: int) -> str:
    """A different headline per entry, as real agencies write them (the stories grouping would
    otherwise join thousands of near-identical synthetic titles)."""
    n = feed * 10 + entry
    return (f"Agency {feed} {ACTIONS[n % len(ACTIONS)]} {SUBJECTS[(n // 8) % len(SUBJECTS)]} in "
            f"{PLACES[(n // 184) % len(PLACES)]} (docket {feed}-{entry})")


class Loopback:
    """The feeds and the webhook receiver, with the moments of feed fetches and webhook posts."""

    def __init__(self, sources: int, entries: int = 10) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        now = datetime.now(UTC)
        self.static = {f"/feed/{n}.xml": rss(self.base, [(headline(n, k), f"/news/{n}/{k}", now)
                                                         for k in range(entries)])
                       for n in range(sources)}
        self.minute_entries = [(f"Standing notice {k} on artificial intelligence", f"/minute/{k}", now)
                               for k in range(3)]
        self.minute_fetches: list[float] = []
        self.posts: list[tuple[float, dict]] = []
        self.lock = threading.Lock()
        loopback = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802
                if self.path == "/feed/minute.xml":
                    with loopback.lock:
                        loopback.minute_fetches.append(time.monotonic())
                        body = rss(loopback.base, loopback.minute_entries)
                else:
                    body = loopback.static.get(self.path)
                if body is None:
                    self._send(404, b"")
                    return
                etag = f'"{hash(body) & 0xFFFFFFFF:x}"'
                if self.headers.get("If-None-Match") == etag:
                    self._send(304, b"", etag)
                else:
                    self._send(200, body, etag)

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with loopback.lock:
                    loopback.posts.append((time.monotonic(), json.loads(body)))
                self._send(200, b"")

            def _send(self, status: int, body: bytes, etag: str | None = None) -> None:
                self.send_response(status)
                if etag:
                    self.send_header("ETag", etag)
                if body:
                    self.send_header("Content-Type", FEED_TYPE)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        ThreadingHTTPServer.request_queue_size = 256
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def publish(self, title: str, path: str) -> None:
        with self.lock:
            self.minute_entries.insert(0, (title, path, datetime.now(UTC)))


def write_config(folder: Path, loopback: Loopback, sources: int, web_port: int, interval: str = "1h") -> Path:
    feeds = [{"id": f"agency-{n}", "spider": "feed", "urls": [f"{loopback.base}/feed/{n}.xml"],
              "jurisdiction": "US", "schedule": {"interval": interval}} for n in range(sources)]
    feeds.append({"id": "minute", "spider": "feed", "urls": [f"{loopback.base}/feed/minute.xml"],
                  "jurisdiction": "US", "schedule": {"interval": "1m"}})  # default jitter, as a user writes it
    config = {"storage": {"url": "sqlite:///regwatch-data/regwatch.db"}, "archive": {"dir": "regwatch-data/archive"},
              "crawl": {"delay_s": 0, "obey_robots": False}, "sources": feeds,
              "alerts": [{"id": "ai", "match": {"sources": ["minute"], "keywords": ["artificial intelligence"]},
                          "notify": [f"json://127.0.0.1:{loopback.port}/hook"]}],
              "service": {"web_port": web_port}}
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def children(pid: int) -> list[int]:
    """Child processes of any thread of `pid`."""
    return [int(child) for task in Path(f"/proc/{pid}/task").iterdir()
            for child in (task / "children").read_text().split()]


def descendants(pid: int) -> list[int]:
    direct = children(pid)
    return direct + [grandchild for child in direct for grandchild in descendants(child)]


class MemoryWatch:
    """Samples every 0.25 s the RSS of the service, of its crawl fork server (its child) and of the
    batch processes forked from that (its grandchildren)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.service: list[tuple[float, float, bool]] = []  # (moment, MB, a crawl was running)
        self.fork_server_peak = 0.0
        self.child_peak = 0.0
        self.stop = threading.Event()
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        while not self.stop.wait(0.25):
            try:
                direct = children(self.pid)
                crawls = [grandchild for child in direct for grandchild in children(child)]
                for child in direct:
                    self.fork_server_peak = max(self.fork_server_peak, rss_mb(child))
                for child in crawls:
                    self.child_peak = max(self.child_peak, rss_mb(child))
                self.service.append((time.monotonic(), rss_mb(self.pid), bool(crawls)))
            except (FileNotFoundError, ProcessLookupError, ValueError):
                continue

    def idle(self, since: float) -> list[float]:
        return [mb for moment, mb, crawling in self.service if moment >= since and not crawling]


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise SystemExit(f"timed out after {timeout:.0f}s waiting for {what}")


def alert_latency(loopback: Loopback, trial: int, offset_s: float) -> float:
    """Add an entry `offset_s` after a fetch of the minute feed; seconds until its alert arrives."""
    fetches = len(loopback.minute_fetches)
    wait_for(lambda: len(loopback.minute_fetches) > fetches, 150, "a fetch of the 1-minute feed")
    time.sleep(offset_s)
    title = f"Trial {trial}: new rule on artificial intelligence"
    posted = len(loopback.posts)
    loopback.publish(title, f"/minute/trial-{trial}")
    added = time.monotonic()
    arrived = wait_for(lambda: next((at for at, post in loopback.posts[posted:] if title in post.get("title", "")),
                                    None), 180, f"the alert of trial {trial}")
    return arrived - added


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sources", type=int, default=40)
    parser.add_argument("--trials", type=int, default=5)
    parser.add_argument("--idle-s", type=float, default=60)
    parser.add_argument("--interval", default="1h", help="schedule of the feeds (with --periods)")
    parser.add_argument("--periods", type=int, default=0, help="measure this many whole periods (bench_scale.py)")
    parser.add_argument("--entries", type=int, default=10, help="entries per feed (with --periods)")
    args = parser.parse_args()
    if args.periods:
        from bench_scale import measure_scale

        measure_scale(args)
        return
    loopback = Loopback(args.sources)
    with tempfile.TemporaryDirectory() as folder:
        config = write_config(Path(folder), loopback, args.sources, free_port())
        environment = {k: v for k, v in os.environ.items() if k != "REGWATCH_DATABASE_URL"}
        log = (Path(folder) / "serve.log").open("w")
        service = subprocess.Popen([sys.executable, "-m", "regwatch", "--config", str(config), "serve"],
                                   stdout=log, stderr=subprocess.STDOUT, cwd=folder, env=environment)
        watch = MemoryWatch(service.pid)
        try:
            started = time.monotonic()
            wait_for(lambda: "regwatch service started" in (Path(folder) / "serve.log").read_text(), 60, "start")
            startup_s = time.monotonic() - started
            database = Path(folder) / "regwatch-data" / "regwatch.db"
            crawled = wait_for(lambda: _first_crawls_done(database, args.sources + 1), 600, "the first crawls")
            first_crawls_s = time.monotonic() - started
            idle_from = time.monotonic()
            time.sleep(args.idle_s)
            idle = watch.idle(idle_from)
            offsets = [0.5 + (58.5 * n / max(1, args.trials - 1)) for n in range(args.trials)]
            latencies = [alert_latency(loopback, n, offset) for n, offset in enumerate(offsets)]
            web = "web app on http" in (Path(folder) / "serve.log").read_text()
            service_peak = max(mb for _, mb, _ in watch.service)
        finally:
            watch.stop.set()
            service.send_signal(signal.SIGTERM)
            service.wait(60)
            log.close()
    print(f"sources: {args.sources} hourly feeds + 1 one-minute feed; web app in process: {web}")
    print(f"start-up {startup_s:.1f} s; first crawls of all {crawled} sources done after {first_crawls_s:.0f} s")
    print(f"idle service RSS over {args.idle_s:.0f} s: median {sorted(idle)[len(idle) // 2]:.0f} MB, "
          f"max {max(idle):.0f} MB (goal <= 150 MB); service peak during the run {service_peak:.0f} MB; "
          f"crawl fork server {watch.fork_server_peak:.0f} MB, batch process peak {watch.child_peak:.0f} MB")
    print("new entry -> alert at the webhook, s: " + ", ".join(f"{s:.1f}" for s in latencies)
          + f" (added {', '.join(f'{o:.0f}' for o in offsets)} s after a fetch)")
    print(f"median {sorted(latencies)[len(latencies) // 2]:.1f} s, worst {max(latencies):.1f} s (goal <= 70 s)")


def _first_crawls_done(database: Path, expected: int) -> int | None:
    if not database.exists():
        return None
    try:
        with sqlite3.connect(database) as connection:
            done = connection.execute("select count(distinct source_id) from crawl_runs "
                                      "where finished_at is not null").fetchone()[0]
    except sqlite3.OperationalError:  # tables not created yet
        return None
    return done if done >= expected else None


if __name__ == "__main__":
    main()
