"""Crawl benchmark: 200 feed sources x 50 entries on loopback, end to end, against a floor.

    python benchmarks/bench_crawl.py [--feeds 200] [--entries 50]

Floor: the same feeds fetched one by one with urllib and parsed with bare feedparser, in the same
run (these machines are noisy, so only ratios are compared). Measures:
  1. first crawl (fetch, parse, normalize, dedupe, store, archive) / floor    goal <= 1.5
  2. second crawl of the unchanged feeds / floor                              goal <= 0.3
     (nothing stored, one conditional request per feed)
Peak memory of the crawl process is reported.
"""

from __future__ import annotations

import argparse
import resource
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import feedparser
import yaml

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def floor(base: str, feeds: int) -> tuple[float, int]:
    started, entries = time.perf_counter(), 0
    for n in range(feeds):
        with urllib.request.urlopen(f"{base}/feed/{n}.xml") as response:
            entries += len(feedparser.parse(response.read()).entries)
    return time.perf_counter() - started, entries


def write_config(folder: Path, base: str, feeds: int) -> Path:
    sources = [{"id": f"feed-{n}", "spider": "feed", "urls": [f"{base}/feed/{n}.xml"], "jurisdiction": "US"}
               for n in range(feeds)]
    config = {"storage": {"url": "sqlite:///regwatch-data/regwatch.db"}, "archive": {"dir": "regwatch-data/archive"},
              "crawl": {"delay_s": 0, "obey_robots": False, "concurrency_per_domain": 8}, "sources": sources}
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def crawl(config: Path) -> tuple[float, float]:
    """(seconds, peak RSS in MB) of one `regwatch crawl` child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "crawler", "--config", str(config), "crawl"],
                            capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"crawl failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return elapsed, max(peak, before) / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--entries", type=int, default=50)
    args = parser.parse_args()
    port = free_port()
    server = subprocess.Popen([sys.executable, str(ROOT / "benchmarks" / "feed_server.py"), str(port),
                               str(args.feeds), str(args.entries)], stdout=subprocess.PIPE, text=True)
    server.stdout.readline()
    base = f"http://127.0.0.1:{port}"
    try:
        with tempfile.TemporaryDirectory() as folder:
            config = write_config(Path(folder), base, args.feeds)
            floor_s, entries = floor(base, args.feeds)
            first_s, peak_mb = crawl(config)
            second_s, _ = crawl(config)
            floor_again_s, _ = floor(base, args.feeds)
            floor_s = min(floor_s, floor_again_s)
            database = Path(folder) / "regwatch-data" / "regwatch.db"
            stored = sqlite3.connect(database).execute("select count(*) from documents").fetchone()[0]
            not_modified = sqlite3.connect(database).execute(
                "select sum(not_modified), sum(items_new) from crawl_runs where id > ?", (args.feeds,)).fetchone()
    finally:
        server.terminate()
    print(f"feeds={args.feeds} entries/feed={args.entries} entries={entries} stored={stored}")
    print(f"floor (urllib + feedparser, serial): {floor_s:.2f} s")
    print(f"first crawl:  {first_s:.2f} s  = {first_s / floor_s:.2f} x floor (goal <= 1.5), peak RSS {peak_mb:.0f} MB")
    print(f"second crawl: {second_s:.2f} s  = {second_s / floor_s:.2f} x floor (goal <= 0.3), "
          f"304s={not_modified[0]} new items={not_modified[1]}")


if __name__ == "__main__":
    main()
