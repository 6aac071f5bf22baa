"""Monte Carlo cost of a plan for finance, vectorized over scenarios x reps x periods.

Input: attainment per measure as arrays (scenarios, reps, periods), e.g. from the quota
engine's simulated bookings / quotas, and each rep's target incentive per period. The plan's
payout curves (tiers, gates, caps, currency tables) are evaluated with the same definition as
the exact statements (:func:`~salesops_models.comp.curve.payout_fraction`), and the cash
follows the statement engine's rules period by period:

* **commission**: per period on the period's attainment; with ``attainment: ytd`` the
  year-to-date earned ``E_t = g(YTD credit / YTD quota) x YTD TI`` and the period pays
  ``max(E_t - paid_{t-1}, 0)`` (so the year pays ``max_t E_t``); with ``annual_true_up`` the
  last period of a one-year horizon adds ``max(g(annual attainment) x annual TI - paid, 0)``
  per measure (component ``true_up``).
* **SPIFFs**: milestone SPIFFs where the period's attainment reaches them; per-deal SPIFFs on
  *simulated deals* (:class:`DealDraws`): each period's bookings ``B`` come as
  ``N = 1 + Poisson(B / mean deal - 1)`` deals (none when ``B = 0``), of which
  ``K ~ Binomial(N, q)`` qualify, ``q`` the share of the org's won deals meeting the SPIFF's
  condition; the SPIFF pays ``amount x K + rate x v x B`` with ``v`` the qualifying deals' share
  of value (:class:`DealMix` measures ``q``, ``v`` on the CRM).
* **clawbacks** (cash timing): ``C ~ Binomial(N, c)`` of a period's deals are cancelled,
  ``c`` the org's rate of clawback events within the plan's window (one random stream for
  every plan); the period's commission and
  per-deal SPIFFs times ``share x C / N`` come back ``ceil(window / period length)`` periods
  later (in column ``after`` of :attr:`CostResult.cash` when that is past the horizon).
* **draws**: inside the guarantee window (periods since hire, from ``months_since_hire``)
  earnings below the draw are topped up; a recoverable draw's balance is recovered from later
  earnings above the draw (outside the window: all earnings), as the statements do. A balance
  still open at the horizon's end stays in the cost (cash advanced).

``total`` per scenario = the sum of :attr:`CostResult.cash` over periods (clawbacks after the
horizon included) = the sum of the components. Arrays are processed in chunks of reps so
memory stays bounded; the random deal counts are drawn once per scenario, rep and period from
the seed, so plan A and plan B see the same deals.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xarray as xr

from ..draws import DRAW, summarize
from .curve import payout_fraction
from .plan import Plan, SpiffCondition, no_ote_error

COMPONENTS = ("commission", "true_up", "spiff", "draw", "clawback")


@dataclass
class CostResult:
    """Total variable comp per scenario (S,), per rep per scenario (S, R), by component
    (S,) each, and the cash per period (S, P + 1): the plan's periods, then ``after`` (clawbacks
    that land past the horizon)."""

    total: np.ndarray
    per_rep: np.ndarray
    components: dict[str, np.ndarray]
    bookings: np.ndarray | None = None
    cash: np.ndarray | None = None
    draw_outstanding: np.ndarray | None = None  # (S,) recoverable draw balance at the end
    notes: list[str] = field(default_factory=list)

    def _repr_html_(self) -> str:
        """A compact card for JupyterLab (:mod:`salesops_models.display`)."""
        from ..display import cost_card

        return cost_card(self)

    def to_xarray(self) -> xr.Dataset:
        """Cost per draw (``total``, each component), per draw and rep (``per_rep``) and the
        cash per draw and period (``cash``; period ``after`` = past the horizon)."""
        n_draws, n_reps = self.per_rep.shape
        data = {"total": (DRAW, self.total), "per_rep": ((DRAW, "rep"), self.per_rep)}
        data |= {f"cost_{k}": (DRAW, v) for k, v in self.components.items()}
        coords = {DRAW: np.arange(n_draws), "rep": np.arange(n_reps)}
        if self.bookings is not None:
            data["bookings"] = (DRAW, self.bookings)
        if self.cash is not None:
            data["cash"] = ((DRAW, "period"), self.cash)
            coords["period"] = [f"P{i + 1}" for i in range(self.cash.shape[1] - 1)] + ["after"]
        return xr.Dataset(data, coords=coords, attrs={"notes": "\n".join(self.notes)})

    def summary(self, budget: float | None = None) -> dict:
        """One row: p10/p50/p90/mean of the total cost, cost of sales, the chance of going over
        ``budget`` and each component's share of the cost."""
        t = self.total
        out = summarize(t)
        if self.bookings is not None:
            cos = t / np.maximum(self.bookings, 1e-9)
            out |= {
                "cost_of_sales_p50": float(np.median(cos)),
                "cost_of_sales_p90": float(np.quantile(cos, 0.9)),
            }
        if budget is not None:
            out["budget"] = float(budget)
            out["p_over_budget"] = float((t > budget).mean())
        for k, v in self.components.items():
            out[f"share_{k}"] = float(v.sum() / max(t.sum(), 1e-9))
        if self.draw_outstanding is not None:
            out["draw_outstanding_p50"] = float(np.median(self.draw_outstanding))
        return out

    def cash_by_period(self) -> pd.DataFrame:
        """p10/p50/p90/mean of the cash paid in each period (``after``: past the horizon)."""
        if self.cash is None:
            raise ValueError("this result has no cash timing")
        names = [f"P{i + 1}" for i in range(self.cash.shape[1] - 1)] + ["after"]
        return pd.DataFrame([summarize(self.cash[:, j]) for j in range(len(names))], index=names)


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


