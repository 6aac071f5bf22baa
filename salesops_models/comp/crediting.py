"""Crediting won deals to reps (splits, overlays, values by measure), plan periods and
proration by the days a rep was active."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd

from ..crm import CRM
from ..periods import Period
from .inputs import CompInputs
from .money import ZERO, money
from .plan import Measure, Plan, PlanError, no_ote_error


# --- crediting -------------------------------------------------------------------------------
def _split_table(crm: CRM, inputs: CompInputs, won: pd.DataFrame) -> pd.DataFrame:
    """(opportunity_id, rep_id, share, kind) for every won deal; owners 100% by default."""
    base = pd.DataFrame(
        {
            "opportunity_id": won["id"],
            "rep_id": won["owner_rep_id"],
            "share": Decimal(1),
            "kind": "split",
        }
    )
    s = inputs.splits
    if s is None or s.empty:
        return base
    s = s.copy()
    s["kind"] = s.get("kind", "split")
    s["kind"] = s["kind"].fillna("split")
    s["pct"] = s["percent"].map(lambda v: Decimal(str(v)))
    split = s[s["kind"] == "split"]
    sums = split.groupby("opportunity_id")["pct"].sum()
    bad = sums[sums != Decimal(100)]
    if len(bad):
        oid, tot = bad.index[0], bad.iloc[0]
        raise ValueError(
            f"splits: percentages of opportunity {oid!r} add to {tot}, not 100 "
            f"({len(bad)} opportunities affected)"
        )
    unknown = set(s["rep_id"]) - set(crm.reps["id"])
    if unknown:
        raise ValueError(f"splits: unknown rep ids {sorted(unknown)[:5]}")
    s["share"] = s["pct"] / Decimal(100)
    has_split = set(split["opportunity_id"])
    base = base[~base["opportunity_id"].isin(has_split)]
    return pd.concat([base, s[["opportunity_id", "rep_id", "share", "kind"]]], ignore_index=True)


def _deal_values(crm: CRM, inputs: CompInputs) -> pd.DataFrame:
    o = crm.opportunities[crm.opportunities["is_won"]].copy()
    o["amount_d"] = [money(v) if _known(v) else ZERO for v in o["amount"].tolist()]
    attrs = inputs.deal_attributes
    if attrs is not None and len(attrs):
        a = attrs.set_index("opportunity_id")
        o["term_months"] = o["id"].map(a["term_months"]) if "term_months" in a else np.nan
        o["margin"] = o["id"].map(a["margin"]) if "margin" in a else np.nan
        o["discount"] = o["id"].map(a["discount"]) if "discount" in a else np.nan
    else:
        o["term_months"] = o["margin"] = o["discount"] = np.nan
    first_won = o.sort_values(["close_date", "id"]).drop_duplicates("account_id")
    o["new_logo"] = o["id"].isin(first_won.loc[first_won["account_id"].notna(), "id"]) & (
        o["type"] == "new"
    )
    return o


def _known(x) -> bool:
    """Not None, NaN or NaT (a scalar check much cheaper than ``pd.notna`` in the deal loop)."""
    return x is not None and x is not pd.NA and x == x


def _credit_value(m: Measure, deal) -> tuple[Decimal, str] | None:
    """The deal's credit for the measure (before split share), or None if it does not count."""
    c = m.crediting
    if m.metric == "renewals" and c.types is None and deal.type != "renewal":
        return None
    if c.types is not None and deal.type not in c.types:
        return None
    if c.products is not None and deal.product not in c.products:
        return None
    if c.exclude_products is not None and deal.product in c.exclude_products:
        return None
    amt = deal.amount_d
    if m.metric == "new_logos":
        return (Decimal(1), "new logo") if deal.new_logo else None
    if m.metric == "margin":
        margin = deal.margin if _known(deal.margin) else c.default_margin
        if margin is None:
            raise ValueError(
                f"measure {m.name!r}: deal {deal.id} has no margin and the plan sets no default_margin"
            )
        return amt * Decimal(str(margin)), f"margin {float(margin):.0%} of {amt:,.2f}"
    term = deal.term_months if _known(deal.term_months) else 12
    if c.value == "acv" and term > 12:
        return amt * Decimal(12) / Decimal(str(term)), f"ACV of {amt:,.2f} over {term:g} months"
    return amt, ("TCV" if c.value == "tcv" else "ACV") + f" {amt:,.2f}"


