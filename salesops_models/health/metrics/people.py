"""Quota attainment of the AEs and the ramp of new hires."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ... import pipeline
from ...crm import CRM
from ...draws import interval_of
from ..bands import HealthBand, fmt, worse
from .base import (
    Metric,
    _metric,
    _na,
    _trend,
    complete_quarters,
)


# --- quota attainment ------------------------------------------------------------------------
def rep_attainment(crm: CRM, quarters: list) -> pd.DataFrame:
    """Per AE with a quota in every one of ``quarters``: quota, bookings (won, as known at
    the last quarter's end), attainment, team, segment."""
    if not quarters or crm.quotas.empty:
        return pd.DataFrame(columns=["rep_id", "quota", "bookings", "attainment"])
    start, end = quarters[0].start, quarters[-1].end
    q = crm.quotas[(crm.quotas["period_start"] >= start) & (crm.quotas["period_end"] <= end)]
    g = q.groupby("rep_id").agg(quota=("amount", "sum"), n=("period_start", "nunique"))
    g = g[(g["n"] == len(quarters)) & (g["quota"] > 0)]
    snap = crm.as_of(end)
    won = snap[snap["is_won"] & snap["close_date"].between(start, end)]
    b = won.groupby("owner_rep_id")["amount"].sum()
    g["bookings"] = b.reindex(g.index).fillna(0.0)
    g["attainment"] = g["bookings"] / g["quota"]
    reps = crm.reps.set_index("id")
    g["team"] = reps["team"].reindex(g.index)
    g["segment"] = reps["segment"].reindex(g.index)
    g["rep_name"] = reps["name"].reindex(g.index)
    return g.drop(columns="n").reset_index()


def quota_attainment(crm: CRM, as_of, cfg: dict, **_) -> Metric:
    key = "quota_attainment"
    n = int(cfg.get("window_quarters", 4))
    qs = complete_quarters(crm, n, as_of)
    att = rep_attainment(crm, qs)
    if len(qs) < n or att.empty:
        return _na(key, cfg, f"needs quotas for {n} complete quarters before the as-of date")
    at = att["attainment"].to_numpy(float)
    k = int((at >= 1).sum())
    value = k / len(at)
    lo_i, hi_i = pipeline.jeffreys_interval(np.array([k]), np.array([len(at) - k]), 0.9)
    mean_att = float(at.mean())
    by = cfg.get("group_by", "team")
    grp = att.groupby(by).agg(
        reps=("rep_id", "size"),
        at_quota=("attainment", lambda s: float((s >= 1).mean())),
        mean_attainment=("attainment", "mean"),
    )
    band: HealthBand = cfg["band"]
    too_high = value > band.healthy[1]
    grp = grp.sort_values("mean_attainment", ascending=not too_high)
    contributors = [
        {
            "name": str(t),
            "value": fmt(r.at_quota, "percent"),
            "detail": f"mean attainment {r.mean_attainment:.0%} ({int(r.reps)} reps)",
        }
        for t, r in grp.head(3).iterrows()
    ]
    trend = []
    for p in complete_quarters(crm, 8, as_of):
        a = rep_attainment(crm, [p])
        if len(a):
            trend.append((p.label, float((a["attainment"] >= 1).mean())))
    window = f"{qs[0].label}..{qs[-1].label}"
    m = _metric(
        key,
        cfg,
        value,
        interval=(float(lo_i[0]), float(hi_i[0])),
        also={"name": cfg["also"]["name"], "value": mean_att},
        contributors=contributors,
        trend=_trend(trend),
        details={
            "window": window,
            "reps": float(len(at)),
            "median_attainment": float(np.median(at)),
            "mean_attainment": mean_att,
        },
        table=att,
    )
    if m.status == "healthy":
        m.action = (
            f"{value:.0%} of {len(at)} reps reached quota in {window} (mean {mean_att:.0%}); "
            "keep the quota method for the next plan."
        )
    elif too_high:
        m.action = (
            f"{value:.0%} of reps reached quota (mean {mean_att:.0%}), above {band.text()}: "
            f"quotas are likely too low; raise them for the next plan, starting with "
            f"{contributors[0]['name']}."
        )
    else:
        factor = float(np.quantile(at, 1 - 0.7))  # the cut that would put 70% at quota
        m.action = (
            f"Only {value:.0%} of {len(at)} reps reached quota (mean {mean_att:.0%}): quotas "
            f"look set too high; 70% at quota needs quotas near {factor:.0%} of today's. "
            f"Lowest: {', '.join(c['name'] for c in contributors[:2])}."
        )
    return m


# --- new-rep ramp --------------------------------------------------------------------------------
def new_rep_ramp(crm: CRM, as_of, cfg: dict, **_) -> Metric:
    from ..ramp import fit_ramp

    key = "new_rep_ramp"
    band: HealthBand = cfg["band"]
    table, extra = fit_ramp(crm, as_of, cohort=cfg.get("cohort", "half-year"))
    if table.empty:
        return _na(key, cfg, "no AE hired during the data (hire dates needed)")
    conf = float(cfg.get("confidence", 0.9))
    min_t = int(cfg.get("min_tenure_months", 12))
    grid = extra["grid"]
    h_hi, w_hi = band.healthy[1], band.watch[1]
    table["p_over_healthy"] = [
        float(extra["posterior"][c][grid > h_hi].sum()) for c in table["cohort"]
    ]
    table["p_over_watch"] = [
        float(extra["posterior"][c][grid > w_hi].sum()) for c in table["cohort"]
    ]
    table["graded"] = table["max_tenure"] >= min_t
    table["status"] = np.where(
        ~table["graded"],
        "too early",
        np.where(
            table["p_over_watch"] >= conf,
            "act",
            np.where(table["p_over_healthy"] >= conf, "watch", "healthy"),
        ),
    )
    graded = table[table["graded"]]
    if graded.empty:
        return _na(key, cfg, f"no hire cohort has {min_t} months of tenure yet")
    worst = graded.sort_values(["p_over_healthy", "median"], ascending=False).iloc[0]
    status = worse(*graded["status"])
    value = float(worst["median"])
    p_lo, p_hi = interval_of(worst.index)
    contributors = [
        {
            "name": f"cohort {r.cohort}",
            "value": f"{r.median:.1f} mo",
            "detail": f"90% {r.p05:.1f}-{r.p95:.1f} mo, {r.hires} hires, P(> {h_hi:g} mo) {r.p_over_healthy:.0%}",
        }
        for r in graded.sort_values(["p_over_healthy", "median"], ascending=False)
        .head(3)
        .itertuples(index=False)
    ]
    if status == "healthy":
        action = (
            f"Hire cohorts ramp in {graded['median'].min():.1f}-{graded['median'].max():.1f} "
            f"months (slowest {worst['cohort']}); keep onboarding as is."
        )
    else:
        action = (
            f"Cohort {worst['cohort']} takes {value:.1f} months to ramp (90%: {worst[p_lo]:.1f}-"
            f"{worst[p_hi]:.1f}; {worst['p_over_healthy']:.0%} likely over {h_hi:g}): review its "
            "onboarding, territories and manager coverage; plan capacity with the slower ramp."
        )
    return _metric(
        key,
        cfg,
        value,
        status=status,
        interval=(float(worst[p_lo]), float(worst[p_hi])),
        contributors=contributors,
        action=action,
        trend=_trend(list(zip(graded["cohort"], graded["median"], strict=True))),
        details={
            "cohorts_graded": float(len(graded)),
            "hires": float(table["hires"].sum()),
            "confidence": conf,
            "p_outside_healthy": float(worst["p_over_healthy"]),
            "slowest_cohort": str(worst["cohort"]),
        },
        table=table,
    )
