"""Charts of the bookings forecast (matplotlib)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..display import money_axis
from ..scoring import model_rows


def plot_fan(fc, target: float | None = None, actual_to_date: pd.Series | None = None, ax=None):
    """Cumulative bookings through the period: closed to date, then the forecast's 50/80/90%
    bands by day (from the simulated close dates), against the target."""
    ax = ax or plt.subplots(figsize=(9, 4.5))[1]
    days = pd.date_range(fc.period.start, fc.period.end, freq="D")[: fc.cumulative.shape[1]]
    future = days > fc.as_of
    for lo, hi, alpha in ((0.05, 0.95, 0.15), (0.1, 0.9, 0.25), (0.25, 0.75, 0.4)):
        q = np.quantile(fc.cumulative, [lo, hi], axis=0)
        ax.fill_between(
            days[future],
            q[0][future],
            q[1][future],
            color="C0",
            alpha=alpha,
            lw=0,
            label=f"{round((hi - lo) * 100)}% interval",
        )
    med = np.median(fc.cumulative, axis=0)
    ax.plot(days[future], med[future], color="C0", lw=1.5, label="median")
    ax.plot(days[~future], med[~future], color="black", lw=2, label="closed won")
    if actual_to_date is not None and len(actual_to_date):
        ax.plot(
            actual_to_date.index,
            actual_to_date.to_numpy(),
            color="C2",
            lw=1.5,
            ls="--",
            label="actual (later data)",
        )
    if target:
        ax.axhline(target, color="C3", ls=":", label=f"target {target:,.0f}")
    ax.axvline(fc.as_of, color="grey", lw=0.8)
    ax.set_title(f"{fc.period.label} bookings forecast as of {fc.as_of.date()}")
    ax.set_ylabel("cumulative bookings")
    ax.legend(loc="upper left", fontsize=8)
    money_axis(ax)
    return ax


def plot_bridge(fc, target: float | None = None, ax=None):
    """Bridge from closed-won to the forecast median: closed, open pipeline, new deals."""
    ax = ax or plt.subplots(figsize=(7, 4))[1]
    parts = [
        ("closed won", fc.closed),
        ("open pipeline", float(np.median(fc.from_open))),
        ("not yet created", float(np.median(fc.from_new))),
    ]
    bottom = 0.0
    for i, (_name, v) in enumerate(parts):
        ax.bar(i, v, bottom=bottom, color=f"C{i}")
        ax.text(i, bottom + v / 2, f"{v / 1e6:,.2f}M", ha="center", va="center", fontsize=9)
        bottom += v
    p50 = float(np.median(fc.total))
    lo, hi = np.quantile(fc.total, [0.1, 0.9])
    ax.bar(len(parts), p50, color="grey")
    ax.errorbar(len(parts), p50, yerr=[[p50 - lo], [hi - p50]], color="black", capsize=6)
    ax.text(len(parts), p50 / 2, f"p50 {p50 / 1e6:,.2f}M", ha="center", va="center", fontsize=9)
    if target:
        ax.axhline(target, color="C3", ls=":", label=f"target {target / 1e6:,.2f}M")
        ax.legend(loc="upper left", fontsize=8)
    ax.set_xticks(range(len(parts) + 1), [p[0] for p in parts] + ["forecast (p10-p90)"])
    ax.set_title("Bridge: closed to forecast (medians of each part)")
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v / 1e6:,.0f}M"))
    return ax


def plot_distribution(fc, target: float | None = None, ax=None):
    ax = ax or plt.subplots(figsize=(7, 3.5))[1]
    ax.hist(fc.total, bins=40, color="C0", alpha=0.7)
    for q, ls in ((0.1, "--"), (0.5, "-"), (0.9, "--")):
        ax.axvline(np.quantile(fc.total, q), color="black", ls=ls, lw=1)
    if target:
        ax.axvline(
            target, color="C3", ls=":", lw=2, label=f"P(reach target) = {fc.p_reach(target):.0%}"
        )
        ax.legend(fontsize=8)
    ax.set_title("Posterior distribution of the period's bookings (p10 / p50 / p90)")
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v / 1e6:,.1f}M"))
    return ax


def plot_backtest(bt: pd.DataFrame, point: str, ax=None):
    """Forecast vs actual per past quarter at ``point``: model interval and baselines."""
    ax = ax or plt.subplots(figsize=(9, 4))[1]
    b = bt[bt["point"] == point]
    periods = list(dict.fromkeys(b["period"]))
    x = np.arange(len(periods))
    m = model_rows(b).set_index("period").reindex(periods)
    actual = m["actual"].to_numpy()
    ax.errorbar(
        x,
        m["forecast"] / actual,
        yerr=[(m["forecast"] - m["p10"]) / actual, (m["p90"] - m["forecast"]) / actual],
        fmt="o",
        color="C0",
        capsize=4,
        label="model P50 (p10-p90)",
    )
    shown = ["stage-weighted", "last quarter", "trailing mean", "seasonal naive"]
    for i, method in enumerate(m for m in shown if m in set(b["method"])):
        s = b[b["method"] == method].set_index("period").reindex(periods)
        ax.plot(
            x + 0.12 * (i + 1), s["forecast"] / actual, "s", ms=4, color=f"C{i + 1}", label=method
        )
    ax.axhline(1, color="black", lw=0.8)
    ax.axhspan(0.95, 1.05, color="C2", alpha=0.1, label="within 5%")
    ax.set_xticks(x, periods, rotation=45)
    ax.set_ylabel("forecast / actual")
    ax.set_title(f"Backtest at {point}: forecast relative to actual bookings")
    ax.legend(fontsize=8, ncol=2)
    return ax


def plot_calibration(bt: pd.DataFrame, axes=None):
    """Calibration of the backtest's model forecasts: the PIT histogram per point (flat when
    calibrated: each fifth of the forecast distribution holds a fifth of the actuals) and
    the 50/80/90% interval coverage per point against the nominal level, with the range a
    calibrated forecast shows in 90% of backtests of this many quarters."""
    from scipy import stats

    fits = model_rows(bt)
    points = list(dict.fromkeys(fits["point"]))
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(11, 4))
    ax = axes[0]
    edges = np.linspace(0, 1, 6)
    width = 0.2 / max(len(points), 1)
    for i, point in enumerate(points):
        v = fits.loc[fits["point"] == point, "pit"].dropna() if "pit" in fits else []
        counts, _ = np.histogram(v, bins=edges)
        ax.bar(edges[:-1] + i * width, counts, width=width, align="edge", label=point)
    # scores per point: quarters, or org-quarters when several orgs are pooled
    n = int(fits.groupby("point").size().max()) if len(fits) else 0
    ax.axhline(n / 5, color="black", lw=0.8, ls="--", label="calibrated")
    ax.set_xlabel("PIT: forecast probability of bookings <= actual")
    ax.set_ylabel("quarters" if "org" not in fits else "org-quarters")
    ax.set_title("PIT histogram (flat when calibrated)")
    ax.legend(fontsize=8)
    ax = axes[1]
    levels = np.array([50, 80, 90])
    for i, point in enumerate(points):
        g = fits[fits["point"] == point]
        cov = [g[f"covered_{lv}"].mean() for lv in levels]
        ax.plot(levels + (i - 1) * 0.8, np.array(cov) * 100, "o", label=point)
    if n:
        lo = stats.binom.ppf(0.05, n, levels / 100) / n * 100
        hi = stats.binom.ppf(0.95, n, levels / 100) / n * 100
        ax.fill_between(levels, lo, hi, color="grey", alpha=0.2, label=f"chance range, {n} scores")
    ax.plot([45, 95], [45, 95], color="black", lw=0.8)
    ax.set_xlabel("nominal interval (%)")
    ax.set_ylabel("quarters covered (%)")
    ax.set_title("Interval coverage")
    ax.legend(fontsize=8)
    return axes
