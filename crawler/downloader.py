"""Scrapy's downloader, with its per-site concurrency kept.

Scrapy 2.19 (asyncio reactor) hands each request leaving a slot's queue to a new asyncio task,
and the task marks the request as transferring only when it starts running. A slot draining a
queue of several requests therefore sends all of them at once, whatever
CONCURRENT_REQUESTS_PER_DOMAIN says (seen when many sources of one site share a crawler).
Marking the request the moment it is handed over keeps the limit.
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any

from scrapy import Request
from scrapy.core.downloader import Downloader, Slot
from twisted.internet.defer import Deferred


class PoliteDownloader(Downloader):
    def _wait_for_download(self, slot: Slot, request: Request, queue_dfd: Deferred) -> Coroutine[Any, Any, None]:
        slot.transferring.add(request)  # Scrapy's _download adds it again and removes it when done
        return super()._wait_for_download(slot, request, queue_dfd)
