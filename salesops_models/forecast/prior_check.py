"""The behaviour the model's prior implies (win rates, cycle lengths, slip) on a sample of deals: the prior predictive check in business terms."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .data import (
    COVARIATES,
    N_STAGES,
    covariate_patterns,
)
from .simulate import _draws_from, simulate_paths


def implied_summary(prior, td, seed: int = 0, n_deals: int = 200) -> pd.DataFrame:
    """What parameter draws imply per segment: P(win) from creation, median days to a win and
    mean weekly creations (for prior predictive checks and posterior sanity checks)."""
    rng = np.random.default_rng(seed)
    lv = td.levels
    flat = prior.stack(sample=("chain", "draw"))
    D = flat.sizes["sample"]

    def get(name):
        return flat[name].transpose("sample", ...).to_numpy()

    patterns = covariate_patterns()
    pat = sum(get(f"effect_{n}")[:, :, patterns[n]] for n in COVARIATES)
    cdf = np.zeros((D, N_STAGES, N_STAGES + 1))
    for k in range(N_STAGES):
        cdf[:, k, k + 1 :] = 1.0
    P = _draws_from(get, pat, cdf, ())
    rows = []
    for g, name in enumerate(lv.segments):
        n = D * n_deals
        draw = np.repeat(np.arange(D), n_deals)
        reps = np.flatnonzero(lv.rep_segment == g)
        rep = rng.choice(reps if len(reps) else np.arange(len(lv.reps)), n)
        covs = {
            "type": np.zeros(n, int),
            "push": np.zeros(n, int),
            "size": np.ones(n, int),
            "call": np.ones(n, int),
        }
        won, close = simulate_paths(
            P,
            draw,
            np.full(n, g),
            rep,
            np.zeros(n, int),
            np.zeros(n),
            np.zeros(n),
            np.zeros(n),
            covs,
            np.zeros(D),
            3650.0,
            rng,
        )
        wr = won.reshape(D, n_deals).mean(axis=1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            cyc = np.nanmedian(np.where(won, close, np.nan).reshape(D, n_deals), axis=1)
        weekly = np.exp(P.arrival_level[:, g])
        rows.append(
            {
                "segment": name,
                "win_rate_p05": float(np.quantile(wr, 0.05)),
                "win_rate_p50": float(np.quantile(wr, 0.5)),
                "win_rate_p95": float(np.quantile(wr, 0.95)),
                "cycle_days_p05": float(np.nanquantile(cyc, 0.05)),
                "cycle_days_p50": float(np.nanquantile(cyc, 0.5)),
                "cycle_days_p95": float(np.nanquantile(cyc, 0.95)),
                "weekly_created_p50": float(np.quantile(weekly, 0.5)),
            }
        )
    return pd.DataFrame(rows)
