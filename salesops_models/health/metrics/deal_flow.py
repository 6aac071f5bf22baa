"""Sales cycle, velocity and win rate: the last 4 quarters against the 4 before."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ... import pipeline
from ...crm import CRM
from ...display import money
from .base import (
    Metric,
    _metric,
    _na,
    _trend,
    complete_quarters,
    grade_draws,
    same_point_dates,
)


# --- sales cycle, velocity, win rate ---------------------------------------------------------------
def _closed_window(crm: CRM, quarters: list) -> pd.DataFrame:
    if not quarters:
        return pd.DataFrame()
    return pipeline.closed_deals(crm, quarters[0].start, quarters[-1].end)


def _two_windows(crm: CRM, as_of):
    """Closed deals of the last n complete quarters and of the n before, n = 4, or fewer
    (at least 1) when the data starts later; quarters the data only partly covers are left
    out. Returns (current, previous, quarters shown in the trend, window label)."""
    qs = [q for q in complete_quarters(crm, 8, as_of) if q.start >= crm.data_start.normalize()]
    n = min(4, len(qs) // 2)
    if n < 1:
        return None, None, qs, ""
    cur_q, prev_q = qs[-n:], qs[-2 * n : -n]
    label = f"{cur_q[0].label}..{cur_q[-1].label} vs {prev_q[0].label}..{prev_q[-1].label}"
    return _closed_window(crm, cur_q), _closed_window(crm, prev_q), qs, label


def sales_cycle(crm: CRM, as_of, cfg: dict, *, seed: int = 0, **_) -> Metric:
    key = "sales_cycle"
    cur, prev, qs, window = _two_windows(crm, as_of)
    if cur is None:
        return _na(key, cfg, "needs at least 2 complete quarters of closed deals")
    a = cur.loc[cur["is_won"], "cycle_days"].to_numpy(float)
    b = prev.loc[prev["is_won"], "cycle_days"].to_numpy(float)
    if len(a) < 10 or len(b) < 10:
        return _na(key, cfg, "fewer than 10 won deals in a window")
    value = float(np.median(a) / np.median(b) - 1)
    rng = np.random.default_rng(seed)
    ra = np.median(a[rng.integers(0, len(a), (500, len(a)))], axis=1)
    rb = np.median(b[rng.integers(0, len(b), (500, len(b)))], axis=1)
    draws = ra / rb - 1
    interval = tuple(np.quantile(draws, [0.05, 0.95]).astype(float))
    status, p_h, p_w = grade_draws(cfg["band"], draws, float(cfg.get("confidence", 0.9)))
    segs = []
    for s in sorted(set(cur["segment"].dropna()) | set(prev["segment"].dropna())):
        x = cur.loc[cur["is_won"] & (cur["segment"] == s), "cycle_days"]
        y = prev.loc[prev["is_won"] & (prev["segment"] == s), "cycle_days"]
        if len(x) >= 5 and len(y) >= 5:
            segs.append((s, float(x.median()), float(y.median())))
    segs.sort(key=lambda t: t[1] / t[2], reverse=True)
    contributors = [
        {"name": s, "value": f"{x / y - 1:+.0%}", "detail": f"median {y:.0f} -> {x:.0f} days"}
        for s, x, y in segs[:3]
    ]
    trend = []
    for p in qs:
        d = _closed_window(crm, [p])
        w = d.loc[d["is_won"], "cycle_days"] if len(d) else pd.Series(dtype=float)
        trend.append((p.label, float(w.median()) if len(w) else np.nan))
    m = _metric(
        key,
        cfg,
        value,
        status=status,
        interval=interval,
        contributors=contributors,
        trend=_trend(trend),
        trend_label="median days from creation to win, per quarter",
        details={
            "window": window,
            "median_days": float(np.median(a)),
            "median_days_previous_window": float(np.median(b)),
            "p_outside_healthy": p_h,
        },
    )
    if m.status == "healthy":
        m.action = (
            f"Median won cycle is {np.median(a):.0f} days ({value:+.0%}, {window}; "
            f"P(outside band) {p_h:.0%}); no action."
        )
    else:
        m.action = (
            f"Won deals take {np.median(a):.0f} days, {value:+.0%} ({window}); find where they "
            f"wait (stage durations), starting with {contributors[0]['name'] if contributors else 'the slowest segment'}."
        )
    return m


def _velocity_draws(crm: CRM, as_of, n_open: float, rng, n_boot: int = 200) -> np.ndarray:
    """Bootstrap draws of velocity per 30 days: closed deals of the 365-day lookback are
    resampled (win rate, average won deal and cycle move together); the open count is
    held at its value."""
    as_of = pd.Timestamp(as_of)
    d = pipeline.closed_deals(crm, as_of - pd.Timedelta(days=365), as_of)
    if len(d) == 0:
        return np.full(n_boot, np.nan)
    won = d["is_won"].to_numpy(bool)
    amt = d["amount"].astype(float).fillna(0.0).to_numpy()
    cyc = d["cycle_days"].astype(float).to_numpy()
    out = np.empty(n_boot)
    for i in range(0, n_boot, 50):  # chunks bound memory: 50 x n draws at a time
        idx = rng.integers(0, len(d), (min(50, n_boot - i), len(d)))
        w = won[idx]
        nw = np.maximum(w.sum(axis=1), 1)
        wr = w.mean(axis=1)
        avg = (amt[idx] * w).sum(axis=1) / nw
        cy = (cyc[idx] * w).sum(axis=1) / nw
        out[i : i + len(idx)] = n_open * wr * avg / np.where(cy > 0, cy, np.nan) * 30
    return out


def velocity(crm: CRM, as_of, cfg: dict, *, seed: int = 0, **_) -> Metric:
    key = "velocity"
    as_of = pd.Timestamp(as_of)
    before = as_of - pd.DateOffset(years=1)
    if before < crm.data_start + pd.Timedelta(days=365):
        return _na(key, cfg, "needs two years of history before the as-of date")
    now = pipeline.velocity(crm, as_of, by="segment").set_index("group")
    then = pipeline.velocity(crm, before, by="segment").set_index("group")
    v1, v0 = now.loc["All", "velocity_per_30d"], then.loc["All", "velocity_per_30d"]
    if not (np.isfinite(v0) and v0 > 0):
        return _na(key, cfg, "no velocity a year earlier")
    value = float(v1 / v0 - 1)
    rng = np.random.default_rng(seed)
    d1 = _velocity_draws(crm, as_of, now.loc["All", "open_deals"], rng)
    d0 = _velocity_draws(crm, before, then.loc["All", "open_deals"], rng)
    draws = d1 / d0 - 1
    interval = tuple(np.quantile(draws[np.isfinite(draws)], [0.05, 0.95]).astype(float))
    status, p_h, p_w = grade_draws(cfg["band"], draws, float(cfg.get("confidence", 0.9)))
    segs = []
    for s in now.index.drop("All"):
        if s in then.index and then.loc[s, "velocity_per_30d"] > 0:
            segs.append(
                (s, float(now.loc[s, "velocity_per_30d"] / then.loc[s, "velocity_per_30d"] - 1))
            )
    segs.sort(key=lambda t: t[1])
    contributors = [
        {
            "name": s,
            "value": f"{c:+.0%}",
            "detail": f"{money(now.loc[s, 'velocity_per_30d'])} per 30 days",
        }
        for s, c in segs[:3]
    ]
    trend = []
    for label, d in same_point_dates(crm, as_of, 8):
        v = pipeline.velocity(crm, d).iloc[0]
        trend.append((label, float(v["velocity_per_30d"])))
    parts = {}
    for col in ("open_deals", "win_rate", "avg_won_deal", "cycle_days"):
        parts[f"{col}_change"] = float(now.loc["All", col] / then.loc["All", col] - 1)
    m = _metric(
        key,
        cfg,
        value,
        status=status,
        interval=interval,
        contributors=contributors,
        trend=_trend(trend),
        trend_label="sales velocity, $ per 30 days",
        details={
            "velocity_per_30d": float(v1),
            "velocity_per_30d_year_before": float(v0),
            "p_outside_healthy": p_h,
            **parts,
        },
    )
    driver = min(
        ("open_deals_change", "win_rate_change", "avg_won_deal_change"), key=lambda k: parts[k]
    )
    if m.status == "healthy":
        m.action = (
            f"Velocity is {money(v1)} per 30 days ({value:+.0%} on a year ago; "
            f"P(outside band) {p_h:.0%}); no action."
        )
    else:
        m.action = (
            f"Velocity fell {value:.0%} on a year ago; the largest drag is "
            f"{driver.replace('_change', '').replace('_', ' ')} ({parts[driver]:+.0%}), "
            f"worst in {contributors[0]['name'] if contributors else 'all segments'}."
        )
    return m


def win_rate(crm: CRM, as_of, cfg: dict, *, seed: int = 0, **_) -> Metric:
    key = "win_rate"
    cur, prev, qs, window = _two_windows(crm, as_of)
    if cur is None:
        return _na(key, cfg, "needs at least 2 complete quarters of closed deals")
    w1, n1 = int(cur["is_won"].sum()), len(cur)
    w0, n0 = int(prev["is_won"].sum()), len(prev)
    if n1 < 20 or n0 < 20:
        return _na(key, cfg, "fewer than 20 closed deals in a window")
    value = w1 / n1 - w0 / n0
    rng = np.random.default_rng(seed)
    diff = rng.beta(w1 + 0.5, n1 - w1 + 0.5, 4000) - rng.beta(w0 + 0.5, n0 - w0 + 0.5, 4000)
    interval = tuple(np.quantile(diff, [0.05, 0.95]).astype(float))
    status, p_h, p_w = grade_draws(cfg["band"], diff, float(cfg.get("confidence", 0.9)))
    segs = []
    for s in sorted(set(cur["segment"].dropna())):
        c, p = cur[cur["segment"] == s], prev[prev["segment"] == s]
        if len(c) >= 10 and len(p) >= 10:
            segs.append((s, c["is_won"].mean(), p["is_won"].mean()))
    segs.sort(key=lambda t: t[1] - t[2])
    contributors = [
        {"name": s, "value": f"{100 * (a - b):+.1f} pts", "detail": f"{b:.1%} -> {a:.1%}"}
        for s, a, b in segs[:3]
    ]
    trend = []
    for p in qs:
        d = _closed_window(crm, [p])
        trend.append((p.label, float(d["is_won"].mean()) if len(d) else np.nan))
    m = _metric(
        key,
        cfg,
        float(value),
        status=status,
        interval=interval,
        contributors=contributors,
        trend=_trend(trend),
        trend_label="win rate (won / closed) per quarter",
        details={
            "window": window,
            "win_rate": w1 / n1,
            "win_rate_previous_window": w0 / n0,
            "closed": float(n1),
            "p_outside_healthy": p_h,
        },
    )
    if m.status == "healthy":
        m.action = (
            f"Win rate is {w1 / n1:.1%} ({100 * value:+.1f} pts, {window}; "
            f"P(outside band) {p_h:.0%}); no action."
        )
    else:
        m.action = (
            f"Win rate fell to {w1 / n1:.1%} ({100 * value:+.1f} pts, {window}); review lost reasons in "
            f"{contributors[0]['name'] if contributors else 'every segment'} and qualification at entry."
        )
    return m
