"""``salesops forecast calibrate``: the forecast's calibration study on synthetic orgs."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from .. import config
from ..errors import UserInputError
from .common import (
    DRAWS_OPTION,
    SCHEDULER_OPTION,
    TUNE_OPTION,
    console,
    sampler_overrides,
    show_progress,
    table,
)
from .forecast import group


@group.command("calibrate")
def forecast_calibrate(
    seeds: str = typer.Option(
        ",".join(map(str, config.CALIBRATION_SEEDS)),
        help="Seeds of the synthetic orgs, comma separated (the sample org is seed "
        f"{config.SAMPLE_SEED}).",
    ),
    reps: int = typer.Option(config.SAMPLE_REPS, help="AE seats of each org."),
    years: float = typer.Option(config.SAMPLE_YEARS, help="Years of history of each org."),
    quarters: int = typer.Option(8, help="Past complete quarters to replay in each org."),
    draws: int | None = DRAWS_OPTION,
    tune: int | None = TUNE_OPTION,
    seed: int = typer.Option(0, help="Random seed of the fits."),
    out: Path | None = typer.Option(
        None, help="CSV of every score (default reports/forecast/calibration_synthetic.csv)."
    ),
    scheduler: str | None = SCHEDULER_OPTION,
):
    """Backtest the forecast on several synthetic orgs from one known process and pool
    their quarters: coverage over orgs x quarters, not one org's 8 (about 3.5 min an org)."""
    from ..forecast.synthetic_backtest import check_seeds, synthetic_backtest

    try:
        seed_list = check_seeds(x for x in seeds.split(",") if x.strip())
    except ValueError as exc:
        raise UserInputError(
            f"--seeds must be distinct integers >= 0 separated by commas, got {seeds!r}: {exc}"
        ) from exc
    bt = synthetic_backtest(
        seed_list,
        n_reps=reps,
        years=years,
        quarters=quarters,
        sampler_config=sampler_overrides(draws=draws, tune=tune),
        seed=seed,
        scheduler=scheduler,
        progress=show_progress(),
    )
    out = Path(out or config.CALIBRATION_SCORES)
    out.parent.mkdir(parents=True, exist_ok=True)
    bt.to_csv(out, index=False)
    _print_study(bt, len(seed_list))
    png = _plot(bt, out.with_suffix(".png"))
    console.print(f"scores: {out}\nplot: {png}")


def _print_study(bt, n_orgs: int) -> None:
    """Coverage by org, pooled coverage beside chance, errors by org, convergence."""
    from ..forecast.synthetic_backtest import coverage_by_org, pooled_calibration, pooled_errors
    from ..scoring import convergence, model_rows

    console.print(table(coverage_by_org(bt), "Quarters inside the 80% interval, by org"))
    cal = pooled_calibration(bt)
    cal = cal.assign(
        coverage=cal["coverage"].map("{:.0%}".format), p_value=cal["p_value"].map("{:.2f}".format)
    )
    err = pooled_errors(bt)
    err = err.assign(**{c: err[c].map("{:.1f}".format) for c in err.columns[2:]})
    console.print(
        table(
            cal,
            f"Interval coverage over {n_orgs} orgs (expected_range: what a calibrated "
            "forecast shows in 90% of studies)",
        )
    )
    console.print(table(err, "Error of the median (%), by org"))
    ok = model_rows(bt)["converged"].all()
    console.print(f"[{'green' if ok else 'yellow'}]{escape(convergence(bt))}[/]")


def _plot(bt, png: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..forecast.plots import plot_calibration

    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    plot_calibration(bt, axes)
    fig.savefig(png, dpi=100, bbox_inches="tight")
    return png
