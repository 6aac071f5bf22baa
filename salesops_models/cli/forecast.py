"""``salesops forecast``: run, backtest, ledger (``calibrate`` in :mod:`.calibrate`)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from .. import config
from .common import (
    DB_OPTION,
    DRAWS_OPTION,
    SCHEDULER_OPTION,
    TUNE_OPTION,
    console,
    sampler_overrides,
    show_progress,
    table,
)

group = typer.Typer(help="Bayesian bookings forecast: run, backtest, ledger.", no_args_is_help=True)


@group.command("run")
def forecast_run(
    db: str = DB_OPTION,
    as_of: str = typer.Option("", help="As-of date (default: the data's last day)."),
    period: str = typer.Option("", help="Period label (default: the as-of date's quarter)."),
    draws: int | None = DRAWS_OPTION,
    tune: int | None = TUNE_OPTION,
    seed: int = typer.Option(0, help="Random seed (same seed, same numbers)."),
    save: Path | None = typer.Option(None, help="Save the fitted model (netCDF)."),
    record: bool = typer.Option(True, help="Append the forecast to the forecast ledger."),
    target: float | None = typer.Option(
        None, help="The period's target (default: the sum of the period's quotas, if any)."
    ),
):
    """Fit on the history as of a date and forecast the period's bookings (P10/P50/P90)."""
    import pandas as pd

    from ..forecast import BookingsForecastModel, ledger
    from ..pipeline.metrics import forecast_target
    from ..store import load_store

    crm = load_store(db)
    when = pd.Timestamp(as_of) if as_of else crm.data_end
    p = crm.period(period) if period else crm.quarter(when)
    model = BookingsForecastModel(sampler_config=sampler_overrides(draws=draws, tune=tune))
    model.fit(crm, when, seed=seed)
    fc = model.forecast(p, seed=seed)
    _print_fit(model)
    q = fc.quantiles()
    console.print(
        f"{p.label} as of {when.date()}: p10 {q['p10']:,.0f}  p50 {q['p50']:,.0f}  "
        f"p90 {q['p90']:,.0f}  (closed {fc.closed:,.0f}, expected slip {fc.slip.mean():,.0f})"
    )
    goal, goal_source = forecast_target(crm, p, target)
    if goal > 0:
        console.print(
            f"target {goal:,.0f} ({escape(goal_source)}): P(reach target) {fc.p_reach(goal):.0%}",
            highlight=False,
        )
    else:
        console.print(f"no target: {escape(goal_source)}", highlight=False)
    by = crm.breakdown("region")
    if by:
        console.print(table(fc.rollup(by).round(0).reset_index(), f"By {by}"))
    if save:
        model.save(save)
        console.print(f"model: {save}")
    if record:
        ledger.record(fc, source=db.name)
        console.print(f"ledger: {ledger.LEDGER}")


def _print_fit(model) -> None:
    """How the model was compiled and sampled, and whether the fit converged."""
    from ..forecast.settings import COMPILED_MODEL_WORDS

    diag = model.diagnostics()
    color = "green" if diag.ok else "yellow"
    info = model.compile_info
    console.print(
        f"model {COMPILED_MODEL_WORDS[info['compiled_model']]} in "
        f"{info['compile_seconds']:.1f} s; fit in {model.fit_seconds:.1f} s",
        highlight=False,
    )
    for line in model.sampling_attempts[:-1]:
        console.print(f"[yellow]retried with more tuning after: {escape(line)}[/]")
    console.print(f"[{color}]convergence {escape(diag.summary())}[/]")
    if not diag.ok:
        console.print(f"[{color}]{escape(diag.plain())}[/]")


@group.command("backtest")
def forecast_backtest(
    db: str = DB_OPTION,
    quarters: int = typer.Option(8, help="Past complete quarters to replay."),
    points: str = typer.Option(
        "day 1=0,week 4=27,week 8=55",
        help="Points in each quarter: name=day offset, comma separated.",
    ),
    draws: int | None = DRAWS_OPTION,
    tune: int | None = TUNE_OPTION,
    seed: int = typer.Option(0, help="Random seed."),
    out: Path | None = typer.Option(None, help="CSV of every score (default reports/forecast/)."),
    scheduler: str | None = SCHEDULER_OPTION,
):
    """Replay past quarters using only as-of data; score the model next to the baselines."""
    from ..forecast.backtest import backtest, coinciding, compact_summary, goals, parse_points
    from ..scoring import Backtest
    from ..store import load_store

    pts = parse_points(points)
    crm = load_store(db)
    bt = Backtest(
        backtest(
            crm,
            quarters=quarters,
            points=pts,
            sampler_config=sampler_overrides(draws=draws, tune=tune),
            seed=seed,
            scheduler=scheduler,
            progress=show_progress(),
        )
    )
    out = Path(out or config.backtest_scores("forecast", db))
    summary_csv = bt.write(out)
    s = bt.summary()
    console.print(
        table(
            compact_summary(s),
            f"Backtest: {bt.n_periods} quarters (mean |error| of the median, "
            "quarters inside the 80% interval)",
        )
    )
    console.print(f"[{'green' if bt.converged else 'yellow'}]{escape(bt.convergence())}[/]")
    for same in coinciding(bt.scores):
        console.print(f"note: {escape(same)} (one forecast, two names)", highlight=False)
    for point in pts:
        g = goals(s, point)
        if len(g):
            console.print(table(g, f"Goals at {point}"))
    console.print(f"scores: {out}\nsummary: {summary_csv}")


@group.command("ledger")
def forecast_ledger(db: str = DB_OPTION):
    """Past forecasts of this store scored against actuals (periods that have ended)."""
    from ..forecast import ledger
    from ..store import load_store

    scored = ledger.scored(load_store(db), source=db.name)
    if scored.empty:
        console.print(f"no scored forecasts for {db.name} in {ledger.LEDGER}")
        return
    console.print(table(scored.round(1), f"Forecast accuracy: {db.name}"))
