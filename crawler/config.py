"""pydantic models of config.yaml: the one source of truth for settings.

This is the only module that reads environment variables: ``REGWATCH_CONFIG``,
``REGWATCH_DATABASE_URL`` and ``${VAR}`` references inside the file.
"""

from __future__ import annotations

import os
import re
from datetime import time, timedelta
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator

from crawler.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_USER_AGENT = "Regwatch/0.1 (+https://github.com/regwatch/regwatch)"
Category = Literal["law_regulation", "standard", "court", "guidance", "industry"]

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|d)?\s*$")
_DURATION_UNITS = {None: 1, "s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")

# Where a source's jurisdiction implies its calendar; a source may set `timezone` itself.
_TIMEZONE_BY_COUNTRY = {
    "US": "America/New_York",
    "CN": "Asia/Shanghai",
    "GB": "Europe/London",
    "EU": "Europe/Brussels",
    "IT": "Europe/Rome",
    "FR": "Europe/Paris",
    "VA": "Europe/Rome",
    "DE": "Europe/Berlin",
}


def parse_duration(value: Any) -> timedelta:
    """'45s', '30m', '6h', '1d' or a number of seconds."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int | float):
        return timedelta(seconds=value)
    match = _DURATION.match(str(value))
    if not match:
        raise ValueError(f"invalid duration {value!r}: use e.g. 45s, 30m, 6h or 1d")
    return timedelta(seconds=float(match.group(1)) * _DURATION_UNITS[match.group(2)])


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StorageConfig(_Strict):
    url: str = "sqlite:///regwatch-data/regwatch.db"


class ArchiveConfig(_Strict):
    dir: Path = Path("regwatch-data/archive")
    enabled: bool = True


class CrawlConfig(_Strict):
    obey_robots: bool = True
    delay_s: float = Field(1.0, ge=0)
    concurrency_per_domain: int = Field(2, ge=1)
    timeout_s: float = Field(30, gt=0)
    retries: int = Field(2, ge=0)
    max_response_mb: float = Field(20, gt=0)
    user_agent: str = DEFAULT_USER_AGENT
    max_retry_after_s: float = Field(120, ge=0)
    lookback_days: int = Field(14, ge=1)
    max_pages: int = Field(20, ge=1)
    # Crawl processes; unset: one per CPU when a crawl has enough sources (see crawler.parallel).
    processes: int | None = Field(None, ge=1)


class Schedule(_Strict):
    interval: timedelta | None = None
    cron: str | None = None
    jitter_s: int = Field(60, ge=0)

    @field_validator("interval", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> timedelta | None:
        return None if value is None else parse_duration(value)

    @model_validator(mode="after")
    def _one_of(self) -> Schedule:
        if (self.interval is None) == (self.cron is None):
            raise ValueError("give exactly one of interval or cron")
        if self.cron is not None and len(self.cron.split()) != 5:
            raise ValueError(f"cron {self.cron!r} must have 5 fields: minute hour day month weekday")
        if self.cron is not None:
            _check_cron(self.cron)
        return self


def _check_cron(expression: str) -> None:
    from datetime import UTC, datetime

    from crawler.schedule import cron_trigger  # lazily: APScheduler only when a cron line is given

    try:
        fires = cron_trigger(expression, "UTC").get_next_fire_time(None, datetime.now(UTC))
    except ValueError as error:
        raise ValueError(f"cron {expression!r}: {error}") from None
    if fires is None:
        raise ValueError(f"cron {expression!r} never fires")


class SourceRelevance(_Strict):
    # How likely any item of this source is on topic before reading it (an AI company's newsroom: high).
    prior: float = Field(0.0, ge=0, le=1)


# Rejection reasons that mean "not about AI": those rejections teach the relevance model; others
# (duplicate, out of period, ...) say nothing about the topic. Matched case-insensitively as parts.
OFF_TOPIC_REASONS = ["off-topic", "off topic", "offtopic", "not ai", "not about ai", "irrelevant", "unrelated",
                     "不相关", "无关", "非ai", "非人工智能", "跑题", "离题"]


class RelevanceConfig(_Strict):
    """The trained relevance model (see crawler.relevance_model and docs/relevance.md)."""

    models_dir: Path = Path("regwatch-data/models")
    # A version in models_dir, or "starter" for the shipped model; unset: the newest trained, else the starter.
    model: str | None = None
    # The service trains a new model once this many decisions were taken since the last one.
    retrain_after: int = Field(20, ge=1)
    off_topic_reasons: list[str] = Field(default_factory=lambda: list(OFF_TOPIC_REASONS))


class SourceConfig(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    spider: str
    urls: dict[str, str]
    name: str | None = None
    authority: str | None = None
    jurisdiction: str | None = Field(None, pattern=r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$")
    category: Category | None = None
    language: str | None = None
    timezone: str | None = None
    schedule: Schedule = Field(default_factory=lambda: Schedule(interval=timedelta(hours=6)))
    query: str | None = None
    keywords: list[str] = Field(default_factory=list)
    relevance: SourceRelevance = Field(default_factory=SourceRelevance)
    enabled: bool = True
    proxy: str | None = None
    api_key: str | None = None
    crawl: dict[str, Any] = Field(default_factory=dict)
    options: dict[str, Any] = Field(default_factory=dict)
    # How often the source normally publishes; when unset the scheduler learns it from history.
    expected_cadence: timedelta | None = None

    @field_validator("expected_cadence", mode="before")
    @classmethod
    def _cadence(cls, value: Any) -> timedelta | None:
        return None if value is None else parse_duration(value)

    @field_validator("urls", mode="before")
    @classmethod
    def _urls_as_mapping(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {"url": value}
        if isinstance(value, list):
            return {("url" if i == 0 else f"url{i + 1}"): url for i, url in enumerate(value)}
        return value

    @field_validator("urls")
    @classmethod
    def _urls_present(cls, value: dict[str, str]) -> dict[str, str]:
        if not value:
            raise ValueError("at least one URL is needed")
        for key, url in value.items():
            if not re.match(r"^https?://", url):
                raise ValueError(f"urls.{key}: {url!r} is not an http(s) URL")
        return value

    @model_validator(mode="after")
    def _defaults(self) -> SourceConfig:
        self.name = self.name or self.id
        self.authority = self.authority or self.name
        if self.timezone is None and self.jurisdiction:
            self.timezone = _TIMEZONE_BY_COUNTRY.get(self.jurisdiction.split("-")[0])
        self.timezone = self.timezone or "UTC"
        return self

    def crawl_settings(self, base: CrawlConfig) -> CrawlConfig:
        """The global crawl politeness with this source's overrides applied."""
        return CrawlConfig.model_validate({**base.model_dump(), **self.crawl})


