"""`regwatch parse`: a source's parser run on a saved response, exactly as in a live crawl."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scrapy import Request
from scrapy.http import Headers
from scrapy.responsetypes import responsetypes
from scrapy.settings import Settings
from scrapy.spiderloader import SpiderLoader

from crawler.config import Config, ConfigError
from crawler.errors import ReadWarning, RegwatchError, Unparseable
from crawler.items import CandidateItem
from crawler.pipelines import normalize_item
from crawler.relevance_model.model import RelevanceModel
from crawler.relevance_model.registry import active_model

# Example files (tests/examples) are parsed as if fetched at this moment, so their expected files are stable.
EXAMPLE_FETCHED_AT = datetime(2025, 2, 7, 12, 0, tzinfo=UTC)


def read_headers(path: Path) -> dict[str, str]:
    """Optional `<file>.headers` beside an example: 'Name: value' lines, as the site sent them."""
    headers: dict[str, str] = {}
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            name, sep, value = line.partition(":")
            if sep:
                headers[name.strip()] = value.strip()
    return headers


def spider_for(config: Config, source_id: str):
    source = config.source(source_id)
    settings = Settings()
    settings.setmodule("crawler.scrapy_settings")
    try:
        spider_class = SpiderLoader.from_settings(settings).load(source.spider)
    except KeyError:
        raise ConfigError(f"source {source_id!r}: unknown spider {source.spider!r}") from None
    return spider_class(source=source)


@dataclass
class Parsed:
    """What a crawl would do with one saved response."""

    items: list[CandidateItem] = field(default_factory=list)       # normalized, as they would be stored
    follow: list[str] = field(default_factory=list)                # URLs the crawl would fetch next
    warnings: list[ReadWarning] = field(default_factory=list)      # e.g. the selectors that missed


def parse_saved(config: Config, source_id: str, path: Path, url: str, fetched_at: datetime,
                headers: dict[str, str] | None = None) -> Parsed:
    """Run a source's parsers on a saved response exactly as a live crawl would. Every failure is a
    RegwatchError naming the source and URL (a parser bug becomes Unparseable, not a traceback)."""
    spider = spider_for(config, source_id)
    body = path.read_bytes()
    headers = headers if headers is not None else read_headers(path.with_name(path.name + ".headers"))
    scrapy_headers = Headers(headers)
    response_class = responsetypes.from_args(headers=scrapy_headers, url=url, body=body)
    request = Request(url, meta={"fetched_at": fetched_at})
    response = response_class(url=url, body=body, headers=scrapy_headers, request=request)
    try:
        return _parsed(spider, response, active_model(config))
    except RegwatchError:
        raise
    except Exception as error:  # a parser bug on odd input: reported like the crawl reports it
        raise Unparseable(f"parser failed: {type(error).__name__}: {error}", source=source_id, url=url) from error


def _parsed(spider, response, model: RelevanceModel | None) -> Parsed:
    parsed = Parsed()
    for result in spider.parse_response(response):
        if isinstance(result, ReadWarning):
            parsed.warnings.append(result)
        elif isinstance(result, CandidateItem):
            if not result.title and spider.is_listing(response):
                parsed.follow.append(result.url)  # a sitemap page: its own page gives the title
                continue
            normalized = normalize_item(result, spider.source, model)
            if normalized is not None:
                parsed.items.append(normalized)
        else:
            parsed.follow.append(result.url)
    return parsed


def parse_file(config: Config, source_id: str, path: Path, url: str, fetched_at: datetime,
               headers: dict[str, str] | None = None) -> tuple[list[CandidateItem], list[str]]:
    """(normalized items, URLs the crawl would follow next) for one saved response."""
    parsed = parse_saved(config, source_id, path, url, fetched_at, headers)
    return parsed.items, parsed.follow


def expected_json(items: list[dict[str, Any]]) -> str:
    """An example's expected file: the items `regwatch parse --full` prints, as one JSON list with
    sorted keys and indented, so that a change reads well in a diff."""
    return json.dumps(items, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
