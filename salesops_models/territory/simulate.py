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

from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from ..crm import CRM
from ..draws import DRAW, label
from ..settings import rcParams, renamed_parameters

#: The segment of accounts that have none.
ALL_SEGMENTS = "All"


def account_rates(crm: CRM, accounts: pd.DataFrame, years: float | None = None) -> pd.DataFrame:
    """Per account: expected opportunities per year, win probability, deal-size parameters,
    from its segment's history (accounts without a segment, as in most CRM exports, form one
    segment ``All``)."""
    o = crm.opportunities.merge(
        crm.accounts[["id", "segment"]].rename(columns={"id": "account_id"}),
        on="account_id",
        how="left",
    )
    o["segment"] = o["segment"].astype(object).fillna(ALL_SEGMENTS)
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
    a["segment_key"] = (
        a["segment"].astype(object).fillna(ALL_SEGMENTS) if "segment" in a else seg.index[0]
    )
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


@dataclass
class TerritorySimulation:
    """Territory-wars draws: bookings (draw, territory) of the same rep in every territory.

    ``quota`` is the equal quota every territory carries; attainment = bookings / quota.
    """

    bookings: np.ndarray  # (draw, territory)
    territories: pd.Index
    quota: float
    skill: float

    @property
    def attainment(self) -> np.ndarray:
        return self.bookings / self.quota

    def to_frame(self) -> pd.DataFrame:
        """Long frame: territory, draw, bookings, attainment (draw-major order)."""
        n_draws, n_terr = self.bookings.shape
        out = pd.DataFrame(
            {
                "territory": np.tile(self.territories, n_draws),
                DRAW: np.repeat(np.arange(n_draws), n_terr),
                "bookings": self.bookings.ravel(),
            }
        )
        out["attainment"] = out["bookings"] / self.quota
        return out

    def to_xarray(self) -> xr.Dataset:
        """Bookings and attainment with dims ``draw`` and ``territory``; quota in attrs."""
        coords = {DRAW: np.arange(self.bookings.shape[0]), "territory": self.territories}
        return xr.Dataset(
            {
                "bookings": ((DRAW, "territory"), self.bookings),
                "attainment": ((DRAW, "territory"), self.attainment),
            },
            coords=coords,
            attrs={"quota": self.quota, "skill": self.skill},
        )

    def by_territory(self) -> pd.DataFrame:
        """Per territory attainment p10/p50/p90 and P(at quota) (see :func:`structural_summary`)."""
        return structural_summary(self.to_frame())

    def summary(self) -> dict:
        """One row: the structural share of attainment variance, the median attainment of the
        worst and best territory, and how many territories give the rep under 40% odds of
        reaching quota."""
        t = self.by_territory()
        return {
            "territories": len(t),
            "structural_share": t.attrs["structural_share"],
            "p50_worst_territory": float(t["p50"].min()),
            "p50_best_territory": float(t["p50"].max()),
            "territories_p_at_quota_under_40pct": int((t["p_at_quota"] < 0.4).sum()),
        }


@renamed_parameters(n_draws="draws")
def territory_wars(
    rates: pd.DataFrame,
    col: str = "territory",
    *,
    draws: int = 2000,
    skill: float = 1.3,
    quota_stretch: float = 1.0,
    seed: int = 0,
) -> TerritorySimulation:
    """Annual bookings (draw x territory) for a rep of ``skill`` placed in every territory.

    See the module docstring for the model. ``rates`` is :func:`account_rates`' frame with a
    ``col`` column naming each account's territory.
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
    # wins per account and draw, then lognormal deals summed per territory and draw
    wins = rng.poisson(lam[None, :], size=(draws, len(lam)))
    s_idx, a_idx = np.nonzero(wins)
    reps = wins[s_idx, a_idx]
    a_rep = np.repeat(a_idx, reps)
    s_rep = np.repeat(s_idx, reps)
    deals = np.exp(
        rates["mu"].to_numpy()[a_rep]
        + rates["sigma"].to_numpy()[a_rep] * rng.standard_normal(len(a_rep))
    )
    book = np.zeros((draws, len(terr)))
    np.add.at(book, (s_rep, tid[a_rep]), deals)
    return TerritorySimulation(book, terr, float(quota), float(skill))


@renamed_parameters(n_scenarios="draws")
def simulate_territories(
    rates: pd.DataFrame,
    col: str = "territory",
    *,
    draws: int = 2000,
    skill: float = 1.3,
    quota_stretch: float = 1.0,
    seed: int = 0,
) -> pd.DataFrame:
    """:func:`territory_wars` as a long frame (territory, draw, bookings, attainment)."""
    return territory_wars(
        rates, col, draws=draws, skill=skill, quota_stretch=quota_stretch, seed=seed
    ).to_frame()


def structural_summary(sim) -> pd.DataFrame:
    """Per territory: attainment p10/p50/p90 and P(at quota); overall: structural share of the
    attainment variance (between territories / total)."""
    if isinstance(sim, TerritorySimulation):
        sim = sim.to_frame()
    g = sim.groupby("territory")["attainment"]
    table = pd.DataFrame(
        {
            **{label(q): g.quantile(q) for q in rcParams["stats.quantiles"]},
            "p_at_quota": g.apply(lambda s: float((s >= 1).mean())),
        }
    ).reset_index()
    between = float(g.mean().var(ddof=0))
    total = float(sim["attainment"].var(ddof=0))
    table.attrs["structural_share"] = between / total if total > 0 else np.nan
    return table