def _cancel_rate(won: pd.DataFrame, cb, adjustments) -> float:
    """Share of ``won`` deals with one of the policy's events within its window."""
    if adjustments is None or not len(adjustments):
        return 0.0
    ev = adjustments[adjustments["event"].isin(cb.events)]
    ev = ev.merge(won[["id", "close_date"]], left_on="opportunity_id", right_on="id")
    days = (pd.to_datetime(ev["date"]) - ev["close_date"]).dt.days
    return float(ev.loc[days.between(0, cb.days), "opportunity_id"].nunique() / len(won))


def _condition_key(c: SpiffCondition | None) -> str:
    return "all deals" if c is None else c.model_dump_json()


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
class CostInputs:
    """What :func:`evaluate` reads, built from one capacity Monte Carlo (see
    :func:`capacity_inputs`): attainment per measure and credited bookings (draw, rep, period),
    each rep's target incentive per period (rep, period), quotas (rep, period), months since
    each rep's hire at the horizon's start (negative: a planned hire) and the simulated deals."""

    attainment: dict[str, np.ndarray]
    target_incentive: np.ndarray
    bookings: np.ndarray
    quotas: np.ndarray  # (rep, period)
    months_since_hire: np.ndarray | None = None
    deals: DealDraws | None = None

    def evaluate(self, plan: Plan, **kwargs) -> CostResult:
        """:func:`evaluate` of ``plan`` on these inputs (same draws for every plan)."""
        kwargs = {
            "bookings": self.bookings,
            "quota": self.quotas,
            "months_since_hire": self.months_since_hire,
            "deals": self.deals,
        } | kwargs
        return evaluate(plan, self.attainment, self.target_incentive, **kwargs)


