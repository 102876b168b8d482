"""Many sources in one Scrapy crawler.

Building a Scrapy crawler (engine, downloader, middlewares, pipelines) costs more than fetching
a feed, so the sources of a crawl share crawlers: one per distinct set of crawl settings. One
downloader also means one politeness slot per site, however many sources live on it.

Each source keeps its own spider instance and run record. Its requests carry its id in
`meta[SOURCE_META]` and its batches carry its run, so middlewares, pipelines and the run
recorder know which source a request, response or item belongs to.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Request
from scrapy.utils.httpobj import urlparse_cached

from crawler.errors import ProcessingFailed, RegwatchError
from crawler.run import finish_together, store_pending_of

if TYPE_CHECKING:
    from crawler.archive import ReplayIndex
    from crawler.run import RunContext

SOURCE_META = "regwatch_source"
FINISH_BATCH_S = 0.2


class SourceGroupSpider(scrapy.Spider):
    """The one Scrapy spider of a crawler: it starts its member sources' spiders, whose own
    callbacks then parse their responses."""

    name = "regwatch"

    def __init__(self, members: list[Any], replay: ReplayIndex | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.members = {member.source.id: member for member in members}
        self.replay = replay
        self._done: list[RunContext] = []  # finished sources whose run records wait for finish_done
        self._finish_call: Any = None
        # Requests no source made (Scrapy's robots.txt fetches) belong to the first source on that host.
        self._by_host: dict[str, Any] = {}
        for member in members:
            for url in member.source.urls.values():
                self._by_host.setdefault(urlsplit(url).netloc, member)

    async def start(self):
        for member in self.members.values():
            member.run.when_done = self.run_done
            try:
                async for request in member.start():
                    yield request
            except RegwatchError as error:
                member.run.record(error)
            except Exception as error:  # one source's bug must not keep the others from starting
                member.run.record(ProcessingFailed(f"starting the crawl failed: {type(error).__name__}: {error}",
                                                   url=next(iter(member.source.urls.values()), None)))
            finally:
                member.run.mark_started()

    def member_for(self, request: Request) -> Any:
        source_id = request.meta.get(SOURCE_META)
        if source_id is not None:
            return self.members.get(source_id)
        return self._by_host.get(urlparse_cached(request).netloc)

    def run_for(self, request: Request) -> RunContext | None:
        member = self.member_for(request)
        return member.run if member is not None else None

    def runs(self) -> list[RunContext]:
        return [member.run for member in self.members.values()]

    def run_done(self, run: RunContext) -> None:
        """A source whose requests and items are all through is finished now, not when the
        crawler's slowest source is; the sources done within FINISH_BATCH_S of each other close
        their run records in one transaction (a commit costs more than an unchanged feed)."""
        self._done.append(run)
        if self._finish_call is None:
            from twisted.internet import reactor

            self._finish_call = reactor.callLater(FINISH_BATCH_S, self.finish_done)

    def finish_done(self) -> None:
        if self._finish_call is not None and self._finish_call.active():
            self._finish_call.cancel()
        self._finish_call = None
        done, self._done = self._done, []
        finish_runs(done)


def finish_runs(done: list[RunContext]) -> None:
    """Store the runs' last items and close their records, all in one transaction: a crawl killed
    meanwhile leaves neither, and the next run stores the items again."""
    if not done:
        return
    store_pending_of(done, commit=False)
    finish_together(done)
    for run in done:
        run.progress("closed")


def settings_key(custom_settings: dict[str, Any]) -> str:
    """Sources whose crawl settings are equal can share a crawler."""
    return json.dumps(custom_settings, sort_keys=True, default=str)


def group_spider_class(custom_settings: dict[str, Any]) -> type[SourceGroupSpider]:
    return type(SourceGroupSpider.__name__, (SourceGroupSpider,), {"custom_settings": custom_settings})
