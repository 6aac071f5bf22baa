"""The vectorized pay of one block of Monte Carlo scenarios (scenarios x reps x periods): attainment, tiers, caps, draws, deal effects, SPIFFs and clawbacks in NumPy."""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .curve import payout_fraction
from .plan import Plan, SpiffCondition


def _cancel_rate(won: pd.DataFrame, cb, adjustments) -> float:
    """Share of ``won`` deals with one of the policy's events within its window."""
    if adjustments is None or not len(adjustments):
        return 0.0
    ev = adjustments[adjustments["event"].isin(cb.events)]
    ev = ev.merge(won[["id", "close_date"]], left_on="opportunity_id", right_on="id")
    days = (pd.to_datetime(ev["date"]) - ev["close_date"]).dt.days
    return float(ev.loc[days.between(0, cb.days), "opportunity_id"].nunique() / len(won))


def _qualifies(deals: pd.DataFrame, c: SpiffCondition | None) -> pd.Series:
    ok = pd.Series(True, index=deals.index)
    if c is None:
        return ok
    if c.products:
        ok &= deals["product"].isin(c.products)
    if c.types:
        ok &= deals["type"].isin(c.types)
    return ok & (deals["amount"] >= c.min_amount)


@dataclass
class DealMix:
    """What the cost model needs to know about an org's won deals (see the module docstring).

    ``mean_value``: mean won deal amount; ``qualifying``: per SPIFF condition key, the share of
    deals that qualify (``q``) and their share of value (``v``); ``cancel_rates``: per clawback
    policy key, the share of won deals with a clawback event within its window.
    """

    mean_value: float
    qualifying: dict[str, tuple[float, float]]
    cancel_rates: dict[str, float] = field(default_factory=dict)
    n_deals: int = 0

    @classmethod
    def from_crm(cls, crm, plans, as_of=None, *, months: int = 12, adjustments=None):
        """Measure the mix on the won deals of the plans' roles closed in the ``months``
        before ``as_of`` (default: the last close date), for every per-deal SPIFF and
        clawback policy of ``plans`` (one plan or several, so plan A and plan B are costed on
        one mix); ``adjustments`` (the ``comp_adjustments`` table) gives the cancel rates.

        Examples
        --------
        >>> from salesops_models import config
        >>> from salesops_models.comp import load_plan
        >>> from salesops_models.synthetic import generate_org
        >>> crm = generate_org(n_reps=8, years=1, seed=1).crm
        >>> plan = load_plan(config.PROJECT_ROOT / "plans" / "ae_standard.yml")
        >>> mix = DealMix.from_crm(crm, plan)
        >>> mix.n_deals > 0 and len(mix.qualifying) == 1
        True
        """
        plans = [plans] if isinstance(plans, Plan) else list(plans)
        roles = {r for p in plans for r in p.roles}
        opps = crm.opportunities
        reps = crm.reps.loc[crm.reps["role"].isin(roles), "id"]
        won = opps[opps["is_won"] & opps["owner_rep_id"].isin(reps) & opps["close_date"].notna()]
        end = pd.Timestamp(as_of) if as_of is not None else won["close_date"].max()
        if pd.isna(end):
            raise ValueError("no won deals with a close date to measure the deal mix on")
        won = won[won["close_date"].between(end - pd.DateOffset(months=months), end)]
        won = won[won["amount"] > 0]
        if won.empty:
            raise ValueError(
                f"no won deals of roles {sorted(roles)} in the {months} months to {end:%Y-%m-%d}"
            )
        amount = won["amount"].astype(float)
        qualifying, rates = {}, {}
        for p in plans:
            for s in p.spiffs:
                if s.kind == "per_deal":
                    ok = _qualifies(won, s.condition)
                    qualifying[_condition_key(s.condition)] = (
                        float(ok.mean()),
                        float(amount[ok].sum() / amount.sum()),
                    )
            if p.clawback is not None:
                rates[_clawback_key(p.clawback)] = _cancel_rate(won, p.clawback, adjustments)
        return cls(float(amount.mean()), qualifying, rates, len(won))


