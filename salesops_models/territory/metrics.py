"""Balance, compactness and disruption of a territory assignment."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .design import distance_km, unit_vectors


def territory_table(
    accounts: pd.DataFrame, col: str = "territory", workload_col: str | None = None
) -> pd.DataFrame:
    """Per territory: accounts, potential (and workload), share of mean, compactness (km,
    potential-weighted mean distance to the territory's weighted center)."""
    xyz = unit_vectors(accounts["lat"], accounts["lon"])
    p = accounts["potential"].to_numpy(float)
    rows = []
    for t, idx in accounts.groupby(col).indices.items():
        c = (xyz[idx] * p[idx, None]).sum(axis=0)
        c = c / np.linalg.norm(c) if np.linalg.norm(c) > 0 else xyz[idx].mean(axis=0)
        d = distance_km(xyz[idx], c[None, :])[:, 0]
        row = {
            "territory": t,
            "accounts": len(idx),
            "potential": p[idx].sum(),
            "compactness_km": float((p[idx] * d).sum() / max(p[idx].sum(), 1e-9)),
        }
        if workload_col:
            row["workload"] = accounts[workload_col].to_numpy(float)[idx].sum()
        rows.append(row)
    out = pd.DataFrame(rows)
    out["potential_vs_mean"] = out["potential"] / out["potential"].mean()
    if workload_col:
        out["workload_vs_mean"] = out["workload"] / out["workload"].mean()
    return out


def balance_metrics(
    accounts: pd.DataFrame,
    col: str = "territory",
    before: str | None = None,
    workload_col: str | None = None,
) -> dict:
    """Coefficient of variation and max/min ratio of potential (and workload), compactness,
    accounts per territory, and disruption (share of accounts and of potential moved) when
    ``before`` names the previous assignment column."""
    t = territory_table(accounts, col, workload_col)
    out = {
        "territories": len(t),
        "potential_cv": float(t["potential"].std(ddof=0) / t["potential"].mean()),
        "potential_max_min": float(t["potential"].max() / max(t["potential"].min(), 1e-9)),
        "max_deviation": float((t["potential_vs_mean"] - 1).abs().max()),
        "compactness_km": float(
            (t["compactness_km"] * t["potential"]).sum() / t["potential"].sum()
        ),
        "accounts_per_territory": float(t["accounts"].mean()),
    }
    if workload_col:
        out["workload_cv"] = float(t["workload"].std(ddof=0) / t["workload"].mean())
        out["workload_max_min"] = float(t["workload"].max() / max(t["workload"].min(), 1e-9))
    if before:
        moved = accounts[col].astype(str) != accounts[before].astype(str)
        out["disruption_accounts"] = float(moved.mean())
        out["disruption_potential"] = float(
            accounts.loc[moved, "potential"].sum() / accounts["potential"].sum()
        )
    return out


#: How each balance metric reads in a report: (row label, format).
_READABLE = {
    "territories": ("territories", "{:,.0f}"),
    "potential_cv": ("potential: coefficient of variation", "{:.1%}"),
    "potential_max_min": ("potential: largest / smallest", "{:.2f}x"),
    "max_deviation": ("largest deviation from the mean", "{:.1%}"),
    "compactness_km": ("compactness (potential-weighted km)", "{:,.1f} km"),
    "accounts_per_territory": ("accounts per territory", "{:,.1f}"),
    "workload_cv": ("workload: coefficient of variation", "{:.1%}"),
    "workload_max_min": ("workload: largest / smallest", "{:.2f}x"),
    "disruption_accounts": ("accounts moved", "{:.1%}"),
    "disruption_potential": ("potential moved", "{:.1%}"),
}


def readable_balance(designs: dict[str, dict]) -> pd.DataFrame:
    """:func:`balance_metrics` of several designs side by side as text people read: one row
    per metric with a plain label, shares as percentages, ratios as ``1.23x``, distances in km;
    a metric a design does not have is blank.

    >>> readable_balance({"today": {"territories": 4, "max_deviation": 0.183,
    ...                             "potential_max_min": 1.5}})["today"].tolist()
    ['4', '1.50x', '18.3%']
    """
    keys = [k for k in _READABLE if any(k in m for m in designs.values())]
    out = pd.DataFrame(
        {
            name: [
                _READABLE[k][1].format(m[k]) if k in m and np.isfinite(m[k]) else "" for k in keys
            ]
            for name, m in designs.items()
        },
        index=[_READABLE[k][0] for k in keys],
    )
    return out


def match_labels(
    accounts: pd.DataFrame, col: str = "territory", to: str = "current"
) -> pd.DataFrame:
    """Rename the territories of a new design (``col``) after the existing ones (``to``) they
    overlap most, so that "accounts moved" counts real moves, not new names.

    The pairing maximizes the potential that keeps its territory label (an assignment problem,
    solved exactly with SciPy's ``linear_sum_assignment``). A new territory left without a
    partner (more territories than today) is called ``new 1``, ``new 2``, ...; the labels become
    strings. The assignment itself is unchanged.

    >>> a = pd.DataFrame({"current": ["ann", "ann", "bo", "bo"], "territory": [1, 1, 0, 2],
    ...                   "potential": [5.0, 5.0, 3.0, 1.0]})
    >>> match_labels(a)["territory"].tolist()
    ['ann', 'ann', 'bo', 'new 1']
    """
    from scipy.optimize import linear_sum_assignment

    shared = accounts.pivot_table(
        index=col, columns=to, values="potential", aggfunc="sum", fill_value=0.0
    )
    rows, cols = linear_sum_assignment(shared.to_numpy(float), maximize=True)
    names = {shared.index[r]: str(shared.columns[c]) for r, c in zip(rows, cols, strict=True)}
    extra = [t for t in shared.index if t not in names]
    names |= {t: f"new {i}" for i, t in enumerate(extra, 1)}
    return accounts.assign(**{col: accounts[col].map(names)})
