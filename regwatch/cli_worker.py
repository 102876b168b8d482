"""`regwatch worker`: a Celery worker crawling the runs `regwatch serve` sends (service.executor:
celery). Start one on every machine that shares the config, the broker and the database.
Thin, like regwatch.cli: scheduler.executors.celery_worker does the work."""

from __future__ import annotations

import logging
import socket
from typing import Annotated

import typer

from crawler.config import Config
from crawler.errors import ServiceError
from regwatch import console as views
from regwatch.cli import _config, app

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def node_name(name: str | None) -> str:
    """Celery's node name, NAME@HOST; the host is this machine's unless given."""
    name = name or "regwatch"
    return name if "@" in name else f"{name}@{socket.gethostname()}"


@app.command()
def worker(ctx: typer.Context,
           concurrency: Annotated[int | None, typer.Option(
               "--concurrency", "-c", min=1,
               help="batches crawled at once (default: service.max_parallel_crawls)")] = None,
           name: Annotated[str | None, typer.Option(
               "--name", "-n", help="its name in logs and `regwatch schedule` (default: regwatch@HOST)")] = None,
           loglevel: Annotated[str, typer.Option(help="debug, info, warning or error")] = "info") -> None:
    """Crawl the due runs `regwatch serve` sends through the broker (service.executor: celery)."""
    if loglevel.upper() not in LOG_LEVELS:
        views.err_console.print(f"[red]error:[/] --loglevel must be one of {', '.join(LOG_LEVELS).lower()}",
                                highlight=False)
        raise typer.Exit(2)
    config = _config(ctx)
    if config.service.executor != "celery":
        views.err_console.print("[red]config error:[/] `regwatch worker` crawls for the Celery executor: set "
                                "`service: {executor: celery, broker: redis://HOST:6379/0}` in the config "
                                f"({config.path}) that `regwatch serve` reads too", highlight=False)
        raise typer.Exit(2)
    from scheduler.executors import celery as executor

    logging.basicConfig(level=loglevel.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("apprise").setLevel(logging.WARNING)
    celery_app = executor.make_app(config)
    try:
        executor.check_broker(celery_app, config.service.broker or "")
        _check_database(config)
    except ServiceError as error:
        views.err_console.print(f"[red]regwatch worker not started:[/] {error}", highlight=False)
        raise typer.Exit(1) from error
    # Imported here, in the worker's main process: Celery's pool processes fork from it warm.
    from scheduler.executors import celery_worker

    node = node_name(name)
    celery_worker.register(celery_app, config.path, config, node)
    concurrency = concurrency or config.service.max_parallel_crawls
    broker = executor.masked(config.service.broker or "")
    views.err_console.print(f"regwatch worker {node}: {concurrency} batch(es) at once from {broker}", highlight=False)
    celery_app.worker_main(["worker", "--hostname", node, "--concurrency", str(concurrency), "--pool", "prefork",
                            "--queues", executor.QUEUE, "--loglevel", loglevel.upper(), "--without-gossip",
                            "--without-mingle"])


def _check_database(config: Config) -> None:
    """The shared store must answer too (and have the current schema) before a task is taken."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    from crawler.storage import db, runs

    try:
        with db.open_session(config.database_url) as session:
            runs.sync_sources(session, config.sources)
        db.get_engine(config.database_url).dispose()  # no connection is shared with the pool processes
    except SQLAlchemyError as error:
        where = make_url(config.database_url).render_as_string(hide_password=True)
        raise ServiceError(f"the database {where} is unreachable: {str(error).splitlines()[0]}") from error
