"""The web app's work, scriptable: `regwatch triage`, `regwatch export`, `regwatch user`, `regwatch add`.
Thin, like regwatch.cli: each command calls storage/bulletin/add_by_url functions and renders the result."""

from __future__ import annotations

import getpass
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from crawler.storage.web_models import LoginLock
from editorial import logins, triage, users
from regwatch import console as views
from regwatch.cli import _config, _session, app

triage_app = typer.Typer(help="Decide on queue items: regwatch triage ITEM_ID accept|reject|snooze|assign|note|…",
                         no_args_is_help=True)
user_app = typer.Typer(help="Accounts of the web app.", no_args_is_help=True)
app.add_typer(triage_app, name="triage")
app.add_typer(user_app, name="user")


def _fail(message: str, code: int = 1) -> typer.Exit:
    views.err_console.print(f"[red]error:[/] {message}", highlight=False)
    return typer.Exit(code)


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "cli"


def _ids(value: str) -> list[int]:
    try:
        return [int(part) for part in value.split(",") if part.strip()]
    except ValueError:
        raise _fail(f"item ids are numbers, comma-separated (got {value!r})", 2) from None


Actor = Annotated[str | None, typer.Option(help="who decides (default: your login name)")]


@triage_app.callback()
def triage_items(ctx: typer.Context,
                 item_ids: Annotated[str, typer.Argument(metavar="ITEM_ID", help="an item id, or ids like 12,15,19")]):
    ctx.obj = {**ctx.obj, "ids": _ids(item_ids)}


def _decide(ctx: typer.Context, actor: str | None, done: str, decide) -> None:
    """Run one decision in a transaction; print what changed, or why nothing did."""
    config = _config(ctx)
    ids, actor = ctx.obj["ids"], actor or _login_name()
    with _session(config) as session:
        try:
            decide(session, ids, actor, config)
            session.commit()
        except triage.TriageError as error:
            session.rollback()
            raise _fail(str(error)) from error
    label = ", ".join(map(str, ids))
    views.console.print(f"item {label}: {done}", highlight=False)


@triage_app.command()
def accept(ctx: typer.Context, month: Annotated[str, typer.Option(help="bulletin month, YYYY-MM")],
           section: Annotated[str, typer.Option(help="bulletin section id (config bulletin.sections)")],
           actor: Actor = None) -> None:
    """Accept into the month's bulletin, in a section."""
    _decide(ctx, actor, f"accepted into {month} / {section}",
            lambda s, ids, who, config: triage.accept(s, ids, who, month, section, config.bulletin.section_ids))


@triage_app.command()
def reject(ctx: typer.Context, reason: Annotated[str, typer.Option(help="why it is not for the bulletin")] = "",
           actor: Actor = None) -> None:
    """Reject, with a reason."""
    _decide(ctx, actor, "rejected", lambda s, ids, who, _: triage.reject(s, ids, who, reason))


@triage_app.command()
def snooze(ctx: typer.Context,
           until: Annotated[datetime, typer.Option(formats=["%Y-%m-%d"], help="back in the queue that day")],
           actor: Actor = None) -> None:
    """Out of the queue until a day."""
    _decide(ctx, actor, f"snoozed until {until:%Y-%m-%d}",
            lambda s, ids, who, _: triage.snooze(s, ids, who, until.date()))


@triage_app.command()
def assign(ctx: typer.Context, assignee: Annotated[str, typer.Argument(help="colleague's user name; '' unassigns")],
           actor: Actor = None) -> None:
    """Assign to a colleague."""
    _decide(ctx, actor, f"assigned to {assignee or 'nobody'}",
            lambda s, ids, who, _: triage.assign(s, ids, who, assignee))


@triage_app.command()
def reopen(ctx: typer.Context, actor: Actor = None) -> None:
    """Back to new (undo accept, reject or snooze)."""
    _decide(ctx, actor, "back to new", lambda s, ids, who, _: triage.reopen(s, ids, who))


