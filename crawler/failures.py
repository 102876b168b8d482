"""Turning Scrapy/Twisted failures into Regwatch's named errors, with the URL they concern."""

from __future__ import annotations

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
)
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet import error as twisted_errors

from crawler.errors import FetchFailed, RateLimited, RegwatchError, SourceBlocked, Unauthorized

_TIMEOUTS = (DownloadTimeoutError, twisted_errors.TimeoutError, twisted_errors.TCPTimedOutError)
_UNREACHABLE = (CannotResolveHostError, DownloadConnectionRefusedError, twisted_errors.DNSLookupError,
                twisted_errors.ConnectionRefusedError, twisted_errors.ConnectError)


def _http_error(status: int, url: str) -> RegwatchError:
    if status == 401:
        return Unauthorized("HTTP 401: the API key or token was refused", url=url)
    if status == 403:
        return SourceBlocked("HTTP 403 Forbidden: the site refuses the crawler", url=url)
    if status == 412:  # what Chinese government sites' bot walls (Ruishu 瑞数) answer a crawler
        return SourceBlocked("HTTP 412 Precondition Failed: the site's bot wall wants a browser", url=url)
    if status == 429:
        return RateLimited("HTTP 429 Too Many Requests (no usable Retry-After)", url=url)
    return FetchFailed(f"HTTP {status}", url=url)


def _ignored(message: str, url: str) -> RegwatchError:
    if "robots.txt" in message:
        return SourceBlocked("robots.txt disallows this URL", url=url)
    if "max redirections" in message:
        return FetchFailed("redirect loop: too many redirects", url=url)
    return FetchFailed(message, url=url)


def classify_failure(failure) -> RegwatchError:
    """A named error for a failed request: what was expected and what came instead."""
    url = failure.request.url if getattr(failure, "request", None) else None
    value = failure.value
    if isinstance(value, RegwatchError):
        value.url = value.url or url
        return value
    if isinstance(value, HttpError):
        return _http_error(value.response.status, url)
    if isinstance(value, IgnoreRequest):
        return _ignored(str(value), url)
    if isinstance(value, DownloadCancelledError):
        # Scrapy cancels a body without Content-Length once it outgrows DOWNLOAD_MAXSIZE, saying nothing.
        reason = str(value) or "the body grew larger than crawl.max_response_mb without a Content-Length"
        return FetchFailed(f"download cancelled: {reason}", url=url)
    if isinstance(value, _TIMEOUTS):
        return FetchFailed(f"timed out: {value}", url=url)
    if isinstance(value, _UNREACHABLE):
        return FetchFailed(f"cannot connect: {value}", url=url)
    return FetchFailed(f"{type(value).__name__}: {value}", url=url)
