"""Exact commission statements: line items per deal and rule, in Decimal, to the cent.

Rounding rule (one, documented): every line is computed in exact decimal arithmetic from
amounts taken to the cent, then rounded **half up to the cent**; a statement's total is the
sum of its lines, so lines always add up exactly to the total. Same inputs, same cents.

Per rep and plan period, in order:

1. **commission** lines per measure and credited deal (marginal: the deal's credit slices
   across tiers; retroactive: the deal's credit at the rate of the band reached), with the
   discount multiplier; a **gate** line if attainment stays below the gate (lines at 0); a
   **cap** line bringing the measure to its payout cap;
2. **spiff** lines (per qualifying deal, or once when a milestone attainment is reached);
3. **clawback** lines: a deal cancelled or unpaid within ``clawback.days`` of its close gives
   back the commission earned on it, in the period of the event;
4. **draw** lines: while the draw applies, earnings below it are topped up; a recoverable
   draw's top-ups are a balance recovered from later earnings (carried between periods);
5. **true-up** at the end of the fiscal year (``annual_true_up``): the annual-basis payout of
   each measure minus what its period lines paid, when positive.

Credit: won deals closing in the period, owner credited 100% unless ``splits`` say otherwise
(percentages of kind ``split`` must add to exactly 100 per deal; kind ``overlay`` is credited on
top to overlay reps). Values: ACV (amount x 12 / term for multi-year deals) or TCV; margin =
amount x margin; new logos = first won deal of an account; renewals = renewal deals.
Proration: target incentive (and a fixed quota) scale with the share of the period's days
the rep was active (hire, termination, leaves). Base salary is not in these statements.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd

from ..crm import CRM
from ..periods import Period
from .curve import _bands, describe_tier, marginal_slices, payout_fraction, tier_at
from .plan import Measure, Plan

CENT = Decimal("0.01")
ZERO = Decimal(0)
LINE_COLUMNS = [
    "period",
    "rep_id",
    "rep_name",
    "line",
    "kind",
    "measure",
    "opportunity_id",
    "credit",
    "rule",
    "amount",
]


def money(x) -> Decimal:
    """A currency amount to the cent (half up), exactly, from a float, str, int or Decimal."""
    if isinstance(x, Decimal):
        return x.quantize(CENT, ROUND_HALF_UP)
    return Decimal(repr(float(x))).quantize(CENT, ROUND_HALF_UP)


def cents(x: Decimal) -> Decimal:
    return x.quantize(CENT, ROUND_HALF_UP)


@dataclass
class CompInputs:
    """Optional inputs beyond the CRM tables."""

    splits: pd.DataFrame | None = None  # opportunity_id, rep_id, percent, kind (split|overlay)
    adjustments: pd.DataFrame | None = None  # opportunity_id, event (cancelled|unpaid), date
    deal_attributes: pd.DataFrame | None = None  # opportunity_id, term_months, margin, discount
    leaves: pd.DataFrame | None = None  # rep_id, start, end (inclusive)


@dataclass
class StatementResult:
    """Statement lines, per rep-period totals, notes, and (for analysis, floats) the
    accelerator premium of each measure (``accelerators``: period, rep_id, measure, amount):
    commission paid on credit above quota beyond the base rate 1.0, ``credit x BCR x
    (rate - 1)`` for tiers starting at 100%+ with a rate above 1, less any payout cap;
    true-ups are not included."""

    lines: pd.DataFrame
    totals: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    accelerators: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["period", "rep_id", "measure", "amount"])
    )

    def for_period(self, label: str) -> StatementResult:
        return StatementResult(
            self.lines[self.lines["period"] == label].reset_index(drop=True),
            self.totals[self.totals["period"] == label].reset_index(drop=True),
            self.notes,
            self.accelerators[self.accelerators["period"] == label].reset_index(drop=True),
        )

    def to_excel(self, path) -> str:
        """Workbook with Totals, Lines and Notes; CRM text neutralized (never a formula)."""
        from ..exports import write_excel

        t = self.totals.copy()
        t["total"] = t["total"].map(float)
        ln = self.lines.copy()
        ln["amount"] = ln["amount"].map(float)
        ln["credit"] = ln["credit"].map(lambda v: None if v is None else float(v))
        notes = pd.DataFrame({"note": self.notes or ["none"]})
        write_excel({"Totals": t, "Lines": ln, "Notes": notes}, path)
        return str(path)

    def to_csv(self, path) -> str:
        """Payroll CSV: one row per line, amounts as exact decimal strings and integer cents;
        CRM text neutralized against formula injection."""
        from ..exports import write_csv

        out = self.lines.copy()
        out["amount_cents"] = out["amount"].map(lambda d: int(d * 100))
        out["amount"] = out["amount"].map(lambda d: f"{d:.2f}")
        out["credit"] = out["credit"].map(lambda d: "" if d is None else f"{d:.2f}")
        write_csv(out, path)
        return str(path)


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
    o["amount_d"] = o["amount"].map(lambda v: money(v) if pd.notna(v) else ZERO)
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
        margin = deal.margin if pd.notna(deal.margin) else c.default_margin
        if margin is None:
            raise ValueError(
                f"measure {m.name!r}: deal {deal.id} has no margin and the plan sets no default_margin"
            )
        return amt * Decimal(str(margin)), f"margin {float(margin):.0%} of {amt:,.2f}"
    term = deal.term_months if pd.notna(deal.term_months) else 12
    if c.value == "acv" and term > 12:
        return amt * Decimal(12) / Decimal(str(term)), f"ACV of {amt:,.2f} over {term:g} months"
    return amt, ("TCV" if c.value == "tcv" else "ACV") + f" {amt:,.2f}"


def _discount_multiplier(plan: Plan, deal) -> Decimal:
    if not plan.discount_multipliers or pd.isna(deal.discount):
        return Decimal(1)
    for band in plan.discount_multipliers:
        if deal.discount <= band.max_discount:
            return Decimal(str(band.multiplier))
    return Decimal(str(plan.discount_multipliers[-1].multiplier))


# --- periods, proration, quotas -----------------------------------------------------------------
def plan_periods(crm: CRM, plan: Plan, up_to: Period) -> list[Period]:
    """The plan periods of ``up_to``'s fiscal year, from its start through ``up_to``."""
    cal = crm.calendar
    year = cal.year(up_to.start)
    out, start = [], year.start
    while start <= up_to.end:
        end = start + pd.DateOffset(months=plan.period_months) - pd.Timedelta(days=1)
        label = (
            cal.quarter(start).label
            if plan.period == "quarter"
            else (cal.month(start).label if plan.period == "month" else year.label)
        )
        out.append(Period(label, pd.Timestamp(start), pd.Timestamp(end), plan.period))
        start = end + pd.Timedelta(days=1)
    return out


