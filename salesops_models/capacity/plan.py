"""Capacity planning: who is in seat, who is hired, how they ramp and leave, and the Monte
Carlo distribution of bookings capacity against a target.

Conventions: a new hire's productivity share in tenure month k follows the ramp curve (a
linear 0, 25, 50, 75% over 4 months, then 100%, by default; typical ramps are 3-6 months);
attrition is a monthly hazard (0.015/month is about 17%/year, a common AE benchmark), per
segment if given; a departed rep's seat is backfilled after ``backfill_gap`` months.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import xarray as xr

from ..crm import CRM
from ..draws import DRAW, label, p_at_least, summarize
from .productivity import ProductivityModel, quarter_keys
from .simulate import SeatParams, SimResult, simulate


def linear_ramp(months: int = 4) -> np.ndarray:
    """Shares by tenure month: 0, 1/m, ..., (m-1)/m (full from month m on)."""
    if months < 0:
        raise ValueError(f"ramp months must be >= 0, got {months}")
    return np.arange(months, dtype=float) / months if months else np.zeros(0)


@dataclass
class CapacityPlan:
    """Inputs of a capacity simulation.

    start : first month of the plan (``YYYY-MM`` or a date in it)
    months : horizon in months
    hiring : rows (month ``YYYY-MM``, segment, hires)
    attrition : monthly hazard, one number or per segment
    ramp : shares by tenure month for new hires (>= 0; 1 after the curve ends)
    shock : stress test, month (``YYYY-MM``) -> relative change of every seat's bookings
        that month (-0.15: 15% lower), on top of the shared quarter effect
    shared_effect : draw the shared quarter effect (False: seats independent given the
        parameters, the model before the shared effect; for comparison)
    """

    start: str
    months: int = 12
    hiring: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["month", "segment", "hires"])
    )
    attrition: float | dict[str, float] = 0.015
    ramp: np.ndarray = field(default_factory=lambda: linear_ramp(4))
    backfill_gap: int = 2
    shock: dict[str, float] | None = None
    shared_effect: bool = True

    def month_index(self) -> pd.PeriodIndex:
        return pd.period_range(pd.Period(self.start, freq="M"), periods=self.months, freq="M")

    def shock_path(self) -> np.ndarray | None:
        """The log change of each month from :attr:`shock` (None without one)."""
        if not self.shock:
            return None
        months = self.month_index()
        out = np.zeros(self.months)
        for month, change in self.shock.items():
            try:
                m = pd.Period(str(month), freq="M")
            except ValueError as e:
                raise ValueError(f"shock month {month!r} is not YYYY-MM") from e
            if m not in months:
                raise ValueError(
                    f"shock month {m} is outside the plan ({months[0]} to {months[-1]})"
                )
            if not (np.isfinite(float(change)) and float(change) > -1):
                raise ValueError(f"shock of {m} must be a relative change > -1, got {change}")
            out[months.get_loc(m)] = np.log1p(float(change))
        return out

    def validate(self, segments: list[str]) -> None:
        if self.months < 1:
            raise ValueError("months must be >= 1")
        self.shock_path()
        ramp = np.asarray(self.ramp, dtype=float)
        if (ramp < 0).any() or (ramp > 1).any():
            raise ValueError(f"ramp shares must be within [0, 1], got {ramp.tolist()}")
        rates = self.attrition.values() if isinstance(self.attrition, dict) else [self.attrition]
        for r in rates:
            if not 0 <= r < 1:
                raise ValueError(f"attrition is a monthly probability in [0, 1), got {r}")
        if len(self.hiring):
            h = self.hiring
            months = pd.PeriodIndex(h["month"].astype(str), freq="M")
            first = pd.Period(self.start, freq="M")
            if (months < first).any():
                bad = h.loc[months < first, "month"].astype(str).tolist()
                raise ValueError(
                    f"hiring plan months {bad} are before the plan starts ({first}): hires in the past"
                )
            if (h["hires"] < 0).any():
                raise ValueError("hires must be >= 0")
            unknown = set(h["segment"]) - set(segments)
            if unknown:
                raise ValueError(
                    f"hiring plan segments {sorted(unknown)} unknown; known: {segments}"
                )

    def hazard(self, segment: str) -> float:
        return (
            float(self.attrition.get(segment, 0.015))
            if isinstance(self.attrition, dict)
            else float(self.attrition)
        )


def build_seats(
    crm: CRM, model: ProductivityModel, plan: CapacityPlan
) -> tuple[pd.DataFrame, SeatParams]:
    """Seats = AEs in role at the plan start + planned hires, with their parameter draws."""
    draws = model.draws()
    segs = model.segments
    plan.validate(segs)
    first = pd.Period(plan.start, freq="M")
    start_ts = first.start_time
    reps = crm.active_reps(start_ts).dropna(subset=["hire_date"])  # tenure needs a hire date
    reps = reps[reps["segment"].isin(segs)]
    rows = []
    for r in reps.itertuples(index=False):
        tenure = (first - r.hire_date.to_period("M")).n
        rows.append(
            {
                "seat": r.id,
                "rep_id": r.id,
                "name": r.name,
                "segment": r.segment,
                "team": r.team,
                "start_month": 0,
                "tenure_at_start": tenure,
                "planned_hire": False,
            }
        )
    for h in plan.hiring.itertuples(index=False):
        m = (pd.Period(str(h.month), freq="M") - first).n
        for k in range(int(h.hires)):
            rows.append(
                {
                    "seat": f"HIRE-{h.segment}-{h.month}-{k + 1}",
                    "rep_id": None,
                    "name": "(planned hire)",
                    "segment": h.segment,
                    "team": None,
                    "start_month": m,
                    "tenure_at_start": -m,
                    "planned_hire": True,
                }
            )
    seats = pd.DataFrame(rows)
    R, M, D = len(seats), plan.months, draws["lam"].shape[0]
    seg_idx = np.array([segs.index(s) for s in seats["segment"]])
    rep_pos = {rid: i for i, rid in enumerate(model.stats["rep_id"])}
    lam = np.full((D, R), np.nan)
    for j, rid in enumerate(seats["rep_id"]):
        if rid in rep_pos:
            lam[:, j] = draws["lam"][:, rep_pos[rid]]
    curve = np.asarray(plan.ramp, dtype=float)
    ramp = np.zeros((R, M))
    for j, (t0, sm) in enumerate(zip(seats["tenure_at_start"], seats["start_month"], strict=True)):
        for m in range(sm, M):
            k = t0 + m
            ramp[j, m] = curve[k] if 0 <= k < len(curve) else (1.0 if k >= len(curve) else 0.0)
    params = SeatParams(
        lam=lam,
        shape=draws["shape"][:, seg_idx],
        pi=draws["pi"][:, seg_idx],
        mu_pop=draws["mu"][:, seg_idx],
        tau_pop=draws["tau"][:, seg_idx],
        ramp=ramp,
        ramp_curve=curve,
        hazard=np.array([plan.hazard(s) for s in seats["segment"]]),
        backfill_gap=plan.backfill_gap,
        **shared_inputs(model, plan, draws, seg_idx),
    )
    seats["known_productivity"] = ~np.isnan(lam[0])
    return seats, params


def shared_inputs(
    model: ProductivityModel, plan: CapacityPlan, draws: dict | None = None, seg_idx=None
) -> dict:
    """The shared part of the seats' months (see :mod:`.simulate`): each plan month's
    seasonality per draw, the quarter effect's scale, the fiscal quarter of each month counted
    from the plan's first, and the plan's shock."""
    draws = draws if draws is not None else model.draws()
    months = plan.month_index()
    keys = quarter_keys(months, model.fiscal_year_start_month)
    out = {"shock": plan.shock_path()}
    if "season" in draws:
        out["season"] = draws["season"][:, model.season_index(months)]
    if plan.shared_effect and "sd_period" in draws:
        out["sd_period"] = np.asarray(draws["sd_period"], dtype=float)
        out["quarter_of_month"] = keys - keys[0]
        if "sd_segment" in draws and seg_idx is not None:
            out["sd_segment"] = np.asarray(draws["sd_segment"], dtype=float)
            out["segment_of_seat"] = np.asarray(seg_idx, dtype=np.int64)
    return out


def quarter_periods(months: int) -> list[np.ndarray]:
    return [np.arange(q, min(q + 3, months)) for q in range(0, months, 3)]


@dataclass
class CapacityResult:
    seats: pd.DataFrame
    sim: SimResult
    months: pd.PeriodIndex
    target: np.ndarray  # per month
    ramp: np.ndarray  # (seats, months) ramp share of each seat's first occupant

    def _repr_html_(self) -> str:
        """A compact card for JupyterLab (:mod:`salesops_models.display`)."""
        from ..display import capacity_card

        return capacity_card(self)

    def to_xarray(self) -> xr.Dataset:
        """Monthly capacity (draw, month), seat bookings and whether the seat's first occupant
        stayed (draw, rep, period), the target (month). One draw is one scenario."""
        return xr.Dataset(
            {
                "capacity": ((DRAW, "month"), self.sim.monthly_total),
                "seat_bookings": ((DRAW, "rep", "period"), self.sim.seat_period),
                "stayed": ((DRAW, "rep", "period"), self.sim.stayed),
                "target": (("month",), self.target),
            },
            coords={
                DRAW: np.arange(self.sim.monthly_total.shape[0]),
                "month": self.months.astype(str),
                "rep": self.seats["seat"].to_numpy(),
                "period": [f"P{i + 1}" for i in range(len(self.sim.periods))],
            },
        )

    def total(self) -> np.ndarray:
        return self.sim.monthly_total.sum(axis=1)

    def year_effect(self) -> np.ndarray:
        """Each scenario's shared effect over the horizon as a multiplier of every seat's
        bookings: ``exp`` of the mean over months of the shared log effect, relative to the
        average scenario, times the plan's shock (1.08: a year 8% better for everyone; a
        -15% shock over half the year alone gives 0.92; 1 without a shared effect)."""
        shared = self.sim.shared
        if shared is None:
            return np.ones(self.sim.monthly_total.shape[0])
        shock = 0.0 if getattr(self.sim, "shock", None) is None else self.sim.shock.mean()
        return np.exp((shared - shared.mean(axis=0)).mean(axis=1) + shock)

    def summary(self) -> dict:
        tot = self.total()
        tgt = float(self.target.sum())
        gap = np.maximum(tgt - tot, 0)
        return {
            "target": tgt,
            **summarize(tot),
            "p_reach_target": p_at_least(tot, tgt),
            "expected_shortfall": float(gap.mean()),
        }

    def fan(self, qs=(0.1, 0.25, 0.5, 0.75, 0.9)) -> pd.DataFrame:
        cum = np.cumsum(self.sim.monthly_total, axis=1)
        out = pd.DataFrame(
            {label(q): np.quantile(cum, q, axis=0) for q in qs},
            index=self.months.astype(str),
        )
        out["target"] = np.cumsum(self.target)
        return out


def capacity(
    crm: CRM,
    model: ProductivityModel,
    plan: CapacityPlan,
    target: float,
    *,
    n_scenarios: int = 2000,
    seed: int = 0,
    seasonality: np.ndarray | None = None,
    workers: int = 2,
    progress: bool = False,
    scheduler=None,
    chunk: int | None = None,
) -> CapacityResult:
    """Simulate bookings capacity of the plan; ``target`` is the total over the horizon,
    spread over months by ``seasonality`` (default: equal).

    With ``scheduler`` (a Dask scheduler, :mod:`salesops_models.distributed`) or ``chunk``,
    the scenarios run in blocks of ``chunk`` (default
    :data:`~salesops_models.capacity.simulate.SCENARIO_CHUNK`), each with its own seed
    stream (:func:`~salesops_models.capacity.simulate.simulate_chunked`): the same seed and
    chunk give the same numbers here and on any number of workers."""
    seats, params = build_seats(crm, model, plan)
    months = pd.period_range(pd.Period(plan.start, freq="M"), periods=plan.months, freq="M")
    w = (
        np.ones(plan.months)
        if seasonality is None
        else np.asarray(seasonality, float)[months.month - 1]
    )
    periods = quarter_periods(plan.months) + [np.arange(plan.months)]
    if scheduler or chunk:
        from .simulate import SCENARIO_CHUNK, simulate_chunked

        sim = simulate_chunked(
            params,
            n_scenarios,
            seed,
            periods,
            chunk=chunk or SCENARIO_CHUNK,
            scheduler=scheduler,
            progress=progress,
        )
    else:
        sim = simulate(params, n_scenarios, seed, periods, workers=workers, progress=progress)
    return CapacityResult(seats, sim, months, target * w / w.sum(), params.ramp)


def hires_needed(
    crm: CRM,
    model: ProductivityModel,
    plan: CapacityPlan,
    target: float,
    segment: str,
    *,
    p_target: float = 0.8,
    hire_month: str | None = None,
    max_hires: int = 200,
    n_scenarios: int = 1000,
    seed: int = 0,
) -> pd.DataFrame:
    """Fewest extra hires (of ``segment``, starting ``hire_month``) that bring P(capacity >=
    target) to ``p_target``, found by bisection on common random numbers. Returns the search
    path (hires, probability)."""
    hire_month = hire_month or plan.start

    def prob(k: int) -> float:
        extra = pd.DataFrame([{"month": hire_month, "segment": segment, "hires": k}])
        p2 = replace(plan, hiring=pd.concat([plan.hiring, extra], ignore_index=True))
        return capacity(crm, model, p2, target, n_scenarios=n_scenarios, seed=seed).summary()[
            "p_reach_target"
        ]

    path = [(0, prob(0))]
    if path[0][1] >= p_target:
        return pd.DataFrame(path, columns=["hires", "p_reach_target"])
    lo, hi = 0, 1
    while True:
        ph = prob(hi)
        path.append((hi, ph))
        if ph >= p_target or hi >= max_hires:
            break
        lo, hi = hi, min(hi * 2, max_hires)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        pm_ = prob(mid)
        path.append((mid, pm_))
        if pm_ >= p_target:
            hi = mid
        else:
            lo = mid
    out = (
        pd.DataFrame(path, columns=["hires", "p_reach_target"])
        .drop_duplicates("hires")
        .sort_values("hires")
    )
    out.attrs["answer"] = hi if dict(path).get(hi, 0) >= p_target else None
    return out.reset_index(drop=True)


STRESS_GROUPS = ("bad year", "typical", "good year", "all scenarios")


def stress_table(result: CapacityResult, metrics: dict[str, np.ndarray], q: float = 0.1):
    """Named stress scenarios from one Monte Carlo: the **bad year** is the scenarios whose
    shared effect (:meth:`CapacityResult.year_effect`) is at or below its ``q`` quantile, the
    **good year** at or above its ``1 - q`` quantile, **typical** in between. For each, the
    mean shared multiplier and the mean of every metric (arrays per scenario: bookings,
    share of reps at quota, comp cost of a plan...), so cost, bookings and attainment are
    read on the same scenarios.

    Examples
    --------
    >>> import numpy as np, types
    >>> sim = types.SimpleNamespace(shared=np.log([[0.8], [1.0], [1.0], [1.25]]),
    ...                             monthly_total=np.ones((4, 1)))
    >>> res = CapacityResult(None, sim, None, None, None)
    >>> t = stress_table(res, {"bookings": np.array([8.0, 10, 10, 12.5])}, q=0.25)
    >>> float(t.loc["bad year", "bookings"]), float(t.loc["good year", "bookings"])
    (8.0, 12.5)
    """
    effect = result.year_effect()
    lo, hi = np.quantile(effect, [q, 1 - q])
    everything = np.ones(len(effect), dtype=bool)
    masks = (effect <= lo, (effect > lo) & (effect < hi), effect >= hi, everything)
    groups = dict(zip(STRESS_GROUPS, masks, strict=True))
    rows = [{"scenario": name} | _means(effect, sel, metrics) for name, sel in groups.items()]
    out = pd.DataFrame(rows).set_index("scenario")
    out.attrs["definition"] = (
        f"bad year: the {q:.0%} of scenarios with the lowest shared effect; good year: the "
        f"{q:.0%} with the highest; means over those scenarios"
    )
    return out


def _means(effect: np.ndarray, sel: np.ndarray, metrics: dict) -> dict:
    row = {"scenarios": int(sel.sum())}
    row["shared_multiplier"] = float(effect[sel].mean()) if sel.any() else np.nan
    for key, values in metrics.items():
        values = np.asarray(values, dtype=float)
        row[key] = float(values[sel].mean()) if sel.any() else np.nan
    return row


def stress_row(result: CapacityResult, metrics: dict[str, np.ndarray]) -> dict:
    """One more row for :func:`stress_table` from another run (e.g. a shocked plan): its
    scenarios, mean shared multiplier and the mean of every metric."""
    effect = result.year_effect()
    return _means(effect, np.ones(len(effect), dtype=bool), metrics)


def styled_stress(table: pd.DataFrame):
    """:func:`stress_table` for a report: shares and probabilities as percentages
    (columns starting ``share``/``reach``/``p_``), the multiplier to 2 decimals, amounts
    with thousands separators."""
    from ..exports import styled

    def fmt(col: str) -> str:
        if col.startswith(("share_at", "reach", "p_")):
            return "{:.0%}"
        return "{:.2f}" if col == "shared_multiplier" else "{:,.0f}"

    return styled(table).format({c: fmt(c) for c in table.columns})
