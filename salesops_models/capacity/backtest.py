"""Backtest of the plan: replay past quarters with only the data known before each.

For each of the last ``quarters`` complete fiscal quarters the productivity model is fitted
on the history before the quarter (:func:`~.productivity.history_start`: warm-up left out,
at most ``history_months``), the capacity Monte Carlo simulates the AEs in seat on its first
day for its three months (attrition, backfills, the shared quarter effect drawn per
scenario), and three predictions are scored against what happened:

- **team bookings**: closed-won bookings of AEs in the quarter (the simulation counts the
  deals in flight of AEs who left before it or during it, :func:`~.plan.pipeline_carry`:
  they close and are the team's, e.g. $2.3M of the sample org's 2026-Q1 came from two
  Enterprise reps who had left in the autumn);
- **share of reps at quota**: among the reps with a quota for the quarter who were in seat
  all of it, the share whose bookings reached it (in the simulation: among those seats in
  the scenarios where their rep stayed);
  (``rep_coverage_80``: the share of those reps whose own bookings fell in their 80%
  interval, the calibration of the rep-level spread that attainment and cost depend on);
- **comp cost** of the plan in force (:func:`~salesops_models.comp.evaluate`) for the same
  reps: the plan applied to each rep's simulated attainment vs to the actual attainment,
  on the cost model's basis (every measure on total bookings / quota, as
  :func:`~salesops_models.comp.capacity_inputs` does; no per-deal SPIFFs or clawbacks).

Beside the model, the same fit with the shared quarter effect switched off (``reps
independent``: the seats move together only through parameter uncertainty, the capacity
model before the shared effect), to show what the shared effect does to the intervals.
Years are replayed the same way (``years``: the last four quarters, the four before...):
annual team bookings, the share of reps at their annual quota (the sum of their quarterly
quotas), and the plan's cost over the four quarters with its annual true-up.

Naive baselines, from the same history: team bookings = the same quarter last year x the
trailing-twelve-month growth (the seasonal naive of the forecast backtest); share at quota
and comp cost = the trailing average: each rep's mean attainment over the 4 quarters before
(reps without a quota then: the team's mean), i.e. "this quarter will be like the last
year". Scores: the 80% interval's coverage, CRPS (Gneiting & Raftery 2007; a point
forecast's CRPS is its absolute error) and the error of the median.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..crm import CRM
from ..scoring import complete_quarters, crps_from_draws, pit
from ..settings import renamed_parameters
from .plan import CapacityPlan, capacity
from .productivity import ProductivityModel

TARGETS = ("team bookings", "share at quota", "comp cost")
#: the same fit and Monte Carlo with the shared quarter effect off (the seats independent
#: given the parameters: the capacity model before the shared effect), for comparison
INDEPENDENT = "reps independent"


def _won(crm: CRM, start, end) -> pd.Series:
    """Closed-won amount per AE with a close date in [start, end]."""
    o = crm.opportunities
    aes = crm.reps.loc[crm.reps["role"] == "AE", "id"]
    w = o[o["is_won"] & o["close_date"].between(start, end) & o["owner_rep_id"].isin(aes)]
    return w.groupby("owner_rep_id")["amount"].sum()


def quarter_attainment(crm: CRM, period) -> pd.DataFrame:
    """Reps with a quota for ``period`` who were in seat all of it: quota, bookings,
    attainment and OTE (one row per rep)."""
    q = crm.quotas
    q = q[(q["period_start"] == period.start) & (q["period_end"] == period.end)]
    reps = crm.reps.set_index("id")
    q = q[q["rep_id"].isin(reps.index)]
    r = reps.loc[q["rep_id"]]
    whole = (r["hire_date"] <= period.start).to_numpy() & (
        r["termination_date"].isna() | (r["termination_date"] > period.end)
    ).to_numpy()
    q = q[whole & (q["amount"] > 0).to_numpy()]
    won = _won(crm, period.start, period.end)
    out = pd.DataFrame(
        {
            "rep_id": q["rep_id"].to_numpy(),
            "quota": q["amount"].to_numpy(dtype=float),
            "bookings": won.reindex(q["rep_id"]).fillna(0.0).to_numpy(),
            "ote": reps.loc[q["rep_id"], "ote"].to_numpy(dtype=float),
        }
    )
    out["attainment"] = out["bookings"] / out["quota"]
    return out


def window_attainment(crm: CRM, window: list) -> pd.DataFrame:
    """Reps with a quota in every quarter of ``window`` who were in seat all of it: per rep
    OTE, and per quarter ``quota_k``/``bookings_k`` (k = 0, 1, ...); ``attainment`` is the
    window's bookings over its quota."""
    parts = [quarter_attainment(crm, q).set_index("rep_id") for q in window]
    reps = parts[0].index
    for part in parts[1:]:
        reps = reps.intersection(part.index, sort=False)
    out = pd.DataFrame({"rep_id": reps, "ote": parts[0].loc[reps, "ote"].to_numpy()})
    for k, part in enumerate(parts):
        out[f"quota_{k}"] = part.loc[reps, "quota"].to_numpy()
        out[f"bookings_{k}"] = part.loc[reps, "bookings"].to_numpy()
    quota = out.filter(like="quota_").sum(axis=1)
    out["attainment"] = out.filter(like="bookings_").sum(axis=1) / quota
    return out


