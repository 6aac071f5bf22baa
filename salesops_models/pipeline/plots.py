"""Charts of the pipeline metrics (matplotlib; each returns the Axes it drew on)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..display import money_axis
from ..draws import interval_of
from .metrics import COVERAGE_BAND


def plot_coverage(cov: pd.DataFrame, ax=None):
    import matplotlib.pyplot as plt

    ax = ax or plt.subplots(figsize=(8, 0.45 * len(cov) + 1.2))[1]
    c = cov.iloc[::-1]
    colors = (
        c["status"]
        .map({"low": "#c92a2a", "healthy": "#2b8a3e", "high": "#e67700"})
        .fillna("#868e96")
    )
    ax.barh(c["group"].astype(str), c["remaining_coverage"].fillna(0), color=colors)
    ax.axvspan(*COVERAGE_BAND, color="#2b8a3e", alpha=0.12, label="healthy 3-4x")
    ax.set_xlabel("open pipeline / remaining target")
    ax.set_title(f"Coverage of {cov.attrs.get('period', '')} as of {cov.attrs.get('as_of', '')}")
    ax.legend(loc="lower right")
    ax.figure.tight_layout()
    return ax.figure


def plot_funnel(conv: pd.DataFrame, ax=None):
    import matplotlib.pyplot as plt

    ax = ax or plt.subplots(figsize=(8, 3.6))[1]
    c = conv[conv["group"] == "All"]
    ax.bar(c["stage"], c["reached"], color="#1c7ed6")
    for x, (n, r) in enumerate(zip(c["reached"], c["conversion"], strict=True)):
        ax.text(x, n, f"{n:,}\n{r:.0%} advance", ha="center", va="bottom", fontsize=8)
    ax.set_ylabel("deals that reached the stage")
    ax.set_title("Stage funnel (deals closed in the window)")
    ax.margins(y=0.25)
    ax.figure.tight_layout()
    return ax.figure


def plot_win_rates(wr: pd.DataFrame, by: str, ax=None):
    import matplotlib.pyplot as plt

    ax = ax or plt.subplots(figsize=(8, 0.35 * len(wr) + 1.2))[1]
    w = wr.iloc[::-1]
    p_lo, p_hi = interval_of(w)
    y = np.arange(len(w))
    ax.errorbar(
        w["win_rate"],
        y,
        xerr=[w["win_rate"] - w[p_lo], w[p_hi] - w["win_rate"]],
        fmt="o",
        color="#1c7ed6",
    )
    ax.set_yticks(y, w[by].astype(str))
    ax.set_xlabel("win rate (90% Jeffreys interval)")
    ax.set_title(f"Win rate by {by}")
    ax.figure.tight_layout()
    return ax.figure


def plot_cycle_lengths(closed: pd.DataFrame, by: str = "segment", ax=None):
    import matplotlib.pyplot as plt

    ax = ax or plt.subplots(figsize=(8, 3.6))[1]
    won = closed[closed["is_won"]]
    groups = sorted(won[by].dropna().unique())
    data = [won.loc[won[by] == g, "cycle_days"].to_numpy() for g in groups]
    if data:
        ax.boxplot(data, tick_labels=[str(g) for g in groups], showfliers=False)
    ax.set_ylabel("days from creation to close (won)")
    ax.set_title(f"Sales cycle by {by}")
    ax.figure.tight_layout()
    return ax.figure


def plot_waterfall(buckets: pd.DataFrame, ax=None):
    import matplotlib.pyplot as plt

    ax = ax or plt.subplots(figsize=(9, 3.8))[1]
    labels = [
        "start",
        "new",
        "pulled in",
        "reopened",
        "pushed out",
        "won",
        "lost",
        "amount +/-",
        "end",
    ]
    vals = buckets["amount"].to_numpy()
    bottoms, heights, colors = [], [], []
    running = 0.0
    for i, v in enumerate(vals):
        if i == 0 or i == len(vals) - 1:
            bottoms.append(0.0)
            heights.append(v)
            colors.append("#495057")
            running = v
        else:
            bottoms.append(running if v >= 0 else running + v)
            heights.append(abs(v))
            colors.append("#2b8a3e" if v >= 0 else "#c92a2a")
            running += v
    ax.bar(labels, heights, bottom=bottoms, color=colors)
    ax.set_ylabel("pipeline amount")
    money_axis(ax)
    ax.set_title(
        f"Pipeline waterfall {buckets.attrs.get('period', '')}: "
        f"{buckets.attrs.get('start', '')} to {buckets.attrs.get('end', '')}"
    )
    ax.tick_params(axis="x", rotation=20)
    ax.figure.tight_layout()
    return ax.figure