def capacity_inputs(
    plan: Plan, result, quotas: pd.DataFrame, *, deals: DealMix | None = None, seed: int = 0
) -> CostInputs:
    """Cost inputs of ``plan`` from a capacity result and the quotas allocated on it.

    The capacity engine simulates every seat's bookings per quarter of the horizon (and the
    whole horizon); :func:`~salesops_models.capacity.allocate_quotas` splits each seat's
    annual quota by quarter (``Q1``... columns). For a quarterly plan, attainment = simulated
    quarterly bookings / quarterly quota; for an annual plan, the horizon's bookings / annual
    quota. Every measure of the plan uses the bookings attainment (the capacity engine
    simulates bookings only). Target incentive per period = OTE x the plan's variable share
    x period months / 12 (the plan's own OTE when it sets one). With ``deals`` (a
    :class:`DealMix`), deal counts are simulated behind the bookings with ``seed``.
    """
    n_quarters = len(result.sim.periods) - 1
    if plan.period == "quarter":
        quota = quotas[[f"Q{q + 1}" for q in range(n_quarters)]].to_numpy(dtype=np.float64)
        booked = result.sim.seat_period[:, :, :n_quarters]
    elif plan.period == "year":
        quota = quotas[["annual_quota"]].to_numpy(dtype=np.float64)
        booked = result.sim.seat_period[:, :, -1:]
    else:
        raise ValueError(
            f"plan {plan.name!r} pays per {plan.period}; the capacity engine simulates "
            "quarters and the year"
        )
    bookings = booked.astype(np.float64)
    attainment = bookings / quota[None, :, :]
    ote = np.full(len(quotas), plan.ote) if plan.ote else quotas["ote"].to_numpy(np.float64)
    if np.isnan(ote).any():
        seat = quotas.iloc[int(np.flatnonzero(np.isnan(ote))[0])]
        example = str(seat.get("name", seat.get("rep_id", "a seat")))
        raise no_ote_error(plan, int(np.isnan(ote).sum()), len(ote), example)
    ti = ote * plan.pay_mix.variable * plan.period_months / 12
    tenure = None
    seats = getattr(result, "seats", None)
    if seats is not None and "tenure_at_start" in seats:
        tenure = seats["tenure_at_start"].to_numpy(dtype=np.int64)
    draws = DealDraws.simulate(bookings, deals, seed) if deals is not None else None
    return CostInputs(
        {m.name: attainment for m in plan.measures}, ti, bookings, quota, tenure, draws
    )


@dataclass
class CapacityScenarioInputs:
    """Makes the cost inputs of one block of scenarios from the capacity model: simulate the
    block's seats (:func:`~salesops_models.capacity.simulate.simulate`, the block's own seed
    stream), then :func:`capacity_inputs` on them (quotas, target incentive, simulated deals).
    Picklable, so a Dask worker builds its block's inputs itself and only costs come back.

    ``params`` are the :class:`~salesops_models.capacity.simulate.SeatParams` of a capacity
    plan (:func:`~salesops_models.capacity.plan.build_seats`), ``seats`` its seat table,
    ``periods`` the month-index arrays of its quarters and the year.
    """

    params: object
    seats: pd.DataFrame
    periods: list
    quotas: pd.DataFrame
    plan: Plan
    deals: DealMix | None = None

    def __call__(self, n_scenarios: int, seed: np.random.SeedSequence) -> CostInputs:
        from types import SimpleNamespace

        from ..capacity.simulate import simulate

        sim = simulate(self.params, n_scenarios, seed, self.periods, workers=1)
        deal_seed = int(seed.generate_state(1)[0])
        result = SimpleNamespace(sim=sim, seats=self.seats)
        return capacity_inputs(self.plan, result, self.quotas, deals=self.deals, seed=deal_seed)


def _cost_block(block, plan: Plan, make_inputs) -> CostResult:
    lo, hi, seed = block
    res = make_inputs(hi - lo, seed).evaluate(plan)
    res.per_rep = res.per_rep.astype(np.float32)  # what comes back from a worker: halved
    return res


