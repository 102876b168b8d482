"""Scrapy extension that keeps each source's run record in step with the crawl."""

from __future__ import annotations

from scrapy import Spider, signals
from scrapy.http import Response

from crawler.errors import FetchFailed, ProcessingFailed


class RunRecorder:
    def __init__(self, crawler):
        crawler.signals.connect(self.response_received, signal=signals.response_received)
        crawler.signals.connect(self.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.item_error, signal=signals.item_error)
        crawler.signals.connect(self.item_dropped, signal=signals.item_dropped)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def response_received(self, response: Response, request, spider: Spider) -> None:
        run = spider.run_for(request)
        if run is not None and not request.url.endswith("/robots.txt"):
            run.counters["requests"] += 1
            run.progress("response")

    def item_scraped(self, item, response, spider: Spider) -> None:
        run = getattr(item, "run", None)
        if run is not None:
            for _ in item.items:
                run.progress("item")
            run.end_work()

    def item_dropped(self, item, response, exception, spider: Spider) -> None:
        run = getattr(item, "run", None)
        if run is not None:
            run.end_work()

    def item_error(self, item, response: Response, spider: Spider, failure) -> None:
        """A pipeline raised: Scrapy only logs it, but the run must not end 'ok'."""
        run = getattr(item, "run", None)
        if run is not None:
            error = failure.value
            run.record(ProcessingFailed(f"processing items failed: {error.__class__.__name__}: {error}",
                                        url=response.url if response is not None else None))
            run.end_work()

    def spider_closed(self, spider: Spider, reason: str) -> None:
        spider.finish_done()
        for run in spider.runs():
            if run.status_at_finish is not None:  # finished as soon as it was done
                continue
            if reason not in ("finished",):
                run.record(FetchFailed(f"crawl stopped before the end ({reason})",
                                       url=next(iter(run.source.urls.values()))))
            run.finish()
            run.progress("closed")