def _active_days(rep, p: Period, leaves: pd.DataFrame | None) -> int:
    start = max(p.start, rep.hire_date) if pd.notna(rep.hire_date) else p.start
    end = min(p.end, rep.termination_date) if pd.notna(rep.termination_date) else p.end
    if end < start:
        return 0
    days = (end - start).days + 1
    if leaves is not None and len(leaves):
        for lv in leaves[leaves["rep_id"] == rep.id].itertuples(index=False):
            a, b = max(start, pd.Timestamp(lv.start)), min(end, pd.Timestamp(lv.end))
            if b >= a:
                days -= (b - a).days + 1
    return max(days, 0)


def _quota(crm: CRM, rep_id: str, p: Period) -> Decimal:
    """Quota rows of the rep overlapping the period, prorated by overlapping days."""
    q = crm.quotas[
        (crm.quotas["rep_id"] == rep_id)
        & (crm.quotas["period_end"] >= p.start)
        & (crm.quotas["period_start"] <= p.end)
    ]
    total = ZERO
    for row in q.itertuples(index=False):
        a, b = max(row.period_start, p.start), min(row.period_end, p.end)
        share = Decimal((b - a).days + 1) / Decimal((row.period_end - row.period_start).days + 1)
        total += money(row.amount) * share
    return total


# --- the calculator ---------------------------------------------------------------------------
@dataclass
class YearState:
    """Balances a rep carries from one period of the fiscal year to the next."""

    earned: dict = field(default_factory=dict)  # (rep, deal) -> commission earned (clawbacks)
    draw_balance: dict = field(default_factory=dict)  # rep -> recoverable draw outstanding
    year_paid: dict = field(default_factory=dict)  # (rep, measure) -> paid by period lines
    year_basis: dict = field(default_factory=dict)  # (rep, measure) -> [TI, quota, credit]