@triage_app.command()
def note(ctx: typer.Context, text: str, actor: Actor = None) -> None:
    """Add a note."""
    _decide(ctx, actor, "note added", lambda s, ids, who, _: [triage.add_note(s, i, who, text) for i in ids])


@triage_app.command()
def editorial(ctx: typer.Context, title: Annotated[str, typer.Option(help="the bulletin's Chinese title")] = "",
              summary: Annotated[str, typer.Option(help="the bulletin's 摘要")] = "", actor: Actor = None) -> None:
    """Write the editorial Chinese title and 摘要 (empty: the source's own are used)."""
    _decide(ctx, actor, "editorial title and 摘要 saved",
            lambda s, ids, who, _: [triage.set_editorial(s, i, who, title, summary) for i in ids])


@triage_app.command()
def history(ctx: typer.Context) -> None:
    """Who did what to the item, oldest first."""
    config = _config(ctx)
    with _session(config) as session:
        for item_id in ctx.obj["ids"]:
            for event in triage.history(session, item_id):
                detail = ", ".join(f"{k}={v}" for k, v in event.detail.items() if v not in (None, ""))
                views.console.print(f"{item_id}  {event.at:%Y-%m-%d %H:%M} UTC  {event.actor}  {event.action}"
                                    + (f"  ({detail})" if detail else ""), highlight=False)


@app.command()
def export(ctx: typer.Context,
           month: Annotated[str, typer.Option(help="bulletin month, YYYY-MM")],
           fmt: Annotated[str, typer.Option("--format", help="md or docx")] = "md",
           output: Annotated[Path | None, typer.Option("-o", "--output", help="file (md: default stdout)")] = None,
           ) -> None:
    """Draft the month's bulletin from the accepted items (Markdown or Word)."""
    from editorial import bulletin

    if fmt not in ("md", "docx"):
        raise _fail(f"format {fmt!r}: use md or docx", 2)
    if fmt == "docx" and output is None:
        raise _fail("a docx export needs -o FILE", 2)
    config = _config(ctx)
    sections, title = config.bulletin.sections, config.bulletin.title_zh
    with _session(config) as session:
        try:
            entries = bulletin.bulletin_entries(session, month, sections)
        except triage.TriageError as error:
            raise _fail(str(error), 2) from error
    if fmt == "md":
        text = bulletin.render_markdown(entries, month, sections, title, bulletin.draft_mark(config.bulletin))
        if output is None:
            sys.stdout.write(text)
            return
        output.write_text(text, encoding="utf-8")
    else:
        output.write_bytes(bulletin.render_docx(entries, month, sections, title, bulletin.draft_mark(config.bulletin)))
    count = sum(len(items) for items in entries.values())
    views.err_console.print(f"wrote {output} ({count} items)", highlight=False)


PasswordStdin = Annotated[bool, typer.Option("--password-stdin", help="read the password from stdin")]


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return typer.prompt("password", hide_input=True, confirmation_prompt=True)


@user_app.command("add")
def user_add(ctx: typer.Context, name: str,
             role: Annotated[str, typer.Option(help="editor (decides) or viewer (reads)")] = "editor",
             password_stdin: PasswordStdin = False) -> None:
    """Create an account (or set a new role and password for an existing one, ending its sessions)."""
    password = _password(password_stdin)
    config = _config(ctx)
    with _session(config) as session:
        try:
            user = users.add_user(session, name, role, password)
            session.commit()
        except users.UserError as error:
            raise _fail(str(error), 2) from error
        views.console.print(f"user {user.name} ({user.role}) ready", highlight=False)