def cost_monte_carlo(
    plan: Plan,
    make_inputs,
    n_scenarios: int,
    seed: int = 0,
    *,
    chunk: int = 2_000,
    scheduler=None,
    progress: bool = False,
) -> CostResult:
    """The cost of ``plan`` over ``n_scenarios`` scenarios in blocks of ``chunk``: each block
    builds its inputs with ``make_inputs(n, seed_sequence)`` (a :class:`CostInputs`; e.g.
    :class:`CapacityScenarioInputs`) from its own seed stream (child ``c`` of
    ``SeedSequence(seed)``) and is costed by :func:`evaluate`, here or on a Dask cluster
    (:mod:`salesops_models.distributed`). Only the block's costs travel back (per rep in
    float32); the same seed and chunk give the same numbers whatever runs the blocks.

    Examples
    --------
    >>> import numpy as np
    >>> from salesops_models import config
    >>> from salesops_models.comp import load_plan
    >>> plan = load_plan(config.PROJECT_ROOT / "plans" / "ae_standard.yml")
    >>> def lognormal(n, seed):
    ...     att = np.random.default_rng(seed).lognormal(0, 0.3, size=(n, 5, 4))
    ...     return CostInputs({m.name: att for m in plan.measures}, np.full(5, 25e3),
    ...                       att * 250e3, np.full((5, 4), 250e3))
    >>> a = cost_monte_carlo(plan, lognormal, 1_000, seed=3, chunk=300)
    >>> b = cost_monte_carlo(plan, lognormal, 1_000, seed=3, chunk=300)
    >>> a.total.shape, bool((a.total == b.total).all())
    ((1000,), True)
    """
    from ..distributed import map_ordered, scenario_chunks

    blocks = scenario_chunks(int(n_scenarios), int(chunk))
    root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    items = [(lo, hi, s) for (lo, hi), s in zip(blocks, root.spawn(len(blocks)), strict=True)]
    parts = map_ordered(
        _cost_block,
        items,
        scheduler=scheduler,
        shared={"plan": plan, "make_inputs": make_inputs},
        progress=progress,
        desc="cost blocks",
    )
    cat = np.concatenate

    def joined(attr):
        vals = [getattr(r, attr) for r in parts]
        return None if vals[0] is None else cat(vals)

    return CostResult(
        cat([r.total for r in parts]),
        cat([r.per_rep for r in parts]),
        {k: cat([r.components[k] for r in parts]) for k in parts[0].components},
        joined("bookings"),
        joined("cash"),
        joined("draw_outstanding"),
        list(parts[0].notes),
    )


def evaluate(
    plan: Plan,
    attainment: dict[str, np.ndarray],
    target_incentive: np.ndarray,
    *,
    bookings: np.ndarray | None = None,
    quota: np.ndarray | None = None,
    months_since_hire: np.ndarray | None = None,
    deals: DealDraws | None = None,
    chunk: int = 256,
) -> CostResult:
    """Cost of ``plan`` on simulated attainment (the rules are in the module docstring).

    Parameters
    ----------
    attainment : {measure name: array (S, R, P)}
    target_incentive : array (R,) or (R, P): each rep's *total* variable target per period
        (OTE x variable share x period months / 12, prorated); split by measure weights here.
    bookings : array (S, R, P), optional: credited bookings, for cost of sales and per-deal
        SPIFFs (with ``deals``).
    quota : array (R,) or (R, P), optional: each rep's quota per period, needed by rate tables
        in currency (``basis: amount``); year-to-date and annual attainment weight periods by
        it (equal weights without it).
    months_since_hire : array (R,), optional: months from each rep's hire to the horizon's
        first month (negative for a planned hire); without it every rep is past the draw's
        guarantee window (an ongoing draw still applies).
    deals : DealDraws, optional: simulated deals behind ``bookings``, for per-deal SPIFFs and
        clawbacks; without it both are left out (said in ``notes``).

    Examples
    --------
    >>> import numpy as np
    >>> from salesops_models import config
    >>> from salesops_models.comp import load_plan
    >>> plan = load_plan(config.PROJECT_ROOT / "plans" / "ae_standard.yml")
    >>> rng = np.random.default_rng(0)
    >>> att = rng.lognormal(0, 0.3, size=(1000, 5, 4))        # draws x reps x quarters
    >>> cost = evaluate(plan, {m.name: att for m in plan.measures}, np.full(5, 25_000.0))
    >>> cost.total.shape, [k for k in ("p10", "p50", "p90", "mean") if k in cost.summary()]
    ((1000,), ['p10', 'p50', 'p90', 'mean'])
    >>> sorted(cost.components)
    ['clawback', 'commission', 'draw', 'spiff', 'true_up']
    >>> cost.notes[0]
    'per-deal SPIFFs left out (Enterprise Suite launch): no simulated deals'
    >>> bool(np.allclose(cost.cash.sum(axis=1), cost.total))
    True
    """
    names = [m.name for m in plan.measures]
    missing = set(names) - set(attainment)
    if missing:
        raise ValueError(f"attainment missing for measures {sorted(missing)}")
    S, R, P = attainment[names[0]].shape
    ti = _per_rep_period(target_incentive, R, P, "target_incentive")
    q = None if quota is None else _per_rep_period(quota, R, P, "quota")
    if any(m.rates.basis == "amount" for m in plan.measures) and q is None:
        raise ValueError(
            "rate tables in currency (basis: amount) need quota= to turn attainment into credit"
        )
    msh = None if months_since_hire is None else np.asarray(months_since_hire, dtype=np.int64)
    if msh is not None and msh.shape != (R,):
        raise ValueError(f"months_since_hire must have shape (reps,) = ({R},)")
    if deals is not None and (bookings is None or deals.counts.shape != (S, R, P)):
        raise ValueError("deals need bookings= and deal counts of shape (scenarios, reps, periods)")
    full_year = P * plan.period_months == 12
    qualify, cancelled, notes = _deal_effects(plan, deals, full_year)
    comps = {k: np.zeros((S, R)) for k in COMPONENTS}
    cash = np.zeros((S, P + 1))
    draw_left = np.zeros(S)
    for lo in range(0, R, chunk):
        sl = slice(lo, min(lo + chunk, R))
        ctx = _Chunk(plan, sl, full_year, bookings, deals, qualify, cancelled)
        parts, cash_sl, left = ctx.run(
            attainment, ti[sl], None if q is None else q[sl], None if msh is None else msh[sl]
        )
        for k, v in parts.items():
            comps[k][:, sl] = v
        cash += cash_sl
        draw_left += left
    per_rep = sum(comps.values())
    total_bookings = None if bookings is None else bookings.sum(axis=(1, 2))
    return CostResult(
        per_rep.sum(axis=1),
        per_rep,
        {k: v.sum(axis=1) for k, v in comps.items()},
        total_bookings,
        cash,
        draw_left if plan.draw is not None and plan.draw.recoverable else None,
        notes,
    )


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


