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
