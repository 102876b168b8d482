"""The service's daily relevance training: once a day, when at least `relevance.retrain_after`
accept or reject decisions were taken since the newest trained model, a new model is trained on
the starter set and every decision, in a worker thread (a minute of scikit-learn must not hold up
the tick), and the items awaiting review are scored again with it. Crawls started after that
score with the new model."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from crawler.config import Config
from crawler.storage import service_state as state

log = logging.getLogger(__name__)
CHECKED = "relevance.training_checked_at"
EVERY = timedelta(days=1)


class DailyTraining:
    def __init__(self) -> None:
        self._thread: threading.Thread | None = None

    def poke(self, sessions: sessionmaker[Session], config: Config, now: datetime | None = None) -> bool:
        """Start a check (and a training when due) unless one ran within a day or is still running."""
        now = now or datetime.now(UTC)
        if self._thread is not None and self._thread.is_alive():
            return False
        with sessions() as session:
            checked = state.get_moment(session, CHECKED)
            if checked is not None and now - checked < EVERY:
                return False
            state.put_moment(session, CHECKED, now)
            session.commit()
        self._thread = threading.Thread(target=self.check_and_train, args=(sessions, config, now),
                                        name="regwatch-relevance-training", daemon=True)
        self._thread.start()
        return True

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    @staticmethod
    def check_and_train(sessions: sessionmaker[Session], config: Config, now: datetime) -> str | None:
        """The new model's version, or None when too few decisions were taken since the last one."""
        from crawler.relevance_model.learning import due_for_training, train

        try:
            with sessions() as session:
                due, new = due_for_training(config, session)
                if not due:
                    log.info("relevance model not retrained: %d new decisions, %d needed", new,
                             config.relevance.retrain_after)
                    return None
                report = train(config, session, now=now)
        except SQLAlchemyError:  # the database restarting: tomorrow's check tries again
            log.exception("relevance training failed")
            return None
        except ValueError as error:  # too few examples of one kind, unreadable starter data
            log.error("relevance training failed: %s", error)
            return None
        log.info("relevance model %s trained on %d examples (%d new decisions); %d items re-scored",
                 report.version, report.counts["examples"], new, report.rescored)
        return report.version


daily = DailyTraining()


def train_when_due(sessions: sessionmaker[Session], config: Config) -> None:
    """The service tick's hook."""
    daily.poke(sessions, config)
