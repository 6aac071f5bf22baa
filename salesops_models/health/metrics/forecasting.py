"""Forecast accuracy: how far the scored forecasts landed from actual bookings."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ...crm import CRM
from ...scoring import Backtest
from .base import (
    Metric,
    _metric,
    _na,
    _trend,
)

# --- forecast accuracy ----------------------------------------------------------------------
#: quarters of the team's call graded (the most recent that ended), and the fewest accepted
CALL_QUARTERS, MIN_CALL_QUARTERS = 8, 2


def _call_rows(crm: CRM, calls, as_of, cfg: dict) -> tuple[pd.DataFrame, str]:
    """The team's call against actual bookings per complete quarter
    (:func:`~salesops_models.calls.rollup.call_errors`); empty without calls."""
    from ...calls.rollup import call_errors

    if calls is None or calls.empty:
        return pd.DataFrame(), ""
    point = cfg.get("point", "week 4")
    day = {"day 1": 0, "week 4": 27, "week 8": 55}.get(point, 27)
    rows, cat = call_errors(crm, calls, as_of, day=day, quarters=CALL_QUARTERS)
    if len(rows) < MIN_CALL_QUARTERS:
        return pd.DataFrame(), ""
    used = f"the team's call ({cat} at {point}, {len(rows)} quarters)"
    return rows[["period", "as_of", "error"]].assign(covered_80=np.nan), used


def forecast_accuracy(
    crm: CRM,
    as_of,
    cfg: dict,
    *,
    ledger_path: Path | str | None = None,
    ledger_source: str | None = None,
    backtest_csv: Path | str | None = None,
    calls: pd.DataFrame | None = None,
    seed: int = 0,
    **_,
) -> Metric:
    """Mean absolute error of the forecast the company runs on: the team's call (Most
    Likely, else Commit, standing at week 4 of each complete quarter) when the store has
    forecast calls; else the workbench's own forecasts (the ledger, then the backtest). The
    metric says which it graded."""
    from ...forecast import ledger as fledger

    key = "forecast_accuracy"
    as_of = pd.Timestamp(as_of)
    rows, used = _call_rows(crm, calls, as_of, cfg)
    if rows.empty and ledger_path is not None and Path(ledger_path).exists():
        led = fledger.scored(crm, ledger_path, ledger_source)
        if len(led):
            ends = led["period"].map(lambda p: crm.period(p).end)
            led = led[(ends <= as_of) & (pd.to_datetime(led["as_of"]) <= as_of)]
        if len(led) >= int(cfg.get("min_ledger_forecasts", 4)):
            rows = pd.DataFrame(
                {
                    "period": led["period"],
                    "as_of": led["as_of"],
                    "error": led["error_pct"] / 100,
                    "covered_80": led["covered_80"].astype(float),
                }
            )
            used = f"forecast ledger ({len(rows)} scored forecasts)"
    baseline = None
    if rows.empty and backtest_csv is not None and Path(backtest_csv).exists():
        bt = Backtest.read(backtest_csv)
        point = cfg.get("point", "week 4")
        bt = bt[bt["point"] == point]
        ends = bt["period"].map(lambda p: crm.period(p).end)
        bt = bt[ends <= as_of]
        m = bt.model_rows
        if len(m):
            rows = pd.DataFrame(
                {
                    "period": m["period"],
                    "as_of": m["as_of"],
                    "error": m["error_pct"] / 100,
                    "covered_80": m["covered_80"].astype(float),
                }
            )
            used = f"backtest at {point} ({len(rows)} quarters, {Path(backtest_csv).name})"
            sw = bt[bt["method"] == "stage-weighted"]
            if len(sw):
                baseline = float(sw["abs_error_pct"].mean() / 100)
    if rows.empty:
        return _na(
            key,
            cfg,
            "no scored forecasts: record forecasts in the ledger (`salesops forecast run`) "
            "or backtest this store (`salesops forecast backtest --db "
            f"{ledger_source or 'STORE'}`)",
        )
    err = rows["error"].to_numpy(float)
    abs_err = np.abs(err)
    value = float(abs_err.mean())
    rng = np.random.default_rng(seed)
    boot = abs_err[rng.integers(0, len(abs_err), (2000, len(abs_err)))].mean(axis=1)
    interval = (float(np.quantile(boot, 0.05)), float(np.quantile(boot, 0.95)))
    worst = rows.assign(abs=abs_err).sort_values("abs", ascending=False).head(3)
    contributors = [
        {
            "name": f"{r.period} (as of {r.as_of})",
            "value": f"{r.error:+.1%}",
            "detail": "over-forecast" if r.error > 0 else "under-forecast",
        }
        for r in worst.itertuples(index=False)
    ]
    bias = float(err.mean())
    trend = rows.groupby("period", sort=True)["error"].apply(lambda s: float(np.abs(s).mean()))
    band = cfg["band"]
    status = band.status(value)
    direction = "high" if bias > 0 else "low"
    if status == "healthy":
        action = (
            f"Forecasts landed within {value:.1%} of actuals on average ({used}); keep the "
            f"cadence and watch the bias ({bias:+.1%})."
        )
    else:
        w = worst.iloc[0]
        action = (
            f"Forecasts missed by {value:.1%} on average ({used}), running {direction} "
            f"({bias:+.1%}); "
            f"review the worst call ({w.period}, {w.error:+.1%}) and recalibrate "
            + ("commit/stage probabilities." if abs(bias) > value / 2 else "the forecast inputs.")
        )
    details = {
        "bias": bias,
        "coverage_80": (
            float(np.nanmean(rows["covered_80"])) if rows["covered_80"].notna().any() else None
        ),
        "forecasts": float(len(rows)),
        "source_used": used,
    }
    if baseline is not None:
        details["stage_weighted_error"] = baseline
    return _metric(
        key,
        cfg,
        value,
        interval=interval,
        contributors=contributors,
        action=action,
        trend=_trend(list(trend.items())),
        details=details,
        table=rows.reset_index(drop=True),
    )
