"""``salesops health``: the sales-ops health scorecard, with a gate for scheduled runs."""

from __future__ import annotations

from pathlib import Path

import typer

from .. import config
from .common import DB_OPTION, cell, console, show_progress, table


def health(
    db: str = DB_OPTION,
    as_of: str = typer.Option("", help="As-of date (default: the data's last day)."),
    bands: Path = typer.Option(
        config.PROJECT_ROOT / "health_bands.yml", help="Benchmark band file."
    ),
    plan: str = typer.Option(
        str(config.PROJECT_ROOT / "plans" / "ae_standard.yml"),
        help="Comp plan for the comp-cost metric; empty: not graded.",
    ),
    backtest_csv: str = typer.Option(
        "", help="Forecast backtest CSV; default reports/forecast/backtest_STORE.csv."
    ),
    json_out: Path = typer.Option(None, "--json", help="Write the scores as JSON here."),
    fail_on: str = typer.Option(
        "", help="Exit with code 1 when any metric is at this status (watch or act)."
    ),
):
    """Sales-ops health scorecard: every metric graded against its benchmark band.

    ``--fail-on watch|act`` exits 1 when any metric is at that status or worse; a metric
    that could not be computed (``error``) always trips the gate.
    """
    from ..calls import read_calls
    from ..comp import read_comp_inputs
    from ..forecast.ledger import LEDGER
    from ..health import health_scorecard, load_bands
    from ..health.scorecard import GATE_LEVELS
    from ..store import load_store

    if fail_on not in ("", *GATE_LEVELS):
        raise typer.BadParameter(f"--fail-on must be watch or act, got {fail_on!r}")
    load_bands(bands)  # a broken band file is an input error (exit 2), before any work
    crm = load_store(db)
    card = health_scorecard(
        crm,
        as_of or None,
        bands=bands,
        plan=plan or None,
        comp_inputs=read_comp_inputs(db)[0] if plan else None,
        ledger_path=LEDGER,
        ledger_source=db.name,
        backtest_csv=backtest_csv or config.backtest_scores("forecast", db),
        calls=read_calls(db),
        progress=show_progress(),
    )
    df = card.to_frame()[["metric", "value", "interval (90%)", "healthy", "status"]]
    console.print(table(df, f"Sales-ops health of {db.name} as of {card.as_of.date()}"))
    for m in card.metrics:
        style = {"act": "red", "watch": "yellow", "healthy": "green"}.get(m.status, "dim")
        console.print(
            f"[{style}]{m.status:>7}[/] {cell(m.title)}: {cell(m.action)}", highlight=False
        )
    if json_out:
        card.to_json(json_out)
        console.print(f"scores: {json_out}")
    tripped = card.tripped(fail_on) if fail_on else []
    if tripped:
        console.print(f"gate --fail-on {fail_on} tripped by: {', '.join(tripped)}")
        raise typer.Exit(1)
