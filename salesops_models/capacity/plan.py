"""Capacity planning: who is in seat, who is hired, how they ramp and leave, and the Monte
Carlo distribution of bookings capacity against a target.

Conventions: a new hire's productivity share in tenure month k follows the ramp curve (a
linear 0, 25, 50, 75% over 4 months, then 100%, by default; typical ramps are 3-6 months);
attrition is a monthly hazard (0.015/month is about 17%/year, a common AE benchmark), per
segment if given; a departed rep's seat is backfilled after ``backfill_gap`` months. A
leaver's deals already in flight still close over the following months
(:func:`pipeline_carry`), both for the AEs who leave during the plan and for those who left
before it starts: the team's bookings count them; no seat, quota or attainment does.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import xarray as xr

from ..crm import CRM
from ..draws import DRAW, label, p_at_least, summarize
from ..settings import renamed_parameters
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


def _ramp_share(curve, tenure: int | None) -> float:
    """Share of full productivity in tenure month ``tenure`` (0 before the start, 1 after
    the curve; an unknown tenure counts as ramped)."""
    if tenure is None or tenure >= len(curve):
        return 1.0
    return float(curve[tenure]) if tenure >= 0 else 0.0


def pipeline_carry(
    crm: CRM, as_of, segments: list[str], months: int = 12, history_months: int = 24
) -> dict[str, np.ndarray]:
    """Share of a departed rep's monthly bookings that still closes ``j`` months after the
    first month without them (``j = 0, 1, ...``), per segment.

    Renewal argument: in steady state a rep's bookings in a month come from deals created
    over the cycle lengths before it. After the rep leaves nothing new is created, so a
    month ``j + 1/2`` months after the departure (on average) still receives the deals whose
    created-to-close cycle is longer than that: ``carry[j]`` = the value-weighted share of won
    deals with cycle > ``(j + 1/2)`` months, measured on the segment's deals won in the
    ``history_months`` before ``as_of``. In the CRM those deals stay with the leaver or move
    to a colleague; either way they are the team's bookings (the sample org: two Enterprise
    reps who left in Aug and Oct 2025 booked $2.3M of the team's $19.4M in 2026-Q1). It
    assumes the deals keep their win rate after the owner leaves; where a CRM shows orphaned
    deals lost more often, the curve is an upper bound.

    Examples
    --------
    >>> from salesops_models.synthetic import generate_org
    >>> crm = generate_org(n_reps=12, years=2, seed=1).crm
    >>> carry = pipeline_carry(crm, crm.data_end, ["SMB", "Enterprise"], months=6)
    >>> carry["SMB"].round(2).tolist()                # SMB cycles: about a month
    [1.0, 0.75, 0.06, 0.0, 0.0, 0.0]
    >>> carry["Enterprise"].round(2).tolist()         # Enterprise: five months and more
    [1.0, 1.0, 1.0, 1.0, 0.91, 0.32]
    """
    as_of = pd.Timestamp(as_of)
    o = crm.opportunities
    seg_of = crm.reps.set_index("id")["segment"]
    won = o[
        o["is_won"]
        & o["close_date"].notna()
        & o["created_date"].notna()
        & (o["close_date"] <= as_of)
        & (o["close_date"] > as_of - pd.DateOffset(months=history_months))
    ]
    days = (won["close_date"] - won["created_date"]).dt.days.clip(lower=0).to_numpy(float)
    value = won["amount"].fillna(0.0).clip(lower=0.0).to_numpy(float)
    seg = won["owner_rep_id"].map(seg_of).to_numpy()
    edges = (np.arange(months) + 0.5) * 30.4375
    out = {}
    for g in segments:
        sel = seg == g
        total = value[sel].sum()
        if total <= 0:
            out[g] = np.zeros(months)
            continue
        out[g] = np.array([value[sel & (days > e)].sum() / total for e in edges])
    return out


def build_seats(
    crm: CRM, model: ProductivityModel, plan: CapacityPlan, *, departed: bool = False
) -> tuple[pd.DataFrame, SeatParams]:
    """The plan's seats (the AEs in seat on its first day, then its planned hires) and
    their :class:`SeatParams`. With ``departed``, the AEs who left in the months before the
    plan (as far back as their pipeline still closes: :func:`pipeline_carry`) come last, as
    seats whose only bookings are those deals (``seats["departed"]``; their ramp is the
    carry curve, they do not leave again); :func:`capacity` counts them in the team's
    bookings and leaves them out of every per-seat result."""
    draws = model.draws()
    segs = model.segments
    plan.validate(segs)
    first = pd.Period(plan.start, freq="M")
    start_ts = first.start_time
    reps = crm.active_reps(start_ts).dropna(subset=["hire_date"])  # tenure needs a hire date
    reps = reps[reps["segment"].isin(segs)]
    rows, leavers = [], []
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
    # long enough for a leaver of up to two years ago through the end of the horizon
    carry = pipeline_carry(crm, start_ts - pd.Timedelta(days=1), segs, months=plan.months + 24)
    if departed:
        # the first month without a leaver: the month after their last day
        gone = crm.reps[
            (crm.reps["role"] == "AE")
            & crm.reps["termination_date"].notna()
            & (crm.reps["termination_date"] < start_ts)
            & crm.reps["segment"].isin(segs)
        ]
        for r in gone.itertuples(index=False):
            since = (first - (r.termination_date.to_period("M") + 1)).n  # months since
            if carry[r.segment][since : since + plan.months].sum() > 0:
                leavers.append((r, since))
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
    for r, since in leavers:
        rows.append(
            {
                "seat": f"LEFT-{r.id}",
                "rep_id": r.id,
                "name": r.name,
                "segment": r.segment,
                "team": r.team,
                "start_month": 0,
                "tenure_at_start": np.nan,
                "planned_hire": False,
                "departed": True,
                "months_since_leaving": since,
                # a leaver still ramping had a smaller pipeline: their ramp share when leaving
                "ramp_at_leaving": _ramp_share(
                    plan.ramp,
                    (r.termination_date.to_period("M") - r.hire_date.to_period("M")).n
                    if pd.notna(r.hire_date)
                    else None,
                ),
            }
        )
    seats = pd.DataFrame(rows)
    seats["departed"] = seats["departed"].eq(True) if "departed" in seats else False
    gone_at = seats.get("months_since_leaving")
    R, M, D = len(seats), plan.months, draws["lam"].shape[0]
    seg_idx = np.array([segs.index(s) for s in seats["segment"]])
    rep_pos = {rid: i for i, rid in enumerate(model.stats["rep_id"])}
    lam = np.full((D, R), np.nan)
    pi_segment = draws["pi"][:, seg_idx]
    pi = pi_segment.copy()  # a rep the model knows: its own share of months without bookings
    for j, rid in enumerate(seats["rep_id"]):
        if rid in rep_pos:
            lam[:, j] = draws["lam"][:, rep_pos[rid]]
            if "pi_rep" in draws:
                pi[:, j] = draws["pi_rep"][:, rep_pos[rid]]
    curve = np.asarray(plan.ramp, dtype=float)
    ramp = np.zeros((R, M))
    live = ~seats["departed"].to_numpy()
    for j, (t0, sm) in enumerate(zip(seats["tenure_at_start"], seats["start_month"], strict=True)):
        if not live[j]:  # a leaver's deals in flight: the carry curve from their departure
            c = carry[seats["segment"].iat[j]] * seats["ramp_at_leaving"].iat[j]
            since = int(gone_at.iat[j])
            ramp[j, :] = [c[since + m] if since + m < len(c) else 0.0 for m in range(M)]
            continue
        for m in range(sm, M):
            ramp[j, m] = _ramp_share(curve, int(t0) + m)
    hazard = np.array([plan.hazard(s) for s in seats["segment"]])
    hazard[~live] = 0.0  # a leaver's seat does not leave again
    params = SeatParams(
        lam=lam,
        shape=draws["shape"][:, seg_idx],
        pi=pi,
        pi_backfill=pi_segment,
        mu_pop=draws["mu"][:, seg_idx],
        tau_pop=draws["tau"][:, seg_idx],
        ramp=ramp,
        ramp_curve=curve,
        hazard=hazard,
        backfill_gap=plan.backfill_gap,
        carry=np.array(  # a leaver's seat does not leave again: nothing more to carry
            [carry[g] * ok for g, ok in zip(seats["segment"], live, strict=True)]
        ).reshape(R, plan.months + 24),
        **shared_inputs(model, plan, draws, seg_idx),
    )
    seats["known_productivity"] = ~np.isnan(lam[0])
    if not departed:
        seats = seats.drop(columns=["departed"])
    return seats, params


def shared_inputs(
    model: ProductivityModel, plan: CapacityPlan, draws: dict | None = None, seg_idx=None
) -> dict:
    """The shared part of the seats' months (see :mod:`.simulate`): each plan month's
    seasonality per draw, the quarter effect's scale, the fiscal quarter of each month counted
    from the plan's first, the plan's shock, and the hurdle's loading on the shared effect."""
    draws = draws if draws is not None else model.draws()
    months = plan.month_index()
    keys = quarter_keys(months, model.fiscal_year_start_month)
    out = {"shock": plan.shock_path()}
    if "season" in draws:
        out["season"] = draws["season"][:, model.season_index(months)]
    if "booked_loading" in draws:  # the hurdle moves with the season and the quarter effect
        out["booked_loading"] = np.asarray(draws["booked_loading"], dtype=float)
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
    #: (scenarios,) bookings over the horizon from the deals in flight of AEs who left before
    #: the plan (:func:`pipeline_carry`; in ``sim.monthly_total``, not in any seat)
    carried: np.ndarray | None = None

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
        out = {
            "target": tgt,
            **summarize(tot),
            "p_reach_target": p_at_least(tot, tgt),
            "expected_shortfall": float(gap.mean()),
        }
        if self.carried is not None:  # part of the total: deals of AEs who already left
            out["carried_from_leavers"] = float(self.carried.mean())
        return out

    def fan(self, qs=(0.1, 0.25, 0.5, 0.75, 0.9)) -> pd.DataFrame:
        cum = np.cumsum(self.sim.monthly_total, axis=1)
        out = pd.DataFrame(
            {label(q): np.quantile(cum, q, axis=0) for q in qs},
            index=self.months.astype(str),
        )
        out["target"] = np.cumsum(self.target)
        return out


