"""Sending one message to one apprise URL, with the reason when it fails, and channels named
without their secrets in logs and the database."""

from __future__ import annotations

import hashlib
import logging
import threading
from concurrent.futures import ThreadPoolExecutor

import apprise


class _ThreadLog(logging.Handler):
    """Apprise reports a failure only in its log: keep this thread's warnings."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.thread = threading.get_ident()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            self.lines.append(record.getMessage())


def channel_key(url: str) -> str:
    """A stable name for a channel that does not contain its secrets."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]


def channel_label(url: str) -> str:
    if not url:
        return "(empty URL)"
    plugin = apprise.Apprise.instantiate(url)
    if plugin is None:
        return url.split("://", 1)[0] + "://(invalid)"
    return plugin.url(privacy=True).split("?", 1)[0]  # the query holds apprise's defaults, not the channel


def send(url: str, title: str, body: str) -> str | None:
    """None when the channel accepted the message, else why it did not."""
    if not url:
        return "the channel URL is empty (an unset ${VAR} in config.yaml?)"
    notifier = apprise.Apprise()
    if not notifier.add(url):
        return f"not a valid apprise URL: {channel_label(url)}"
    capture = _ThreadLog()
    logger = logging.getLogger("apprise")
    logger.addHandler(capture)
    try:
        delivered = notifier.notify(title=title, body=body, body_format=apprise.NotifyFormat.TEXT)
    except Exception as error:  # noqa: BLE001 - a plugin bug must not stop the other channels
        return f"{type(error).__name__}: {error}"
    finally:
        logger.removeHandler(capture)
    if delivered:
        return None
    return "; ".join(dict.fromkeys(capture.lines)) or f"{channel_label(url)} refused the message"


def send_all(urls: list[str], title: str, body: str) -> dict[str, str | None]:
    """Every channel at once, so a slow or dead one does not hold up the others."""
    if not urls:
        return {}
    with ThreadPoolExecutor(max_workers=min(8, len(urls))) as pool:
        results = pool.map(lambda url: send(url, title, body), urls)
        return dict(zip(urls, results, strict=True))
