"""The service's background drafting: when `drafting:` is configured, each tick starts (unless one
is still running) a pass in a worker thread that drafts recently accepted items without a draft or
editorial text, a batch at a time, so the model's latency never holds up the tick.

A failed item waits RETRY_FAILED_AFTER before it is tried again; a 429 from the endpoint pauses
drafting for as long as the endpoint asked (5 minutes when it did not say). Failures are logged
(item, endpoint, never the key)."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from crawler.config import Config
from crawler.errors import ConfigError

if TYPE_CHECKING:
    from editorial.drafting import Drafted

log = logging.getLogger(__name__)
RECENT = timedelta(days=31)  # accepted (or otherwise changed) within this window counts as newly accepted
BATCH = 20  # items per pass; the next tick starts the next pass
RETRY_FAILED_AFTER = timedelta(minutes=15)
RATE_LIMIT_PAUSE_S = 300.0  # after a 429 that did not say how long to wait
ACTOR = "regwatch-service"


class BackgroundDrafting:
    def __init__(self) -> None:
        self._thread: threading.Thread | None = None
        self._not_before: dict[int, datetime] = {}  # failed items: not before then
        self._paused_until: datetime | None = None  # the endpoint said 429 Retry-After

    def poke(self, sessions: sessionmaker[Session], config: Config) -> None:
        """Start a pass unless drafting is off or a pass is still running."""
        if config.drafting is None or not config.drafting.background:
            return
        if self._thread is not None and self._thread.is_alive():
            return
        self._thread = threading.Thread(target=self.run_pass, args=(sessions, config), name="regwatch-drafting",
                                        daemon=True)
        self._thread.start()

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def run_pass(self, sessions: sessionmaker[Session], config: Config) -> int:
        """Draft one batch; returns how many items were drafted."""
        from editorial.drafting import Drafter, draft_items
        from editorial.drafts import accepted_without_draft

        now = datetime.now(UTC)
        if self._paused_until is not None and now < self._paused_until:
            return 0
        drafted = 0
        try:
            with sessions() as session:
                due = [i for i in accepted_without_draft(session, since=now - RECENT)
                       if self._not_before.get(i, now) <= now][:BATCH]
                if not due:  # the usual tick: no endpoint client is even made
                    return 0
                with Drafter(config) as drafter:
                    for item_id in due:
                        [outcome] = draft_items(session, drafter, [item_id], ACTOR)
                        drafted += outcome.error is None
                        if not self._note(outcome, now):
                            break
        except ConfigError as error:
            log.error("background drafting is off until the config is fixed: %s", error)
        except SQLAlchemyError:  # the database restarting: the next tick tries again
            log.exception("background drafting failed")
        return drafted

    def _note(self, outcome: Drafted, now: datetime) -> bool:
        """Log the outcome; False when the endpoint asked to wait (the rest of the batch waits too)."""
        if outcome.error is None:
            self._not_before.pop(outcome.item, None)
            log.info("drafted item %d (%s)", outcome.item, outcome.draft.kind)
            return True
        log.warning("draft failed: %s", outcome.error)
        self._not_before[outcome.item] = now + RETRY_FAILED_AFTER
        if outcome.error.rate_limited:
            wait = outcome.error.retry_after if outcome.error.retry_after is not None else RATE_LIMIT_PAUSE_S
            self._paused_until = datetime.now(UTC) + timedelta(seconds=wait)
            return False
        return True


background = BackgroundDrafting()


def draft_in_background(sessions: sessionmaker[Session], config: Config) -> None:
    """The service tick's hook."""
    background.poke(sessions, config)
