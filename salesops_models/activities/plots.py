"""Charts of rep productivity: selling time with intervals, the activity mix, weekly logging.

Every function takes the tables of :mod:`salesops_models.activities` and an optional
``ax``; group names come from the CRM and are drawn as plain text (no mathtext).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..draws import interval_of
from .selling_time import HEALTHY_SELLING_SHARE

_HEALTHY, _ACT = "#2e7d32", "#c62828"
_TYPE_COLORS = {
    "call": "#1565c0",
    "email": "#64b5f6",
    "meeting": "#2e7d32",
    "task": "#9e9e9e",
    "internal": "#616161",
}


def _plain(labels) -> list[str]:
    """Labels as literal text: matplotlib would read ``$...$`` in a CRM name as math."""
    return [str(v).replace("$", r"\$") for v in labels]


def plot_selling_time(
    table: pd.DataFrame, group: str, healthy: float = HEALTHY_SELLING_SHARE, ax=None
):
    """Selling-time share per group with its interval, the healthy mark as a dashed line.

    Examples
    --------
    >>> t = pd.DataFrame({"team": ["A", "B"], "selling_share": [0.3, 0.5], "p05": [0.28, 0.45],
    ...                   "p95": [0.32, 0.55]})
    >>> ax = plot_selling_time(t, "team")
    >>> len(ax.patches)
    2
    """
    t = table.sort_values("selling_share")
    ax = ax or plt.subplots(figsize=(9, max(2.4, 0.28 * len(t) + 1)))[1]
    y = np.arange(len(t))
    share = 100 * t["selling_share"].to_numpy(float)
    p_lo, p_hi = interval_of(t)
    err = np.vstack([share - 100 * t[p_lo].to_numpy(float), 100 * t[p_hi].to_numpy(float) - share])
    colors = np.where(share >= 100 * healthy, _HEALTHY, "#78909c")
    ax.barh(y, share, color=colors, xerr=np.nan_to_num(err), ecolor="#37474f", capsize=2)
    ax.set_yticks(y, _plain(t[group]))
    ax.axvline(100 * healthy, color=_ACT, lw=1, ls="--", label=f"healthy from {healthy:.0%}")
    ax.set_xlabel("selling time, % of working hours (90% interval)")
    ax.set_xlim(0, max(100 * healthy + 10, float(np.nanmax(share, initial=0)) + 10))
    ax.legend(fontsize=8, loc="lower right")
    return ax


def plot_selling_trend(monthly: pd.DataFrame, healthy: float = HEALTHY_SELLING_SHARE, ax=None):
    """Monthly selling-time share with its interval band."""
    ax = ax or plt.subplots(figsize=(9, 2.8))[1]
    x = monthly["month"].astype(str)
    p_lo, p_hi = interval_of(monthly)
    ax.fill_between(x, 100 * monthly[p_lo], 100 * monthly[p_hi], color="#90caf9", alpha=0.5)
    ax.plot(x, 100 * monthly["selling_share"], marker="o", color="#1565c0", label="selling time")
    ax.axhline(100 * healthy, color=_ACT, lw=1, ls="--", label=f"healthy from {healthy:.0%}")
    ax.set_ylabel("% of working hours")
    ax.set_ylim(0, 100)
    ax.tick_params(axis="x", rotation=45)
    ax.legend(fontsize=8)
    return ax


def plot_activity_mix(acts_hours: pd.DataFrame, group: str, per: pd.Series | None = None, ax=None):
    """Stacked logged hours per activity type for each group; ``per`` divides each group
    (e.g. by its AE-weeks, for hours per AE per week).

    ``acts_hours`` has ``group``, ``type`` and ``hours`` columns.
    """
    pivot = acts_hours.pivot_table(index=group, columns="type", values="hours", aggfunc="sum")
    pivot = pivot.fillna(0.0)
    if per is not None:
        pivot = pivot.div(per.reindex(pivot.index), axis=0)
    order = [t for t in _TYPE_COLORS if t in pivot.columns]
    pivot = pivot[order].sort_values(order[0] if order else pivot.columns[0])
    ax = ax or plt.subplots(figsize=(9, max(2.4, 0.28 * len(pivot) + 1)))[1]
    left = np.zeros(len(pivot))
    y = np.arange(len(pivot))
    for t in order:
        ax.barh(y, pivot[t], left=left, color=_TYPE_COLORS[t], label=t)
        left += pivot[t].to_numpy()
    ax.set_yticks(y, _plain(pivot.index))
    ax.set_xlabel("logged hours per AE per week" if per is not None else "logged hours")
    ax.legend(fontsize=8, ncol=len(order), loc="lower right")
    return ax


def plot_weekly_logging(weekly: pd.DataFrame, healthy: float = 0.9, ax=None):
    """Share of AEs who logged any activity, week by week."""
    ax = ax or plt.subplots(figsize=(9, 2.6))[1]
    share = weekly.groupby("week")["logged"].mean()
    ax.plot(share.index, 100 * share.to_numpy(), marker="o", color="#1565c0")
    ax.axhline(100 * healthy, color=_ACT, lw=1, ls="--", label=f"healthy from {healthy:.0%}")
    ax.set_ylabel("% of AEs logging")
    ax.set_ylim(0, 105)
    ax.legend(fontsize=8)
    return ax
