"""A crawl of many sources dealt to several processes, one per CPU.

Parsing, normalizing and storing are CPU work, and one Python process uses one core. So a crawl
of many sources forks children (after the imports, so a child starts in milliseconds), and each
runs an ordinary Crawl of its share; the parent shows their progress and gathers their outcomes.

Politeness holds across the children. A host is only split between children when it asks for no
delay between requests (global `delay_s: 0` and no per-source crawl overrides), and then its
per-domain concurrency is divided between them; every other host stays whole in one child.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from multiprocessing.connection import Connection, wait
from pathlib import Path
from urllib.parse import urlsplit

from crawler.config import Config, SourceConfig
from crawler.run import COUNTERS
from crawler.runner import Crawl, SourceOutcome, load_crawl_modules, select_sources
from crawler.storage import db, runs

load_crawl_modules()  # before any fork: see there

# Below this many sources per process, forking costs more than it saves.
SOURCES_PER_PROCESS = 10
ITEM_BUNDLE = 25  # item progress events a child sends at once


def process_count(config: Config, sources: list[SourceConfig]) -> int:
    """crawl.processes if set, else one per CPU when there are enough sources to share."""
    if config.crawl.processes is not None:
        return min(config.crawl.processes, max(1, len(sources)))
    return max(1, min(os.cpu_count() or 1, len(sources) // SOURCES_PER_PROCESS))


@dataclass
class Share:
    sources: list[SourceConfig]
    split_ways: int = 1  # into how many children its most divided host is split


def _host(source: SourceConfig) -> str:
    first = next(iter(source.urls.values()), "")
    return urlsplit(first).netloc


def plan(config: Config, sources: list[SourceConfig], processes: int) -> list[Share]:
    """Deal the sources to `processes` shares: whole hosts to the least loaded share, the
    sources of a no-delay host one by one."""
    by_host: dict[str, list[SourceConfig]] = {}
    for source in sources:
        by_host.setdefault(_host(source), []).append(source)
    shares = [Share([]) for _ in range(processes)]
    splittable = config.crawl.delay_s == 0
    hosts = sorted(by_host.values(), key=len, reverse=True)
    for group in hosts:
        if splittable and len(group) > 1 and not any(source.crawl for source in group):
            touched = set()
            for source in group:
                share = min(shares, key=lambda s: len(s.sources))
                share.sources.append(source)
                touched.add(id(share))
            for share in shares:
                if id(share) in touched:
                    share.split_ways = max(share.split_ways, len(touched))
        else:
            min(shares, key=lambda s: len(s.sources)).sources.extend(group)
    return [share for share in shares if share.sources]


def crawl_in_processes(config: Config, source_ids: list[str] | None, since: date | None,
                       replay: list[Path] | None, overrides: dict[str, str],
                       on_progress: Callable[[str, str], None] | None = None,
                       processes: int | None = None) -> list[SourceOutcome]:
    """Crawl the selected sources, in as many processes as `process_count` says."""
    sources = select_sources(config, source_ids)
    processes = processes or process_count(config, sources)
    if processes <= 1:
        return Crawl(config, source_ids, since=since, replay=replay, overrides=overrides,
                     on_progress=on_progress).run()
    # The schema and the sources table are made ready once, before the children write.
    with db.open_session(config.database_url) as session:
        runs.sync_sources(session, config.sources)
    db.get_engine(config.database_url).dispose()  # no pooled connection is shared with a child
    context = multiprocessing.get_context("fork")
    children: dict[Connection, tuple[multiprocessing.Process, Share]] = {}
    for share in plan(config, sources, processes):
        share_overrides = dict(overrides)
        if share.split_ways > 1 and "CONCURRENT_REQUESTS_PER_DOMAIN" not in overrides:
            per_child = max(1, config.crawl.concurrency_per_domain // share.split_ways)
            share_overrides["CONCURRENT_REQUESTS_PER_DOMAIN"] = str(per_child)
        receiver, sender = context.Pipe(duplex=False)
        child = context.Process(target=_crawl_share, daemon=False,
                                args=(sender, config, [s.id for s in share.sources], since, replay, share_overrides))
        child.start()
        sender.close()
        children[receiver] = (child, share)
    outcomes = _gather(children, on_progress, config)
    return [outcomes[source.id] for source in sources]


def _crawl_share(sender: Connection, config: Config, source_ids: list[str], since: date | None,
                 replay: list[Path] | None, overrides: dict[str, str]) -> None:
    """A child: an ordinary crawl of its share, its progress and outcomes sent to the parent."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    db.get_engine(config.database_url).dispose(close=False)  # the parent's connections are not ours

    items: dict[str, int] = {}

    def progress(source_id: str, event: str) -> None:
        # Items are counted here and sent in bundles: a crawl has thousands of them.
        if event == "item":
            items[source_id] = items.get(source_id, 0) + 1
            if items[source_id] < ITEM_BUNDLE:
                return
        if items.get(source_id):
            sender.send(("progress", source_id, "item", items.pop(source_id)))
        if event != "item":
            sender.send(("progress", source_id, event, 1))

    outcomes = Crawl(config, source_ids, since=since, replay=replay, overrides=overrides,
                     on_progress=progress, database_ready=True).run()
    sender.send(("outcomes", outcomes))
    sender.close()


def _gather(children: dict[Connection, tuple[multiprocessing.Process, Share]],
            on_progress: Callable[[str, str], None] | None, config: Config) -> dict[str, SourceOutcome]:
    outcomes: dict[str, SourceOutcome] = {}
    # A signal to the parent alone (kill PID) reaches the children, which close their runs;
    # the parent waits for them either way.
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    for sig in previous:
        signal.signal(sig, lambda number, _frame: [os.kill(c.pid, number) for c, _ in children.values() if c.pid])
    try:
        open_pipes = list(children)
        while open_pipes:
            for pipe in wait(open_pipes):
                try:
                    message = pipe.recv()
                except EOFError:
                    open_pipes.remove(pipe)
                    continue
                if message[0] == "progress" and on_progress is not None:
                    for _ in range(message[3]):
                        on_progress(message[1], message[2])
                elif message[0] == "outcomes":
                    outcomes.update((o.source_id, o) for o in message[1])
        for child, _ in children.values():
            child.join()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    lost = [(child, s) for child, share in children.values() for s in share.sources if s.id not in outcomes]
    for child, source in lost:
        outcomes[source.id] = _lost_outcome(config, source, child.exitcode)
    return outcomes


def _lost_outcome(config: Config, source: SourceConfig, exitcode: int | None) -> SourceOutcome:
    """A child died before reporting: its sources' unfinished runs are closed as failed, and a
    run it finished before dying stands as recorded."""
    message = f"crawl process exited with code {exitcode} before this source finished"
    with db.open_session(config.database_url) as session:
        runs.close_abandoned_runs(session, source.id, message=message)
        last = runs.last_finished_run(session, source.id)
        if last is None:
            return SourceOutcome(source.id, 0, "failed", dict.fromkeys(COUNTERS, 0), [message])
        errors = [error.message for error in runs.run_errors(session, last.id)]
        return SourceOutcome(source.id, last.id, last.status, {name: getattr(last, name) for name in COUNTERS}, errors)
