"""Runs a crawl: the sources share Scrapy crawlers (see crawler.group), each source with its own run record."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

# Imported with the runner, not inside the first crawl: Scrapy's deprecation shims in this module
# call inspect.stack(), which reads the source of every frame of the reactor's deep stack.
import scrapy.core.downloader.handlers.http11  # noqa: F401
from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings
from scrapy.spiderloader import SpiderLoader
from scrapy.utils.misc import load_object
from sqlalchemy.orm import Session, sessionmaker

from crawler.archive import ReplayIndex, WarcRecorder
from crawler.config import Config, ConfigError, SourceConfig
from crawler.errors import RegwatchError
from crawler.group import group_spider_class, settings_key
from crawler.outcome import SourceOutcome  # noqa: F401 (imported from here by others)
from crawler.run import COUNTERS, RunContext
from crawler.settings_copy import CrawlerSettings
from crawler.storage import db, runs


def starting_from(url: str) -> Callable[[Any], Iterator[Any]]:
    """A spider's first_requests() that asks for this one URL only (add by URL, record --url)."""
    def first_requests(spider: Any) -> Iterator[Any]:
        yield spider.request(url)

    return first_requests


def base_settings(config: Config, overrides: dict[str, str] | None = None, replay: bool = False) -> Settings:
    settings = CrawlerSettings()
    settings.setmodule("crawler.scrapy_settings", priority="project")
    settings.setdict(politeness(config.crawl.model_dump()), priority="project")
    if replay:  # the archive answers; no network, no robots.txt, no waiting
        settings.setdict({"ROBOTSTXT_OBEY": False, "DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False},
                         priority="project")
    settings.setdict(overrides or {}, priority="cmdline")
    if settings.get("REGWATCH_MIRROR"):
        handler = "crawler.middlewares.MirrorDownloadHandler"
        settings.set("DOWNLOAD_HANDLERS", {**settings.getdict("DOWNLOAD_HANDLERS"), "http": handler, "https": handler},
                     priority="cmdline")
    return settings


# Settings naming the classes a crawler loads when it is built.
COMPONENT_SETTINGS = ("DOWNLOADER_MIDDLEWARES", "SPIDER_MIDDLEWARES", "EXTENSIONS", "ITEM_PIPELINES")
CLASS_SETTINGS = ("DOWNLOADER", "SCHEDULER", "DUPEFILTER_CLASS", "SCHEDULER_PRIORITY_QUEUE", "SCHEDULER_MEMORY_QUEUE",
                  "STATS_CLASS", "LOG_FORMATTER")


def load_crawl_modules() -> None:
    """Import the spider modules and the components a crawler loads on its first build (the
    cookie middleware alone pulls in tldextract and requests). A crawl of many sources forks its
    children after this (crawler.parallel), so they share the imports instead of each making them."""
    settings = CrawlerSettings()
    settings.setmodule("crawler.scrapy_settings", priority="project")
    SpiderLoader.from_settings(settings)
    paths = [path for name in COMPONENT_SETTINGS for path, order in settings.getwithbase(name).items()
             if order is not None]
    paths += [settings[name] for name in CLASS_SETTINGS] + list(settings.getwithbase("DOWNLOAD_HANDLERS").values())
    for path in paths:
        if isinstance(path, str):
            load_object(path)


def politeness(crawl: dict[str, Any]) -> dict[str, Any]:
    """config.yaml's crawl block as Scrapy settings."""
    return {
        "USER_AGENT": crawl["user_agent"],
        "ROBOTSTXT_OBEY": crawl["obey_robots"],
        "DOWNLOAD_DELAY": crawl["delay_s"],
        "CONCURRENT_REQUESTS_PER_DOMAIN": crawl["concurrency_per_domain"],
        "DOWNLOAD_TIMEOUT": crawl["timeout_s"],
        "RETRY_TIMES": crawl["retries"],
        "DOWNLOAD_MAXSIZE": int(crawl["max_response_mb"] * 1024 * 1024),
        "REGWATCH_MAX_RETRY_AFTER": crawl["max_retry_after_s"],
    }


def source_custom_settings(spider_class: type, config: Config, source: SourceConfig, replay: bool) -> dict:
    """The spider's own settings and this source's crawl overrides (e.g. a slower delay), applied
    as Scrapy's per-spider custom_settings; -s on the command line still wins."""
    overrides = {}
    if source.crawl and not replay:
        overrides = politeness(source.crawl_settings(config.crawl).model_dump())
    return {**(spider_class.custom_settings or {}), **overrides}


def parse_overrides(pairs: list[str]) -> dict[str, str]:
    overrides = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise ConfigError(f"-s expects NAME=VALUE, got {pair!r}")
        overrides[name.strip()] = value
    return overrides


def select_sources(config: Config, source_ids: list[str] | None) -> list[SourceConfig]:
    """Named sources (even disabled ones), else every enabled source."""
    if source_ids:
        return [config.source(source_id) for source_id in source_ids]
    return [source for source in config.sources if source.enabled]


class Crawl:
    def __init__(self, config: Config, source_ids: list[str] | None = None, since: date | None = None,
                 replay: list[Path] | None = None, overrides: dict[str, str] | None = None,
                 on_progress: Callable[[str, str], None] | None = None, database_ready: bool = False):
        """database_ready: the schema is current and the sources table synced (a parent process
        did it before dealing the sources to several crawls, see crawler.parallel)."""
        self.config, self.since, self.on_progress = config, since, on_progress
        self.database_ready = database_ready
        self.sources = select_sources(config, source_ids)
        self.replay = ReplayIndex(replay, config.archive_dir) if replay else None
        self.settings = base_settings(config, overrides, replay=self.replay is not None)
        self.now = self._clock()
        engine = db.get_engine(config.database_url)
        if not database_ready:
            db.upgrade_schema(engine)
        self.sessions = sessionmaker(engine, expire_on_commit=False)
        self.contexts: list[RunContext] = []

    def _clock(self) -> datetime:
        """The run's 'now': the archive's day on replay, else REGWATCH_NOW (an ISO moment, to
        reproduce a past day's date-sliced queries), else the real time."""
        if self.replay is not None and self.replay.earliest:
            return self.replay.earliest
        pinned = self.settings.get("REGWATCH_NOW")
        if pinned:
            moment = datetime.fromisoformat(str(pinned).replace("Z", "+00:00"))
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        return datetime.now(UTC)

    def _contexts(self, session: Session) -> list[RunContext]:
        """A run record per selected source, all started in one transaction."""
        source_ids = [source.id for source in self.sources]
        runs.close_abandoned_runs(session, *source_ids)
        run_ids = runs.start_runs(session, source_ids, replay=self.replay is not None)
        validators = runs.load_validators_of(session, source_ids)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        contexts = []
        for source in self.sources:
            run_id = run_ids[source.id]
            context = RunContext(source=source, config=self.config, session=session, run_id=run_id, now=self.now,
                                 since=self.since, replay=self.replay, on_progress=self.on_progress,
                                 validators=validators.get(source.id, {}))
            if self.config.archive.enabled and self.replay is None:
                path = self.config.archive_dir / source.id / f"{stamp}-run{run_id}.warc.gz"
                context.recorder = WarcRecorder(path, self.config.archive_dir)
            contexts.append(context)
        return contexts

    def spider_class(self, loader: SpiderLoader, source: SourceConfig) -> type:
        """The spider for a source (add_by_url swaps in one that fetches a single URL)."""
        return loader.load(source.spider)

    def run(self) -> list[SourceOutcome]:
        # One session for every source: all of them run in the reactor's thread, and each
        # database step commits at once, so no source holds a connection for long.
        session = self.sessions()
        if not self.database_ready:
            runs.sync_sources(session, self.config.sources)
        process = CrawlerProcess(self.settings)
        loader = process.spider_loader
        groups: dict[str, tuple[dict, list]] = {}
        self.contexts = self._contexts(session)
        for source, context in zip(self.sources, self.contexts, strict=True):
            try:
                spider_class = self.spider_class(loader, source)
            except KeyError:
                context.record(ConfigError(f"unknown spider {source.spider!r} (spiders: "
                                           f"{', '.join(sorted(loader.list()))})"))
                context.finish()
                continue
            try:
                spider = spider_class(source=source, run=context)  # fails fast without a key or URL
            except RegwatchError as error:
                context.record(error)
                context.finish()
                continue
            custom = source_custom_settings(spider_class, self.config, source, self.replay is not None)
            groups.setdefault(settings_key(custom), (custom, []))[1].append(spider)
        if groups:
            for custom, members in groups.values():
                process.crawl(group_spider_class(custom), members=members, replay=self.replay)
            process.start()
        outcomes = [self._outcome(context) for context in self.contexts]
        session.close()
        return outcomes

    @staticmethod
    def _outcome(context: RunContext) -> SourceOutcome:
        if context.status_at_finish is None:  # the reactor stopped before this spider closed
            context.finish()
        counters = {name: context.counters[name] for name in COUNTERS}
        return SourceOutcome(context.source_id, context.run_id, context.status_at_finish, counters,
                             [str(error) for error in context.errors], [str(w) for w in context.warnings])
