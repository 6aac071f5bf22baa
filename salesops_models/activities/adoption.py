"""Tool adoption: do reps log their work in the CRM, and do open deals see activity?

- **weekly logging share**: per Monday-start week, the share of AEs employed the whole week
  who logged at least one activity (any type) in it; the metric is its mean over the weeks;
- **activity per open deal**: activities logged on open deals in the last 30 days / deals
  open on the as-of date;
- **days since last activity** of each open deal (from its creation when it has none).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..crm import CRM


def weekly_logging(crm: CRM, as_of, weeks: int = 13, *, role: str = "AE") -> pd.DataFrame:
    """Per rep and complete week (the ``weeks`` Monday weeks ending before ``as_of``'s week,
    or with it when ``as_of`` is a Sunday): whether the rep logged any activity.

    Returns rep_id, team, week, activities, logged.

    Examples
    --------
    >>> from salesops_models.synthetic import generate_org
    >>> crm = generate_org(n_reps=6, years=1, seed=2).crm
    >>> w = weekly_logging(crm, "2026-09-30", weeks=4)
    >>> sorted(w["week"].astype(str).unique())
    ['2026-08-31', '2026-09-07', '2026-09-14', '2026-09-21']
    """
    as_of = pd.Timestamp(as_of).normalize()
    last_monday = as_of - pd.Timedelta(days=as_of.day_of_week)
    end = last_monday if as_of.day_of_week < 6 else last_monday + pd.Timedelta(days=7)
    mondays = pd.date_range(end=end - pd.Timedelta(days=7), periods=weeks, freq="7D")
    reps = crm.reps[crm.reps["role"] == role]
    hire = reps["hire_date"].fillna(pd.Timestamp.min)
    term = reps["termination_date"].fillna(pd.Timestamp.max)
    rows = []
    for m in mondays:
        whole = (hire <= m) & (term >= m + pd.Timedelta(days=4))
        rows.append(pd.DataFrame({"rep_id": reps.loc[whole, "id"].to_numpy(), "week": m}))
    grid = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=["rep_id", "week"])
    acts = crm.activities_as_of(as_of)
    acts = acts[(acts["start"] >= mondays[0]) & (acts["start"] < end)] if len(mondays) else acts[:0]
    day = acts["start"].dt.normalize()
    wk = day - pd.to_timedelta(day.dt.day_of_week, unit="D")
    counts = acts.assign(week=wk).groupby(["rep_id", "week"]).size().rename("activities")
    out = grid.merge(counts.reset_index(), on=["rep_id", "week"], how="left")
    out["activities"] = out["activities"].fillna(0).astype(int)
    out["logged"] = out["activities"] > 0
    out["team"] = out["rep_id"].map(reps.set_index("id")["team"])
    return out[["rep_id", "team", "week", "activities", "logged"]]


def deal_activity(crm: CRM, as_of, days: int = 30) -> pd.DataFrame:
    """Open deals on ``as_of`` with their activity: ``activities_last_{days}d``,
    ``last_activity_at`` (NaT when none) and ``days_since_activity`` (since creation when
    none was ever logged)."""
    as_of = pd.Timestamp(as_of)
    snap = crm.as_of(as_of, include_closed=False)
    acts = crm.activities_as_of(as_of)
    acts = acts[
        acts["opportunity_id"].isin(snap["id"]) & (acts["start"] < as_of + pd.Timedelta(days=1))
    ]
    last = acts.groupby("opportunity_id")["start"].max()
    recent = acts[acts["start"] >= as_of + pd.Timedelta(days=1) - pd.Timedelta(days=days)]
    n = recent.groupby("opportunity_id").size()
    out = snap[["id", "owner_rep_id", "stage", "amount", "close_date", "created_date"]].copy()
    out[f"activities_last_{days}d"] = out["id"].map(n).fillna(0).astype(int)
    out["last_activity_at"] = out["id"].map(last)
    since = out["last_activity_at"].fillna(out["created_date"])
    out["days_since_activity"] = (as_of.normalize() + pd.Timedelta(days=1) - since).dt.days
    return out


def adoption_summary(crm: CRM, as_of, weeks: int = 13) -> dict:
    """The adoption figures of ``as_of``: mean weekly logging share, activity per open deal
    (last 30 days), share of open deals with no activity in 30 days, median days since the
    last activity of an open deal."""
    w = weekly_logging(crm, as_of, weeks)
    d = deal_activity(crm, as_of)
    per_week = w.groupby("week")["logged"].mean()
    return {
        "weekly_logging_share": float(per_week.mean()) if len(per_week) else np.nan,
        "activity_per_open_deal": float(d["activities_last_30d"].mean()) if len(d) else np.nan,
        "open_deals_without_activity_30d": float((d["activities_last_30d"] == 0).mean())
        if len(d)
        else np.nan,
        "median_days_since_activity": float(d["days_since_activity"].median())
        if len(d)
        else np.nan,
        "open_deals": len(d),
    }