@dataclass
class DealDraws:
    """Simulated deal counts (S, R, P) behind simulated bookings, with the mix they come from
    and the seed of the draws that classify them (see the module docstring)."""

    counts: np.ndarray
    mix: DealMix
    seed: int = 0

    @classmethod
    def simulate(cls, bookings: np.ndarray, mix: DealMix, seed: int) -> DealDraws:
        """``N = 1 + Poisson(B / mean deal - 1)`` deals where ``B > 0``, else none."""
        rng = np.random.default_rng([seed, 0])
        b = np.asarray(bookings, dtype=np.float64)
        lam = np.maximum(b / mix.mean_value - 1.0, 0.0)
        counts = np.where(b > 0, 1 + rng.poisson(lam), 0).astype(np.int32)
        return cls(counts, mix, seed)

    def binomial(self, key: str, p: float) -> np.ndarray:
        """How many of each cell's deals have a property of probability ``p`` (a stream of
        its own per ``key``, so the same SPIFF or clawback sees the same deals in every plan)."""
        rng = np.random.default_rng([self.seed, zlib.crc32(key.encode())])
        return rng.binomial(self.counts, min(max(p, 0.0), 1.0)).astype(np.int32)


def _clawback_key(cb) -> str:
    return f"clawback {sorted(cb.events)} within {cb.days} days"


def _condition_key(c: SpiffCondition | None) -> str:
    return "all deals" if c is None else c.model_dump_json()


def _deal_effects(plan: Plan, deals: DealDraws | None, full_year: bool):
    """Qualifying deal counts per per-deal SPIFF, cancelled deal counts, and notes on what the
    inputs leave out."""
    notes: list[str] = []
    per_deal = [s for s in plan.spiffs if s.kind == "per_deal"]
    if per_deal and deals is None:
        names = ", ".join(s.name for s in per_deal)
        notes.append(f"per-deal SPIFFs left out ({names}): no simulated deals")
    if plan.clawback is not None and deals is None:
        notes.append("clawbacks left out: no simulated deals (cancel rate)")
    if plan.annual_true_up and plan.attainment == "period" and not full_year:
        notes.append("annual true-up left out: the horizon is not one year")
    qualify, cancelled = {}, None
    if deals is None:
        return qualify, cancelled, notes
    for s in per_deal:
        key = _condition_key(s.condition)
        qv = deals.mix.qualifying.get(key)
        if qv is None:
            raise ValueError(
                f"the deal mix was measured for another plan: no share for SPIFF {s.name!r}"
            )
        qualify[s.name] = (deals.binomial(key, qv[0]), qv[1])
    if plan.clawback is not None:
        key = _clawback_key(plan.clawback)
        if key not in deals.mix.cancel_rates:
            raise ValueError(f"the deal mix was measured for another plan: no rate for {key}")
        if deals.mix.cancel_rates[key] > 0:
            cancelled = deals.binomial("clawback", deals.mix.cancel_rates[key])
    return qualify, cancelled, notes


@dataclass
class _Chunk:
    """The cost of one chunk of reps (``sl``), stage by stage."""

    plan: Plan
    sl: slice
    full_year: bool
    bookings: np.ndarray | None
    deals: DealDraws | None
    qualify: dict
    cancelled: np.ndarray | None

    def run(self, attainment, ti, q, msh):
        plan, sl = self.plan, self.sl
        commission, true_up = 0.0, 0.0
        for m in plan.measures:
            qm = None if q is None else q * m.quota_share
            pay, tu = _measure_pay(plan, m, attainment[m.name][:, sl, :], ti * m.weight, qm,
                                   self.full_year)  # fmt: skip
            commission, true_up = commission + pay, true_up + tu
        S, r, P = commission.shape
        f64 = np.float64
        milestone, deal_spiff = self.spiffs(attainment, commission.shape, commission.dtype)
        parts = {
            "commission": commission.sum(axis=2).astype(
                f64
            ),  # 12-ish terms: float32 is exact enough
            "true_up": np.broadcast_to(true_up, (S, r)).astype(f64),
            "spiff": np.zeros((S, r)),
            "draw": np.zeros((S, r)),
            "clawback": np.zeros((S, r)),
        }
        cash = np.zeros((S, P + 1))
        left = np.zeros(S)
        # (S, r, P) arrays only where the plan has the feature: the common plan stays one array
        for extra in (milestone, deal_spiff):
            if extra is not None:
                parts["spiff"] += extra.sum(axis=2)
        if plan.draw is not None:
            earned = commission.astype(f64)
            for extra in (milestone, deal_spiff):
                if extra is not None:
                    earned += extra
            earned[:, :, -1] += true_up
            draw, bal = _draws(plan, earned, msh)
            parts["draw"] = draw.sum(axis=2)
            cash[:, :-1] = (earned + draw).sum(axis=1)
            left = bal.sum(axis=1)
        else:  # per-period sums over this chunk's reps in the input's precision (float32 ok)
            cash[:, :-1] = commission.sum(axis=1)
            for extra in (milestone, deal_spiff):
                if extra is not None:
                    cash[:, :-1] += extra.sum(axis=1)
            cash[:, P - 1] += np.sum(np.broadcast_to(true_up, (S, r)), axis=1)
        if self.cancelled is not None:
            clawable = commission if deal_spiff is None else commission + deal_spiff
            claw = self.clawbacks(clawable)
            parts["clawback"] = claw.sum(axis=2)
            cash += claw.sum(axis=1)
        return parts, cash, left

    def spiffs(self, attainment, shape, dtype):
        """Milestone SPIFFs and per-deal SPIFFs per period (``None`` where the plan has none)."""
        milestone = deal_spiff = None
        for s in self.plan.spiffs:
            if s.kind == "milestone":
                hit = attainment[s.measure][:, self.sl, :] >= s.attainment
                milestone = (0 if milestone is None else milestone) + hit * dtype.type(s.amount)
            elif s.name in self.qualify:
                k, v = self.qualify[s.name]
                pay = s.amount * k[:, self.sl, :] + s.rate * v * self.bookings[:, self.sl, :]
                deal_spiff = pay if deal_spiff is None else deal_spiff + pay
        return milestone, deal_spiff

    def clawbacks(self, clawable):
        """Cash returned ``lag`` periods after the deals' period (column P: past the horizon)."""
        S, r, P = clawable.shape
        claw = np.zeros((S, r, P + 1))
        if self.cancelled is None:
            return claw
        cb = self.plan.clawback
        n = self.deals.counts[:, self.sl, :]
        frac = np.where(n > 0, self.cancelled[:, self.sl, :] / np.maximum(n, 1), 0.0)
        lag = math.ceil(cb.days / (self.plan.period_months * 30.4375))
        back = cb.share * frac * clawable
        for t in range(P):
            claw[:, :, min(t + lag, P)] -= back[:, :, t]
        return claw


