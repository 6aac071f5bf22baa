"""Monte Carlo cost of a plan for finance, vectorized over scenarios x reps x periods.

Input: attainment per measure as arrays (scenarios, reps, periods), e.g. from the quota
engine's simulated bookings / quotas, and each rep's target incentive per period. The plan's
payout curves (tiers, gates, caps) are evaluated with the same definition as the exact
statements (:func:`~salesops_models.comp.curve.payout_fraction`); milestone SPIFFs are paid
where attainment reaches them; per-deal SPIFFs are costed as ``spiff_rate x credited
bookings`` (the share of bookings that historically qualified; deals are not simulated
individually); draws and clawbacks move cash between periods and are left out of the cost.
Arrays are processed in chunks of reps so memory stays bounded.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from ..draws import DRAW, summarize
from .curve import payout_fraction
from .plan import Plan


@dataclass
class CostResult:
    """Total variable comp per scenario (S,), per rep per scenario (S, R), by component."""

    total: np.ndarray
    per_rep: np.ndarray
    components: dict[str, np.ndarray]
    bookings: np.ndarray | None = None

    def to_xarray(self) -> xr.Dataset:
        """Cost per draw (``total``, each component) and per draw and rep (``per_rep``)."""
        n_draws, n_reps = self.per_rep.shape
        data = {"total": (DRAW, self.total), "per_rep": ((DRAW, "rep"), self.per_rep)}
        data |= {f"cost_{k}": (DRAW, v) for k, v in self.components.items()}
        if self.bookings is not None:
            data["bookings"] = (DRAW, self.bookings)
        return xr.Dataset(data, coords={DRAW: np.arange(n_draws), "rep": np.arange(n_reps)})

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
        return out


@dataclass
class CostInputs:
    """What :func:`evaluate` reads, built from one capacity Monte Carlo (see
    :func:`capacity_inputs`): attainment per measure and credited bookings (draw, rep, period),
    each rep's target incentive per period (rep, period)."""

    attainment: dict[str, np.ndarray]
    target_incentive: np.ndarray
    bookings: np.ndarray
    quotas: np.ndarray  # (rep, period)

    def evaluate(self, plan: Plan, **kwargs) -> CostResult:
        """:func:`evaluate` of ``plan`` on these inputs (same draws for every plan)."""
        return evaluate(
            plan, self.attainment, self.target_incentive, bookings=self.bookings, **kwargs
        )


