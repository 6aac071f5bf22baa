"""Maps and balance charts for territories (plain lat/lon scatter: no web tiles)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd


def plot_map(
    accounts: pd.DataFrame,
    col: str = "territory",
    title: str = "",
    centers: pd.DataFrame | None = None,
    ax=None,
):
    ax = ax or plt.subplots(figsize=(8, 5))[1]
    codes = pd.Categorical(accounts[col]).codes
    cmap = plt.get_cmap("tab20")
    size = 4 + 40 * np.sqrt(accounts["potential"] / accounts["potential"].max())
    ax.scatter(
        accounts["lon"],
        accounts["lat"],
        c=[cmap(c % 20) for c in codes],
        s=size,
        alpha=0.7,
        linewidths=0,
    )
    if centers is not None:
        ax.scatter(centers["lon"], centers["lat"], marker="X", c="k", s=40)
    lat0 = float(np.radians(accounts["lat"].mean()))
    ax.set_aspect(1 / max(np.cos(lat0), 0.2))
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    ax.set_title(title or f"Accounts by {col} (size = potential)")
    ax.figure.tight_layout()
    return ax.figure


def plot_balance(before: pd.DataFrame, after: pd.DataFrame, tolerance: float, ax=None):
    """Potential of each territory vs the mean, before and after."""
    ax = ax or plt.subplots(figsize=(9, 3.6))[1]
    x = np.arange(len(after))
    b = before.set_index("territory").reindex(after["territory"])["potential_vs_mean"].to_numpy()
    ax.bar(x - 0.2, b, 0.4, label="before", color="#adb5bd")
    ax.bar(x + 0.2, after["potential_vs_mean"], 0.4, label="after", color="#1c7ed6")
    ax.axhspan(
        1 - tolerance, 1 + tolerance, color="#2b8a3e", alpha=0.12, label=f"+/-{tolerance:.0%}"
    )
    ax.set_xticks(x, after["territory"].astype(str), rotation=90, fontsize=7)
    ax.set_ylabel("potential / mean")
    ax.set_title("Territory balance")
    ax.legend(fontsize=8)
    ax.figure.tight_layout()
    return ax.figure


def plot_attainment_spread(summary_before: pd.DataFrame, summary_after: pd.DataFrame, ax=None):
    ax = ax or plt.subplots(figsize=(9, 3.6))[1]
    for s, label, color in (
        (summary_before, "current", "#adb5bd"),
        (summary_after, "proposed", "#1c7ed6"),
    ):
        s = s.sort_values("p50")
        x = np.linspace(0, 1, len(s))
        ax.fill_between(x, s["p10"], s["p90"], color=color, alpha=0.35)
        ax.plot(
            x,
            s["p50"],
            color=color,
            label=f"{label}: structural share {s.attrs.get('structural_share', np.nan):.0%}",
        )
    ax.axhline(1, color="#c92a2a", ls="--", lw=1)
    ax.set_xlabel("territories (sorted by median attainment)")
    ax.set_ylabel("attainment of the same strong rep")
    ax.set_title("Territory wars: p10-p90 attainment of one rep placed in each territory")
    ax.legend(fontsize=8)
    ax.figure.tight_layout()
    return ax.figure


def plot_before_after(
    accounts: pd.DataFrame,
    before: str,
    after: str,
    centers: pd.DataFrame | None = None,
    titles: tuple[str, str] = ("Before", "After"),
):
    """Two maps side by side, accounts colored by territory (same color per territory in
    both), centers as black crosses, moved accounts ringed in red on the right."""
    fig, axes = plt.subplots(1, 2, figsize=(13, 5.2), sharex=True, sharey=True)
    cats = pd.Categorical(pd.concat([accounts[before], accounts[after]]).astype(str))
    cmap = plt.get_cmap("tab20")
    lut = {c: cmap(i % 20) for i, c in enumerate(cats.categories)}
    size = 6 + 50 * np.sqrt(accounts["potential"] / max(accounts["potential"].max(), 1e-12))
    moved = accounts[before].astype(str) != accounts[after].astype(str)
    for ax, col, title in zip(axes, (before, after), titles, strict=True):
        ax.scatter(
            accounts["lon"],
            accounts["lat"],
            c=[lut[str(v)] for v in accounts[col]],
            s=size,
            alpha=0.75,
            linewidths=0,
        )
        if centers is not None and {"lat", "lon"} <= set(centers.columns):
            ax.scatter(centers["lon"], centers["lat"], marker="X", c="k", s=60, label="centers")
        ax.set_title(title)
        ax.set_xlabel("longitude")
    if moved.any():
        axes[1].scatter(
            accounts.loc[moved, "lon"],
            accounts.loc[moved, "lat"],
            s=size[moved] + 40,
            facecolors="none",
            edgecolors="#c92a2a",
            linewidths=1.2,
            label=f"moved ({int(moved.sum())})",
        )
        axes[1].legend(fontsize=8, loc="best")
    axes[0].set_ylabel("latitude")
    lat0 = float(np.radians(accounts["lat"].mean()))
    for ax in axes:
        ax.set_aspect(1 / max(np.cos(lat0), 0.2))
    fig.tight_layout()
    return fig


def plot_frontier(
    frontier: pd.DataFrame,
    current: tuple[float, float] | None = None,
    unit: str = "",
    ax=None,
    current_label: str = "current assignment",
):
    """Distance vs disruption: every design found on the frontier, and the current
    assignment (``current`` = (distance, disruption)) as a star."""
    ax = ax or plt.subplots(figsize=(8, 4.2))[1]
    f = frontier.sort_values("disruption")
    ax.plot(f["disruption"], f["distance"], color="#1c7ed6", lw=1, alpha=0.5)
    ax.scatter(
        f["disruption"], f["distance"], color="#1c7ed6", zorder=3, label="designs within the bands"
    )
    if current is not None:
        ax.scatter(
            [current[1]],
            [current[0]],
            marker="*",
            s=160,
            color="#c92a2a",
            zorder=4,
            label=current_label,
        )
    ax.set_xlabel("disruption (weight of accounts moved)")
    ax.set_ylabel(f"total distance{f' ({unit})' if unit else ''}")
    ax.set_title("Distance vs disruption: the exact trade-off")
    ax.legend(fontsize=8)
    ax.figure.tight_layout()
    return ax.figure
