"""Exact commission statements: line items per deal and rule, in Decimal, to the cent.

Rounding rule (one, documented): every line is computed in exact decimal arithmetic from
amounts taken to the cent, then rounded **half up to the cent**; a statement's total is the
sum of its lines, so lines always add up exactly to the total. Same inputs, same cents.

One engine runs the plan periods in order from the plan's start and carries one
:class:`CompState` across periods *and fiscal years*: what was paid for each deal after caps,
recoverable draw balances, deals already clawed back, and the fiscal year's basis for true-ups
and year-to-date plans. Running periods one at a time (passing ``state``) gives the same cents
as one run. Per rep and plan period, in order:

1. **clawback** lines for deals paid in earlier periods (and, after stage 3, for deals closed
   in this one): a deal cancelled or unpaid within its window (``clawback.days``, or per
   measure) gives back ``clawback.share`` of what was *paid for it after caps* (never more),
   in the period of the event, also across the fiscal-year end; the deal's credit leaves
   the year's attainment. With ``on_termination`` deals still inside their window are clawed
   back in the rep's last period;
2. **commission** lines per measure and credited deal (marginal: the deal's credit slices
   across tiers; retroactive: the whole credit at the rate of the tier reached;
   interpolated: at the rate interpolated between tier points; tiers restart per deal with
   ``per: transaction``), with the discount multiplier; a **gate** line if attainment stays
   below the gate (no commission); **cap** lines per deal bringing the measure to its payout
   cap (the last deals of the period are cut first, so a later clawback returns what the
   deal really paid). With ``attainment: ytd`` the deals sit on the year-to-date credit
   against the year-to-date quota, and a **ytd** line brings the measure to *YTD earned minus
   YTD paid* (when positive; an excess paid is carried and recovered from later earnings);
3. **spiff** lines (per qualifying deal, recorded as paid for the deal so a clawback returns
   them, or once when a milestone attainment is reached);
4. **draw** lines: inside the guarantee window (``draw.periods`` from hire; empty: every
   period) earnings below the draw are topped up; a recoverable draw's top-ups are a balance
   recovered from later earnings, carried across periods and years;
5. **true-up** at the end of the fiscal year (``annual_true_up``): the annual-basis payout of
   each measure (credit net of clawed-back deals) minus what the year's lines paid for it
   (net of clawbacks), when positive.

Credit: won deals closing in the period, owner credited 100% unless ``splits`` say otherwise
(percentages of kind ``split`` must add to exactly 100 per deal; kind ``overlay`` is credited on
top to overlay reps). Values: ACV (amount x 12 / term for multi-year deals) or TCV; margin =
amount x margin; new logos = first won deal of an account; renewals = renewal deals.
Proration: target incentive, a fixed quota *and quotas-table quotas* scale with the days of
the period the rep was active (hire, termination, leaves), so the commission rate stays the
plan's rate. Base salary is not in these statements.
"""

from __future__ import annotations

import copy
import gc
import multiprocessing as mp
import os
from bisect import bisect_left
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd

from ..crm import CRM
from ..periods import Period
from .curve import ExactTable
from .plan import Measure, Plan, PlanError, no_ote_error

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
    state: CompState | None = None

    def for_periods(self, labels) -> StatementResult:
        """The lines, totals, notes and accelerators of the given period labels only (the
        carried state is the whole run's)."""
        labels = [labels] if isinstance(labels, str) else list(labels)
        keep = set(labels)
        return StatementResult(
            self.lines[self.lines["period"].isin(labels)].reset_index(drop=True),
            self.totals[self.totals["period"].isin(labels)].reset_index(drop=True),
            [n for n in self.notes if n.split(" ", 1)[0] in keep],
            self.accelerators[self.accelerators["period"].isin(labels)].reset_index(drop=True),
            self.state,
        )

    def for_period(self, label: str) -> StatementResult:
        return self.for_periods([label])

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

    def to_html(self, folder, plan=None) -> list:
        """One readable HTML statement per rep and period (and ``index.html``) in
        ``folder``; see :mod:`.statement_html`."""
        from .statement_html import write_statements

        return write_statements(
            self,
            folder,
            plan_name=plan.name if plan is not None else "",
            currency=plan.currency if plan is not None else "USD",
        )

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


