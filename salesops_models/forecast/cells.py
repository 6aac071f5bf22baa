"""Exposure cells of the training data as the model reads them: cells collapsed to the period's stages and their index rows, and the sufficient statistics of the normal likelihoods."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .data import (
    COVARIATES,
    DURATION_EDGES,
    N_STAGES,
    pattern_index,
)
from .settings import RISKS


def collapse_cells(cells: pd.DataFrame, period_stages) -> pd.DataFrame:
    """Merge the quarters of cells in stages the period effect does not act on (fewer cells,
    same likelihood: their hazard does not depend on the quarter)."""
    cells = cells.copy()
    cells.loc[~cells["stage"].isin(list(period_stages)), "quarter"] = -1
    keys = [c for c in cells.columns if c not in ("exposure", "n_advance", "n_lost")]
    return cells.groupby(keys, sort=True).sum().reset_index()


def cell_indices(
    cells: pd.DataFrame, n_seg: int, n_rep: int, n_quarters: int
) -> dict[str, np.ndarray]:
    """Flat indices of each cell into the effect vectors (``n_seg`` segments, ``n_rep`` reps
    and ``n_quarters`` slots plus the "no period effect" slot), and event totals per level."""
    n_bin = len(DURATION_EDGES)
    base = (cells["segment"].to_numpy() * N_STAGES + cells["stage"].to_numpy()) * n_bin + cells[
        "bin"
    ].to_numpy()
    q = cells["quarter"].to_numpy()
    quarter = np.where(q >= 0, q, n_quarters)
    out = {
        "base": base,
        "rep": cells["rep"].to_numpy(),
        "quarter": quarter,
        "pattern": pattern_index(cells),
        "exposure": cells["exposure"].to_numpy(dtype=float),
    }
    n_pattern = int(np.prod([len(levels) for _, levels, _ in COVARIATES.values()]))
    sizes = {
        "base": n_seg * N_STAGES * n_bin,
        "rep": n_rep,
        "quarter": n_quarters + 1,
        "pattern": n_pattern,
    }
    for key, size in sizes.items():
        if len(out[key]) and (out[key].min() < 0 or out[key].max() >= size):
            raise ValueError(f"cell {key} index outside 0..{size - 1}")
    out["base_pattern"] = out["base"] * n_pattern + out["pattern"]
    out["rep_quarter"] = out["rep"] * sizes["quarter"] + out["quarter"]
    for risk in RISKS:
        y = cells[f"n_{risk}"].to_numpy(dtype=float)
        out[f"n_{risk}"] = y
        for key, size in sizes.items():
            out[f"{risk}_by_{key}"] = np.bincount(out[key], weights=y, minlength=size)
    return out


def _normal_stats(pm, name, stats, mu, sd) -> None:
    """Exact normal likelihood of a group's log values from ``stats`` rows (n, has mean,
    has SS, mean, within-SS); groups with fewer than 1 (mean) or 2 (SS) values get weight 0."""
    n, w1, w2, mean, ss = (stats[i] for i in range(5))
    lp_mean = pm.logp(pm.Normal.dist(mu, sd / pm.math.sqrt(n)), mean)
    lp_ss = pm.logp(
        pm.Gamma.dist(alpha=pm.math.maximum(n - 1, 1) / 2.0, beta=1.0 / (2.0 * sd**2)), ss
    )
    pm.Potential(f"{name}_loglik", (w1 * lp_mean).sum() + (w2 * lp_ss).sum())
