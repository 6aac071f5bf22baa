"""Rep productivity from the activity log: selling time, process compliance, tool adoption.

Not graded (``n/a``, saying why) when the CRM logs no activities.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ... import activities as act
from ...crm import CRM
from ...draws import interval_of
from ..bands import fmt
from .base import Metric, _metric, _na, _trend, complete_quarters, same_point_dates

_NO_ACTIVITIES = (
    "the CRM logs no activities (load Salesforce Task/Event or HubSpot engagement exports "
    "with the CRM)"
)


def _weekly_hours(crm: CRM, reps: pd.Series) -> float:
    from ...schema import DEFAULT_WEEKLY_HOURS

    h = crm.reps.set_index("id")["weekly_hours"].reindex(reps)
    return float(h.fillna(DEFAULT_WEEKLY_HOURS).mean()) if len(h) else DEFAULT_WEEKLY_HOURS


# --- selling time ----------------------------------------------------------------------------
def selling_time(crm: CRM, as_of, cfg: dict, **_) -> Metric:
    key = "selling_time"
    if not crm.has_activities:
        return _na(key, cfg, _NO_ACTIVITIES)
    qs = complete_quarters(crm, 1, as_of)
    if not qs:
        return _na(key, cfg, "no complete quarter before the as-of date")
    q = qs[0]
    start, end = max(q.start, crm.data_start), q.end
    org = act.selling_time(crm, start, end, by=[], as_of=as_of)
    value = float(org["selling_share"].iloc[0])
    if not np.isfinite(value):
        return _na(key, cfg, f"no logged week of an AE in {q.label}")
    by = cfg.get("group_by", "team")
    grp = act.selling_time(crm, start, end, by=by, as_of=as_of).sort_values("selling_share")
    per_rep = act.selling_time(crm, start, end, by="rep_id", as_of=as_of)
    healthy_lo = cfg["band"].healthy[0]
    contributors = [
        {
            "name": str(r[by]),
            "value": fmt(r.selling_share, "percent"),
            "detail": f"{r.customer_facing_hours:,.0f} of {r.working_hours:,.0f} working hours "
            f"with customers ({int(r.reps)} AEs)",
        }
        for _, r in grp.head(3).iterrows()
    ]
    trend = []
    for p in complete_quarters(crm, 8, as_of):
        if p.end < crm.data_start:
            continue
        s = act.selling_time(crm, max(p.start, crm.data_start), p.end, by=[], as_of=as_of)
        trend.append((p.label, float(s["selling_share"].iloc[0])))
    mix = act.time_by_type(crm, start, end)
    admin = mix[~mix["customer_facing"]].sort_values("hours", ascending=False)
    weeks = float(org["logged_weeks"].iloc[0])
    hours_week = _weekly_hours(crm, per_rep["rep_id"])
    m = _metric(
        key,
        cfg,
        value,
        interval=tuple(float(org[c].iloc[0]) for c in interval_of(org)),
        contributors=contributors,
        trend=_trend(trend),
        details={
            "period": q.label,
            "customer_facing_hours": float(org["customer_facing_hours"].iloc[0]),
            "working_hours": float(org["working_hours"].iloc[0]),
            "imputed_hours": float(org["imputed_hours"].iloc[0]),
            "logged_rep_weeks": weeks,
            "unlogged_rep_weeks": float(org["unlogged_weeks"].iloc[0]),
            "reps_at_healthy_share": float((per_rep["selling_share"] >= healthy_lo).sum()),
            "reps": float(len(per_rep)),
        },
        table=grp.rename(columns={by: "group"}).reset_index(drop=True),
        note=(
            f"{q.label}; durations not logged are imputed with their type's mean "
            f"({org['imputed_hours'].iloc[0]:,.0f} of {org['customer_facing_hours'].iloc[0]:,.0f} "
            "customer-facing hours); weeks in which a rep logged nothing are left out, not "
            "counted as weeks without selling."
        ),
    )
    per_week = value * hours_week
    if m.status == "healthy":
        m.action = (
            f"AEs spend {value:.0%} of their time with customers ({per_week:.1f} h of "
            f"{hours_week:.0f} h a week); protect it (keep admin and internal meetings where "
            "they are)."
        )
    else:
        gain = (healthy_lo - value) * hours_week
        top = (
            f"; the largest non-selling time logged is {admin['type'].iloc[0]} "
            f"({admin['hours'].iloc[0] / max(weeks, 1):.1f} h per AE-week)"
            if len(admin)
            else ""
        )
        m.action = (
            f"AEs spend {value:.0%} of their time with customers ({per_week:.1f} h of "
            f"{hours_week:.0f} h a week), {healthy_lo:.0%} is healthy: {gain:.1f} h more per AE "
            f"per week; start with {contributors[0]['name']} ({contributors[0]['value']}){top}."
        )
    return m


# --- process compliance ----------------------------------------------------------------------
def process_compliance(crm: CRM, as_of, cfg: dict, **_) -> Metric:
    key = "process_compliance"
    if not crm.has_activities:
        return _na(key, cfg, _NO_ACTIVITIES)
    n = int(cfg.get("window_quarters", 2))
    qs = complete_quarters(crm, n, as_of)
    if not qs:
        return _na(key, cfg, "no complete quarter before the as-of date")
    # entries are judged only once the log covers the 30 days before them (a CRM that
    # started logging activities later than its deal history would look non-compliant)
    logged_from = crm.activities["start"].min().normalize() + pd.Timedelta(days=30)
    start = max(qs[0].start, crm.data_start, logged_from)
    criteria = act.load_criteria(cfg.get("criteria_file"))
    trend_quarters = complete_quarters(crm, 8, as_of)
    # one evaluation serves the window and every trend quarter (each entry is judged on its
    # own; ``since`` only filters)
    first = min([start, *(p.start for p in trend_quarters)])
    every = act.evaluate_compliance(crm, as_of, criteria=criteria, since=first)
    ev = every[every["entered_at"] >= start]
    ev = ev[ev["entered_at"] <= qs[-1].end + pd.Timedelta(days=1)].reset_index(drop=True)
    if ev.empty:
        return _na(key, cfg, "no stage entries with criteria in the window")
    by_stage = act.compliance_summary(ev, "stage").sort_values("share")
    worst = by_stage.iloc[0]
    value = float(worst["share"])
    by = cfg.get("group_by", "team")
    grp = act.compliance_summary(ev[ev["stage"] == worst["stage"]], by).sort_values("share")
    contributors = [
        {
            "name": str(r[by]),
            "value": fmt(r.share, "percent"),
            "detail": f"{int(r.entries - r.compliant)} of {int(r.entries)} entries into "
            f"{worst['stage']} without its criteria",
        }
        for _, r in grp.head(3).iterrows()
    ]
    conv = act.conversion_by_compliance(ev)
    cw = conv[conv["stage"] == worst["stage"]].set_index("compliant")
    win_ok = float(cw.loc[True, "win_rate"]) if True in cw.index else np.nan
    win_bad = float(cw.loc[False, "win_rate"]) if False in cw.index else np.nan
    reasons = ev.loc[~ev["compliant"] & (ev["stage"] == worst["stage"]), "missing"]
    top_reason = reasons.str.split("; ").explode().value_counts()
    trend = []
    for p in trend_quarters:
        e = every[every["entered_at"] >= p.start]
        e = e[e["entered_at"] < p.end + pd.Timedelta(days=1)]
        if len(e) and p.start >= max(crm.data_start, logged_from):
            trend.append((p.label, float(act.compliance_summary(e, "stage")["share"].min())))
    lo_i, hi_i = (float(worst[c]) for c in interval_of(worst.index))
    m = _metric(
        key,
        cfg,
        value,
        interval=(lo_i, hi_i),
        contributors=contributors,
        trend=_trend(trend),
        details={
            "window": f"{qs[0].label}..{qs[-1].label}",
            "stage": str(worst["stage"]),
            "entries": float(len(ev)),
            "all_stages_share": float(ev["compliant"].mean()),
            "win_rate_compliant": win_ok,
            "win_rate_noncompliant": win_bad,
            **{f"share_{r.stage}": float(r.share) for r in by_stage.itertuples(index=False)},
        },
        table=by_stage.reset_index(drop=True),
        note=f"criteria: {cfg.get('criteria_file') or act.compliance.CRITERIA_FILE.name}",
    )
    n_bad = int(worst["entries"] - worst["compliant"])
    why = top_reason.index[0] if len(top_reason) else "its criteria"
    payoff = (
        f"; closed deals that met them won {win_ok:.0%} vs {win_bad:.0%} for the rest"
        if np.isfinite(win_ok) and np.isfinite(win_bad)
        else ""
    )
    if m.status == "healthy":
        m.action = (
            f"{value:.0%} of entries into {worst['stage']} met its criteria{payoff}; keep the "
            "stage path's checks."
        )
    else:
        m.action = (
            f"{n_bad} deals entered {worst['stage']} without its criteria ({value:.0%} met "
            f"them; most often: {why}){payoff}: make the criteria a required step of the "
            f"stage, starting with {contributors[0]['name']}."
        )
    return m


# --- tool adoption ---------------------------------------------------------------------------
def tool_adoption(crm: CRM, as_of, cfg: dict, **_) -> Metric:
    key = "tool_adoption"
    if not crm.has_activities:
        return _na(key, cfg, _NO_ACTIVITIES)
    weeks = int(cfg.get("weeks", 13))
    w = act.weekly_logging(crm, as_of, weeks)
    if w.empty:
        return _na(key, cfg, f"no AE employed through any of the last {weeks} weeks")
    value = float(w.groupby("week")["logged"].mean().mean())
    per_rep = w.groupby("rep_id").agg(
        weeks=("week", "size"), logged=("logged", "sum"), activities=("activities", "sum")
    )
    per_rep["share"] = per_rep["logged"] / per_rep["weeks"]
    per_rep = per_rep.sort_values(["share", "activities"])
    names = crm.reps.set_index("id")["name"]
    contributors = [
        {
            "name": str(names.get(rid, rid)),
            "value": fmt(r.share, "percent"),
            "detail": f"logged in {int(r.logged)} of {int(r.weeks)} weeks",
        }
        for rid, r in per_rep.head(3).iterrows()
    ]
    summary = act.adoption_summary(crm, as_of, weeks)
    trend = []
    for label, d in same_point_dates(crm, as_of, 8):
        ww = act.weekly_logging(crm, d, weeks)
        if len(ww):
            trend.append((label, float(ww.groupby("week")["logged"].mean().mean())))
    low = per_rep[per_rep["share"] < cfg["band"].healthy[0]]
    m = _metric(
        key,
        cfg,
        value,
        contributors=contributors,
        trend=_trend(trend),
        details={
            "weeks": float(weeks),
            "reps": float(len(per_rep)),
            "reps_below_band": float(len(low)),
            "activity_per_open_deal_30d": summary["activity_per_open_deal"],
            "open_deals_without_activity_30d": summary["open_deals_without_activity_30d"],
            "median_days_since_activity": summary["median_days_since_activity"],
        },
        table=per_rep.reset_index(),
        note=(
            f"share of AEs employed the whole week who logged any activity, mean of the last "
            f"{weeks} weeks"
        ),
    )
    if m.status == "healthy":
        m.action = (
            f"{value:.0%} of AE-weeks have logged activity; open deals average "
            f"{summary['activity_per_open_deal']:.1f} activities in 30 days."
        )
        if len(low):
            m.action += (
                f" {len(low)} AEs logged in fewer than {cfg['band'].healthy[0]:.0%} of the weeks "
                f"(lowest: {contributors[0]['name']}, {contributors[0]['detail']}): their "
                "selling time is measured on the weeks they logged."
            )
    else:
        m.action = (
            f"{len(low)} AEs logged activity in fewer than {cfg['band'].healthy[0]:.0%} of the "
            f"last {weeks} weeks (lowest: {contributors[0]['name']}, "
            f"{contributors[0]['detail']}): turn on email and calendar sync for them and review "
            "it in the weekly 1:1."
        )
    return m
