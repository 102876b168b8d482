"""`regwatch relevance train|eval|models`: the trained relevance model (crawler/relevance_model does
the work). Thin, like regwatch.cli; scikit-learn is imported only when a command trains."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated, Any, NoReturn

import typer
from rich.markup import escape

from regwatch import console as views
from regwatch.cli import _config, _session, app

relevance_app = typer.Typer(help="The relevance model: train it on the group's decisions, evaluate it, list versions.",
                            no_args_is_help=True)
app.add_typer(relevance_app, name="relevance")


def _say(text: str) -> None:
    views.console.print(text, highlight=False, soft_wrap=True)


def _fail(error: Exception) -> NoReturn:
    views.err_console.print(f"[red]relevance model:[/] {escape(str(error))}", highlight=False, soft_wrap=True)
    raise typer.Exit(1) from error


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def _metrics_lines(label: str, metrics: Any) -> list[str]:
    if isinstance(metrics, str):
        return [f"{label}: {metrics}"]
    lines = [f"{label}: {metrics.examples} items, {metrics.on_topic} on topic (cross-validated, at 0.5)"]
    for part in ("model", "combined"):
        found = getattr(metrics, part)
        lines.append(f"  {part:<9} precision {_rate(found['precision'])}  recall {_rate(found['recall'])}  "
                     f"({found['true_positives']} found, {found['false_positives']} wrongly, "
                     f"{found['false_negatives']} missed)")
    return lines


@relevance_app.command("train")
def train(ctx: typer.Context,
          as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
          metrics: Annotated[bool, typer.Option("--metrics/--no-metrics", help="cross-validate too")] = True,
          rescore: Annotated[bool, typer.Option("--rescore/--no-rescore",
                                                help="score the items awaiting review again")] = True) -> None:
    """Train a new model on the starter set and the group's decisions; it scores from now on."""
    from crawler.relevance_model.learning import train as train_model

    config = _config(ctx)
    with _session(config) as session:
        try:
            report = train_model(config, session, with_metrics=metrics, rescore=rescore)
        except ValueError as error:  # malformed starter data, too few examples of one kind
            _fail(error)
    if as_json:
        print(json.dumps(report.as_json(), ensure_ascii=False))
        return
    counts = report.counts
    _say(f"trained [bold]{escape(report.version)}[/] → {escape(report.path)}")
    _say(f"examples: {counts['examples']} ({counts['starter_on_topic']} + {counts['starter_off_topic']} from the "
         f"starter set, {counts['decision_on_topic']} accepted + {counts['decision_off_topic']} rejected as "
         "off-topic by the group)")
    if report.metrics:
        for line in _metrics_lines("all examples", report.metrics):
            _say(line)
    _say(f"re-scored {report.rescored} items awaiting review")
    for note in report.notes:
        _say(f"[yellow]note:[/] {escape(note)}")


@relevance_app.command("eval")
def evaluate(ctx: typer.Context,
             as_json: Annotated[bool, typer.Option("--json", help="print the metrics as JSON")] = False) -> None:
    """Cross-validated precision and recall at the alert threshold (0.5), on the starter set and on
    the group's decisions, separately."""
    from crawler.relevance_model.learning import evaluate as evaluate_model

    config = _config(ctx)
    with _session(config) as session:
        try:
            results = evaluate_model(config, session)
        except ValueError as error:
            _fail(error)
    if as_json:
        print(json.dumps({name: found if isinstance(found, str) else asdict(found)
                          for name, found in results.items()}, ensure_ascii=False))
        return
    for name, label in (("starter", "starter set"), ("decision", "the group's decisions")):
        for line in _metrics_lines(label, results[name]):
            _say(line)


@relevance_app.command("models")
def models(ctx: typer.Context,
           as_json: Annotated[bool, typer.Option("--json", help="print the list as JSON")] = False) -> None:
    """The trained models, newest first, and which one scores."""
    from crawler.relevance_model import registry

    config = _config(ctx)
    active = registry.active_model(config)
    saved = registry.saved_models(config.models_dir)
    rows = [{"version": m.version, "trained_at": m.meta.get("trained_at"), "counts": m.meta.get("counts"),
             "active": active is not None and m.version == active.version} for m in saved]
    if active is not None and active.version.startswith("relevance-starter-"):
        rows.append({"version": active.version, "trained_at": None, "counts": active.meta.get("counts"),
                     "active": True})
    if as_json:
        print(json.dumps(rows, ensure_ascii=False))
        return
    if not rows:
        _say("[red]no relevance model can be read[/]: items are scored by prior and terms only")
    for row in rows:
        mark = "[green]active[/]" if row["active"] else "      "
        examples = (row["counts"] or {}).get("examples", "?")
        _say(f"{mark} {escape(row['version'])}  {row['trained_at'] or 'shipped'}  {examples} examples")