@dataclass
class RepPeriod:
    """One rep's statement for one period while it is being built."""

    rep: object  # a row of crm.reps (itertuples)
    period: Period
    proration: Decimal
    lines: list = field(default_factory=list)
    attainment: dict = field(default_factory=dict)  # measure -> attainment (float)

    def add(self, kind, amount, rule, measure=None, deal=None, credit=None) -> None:
        self.lines.append(
            {
                "period": self.period.label,
                "rep_id": self.rep.id,
                "rep_name": self.rep.name,
                "kind": kind,
                "measure": measure,
                "opportunity_id": deal,
                "credit": credit,
                "rule": rule,
                "amount": cents(amount),
            }
        )

    def earnings(self) -> Decimal:
        return sum((ln["amount"] for ln in self.lines), ZERO)


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
    return deals, credited


def _measure_credits(plan: Plan, m: Measure, mine: pd.DataFrame) -> list[tuple]:
    """(deal, credited value, explanation) of every credited deal counting for measure ``m``."""
    items = []
    for d in mine.itertuples(index=False):
        cv = _credit_value(m, d)
        if cv is None:
            continue
        value, why = cv
        share = d.share * (
            Decimal(str(plan.overlay.multiplier)) if d.kind == "overlay" and plan.overlay else 1
        )
        items.append(
            (d, value * share, why + (f", {d.kind} {d.share:.2%}" if d.share != 1 else ""))
        )
    return items


def _deal_commission(rt, cum, credit, quota, bcr, a, mult) -> tuple[Decimal, Decimal, str]:
    """Commission, accelerator premium and rule text of one deal's ``credit`` on top of the
    ``cum`` credited before it (see the module docstring for the two methods)."""
    tier_starts = [b[0] for b in _bands(rt)]
    if rt.method == "marginal":
        slices = marginal_slices(rt, cum, cum + credit, quota)
        amount = sum((c * bcr * r for _, c, r in slices), ZERO) * mult
        premium = (
            sum((c * bcr * (r - 1) for t, c, r in slices if tier_starts[t] >= 1 and r > 1), ZERO)
            * mult
        )
        rule = (
            "; ".join(f"{c:,.2f} at {describe_tier(rt, t)}" for t, c, r in slices)
            or "above the attainment cap"
        )
        return amount, premium, rule
    k, rate = tier_at(rt, a)
    counted = credit
    if rt.cap_attainment is not None:
        cap_c = Decimal(str(rt.cap_attainment)) * quota
        counted = max(min(cum + credit, cap_c) - cum, ZERO)
    amount = counted * bcr * rate * mult
    premium = counted * bcr * (rate - 1) * mult if tier_starts[k] >= 1 and rate > 1 else ZERO
    rule = f"{counted:,.2f} at {describe_tier(rt, k)} (retroactive, attainment {a:.1%})"
    return amount, premium, rule


def _measure_lines(st, plan, m, ti, quota, mine, state: YearState, above: list) -> None:
    """Stage 1 for one measure: gate, commission per deal, payout cap; year balances kept."""
    bcr = ti / quota
    items = _measure_credits(plan, m, mine)
    total_credit = sum((c for _, c, _ in items), ZERO)
    a = float(total_credit / quota)
    st.attainment[m.name] = a
    key = (st.rep.id, m.name)
    yb = state.year_basis.setdefault(key, [ZERO, ZERO, ZERO])
    yb[0] += ti
    yb[1] += quota
    yb[2] += total_credit
    rt = m.rates
    if a < rt.gate:
        st.add(
            "gate",
            ZERO,
            f"{m.name}: attainment {a:.1%} below the {rt.gate:.0%} gate: nothing paid",
            m.name,
            credit=total_credit,
        )
        return
    cum = ZERO
    premium = ZERO  # accelerator premium: credit above quota x (rate - 1)
    paid = ZERO
    for d, credit, why in items:
        mult = _discount_multiplier(plan, d)
        amount, extra, rule = _deal_commission(rt, cum, credit, quota, bcr, a, mult)
        premium += extra
        if mult != 1:
            rule += f"; discount multiplier x{mult}"
        cum += credit
        line_amt = cents(amount)
        st.add(
            "commission", line_amt, f"{m.name}: {why}; {rule}; BCR {bcr:.6f}", m.name,
            d.opportunity_id, credit,
        )  # fmt: skip
        paid += line_amt
        deal_key = (st.rep.id, d.opportunity_id)
        state.earned[deal_key] = state.earned.get(deal_key, ZERO) + line_amt
    if rt.cap_payout is not None:
        cap_amt = cents(Decimal(str(rt.cap_payout)) * ti)
        if paid > cap_amt:
            st.add(
                "cap",
                cap_amt - paid,
                f"{m.name}: payout capped at {rt.cap_payout:g}x target incentive {cents(ti):,.2f}",
                m.name,
            )
            premium = max(premium - (paid - cap_amt), ZERO)
            paid = cap_amt
    state.year_paid[key] = state.year_paid.get(key, ZERO) + paid
    if premium > 0:
        above.append(
            {"period": st.period.label, "rep_id": st.rep.id, "measure": m.name,
             "amount": float(premium)}
        )  # fmt: skip