@user_app.command("passwd")
def user_passwd(ctx: typer.Context, name: str, password_stdin: PasswordStdin = False) -> None:
    """Set a new password; the account's sessions in every browser end (its locks stay: see unlock)."""
    password = _password(password_stdin)
    config = _config(ctx)
    with _session(config) as session:
        try:
            users.set_password(session, name, password)
            session.commit()
        except users.UserError as error:
            raise _fail(str(error), 2) from error
        views.console.print(f"password of {name} changed; its sessions have ended", highlight=False)
        for lock in _account_locks(session).get(name, []):
            views.console.print(f"{name} is still {_lock_text(lock)}: regwatch user unlock {name}", highlight=False,
                                markup=False)


@user_app.command("list")
def user_list(ctx: typer.Context) -> None:
    """The accounts with their roles and language; locked accounts with until when, and locked addresses."""
    config = _config(ctx)
    with _session(config) as session:
        locks = _account_locks(session)
        accounts = users.list_users(session)
        for user in accounts:
            lock = locks.get(user.name, [None])[-1]
            views.console.print(f"{user.name}  {user.role}  {user.language or '-'}"
                                + (f"  {_lock_text(lock)}" if lock else ""), highlight=False, markup=False)
        known = {user.name for user in accounts}
        # Locks on names that are no account, and on addresses: what someone typed or a proxy forwarded,
        # printed as text (markup=False), never as console markup.
        for name, held in sorted(locks.items()):
            if name not in known:
                views.console.print(f"name {name!r} (no such account)  {_lock_text(held[-1])}",
                                    highlight=False, markup=False)
        for lock in logins.active_locks(session, datetime.now(UTC), "address"):
            views.console.print(f"address {lock.key}  {_lock_text(lock)}", highlight=False, markup=False)


@user_app.command("unlock")
def user_unlock(ctx: typer.Context, name: str) -> None:
    """Lift the login lock on an account (its failed attempts before now stop counting)."""
    config = _config(ctx)
    with _session(config) as session:
        lifted = logins.unlock(session, name, datetime.now(UTC), _login_name())
        session.commit()
        if lifted:
            views.console.print(f"{name} unlocked (was {_lock_text(lifted[-1])})", highlight=False, markup=False)
        elif users.get_user(session, name) is None:
            raise _fail(f"no user {name!r} and no lock on that name")
        else:
            views.console.print(f"{name} was not locked; nothing changed", highlight=False)


def _account_locks(session: Session) -> dict[str, list[LoginLock]]:
    """Locks holding now by name, the longest-lasting last."""
    held: dict[str, list[LoginLock]] = {}
    for lock in logins.active_locks(session, datetime.now(UTC), "account"):
        held.setdefault(lock.key, []).append(lock)
    return held


def _lock_text(lock: LoginLock) -> str:
    last = f"last from {lock.last_address}" if lock.kind == "account" else f"last for {lock.last_name!r}"
    refused = f", {lock.refused} refused since" if lock.refused else ""
    return f"locked until {lock.locked_until:%Y-%m-%d %H:%M:%S} UTC ({lock.failures} failed logins, {last}{refused})"


@app.command()
def add(ctx: typer.Context, url: str,
        actor: Annotated[str | None, typer.Option(help="who adds it (default: your login name)")] = None,
        as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Fetch one URL through the crawl pipeline, archive it and queue it (duplicates are reported)."""
    from editorial.add_by_url import AddFailed, add_by_url

    config = _config(ctx)
    try:
        result = add_by_url(config, url, actor or _login_name())
    except AddFailed as error:
        raise _fail(f"{error.kind}: {error}") from error
    if as_json:
        print(json.dumps(result.__dict__, ensure_ascii=False))
    elif not result.created:
        views.console.print(f"already stored as item {result.document_id}", highlight=False)
    elif result.duplicate_of:
        views.console.print(f"item {result.duplicate_of} already has this document (same {result.reason}); "
                            f"stored as its sighting {result.document_id}", highlight=False)
    else:
        views.console.print(f"queued as item {result.document_id} (read by {result.parser})", highlight=False)