def _discount_multiplier(plan: Plan, deal) -> Decimal:
    if not plan.discount_multipliers or not _known(deal.discount):
        return Decimal(1)
    for band in plan.discount_multipliers:
        if deal.discount <= band.max_discount:
            return Decimal(str(band.multiplier))
    return Decimal(str(plan.discount_multipliers[-1].multiplier))


# --- periods, proration, quotas -----------------------------------------------------------------
def _plan_period(cal, plan: Plan, start: pd.Timestamp) -> Period:
    end = start + pd.DateOffset(months=plan.period_months) - pd.Timedelta(days=1)
    if plan.period == "quarter":
        label = cal.quarter(start).label
    elif plan.period == "month":
        label = cal.month(start).label
    else:
        label = cal.year(start).label
    return Period(label, pd.Timestamp(start), pd.Timestamp(end), plan.period)


def plan_periods(crm: CRM, plan: Plan, up_to, start=None) -> list[Period]:
    """Plan periods from the one holding ``start`` (default: the start of ``up_to``'s fiscal
    year) through ``up_to``, aligned on fiscal years."""
    cal = crm.calendar
    up_to = crm.period(up_to) if not isinstance(up_to, Period) else up_to
    first = cal.year(pd.Timestamp(start) if start is not None else up_to.start).start
    out, cur = [], pd.Timestamp(first)
    while cur <= up_to.end:
        p = _plan_period(cal, plan, cur)
        if start is None or p.end >= pd.Timestamp(start):
            out.append(p)
        cur = p.end + pd.Timedelta(days=1)
    return out


def _days_active(rep, a: pd.Timestamp, b: pd.Timestamp, leaves: list) -> int:
    """Days of [a, b] the rep was employed and not on leave."""
    start = max(a, rep.hire_date) if _known(rep.hire_date) else a
    end = min(b, rep.termination_date) if _known(rep.termination_date) else b
    if end < start:
        return 0
    days = (end - start).days + 1
    for lv_start, lv_end in leaves:
        x, y = max(start, lv_start), min(end, lv_end)
        if y >= x:
            days -= (y - x).days + 1
    return max(days, 0)


def credit_deals(crm: CRM, plan: Plan, inputs: CompInputs) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The deal values and the credit rows (one per deal and credited rep) of the plan."""
    deals = _deal_values(crm, inputs)
    splits = _split_table(crm, inputs, deals)
    if plan.overlay is not None:
        overlay_reps = set(crm.reps.loc[crm.reps["role"] == plan.overlay.role, "id"])
        splits = splits[(splits["kind"] == "split") | splits["rep_id"].isin(overlay_reps)]
    else:
        splits = splits[splits["kind"] == "split"]
    credited = splits.merge(deals, left_on="opportunity_id", right_on="id", how="inner")
    credited = credited.sort_values(["close_date", "opportunity_id", "rep_id"], kind="stable")
    return deals, credited.reset_index(drop=True)


def plan_reps(crm: CRM, plan: Plan) -> pd.DataFrame:
    """The reps the plan covers (its roles), in the CRM's order (the order of statements)."""
    return crm.reps[crm.reps["role"].isin(plan.roles)]


def check_plan_inputs(crm: CRM, plan: Plan) -> None:
    """Raise :class:`PlanError` before any statement when the plan needs what the CRM lacks:
    an OTE for reps without one (a CRM export rarely has pay data), or quotas-table quotas
    in a store without quotas; the message says which plan key supplies it."""
    reps = plan_reps(crm, plan)
    if plan.ote is None and "ote" in reps and len(reps):
        missing = reps[reps["ote"].isna()]
        if len(missing):
            ex = missing.iloc[0]
            raise no_ote_error(plan, len(missing), len(reps), f"{ex['name']} ({ex['id']})")
    has_quotas = crm.quotas is not None and crm.quotas["rep_id"].isin(reps["id"]).any()
    for m in plan.measures:
        if m.quota == "quotas" and not has_quotas:
            raise PlanError(
                f"plan {plan.name!r}: measure {m.name!r} reads quotas from the quotas table "
                "and this store has none for the plan's reps: set each rep's quota per plan "
                f"period in the measure (`quota: 250000`), or load quotas"
            )


def _default_start(crm: CRM, plan: Plan, credited: pd.DataFrame, up_to: Period) -> pd.Timestamp:
    """The plan's ``effective_from``, else the fiscal year of the first credited deal."""
    if plan.effective_from is not None:
        return pd.Timestamp(plan.effective_from)
    if credited.empty:
        return crm.calendar.year(up_to.start).start
    first = pd.Timestamp(credited["close_date"].min())
    return crm.calendar.year(min(first, up_to.start)).start
