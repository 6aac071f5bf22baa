"""``salesops plan``: the capacity and comp plan's backtest."""

from __future__ import annotations

from pathlib import Path

import typer

from .. import config
from .common import DB_OPTION, console, show_progress, table

group = typer.Typer(
    help="Capacity and comp plans: backtest against what happened.", no_args_is_help=True
)


@group.command("backtest")
def plan_backtest_cmd(
    db: str = DB_OPTION,
    plan: Path = typer.Option(
        Path("plans/ae_standard.yml"), help="Comp plan in force (quarterly), for the cost rows."
    ),
    quarters: int = typer.Option(8, help="Past complete quarters to replay."),
    years: int = typer.Option(2, help="Past years (four quarters each) to replay."),
    draws: int = typer.Option(
        2000, "--draws", "--scenarios", help="Monte Carlo draws (scenarios) per quarter."
    ),
    seed: int = typer.Option(0, help="Random seed."),
    out: Path | None = typer.Option(None, help="CSV of every score (default reports/plan/)."),
):
    """Replay past quarters and years: predict team bookings, the share of reps at quota and
    the comp cost from the history before each, and score them beside naive baselines."""
    from ..capacity.backtest import plan_backtest, plan_backtest_summary
    from ..comp import load_plan
    from ..scoring import model_rows
    from ..store import load_store

    crm = load_store(db)
    comp_plan = load_plan(plan if plan.is_absolute() else config.PROJECT_ROOT / plan)
    bt = plan_backtest(
        crm,
        comp_plan,
        quarters=quarters,
        years=years,
        draws=draws,
        seed=seed,
        progress=show_progress(),
    )
    out = Path(out or config.backtest_scores("plan", db))
    out.parent.mkdir(parents=True, exist_ok=True)
    bt.to_csv(out, index=False)
    console.print(
        table(
            plan_backtest_summary(bt).round(3), f"Plan backtest: {bt['period'].nunique()} periods"
        )
    )
    fits = model_rows(bt).drop_duplicates("period")
    ok = int(fits["converged"].sum())
    colour = "green" if ok == len(fits) else "yellow"
    console.print(f"[{colour}]{ok} of {len(fits)} productivity fits converged[/]")
    console.print(f"scores: {out}")