def _commission_lines(st, crm, plan, ote, mine, state, above, notes) -> None:
    """Stage 1: every measure's lines for one rep and period."""
    variable = Decimal(str(plan.pay_mix.variable))
    months = Decimal(plan.period_months) / Decimal(12)
    p = st.period
    for m in plan.measures:
        ti = money(ote) * variable * Decimal(str(m.weight)) * months * st.proration
        quota = (
            _quota(crm, st.rep.id, p) * Decimal(str(m.quota_share))
            if m.quota == "quotas"
            else Decimal(str(m.quota)) * st.proration
        )
        if quota <= 0:
            st.add("info", ZERO, f"{m.name}: no quota for the period, nothing computed", m.name)
            notes.append(f"{p.label} {st.rep.id}: measure {m.name} has no quota")
            continue
        _measure_lines(st, plan, m, ti, quota, mine, state, above)


def _spiff_lines(st, plan, mine) -> None:
    """Stage 2: milestone SPIFFs once per period, deal SPIFFs per qualifying deal."""
    for s in plan.spiffs:
        if s.kind == "milestone":
            if st.attainment.get(s.measure, 0) >= s.attainment:
                st.add(
                    "spiff",
                    money(s.amount),
                    f"{s.name}: {s.measure} attainment {st.attainment[s.measure]:.1%} >= {s.attainment:.0%}",
                )
            continue
        for d in mine.drop_duplicates("opportunity_id").itertuples(index=False):
            cond = s.condition
            if cond is not None and (
                (cond.products and d.product not in cond.products)
                or (cond.types and d.type not in cond.types)
                or d.amount_d < money(cond.min_amount)
            ):
                continue
            amount = (money(s.amount) + money(d.amount_d) * Decimal(str(s.rate))) * d.share
            st.add(
                "spiff",
                amount,
                f"{s.name}: qualifying deal" + (f", share {d.share:.2%}" if d.share != 1 else ""),
                deal=d.opportunity_id,
            )


def _clawback_lines(st, plan, adjustments, deals, state: YearState) -> None:
    """Stage 3: commission returned for deals cancelled or unpaid within the window."""
    if plan.clawback is None or adjustments is None or not len(adjustments):
        return
    p = st.period
    adj = adjustments[
        pd.to_datetime(adjustments["date"]).between(p.start, p.end)
        & adjustments["event"].isin(plan.clawback.events)
    ]
    for ev in adj.itertuples(index=False):
        key = (st.rep.id, ev.opportunity_id)
        if key not in state.earned:
            continue
        close = deals.loc[deals["id"] == ev.opportunity_id, "close_date"].iloc[0]
        age = (pd.Timestamp(ev.date) - close).days
        if age <= plan.clawback.days and state.earned[key] != 0:
            st.add(
                "clawback",
                -state.earned[key],
                f"deal {ev.event} {age} days after close (<= {plan.clawback.days}): commission returned",
                deal=ev.opportunity_id,
            )
            state.earned[key] = ZERO


