"""The child process of add by URL: one fetch through the crawl pipeline (Scrapy's reactor
starts once per process, so a web app or a service cannot run it twice in its own process).

It reads a request as JSON on stdin, picks the parser (the configured source whose site the URL
is on, e.g. mp.weixin.qq.com -> `wechat`, which reads it with its detail parser or the generic
reader; else the generic `page` spider), crawls the one URL as source `added` (the response archived to WARC, the item
normalized, deduplicated and stored like any other), and prints one JSON line with the run.

The URL is a person's, so the crawl runs behind the outbound guard (crawler.outbound_guard): no
request, redirect or link it leads to reaches an address inside the network, unless the request
says `allow_private_urls` (web.allow_private_urls). Scheduled crawls of configured sources never
pass here and are not guarded.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scrapy.settings import Settings
from scrapy.spiderloader import SpiderLoader

from crawler.config import Config, SourceConfig, load_config
from crawler.errors import RegwatchError
from crawler.normalize import canonical_url
from crawler.outbound_guard import guard_settings
from crawler.runner import Crawl, starting_from
from editorial.add_by_url import ADDED_SOURCE, RESULT_MARK

# Hosts whose pages a spider reads though no configured URL of its source is on them
# (the wechat source is configured with bridge feeds, its articles live on mp.weixin.qq.com).
DETAIL_HOSTS = {"wechat": ("mp.weixin.qq.com",)}


def _spider_loader() -> SpiderLoader:
    settings = Settings()
    settings.setmodule("crawler.scrapy_settings")
    return SpiderLoader.from_settings(settings)


def added_source(source: SourceConfig | None, url: str) -> SourceConfig:
    """Source `added` reading with `source`'s spider and settings (its URLs kept, so the spider
    still knows its index pages), or the generic page spider."""
    if source is None:
        host = urlsplit(url).hostname or url
        return SourceConfig(id=ADDED_SOURCE, spider="page", name="Added by URL", authority=host, urls={"url": url})
    # Keywords would filter out what an editor chose to add; the schedule is not used.
    fields = source.model_dump(exclude={"id", "name", "schedule", "expected_cadence", "enabled", "keywords"})
    return SourceConfig(**fields, id=ADDED_SOURCE, name=f"Added by URL ({source.id})")


def choose_source(config: Config, url: str, loader: SpiderLoader) -> SourceConfig | None:
    """The configured source whose site the URL is on: every source reads a document page of its
    site, with its own detail parser or the generic reader (a URL that is one of its indexes is
    not a document)."""
    host = urlsplit(url).hostname
    for source in config.sources:
        hosts = {urlsplit(u).hostname for u in source.urls.values()} | set(DETAIL_HOSTS.get(source.spider, ()))
        if host not in hosts:
            continue
        try:
            spider = loader.load(source.spider)(source=added_source(source, url))
        except (KeyError, RegwatchError):
            continue
        if not spider.is_index(url):
            return source
    return None


class OneUrlCrawl(Crawl):
    """A crawl of source `added` that requests one URL, whatever the spider would start from,
    and notes the (canonical) URLs of the items it read, so the caller finds what was stored."""

    def __init__(self, config: Config, url: str, overrides: dict[str, str], guarded: bool = True) -> None:
        super().__init__(config, [ADDED_SOURCE], overrides=overrides)
        self.url = url
        self.item_urls: list[str] = []
        if guarded:
            guard_settings(self.settings)

    def spider_class(self, loader: SpiderLoader, source: SourceConfig) -> type:
        base = super().spider_class(loader, source)
        url, item_urls = self.url, self.item_urls

        def follow(spider, response, items):
            item_urls.extend(canonical_url(item.url) for item in items)
            return base.follow(spider, response, items)

        return type(base.__name__, (base,), {"first_requests": starting_from(url), "follow": follow})


def fetch(request: dict[str, Any]) -> dict[str, Any]:
    config = load_config(request["config_path"]) if request.get("config_path") else Config()
    config.storage.url = request["database_url"]
    config.archive.dir = Path(request["archive_dir"])
    config.archive.enabled = request["archive_enabled"]
    url = request["url"]
    matched = choose_source(config, url, _spider_loader())
    config.sources = [*[s for s in config.sources if s.id != ADDED_SOURCE], added_source(matched, url)]
    # Missing means guarded: the parent's config object (not the file) says whether to allow.
    guarded = not request.get("allow_private_urls", False)
    crawl = OneUrlCrawl(config, url, request.get("settings") or {}, guarded=guarded)
    [outcome] = crawl.run()
    return {"run_id": outcome.run_id, "status": outcome.status, "counters": outcome.counters,
            "errors": outcome.errors, "parser": matched.id if matched else "page", "item_urls": crawl.item_urls}


def main() -> None:
    request = json.loads(sys.stdin.read())
    try:
        result = fetch(request)
    except RegwatchError as error:
        result = {"run_id": None, "status": "failed", "counters": {}, "parser": None,
                  "errors": [str(error)], "error_kind": error.kind}
    sys.stdout.write(RESULT_MARK + json.dumps(result, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
