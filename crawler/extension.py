"""Scrapy extension that keeps a source's run record in step with the crawl."""

from __future__ import annotations

from scrapy import Spider, signals
from scrapy.http import Response

from crawler.errors import FetchFailed


class RunRecorder:
    def __init__(self, crawler):
        crawler.signals.connect(self.response_received, signal=signals.response_received)
        crawler.signals.connect(self.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def response_received(self, response: Response, request, spider: Spider) -> None:
        run = getattr(spider, "run", None)
        if run is not None and not request.url.endswith("/robots.txt"):
            run.counters["requests"] += 1
            run.progress("response")

    def item_scraped(self, item, response, spider: Spider) -> None:
        run = getattr(spider, "run", None)
        if run is not None:
            for _ in item.items:
                run.progress("item")

    def spider_closed(self, spider: Spider, reason: str) -> None:
        run = getattr(spider, "run", None)
        if run is None:
            return
        if reason not in ("finished",):
            run.record(FetchFailed(f"crawl stopped before the end ({reason})",
                                   url=next(iter(spider.source.urls.values()))))
        run.finish()
        run.progress("closed")
