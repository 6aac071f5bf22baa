"""Selling time: the share of a rep's working time spent with customers.

Definition (the seeds' and Salesforce's *State of Sales* convention): selling time =
customer-facing hours / working hours. Customer-facing hours are the logged durations of the
activities flagged ``customer_facing`` (calls, emails, external meetings); working hours come
from the rep's ``weekly_hours`` (40 when empty) over the Monday-Friday days employed.

Estimation, per group (a rep, a team, a month, ...), over *rep-week pieces* (one rep, one
Monday-start week, cut at month ends):

- a duration that was not logged is imputed with the mean logged duration of its type
  (missing at random within a type; the mean, not the median, keeps the sum unbiased);
- weeks in which the rep logged nothing at all are **not logged**, not weeks without selling:
  they are left out of numerator and denominator (and counted in ``unlogged_weeks``), so a
  rep who logs half of the weeks is measured on those;
- the share is the ratio estimator ``R = sum(x) / sum(y)`` (x = customer-facing minutes,
  y = working minutes of the piece) with variance ``n/(n-1) sum((x - R y)^2) / sum(y)^2``
  (Cochran, *Sampling Techniques*, 6.9) plus the imputation's variance
  ``sum over imputed durations of var(type) / sum(y)^2``; the interval is normal, clipped to
  [0, 1].
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ..crm import CRM
from ..draws import interval_columns
from ..schema import DEFAULT_WEEKLY_HOURS

#: Where the healthy selling-time share starts (the seeds: 60%+).
HEALTHY_SELLING_SHARE = 0.60


def impute_durations(activities: pd.DataFrame) -> tuple[pd.Series, pd.DataFrame]:
    """Durations with empty ones set to their type's mean logged duration.

    Returns the filled minutes and a table per type: logged and missing counts, mean and
    variance of the logged minutes (the imputation's value and uncertainty).
    """
    d = activities["duration_minutes"]
    by = activities.assign(_d=d).groupby("type", observed=True)["_d"]
    table = pd.DataFrame(
        {
            "activities": by.size(),
            "missing": by.apply(lambda s: int(s.isna().sum())),
            "mean_minutes": by.mean(),
            "var_minutes": by.var(),
        }
    ).fillna({"mean_minutes": 0.0, "var_minutes": 0.0})
    filled = d.fillna(activities["type"].map(table["mean_minutes"]).astype(float))
    return filled, table


def _pieces(crm: CRM, start: pd.Timestamp, end: pd.Timestamp, reps: pd.DataFrame) -> pd.DataFrame:
    """Working minutes of every rep-week piece (rep x Monday week x month) in [start, end]."""
    days = pd.bdate_range(start, end)
    if len(days) == 0 or reps.empty:
        return pd.DataFrame(columns=["rep_id", "week", "month", "working_minutes"])
    hire = reps["hire_date"].fillna(pd.Timestamp.min).to_numpy("datetime64[ns]")
    term = reps["termination_date"].fillna(pd.Timestamp.max).to_numpy("datetime64[ns]")
    dv = days.to_numpy("datetime64[ns]")
    employed = (dv[None, :] >= hire[:, None]) & (dv[None, :] <= term[:, None])
    hours = reps["weekly_hours"].fillna(DEFAULT_WEEKLY_HOURS).to_numpy(float)
    r, k = np.nonzero(employed)
    out = pd.DataFrame(
        {
            "rep_id": reps["id"].to_numpy()[r],
            "week": (days - pd.to_timedelta(days.day_of_week, unit="D"))[k],
            "month": days.to_period("M")[k],
            "working_minutes": hours[r] * 60.0 / 5.0,
        }
    )
    return out.groupby(["rep_id", "week", "month"], as_index=False, observed=True)[
        "working_minutes"
    ].sum()


def selling_time(
    crm: CRM,
    start,
    end,
    *,
    by: str | list[str] = "rep_id",
    as_of=None,
    confidence: float = 0.9,
    role: str | None = "AE",
) -> pd.DataFrame:
    """Selling-time share per group over the days ``start``..``end`` (inclusive).

    Parameters
    ----------
    crm : CRM
        Needs activities (``crm.has_activities``).
    start, end : date-like
        The window; activities logged after ``as_of`` (default ``end``) are not known.
    by : str or list of str
        Any of ``rep_id``, ``team``, ``region``, ``segment``, ``month``; ``[]`` = one row.
    confidence : float
        Level of the interval.
    role : str or None
        Reps of this role only (AEs by default; None = everyone).

    Returns
    -------
    pandas.DataFrame
        The group columns, ``reps``, ``logged_weeks``, ``unlogged_weeks``,
        ``working_hours``, ``customer_facing_hours``, ``imputed_hours``, ``selling_share``,
        ``lo``, ``hi``.

    Examples
    --------
    >>> from salesops_models.synthetic import generate_org
    >>> org = generate_org(n_reps=6, years=1, seed=2)
    >>> st = selling_time(org.crm, "2026-04-01", "2026-06-30", by=[])
    >>> bool(0.2 < st["selling_share"].iloc[0] < 0.6)
    True
    """
    if not crm.has_activities:
        raise ValueError("the CRM has no activities: selling time cannot be measured")
    start, end = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    keys = [by] if isinstance(by, str) else list(by)
    unknown = set(keys) - {"rep_id", "team", "region", "segment", "month"}
    if unknown:
        raise ValueError(f"cannot group selling time by {sorted(unknown)}")
    reps = crm.reps if role is None else crm.reps[crm.reps["role"] == role]
    pieces = _pieces(crm, start, end, reps)
    acts = crm.activities_as_of(as_of if as_of is not None else end)
    acts = acts[(acts["start"] >= start) & (acts["start"] < end + pd.Timedelta(days=1))]
    acts = acts[acts["rep_id"].isin(reps["id"])]
    minutes, imp = impute_durations(acts)
    day = acts["start"].dt.normalize()
    a = pd.DataFrame(
        {
            "rep_id": acts["rep_id"].to_numpy(),
            "week": (day - pd.to_timedelta(day.dt.day_of_week, unit="D")).to_numpy(),
            "month": day.dt.to_period("M").to_numpy(),
            "cf": np.where(acts["customer_facing"], minutes, 0.0),
            "imputed_var": np.where(
                acts["customer_facing"] & acts["duration_minutes"].isna(),
                acts["type"].map(imp["var_minutes"]).astype(float),
                0.0,
            ),
            "imputed": np.where(
                acts["customer_facing"] & acts["duration_minutes"].isna(), minutes, 0.0
            ),
        }
    )
    logged_weeks = a[["rep_id", "week"]].drop_duplicates().assign(logged=True)
    x = a.groupby(["rep_id", "week", "month"], as_index=False, observed=True)[
        ["cf", "imputed_var", "imputed"]
    ].sum()
    p = pieces.merge(x, on=["rep_id", "week", "month"], how="left").fillna(
        {"cf": 0.0, "imputed_var": 0.0, "imputed": 0.0}
    )
    p = p.merge(logged_weeks, on=["rep_id", "week"], how="left")
    p["logged"] = p["logged"].fillna(False).astype(bool)
    attrs = reps.set_index("id")[["team", "region", "segment"]]
    for col in ("team", "region", "segment"):
        p[col] = p["rep_id"].map(attrs[col])
    p["rep_week"] = p["rep_id"].astype(str) + "|" + p["week"].astype(str)
    z = stats.norm.ppf(0.5 + confidence / 2)
    p_lo, p_hi = interval_columns(confidence)
    rows = []
    groups = p.groupby(keys, observed=True, dropna=False) if keys else [((), p)]
    for key, g in groups:
        key = key if isinstance(key, tuple) else (key,)
        lg = g[g["logged"]]
        sx, sy, n = lg["cf"].sum(), lg["working_minutes"].sum(), len(lg)
        share = sx / sy if sy > 0 else np.nan
        if n > 1 and sy > 0:
            resid = lg["cf"] - share * lg["working_minutes"]
            var = n / (n - 1) * float((resid**2).sum()) / sy**2 + lg["imputed_var"].sum() / sy**2
        else:
            var = np.nan
        half = z * np.sqrt(var)
        rows.append(
            {
                **dict(zip(keys, key, strict=True)),
                "reps": g["rep_id"].nunique(),
                "logged_weeks": lg["rep_week"].nunique(),
                "unlogged_weeks": g.loc[~g["logged"], "rep_week"].nunique(),
                "working_hours": sy / 60.0,
                "customer_facing_hours": sx / 60.0,
                "imputed_hours": lg["imputed"].sum() / 60.0,
                "selling_share": share,
                p_lo: max(0.0, share - half) if np.isfinite(half) else np.nan,
                p_hi: min(1.0, share + half) if np.isfinite(half) else np.nan,
            }
        )
    cols = keys + [
        "reps",
        "logged_weeks",
        "unlogged_weeks",
        "working_hours",
        "customer_facing_hours",
        "imputed_hours",
        "selling_share",
        p_lo,
        p_hi,
    ]
    return pd.DataFrame(rows, columns=cols)


def time_by_type(crm: CRM, start, end, *, role: str | None = "AE") -> pd.DataFrame:
    """Logged hours per activity type in the window (durations imputed as in
    :func:`selling_time`), with each type's share of the logged hours: the activity mix."""
    start, end = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    acts = crm.activities_as_of(end)
    acts = acts[(acts["start"] >= start) & (acts["start"] < end + pd.Timedelta(days=1))]
    if role is not None:
        acts = acts[acts["rep_id"].isin(crm.reps.loc[crm.reps["role"] == role, "id"])]
    minutes, _ = impute_durations(acts)
    out = (
        acts.assign(hours=minutes / 60.0)
        .groupby(["type", "customer_facing"], as_index=False, observed=True)
        .agg(activities=("id", "size"), hours=("hours", "sum"))
    )
    out["share_of_hours"] = out["hours"] / out["hours"].sum() if len(out) else np.nan
    return out.sort_values("hours", ascending=False, ignore_index=True)
