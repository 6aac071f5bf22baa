"""Territory wars: Monte Carlo bookings of each territory for the same (strong) rep.

Account-level model estimated from history, per segment g: opportunities per account-year
``lambda_a = N_g x potential_a / sum of the segment's potential`` (opportunity volume follows
potential), win probability ``w_g`` (won / closed) and won deal size lognormal
(``mu_g``, ``sigma_g``) fitted to won amounts. A rep of skill ``s`` wins with odds ``s`` times
the average. In a scenario a territory books the sum over its accounts of Poisson(lambda_a x
w') wins, each a lognormal deal. Attainment = bookings / quota, the quota being the same share
of the total expected bookings for every territory (equal quotas); the spread of attainment
across territories for the same rep is structural advantage, and its share of the total
variance is reported.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..crm import CRM


def account_rates(crm: CRM, accounts: pd.DataFrame, years: float | None = None) -> pd.DataFrame:
    """Per account: expected opportunities per year, win probability, deal-size parameters."""
    o = crm.opportunities.merge(
        crm.accounts[["id", "segment"]].rename(columns={"id": "account_id"}),
        on="account_id",
        how="left",
    )
    span = years or max((crm.data_end - crm.data_start).days / 365.25, 0.25)
    rows = []
    for seg, g in o.groupby("segment"):
        closed = g[g["is_closed"]]
        won = g[g["is_won"] & (g["amount"] > 0)]
        rows.append(
            {
                "segment": seg,
                "opps_per_year": len(g) / span,
                "win_rate": len(won) / max(len(closed), 1),
                "mu": float(np.log(won["amount"]).mean()) if len(won) else 0.0,
                "sigma": float(np.log(won["amount"]).std()) if len(won) > 1 else 0.5,
            }
        )
    seg = pd.DataFrame(rows).set_index("segment")
    a = accounts.copy()
    a["segment_key"] = a["segment"] if "segment" in a else seg.index[0]
    share = a["potential"] / a.groupby("segment_key")["potential"].transform("sum")
    # the accounts passed may be a subset of the segment: scale by their share of the segment's
    # potential in the CRM (when the CRM has no potential field, the passed estimates are all)
    seg_pot = crm.accounts.groupby("segment")["potential"].sum()
    passed = a.groupby("segment_key")["potential"].transform("sum")
    crm_pot = a["segment_key"].map(seg_pot)
    frac = (passed / crm_pot).where(crm_pot > 0, 1.0).clip(upper=1.0)
    a["lambda"] = a["segment_key"].map(seg["opps_per_year"]) * share * frac
    a["win_rate"] = a["segment_key"].map(seg["win_rate"])
    a["mu"] = a["segment_key"].map(seg["mu"])
    a["sigma"] = a["segment_key"].map(seg["sigma"])
    return a


def simulate_territories(
    rates: pd.DataFrame,
    col: str = "territory",
    *,
    n_scenarios: int = 2000,
    skill: float = 1.3,
    quota_stretch: float = 1.0,
    seed: int = 0,
) -> pd.DataFrame:
    """Annual bookings and attainment (scenario x territory) for a rep of ``skill``.

    Returns a long frame: territory, scenario, bookings, attainment.
    """
    rng = np.random.default_rng(seed)
    terr = pd.Index(sorted(rates[col].unique()))
    tid = terr.get_indexer(rates[col])
    odds = rates["win_rate"] / (1 - rates["win_rate"]).clip(lower=1e-9) * skill
    w = (odds / (1 + odds)).to_numpy()
    lam = (rates["lambda"] * w).to_numpy()
    mean_deal = np.exp(rates["mu"] + rates["sigma"] ** 2 / 2).to_numpy()
    expected = np.bincount(tid, weights=lam * mean_deal, minlength=len(terr))
    quota = expected.sum() / len(terr) * quota_stretch
    # wins per account and scenario, then lognormal deals summed per territory and scenario
    wins = rng.poisson(lam[None, :], size=(n_scenarios, len(lam)))
    s_idx, a_idx = np.nonzero(wins)
    reps = wins[s_idx, a_idx]
    a_rep = np.repeat(a_idx, reps)
    s_rep = np.repeat(s_idx, reps)
    deals = np.exp(
        rates["mu"].to_numpy()[a_rep]
        + rates["sigma"].to_numpy()[a_rep] * rng.standard_normal(len(a_rep))
    )
    book = np.zeros((n_scenarios, len(terr)))
    np.add.at(book, (s_rep, tid[a_rep]), deals)
    out = pd.DataFrame(
        {
            "territory": np.tile(terr, n_scenarios),
            "scenario": np.repeat(np.arange(n_scenarios), len(terr)),
            "bookings": book.ravel(),
        }
    )
    out["attainment"] = out["bookings"] / quota
    return out


def structural_summary(sim: pd.DataFrame) -> pd.DataFrame:
    """Per territory: attainment P10/P50/P90 and P(at quota); overall: structural share of the
    attainment variance (between territories / total)."""
    g = sim.groupby("territory")["attainment"]
    table = pd.DataFrame(
        {
            "p10": g.quantile(0.1),
            "p50": g.median(),
            "p90": g.quantile(0.9),
            "p_at_quota": g.apply(lambda s: float((s >= 1).mean())),
        }
    ).reset_index()
    between = float(g.mean().var(ddof=0))
    total = float(sim["attainment"].var(ddof=0))
    table.attrs["structural_share"] = between / total if total > 0 else np.nan
    return table
