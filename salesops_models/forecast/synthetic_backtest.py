"""Backtests across synthetic orgs: is the forecast calibrated, or was one org lucky?

One org's backtest scores 8 quarters per point. A calibrated 80% interval covers between
5 and 8 of 8 in 90% of such backtests (Binomial(8, 0.8)), so 8 quarters cannot tell a
calibrated forecast from one whose intervals are too wide, and a 65% coverage passes as
often as not. The generator (:mod:`salesops_models.synthetic`) makes orgs from one known
process with other seeds: backtesting several and pooling their quarters gives
``orgs x quarters`` scores per point (40 for 5 orgs of 8 quarters), where a calibrated 80%
interval covers 28-36 (70-90%) in 90% of studies. This is a check of the predictive
distribution against data from a known process, the forecast counterpart of
simulation-based calibration (Talts et al. 2018; calibration as PIT uniformity and interval
coverage, Gneiting, Balabdaoui & Raftery 2007).

Every org uses the sample org's shape (60 seats, 3 years by default, the same calendar);
only the seed differs, so the quarter effects, the whales, the hires and the departures
differ while the process stays the same. The sample org is seed
:data:`~salesops_models.config.SAMPLE_SEED`: it is in the default seeds, so the study shows
how the sample org's own backtest compares with its siblings.
"""

from __future__ import annotations

import pandas as pd

from .. import config
from ..scoring import model_rows
from .backtest import DEFAULT_POINTS, backtest, calibration

#: the sample org's seed and four others
DEFAULT_SEEDS = config.CALIBRATION_SEEDS


def check_seeds(seeds) -> list[int]:
    """The study's seeds as integers: one or more, distinct (a repeated seed would count one
    org twice) and >= 0 (what ``np.random.default_rng`` takes); else ``ValueError``.

    >>> check_seeds(("7", 11))
    [7, 11]
    """
    out = [int(s) for s in seeds]
    if not out or min(out) < 0 or len(set(out)) < len(out):
        raise ValueError(f"seeds must be one or more distinct integers >= 0, got {out}")
    return out


def synthetic_backtest(
    seeds=DEFAULT_SEEDS,
    *,
    n_reps: int = config.SAMPLE_REPS,
    years: float = config.SAMPLE_YEARS,
    quarters: int = 8,
    points: dict[str, int] | None = None,
    seed: int = 0,
    progress: bool = True,
    scheduler=None,
    **backtest_options,
) -> pd.DataFrame:
    """Generate one org per seed and backtest each (:func:`.backtest.backtest`).

    Returns the backtests' rows, each with an ``org`` column (``"seed 11"``); fits use
    seeds ``seed + i`` within each org, as a single backtest does, so an org's rows are the
    same as ``salesops forecast backtest`` on that org's store.
    """
    from tqdm.auto import tqdm

    from ..synthetic import generate_org

    seeds = check_seeds(seeds)
    parts = []
    for s in tqdm(seeds, desc="orgs", disable=not progress):
        org = generate_org(n_reps, years, s)
        bt = backtest(
            org.crm,
            quarters=quarters,
            points=points or DEFAULT_POINTS,
            seed=seed,
            progress=progress,
            scheduler=scheduler,
            **backtest_options,
        )
        parts.append(bt.assign(org=f"seed {s}"))
    return pd.concat(parts, ignore_index=True)


def coverage_by_org(bt: pd.DataFrame, level: int = 80) -> pd.DataFrame:
    """Quarters inside the model's ``level``% interval, one row per org, one column per
    point, plus the pooled row (``"all orgs"``).

    Examples
    --------
    >>> bt = pd.DataFrame({"method": "model", "org": ["a", "a", "b", "b"],
    ...                    "point": "day 1", "covered_80": [1.0, 1.0, 0.0, 1.0]})
    >>> coverage_by_org(bt).to_dict("records")
    [{'org': 'a', 'day 1': '2/2'}, {'org': 'b', 'day 1': '1/2'}, {'org': 'all orgs', 'day 1': '3/4'}]
    """
    fits = model_rows(bt)
    col = f"covered_{level}"
    points = list(dict.fromkeys(fits["point"]))

    def cells(g: pd.DataFrame) -> dict[str, str]:
        out = {}
        for point in points:
            hit = g.loc[g["point"] == point, col].dropna()
            out[point] = f"{int(hit.sum())}/{len(hit)}"
        return out

    rows = [{"org": org} | cells(g) for org, g in fits.groupby("org", sort=False)]
    rows.append({"org": "all orgs"} | cells(fits))
    return pd.DataFrame(rows)


def pooled_calibration(bt: pd.DataFrame, levels=(50, 80, 90)) -> pd.DataFrame:
    """:func:`.backtest.calibration` over every org's quarters together (each org-quarter
    one score), with the number of orgs."""
    out = calibration(bt, levels)
    return out.assign(orgs=bt["org"].nunique() if "org" in bt else 1)


def pooled_errors(bt: pd.DataFrame) -> pd.DataFrame:
    """Per point: the model's mean absolute and mean signed % error of the median and the
    mean CRPS (% of actual), per org and pooled, so a bias shared by the orgs shows."""
    fits = model_rows(bt)
    agg = dict(
        mean_abs_error_pct=("abs_error_pct", "mean"),
        bias_pct=("error_pct", "mean"),
        crps_pct=("crps_pct", "mean"),
    )
    per_org = fits.groupby(["org", "point"], sort=False).agg(**agg).reset_index()
    pooled = fits.groupby("point", sort=False).agg(**agg).reset_index().assign(org="all orgs")
    return pd.concat([per_org, pooled], ignore_index=True)
