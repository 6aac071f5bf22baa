"""Pipeline coverage and pipeline hygiene (stale and past-due open pipeline)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ... import pipeline, quality
from ...crm import CRM
from ...display import money
from ..bands import HealthBand, fmt
from .base import (
    Metric,
    _metric,
    _na,
    _trend,
    same_point_dates,
)


# --- pipeline coverage ----------------------------------------------------------------------
def pipeline_coverage(crm: CRM, as_of, cfg: dict, **_) -> Metric:
    """Coverage of the quarter holding the day after ``as_of``, measured when it started
    (the point the 3-4x rule is meant for; the remaining coverage today is a detail)."""
    key = "pipeline_coverage"
    as_of = pd.Timestamp(as_of).normalize()
    by = cfg.get("group_by", "team")
    q = crm.quarter(as_of + pd.Timedelta(days=1))
    start = q.start - pd.Timedelta(days=1)
    cov = pipeline.coverage(crm, start, q, by=by)
    total = cov.iloc[0]
    if not total["target"] > 0:
        return _na(key, cfg, f"no target for {q.label} (no quotas and no prior bookings)")
    value = float(total["remaining_coverage"]) if total["remaining"] > 0 else np.nan
    band: HealthBand = cfg["band"]
    lo, hi = band.healthy
    groups = cov.iloc[1:].copy()
    if not (groups["target"] > 0).any():
        # no group quotas: each group's share of the total target is its share of the
        # bookings behind the total's stand-in (the same quarter a year earlier)
        ref = crm.calendar.quarter(q.start - pd.DateOffset(years=1))
        snap = pipeline.enrich(crm, crm.as_of(min(ref.end, as_of)))
        won = snap[snap["is_won"] & snap["close_date"].between(ref.start, ref.end)]
        share = won.groupby(by)["amount"].sum()
        share = share / share.sum() if share.sum() > 0 else share
        groups["target"] = groups["group"].map(share).astype(float).fillna(0.0) * float(
            total["target"]
        )
        groups["remaining"] = (groups["target"] - groups["won_to_date"]).clip(lower=0)
        groups["remaining_coverage"] = groups["open_pipeline"] / groups["remaining"].where(
            groups["remaining"] > 0
        )
    groups = groups[groups["target"] > 0]
    groups["shortfall"] = lo * groups["remaining"] - groups["open_pipeline"]
    if np.isfinite(value) and value > hi:
        top = groups.sort_values("remaining_coverage", ascending=False).head(3)
    else:
        top = groups.sort_values("shortfall", ascending=False).head(3)
    contributors = [
        {
            "name": str(r.group),
            "value": fmt(r.remaining_coverage, "ratio"),
            "detail": f"pipeline {money(r.open_pipeline)} for {money(r.remaining)} to go",
        }
        for r in top.itertuples(index=False)
    ]
    trend = []
    qq = q
    for _ in range(8):
        if qq.start <= crm.data_start:
            break
        c = pipeline.coverage(crm, qq.start - pd.Timedelta(days=1), qq, by=None).iloc[0]
        trend.append((qq.label, float(c["remaining_coverage"])))
        qq = crm.calendar.previous(qq)
    trend = trend[::-1]
    now = pipeline.coverage(crm, as_of, q, by=None).iloc[0] if as_of >= q.start else total
    status = band.status(value)
    need = max(lo * total["remaining"] - total["open_pipeline"], 0.0)
    names = ", ".join(c["name"] for c in contributors) or "the largest teams"
    undated = float(total["open_without_close_date"])
    today = (
        f"; today {fmt(now['remaining_coverage'], 'ratio')} of {money(now['remaining'])} to go"
        if as_of >= q.start
        else ""
    )
    if status == "healthy":
        action = (
            f"{q.label} started with {fmt(value, 'ratio')} coverage{today}; keep pipeline "
            "generation at this pace for next quarter."
        )
    elif value < lo:
        action = (
            f"{q.label} started with {fmt(value, 'ratio')} coverage against {band.text()}{today}: "
            f"{money(need)} more qualified pipeline was needed; start with {names}."
        )
        if undated > total["open_pipeline"]:
            action += f" {money(undated)} of open pipeline has no close date: date it."
    else:
        action = (
            f"{q.label} started with {fmt(value, 'ratio')} coverage, above {band.text()}: the "
            f"pipeline is likely unqualified; scrub stale and past-due deals, starting with {names}."
        )
    return _metric(
        key,
        cfg,
        value,
        status=status,
        contributors=contributors,
        action=action,
        trend=_trend(trend),
        details={
            "period": q.label,
            "measured_on": str(start.date()),
            "target": float(total["target"]),
            "open_pipeline_at_start": float(total["open_pipeline"]),
            "target_source": cov.attrs.get("target_source", ""),
            "remaining_coverage_today": float(now["remaining_coverage"]),
            "open_without_close_date": undated,
        },
        table=cov,
    )


# --- pipeline hygiene ------------------------------------------------------------------------
def stuck_thresholds(crm: CRM, as_of, stale_days: int, percentile: float = 0.9) -> pd.Series:
    """Days without a change after which an open deal is stale, per (segment, stage):
    the larger of ``stale_days`` and the ``percentile`` of completed visits of that stage by
    deals of that segment (history before ``as_of``), so a long Enterprise stage is not
    stale at 30 days while a forgotten SMB deal is."""
    d = pipeline.stage_durations(crm, as_of)
    seg = pipeline.enrich(crm, crm.opportunities[["id", "account_id", "owner_rep_id"]])
    d = d.assign(segment=d["opportunity_id"].map(seg.set_index("id")["segment"]).fillna("(none)"))
    q = d.groupby(["segment", "stage"])["days"].quantile(percentile)
    return q.clip(lower=stale_days)


def _hygiene_flags(
    crm: CRM, as_of, stale_days: int, th: pd.Series, moves: bool = True
) -> pd.DataFrame:
    f = pipeline.enrich(crm, quality.deal_flags(crm, as_of, stale_days, moves=moves))
    f["amount"] = f["amount"].astype(float).fillna(0.0)
    key = pd.MultiIndex.from_arrays([f["segment"].fillna("(none)"), f["stage"]])
    f["stale_after"] = th.reindex(key).fillna(stale_days).to_numpy()
    f["stale"] = f["days_since_touch"] > f["stale_after"]  # no change, no activity
    f["bad"] = f["stale"] | f["past_due"]
    return f


def _share(f: pd.DataFrame, col: str) -> float:
    tot = f["amount"].sum()
    return float(f.loc[f[col], "amount"].sum() / tot) if tot > 0 else np.nan


def pipeline_hygiene(crm: CRM, as_of, cfg: dict, **_) -> Metric:
    key = "pipeline_hygiene"
    stale_days = int(cfg.get("stale_days", 30))
    pct = float(cfg.get("stuck_percentile", 0.9))
    by = crm.breakdown(cfg.get("group_by", "region")) or "segment"
    th = stuck_thresholds(crm, as_of, stale_days, pct)  # also used for the trend points
    f = _hygiene_flags(crm, as_of, stale_days, th)
    if f.empty or f["amount"].sum() <= 0:
        return _na(key, cfg, "no open pipeline on the as-of date")
    value = _share(f, "bad")
    f["pushed"] = f["push_count"].fillna(0) > 0
    hi = cfg["band"].healthy[1]
    g = f.groupby(f[by].fillna("(none)"))
    grp = pd.DataFrame(
        {
            "open_amount": g["amount"].sum(),
            "bad_amount": g.apply(lambda d: d.loc[d["bad"], "amount"].sum(), include_groups=False),
            "stale_amount": g.apply(
                lambda d: d.loc[d["stale"], "amount"].sum(), include_groups=False
            ),
            "past_due_amount": g.apply(
                lambda d: d.loc[d["past_due"], "amount"].sum(), include_groups=False
            ),
            "open_deals": g.size(),
        }
    )
    grp["bad_share"] = grp["bad_amount"] / grp["open_amount"].where(grp["open_amount"] > 0)
    grp["excess"] = grp["bad_amount"] - hi * grp["open_amount"]
    grp = grp.sort_values("excess", ascending=False)
    contributors = [
        {
            "name": str(k),
            "value": fmt(r.bad_share, "percent"),
            "detail": f"{money(r.bad_amount)} of {money(r.open_amount)} stale or past due",
        }
        for k, r in grp.head(3).iterrows()
    ]
    trend = [
        (label, _share(_hygiene_flags(crm, d, stale_days, th, moves=False), "bad"))
        for label, d in same_point_dates(crm, as_of, 8)
    ]
    status = cfg["band"].status(value)
    bad_amt = float(f.loc[f["bad"], "amount"].sum())
    if status == "healthy":
        action = (
            f"{value:.1%} of open pipeline is stale or past due; keep the monthly pipeline "
            f"review (largest: {contributors[0]['name']} {contributors[0]['value']})."
        )
    else:
        action = (
            f"{money(bad_amt)} ({value:.1%}) of open pipeline is stale or past due: have {', '.join(c['name'] for c in contributors[:2])} update or close "
            "those deals this week."
        )
    return _metric(
        key,
        cfg,
        value,
        status=status,
        contributors=contributors,
        action=action,
        trend=_trend(trend),
        details={
            "stale_share": _share(f, "stale"),
            "past_due_share": _share(f, "past_due"),
            "pushed_share": _share(f, "pushed"),
            "open_deals": float(len(f)),
            "open_amount": float(f["amount"].sum()),
            "stale_days": float(stale_days),
        },
        table=grp.reset_index().rename(columns={by: "group"}),
    )