def _cost(plan, att: np.ndarray, ote: np.ndarray, quota: np.ndarray) -> np.ndarray:
    """Cost per scenario of ``plan`` over quarters: ``att`` (S, R, P) quarterly attainment,
    ``quota`` (R, P). Four quarters make a plan year (its annual true-up applies)."""
    from ..comp import evaluate

    ti = ote * plan.pay_mix.variable * plan.period_months / 12
    res = evaluate(plan, {m.name: att for m in plan.measures}, ti, quota=quota)
    return res.total


def _score(draws, actual: float) -> dict:
    draws = np.asarray(draws, dtype=float)
    lo, med, hi = np.quantile(draws, [0.1, 0.5, 0.9])
    return {
        "actual": actual,
        "p10": lo,
        "p50": med,
        "p90": hi,
        "covered_80": bool(lo <= actual <= hi),
        "crps": crps_from_draws(draws, actual),
        "abs_error": abs(med - actual),
        "pit": pit(draws, actual),
    }


@renamed_parameters(scenarios="draws")
def plan_backtest(
    crm: CRM,
    plan=None,
    *,
    quarters: int = 8,
    years: int = 0,
    draws: int = 2000,
    seed: int = 0,
    model_config: dict | None = None,
    sampler_config: dict | None = None,
    progress: bool = True,
) -> pd.DataFrame:
    """Replay the last ``quarters`` quarters and the last ``years`` years (four quarters
    each, ending with the last complete quarter) (module docstring). ``plan``: the comp plan
    in force (a quarterly :class:`~salesops_models.comp.Plan`; None: no comp-cost rows; over
    a year its annual true-up applies).

    Returns one row per period x target x method (``model``, ``reps independent``,
    ``baseline``) with ``horizon`` (quarter, year), actual, P10/P50/P90 (the baseline's
    point in all three), ``covered_80``, ``crps``, ``abs_error``, ``pct_error``, ``pit``
    and for the model the fit's convergence, the shared effects' scales and
    ``rep_coverage_80``.
    """
    from tqdm.auto import tqdm

    if plan is not None and plan.period != "quarter":
        raise ValueError(
            f"the plan backtest replays quarters; plan {plan.name!r} pays per {plan.period}"
        )
    windows = (
        [("quarter", [q]) for q in complete_quarters(crm, quarters, within_data=False)]
        if quarters
        else []
    )
    if years:
        qs = complete_quarters(crm, 4 * years, within_data=False)
        windows += [("year", qs[k : k + 4]) for k in range(0, len(qs), 4)]
    model = ProductivityModel(model_config, sampler_config)
    rows = []
    for i, (horizon, window) in enumerate(
        tqdm(windows, desc="plan backtest", disable=not progress)
    ):
        rows += _replay(crm, plan, model, horizon, window, draws, seed + i)
    out = pd.DataFrame(rows)
    out["pct_error"] = np.where(
        out["target"] == "share at quota",
        np.nan,
        out["abs_error"] / out["actual"].where(out["actual"] != 0),
    )
    return out


