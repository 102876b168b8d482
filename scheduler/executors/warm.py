"""The code of a warm crawl process: a batch of due sources crawled together in one Scrapy reactor.

The local executor's fork server imports this module once (and with it Scrapy, SQLAlchemy, the
spiders and the components a crawler loads); each batch is a process forked from that server, so
a batch starts in milliseconds and a crash or hang in it reaches only its own sources."""

from __future__ import annotations

import os
import sys
import traceback
from multiprocessing.connection import Connection

from crawler.config import Config
from crawler.runner import Crawl, load_crawl_modules
from crawler.storage import db

load_crawl_modules()  # in the fork server, before any batch is forked: see there

EXCEPTION_EXIT = 3  # the batch raised: not one of `regwatch crawl`'s normal exit codes


def crawl_batch(sender: Connection, config: Config, source_ids: list[str], overrides: dict[str, str],
                stderr_path: str) -> None:
    """A batch process: crawl the sources in one reactor and send their outcomes to the service."""
    # Its own session: stopping the batch reaches whatever it started, and a Ctrl-C in the service's
    # terminal reaches the service alone, which then stops its batches and records their runs.
    os.setsid()
    log = os.open(stderr_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(log, 2)  # Scrapy's log and any crash message: the service keeps the tail for the run's error
    os.close(log)
    try:
        outcomes = Crawl(config, source_ids, overrides=overrides, database_ready=True).run()
        sender.send(outcomes)
    except BaseException:
        traceback.print_exc()
        sys.stderr.flush()
        os._exit(EXCEPTION_EXIT)
    finally:
        db.get_engine(config.database_url).dispose()
    sender.close()
