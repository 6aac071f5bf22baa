"""Backtests: replay past periods at fixed points using only the data as of each point.

For every past quarter and every point (day 1, week 4 = day 28, week 8 = day 56 by default) the
model is refitted on history visible as of that day and its forecast is scored against the
quarter's actual bookings, next to four baselines computed from the same as-of snapshot:

- **stage-weighted**: closed so far + sum over open deals dated in the period of amount x
  the CRM's default stage probability (Salesforce's "expected revenue");
- **stage conversion**: the same with each stage's historical win rate (deals closed in the
  365 days before the as-of date, P(won | reached the stage));
- **commit roll-up**: closed so far + open deals in the Commit category dated in the period
  (what reps call);

and four naive forecasts a sales leader would make without any pipeline (Hyndman &
Athanasopoulos, *Forecasting: Principles and Practice*, ch. 5.2: the benchmarks every
forecast must beat):

- **last quarter**: the previous quarter's bookings (the naive forecast);
- **trailing mean**: the mean of the last four complete quarters' bookings;
- **seasonal naive**: the same quarter last year x the trailing-twelve-month growth;
- **run rate**: pipeline created in the last 91 days x the yield of pipeline created a
  half-year to eighteen months earlier (won amount / created amount, as known then), per
  91 days of the period.

Only quarters the history covers count: a quarter that began before the history's first day
(:attr:`~salesops_models.crm.CRM.history_start`: a partial first quarter, or one before an
extract's cut) is no quarter's bookings, and a baseline with no such quarter (no
year of history for the seasonal naive) is missing (NaN), never a 100% error.

Scores: signed and absolute percentage error of the median (point forecast for baselines),
whether the 50/80/90% central intervals cover the actual, the CRPS (continuous ranked
probability score, Gneiting & Raftery 2007; for a point forecast it is the absolute error)
and the PIT, the forecast's probability of bookings at or below the actual (Dawid 1984):
a calibrated forecast's PITs are uniform on [0, 1], so its 80% interval covers 80% of
quarters; PITs piled in the middle mean intervals too wide, at the ends too narrow.
:func:`calibration` puts the coverage beside what chance allows with this many quarters.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ..crm import CRM
from ..pipeline import max_stage_reached
from ..schema import DEFAULT_STAGE_PROBABILITY, OPEN_STAGES, WON_STAGE
from ..scoring import (
    Backtest,
    complete_quarters,
    covered,
    crps_from_draws,
    model_rows,
    pit,
)
from .data import make_levels
from .model import BookingsForecastModel

DEFAULT_POINTS = {"day 1": 0, "week 4": 27, "week 8": 55}
#: The pipeline baselines (they read the open deals as of the day).
PIPELINE_BASELINES = ("stage-weighted", "stage conversion", "commit roll-up")
#: The naive baselines (history of bookings and creation only).
NAIVE_BASELINES = ("last quarter", "trailing mean", "seasonal naive", "run rate")
METHODS = ("model", *PIPELINE_BASELINES, *NAIVE_BASELINES)


def parse_points(text: str) -> dict[str, int]:
    """Backtest points from ``"day 1=0,week 4=27"`` (name=day offset, comma separated)."""
    from ..errors import UserInputError

    try:
        return {k.strip(): int(v) for k, v in (x.split("=") for x in text.split(","))}
    except ValueError as exc:
        raise UserInputError(
            f"--points must look like 'week 4=27,week 8=55', got {text!r}: {exc}"
        ) from exc


def closed_so_far(crm: CRM, snap: pd.DataFrame, period) -> float:
    won = snap[snap["is_won"] & snap["close_date"].between(period.start, period.end)]
    return float(won["amount"].sum())


def baselines(crm: CRM, as_of, period) -> dict[str, float]:
    """The baseline point forecasts of ``period``'s bookings as of ``as_of`` (NaN where a
    baseline has no history to stand on): the pipeline ones, then :func:`naive_baselines`."""
    as_of = pd.Timestamp(as_of)
    p = crm.period(period)
    snap = crm.as_of(as_of)
    closed = closed_so_far(crm, snap, p)
    open_ = snap[~snap["is_closed"] & snap["close_date"].between(p.start, p.end)]
    amount = open_["amount"].astype(float).fillna(0.0)
    weighted = float((amount * open_["stage"].map(DEFAULT_STAGE_PROBABILITY).astype(float)).sum())
    # historical stage conversion (deals closed in the year before the as-of date)
    recent = snap[snap["is_closed"] & (snap["close_date"] > as_of - pd.Timedelta(days=365))]
    reached = recent["id"].map(max_stage_reached(crm, as_of)).fillna(0).to_numpy()
    won = (recent["stage"] == WON_STAGE).to_numpy()
    rate = {}
    for k, st in enumerate(OPEN_STAGES):
        m = reached >= k
        rate[st] = float(won[m].mean()) if m.sum() >= 5 else DEFAULT_STAGE_PROBABILITY[st]
    conversion = float((amount * open_["stage"].map(rate).astype(float)).sum())
    commit = float(amount[open_["forecast_category"] == "Commit"].sum())
    return {
        "stage-weighted": closed + weighted,
        "stage conversion": closed + conversion,
        "commit roll-up": closed + commit,
    } | naive_baselines(crm, snap, as_of, p)


def naive_baselines(crm: CRM, snap: pd.DataFrame, as_of, p) -> dict[str, float]:
    """Last quarter, trailing mean, seasonal naive and run rate of ``p`` as of ``as_of``
    (module docstring), from the snapshot ``snap`` of that day; NaN without the history."""
    as_of = pd.Timestamp(as_of)
    cal = crm.calendar
    first = crm.history_start  # an extract cut at its start: only quarters after the cut
    won_all = snap[snap["is_won"]]

    def booked(a, b):
        return float(won_all.loc[won_all["close_date"].between(a, b), "amount"].sum())

    def known(q) -> bool:  # a whole quarter inside the history, over before the as-of day
        return q.start >= first and q.end < as_of.normalize()

    last = [cal.previous(p)]  # the four quarters before p, newest first
    while len(last) < 4:
        last.append(cal.previous(last[-1]))
    prev, full = last[0], [q for q in last if known(q)]
    # seasonal naive: same quarter last year x trailing-twelve-month growth (as of then)
    last_year = crm.period(_shift_year(crm, p))
    ttm = booked(as_of - pd.Timedelta(days=364), as_of)
    prior = booked(as_of - pd.Timedelta(days=729), as_of - pd.Timedelta(days=365))
    two_years = as_of - pd.Timedelta(days=729) >= first
    growth = ttm / prior if prior > 0 and two_years else 1.0
    seasonal = booked(last_year.start, last_year.end) * growth if known(last_year) else np.nan
    return {
        "last quarter": booked(prev.start, prev.end) if known(prev) else np.nan,
        "trailing mean": float(np.mean([booked(q.start, q.end) for q in full])) if full else np.nan,
        "seasonal naive": seasonal,
        "run rate": _run_rate(snap, as_of, first, p.days),
    }


def _run_rate(snap: pd.DataFrame, as_of, first, days: int) -> float:
    """Pipeline created in the last 91 days x the yield of the pipeline created 180 to 545
    days before ``as_of`` (won / created amount, as known on ``as_of``), per 91 days of a
    ``days``-long period; NaN with under 60 days of such history."""
    amount = snap["amount"].astype(float).fillna(0.0)
    created = snap["created_date"]
    recent = float(amount[created > as_of - pd.Timedelta(days=91)].sum())
    lo = max(pd.Timestamp(first), as_of - pd.Timedelta(days=545))
    hi = as_of - pd.Timedelta(days=180)
    if (hi - lo).days < 60 or as_of - pd.Timedelta(days=91) < first:
        return np.nan
    cohort = (created >= lo) & (created < hi)
    made = float(amount[cohort].sum())
    won = float(amount[cohort & snap["is_won"]].sum())
    return recent * (won / made) * days / 91 if made > 0 else np.nan


def _shift_year(crm: CRM, p):
    q = p
    for _ in range(4 if p.kind == "quarter" else 12):
        q = crm.calendar.previous(q)
    return q


def score(draws: np.ndarray | None, point: float, actual: float) -> dict:
    """Scores of one forecast against the actual (``draws`` None for point forecasts; a NaN
    point, a baseline without history, scores NaN everywhere: no forecast, not an error)."""
    err = (point - actual) / actual if actual else np.nan
    out = {
        "forecast": point,
        "actual": actual,
        "error_pct": 100 * err,
        "abs_error_pct": 100 * abs(err),
    }
    for level in (50, 80, 90):
        if draws is None:
            out[f"covered_{level}"] = np.nan
        else:
            out[f"covered_{level}"] = float(covered(draws, actual, level / 100))
    out["crps"] = crps_from_draws(draws, actual) if draws is not None else abs(point - actual)
    # (a NaN point gives NaN errors and CRPS: means and medians skip it)
    out["crps_pct"] = 100 * out["crps"] / actual if actual else np.nan
    return out


def backtest(
    crm: CRM,
    *,
    quarters: int = 8,
    points: dict[str, int] | None = None,
    model_config: dict | None = None,
    sampler_config: dict | None = None,
    draws: int = 400,
    seed: int = 0,
    progress: bool = True,
    min_history_days: int = 150,
    scheduler=None,
) -> Backtest:
    """Replay the last ``quarters`` complete quarters at ``points`` (name -> day offset).

    Quarters starting less than ``min_history_days`` after the data's first day are skipped
    (too little history to learn from). Returns one row per quarter x point x method with the
    scores of :func:`score`. Fit ``i`` (quarter-major order) uses seed ``seed + i`` wherever
    it runs: with ``scheduler`` (a Dask scheduler, :mod:`salesops_models.distributed`) each
    fit is a task on the cluster and the CRM goes to each worker once.
    """
    points = points or DEFAULT_POINTS
    periods = [
        p
        for p in complete_quarters(crm, quarters)
        if p.start >= crm.data_start + pd.Timedelta(days=min_history_days)
    ]
    pairs = [(p, name, off) for p in periods for name, off in points.items()]
    jobs = [(i, *pair) for i, pair in enumerate(pairs)]
    settings = {
        "model_config": model_config,
        "sampler_config": sampler_config,
        "draws": draws,
        "seed": seed,
    }
    if scheduler:
        from ..distributed import map_ordered

        parts = map_ordered(
            _backtest_job,
            jobs,
            scheduler=scheduler,
            shared={"crm": crm, "settings": settings},
            progress=progress,
            desc="backtest",
        )
    else:
        from tqdm.auto import tqdm  # here, not at import: no widget warning in kernels

        model = BookingsForecastModel(model_config, sampler_config)
        levels = make_levels(crm)
        parts = [
            _backtest_job(job, crm, settings, model=model, levels=levels)
            for job in tqdm(jobs, desc="backtest", disable=not progress)
        ]
    return Backtest([row for part in parts for row in part])


#: One model per configuration in a worker process: its compiled log density serves every
#: backtest fit the worker runs (a fit does not depend on earlier ones; tested).
_WORKER_MODELS: dict[str, BookingsForecastModel] = {}


def _worker_model(settings: dict) -> BookingsForecastModel:
    import json

    key = json.dumps([settings["model_config"], settings["sampler_config"]], sort_keys=True)
    if key not in _WORKER_MODELS:
        _WORKER_MODELS[key] = BookingsForecastModel(
            settings["model_config"], settings["sampler_config"]
        )
    return _WORKER_MODELS[key]


def _backtest_job(job, crm: CRM, settings: dict, *, model=None, levels=None) -> list[dict]:
    """One fit of the backtest: the model at ``as_of``, scored with the baselines."""
    i, p, name, off = job
    seed = settings["seed"]
    model = model or _worker_model(settings)
    levels = levels or make_levels(crm)
    as_of = p.start + pd.Timedelta(days=off)
    actual = crm.bookings(p)
    model.fit(crm, as_of, seed=seed + i, levels=levels)
    fc = model.forecast(p, draws=settings["draws"], seed=seed + i)
    diag = model.diagnostics()
    base = {"period": p.label, "point": name, "as_of": as_of.date().isoformat()}
    rows = [
        base
        | {"method": "model"}
        | score(fc.total, float(np.median(fc.total)), actual)
        | {
            "pit": pit(fc.total, actual),
            "p10": float(np.quantile(fc.total, 0.1)),
            "p90": float(np.quantile(fc.total, 0.9)),
            "converged": diag.ok,
            "max_r_hat": diag.max_r_hat,
            "min_ess_bulk": diag.min_ess_bulk,
            "divergences": diag.divergences,
            "worst_parameter": diag.culprit,
            "attempts": len(model.sampling_attempts),
            "fit_seconds": model.fit_seconds,
        }
    ]
    for method, value in baselines(crm, as_of, p).items():
        rows.append(base | {"method": method} | score(None, value, actual))
    return rows


def calibration(bt: pd.DataFrame, levels=(50, 80, 90)) -> pd.DataFrame:
    """Interval coverage of the model per point, beside what chance allows: with ``n``
    quarters a calibrated ``L%`` interval covers ``Binomial(n, L%) / n`` of them, so the
    table gives the central 90% range of that share and the two-sided binomial p-value of the
    observed count (small: the intervals are too wide or too narrow, not just unlucky).

    Examples
    --------
    >>> bt = pd.DataFrame({"method": "model", "point": "day 1", "period": list("abcdefgh"),
    ...                    "covered_80": [1.0] * 8})
    >>> row = calibration(bt, levels=(80,)).iloc[0]
    >>> row["covered"], row["expected_range"], round(float(row["p_value"]), 2)
    ('8/8', '4-8 of 8', 0.37)
    """
    fits = model_rows(bt)
    rows = []
    for point, g in fits.groupby("point", sort=False):
        for level in levels:
            hit = g[f"covered_{level}"].dropna().astype(int)
            n, k = len(hit), int(hit.sum())
            if n == 0:
                continue
            lo, hi = stats.binom.ppf([0.05, 0.95], n, level / 100).astype(int)
            test = stats.binomtest(k, n, level / 100)
            rows.append(
                {
                    "point": point,
                    "interval": f"{level}%",
                    "covered": f"{k}/{n}",
                    "coverage": k / n,
                    "expected_range": f"{lo}-{hi} of {n}",
                    "p_value": float(test.pvalue),
                }
            )
    return pd.DataFrame(rows)


def styled_calibration(table: pd.DataFrame):
    """A :func:`calibration` table styled for a report (coverage as a percentage, the
    p-value to two decimals, no index)."""
    from ..exports import styled

    return styled(table).format({"coverage": "{:.0%}", "p_value": "{:.2f}"}).hide(axis="index")


def compact_summary(summary: pd.DataFrame) -> pd.DataFrame:
    """The summary for a terminal: one row per method, one column per point, each cell the
    mean absolute % error of the median and, for forecasts with intervals, how many periods
    the 80% interval covered (fits 100 columns; the full summary goes to CSV).

    Examples
    --------
    >>> s = pd.DataFrame({"point": ["day 1", "day 1"], "method": ["model", "stage-weighted"],
    ...                   "periods": [8, 8], "mean_abs_error_pct": [4.97, 12.57],
    ...                   "coverage_80": [1.0, float("nan")]})
    >>> compact_summary(s).to_dict("records")
    [{'method': 'model', 'day 1': '5.0%, 8/8 in 80%'}, {'method': 'stage-weighted', 'day 1': '12.6%'}]
    """
    cells: dict[str, dict[str, str]] = {}
    for r in summary.itertuples(index=False):
        if pd.isna(r.mean_abs_error_pct):
            cells.setdefault(r.method, {})[r.point] = "no forecast (no history)"
            continue
        cell = f"{r.mean_abs_error_pct:.1f}%"
        if pd.notna(r.coverage_80):
            cell += f", {round(r.coverage_80 * r.periods)}/{r.periods} in 80%"
        cells.setdefault(r.method, {})[r.point] = cell
    points = list(dict.fromkeys(summary["point"]))
    out = pd.DataFrame.from_dict(cells, orient="index").reindex(columns=points).fillna("")
    return out.rename_axis("method").reset_index()


def coinciding(bt: pd.DataFrame) -> list[str]:
    """Baselines that gave the same number as another on every forecast (within a cent),
    as sentences: a table with two equal rows should say they are one forecast.

    >>> bt = pd.DataFrame({"method": ["a", "b", "c"] * 2, "period": ["q1"] * 3 + ["q2"] * 3,
    ...                    "point": "day 1", "forecast": [1.0, 1.0, 2.0, 3.0, 3.0, 3.0]})
    >>> coinciding(bt)
    ['b equals a on every forecast']
    """
    wide = bt.pivot_table(
        index=["period", "point"], columns="method", values="forecast", aggfunc="first", sort=False
    )
    methods = [m for m in dict.fromkeys(bt["method"]) if m != "model" and m in wide]
    out, seen = [], set()
    for i, a in enumerate(methods):
        for b in methods[i + 1 :]:
            x, y = wide[a], wide[b]
            both = x.notna() & y.notna()
            if b not in seen and both.any() and (x[both] - y[both]).abs().max() < 0.01:
                out.append(f"{b} equals {a} on every forecast")
                seen.add(b)
    return out


def goals(summary: pd.DataFrame, point: str = "week 4") -> pd.DataFrame:
    """The goals at ``point``: mean |error| <= 5%, 80% coverage in [70%, 90%], error at least
    30% below the stage-weighted baseline and below the best naive baseline with a forecast
    (last quarter, trailing mean, seasonal naive, run rate)."""
    s = summary[summary["point"] == point].set_index("method")
    if "model" not in s.index:
        return pd.DataFrame()
    m = s.loc["model"]
    sw = s.loc["stage-weighted", "mean_abs_error_pct"] if "stage-weighted" in s.index else np.nan
    naive = s.loc[[n for n in NAIVE_BASELINES if n in s.index], "mean_abs_error_pct"].dropna()
    rows = [
        ("mean |error| of the median <= 5%", m["mean_abs_error_pct"], m["mean_abs_error_pct"] <= 5),
        ("80% interval coverage in 70-90%", m["coverage_80"], 0.7 <= m["coverage_80"] <= 0.9),
        (
            "|error| >= 30% below stage-weighted",
            1 - m["mean_abs_error_pct"] / sw if sw else np.nan,
            bool(sw and m["mean_abs_error_pct"] <= 0.7 * sw),
        ),
    ]
    if len(naive):
        best = naive.idxmin()
        rows.append(
            (
                f"|error| >= 30% below the best naive baseline ({best})",
                1 - m["mean_abs_error_pct"] / naive[best] if naive[best] else np.nan,
                bool(naive[best] and m["mean_abs_error_pct"] <= 0.7 * naive[best]),
            )
        )
    return pd.DataFrame(rows, columns=["goal", "value", "met"])