# --- state ----------------------------------------------------------------------------------------
@dataclass
class CompState:
    """Balances carried from one plan period to the next, across fiscal years.

    ``paid``: (rep, deal) -> {measure or ``spiff:<name>``: paid for the deal after caps, net of
    clawbacks}; ``credit``: (rep, deal) -> {measure: (credit, fiscal year)} (what a clawback
    removes from the year's attainment); ``clawed``: (rep, deal) already clawed back (a deal is
    clawed back once); ``draw_balance``: rep -> recoverable draw outstanding; ``year_basis``
    (rep, measure) -> [TI, quota, credit] and ``year_paid`` (rep, measure) -> paid this fiscal
    year (commission, cap, year-to-date and clawback lines), reset when a fiscal year starts;
    ``next_start``: the first day of the next period to run.
    """

    paid: dict = field(default_factory=dict)
    credit: dict = field(default_factory=dict)
    clawed: set = field(default_factory=set)
    draw_balance: dict = field(default_factory=dict)
    year: str | None = None
    year_basis: dict = field(default_factory=dict)
    year_paid: dict = field(default_factory=dict)
    next_start: pd.Timestamp | None = None

    def copy(self) -> CompState:
        return copy.deepcopy(self)

    def only(self, rep_ids: set) -> CompState:
        """The balances of ``rep_ids`` only (what one worker of a parallel run owns)."""
        return CompState(
            {k: v for k, v in self.paid.items() if k[0] in rep_ids},
            {k: v for k, v in self.credit.items() if k[0] in rep_ids},
            {k for k in self.clawed if k[0] in rep_ids},
            {k: v for k, v in self.draw_balance.items() if k in rep_ids},
            self.year,
            {k: v for k, v in self.year_basis.items() if k[0] in rep_ids},
            {k: v for k, v in self.year_paid.items() if k[0] in rep_ids},
            self.next_start,
        )

    def merged(self, parts: list[CompState]) -> CompState:
        """This state updated with the workers' states (each owns its reps' balances; a new
        fiscal year reached by the run resets the year's balances of every rep)."""
        out = self.copy()
        if parts and parts[0].year != out.year:
            out.year_basis, out.year_paid = {}, {}
        for part in parts:
            out.paid.update(part.paid)
            out.credit.update(part.credit)
            out.clawed |= part.clawed
            out.draw_balance.update(part.draw_balance)
            out.year_basis.update(part.year_basis)
            out.year_paid.update(part.year_paid)
            out.year, out.next_start = part.year, part.next_start
        return out


#: Kept for code that imported the name: the state is no longer reset each fiscal year.
YearState = CompState


@dataclass
class RepPeriod:
    """One rep's statement for one period while it is being built."""

    rep: object  # a row of crm.reps (itertuples)
    period: Period
    proration: Decimal
    lines: list = field(default_factory=list)
    attainment: dict = field(default_factory=dict)  # measure -> attainment (float)

    def add(self, kind, amount, rule, measure=None, deal=None, credit=None) -> Decimal:
        amount = cents(amount)
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
                "amount": amount,
            }
        )
        return amount

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
    return deals, credited.reset_index(drop=True)


