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

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xarray as xr

from ..draws import DRAW, summarize
from ..settings import renamed_parameters
from .cost_kernel import (
    DealDraws,
    DealMix,
    _Chunk,
    _deal_effects,
    _per_rep_period,
)
from .curve import payout_fraction
from .plan import Plan, no_ote_error

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


def _cost_block(block, plan: Plan, make_inputs) -> CostResult:
    lo, hi, seed = block
    res = make_inputs(hi - lo, seed).evaluate(plan)
    res.per_rep = res.per_rep.astype(np.float32)  # what comes back from a worker: halved
    return res


@renamed_parameters(n_scenarios="draws")
def cost_monte_carlo(
    plan: Plan,
    make_inputs,
    draws: int,
    seed: int = 0,
    *,
    chunk: int = 2_000,
    scheduler=None,
    progress: bool = False,
) -> CostResult:
    """The cost of ``plan`` over ``draws`` scenarios in blocks of ``chunk``: each block
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

    blocks = scenario_chunks(int(draws), int(chunk))
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
