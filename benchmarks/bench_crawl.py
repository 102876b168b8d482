"""Crawl benchmark: 200 feed sources x 50 entries on loopback, end to end, against a floor.

    python benchmarks/bench_crawl.py [--feeds 200] [--entries 50] [--repeat 3]

Floor: the same feeds fetched one by one with urllib and parsed with bare feedparser, in the same
run (these machines are noisy, so only ratios are compared). Measures:
  1. first crawl (fetch, parse, normalize, dedupe, store, archive) / floor    goal <= 1.5
  2. second crawl of the unchanged feeds / floor                              goal <= 0.3
     (nothing stored, one conditional request per feed)
The crawl is timed inside a fresh process once Regwatch's modules are imported, as the floor is
timed with urllib and feedparser imported; the `regwatch crawl` command's wall time, interpreter
start-up, imports and summary table included, is reported beside it. Peak memory is reported.
Floor and crawls run in interleaved rounds; the fastest round of each is compared.
"""

from __future__ import annotations

import argparse
import resource
import shutil
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


def crawl_command(config: Path) -> float:
    """Wall seconds of the `regwatch crawl` command: interpreter start and imports included."""
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "regwatch", "--config", str(config), "crawl"],
                            capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"crawl failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    return elapsed


def crawl(config: Path) -> tuple[float, float]:
    """(seconds, peak RSS in MB) of the crawl the command runs, timed inside a fresh process once
    Regwatch is imported, as the floor is timed with urllib and feedparser imported."""
    result = subprocess.run([sys.executable, __file__, "--crawl-only", str(config)], capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"crawl failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    seconds, peak_mb = map(float, result.stdout.split())
    return seconds, peak_mb


def crawl_only(config_path: str) -> None:
    sys.path.insert(0, str(ROOT))
    from crawler.config import load_config
    from crawler.parallel import crawl_in_processes

    config = load_config(config_path)
    started = time.perf_counter()
    outcomes = crawl_in_processes(config, None, None, None, {})
    elapsed = time.perf_counter() - started
    if any(outcome.status != "ok" for outcome in outcomes):
        raise SystemExit(f"crawl failed: {[o for o in outcomes if o.status != 'ok'][:3]}")
    peak_kb = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    print(f"{elapsed:.4f} {peak_kb / 1024:.1f}")


def rounds(base: str, folder: Path, feeds: int, repeat: int) -> dict[str, list[float]]:
    """`repeat` interleaved rounds of floor, first crawl and second crawl: a disturbance of the
    machine then hits both sides of a ratio, and the least disturbed round of each is compared."""
    times: dict[str, list[float]] = {"floor": [], "first": [], "second": [], "peak_mb": []}
    config = write_config(folder, base, feeds)
    for _ in range(repeat):
        shutil.rmtree(folder / "regwatch-data", ignore_errors=True)  # the database, WAL files, archive
        times["floor"].append(floor(base, feeds)[0])
        first_s, peak_mb = crawl(config)
        times["first"].append(first_s)
        times["peak_mb"].append(peak_mb)
        times["second"].append(crawl(config)[0])
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--entries", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3, help="interleaved rounds; the fastest of each is compared")
    parser.add_argument("--crawl-only", metavar="CONFIG", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.crawl_only:
        crawl_only(args.crawl_only)
        return
    port = free_port()
    server = subprocess.Popen([sys.executable, str(ROOT / "benchmarks" / "feed_server.py"), str(port),
                               str(args.feeds), str(args.entries)], stdout=subprocess.PIPE, text=True)
    server.stdout.readline()
    base = f"http://127.0.0.1:{port}"
    try:
        with tempfile.TemporaryDirectory() as name:
            folder = Path(name)
            times = rounds(base, folder, args.feeds, args.repeat)
            database = folder / "regwatch-data" / "regwatch.db"
            with sqlite3.connect(database) as connection:
                stored = connection.execute("select count(*) from documents").fetchone()[0]
                not_modified = connection.execute(
                    "select sum(not_modified), sum(items_new) from crawl_runs where id > ?", (args.feeds,)).fetchone()
            config = folder / "config.yaml"
            command_second_s = crawl_command(config)
            shutil.rmtree(folder / "regwatch-data")
            command_first_s = crawl_command(config)
    finally:
        server.terminate()
    floor_s, first_s, second_s = min(times["floor"]), min(times["first"]), min(times["second"])
    print(f"feeds={args.feeds} entries/feed={args.entries} stored={stored}; fastest of {args.repeat} rounds")
    print(f"floor (urllib + feedparser, serial): {floor_s:.2f} s   rounds: {_listed(times['floor'])}")
    print(f"first crawl:  {first_s:.2f} s  = {first_s / floor_s:.2f} x floor (goal <= 1.5), peak RSS "
          f"{max(times['peak_mb']):.0f} MB   rounds: {_listed(times['first'])}")
    print(f"second crawl: {second_s:.2f} s  = {second_s / floor_s:.2f} x floor (goal <= 0.3), "
          f"304s={not_modified[0]} new items={not_modified[1]}   rounds: {_listed(times['second'])}")
    print(f"`regwatch crawl` command, start-up and summary included: first {command_first_s:.2f} s "
          f"({command_first_s / floor_s:.2f} x), second {command_second_s:.2f} s ({command_second_s / floor_s:.2f} x)")


def _listed(values: list[float]) -> str:
    return ", ".join(f"{value:.2f}" for value in values)


if __name__ == "__main__":
    main()