# --- the engine -----------------------------------------------------------------------------------
class _Engine:
    """Everything a run needs, indexed once: deals per rep with each measure's credit,
    quotas and leaves per rep, the exact rate tables, clawback events by date."""

    def __init__(self, crm: CRM, plan: Plan, inputs: CompInputs, prepared=None, rep_ids=None):
        self.crm, self.plan, self.inputs = crm, plan, inputs
        self.cal = crm.calendar
        self.deals, credited = prepared if prepared is not None else credit_deals(crm, plan, inputs)
        if rep_ids is not None:  # one worker's share of the reps
            credited = credited[credited["rep_id"].isin(rep_ids)].reset_index(drop=True)
        self._close = pd.Series(
            self.deals["close_date"].to_numpy(), index=self.deals["id"].astype(object).to_numpy()
        )
        self._close_cache: dict[str, pd.Timestamp] = {}
        self.tables = [ExactTable(m.rates) for m in plan.measures]
        self.variable = Decimal(str(plan.pay_mix.variable))
        self.months = Decimal(plan.period_months) / Decimal(12)
        self.weights = [Decimal(str(m.weight)) for m in plan.measures]
        self.reps = plan_reps(crm, plan)
        if rep_ids is not None:
            self.reps = self.reps[self.reps["id"].isin(rep_ids)]
        text = [c for c in self.reps.columns if self.reps[c].dtype == "string"]
        self.rep_rows = list(self.reps.astype({c: object for c in text}).itertuples(index=False))
        self.rep_pos = {r: i for i, r in enumerate(plan_reps(crm, plan)["id"])}  # all workers
        overlay = Decimal(str(plan.overlay.multiplier)) if plan.overlay else Decimal(1)
        self.by_rep: dict[str, tuple[np.ndarray, list]] = {}
        needed = ["opportunity_id", "rep_id", "share", "kind", "id", "type", "product",
                  "amount_d", "new_logo", "margin", "term_months", "discount"]  # fmt: skip
        slim = credited[needed]
        text = [c for c in needed if slim[c].dtype == "string"]
        rows = list(slim.astype({c: object for c in text}).itertuples(index=False))
        self.deal_reps: dict[str, list] = {}  # deal -> credited reps (who a clawback can reach)
        for d in rows:
            self.deal_reps.setdefault(d.opportunity_id, []).append(d.rep_id)
        rep_ids = credited["rep_id"].to_numpy(dtype=object)
        close_ns = credited["close_date"].to_numpy(dtype="datetime64[ns]").astype(np.int64)
        for rep_id, idx in pd.Series(np.arange(len(rows))).groupby(rep_ids, sort=False):
            idx = idx.to_numpy()
            items = []
            for i in idx:
                d = rows[i]
                share = d.share * (overlay if d.kind == "overlay" else 1)
                per_measure = []
                for m in plan.measures:
                    cv = _credit_value(m, d)
                    if cv is None:
                        per_measure.append(None)
                        continue
                    value, why = cv
                    why += f", {d.kind} {d.share:.2%}" if d.share != 1 else ""
                    per_measure.append((value * share, why))
                items.append((d, per_measure, _discount_multiplier(plan, d)))
            self.by_rep[rep_id] = (close_ns[idx], items)
        self.quotas: dict[str, list] = {}  # rep -> [(start, end, amount, days)] by end
        q = crm.quotas
        for rep_id, start, end, amount in zip(
            q["rep_id"].astype(object),
            q["period_start"],
            q["period_end"],
            q["amount"].tolist(),
            strict=True,
        ):
            self.quotas.setdefault(rep_id, []).append(
                (start, end, money(amount), Decimal((end - start).days + 1))
            )
        self.quota_ends: dict[str, list] = {}
        self.quota_starts_sorted: dict[str, bool] = {}  # then the scan can stop early
        for rep_id, rows_q in self.quotas.items():
            rows_q.sort(key=lambda r: (r[1], r[0]))
            self.quota_ends[rep_id] = [r[1] for r in rows_q]
            starts = [r[0] for r in rows_q]
            self.quota_starts_sorted[rep_id] = starts == sorted(starts)
        self.leaves: dict[str, list] = {}
        lv = inputs.leaves
        if lv is not None and len(lv):
            for row in lv.itertuples(index=False):
                self.leaves.setdefault(row.rep_id, []).append(
                    (pd.Timestamp(row.start), pd.Timestamp(row.end))
                )
        adj = inputs.adjustments
        self.events: list[tuple] = []  # (order, deal, date, event) by date, then deal
        self.event_ns = np.zeros(0, dtype=np.int64)
        if plan.clawback is not None and adj is not None and len(adj):
            ev = adj.assign(date=pd.to_datetime(adj["date"]).dt.normalize())
            ev = ev[ev["event"].isin(plan.clawback.events)]
            ev = ev.sort_values(["date", "opportunity_id"], kind="stable")
            self.events = [
                (i, str(o), pd.Timestamp(d), str(e))
                for i, (o, d, e) in enumerate(
                    zip(ev["opportunity_id"], ev["date"], ev["event"], strict=True)
                )
            ]
            self.event_ns = ev["date"].to_numpy(dtype="datetime64[ns]").astype(np.int64)

    def close(self, deal: str) -> pd.Timestamp:
        """The won deal's close date (looked up when a clawback needs it)."""
        out = self._close_cache.get(deal)
        if out is None:
            out = self._close_cache[deal] = pd.Timestamp(self._close[deal])
        return out

    # --- one rep, one period ----------------------------------------------------------------
    def quota(self, rep, p: Period) -> Decimal:
        """Quotas-table rows of the rep overlapping the period, each prorated by the days of
        it the rep was active (a row already cut at the hire date is not cut again)."""
        total = ZERO
        rows_q = self.quotas.get(rep.id)
        if not rows_q:
            return total
        leaves = self.leaves.get(rep.id, [])
        for start, end, amount, days in rows_q[bisect_left(self.quota_ends[rep.id], p.start) :]:
            if start > p.end:
                if self.quota_starts_sorted[rep.id]:
                    break
                continue  # rows sorted by end only: a later one may still start inside
            a, b = max(start, p.start), min(end, p.end)
            active = _days_active(rep, a, b, leaves)
            total += amount * Decimal(active) / days
        return total

    def period_events(self, p: Period) -> dict[str, list]:
        """Clawback events dated in the period, by deal: deal -> [(order, deal, date, event)]."""
        lo = np.searchsorted(self.event_ns, p.start.value, "left")
        hi = np.searchsorted(self.event_ns, p.end.value, "right")
        out: dict[str, list] = {}
        for ev in self.events[lo:hi]:
            out.setdefault(ev[1], []).append(ev)
        return out

    def period_deals(self, rep_id: str, p: Period) -> list:
        close_ns, items = self.by_rep.get(rep_id, (None, []))
        if close_ns is None:
            return []
        lo = np.searchsorted(close_ns, p.start.value, "left")
        hi = np.searchsorted(close_ns, p.end.value, "right")
        return items[lo:hi]


def _tier_rule(tab: ExactTable, slices) -> str:
    return "; ".join(f"{c:,.2f} at {tab.describe(k)}" for k, c, _ in slices) or (
        "above the attainment cap"
    )


