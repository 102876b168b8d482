"""Downloader middlewares: WARC recording, replay from WARC, and Retry-After aware retries."""

from __future__ import annotations

import asyncio
import email.utils
from datetime import UTC, datetime

from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.responsetypes import responsetypes

from crawler.errors import RateLimited
from crawler.run import CrawlerBound


class ArchiveMiss(IgnoreRequest):
    """Replay asked for a URL the archive does not hold: an error, never a network call."""


class WarcReplayMiddleware(CrawlerBound):
    """Answers every request from the replay archive (sits right before the downloader)."""

    def process_request(self, request: Request) -> Response | None:
        replay = self.crawler.spider.replay
        if replay is None:
            return None
        archived = replay.lookup(request.url)
        if archived is None:
            raise ArchiveMiss(f"{request.url} is not in the replay archive")
        headers = {}
        for name, value in archived.headers:
            headers.setdefault(name, []).append(value)
        cls = responsetypes.from_args(headers=headers, url=request.url, body=archived.body)
        request.meta["warc"] = archived.ref
        request.meta["fetched_at"] = archived.fetched_at
        return cls(url=request.url, status=archived.status, headers=headers, body=archived.body,
                   request=request)


class WarcRecordMiddleware(CrawlerBound):
    """Writes each raw response (before decompression, redirects or retries) to the run's WARC."""

    def process_response(self, request: Request, response: Response) -> Response:
        run = self.run_for(request)
        if run is None or run.recorder is None or run.status_at_finish is not None:
            return response  # a finished run's archive is closed (a late robots.txt of its host)
        fetched_at = datetime.now(UTC)
        request.meta["fetched_at"] = fetched_at
        request.meta["warc"] = run.recorder.write(
            request.method, request.url, dict(request.headers), request.body or b"",
            response.status, dict(response.headers), response.body, fetched_at,
        )
        return response


def retry_after_seconds(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """Retry-After as seconds: either a number or an HTTP date."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        moment = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    now = now or datetime.now(UTC)
    return max(0.0, (moment - now).total_seconds())


class RetryAfterMiddleware:
    """429/503 with Retry-After: wait as asked (up to max_retry_after_s), then retry; else give up
    with a RateLimited error that names the wait the server asked for."""

    def __init__(self, retries: int, max_wait: float):
        self.retries, self.max_wait = retries, max_wait

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        return cls(settings.getint("RETRY_TIMES"), settings.getfloat("REGWATCH_MAX_RETRY_AFTER"))

    async def process_response(self, request: Request, response: Response):
        if response.status not in (429, 503) or b"Retry-After" not in response.headers:
            return response
        wait = retry_after_seconds(response.headers.get(b"Retry-After"))
        attempts = request.meta.get("retry_after_attempts", 0)
        if wait is None or wait > self.max_wait or attempts >= self.retries:
            raise RateLimited(
                f"HTTP {response.status}: the server asks to wait {response.headers.get(b'Retry-After', b'').decode()}"
                f" (after {attempts} polite retries)", url=request.url)
        await asyncio.sleep(wait)
        retry = request.replace(dont_filter=True)
        retry.meta["retry_after_attempts"] = attempts + 1
        retry.meta.pop("warc", None)
        return retry


class MirrorDownloadHandler:
    """Sends every http(s) request to one mirror server instead of the source's host.

    Enabled by the REGWATCH_MIRROR setting (e.g. `-s REGWATCH_MIRROR=http://127.0.0.1:8080`):
    https://www.whitehouse.gov/feed/?x=1 is fetched as {mirror}/https/www.whitehouse.gov/feed/?x=1.
    Spiders, the WARC and the database still see the original URL, so a whole default config,
    links found in pages included, can be crawled against a local copy of the sites.
    """

    lazy = False

    def __init__(self, crawler):
        from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler

        self.mirror = crawler.settings.get("REGWATCH_MIRROR").rstrip("/")
        self.inner = HTTP11DownloadHandler(crawler)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def download_request(self, request: Request) -> Response:
        mirrored = request.replace(url=mirror_url(self.mirror, request.url))
        response = await self.inner.download_request(mirrored)
        return response.replace(url=request.url, request=request)

    async def close(self) -> None:
        await self.inner.close()


def mirror_url(mirror: str, url: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{mirror}/{scheme}/{rest}"
