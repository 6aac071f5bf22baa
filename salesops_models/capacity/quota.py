"""Quota setting: top-down target to rep quotas, calibration of the share at quota, fairness.

Allocation (common sales-ops practice, two steps): the target is first split across segments
in proportion to their expected capacity (sum over seats of productivity x ramp share), since
potential is not comparable across segments; inside a segment each rep's share is a blend of
territory potential (sum of the potential of the accounts the rep owns) and historical
performance (posterior expected productivity), ``w * potential share + (1 - w) * performance
share``, scaled by the rep's average ramp share over the year (ramped quotas for new hires).
Quotas add up to ``target x (1 + buffer)`` (over-assignment, typically 10-20%). Seasonality
splits the annual quota into quarters by the historical share of bookings per month.
Quota-to-OTE of 4-6x is the usual range; others are flagged.

Calibration: attainment scales as 1 / (1 + buffer), so one simulation gives the share of
reps at quota for every buffer; the healthy band is 60-85% of reps at quota.

Fairness: the variance of attainment across reps and scenarios splits into luck (within a
rep, across scenarios), and between reps into what territory potential explains (a
regression of each rep's expected attainment on log potential) and the rest (skill).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..crm import CRM, account_potential
from .plan import CapacityResult

HEALTHY_AT_QUOTA = (0.60, 0.85)
QUOTA_TO_OTE = (4.0, 6.0)


def rep_potential(crm: CRM) -> pd.Series:
    """Each owner's summed account potential; accounts without a potential field use the
    territory tools' estimate (:func:`~salesops_models.crm.account_potential`: revenue x
    0.5%, else trailing bookings), so a CRM export without one still gets quotas."""
    acc = crm.accounts
    return (
        pd.Series(account_potential(crm, acc, []).to_numpy(), index=acc.index)
        .groupby(acc["owner_rep_id"])
        .sum()
    )


def monthly_seasonality(crm: CRM) -> np.ndarray:
    """Share of closed-won bookings per calendar month (12 values summing to 12)."""
    won = crm.opportunities[crm.opportunities["is_won"]]
    s = (
        won.groupby(won["close_date"].dt.month)["amount"]
        .sum()
        .reindex(range(1, 13))
        .fillna(0)
        .to_numpy()
    )
    return 12 * s / s.sum() if s.sum() > 0 else np.ones(12)


def allocate_quotas(
    crm: CRM,
    result: CapacityResult,
    productivity: pd.DataFrame,
    target: float,
    *,
    method: str = "blend",
    weight: float = 0.5,
    buffer: float = 0.15,
) -> pd.DataFrame:
    """Annual and quarterly quotas for every seat of ``result`` (see module docstring)."""
    if method not in ("potential", "performance", "blend"):
        raise ValueError("method must be 'potential', 'performance' or 'blend'")
    if not 0 <= weight <= 1:
        raise ValueError("weight must be within [0, 1]")
    if buffer < 0:
        raise ValueError("buffer (over-assignment) must be >= 0")
    w = {"potential": 1.0, "performance": 0.0, "blend": weight}[method]
    seats = result.seats.copy()
    pot = rep_potential(crm)
    seg_pot = seats.assign(p=seats["rep_id"].map(pot)).groupby("segment")["p"].mean()
    seats["potential"] = seats["rep_id"].map(pot).fillna(seats["segment"].map(seg_pot))
    prod = productivity.set_index("rep_id")["mean"]
    seg_prod = productivity.groupby("segment")["mean"].mean()
    seats["productivity"] = seats["rep_id"].map(prod).fillna(seats["segment"].map(seg_prod)) * 12
    seats["ramp_share"] = result.ramp.mean(axis=1)  # first occupant's mean share over the horizon
    capacity_r = seats["productivity"] * seats["ramp_share"]
    seg_share = capacity_r.groupby(seats["segment"]).transform("sum") / capacity_r.sum()
    g = seats.groupby("segment")
    score = w * seats["potential"] / g["potential"].transform("sum") + (1 - w) * seats[
        "productivity"
    ] / g["productivity"].transform("sum")
    eff = score * seats["ramp_share"]
    within = eff / eff.groupby(seats["segment"]).transform("sum")
    seats["annual_quota"] = target * (1 + buffer) * seg_share * within
    season = monthly_seasonality(crm)[result.months.month - 1]
    for q, idx in enumerate(result.sim.periods[:-1]):
        seats[f"Q{q + 1}"] = seats["annual_quota"] * season[idx].sum() / season.sum()
    ote = crm.reps.set_index("id")["ote"]
    seats["ote"] = seats["rep_id"].map(ote)
    seg_ote = seats.groupby("segment")["ote"].median()
    seats["ote"] = seats["ote"].fillna(
        seats["segment"].map(seg_ote)
    )  # planned hires: the segment's median OTE
    seats["quota_to_ote"] = seats["annual_quota"] / seats["ote"]
    lo, hi = QUOTA_TO_OTE
    seats["ote_check"] = np.where(
        seats["ote"].isna(),
        "no OTE",
        np.where(
            seats["quota_to_ote"] < lo,
            f"below {lo:g}x",
            np.where(seats["quota_to_ote"] > hi, f"above {hi:g}x", "ok"),
        ),
    )
    return seats


def attainment(result: CapacityResult, quotas: pd.DataFrame) -> np.ndarray:
    """Attainment (scenario, seat) over the whole horizon; NaN where the first occupant left."""
    annual = result.sim.seat_period[:, :, -1].astype(float)
    stayed = result.sim.stayed[:, :, -1]
    att = annual / quotas["annual_quota"].to_numpy()[None, :]
    return np.where(stayed, att, np.nan)


def share_at_quota(att: np.ndarray) -> np.ndarray:
    """Per scenario: share of reps (who stayed the period) at or above 100%."""
    ok = ~np.isnan(att)
    return (np.where(ok, att, 0) >= 1.0).sum(axis=1) / np.maximum(ok.sum(axis=1), 1)


def calibration_curve(
    result: CapacityResult, quotas: pd.DataFrame, buffer: float, buffers=None
) -> pd.DataFrame:
    """Share at quota (mean, P10, P90) and total quota for each buffer level."""
    buffers = np.round(np.arange(-0.40, 0.41, 0.05), 2) if buffers is None else np.asarray(buffers)
    att0 = attainment(result, quotas) * (1 + buffer)  # attainment at zero buffer
    total_quota0 = quotas["annual_quota"].sum() / (1 + buffer)
    bookings = result.sim.seat_period[:, :, -1].sum(axis=1)
    rows = []
    for b in buffers:
        s = share_at_quota(att0 / (1 + b))
        rows.append(
            {
                "buffer": b,
                "total_quota": total_quota0 * (1 + b),
                "share_at_quota": s.mean(),
                "p10": np.quantile(s, 0.1),
                "p90": np.quantile(s, 0.9),
                "mean_attainment": np.nanmean(att0 / (1 + b)),
                "expected_bookings": bookings.mean(),
                "healthy": HEALTHY_AT_QUOTA[0] <= s.mean() <= HEALTHY_AT_QUOTA[1],
            }
        )
    return pd.DataFrame(rows)


def recommend_buffer(curve: pd.DataFrame) -> float:
    """The buffer whose share at quota is closest to the middle of the 60-85% band."""
    mid = sum(HEALTHY_AT_QUOTA) / 2
    return float(curve.loc[(curve["share_at_quota"] - mid).abs().idxmin(), "buffer"])


def variance_decomposition(att: np.ndarray, potential: np.ndarray) -> pd.DataFrame:
    """Shares of attainment variance: territory (structural), skill, luck (see module doc)."""
    ok = ~np.isnan(att)
    rep_mean = np.nanmean(np.where(ok, att, np.nan), axis=0)
    within = np.nanmean(np.nanvar(att, axis=0))
    valid = ~np.isnan(rep_mean) & (potential > 0)
    between = float(np.var(rep_mean[valid]))
    x = np.log(potential[valid])
    X = np.column_stack([np.ones_like(x), x])
    coef, *_ = np.linalg.lstsq(X, rep_mean[valid], rcond=None)
    explained = float(np.var(X @ coef))
    total = between + within
    return pd.DataFrame(
        {
            "source": ["territory (structural)", "rep skill", "luck (scenario noise)"],
            "variance": [explained, between - explained, within],
            "share": [explained / total, (between - explained) / total, within / total],
        }
    )


QUOTA_EXPORT_COLUMNS = [
    "seat",
    "rep_id",
    "name",
    "segment",
    "team",
    "planned_hire",
    "ramp_share",
    "potential",
    "productivity",
    "annual_quota",
    "Q1",
    "Q2",
    "Q3",
    "Q4",
    "ote",
    "quota_to_ote",
    "ote_check",
]


def export_quotas(quotas: pd.DataFrame, path, assumptions: dict) -> str:
    """Write the quota table (sheet ``Quotas``, whole currency units rounded to cents) and the
    assumptions (sheet ``Assumptions``) to an Excel workbook for the CRM quota load."""
    cols = [c for c in QUOTA_EXPORT_COLUMNS if c in quotas.columns]
    out = quotas[cols].copy()
    money = [
        c
        for c in ("potential", "productivity", "annual_quota", "Q1", "Q2", "Q3", "Q4", "ote")
        if c in out
    ]
    out[money] = out[money].round(2)
    from ..exports import write_excel

    assumptions_df = pd.DataFrame(
        {"assumption": list(assumptions), "value": [str(v) for v in assumptions.values()]}
    )
    write_excel({"Quotas": out, "Assumptions": assumptions_df}, path)
    return str(path)