def _deal_commission(tab: ExactTable, c0, credit, final, quota, unit, mult, bands=None):
    """Commission, accelerator premium and rule text of one deal's ``credit`` placed on
    cumulative credit ``c0`` (``final``: the credit that sets a retroactive or interpolated
    rate; ``bands``: the table's credit bands for ``quota``). See the module docstring for the
    methods."""
    starts = tab.starts
    if tab.rt.method == "marginal":
        slices = tab.slices(c0, c0 + credit, quota, bands)
        amount = sum((c * unit * r for _, c, r in slices), ZERO) * mult
        premium = ZERO
        if not tab.amount:
            premium = sum(
                (c * unit * (r - 1) for k, c, r in slices if starts[k] >= 1 and r > 1), ZERO
            )
        return amount, premium * mult, _tier_rule(tab, slices)
    k, rate = tab.rate_at(final, quota)
    counted = tab.counted(c0, c0 + credit, quota)
    amount = counted * unit * rate * mult
    premium = (
        counted * unit * (rate - 1) * mult
        if not tab.amount and starts[k] >= 1 and rate > 1
        else ZERO
    )
    how = "interpolated" if tab.rt.method == "interpolated" else "retroactive"
    at = f"{final / quota:.1%}" if quota > 0 and not tab.amount else f"{final:,.2f}"
    rate_txt = f"{rate * 100:.4g}%" if tab.amount else f"x{rate:.6g}"
    rule = f"{counted:,.2f} at {tab.describe(k)}, rate {rate_txt} ({how}, reached at {at})"
    return amount, premium, rule