def _per_rep_period(x, R: int, P: int, name: str) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    try:
        return np.broadcast_to(x[:, None] if x.ndim == 1 else x, (R, P))
    except ValueError:
        raise ValueError(
            f"{name} must have shape (reps,) or (reps, periods) = ({R}, {P})"
        ) from None


def _measure_pay(plan: Plan, m, a: np.ndarray, ti: np.ndarray, q, full_year: bool):
    """Commission per period (S, r, P) and the year-end true-up (S, r) of one measure."""
    rt = m.rates
    w = np.ones_like(ti) if q is None else q  # period weights of YTD / annual attainment
    if plan.attainment == "ytd":
        cw, cti = np.cumsum(w, axis=1), np.cumsum(ti, axis=1)
        a_ytd = np.cumsum(a * w[None], axis=2) / np.where(cw > 0, cw, 1.0)[None]
        earned = payout_fraction(rt, a_ytd, quota=cw[None], target_incentive=cti[None]) * cti[None]
        paid = np.maximum.accumulate(np.maximum(earned, 0.0), axis=2)
        return np.diff(paid, axis=2, prepend=0.0), 0.0
    pay = payout_fraction(rt, a, quota=None if q is None else q[None], target_incentive=ti[None])
    pay *= ti[None].astype(pay.dtype)  # stays float32 for float32 input
    if not (plan.annual_true_up and full_year):
        return pay, 0.0
    sw, sti = w.sum(axis=1), ti.sum(axis=1)
    a_year = (a * w[None]).sum(axis=2, dtype=np.float64) / np.where(sw > 0, sw, 1.0)[None]
    annual = payout_fraction(rt, a_year, quota=sw[None], target_incentive=sti[None]) * sti[None]
    return pay, np.maximum(annual - pay.sum(axis=2, dtype=np.float64), 0.0)


def _draws(plan: Plan, earned: np.ndarray, months_since_hire):
    """Draw top-ups and recoveries per period (S, r, P) and the open balance (S, r)."""
    S, r, P = earned.shape
    dr = plan.draw
    out = np.zeros_like(earned)
    bal = np.zeros((S, r))
    if dr is None:
        return out, bal
    pm = plan.period_months
    for t in range(P):
        if dr.periods is None:
            window = np.ones(r, dtype=bool)
        elif months_since_hire is None:
            window = np.zeros(r, dtype=bool)
        else:
            since = months_since_hire + t * pm  # months since hire at the period's start
            window = (since > -pm) & (since // pm < dr.periods)
        e = earned[:, :, t]
        top = np.where(window[None] & (e < dr.amount), dr.amount - e, 0.0)
        if dr.recoverable:
            room = e - np.where(window, dr.amount, 0.0)[None]
            rec = np.where(top > 0, 0.0, np.minimum(bal, np.maximum(room, 0.0)))
            bal += top - rec
            out[:, :, t] = top - rec
        else:
            out[:, :, t] = top
    return out, bal
