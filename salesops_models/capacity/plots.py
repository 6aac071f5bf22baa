"""Charts for the quota and capacity report."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..display import money_axis
from ..draws import interval_of
from .quota import HEALTHY_AT_QUOTA


def plot_fan(fan: pd.DataFrame, title: str = "Cumulative bookings capacity vs target", ax=None):
    ax = ax or plt.subplots(figsize=(9, 4))[1]
    x = np.arange(len(fan))
    ax.fill_between(x, fan["p10"], fan["p90"], color="#1c7ed6", alpha=0.2, label="P10-P90")
    ax.fill_between(x, fan["p25"], fan["p75"], color="#1c7ed6", alpha=0.35, label="P25-P75")
    ax.plot(x, fan["p50"], color="#1c7ed6", label="median")
    ax.plot(x, fan["target"], color="#c92a2a", ls="--", label="target")
    ax.set_xticks(x, fan.index, rotation=45)
    money_axis(ax)
    ax.set_title(title)
    ax.legend(loc="upper left")
    ax.figure.tight_layout()
    return ax.figure


def plot_scenarios(totals: dict[str, np.ndarray], target: float, ax=None):
    """Distribution of total capacity for several hiring scenarios."""
    ax = ax or plt.subplots(figsize=(9, 3.8))[1]
    for name, t in totals.items():
        ax.hist(
            t,
            bins=60,
            histtype="step",
            lw=1.8,
            label=f"{name}: P(target) {np.mean(t >= target):.0%}",
        )
    ax.axvline(target, color="#c92a2a", ls="--", label="target")
    ax.set_xlabel("total bookings over the horizon")
    money_axis(ax, "x")
    ax.set_title("Hiring scenarios on the same random numbers")
    ax.legend(fontsize=8)
    ax.figure.tight_layout()
    return ax.figure


def plot_share_at_quota(share: np.ndarray, ax=None):
    ax = ax or plt.subplots(figsize=(8, 3.5))[1]
    ax.hist(share, bins=np.linspace(0, 1, 41), color="#1c7ed6")
    ax.axvspan(*HEALTHY_AT_QUOTA, color="#2b8a3e", alpha=0.15, label="healthy 60-85%")
    ax.axvline(share.mean(), color="k", lw=1, label=f"mean {share.mean():.0%}")
    ax.set_xlabel("share of reps at or above quota (per scenario)")
    ax.set_title("Attainment: share of reps at quota")
    ax.legend()
    ax.figure.tight_layout()
    return ax.figure


def plot_attainment(att: np.ndarray, ax=None):
    ax = ax or plt.subplots(figsize=(8, 3.5))[1]
    a = att[~np.isnan(att)]
    ax.hist(np.clip(a, 0, 3), bins=60, color="#495057")
    ax.axvline(1.0, color="#c92a2a", ls="--", label="quota")
    ax.set_xlabel("attainment (all reps x scenarios, clipped at 300%)")
    ax.set_title("Attainment distribution")
    ax.legend()
    ax.figure.tight_layout()
    return ax.figure


def plot_calibration(curve: pd.DataFrame, chosen: float, ax=None):
    ax = ax or plt.subplots(figsize=(8, 3.5))[1]
    ax.fill_between(
        curve["buffer"], curve["p10"], curve["p90"], color="#1c7ed6", alpha=0.2, label="P10-P90"
    )
    ax.plot(curve["buffer"], curve["share_at_quota"], "o-", color="#1c7ed6", label="share at quota")
    ax.axhspan(*HEALTHY_AT_QUOTA, color="#2b8a3e", alpha=0.12, label="healthy 60-85%")
    ax.axvline(chosen, color="k", lw=1, ls=":", label=f"plan buffer {chosen:+.0%}")
    ax.set_xlabel("over-assignment buffer (sum of quotas / target - 1)")
    ax.set_ylabel("share of reps at quota")
    ax.set_title("Calibration: share at quota vs over-assignment")
    ax.legend(fontsize=8)
    ax.figure.tight_layout()
    return ax.figure


def plot_rep_productivity(prod: pd.DataFrame, ax=None):
    p = prod.sort_values(["segment", "mean"])
    ax = ax or plt.subplots(figsize=(8, 0.16 * len(p) + 1.5))[1]
    y = np.arange(len(p))
    colors = (
        p["segment"]
        .astype("category")
        .cat.codes.map({0: "#1c7ed6", 1: "#e67700", 2: "#2b8a3e", 3: "#862e9c"})
    )
    ax.hlines(y, *(p[c] for c in interval_of(p)), color=colors)
    ax.scatter(p["mean"], y, c=colors, s=10)
    ax.set_yticks(y, p["rep_id"], fontsize=6)
    ax.set_xlabel("expected monthly bookings when ramped (90% interval)")
    money_axis(ax, "x")
    ax.set_title("Rep productivity (partially pooled by segment)")
    ax.figure.tight_layout()
    return ax.figure


def plot_prior_predictive(prior, observed_mean_log: np.ndarray, ax=None):
    """Prior predictive check: the prior's spread of reps' mean log monthly bookings against
    the observed ones (the prior should cover the data without being absurdly wide)."""
    ax = ax or plt.subplots(figsize=(8, 3.2))[1]
    sim = prior.prior_predictive["mean_log"].to_numpy().ravel()
    sim = sim[np.isfinite(sim)]  # a rep without a booked month has no mean log
    observed_mean_log = np.asarray(observed_mean_log, dtype=float)
    observed_mean_log = observed_mean_log[np.isfinite(observed_mean_log)]
    lo, hi = np.quantile(sim, [0.01, 0.99])
    ax.hist(np.clip(sim, lo, hi), bins=80, density=True, color="#adb5bd", label="prior predictive")
    ax.hist(observed_mean_log, bins=30, density=True, color="#1c7ed6", alpha=0.7, label="observed")
    ax.set_xlabel("mean log monthly bookings of a rep")
    ax.set_title("Prior predictive check")
    ax.legend()
    ax.figure.tight_layout()
    return ax.figure


def plot_track_record(bt: pd.DataFrame, targets=("team bookings", "share at quota", "comp cost")):
    """The plan backtest by quarter: the model's P10-P90 and median, what happened, and the
    naive baseline, one panel per target (the quarterly replays; years are in the table)."""
    if "horizon" in bt:
        bt = bt[bt["horizon"] == "quarter"]
    targets = [t for t in targets if t in set(bt["target"])]
    fig, axes = plt.subplots(1, len(targets), figsize=(4.6 * len(targets), 3.6), squeeze=False)
    for ax, target in zip(axes[0], targets, strict=True):
        m = bt[(bt["target"] == target) & (bt["method"] == "model")]
        b = bt[(bt["target"] == target) & (bt["method"] == "baseline")]
        x = np.arange(len(m))
        scale, unit = (1.0, "") if target == "share at quota" else (1e6, " ($M)")
        ax.vlines(x, m["p10"] / scale, m["p90"] / scale, color="#1c7ed6", lw=6, alpha=0.35,
                  label="model P10-P90")  # fmt: skip
        ax.plot(x, m["p50"] / scale, "o", color="#1c7ed6", label="model median")
        ax.plot(x, m["actual"] / scale, "x", color="k", ms=8, mew=2, label="actual")
        ax.plot(x, b["p50"].to_numpy() / scale, "^", color="#e8590c", label="naive baseline")
        ax.set_xticks(x, m["period"], rotation=45)
        ax.set_title(f"{target}{unit}")
        if target == "share at quota":
            ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    axes[0][0].legend(fontsize=8, loc="best")
    fig.tight_layout()
    return fig


def plot_period_effects(effects: pd.DataFrame, ax=None):
    """Each fitted quarter's shared effect (multiplier of every rep's bookings) with its
    interval."""
    ax = ax or plt.subplots(figsize=(9, 3.4))[1]
    x = np.arange(len(effects))
    ax.vlines(x, *(effects[c] for c in interval_of(effects)), color="#1c7ed6", lw=5, alpha=0.35)
    ax.plot(x, effects["multiplier"], "o", color="#1c7ed6")
    ax.axhline(1.0, color="k", lw=0.8)
    ax.set_xticks(x, effects["quarter"], rotation=45)
    sd = effects.attrs.get("sd_period", {})
    ax.set_title(
        "Shared quarter effect on every rep's bookings"
        + (f" (scale {sd['mean']:.2f}, 80% {sd['p10']:.2f}-{sd['p90']:.2f})" if sd else "")
    )
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    ax.figure.tight_layout()
    return ax.figure