def _replay(crm, plan, model, horizon, window, draws, seed) -> list[dict]:
    """The rows of one replayed quarter or year (see :func:`plan_backtest`)."""
    start, end = window[0].start, window[-1].end
    as_of = start - pd.Timedelta(days=1)
    model.fit(crm, seed=seed, as_of=as_of)
    diag = model.diagnostics()
    month = str(start.to_period("M"))
    results = {
        method: capacity(
            crm,
            model,
            CapacityPlan(month, 3 * len(window), shared_effect=shared),
            1.0,
            draws=draws,
            seed=seed,
        )
        for method, shared in (("model", True), (INDEPENDENT, False))
    }
    label = window[0].label if len(window) == 1 else f"{window[0].label} to {window[-1].label}"
    base = {"horizon": horizon, "period": label, "as_of": as_of.date().isoformat()}
    fit = {
        "converged": diag.ok,
        "max_r_hat": diag.max_r_hat,
        "min_ess_bulk": diag.min_ess_bulk,
        "divergences": diag.divergences,
        "fit_seconds": model.fit_seconds,
        "sd_period": float(model.idata.posterior["sd_period"].mean()),
        "sd_segment": float(model.idata.posterior["sd_segment"].mean()),
    }
    actual = {"team bookings": float(_won(crm, start, end).sum())}
    baseline = {"team bookings": _seasonal_naive(crm, start, end)}
    # share at quota and comp cost: the reps with a quota in seat all the window
    att = window_attainment(crm, window)
    seat_pos = pd.Index(results["model"].seats["seat"]).get_indexer(att["rep_id"])
    att, seat_pos = att[seat_pos >= 0], seat_pos[seat_pos >= 0]
    if len(att):
        trailing = _trailing_attainment(crm, window[0], att["rep_id"])
        actual["share at quota"] = float((att["attainment"] >= 1).mean())
        baseline["share at quota"] = (
            float((trailing >= 1).mean()) if trailing is not None else np.nan
        )
        if plan is not None:
            quota, ote = att.filter(like="quota_").to_numpy(), att["ote"].to_numpy()
            booked = att.filter(like="bookings_").to_numpy()
            actual["comp cost"] = float(_cost(plan, (booked / quota)[None], ote, quota)[0])
            baseline["comp cost"] = (
                float(
                    _cost(plan, np.repeat(trailing[None, :, None], len(window), 2), ote, quota)[0]
                )
                if trailing is not None
                else np.nan
            )
    rows = []
    for method, res in results.items():
        pred = _predictions(res, att, seat_pos, plan, len(window))
        extra = fit | {"rep_coverage_80": pred.pop("rep_coverage_80", np.nan)}
        for target, sims in pred.items():
            rows.append(
                base
                | {"target": target, "method": method, "reps": len(att)}
                | _score(sims, actual[target])
                | extra
            )
    for target, value in baseline.items():
        rows.append(
            base
            | {"target": target, "method": "baseline", "reps": len(att)}
            | _point(value, actual[target])
        )
    return rows


def _predictions(res, att: pd.DataFrame, seat_pos: np.ndarray, plan, n_quarters: int) -> dict:
    """Draws per scenario of team bookings, the share at quota and the comp cost of the
    reps in ``att`` (seats ``seat_pos`` of ``res``), and those reps' 80% coverage."""
    out = {"team bookings": res.total()}
    if len(att) == 0:
        return out
    booked = res.sim.seat_period[:, seat_pos, :n_quarters].astype(float)  # (S, R, quarters)
    stayed = res.sim.stayed[:, seat_pos, -1]  # the whole horizon
    quota = att.filter(like="quota_").to_numpy()
    total = booked.sum(axis=2)
    hit = total / quota.sum(axis=1)[None, :] >= 1
    out["share at quota"] = np.where(stayed, hit, 0).sum(axis=1) / np.maximum(stayed.sum(axis=1), 1)
    if plan is not None:
        out["comp cost"] = _cost(plan, booked / quota[None], att["ote"].to_numpy(), quota)
    lo, hi = np.quantile(total, [0.1, 0.9], axis=0)
    b = att.filter(like="bookings_").to_numpy().sum(axis=1)
    out["rep_coverage_80"] = float(((lo <= b) & (b <= hi)).mean())
    return out