def capacity_inputs(plan: Plan, result, quotas: pd.DataFrame) -> CostInputs:
    """Cost inputs of ``plan`` from a capacity result and the quotas allocated on it.

    The capacity engine simulates every seat's bookings per quarter of the horizon (and the
    whole horizon); :func:`~salesops_models.capacity.allocate_quotas` splits each seat's
    annual quota by quarter (``Q1``... columns). For a quarterly plan, attainment = simulated
    quarterly bookings / quarterly quota; for an annual plan, the horizon's bookings / annual
    quota. Every measure of the plan uses the bookings attainment (the capacity engine
    simulates bookings only). Target incentive per period = OTE x the plan's variable share
    x period months / 12 (the plan's own OTE when it sets one).
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
    ti = ote * plan.pay_mix.variable * plan.period_months / 12
    return CostInputs({m.name: attainment for m in plan.measures}, ti, bookings, quota)


def evaluate(
    plan: Plan,
    attainment: dict[str, np.ndarray],
    target_incentive: np.ndarray,
    *,
    bookings: np.ndarray | None = None,
    spiff_rate: float = 0.0,
    chunk: int = 256,
) -> CostResult:
    """Cost of ``plan`` on simulated attainment.

    Parameters
    ----------
    attainment : {measure name: array (S, R, P)}
    target_incentive : array (R,) or (R, P): each rep's *total* variable target per period
        (OTE x variable share x period months / 12, prorated); split by measure weights here.
    bookings : array (S, R, P), optional: credited bookings, for cost of sales and per-deal SPIFFs.

    Examples
    --------
    >>> import numpy as np
    >>> from salesops_models import config
    >>> from salesops_models.comp import load_plan
    >>> plan = load_plan(config.PROJECT_ROOT / "plans" / "ae_standard.yml")
    >>> rng = np.random.default_rng(0)
    >>> att = rng.lognormal(0, 0.3, size=(1000, 5, 4))        # draws x reps x quarters
    >>> cost = evaluate(plan, {m.name: att for m in plan.measures}, np.full(5, 25_000.0))
    >>> cost.total.shape, sorted(cost.summary())[:4]
    ((1000,), ['mean', 'p10', 'p50', 'p90'])
    """
    names = [m.name for m in plan.measures]
    missing = set(names) - set(attainment)
    if missing:
        raise ValueError(f"attainment missing for measures {sorted(missing)}")
    S, R, P = attainment[names[0]].shape
    ti = np.asarray(target_incentive, dtype=np.float64)
    ti = np.broadcast_to(ti[:, None] if ti.ndim == 1 else ti, (R, P))
    per_rep = np.zeros((S, R))
    comps = {"commission": np.zeros((S, R)), "spiff": np.zeros((S, R))}
    for lo in range(0, R, chunk):
        sl = slice(lo, min(lo + chunk, R))
        for m in plan.measures:
            a = attainment[m.name][:, sl, :]
            pay = payout_fraction(m.rates, a)
            pay *= (ti[sl] * m.weight).astype(pay.dtype)[
                None, :, :
            ]  # stays float32 for float32 input
            comps["commission"][:, sl] += pay.sum(axis=2, dtype=np.float64)
        for s in plan.spiffs:
            if s.kind == "milestone":
                hit = attainment[s.measure][:, sl, :] >= s.attainment
                comps["spiff"][:, sl] += s.amount * hit.sum(axis=2)
        if spiff_rate and bookings is not None:
            comps["spiff"][:, sl] += spiff_rate * bookings[:, sl, :].sum(axis=2)
    per_rep = comps["commission"] + comps["spiff"]
    total_bookings = None if bookings is None else bookings.sum(axis=(1, 2))
    return CostResult(
        per_rep.sum(axis=1), per_rep, {k: v.sum(axis=1) for k, v in comps.items()}, total_bookings
    )


def payout_curve(plan: Plan, attainments=None) -> pd.DataFrame:
    """Payout as % of each measure's target incentive, and of total variable, by attainment."""
    a = np.linspace(0, 2.5, 251) if attainments is None else np.asarray(attainments, float)
    out = pd.DataFrame({"attainment": a})
    total = np.zeros_like(a)
    for m in plan.measures:
        g = payout_fraction(m.rates, a)
        out[m.name] = g
        total += m.weight * g
    out["total_variable"] = total
    return out


def compare(
    plans: dict[str, Plan], attainment, target_incentive, *, bookings=None, budget=None
) -> pd.DataFrame:
    """Plans side by side on the same scenarios (same attainment arrays)."""
    rows = {
        name: evaluate(p, attainment, target_incentive, bookings=bookings).summary(budget)
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
    bookings=None,
) -> pd.DataFrame:
    """Mean cost when quotas scale by a factor (attainment / factor) and when every multiplier
    above 100% attainment scales by a factor."""
    rows = []
    for qf in quota_factors:
        att = {k: v / qf for k, v in attainment.items()}
        rows.append(
            {
                "change": f"quota x{qf:g}",
                "mean_cost": evaluate(plan, att, target_incentive, bookings=bookings).total.mean(),
            }
        )
    for af in accelerator_factors:
        p2 = plan.model_copy(deep=True)
        for m in p2.measures:
            for t in m.rates.tiers:
                if t.start >= 1.0:
                    t.rate = t.rate * af
        rows.append(
            {
                "change": f"accelerators x{af:g}",
                "mean_cost": evaluate(
                    p2, attainment, target_incentive, bookings=bookings
                ).total.mean(),
            }
        )
    out = pd.DataFrame(rows)
    base = evaluate(plan, attainment, target_incentive, bookings=bookings).total.mean()
    out["vs_plan"] = out["mean_cost"] / base - 1
    return out
