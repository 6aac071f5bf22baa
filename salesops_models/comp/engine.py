"""The statements engine: one rep and plan period at a time, in the order of
:mod:`salesops_models.comp.statements` (clawbacks, commission, SPIFFs, draw, true-up)."""

from __future__ import annotations

from bisect import bisect_left
from decimal import Decimal

import numpy as np
import pandas as pd

from ..crm import CRM
from ..periods import Period
from .crediting import (
    _credit_value,
    _days_active,
    _discount_multiplier,
    _known,
    credit_deals,
    plan_reps,
)
from .curve import ExactTable
from .inputs import CompInputs
from .money import ZERO, cents, money
from .plan import Plan
from .state import CompState, RepPeriod


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