class _Run:
    """One run of the engine over consecutive periods, carrying a :class:`CompState`."""

    def __init__(self, eng: _Engine, state: CompState):
        self.e, self.state = eng, state
        self.lines: list[dict] = []
        self.totals: list[tuple] = []  # (period, rep_id, rep_name, total, lines)
        self.above: list[dict] = []
        self.notes: list[tuple] = []  # (period index, rep position, seq, text)
        self.cursor = (0, 0)

    def note(self, text: str) -> None:
        self.notes.append((*self.cursor, len(self.notes), text))

    # stage: clawbacks ------------------------------------------------------------------------
    def clawbacks(self, st: RepPeriod, events, terminated: bool) -> None:
        """Commission given back for deals cancelled or unpaid within their window (and, with
        ``on_termination``, deals still inside it when the rep leaves): ``share`` of what was
        paid for the deal after caps, never more; the credit leaves the year's attainment."""
        cb = self.e.plan.clawback
        if cb is None:
            return
        rep_id, s = st.rep.id, self.state
        todo = [(deal, when, event) for _, deal, when, event in events]
        if terminated and cb.on_termination:
            end = st.rep.termination_date
            for (r, deal), _paid in list(s.paid.items()):
                if r == rep_id and self.e.close(deal) <= end:
                    todo.append((deal, end, "rep terminated"))
        share = Decimal(str(cb.share))
        for deal, when, event in todo:
            key = (rep_id, deal)
            if key in s.clawed or key not in s.paid:
                continue
            age = (pd.Timestamp(when) - self.e.close(deal)).days
            done = False
            for what, paid in list(s.paid[key].items()):
                measure = None if what.startswith("spiff:") else what
                window = cb.window(measure)
                if age > window or paid == 0:
                    continue
                amt = cents(paid * share)
                how = "" if share == 1 else f"{share:.0%} of "
                st.add(
                    "clawback", -amt,
                    f"deal {event} {age} days after close (<= {window}): {how}{paid:,.2f} "
                    f"paid for it{' (' + what + ')' if measure is None else ''} returned",
                    measure, deal,
                )  # fmt: skip
                s.paid[key][what] = paid - amt
                done = True
                cr = s.credit.get(key, {}).get(what)
                if measure is not None and cr is not None and cr[1] == s.year:
                    yk = (rep_id, measure)
                    s.year_paid[yk] = s.year_paid.get(yk, ZERO) - amt
                    if yk in s.year_basis:
                        s.year_basis[yk][2] -= cr[0] * share
            if done:
                s.clawed.add(key)

    # stage: commission -----------------------------------------------------------------------
    def commission(self, st: RepPeriod, ote: Decimal, deals: list) -> None:
        plan, e, s = self.e.plan, self.e, self.state
        p = st.period
        for j, m in enumerate(plan.measures):
            tab = e.tables[j]
            ti = ote * e.variable * e.weights[j] * e.months * st.proration
            quota = (
                e.quota(st.rep, p) * Decimal(str(m.quota_share))
                if m.quota == "quotas"
                else Decimal(str(m.quota)) * st.proration
            )
            if quota <= 0 and not (tab.amount and tab.gate == 0):
                st.add("info", ZERO, f"{m.name}: no quota for the period, nothing computed", m.name)
                self.note(f"{p.label} {st.rep.id}: measure {m.name} has no quota")
                continue
            items = [(d, pm[j], mult) for d, pm, mult in deals if pm[j] is not None]
            period_credit = sum((it[1][0] for it in items), ZERO)
            key = (st.rep.id, m.name)
            yb = s.year_basis.setdefault(key, [ZERO, ZERO, ZERO])
            before = yb[2]
            yb[0] += ti
            yb[1] += quota
            yb[2] += period_credit
            for d, (credit, _), _ in items:
                s.credit.setdefault((st.rep.id, d.opportunity_id), {})[m.name] = (credit, s.year)
            if plan.attainment == "ytd":
                self._ytd(st, m, tab, items, yb, before, key)
            else:
                self._period(st, m, tab, items, ti, quota, period_credit, key)

    def _pay_deals(self, st, m, tab, items, c_start, final, quota, unit, cap_amt, paid0=ZERO):
        """Commission lines per deal, with the payout cap (on ``paid0`` already paid plus
        these lines) cut from the last deals; returns the amount kept and the accelerator
        premium."""
        cum, kept_cum, premium = c_start, paid0, ZERO
        bands = tab.credit_bands(quota)
        per_deal = tab.rt.per == "transaction"
        for d, (credit, why), mult in items:
            c0 = ZERO if per_deal else cum
            fin = credit if per_deal else final
            amount, extra, rule = _deal_commission(tab, c0, credit, fin, quota, unit, mult, bands)
            premium += extra
            if mult != 1:
                rule += f"; discount multiplier x{mult}"
            unit_txt = "" if tab.amount else f"; BCR {unit:.6f}"
            line = st.add(
                "commission", amount, f"{m.name}: {why}; {rule}{unit_txt}", m.name,
                d.opportunity_id, credit,
            )  # fmt: skip
            cum += credit
            kept = line
            if cap_amt is not None:
                kept = max(min(kept_cum + line, cap_amt) - min(kept_cum, cap_amt), ZERO)
                if kept != line:
                    st.add(
                        "cap", kept - line,
                        f"{m.name}: payout capped at {tab.rt.cap_payout:g}x target incentive "
                        f"{cap_amt / Decimal(str(tab.rt.cap_payout)):,.2f}",
                        m.name, d.opportunity_id,
                    )  # fmt: skip
                    premium = max(premium - (line - kept), ZERO)
            kept_cum += line
            self._record_paid(st.rep.id, d.opportunity_id, m.name, kept)
        kept_total = kept_cum if cap_amt is None else min(kept_cum, cap_amt)
        return kept_total - paid0, premium

    def _record_paid(self, rep_id, deal, what, amount) -> None:
        per = self.state.paid.setdefault((rep_id, deal), {})
        per[what] = per.get(what, ZERO) + amount

    def _period(self, st, m, tab, items, ti, quota, credit, key) -> None:
        a = credit / quota if quota > 0 else None
        st.attainment[m.name] = float(a) if a is not None else float("nan")
        if a is not None and a < tab.gate:
            st.add(
                "gate", ZERO,
                f"{m.name}: attainment {a:.1%} below the {tab.gate:.0%} gate: nothing paid",
                m.name, credit=credit,
            )  # fmt: skip
            return
        unit = tab.unit(ti, quota) if quota > 0 else Decimal(1)
        cap_amt = cents(tab.cap_payout * ti) if tab.cap_payout is not None else None
        kept, premium = self._pay_deals(st, m, tab, items, ZERO, credit, quota, unit, cap_amt)
        s = self.state
        s.year_paid[key] = s.year_paid.get(key, ZERO) + kept
        if premium > 0:
            self.above.append(
                {"period": st.period.label, "rep_id": st.rep.id, "measure": m.name,
                 "amount": float(premium)}
            )  # fmt: skip

    def _ytd(self, st, m, tab, items, yb, before, key) -> None:
        """Year to date: deal lines placed on the YTD credit against the YTD quota, then one
        line bringing the measure to YTD earned minus YTD paid (when positive)."""
        ti_y, q_y, c_y = yb
        s = self.state
        a = c_y / q_y if q_y > 0 else None
        st.attainment[m.name] = float(a) if a is not None else float("nan")
        paid_before = s.year_paid.get(key, ZERO)
        earned = cents(tab.payout(c_y, q_y, ti_y))
        lines_sum = ZERO
        if a is None or a >= tab.gate:
            unit = tab.unit(ti_y, q_y) if q_y > 0 else Decimal(1)
            cap_amt = cents(tab.cap_payout * ti_y) if tab.cap_payout is not None else None
            lines_sum, _ = self._pay_deals(
                st, m, tab, items, before, c_y, q_y, unit, cap_amt, max(paid_before, ZERO)
            )
        due = max(earned - paid_before, ZERO)
        adjust = due - lines_sum  # re-rating of earlier credit as the YTD quota grows
        at = f"YTD attainment {a:.1%}" if a is not None else f"YTD credit {c_y:,.2f}"
        if adjust != 0 or not items:
            st.add(
                "ytd", adjust,
                f"{m.name}: {at}: YTD earned {earned:,.2f} - YTD paid {paid_before:,.2f}"
                + (f" - this period's deal lines {lines_sum:,.2f}" if items else ""),
                m.name, credit=c_y,
            )  # fmt: skip
        if earned < paid_before:
            self.note(
                f"{st.period.label} {st.rep.id}: {m.name} YTD paid exceeds YTD earned by "
                f"{paid_before - earned:,.2f}; carried and recovered from later YTD earnings"
            )
        s.year_paid[key] = paid_before + due

    # stage: SPIFFs ---------------------------------------------------------------------------
    def spiffs(self, st: RepPeriod, deals: list) -> None:
        for sp in self.e.plan.spiffs:
            if sp.kind == "milestone":
                a = st.attainment.get(sp.measure, 0)
                if a == a and a >= sp.attainment:
                    st.add(
                        "spiff",
                        money(sp.amount),
                        f"{sp.name}: {sp.measure} attainment {a:.1%} >= {sp.attainment:.0%}",
                    )
                continue
            seen = set()
            cond = sp.condition
            fixed, rate = money(sp.amount), Decimal(str(sp.rate))
            floor = money(cond.min_amount) if cond is not None else ZERO
            for d, _, _ in deals:
                if d.opportunity_id in seen:
                    continue
                seen.add(d.opportunity_id)
                if cond is not None and (
                    (cond.products and d.product not in cond.products)
                    or (cond.types and d.type not in cond.types)
                    or d.amount_d < floor
                ):
                    continue
                amount = (fixed + d.amount_d * rate) * d.share
                line = st.add(
                    "spiff", amount,
                    f"{sp.name}: qualifying deal" + (f", share {d.share:.2%}" if d.share != 1 else ""),
                    deal=d.opportunity_id,
                )  # fmt: skip
                self._record_paid(st.rep.id, d.opportunity_id, f"spiff:{sp.name}", line)

    # stage: draw -----------------------------------------------------------------------------
    def draw(self, st: RepPeriod) -> None:
        """Inside the draw window earnings below the draw are topped up; a recoverable draw's
        top-ups are a balance recovered from later earnings, carried across periods and years."""
        dr = self.e.plan.draw
        if dr is None:
            return
        rep_id, s = st.rep.id, self.state
        in_window = (
            dr.periods is None
            or 0 <= _periods_since_hire(self.e.plan, st.rep, st.period) < dr.periods
        )
        e = st.earnings()
        draw_amt = money(dr.amount) * st.proration
        bal = s.draw_balance.get(rep_id, ZERO)
        if in_window and st.proration > 0 and e < draw_amt:
            top = st.add(
                "draw",
                draw_amt - e,
                f"{'recoverable' if dr.recoverable else 'non-recoverable'} draw: earnings "
                f"{e:,.2f} topped up to {cents(draw_amt):,.2f}"
                + (f" (balance {bal + cents(draw_amt - e):,.2f})" if dr.recoverable else ""),
            )
            if dr.recoverable:
                s.draw_balance[rep_id] = bal + top
        elif bal > 0:
            room = e - (draw_amt if in_window else ZERO)
            rec = cents(min(bal, max(room, ZERO)))
            if rec > 0:
                st.add(
                    "draw_recovery", -rec,
                    f"recovery of the draw balance {bal:,.2f} (left {bal - rec:,.2f})",
                )  # fmt: skip
                s.draw_balance[rep_id] = bal - rec
        term = st.rep.termination_date
        if _known(term) and st.period.start <= term <= st.period.end:
            left = s.draw_balance.get(rep_id, ZERO)
            if left > 0:
                self.note(
                    f"{st.period.label} {rep_id}: left with an unrecovered draw balance of "
                    f"{left:,.2f} (not deducted here; payroll policy decides)"
                )

    # stage: true-up --------------------------------------------------------------------------
    def true_up(self, st: RepPeriod) -> None:
        """At the fiscal year's last period: the annual-basis payout (credit net of clawed-back
        deals) minus what the year's lines paid for the measure, net of clawbacks, if positive."""
        plan, s, p = self.e.plan, self.state, st.period
        if (
            not plan.annual_true_up
            or plan.period == "year"
            or plan.attainment == "ytd"
            or p.end != self.e.cal.year(p.start).end
        ):
            return
        for j, m in enumerate(plan.measures):
            key = (st.rep.id, m.name)
            if key not in s.year_basis or s.year_basis[key][1] <= 0:
                continue
            ti_y, q_y, c_y = s.year_basis[key]
            annual = cents(self.e.tables[j].payout(c_y, q_y, ti_y))
            paid = s.year_paid.get(key, ZERO)
            if annual - paid > 0:
                st.add(
                    "true_up",
                    annual - paid,
                    f"{m.name}: annual attainment {c_y / q_y:.1%} pays {annual:,.2f}; "
                    f"the year's lines paid {paid:,.2f}",
                    m.name,
                )
                s.year_paid[key] = annual

    # driver ----------------------------------------------------------------------------------
    def period(self, p: Period, index: int = 0) -> None:
        e, s = self.e, self.state
        fy = e.cal.year(p.start).label
        if s.year != fy:
            s.year, s.year_basis, s.year_paid = fy, {}, {}
        ev_by_deal = e.period_events(p)
        paid_reps: dict = {}
        for deal in ev_by_deal:
            for r in e.deal_reps.get(deal, ()):
                if (r, deal) in s.paid:
                    paid_reps.setdefault(r, []).append(deal)
        for rep in e.rep_rows:
            self.cursor = (index, e.rep_pos[rep.id])
            days = _days_active(rep, p.start, p.end, e.leaves.get(rep.id, []))
            terminated = _known(rep.termination_date) and p.start <= rep.termination_date <= p.end
            if days == 0 and rep.id not in paid_reps:
                continue
            st = RepPeriod(rep, p, Decimal(days) / Decimal(p.days))
            mine = sorted(x for deal in set(paid_reps.get(rep.id, ())) for x in ev_by_deal[deal])
            self.clawbacks(st, mine, False)  # deals paid in earlier periods
            deals = e.period_deals(rep.id, p) if days else []
            if days:
                ote = e.plan.ote if e.plan.ote is not None else rep.ote
                if ote is None or pd.isna(ote):
                    raise ValueError(f"rep {rep.id} ({rep.name}) has no OTE and the plan sets none")
                self.commission(st, money(ote), deals)
                self.spiffs(st, deals)
            same = sorted(
                x
                for deal in {d.opportunity_id for d, _, _ in deals}.intersection(ev_by_deal)
                for x in ev_by_deal[deal]
            )
            self.clawbacks(st, same, terminated)
            self.draw(st)
            self.true_up(st)
            for i, ln in enumerate(st.lines, start=1):
                ln["line"] = i
            if st.lines:
                self.totals.append(
                    (p.label, rep.id, rep.name, sum((ln["amount"] for ln in st.lines), ZERO),
                     len(st.lines))
                )  # fmt: skip
            self.lines += st.lines
        s.next_start = p.end + pd.Timedelta(days=1)