def payout_curve(plan: Plan, attainments=None) -> pd.DataFrame:
    """Payout as % of each measure's target incentive, and of total variable, by attainment
    (rate tables in currency are left out: their curve depends on each rep's quota)."""
    a = np.linspace(0, 2.5, 251) if attainments is None else np.asarray(attainments, float)
    out = pd.DataFrame({"attainment": a})
    total = np.zeros_like(a)
    for m in plan.measures:
        if m.rates.basis == "amount":
            continue
        g = payout_fraction(m.rates, a)
        out[m.name] = g
        total += m.weight * g
    out["total_variable"] = total
    return out


def compare(
    plans: dict[str, Plan], attainment, target_incentive, *, budget=None, **kwargs
) -> pd.DataFrame:
    """Plans side by side on the same scenarios (same attainment arrays and simulated deals;
    ``kwargs`` go to :func:`evaluate`)."""
    rows = {
        name: evaluate(p, attainment, target_incentive, **kwargs).summary(budget)
        for name, p in plans.items()
    }
    return pd.DataFrame(rows).T


def sensitivity(
    plan: Plan,
    attainment,
    target_incentive,
    *,
    quota_factors=(0.9, 1.0, 1.1),
    accelerator_factors=(0.8, 1.0, 1.2),
    **kwargs,
) -> pd.DataFrame:
    """Mean cost when quotas scale by a factor (attainment / factor) and when every multiplier
    above 100% attainment scales by a factor (tables in attainment; ``kwargs`` go to
    :func:`evaluate`)."""
    rows = []
    for qf in quota_factors:
        att = {k: v / qf for k, v in attainment.items()}
        kw = kwargs | ({"quota": kwargs["quota"] * qf} if kwargs.get("quota") is not None else {})
        rows.append(
            {
                "change": f"quota x{qf:g}",
                "mean_cost": evaluate(plan, att, target_incentive, **kw).total.mean(),
            }
        )
    for af in accelerator_factors:
        p2 = plan.model_copy(deep=True)
        for m in p2.measures:
            for t in m.rates.tiers:
                if m.rates.basis == "attainment" and t.start >= 1.0:
                    t.rate = t.rate * af
        rows.append(
            {
                "change": f"accelerators x{af:g}",
                "mean_cost": evaluate(p2, attainment, target_incentive, **kwargs).total.mean(),
            }
        )
    out = pd.DataFrame(rows)
    base = evaluate(plan, attainment, target_incentive, **kwargs).total.mean()
    out["vs_plan"] = out["mean_cost"] / base - 1
    return out