def _periods_since_hire(plan: Plan, rep, p: Period) -> int:
    """Plan periods since the one the rep was hired in (the draw covers new hires); a rep
    without a hire date is outside any draw window."""
    if pd.isna(rep.hire_date):
        return plan.draw.periods
    hired = (rep.hire_date.year - p.start.year) * 12 + rep.hire_date.month - p.start.month
    return -(hired // plan.period_months) if hired <= 0 else 0  # hired mid-period


def _draw_lines(st, plan, state: YearState) -> None:
    """Stage 4: draw top-up inside the draw window, recovery of a recoverable balance."""
    if plan.draw is None:
        return
    rep_id = st.rep.id
    in_window = 0 <= _periods_since_hire(plan, st.rep, st.period) < plan.draw.periods
    e = st.earnings()
    draw_amt = money(plan.draw.amount) * st.proration
    bal = state.draw_balance.get(rep_id, ZERO)
    if in_window and e < draw_amt:
        top = cents(draw_amt - e)
        st.add(
            "draw",
            top,
            f"{'recoverable' if plan.draw.recoverable else 'guaranteed'} draw: earnings {e:,.2f} topped up to {cents(draw_amt):,.2f}",
        )
        if plan.draw.recoverable:
            state.draw_balance[rep_id] = bal + top
    elif bal > 0:
        room = e - (draw_amt if in_window else ZERO)
        rec = cents(min(bal, max(room, ZERO)))
        if rec > 0:
            st.add("draw_recovery", -rec, f"recovery of the draw balance {bal:,.2f}")
            state.draw_balance[rep_id] = bal - rec


def _true_up_lines(st, crm, plan, state: YearState) -> None:
    """Stage 5: at the fiscal year's last period, the annual-basis payout minus what was paid."""
    p = st.period
    if not plan.annual_true_up or plan.period == "year" or p.end != crm.calendar.year(p.start).end:
        return
    for m in plan.measures:
        key = (st.rep.id, m.name)
        if key not in state.year_basis or state.year_basis[key][1] <= 0:
            continue
        ti_y, q_y, c_y = state.year_basis[key]
        annual = cents(ti_y * Decimal(str(float(payout_fraction(m.rates, float(c_y / q_y))))))
        paid = state.year_paid.get(key, ZERO)
        due = annual - paid
        if due > 0:
            st.add(
                "true_up",
                due,
                f"{m.name}: annual attainment {float(c_y / q_y):.1%} pays {annual:,.2f}; periods paid {paid:,.2f}",
                m.name,
            )


def _statement_totals(df: pd.DataFrame) -> pd.DataFrame:
    """One row per period and rep: the exact sum of its lines and the line count."""
    if not len(df):
        return pd.DataFrame(columns=["period", "rep_id", "rep_name", "total", "lines"])
    totals = df.groupby(["period", "rep_id", "rep_name"], sort=False)["amount"].apply(
        lambda s: sum(s, ZERO)
    )
    totals = totals.rename("total").reset_index()
    totals["lines"] = df.groupby(["period", "rep_id"], sort=False).size().to_numpy()
    return totals


def compute_statements(
    crm: CRM, plan: Plan, period, inputs: CompInputs | None = None
) -> StatementResult:
    """Statements of every rep on the plan for the fiscal year's periods through ``period``
    (balances carried from the year's start in a :class:`YearState`); the stages, in order,
    are those of the module docstring.

    Examples
    --------
    >>> from salesops_models import config
    >>> from salesops_models.comp import load_plan
    >>> from salesops_models.synthetic import generate_org
    >>> crm = generate_org(n_reps=8, years=1, seed=1).crm
    >>> plan = load_plan(config.PROJECT_ROOT / "plans" / "ae_standard.yml")
    >>> res = compute_statements(crm, plan, "2026-Q2")        # Q1 and Q2 of the fiscal year
    >>> sum(res.lines["amount"]) == sum(res.totals["total"])  # Decimal cents, exactly
    True
    >>> res.totals["total"].iloc[0]
    Decimal('2266.95')
    """
    inputs = inputs or CompInputs()
    periods = plan_periods(crm, plan, crm.period(period))
    reps = crm.reps[crm.reps["role"].isin(plan.roles)]
    deals, credited = credit_deals(crm, plan, inputs)
    state = YearState()
    lines: list[dict] = []
    above: list[dict] = []
    notes: list[str] = []
    for p in periods:
        for rep in reps.itertuples(index=False):
            days = _active_days(rep, p, inputs.leaves)
            if days == 0:
                continue
            ote = plan.ote if plan.ote is not None else rep.ote
            if ote is None or pd.isna(ote):
                raise ValueError(f"rep {rep.id} ({rep.name}) has no OTE and the plan sets none")
            st = RepPeriod(rep, p, Decimal(days) / Decimal(p.days))
            mine = credited[
                (credited["rep_id"] == rep.id) & credited["close_date"].between(p.start, p.end)
            ]
            _commission_lines(st, crm, plan, ote, mine, state, above, notes)
            _spiff_lines(st, plan, mine)
            _clawback_lines(st, plan, inputs.adjustments, deals, state)
            _draw_lines(st, plan, state)
            _true_up_lines(st, crm, plan, state)
            for i, ln in enumerate(st.lines, start=1):
                ln["line"] = i
            lines += st.lines
    df = pd.DataFrame(lines, columns=LINE_COLUMNS)
    above_df = pd.DataFrame(above, columns=["period", "rep_id", "measure", "amount"])
    return StatementResult(df, _statement_totals(df), notes, above_df)