def _periods_since_hire(plan: Plan, rep, p: Period) -> int:
    """Plan periods since the one the rep was hired in (the draw covers new hires); a rep
    without a hire date is outside any draw window."""
    if not _known(rep.hire_date):
        return 10**6
    hired = (rep.hire_date.year - p.start.year) * 12 + rep.hire_date.month - p.start.month
    return -(hired // plan.period_months) if hired <= 0 else 0  # hired mid-period


def _statement_totals(rows: list[tuple]) -> pd.DataFrame:
    """One row per period and rep with lines: the exact sum of its lines and the line count."""
    out = pd.DataFrame(rows, columns=["period", "rep_id", "rep_name", "total", "lines"])
    out["lines"] = out["lines"].astype(np.int64)
    return out


def compute_statements(
    crm: CRM,
    plan: Plan,
    period,
    inputs: CompInputs | None = None,
    *,
    start=None,
    state: CompState | None = None,
    progress: bool = False,
    workers: int | None = None,
) -> StatementResult:
    """Statements of every rep on the plan for every plan period from ``start`` through
    ``period``, with one :class:`CompState` carried across periods and fiscal years.

    Parameters
    ----------
    period : label or Period
        The last plan period to compute.
    start : date, optional
        First day to compute; default the plan's ``effective_from``, else the start of the
        fiscal year of the first credited deal (balances before it are zero).
    state : CompState, optional
        The state a previous run returned (``result.state``): the run continues from the
        period after it, so running periods one at a time gives the same cents as one run.
    progress : bool
        Show a progress bar over the periods.
    workers : int, optional
        Processes sharing the reps (each rep's statements depend only on its own deals and
        balances, so the result is the same for any number). Default: two on a machine with
        two cores or more when there are at least ``PARALLEL_MIN_ROWS`` credited deal rows,
        else one.

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
    >>> q3 = compute_statements(crm, plan, "2026-Q3", state=res.state)  # Q3 only, continued
    >>> list(q3.totals["period"].unique())
    ['2026-Q3']
    """
    inputs = inputs or CompInputs()
    with _cyclic_gc_paused():
        return _compute(crm, plan, period, inputs, start, state, progress, workers)


@contextmanager
def _cyclic_gc_paused():
    """The engine builds millions of small acyclic objects (Decimals, tuples, line dicts);
    Python's cyclic collector would rescan them again and again (a quarter of the run time).
    Reference counting still frees them; the collector runs again afterwards."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


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


#: Below this many credited deal rows one process is faster than starting workers.
PARALLEL_MIN_ROWS = 40_000


def _worker_count(workers: int | None, n_rows: int, n_reps: int) -> int:
    if workers is None:
        workers = 1 if n_rows < PARALLEL_MIN_ROWS else min(os.cpu_count() or 1, 2)
    if workers > 1 and "fork" not in mp.get_all_start_methods():
        return 1  # workers inherit the prepared data by fork; elsewhere run in one process
    return max(1, min(int(workers), n_reps))


def _compute(crm, plan, period, inputs, start, state, progress, workers=None) -> StatementResult:
    check_plan_inputs(crm, plan)
    prepared = credit_deals(crm, plan, inputs)
    last = crm.period(period) if not isinstance(period, Period) else period
    if state is not None:
        state = state.copy()
        if state.next_start is None:
            raise ValueError("the state given has never run a period")
        first = state.next_start
    else:
        state = CompState()
        first = (
            pd.Timestamp(start)
            if start is not None
            else _default_start(crm, plan, prepared[1], last)
        )
    periods = plan_periods(crm, plan, last, start=first)
    reps = plan_reps(crm, plan)
    n = _worker_count(workers, len(prepared[1]), len(reps))
    job = _Job(crm, plan, inputs, prepared, periods, state, progress)
    if n == 1:
        parts = [job.run(None)]
    else:
        groups = _balanced_groups(reps["id"], prepared[1]["rep_id"], n)
        global _FORKED_JOB
        _FORKED_JOB = job
        try:
            with mp.get_context("fork").Pool(n) as pool:
                parts = pool.map(_run_forked, list(enumerate(groups)))
        finally:
            _FORKED_JOB = None
    return _merge(parts, periods, reps, state)


@dataclass
class _Job:
    """One run's inputs, shared with forked workers (each runs a group of reps)."""

    crm: CRM
    plan: Plan
    inputs: CompInputs
    prepared: tuple
    periods: list
    state: CompState
    progress: bool

    def run(self, rep_ids, show_progress: bool = True) -> dict:
        eng = _Engine(self.crm, self.plan, self.inputs, self.prepared, rep_ids)
        run = _Run(eng, self.state)  # a forked worker's copy is its own
        it = enumerate(self.periods)
        if self.progress and show_progress and len(self.periods) > 1:
            from tqdm.auto import tqdm

            it = tqdm(it, total=len(self.periods), desc="statements", unit="period")
        for i, p in it:
            run.period(p, i)
        state = run.state if rep_ids is None else run.state.only(set(rep_ids))
        return {"lines": run.lines, "totals": run.totals, "above": run.above,
                "notes": run.notes, "state": state}  # fmt: skip


_FORKED_JOB: _Job | None = None


def _run_forked(task: tuple[int, list]) -> dict:
    index, rep_ids = task
    return _FORKED_JOB.run(rep_ids, show_progress=index == 0)  # one bar, the first worker's


def _balanced_groups(rep_ids: pd.Series, credited_reps: pd.Series, n: int) -> list[list]:
    """Reps in ``n`` groups of about equal credited deal rows (largest first, greedy)."""
    load = credited_reps.value_counts()
    order = sorted(rep_ids, key=lambda r: (-int(load.get(r, 0)), str(r)))
    groups: list[list] = [[] for _ in range(n)]
    sizes = [0] * n
    for r in order:
        k = sizes.index(min(sizes))
        groups[k].append(r)
        sizes[k] += int(load.get(r, 0)) + 36  # every rep has per-period work too
    return [g for g in groups if g]


def _merge(parts: list[dict], periods: list, reps: pd.DataFrame, state: CompState):
    """One result from the workers' parts, in the one-process order (period, rep, line)."""
    pidx = {p.label: i for i, p in enumerate(periods)}
    rpos = {r: i for i, r in enumerate(reps["id"])}
    if len(parts) == 1:
        lines, totals, above = parts[0]["lines"], parts[0]["totals"], parts[0]["above"]
        notes, state = parts[0]["notes"], parts[0]["state"]
    else:
        lines = [ln for part in parts for ln in part["lines"]]
        lines.sort(key=lambda ln: (pidx[ln["period"]], rpos[ln["rep_id"]], ln["line"]))
        totals = sorted((t for part in parts for t in part["totals"]),
                        key=lambda t: (pidx[t[0]], rpos[t[1]]))  # fmt: skip
        above = sorted((a for part in parts for a in part["above"]),
                       key=lambda a: (pidx[a["period"]], rpos[a["rep_id"]]))  # fmt: skip
        notes = [x for part in parts for x in part["notes"]]
        state = state.merged([part["state"] for part in parts])
    notes = [text for *_, text in sorted(notes, key=lambda x: x[:3])]
    df = pd.DataFrame(lines, columns=LINE_COLUMNS)
    for col in ("measure", "opportunity_id", "credit"):  # one missing marker, however many rows
        df[col] = df[col].astype(object).where(df[col].notna(), None)
    above_df = pd.DataFrame(above, columns=["period", "rep_id", "measure", "amount"])
    return StatementResult(df, _statement_totals(totals), notes, above_df, state)
