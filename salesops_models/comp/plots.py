"""Charts for the comp-cost report."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ..display import money_axis
from .cost import payout_curve


def plot_payout_curves(plans: dict, ax=None):
    ax = ax or plt.subplots(figsize=(8, 3.8))[1]
    for name, plan in plans.items():
        c = payout_curve(plan)
        ax.plot(c["attainment"] * 100, c["total_variable"] * 100, label=name)
    ax.plot([0, 250], [0, 250], color="#adb5bd", ls=":", lw=1, label="1:1")
    ax.set_xlabel("attainment (%)")
    ax.set_ylabel("variable pay (% of target)")
    ax.set_title("Payout vs attainment (weighted over measures)")
    ax.legend()
    ax.figure.tight_layout()
    return ax.figure


def plot_cost_distribution(costs: dict, budget: float | None = None, ax=None):
    ax = ax or plt.subplots(figsize=(8, 3.8))[1]
    for name, c in costs.items():
        ax.hist(
            c.total,
            bins=60,
            histtype="stepfilled",
            alpha=0.45,
            label=f"{name}: p50 {np.median(c.total):,.0f}",
        )
    if budget:
        ax.axvline(budget, color="#c92a2a", ls="--", label=f"budget {budget:,.0f}")
    ax.set_xlabel("total variable comp over the plan year")
    money_axis(ax, "x")
    ax.set_title("Cost distribution on the same scenarios")
    ax.legend(fontsize=8)
    ax.figure.tight_layout()
    return ax.figure