def _point(value: float, actual: float) -> dict:
    if value is None or not np.isfinite(value):
        return {"actual": actual, "p10": np.nan, "p50": np.nan, "p90": np.nan,
                "covered_80": np.nan, "crps": np.nan, "abs_error": np.nan}  # fmt: skip
    err = abs(value - actual)
    return {"actual": actual, "p10": value, "p50": value, "p90": value,
            "covered_80": np.nan, "crps": err, "abs_error": err}  # fmt: skip


def _seasonal_naive(crm: CRM, start, end) -> float:
    """The same period last year x trailing-twelve-month growth (NaN before the history)."""
    ly = (start - pd.DateOffset(years=1), end - pd.DateOffset(years=1))
    if ly[0] < crm.data_start:
        return np.nan
    last_year = float(_won(crm, *ly).sum())
    as_of = start - pd.Timedelta(days=1)
    ttm = float(_won(crm, as_of - pd.Timedelta(days=364), as_of).sum())
    prior_start = as_of - pd.Timedelta(days=729)
    if prior_start < crm.data_start:
        return last_year
    prior = float(_won(crm, prior_start, as_of - pd.Timedelta(days=365)).sum())
    return last_year * (ttm / prior if prior > 0 else 1.0)


def _trailing_attainment(crm: CRM, period, rep_ids) -> np.ndarray | None:
    """Each rep's mean attainment over the 4 quarters before ``period`` (the team's mean for a
    rep without a quota then); None when no earlier quarter has quotas."""
    cal = crm.calendar
    past, p = [], period
    for _ in range(4):
        p = cal.previous(p)
        a = quarter_attainment(crm, p)
        if len(a):
            past.append(a[["rep_id", "attainment"]])
    if not past:
        return None
    hist = pd.concat(past)
    mean = hist.groupby("rep_id")["attainment"].mean()
    return mean.reindex(rep_ids).fillna(hist["attainment"].mean()).to_numpy()


def read_backtest(source, backtest_csv="") -> tuple:
    """``(path, scores or None)``: the plan backtest CSV of the store ``source`` (default
    ``reports/plan/backtest_<store>.csv``, what ``salesops plan backtest`` writes)."""
    from pathlib import Path

    from .. import config

    path = Path(backtest_csv) if backtest_csv else config.backtest_scores("plan", source)
    return path, (pd.read_csv(path) if path.exists() else None)


def summary_table(bt: pd.DataFrame):
    """:func:`plan_backtest_summary` styled for a report: coverage and percentage errors as
    percentages, CRPS and absolute errors as money (``$1.9M``) or, for the share of reps at
    quota, as percentage points.

    >>> bt = pd.DataFrame({"target": ["team bookings", "share at quota"], "method": "model",
    ...                    "actual": 1.0, "covered_80": True, "crps": [1.86e6, 0.042],
    ...                    "abs_error": [2.78e6, 0.055], "pct_error": [0.165, np.nan]})
    >>> summary_table(bt).data[["crps", "abs_error"]].to_numpy().tolist()
    [['$1.9M', '$2.8M'], ['4.2 pts', '5.5 pts']]
    """
    from ..display import money
    from ..exports import styled

    table = plan_backtest_summary(bt)
    share = table["target"].eq("share at quota").to_numpy()
    for col in ("crps", "abs_error"):
        table[col] = [
            "-" if not np.isfinite(v) else (f"{100 * v:.1f} pts" if is_share else money(v))
            for v, is_share in zip(table[col].astype(float), share, strict=True)
        ]
    return (
        styled(table)
        .hide(axis="index")
        .format({"coverage_80": "{:.0%}", "pct_error": "{:.1%}"}, na_rep="-")
    )


def plan_backtest_summary(bt: pd.DataFrame) -> pd.DataFrame:
    """Per horizon, target and method: periods scored, 80% coverage, mean CRPS, mean
    absolute error and (bookings, cost) mean absolute percentage error of the median."""
    keys = (["horizon"] if "horizon" in bt else []) + ["target", "method"]
    g = bt.groupby(keys, sort=False)
    out = g.agg(
        periods=("actual", "size"),
        coverage_80=(
            "covered_80",
            lambda s: s.dropna().astype(float).mean() if s.notna().any() else np.nan,
        ),
        crps=("crps", "mean"),
        abs_error=("abs_error", "mean"),
        pct_error=("pct_error", "mean"),
    )
    return out.reset_index()