@renamed_parameters(n_scenarios="draws")
def capacity(
    crm: CRM,
    model: ProductivityModel,
    plan: CapacityPlan,
    target: float,
    *,
    draws: int = 2000,
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
    seats, params = build_seats(crm, model, plan, departed=True)
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
            draws,
            seed,
            periods,
            chunk=chunk or SCENARIO_CHUNK,
            scheduler=scheduler,
            progress=progress,
        )
    else:
        sim = simulate(params, draws, seed, periods, workers=workers, progress=progress)
    # the leavers' deals in flight count in the team's bookings (monthly_total), not as seats
    live = ~seats["departed"].to_numpy()
    carried = sim.seat_period[:, ~live, -1].sum(axis=1) if (~live).any() else None
    n_live = int(live.sum())  # leavers come last
    sim = replace(sim, seat_period=sim.seat_period[:, :n_live], stayed=sim.stayed[:, :n_live])
    seats = seats[live].drop(
        columns=["departed", "months_since_leaving", "ramp_at_leaving"], errors="ignore"
    )
    seats = seats.astype({"tenure_at_start": np.int64})
    return CapacityResult(seats, sim, months, target * w / w.sum(), params.ramp[:n_live], carried)


@renamed_parameters(n_scenarios="draws")
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
    draws: int = 1000,
    seed: int = 0,
) -> pd.DataFrame:
    """Fewest extra hires (of ``segment``, starting ``hire_month``) that bring P(capacity >=
    target) to ``p_target``, found by bisection on common random numbers. Returns the search
    path (hires, probability)."""
    hire_month = hire_month or plan.start

    def prob(k: int) -> float:
        extra = pd.DataFrame([{"month": hire_month, "segment": segment, "hires": k}])
        p2 = replace(plan, hiring=pd.concat([plan.hiring, extra], ignore_index=True))
        return capacity(crm, model, p2, target, draws=draws, seed=seed).summary()["p_reach_target"]

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
