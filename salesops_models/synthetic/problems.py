"""Known problems injected into a synthetic org, to check that the health scorecard finds them.

A well-run org (:func:`well_run_params`: clean CRM habits, quotas most reps can reach) is
generated, then each function below plants one problem a sales-ops team would want flagged,
and returns a new :class:`~salesops_models.crm.CRM` (the input is not modified):

- :func:`quota_too_high`: the last quarters' quotas raised by a factor (a plan set too high);
- :func:`stale_region`: in one region, deals lost recently are never closed out in the CRM:
  they stay open in their last stage, untouched and past due (a region that stopped cleaning
  its pipeline);
- :func:`unbalanced_territory`: one AE's territory grows to ``factor`` x the segment's mean
  potential by taking accounts from the segment's other territories;
- a slow-ramping hire cohort is generated, not injected: ``OrgParams.cohort_ramp``
  (see :func:`well_run_params`), so its true ramp is known.

Every function is deterministic for its ``seed``.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from ..crm import CRM
from .generator import SyntheticOrg, generate_org
from .params import SEGMENT_DEFAULTS, ActivityParams, HygieneParams, OrgParams


def well_run_params(cycle_factor: float = 1.6, **overrides) -> OrgParams:
    """Parameters of a well-run org: few zombie deals and empty fields, close dates kept
    current, quotas set at 80% of expected productivity (most reps can reach them), and
    stage durations ``cycle_factor`` x the defaults (a longer, considered-purchase cycle,
    so the quarter's bookings are mostly in the pipeline when it starts, as the 3-4x
    coverage rule assumes), and reps who sell (65% selling time), log every week and meet the
    stage criteria. ``overrides`` replace any :class:`OrgParams` field (e.g.
    ``cohort_ramp``)."""
    hygiene = HygieneParams(
        zombie_rate=0.005,
        zombie_cleanup_rate=1.0,
        zombie_cleanup_days=(10.0, 30.0),
        no_push_rate=0.0,
        duplicate_rate=0.003,
        stage_skip_rate=0.01,
        missing={
            "lead_source": 0.01,
            "product": 0.005,
            "amount_at_creation": 0.01,
            "account_industry": 0.01,
            "account_employees": 0.01,
        },
    )
    segments = tuple(
        replace(s, stage_days_median=tuple(d * cycle_factor for d in s.stage_days_median))
        for s in SEGMENT_DEFAULTS
    )
    activities = ActivityParams(
        selling_share_mean=0.68,
        selling_share_sd=0.05,
        low_adopter_share=0.0,
        noncompliant_if_won=0.0,
        noncompliant_if_lost=0.0,
    )
    base = OrgParams(hygiene=hygiene, quota_stretch=0.80, segments=segments, activities=activities)
    return replace(base, **overrides)


def well_run_org(n_reps: int = 60, years: float = 3.0, seed: int = 5, **overrides) -> SyntheticOrg:
    """A generated well-run org (:func:`well_run_params`) whose territories have been
    balanced (:func:`balanced_territories`): the healthy baseline of the scorecard tests."""
    org = generate_org(n_reps, years, seed, params=well_run_params(**overrides))
    return replace(org, crm=balanced_territories(org.crm))


def quota_too_high(crm: CRM, factor: float = 1.4, quarters: int = 4, as_of=None) -> CRM:
    """Multiply every quota of the last ``quarters`` quota periods that end on or before
    ``as_of`` (default: the data's last day) by ``factor``."""
    as_of = pd.Timestamp(as_of or crm.data_end)
    q = crm.quotas.copy()
    ended = q.loc[q["period_end"] <= as_of, "period_start"].unique()
    starts = np.sort(ended)[-quarters:]
    hit = q["period_start"].isin(starts)
    q.loc[hit, "amount"] = (q.loc[hit, "amount"] * factor).round(-3)
    return replace(crm, quotas=q)


def stale_region(
    crm: CRM,
    region: str,
    as_of=None,
    *,
    share: float = 1.0,
    lost_within_days: tuple[int, int] = (30, 270),
    seed: int = 0,
) -> CRM:
    """Turn a ``share`` of ``region``'s deals lost ``lost_within_days`` before ``as_of`` into
    zombies: the closing history rows are removed, so each deal stays open in the last stage
    it reached, with its last close date and no change since. Only deals whose last close
    date falls before the as-of quarter are used, so they are past due."""
    as_of = pd.Timestamp(as_of or crm.data_end)
    rng = np.random.default_rng(seed)
    o = crm.opportunities
    reps = crm.reps.set_index("id")["region"]
    lo, hi = lost_within_days
    lost = o[
        (o["stage"] == "Closed Lost")
        & o["owner_rep_id"].map(reps).eq(region)
        & o["close_date"].between(as_of - pd.Timedelta(days=hi), as_of - pd.Timedelta(days=lo))
    ]
    if lost.empty:
        raise ValueError(f"no deals of region {region!r} lost in that window to turn stale")
    chosen = lost["id"][rng.random(len(lost)) < share]
    h = crm.opportunity_history
    is_close = h["stage"].isin(["Closed Lost", "Closed Won"])
    last = (
        h[h["opportunity_id"].isin(chosen) & ~is_close]
        .sort_values(["opportunity_id", "changed_at"], kind="stable")
        .groupby("opportunity_id")
        .last()
    )
    # past due since before the as-of quarter: the deals sit in the hygiene numbers, not in
    # the pipeline of the current quarter
    last = last[last["close_date"] < crm.quarter(as_of).start]
    chosen = last.index  # deals created straight into Closed Lost have no open state: skipped
    h = h[~(h["opportunity_id"].isin(chosen) & is_close)]
    o = o.copy()
    idx = o["id"].isin(chosen)
    lk = o.loc[idx, "id"]
    for col in ("stage", "amount", "close_date", "forecast_category"):
        o.loc[idx, col] = lk.map(last[col]).to_numpy()
    o.loc[idx, "is_closed"] = False
    o.loc[idx, "is_won"] = False
    return replace(crm, opportunities=o, opportunity_history=h.reset_index(drop=True))


def unbalanced_territory(crm: CRM, rep_id: str, factor: float = 2.5, seed: int = 0) -> CRM:
    """Give ``rep_id`` accounts of the other AEs of its segment (largest territories first,
    random accounts) until its potential reaches ``factor`` x the segment's mean."""
    rng = np.random.default_rng(seed)
    acc = crm.accounts.copy()
    reps = crm.reps.set_index("id")
    seg = reps.loc[rep_id, "segment"]
    peers = reps.index[
        (reps["segment"] == seg) & (reps["role"] == "AE") & reps["termination_date"].isna()
    ]
    mine = acc["owner_rep_id"].isin(peers)
    goal = factor * acc.loc[mine].groupby("owner_rep_id")["potential"].sum().mean()
    have = float(acc.loc[acc["owner_rep_id"] == rep_id, "potential"].sum())
    pool = acc.index[mine & (acc["owner_rep_id"] != rep_id)].to_numpy()
    for i in rng.permutation(pool):
        if have >= goal:
            break
        acc.loc[i, "owner_rep_id"] = rep_id
        have += float(acc.loc[i, "potential"])
    return replace(crm, accounts=acc)


def balanced_territories(crm: CRM, tolerance: float = 0.10) -> CRM:
    """The well-run org's territories: within each segment, the active AEs' accounts are
    rebalanced to within ``tolerance`` of the mean potential, moving as few accounts as
    possible (:func:`~salesops_models.territory.rebalance.rebalance`)."""
    from ..territory.rebalance import rebalance

    acc = crm.accounts.copy()
    reps = crm.reps
    active = reps[(reps["role"] == "AE") & reps["termination_date"].isna()]
    for _seg, ids in active.groupby("segment")["id"]:
        sel = acc["owner_rep_id"].isin(ids) & acc["lat"].notna() & acc["potential"].notna()
        if sel.sum() == 0 or acc.loc[sel, "owner_rep_id"].nunique() < 2:
            continue
        d = rebalance(acc.loc[sel].reset_index(drop=True), "owner_rep_id", tolerance=tolerance)
        acc.loc[sel, "owner_rep_id"] = d.accounts["territory"].to_numpy()
    return replace(crm, accounts=acc)
