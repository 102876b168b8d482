"""The few named kinds of failure a source run can record."""

from __future__ import annotations


class RegwatchError(Exception):
    """A failure that belongs to one source and, usually, one URL."""

    kind = "error"

    def __init__(self, message: str, *, source: str | None = None, url: str | None = None):
        super().__init__(message)
        self.message = message
        self.source = source
        self.url = url

    def __str__(self) -> str:
        where = f" ({self.url})" if self.url else ""
        who = f"{self.source}: " if self.source else ""
        return f"{who}{self.message}{where}"


class ConfigError(RegwatchError):
    kind = "config"


class FetchFailed(RegwatchError):
    kind = "fetch_failed"


class SourceBlocked(RegwatchError):
    """Anti-bot page, captcha, HTTP 403 or robots.txt disallow: never parsed into items."""

    kind = "blocked"


class Unparseable(RegwatchError):
    kind = "unparseable"


class NoDocument(Unparseable):
    """The page itself says there is no document (deleted, withdrawn): not a selector that missed,
    so the generic reader is not asked to read it."""


class WrongKind(Unparseable):
    """The response is not the kind of document the parser reads (a web page where an API answer
    was expected): no selector missed, so the generic reader is not asked either."""


class RateLimited(RegwatchError):
    kind = "rate_limited"


class NotConfigured(RegwatchError):
    """A source that needs something the user has not given (an API key, a URL)."""

    kind = "not_configured"


class Unauthorized(RegwatchError):
    kind = "unauthorized"


class SuspiciousEmpty(RegwatchError):
    """A source that normally yields items yielded none: the usual sign of a redesign."""

    kind = "empty"


class StoreFailed(RegwatchError):
    """Parsed items could not be stored (a database error); the run fails and keeps no validators,
    so the next run fetches the same documents again."""

    kind = "store_failed"


class ProcessingFailed(RegwatchError):
    """An unexpected exception while processing a response's items (a bug, not bad input)."""

    kind = "processing_failed"


class Incomplete(RegwatchError):
    """A source said how many documents it published and the crawl got fewer."""

    kind = "incomplete"


class ReadWarning(RegwatchError):
    """Something a run shows without failing: items still came, but not the usual way."""

    kind = "warning"


class SelectorMissed(ReadWarning):
    """A source's own selectors found nothing on a page the generic reader could read: the site
    has probably changed; items were kept (extraction "generic") and the source is `degraded`."""

    kind = "selector_missed"


class MalformedFeed(ReadWarning):
    """A feed that is not well-formed XML, from which entries were still recovered."""

    kind = "malformed_feed"


class DraftFailed(RegwatchError):
    """A bulletin draft the model endpoint did not give (no answer in time, an error status, a
    reply that is not the JSON object asked for); names the item and the endpoint, never the key.
    Nothing stored changes. `rate_limited`: HTTP 429, `retry_after`: the seconds it asked to wait."""

    kind = "draft_failed"

    def __init__(self, message: str, *, item: int, endpoint: str | None, retry_after: float | None = None,
                 rate_limited: bool = False):
        super().__init__(message, source=f"item {item}", url=endpoint)
        self.item = item
        self.retry_after = retry_after
        self.rate_limited = rate_limited


WARNING_KINDS = frozenset({ReadWarning.kind, SelectorMissed.kind, MalformedFeed.kind})


class ServiceError(RegwatchError):
    """The service cannot start or go on: e.g. its broker does not answer (named, password masked)."""

    kind = "service"
