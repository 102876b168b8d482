"""`regwatch` commands. Thin: each calls into the core and renders the result."""

from __future__ import annotations

import json
import shutil
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

import typer

from crawler.config import Config, load_config
from crawler.errors import ConfigError, RegwatchError, ServiceError
from crawler.storage import db, documents, runs, stories
from regwatch import console as views

app = typer.Typer(help="Regwatch: watch regulatory sources, queue what they publish.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
FAILED_STATUSES = {"failed", "blocked"}


@app.callback()
def main(ctx: typer.Context,
         config: Annotated[Path | None, typer.Option("--config", "-c", help="config.yaml to use")] = None):
    ctx.obj = {"config_path": config}


def _config(ctx: typer.Context) -> Config:
    try:
        return load_config(ctx.obj["config_path"])
    except ConfigError as error:
        views.err_console.print(f"[red]config error:[/] {error}", markup=True, highlight=False)
        raise typer.Exit(2) from error


def _session(config: Config):
    return db.open_session(config.database_url)


@app.command()
def init(ctx: typer.Context) -> None:
    """Create or upgrade the database schema."""
    config = _config(ctx)
    with _session(config) as session:
        runs.sync_sources(session, config.sources)
    views.console.print(f"database ready: {config.database_url}")


@app.command()
def sources(ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """The configured sources with their last run's status, stored items and health."""
    from crawler.health import source_health
    from regwatch import service_views

    config = _config(ctx)
    with _session(config) as session:
        summaries = runs.source_summaries(session, config.sources)
        health = source_health(session, config)
    if as_json:
        print(json.dumps([{**s.as_json(), "health": health[s.id].as_json()} for s in summaries],
                         ensure_ascii=False, indent=2))
    else:
        views.console.print(views.sources_table(summaries))
        views.console.print(service_views.health_table(list(health.values())))


def run_crawl(config: Config, source_ids: list[str] | None, since: date | None, replay: list[Path] | None,
              settings: list[str]) -> int:
    from crawler.parallel import crawl_in_processes
    from crawler.runner import parse_overrides, select_sources

    try:
        chosen = [s.id for s in select_sources(config, source_ids)]
        overrides = parse_overrides(settings)
        with views.crawl_progress(chosen) as on_progress:
            outcomes = crawl_in_processes(config, source_ids, since, replay, overrides, on_progress)
    except (ConfigError, FileNotFoundError) as error:
        views.err_console.print(f"[red]error:[/] {error}", highlight=False)
        return 2
    with _session(config) as session:  # the crawl only stores; its new items join their stories here
        stories.group_new(session, stories.configured(config))
    views.console.print(views.outcomes_table(outcomes))
    return 1 if any(o.status in FAILED_STATUSES for o in outcomes) else 0


@app.command()
def crawl(
    ctx: typer.Context,
    source_ids: Annotated[list[str] | None, typer.Argument(help="sources to crawl (default: all enabled)")] = None,
    since: Annotated[datetime | None, typer.Option(formats=["%Y-%m-%d"], help="ignore items before this date")] = None,
    replay: Annotated[list[Path] | None, typer.Option(help="answer requests from this WARC file or folder")] = None,
    setting: Annotated[list[str] | None, typer.Option("-s", help="Scrapy setting NAME=VALUE")] = None,
) -> None:
    """Crawl sources now; exit 1 if any source failed."""
    config = _config(ctx)
    raise typer.Exit(run_crawl(config, source_ids, since.date() if since else None, replay, setting or []))


@app.command()
def parse(
    ctx: typer.Context,
    source_id: str,
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
    url: Annotated[str, typer.Option(help="the URL the response came from (picks the parser)")],
    fetched_at: Annotated[str | None, typer.Option(help="ISO moment of the fetch (default: now)")] = None,
    full: Annotated[bool, typer.Option("--full", help="also print dates and text")] = False,
) -> None:
    """Run a source's parser on a saved response; print the candidate items as JSON lines."""
    from crawler.parsing import parse_saved

    config = _config(ctx)
    moment = datetime.fromisoformat(fetched_at.replace("Z", "+00:00")) if fetched_at else datetime.now(UTC)
    try:
        parsed = parse_saved(config, source_id, file, url, moment)
    except RegwatchError as error:
        error.source = error.source or source_id
        error.url = error.url or url
        views.err_console.print(f"[red]{error.kind}:[/] {error}", highlight=False)
        raise typer.Exit(1) from error
    for warning in parsed.warnings:
        views.err_console.print(f"[yellow]{warning.kind}:[/] {warning}", highlight=False)
    for item in parsed.items:
        print(json.dumps(item.public_dict(full=full), ensure_ascii=False, sort_keys=False))
    for next_url in parsed.follow:
        views.err_console.print(f"would follow: {next_url}", highlight=False)


@app.command()
def queue(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option(help="new|accepted|rejected|snoozed|updated")] = None,
    limit: Annotated[int | None, typer.Option(min=1)] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    source: Annotated[str | None, typer.Option(help="only this source")] = None,
    search: Annotated[str | None, typer.Option(help="full-text search, every word must match")] = None,
    by_story: Annotated[bool, typer.Option("--stories", help="one entry per story: its head, members under it")]
    = False,
) -> None:
    """The candidate items awaiting review, newest and most relevant first; each JSON entry says
    which story (one event seen through several sources) it is part of. --stories lists a story
    once, as its head."""
    if status and status not in documents.QUEUE_STATUSES:
        views.err_console.print(f"unknown status {status!r}: use one of {', '.join(documents.QUEUE_STATUSES)}")
        raise typer.Exit(2)
    config = _config(ctx)
    with _session(config) as session:
        table_limit = limit if (as_json or limit) else 50
        rows = documents.list_queue(session, status=status, limit=table_limit, source_id=source, search_text=search,
                                    by_story=by_story)
        if as_json:
            for document, triage in rows:
                print(json.dumps(documents.queue_entry(document, triage), ensure_ascii=False))
        else:
            views.console.print(views.queue_table(rows))


@app.command()
def show(ctx: typer.Context, item_id: int,
         evidence: Annotated[bool, typer.Option("--evidence", help="print the archived response")] = False) -> None:
    """One item with its identifiers, dates, versions and archived evidence."""
    config = _config(ctx)
    with _session(config) as session:
        found = documents.get_document(session, item_id)
        if found is not None:  # inside the session: the view lists the item's linked sightings
            views.console.print(views.document_view(*found))
    if found is None:
        views.err_console.print(f"no item {item_id}")
        raise typer.Exit(1)
    if evidence:
        _print_evidence(config, found[2][-1])


def _print_evidence(config: Config, version) -> None:
    from crawler.archive import read_record

    if not version.warc_file:
        views.console.print("no archived response for this version")
        return
    record = read_record(config.resolve(config.archive_dir / version.warc_file), version.warc_offset)
    views.console.print(f"[bold]{record.status}[/] {record.url}  (fetched {record.fetched_at:%Y-%m-%d %H:%M UTC})")
    for name, value in record.headers:
        views.console.print(f"{name}: {value}", highlight=False)
    sys.stdout.write("\n" + record.body.decode("utf-8", "replace") + "\n")


@app.command()
def demo(ctx: typer.Context,
         archive: Annotated[Path | None, typer.Option(help="demo WARC (default: demo/demo.warc.gz)")] = None) -> None:
    """Crawl every default source from the shipped demo archive into a fresh SQLite file."""
    config = _config(ctx)
    archive = archive or config.base_dir / "demo" / "demo.warc.gz"
    if not archive.is_file():
        views.err_console.print(f"[red]error:[/] demo archive {archive} does not exist", highlight=False)
        raise typer.Exit(1)
    demo_dir = _use_demo(config)
    shutil.rmtree(demo_dir, ignore_errors=True)
    demo_dir.mkdir(parents=True)
    # The evidence is replayed from a copy inside the demo's archive directory, so the web app,
    # which opens archived copies only from there, shows each item's archived page.
    replayed = config.archive_dir / "replayed" / archive.name
    replayed.parent.mkdir(parents=True)
    shutil.copyfile(archive, replayed)
    code = run_crawl(config, None, None, [replayed], [])
    with _session(config) as session:
        views.console.print(views.queue_table(documents.list_queue(session, limit=40)))
    views.console.print(f"demo database: {demo_dir / 'regwatch-demo.db'}\nlook around: "
                        f"REGWATCH_DATABASE_URL={config.storage.url} regwatch show 1 --evidence\n"
                        "or in the web app: regwatch web --demo")
    raise typer.Exit(code)


def _use_demo(config: Config) -> Path:
    """Point the config at the demo's database and archive; returns the demo's folder."""
    demo_dir = config.base_dir / "regwatch-data" / "demo"
    config.storage.url = f"sqlite:///{demo_dir / 'regwatch-demo.db'}"
    config.archive.dir = demo_dir / "archive"
    return demo_dir


DEMO_LOGIN = "demo"


def _open_demo(config: Config) -> None:
    """The web app on the demo's database and archive, with a demo editor whose password is new
    at each start (the demo database is local and thrown away by the next `regwatch demo`)."""
    import secrets

    from editorial import users

    demo_dir = _use_demo(config)
    if not (demo_dir / "regwatch-demo.db").is_file():
        views.err_console.print(f"[red]error:[/] no demo database in {demo_dir}: run `regwatch demo` first",
                                highlight=False)
        raise typer.Exit(1)
    password = secrets.token_urlsafe(12)
    with _session(config) as session:
        users.add_user(session, DEMO_LOGIN, "editor", password)
        session.commit()
    views.console.print(f"demo login: {DEMO_LOGIN} / {password}")


# --- the background service (scheduler/) -------------------------------------------------------
schedule_app = typer.Typer(help="The service's crawl schedule.", invoke_without_command=True)
alerts_app = typer.Typer(help="Alert rules.", invoke_without_command=True)
app.add_typer(schedule_app, name="schedule")
app.add_typer(alerts_app, name="alerts")


@app.command()
def serve(ctx: typer.Context,
          no_web: Annotated[bool, typer.Option("--no-web", help="run the scheduler without the web app")] = False,
          host: Annotated[str | None, typer.Option(help="web app address (default: web.host)")] = None,
          port: Annotated[int | None, typer.Option(help="web app port (default: web.port)")] = None) -> None:
    """Run the background service: scheduled crawls, health, alerts, and the web app."""
    from regwatch.web_server import WebServer, web_available
    from scheduler.service import serve as run_service

    config = _config(ctx)
    beside = None
    if not no_web and web_available():  # the web app in a thread of the service's process
        beside = WebServer(config, host or config.service.web_host,
                           config.service.web_port if port is None else port)
    try:
        run_service(config.path, beside)
    except ServiceError as error:  # e.g. the Celery broker does not answer: one line, no traceback
        views.err_console.print(f"[red]regwatch service not started:[/] {error}", highlight=False)
        raise typer.Exit(1) from error


@app.command()
def web(ctx: typer.Context,
        host: Annotated[str | None, typer.Option(help="address to listen on (default: web.host, 127.0.0.1)")] = None,
        port: Annotated[int | None, typer.Option(help="port (default: web.port, 8000)")] = None,
        demo: Annotated[bool, typer.Option("--demo", help="open what `regwatch demo` stored")] = False) -> None:
    """Serve the triage web app (queue, item pages, decisions, add by URL, bulletin export)."""
    import uvicorn

    from web.app import create_app

    config = _config(ctx)
    if demo:
        _open_demo(config)
    host = host or config.web.host
    port = config.web.port if port is None else port
    views.console.print(f"Regwatch web app on http://{host}:{port}/ (Ctrl+C stops it)")
    # Forwarded headers count only from web.trusted_proxies (the app decides), never uvicorn's default.
    uvicorn.run(create_app(config), host=host, port=port, log_level="warning", proxy_headers=False)


@schedule_app.callback()
def schedule(ctx: typer.Context, as_json: Annotated[bool, typer.Option(
        "--json", help="the jobs, the heartbeat and the queued and running runs as JSON")] = False) -> None:
    """List the scheduled crawls with their next run times, and the runs queued and running now."""
    if ctx.invoked_subcommand is not None:
        return
    from crawler.storage import service_state
    from regwatch import service_views
    from scheduler import status

    config = _config(ctx)
    with _session(config) as session:
        rows, beat = status.scheduled_jobs(session, config), service_state.heartbeat(session)
        active = status.active_runs(session)
    if as_json:
        print(json.dumps(status.schedule_json(rows, beat, active), ensure_ascii=False, indent=2))
        return
    views.console.print(service_views.schedule_table(rows, beat))
    if active:
        views.console.print(service_views.active_runs_table(active, datetime.now(UTC)))


@schedule_app.command("reload")
def schedule_reload(ctx: typer.Context,
                    wait: Annotated[float, typer.Option(help="seconds to wait for the service")] = 15) -> None:
    """Ask the running service to re-read config.yaml (as SIGHUP does)."""
    import time

    from scheduler import status

    config = _config(ctx)
    with _session(config) as session:
        asked = status.request_reload(session)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            session.expire_all()
            if status.reloaded_since(session, asked):
                views.console.print("the service reloaded config.yaml")
                return
            time.sleep(0.5)
    views.err_console.print("no running service picked up the request; config.yaml applies when it starts")
    raise typer.Exit(1)


@alerts_app.callback()
def alerts(ctx: typer.Context) -> None:
    """List the alert rules with their channels, deliveries and latest failure."""
    if ctx.invoked_subcommand is not None:
        return
    from regwatch import service_views
    from scheduler import status

    config = _config(ctx)
    with _session(config) as session:
        rows = status.alert_rules(session, config)
    if not rows:
        views.console.print("no alert rules: add an `alerts:` list to the config (see docs/service.md)")
        return
    views.console.print(service_views.alerts_table(rows))


@alerts_app.command("test")
def alerts_test(ctx: typer.Context, rule_id: str) -> None:
    """Send a sample alert through every channel of a rule; exit 1 if any channel failed."""
    from scheduler.alerts.sample import send_sample

    config = _config(ctx)
    try:
        rule = config.alert_rule(rule_id)
    except ConfigError as error:
        views.err_console.print(f"[red]error:[/] {error}", highlight=False)
        raise typer.Exit(2) from error
    results = send_sample(rule)
    for channel, error in results.items():
        views.console.print(f"{channel}: " + ("sent" if error is None else f"[red]failed[/] {error}"), highlight=False)
    raise typer.Exit(1 if any(results.values()) else 0)


# --- the triage web app's scriptable side: triage, export, user, add (regwatch/cli_web.py) -----------
from regwatch import cli_web  # noqa: E402, F401  (registers its commands on `app`)
from regwatch.cli_draft import draft as draft_command  # noqa: E402, F401  (registers `regwatch draft` on `app`)
from regwatch.cli_record import record as record_command  # noqa: E402, F401  (registers `regwatch record` on `app`)
from regwatch.cli_relevance import relevance_app  # noqa: E402, F401  (registers `regwatch relevance`)
from regwatch.cli_stories import stories_app  # noqa: E402, F401  (registers `regwatch stories` on `app`)
from regwatch.cli_worker import worker as worker_command  # noqa: E402, F401  (registers `regwatch worker` on `app`)