class AlertMatch(_Strict):
    """Which items a rule alerts on; every given filter must match, an empty one matches all."""

    sources: list[str] = Field(default_factory=list)
    jurisdictions: list[str] = Field(default_factory=list)  # "US" also matches "US-NJ"
    categories: list[Category] = Field(default_factory=list)
    doc_types: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)  # any one, case-insensitive, in title/summary/text
    min_relevance: float = Field(0.0, ge=0, le=1)
    updates: bool = False  # also alert when an already-alerted item changes


class AlertRule(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    match: AlertMatch = Field(default_factory=AlertMatch)
    notify: list[str] = Field(min_length=1)  # apprise URLs
    mode: Literal["immediate", "digest"] = "immediate"
    digest_at: time | None = None
    timezone: str = "UTC"
    language: Literal["en", "zh"] = "en"

    @field_validator("notify", mode="before")
    @classmethod
    def _unset_secret(cls, value: Any) -> Any:
        # An unset ${VAR} must not stop every command: the channel fails, and says why, when used.
        return ["" if url is None else url for url in value] if isinstance(value, list) else value

    @field_validator("digest_at", mode="before")
    @classmethod
    def _yaml_sexagesimal(cls, value: Any) -> Any:
        # YAML 1.1 reads an unquoted 8:30 as the number 510 (minutes): read it back as a time.
        if isinstance(value, int) and not isinstance(value, bool):
            return time(value // 60 % 24, value % 60)
        return value

    @model_validator(mode="after")
    def _digest_time(self) -> AlertRule:
        if self.mode == "digest" and self.digest_at is None:
            raise ValueError("mode digest needs digest_at, e.g. '08:00'")
        return self


BROKER_SCHEMES = ("redis", "rediss", "amqp", "amqps")


class ServiceConfig(_Strict):
    """`regwatch serve`: time limits, error backoff, health thresholds, the operator channel."""

    crawl_time_limit: timedelta = timedelta(minutes=30)
    stop_grace: timedelta = timedelta(seconds=10)  # a stopped crawl's time to close its run before SIGKILL
    misfire_grace: timedelta = timedelta(minutes=10)
    max_parallel_crawls: int = Field(2, ge=1)
    max_backoff: timedelta = timedelta(hours=6)
    broken_after: int = Field(3, ge=1)
    operator_notify: list[str] = Field(default_factory=list)
    operator_language: Literal["en", "zh"] = "en"
    delivery_attempts: int = Field(8, ge=1)
    delivery_backoff: timedelta = timedelta(seconds=30)
    tick: timedelta = timedelta(seconds=5)
    crawl_settings: dict[str, str] = Field(default_factory=dict)  # Scrapy -s NAME=VALUE for every crawl
    web_host: str | None = None  # default: web.host
    web_port: int | None = Field(None, ge=0, le=65535)  # default: web.port
    # Where due runs are crawled: `local` (warm processes of `regwatch serve`) or `celery` (the
    # `regwatch worker` processes on any machine sharing this config, the broker and the database).
    executor: Literal["local", "celery"] = "local"
    broker: str | None = None  # celery: redis://[:PASSWORD@]HOST:PORT/DB or amqp://USER:PASSWORD@HOST:PORT/VHOST

    @field_validator("crawl_time_limit", "stop_grace", "misfire_grace", "max_backoff", "delivery_backoff", "tick",
                     mode="before")
    @classmethod
    def _duration(cls, value: Any) -> timedelta:
        return parse_duration(value)

    @model_validator(mode="after")
    def _celery_broker(self) -> ServiceConfig:
        if self.executor != "celery":
            return self
        if not self.broker:
            raise ValueError("executor celery needs a broker: a redis:// or amqp:// URL")
        scheme = self.broker.partition("://")[0].lower()
        if scheme not in BROKER_SCHEMES or "://" not in self.broker:
            raise ValueError(f"broker must be a redis://, rediss://, amqp:// or amqps:// URL, "
                             f"got one starting {scheme + '://' if '://' in self.broker else 'without a scheme'}")
        return self


class LoginThrottle(_Strict):
    """How many wrong passwords a login accepts before it answers 429 for a while."""

    account_failures: int = Field(5, ge=1)    # per account within `window`
    address_failures: int = Field(20, ge=1)   # per client address within `window`, whatever the account
    window: timedelta = timedelta(minutes=15)
    lockout: timedelta = timedelta(minutes=15)

    @field_validator("window", "lockout", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> timedelta:
        return parse_duration(value)


class WebConfig(_Strict):
    """`regwatch web`: where the triage app listens, its session key, its default language, and how
    it is deployed (behind a TLS proxy, inside a firm's network)."""

    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    # Signs session cookies; when unset the app generates one once and keeps it under regwatch-data/.
    secret_key: str | None = None
    language: Literal["zh", "en"] = "zh"
    # Add by URL may fetch loopback, private, link-local and reserved addresses (a lab setup only).
    allow_private_urls: bool = False
    # The session cookie is sent over https only (set it when a TLS proxy serves the app).
    secure_cookies: bool = False
    # Addresses or networks of reverse proxies whose X-Forwarded-For / X-Forwarded-Proto count.
    trusted_proxies: list[str] = Field(default_factory=list)
    login_throttle: LoginThrottle = Field(default_factory=LoginThrottle)

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        import ipaddress

        for entry in value:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(f"{entry!r} is not an IP address or network") from None
        return value


class BulletinSection(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    title_zh: str
    title_en: str


def _default_sections() -> list[BulletinSection]:
    return [BulletinSection(id="law", title_zh="法律与监管动态", title_en="Laws and regulation"),
            BulletinSection(id="industry", title_zh="行业动态", title_en="Industry news")]


class BulletinConfig(_Strict):
    """The monthly bulletin `regwatch export` drafts: its title and sections, in order."""

    title_zh: str = "人工智能法律监管月报"
    title_en: str = "AI Regulation Monthly"
    sections: list[BulletinSection] = Field(default_factory=_default_sections, min_length=1)
    # Text taken from a draft no editor has saved is marked 〔草稿〕 (editorial.bulletin.DRAFT_MARK).
    mark_unreviewed_drafts: bool = True

    @field_validator("sections")
    @classmethod
    def _unique_sections(cls, value: list[BulletinSection]) -> list[BulletinSection]:
        ids = [section.id for section in value]
        if len(ids) != len(set(ids)):
            raise ValueError(f"section ids must be unique: {ids}")
        return value

    @property
    def section_ids(self) -> tuple[str, ...]:
        return tuple(section.id for section in self.sections)


class StoriesConfig(_Strict):
    """One story per event across sources (crawler.stories): items of different sources published
    within `window_days` of each other join when their evidence scores at least `min_score`."""

    window_days: int = Field(4, ge=0, le=60)
    min_score: float = Field(1.0, gt=0)


class DraftingConfig(_Strict):
    """Bulletin drafts (`regwatch draft`, the service, the item page): a title and 摘要 per accepted
    item from an OpenAI-compatible chat-completions endpoint; without `endpoint`, the document's own
    lead sentences (see editorial.drafting)."""

    endpoint: str | None = None  # e.g. http://localhost:11434/v1 (see editorial.drafting.client.completions_url)
    model: str | None = None
    # "${VAR}": read from the environment here, kept as a SecretStr, never printed, logged or stored.
    api_key: SecretStr | None = None
    language: Literal["zh"] = "zh"
    prompt: Path | None = None  # a prompt file of the group's own (relative to config.yaml); default: the project's
    max_chars: int = Field(600, ge=50, le=5000)  # the longest 摘要 accepted
    max_title_chars: int = Field(120, ge=20, le=500)
    max_input_chars: int = Field(12_000, ge=500)  # of the document's text sent to the model
    timeout_s: float = Field(60, gt=0)
    temperature: float = Field(0.2, ge=0, le=2)
    background: bool = True  # `regwatch serve` drafts newly accepted items

    @field_validator("endpoint")
    @classmethod
    def _http_endpoint(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^\s/]+", value):
            raise ValueError("must be an http(s) URL, e.g. http://localhost:11434/v1")
        return value

    @model_validator(mode="after")
    def _model_with_endpoint(self) -> DraftingConfig:
        if self.endpoint and not self.model:
            raise ValueError("an endpoint needs a model name, e.g. model: qwen2.5:7b-instruct")
        return self


class Config(_Strict):
    storage: StorageConfig = Field(default_factory=StorageConfig)
    archive: ArchiveConfig = Field(default_factory=ArchiveConfig)
    crawl: CrawlConfig = Field(default_factory=CrawlConfig)
    sources: list[SourceConfig] = Field(default_factory=list)
    alerts: list[AlertRule] = Field(default_factory=list)
    service: ServiceConfig = Field(default_factory=ServiceConfig)
    web: WebConfig = Field(default_factory=WebConfig)
    bulletin: BulletinConfig = Field(default_factory=BulletinConfig)
    relevance: RelevanceConfig = Field(default_factory=RelevanceConfig)
    stories: StoriesConfig = Field(default_factory=StoriesConfig)
    drafting: DraftingConfig | None = None
    path: Path | None = None

    @model_validator(mode="after")
    def _unique_ids(self) -> Config:
        seen: set[str] = set()
        for source in self.sources:
            if source.id in seen:
                raise ValueError(f"source id {source.id!r} appears twice")
            seen.add(source.id)
        rule_ids = [rule.id for rule in self.alerts]
        if len(rule_ids) != len(set(rule_ids)):
            raise ValueError(f"alert rule ids must be unique: {rule_ids}")
        return self

    @model_validator(mode="after")
    def _service_web_defaults(self) -> Config:
        """`regwatch serve` runs the web app where `regwatch web` would, unless told otherwise."""
        if self.service.web_host is None:
            self.service.web_host = self.web.host
        if self.service.web_port is None:
            self.service.web_port = self.web.port
        return self

    def alert_rule(self, rule_id: str) -> AlertRule:
        for rule in self.alerts:
            if rule.id == rule_id:
                return rule
        known = ", ".join(r.id for r in self.alerts) or "none"
        raise ConfigError(f"no alert rule {rule_id!r} in {self.path} (known: {known})")

    def source(self, source_id: str) -> SourceConfig:
        for source in self.sources:
            if source.id == source_id:
                return source
        known = ", ".join(s.id for s in self.sources) or "none"
        raise ConfigError(f"no source {source_id!r} in {self.path} (known: {known})")

    @property
    def base_dir(self) -> Path:
        return self.path.parent if self.path else Path.cwd()

    def resolve(self, path: Path) -> Path:
        """Relative paths in the config are relative to the config file's folder."""
        return path if path.is_absolute() else (self.base_dir / path)

    @property
    def archive_dir(self) -> Path:
        return self.resolve(self.archive.dir)

    @property
    def models_dir(self) -> Path:
        return self.resolve(self.relevance.models_dir)

    @property
    def database_url(self) -> str:
        return resolve_database_url(self.storage.url, self.base_dir)


def resolve_database_url(url: str, base_dir: Path) -> str:
    """Make a relative SQLite path absolute against base_dir and create its folder."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and url != "sqlite:///:memory:":
        db_path = Path(url[len(prefix):])
        if not db_path.is_absolute():
            db_path = base_dir / db_path
        db_path.parent.mkdir(parents=True, exist_ok=True)
        return prefix + str(db_path)
    return url


def find_config_path(explicit: str | Path | None = None) -> Path:
    """--config, then REGWATCH_CONFIG, then ./config.yaml, then the project's own config.yaml."""
    candidates = [explicit, os.environ.get("REGWATCH_CONFIG")]
    for candidate in candidates:
        if candidate:
            path = Path(candidate).expanduser()
            if not path.is_file():
                raise ConfigError(f"config file {path} does not exist")
            return path.resolve()
    for path in (Path.cwd() / "config.yaml", PROJECT_ROOT / "config.yaml"):
        if path.is_file():
            return path.resolve()
    raise ConfigError("no config.yaml found: pass --config PATH or set REGWATCH_CONFIG")


def _expand_env(value: Any) -> Any:
    """Replace ${VAR} in strings; an unset variable becomes empty (the source then reports it)."""
    if isinstance(value, str):
        expanded = _ENV_REF.sub(lambda m: os.environ.get(m.group(1), ""), value)
        return expanded if expanded or not _ENV_REF.search(value) else None
    if isinstance(value, list):
        return [_expand_env(v) for v in value]
    if isinstance(value, dict):
        return {k: _expand_env(v) for k, v in value.items()}
    return value


def _describe(error: ValidationError, where: str) -> str:
    lines = []
    for problem in error.errors():
        field = ".".join(str(part) for part in problem["loc"]) or "(top level)"
        lines.append(f"{where}: field '{field}': {problem['msg']}")
    return "\n".join(lines)


def _validate_sources(raw_sources: Any, path: Path) -> list[SourceConfig]:
    if raw_sources is None:
        return []
    if not isinstance(raw_sources, list):
        raise ConfigError(f"{path}: 'sources' must be a list")
    sources, problems = [], []
    for index, raw in enumerate(raw_sources):
        source_id = raw.get("id", "?") if isinstance(raw, dict) else "?"
        try:
            sources.append(SourceConfig.model_validate(_expand_env(raw)))
        except ValidationError as error:
            problems.append(_describe(error, f"{path}: source '{source_id}' (sources[{index}])"))
    if problems:
        raise ConfigError("\n".join(problems))
    return sources


def load_config(path: str | Path | None = None) -> Config:
    """Read and validate config.yaml; errors name the field and the source id."""
    config_path = find_config_path(path)
    try:
        raw = yaml.safe_load(config_path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise ConfigError(f"{config_path}: not valid YAML: {error}") from error
    if not isinstance(raw, dict):
        raise ConfigError(f"{config_path}: the top level must be a mapping")
    sources = _validate_sources(raw.pop("sources", None), config_path)
    try:
        config = Config.model_validate({**_expand_env(raw), "path": config_path})
    except ValidationError as error:
        raise ConfigError(_describe(error, str(config_path))) from error
    config.sources = sources
    try:
        Config._unique_ids(config)
    except ValueError as error:
        raise ConfigError(f"{config_path}: {error}") from error
    if os.environ.get("REGWATCH_DATABASE_URL"):
        config.storage.url = os.environ["REGWATCH_DATABASE_URL"]
    return config
