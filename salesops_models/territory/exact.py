"""Exact territory assignment on the planner's own terms (HiGHS MIP via ``highspy``).

The problem (the sales-territory alignment model of Zoltners & Sinha, as in the Pfizer Turkey
case): given accounts ``i`` and territories ``t`` with fixed centers,

.. math::

    \\min \\sum_{i,t} c_{it} x_{it} \\quad \\text{s.t.} \\quad \\sum_t x_{it} = 1 \\;\\forall i,
    \\qquad L_{mt} \\le \\sum_i v_{mi} x_{it} \\le U_{mt} \\;\\forall m, t,
    \\qquad x_{it} \\in \\{0, 1\\},

where ``c_it`` is the planner's distance (or drive time) from account ``i`` to territory
``t``'s center, optionally weighted per account, and every balance measure ``m`` (workload,
potential, account count, ...) has a hard band per territory. Accounts may be fixed to a
territory (center bricks, locks); pairs may be forbidden.

A second objective, **disruption**, is the weight (e.g. index value) of the accounts that
leave their current territory: ``sum_i r_i (1 - x_{i, cur(i)})``. :func:`solve` minimizes
distance, disruption, or a weighted sum, with optional epsilon constraints on either;
:func:`pareto_frontier` traces the exact distance-vs-disruption frontier by the
epsilon-constraint method (each point: min distance with disruption below the previous
point's, then min disruption at that distance, so every point is non-dominated).

Every solve is to proven optimality (within :data:`ABS_GAP` = 1e-7 of the dual bound in the
planner's units, and a relative 1e-9) unless the time limit stops it;
the result reports HiGHS's **dual bound of the same problem, in the planner's units**, and
the gap against it, plus the bound of the LP relaxation of the full assignment problem.
Bands are hard: a returned design satisfies every band (checked after rounding), and an
instance that cannot meet them raises :class:`~.design.InfeasibleTerritories` naming the
territory and band that fail (found by an elastic model that minimizes band violations). A
solver failure raises :class:`TerritorySolverError`, never an infeasibility message.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import InfeasibleTerritories, TerritorySolverError
from ..settings import deprecated_names

#: A solve is "optimal" when its objective is within this of HiGHS's dual bound, in the
#: objective's own units (km, index value, ...), and within a relative 1e-9.
ABS_GAP = 1e-7


@dataclass(frozen=True)
class BalanceBand:
    """A hard band on one balance measure: per-territory ``lower``/``upper`` (scalars apply
    to every territory). ``BalanceBand.relative(tol)`` builds the band ``mean_t x (1 +/- tol)`` with
    ``mean_t`` the measure's total shared by territory capacity (a part-time rep at 0.5
    gets half the band)."""

    lower: float | Sequence[float] | None = None
    upper: float | Sequence[float] | None = None
    tolerance: float | None = None

    @classmethod
    def relative(cls, tolerance: float) -> BalanceBand:
        return cls(tolerance=tolerance)

    def bounds(self, total: float, capacity: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        k = len(capacity)
        if self.tolerance is not None:
            mean = total * capacity / capacity.sum()
            return mean * (1 - self.tolerance), mean * (1 + self.tolerance)
        lo = (
            np.full(k, -np.inf)
            if self.lower is None
            else np.broadcast_to(np.asarray(self.lower, float), (k,)).copy()
        )
        hi = (
            np.full(k, np.inf)
            if self.upper is None
            else np.broadcast_to(np.asarray(self.upper, float), (k,)).copy()
        )
        return lo, hi


@dataclass
class TerritoryProblem:
    """An assignment instance: ``cost`` (n x k) is the objective's distance, ``measures``
    the balance measures (name -> values per account) with their ``bands``; ``current``
    (territory index per account, -1 for none) and ``disruption_weight`` define disruption;
    ``fixed`` maps account index -> territory index; ``allowed`` (n x k bool) may forbid
    pairs."""

    cost: np.ndarray
    measures: dict[str, np.ndarray]
    bands: dict[str, tuple[np.ndarray, np.ndarray]]
    account_ids: np.ndarray
    territory_ids: np.ndarray
    current: np.ndarray | None = None
    disruption_weight: np.ndarray | None = None
    fixed: dict[int, int] = field(default_factory=dict)
    allowed: np.ndarray | None = None
    unit: str = "km"

    @property
    def shape(self) -> tuple[int, int]:
        return self.cost.shape

    @classmethod
    def from_frame(
        cls,
        accounts: pd.DataFrame,
        territories: Sequence,
        distance,
        *,
        balance: Mapping[str, BalanceBand | tuple[float, float]],
        id_col: str = "id",
        current: str | None = None,
        disruption: str | None = None,
        fixed: Mapping | None = None,
        weight: str | None = None,
        capacity: Sequence[float] | None = None,
        unit: str = "km",
    ) -> TerritoryProblem:
        """Build an instance from an accounts table.

        ``distance`` is an (n x k) array or DataFrame in the accounts' and ``territories``'
        order (a DataFrame indexed by account id with territory columns is aligned by
        label); ``balance`` maps account columns to a :class:`BalanceBand` or an absolute
        ``(lower, upper)`` pair; ``current`` names the column of current territories
        (labels from ``territories``); ``disruption`` the column weighting a move (default
        1 per account); ``fixed`` maps account id -> territory label; ``weight`` a column
        multiplying each account's distance (potential-weighted compactness);
        ``capacity`` per territory scales relative bands.
        """
        terr = np.asarray(list(territories), dtype=object)
        if len(set(terr.tolist())) != len(terr):
            raise ValueError("territory labels must be unique")
        ids = accounts[id_col].to_numpy()
        if isinstance(distance, pd.DataFrame) and set(map(str, distance.columns)) >= set(
            map(str, terr)
        ):
            d = distance.copy()
            d.columns = d.columns.map(str)
            if (
                d.index.isin(ids).all()
                and len(d) == len(ids)
                and not d.index.equals(pd.RangeIndex(len(d)))
            ):
                d = d.reindex(ids)
            d = d[[str(t) for t in terr]].to_numpy(float)
        else:
            d = np.asarray(distance, dtype=np.float64)
        if d.shape != (len(ids), len(terr)):
            raise ValueError(
                f"distance has shape {d.shape}; expected (accounts, territories) = "
                f"({len(ids)}, {len(terr)})"
            )
        if not np.isfinite(d).all():
            raise ValueError("distance has missing or infinite entries (forbid pairs instead)")
        w = np.ones(len(ids)) if weight is None else accounts[weight].to_numpy(float)
        cost = d * w[:, None]
        cap = np.ones(len(terr)) if capacity is None else np.asarray(capacity, float)
        measures, bands = {}, {}
        for col, band in balance.items():
            v = accounts[col].to_numpy(float) if col in accounts else None
            if v is None:
                raise ValueError(f"balance measure {col!r} is not a column of the accounts")
            if not np.isfinite(v).all():
                raise ValueError(f"balance measure {col!r} has missing values")
            b = band if isinstance(band, BalanceBand) else BalanceBand(lower=band[0], upper=band[1])
            measures[col] = v
            bands[col] = b.bounds(v.sum(), cap)
        pos = {t: j for j, t in enumerate(terr.tolist())}
        cur = None
        if current is not None:
            labels = accounts[current]
            unknown = labels.notna() & ~labels.isin(list(pos))
            if unknown.any():
                raise ValueError(
                    f"{current}: territory {labels[unknown].iloc[0]!r} is not one of {list(terr)}"
                )
            cur = labels.map(lambda v: pos.get(v, -1)).fillna(-1).to_numpy(int)
        rw = None
        if disruption is not None:
            rw = accounts[disruption].to_numpy(float)
        acc_pos = {a: i for i, a in enumerate(ids.tolist())}
        fx = {}
        for a, t in (fixed or {}).items():
            if a not in acc_pos:
                raise ValueError(f"fixed account {a!r} is not among the accounts")
            if t not in pos:
                raise ValueError(f"fixed territory {t!r} is not one of {list(terr)}")
            fx[acc_pos[a]] = pos[t]
        return cls(cost, measures, bands, ids, terr, cur, rw, fx, None, unit)

    def disruption_costs(self) -> np.ndarray:
        """(n x k) cost of putting account i in territory t: its weight unless t is current."""
        if self.current is None:
            raise ValueError("disruption needs the current assignment (current=...)")
        n, k = self.shape
        r = np.ones(n) if self.disruption_weight is None else self.disruption_weight
        out = np.repeat(r[:, None], k, axis=1)
        has = self.current >= 0
        out[np.flatnonzero(has), self.current[has]] = 0.0
        return out

    def evaluate(self, assign: np.ndarray) -> dict:
        """Distance, disruption and the loads of every measure of an assignment."""
        n = self.shape[0]
        out = {"distance": float(self.cost[np.arange(n), assign].sum())}
        if self.current is not None:
            out["disruption"] = float(self.disruption_costs()[np.arange(n), assign].sum())
        k = self.shape[1]
        for m, v in self.measures.items():
            out[f"load_{m}"] = np.bincount(assign, weights=v, minlength=k)
        return out

    def violations(self, assign: np.ndarray, tol: float = 1e-9) -> list[str]:
        """Human-readable band violations of an assignment (empty when all bands hold)."""
        k = self.shape[1]
        out = []
        for m, v in self.measures.items():
            load = np.bincount(assign, weights=v, minlength=k)
            lo, hi = self.bands[m]
            for t in range(k):
                if load[t] < lo[t] - tol or load[t] > hi[t] + tol:
                    out.append(
                        f"territory {self.territory_ids[t]}: {m} {load[t]:.6g} outside "
                        f"[{lo[t]:.6g}, {hi[t]:.6g}]"
                    )
        for i, t in self.fixed.items():
            if assign[i] != t:
                out.append(f"account {self.account_ids[i]} must stay in {self.territory_ids[t]}")
        return out


@dataclass
class Solution:
    """One solved assignment with its proof: ``status`` ("optimal" or "time limit"),
    ``bound`` (HiGHS's dual bound of the objective), ``lp_bound`` (LP relaxation of the
    full problem) and ``gap`` (objective / bound - 1, 0 when proven optimal)."""

    problem: TerritoryProblem
    assign: np.ndarray
    objective: float
    bound: float
    lp_bound: float
    status: str
    seconds: float
    distance: float
    disruption: float | None
    loads: dict[str, np.ndarray]

    @property
    def gap(self) -> float:
        if self.bound <= 0:
            return 0.0 if self.objective <= 1e-12 else np.inf
        return max(0.0, self.objective / self.bound - 1)

    @property
    def assignment(self) -> pd.Series:
        p = self.problem
        return pd.Series(p.territory_ids[self.assign], index=p.account_ids, name="territory")

    @property
    def moves(self) -> pd.DataFrame:
        """Accounts that leave their current territory, with their disruption weight."""
        p = self.problem
        if p.current is None:
            return pd.DataFrame(columns=["account_id", "from", "to", "weight"])
        moved = np.flatnonzero((p.current >= 0) & (self.assign != p.current))
        r = np.ones(len(p.account_ids)) if p.disruption_weight is None else p.disruption_weight
        return pd.DataFrame(
            {
                "account_id": p.account_ids[moved],
                "from": p.territory_ids[p.current[moved]],
                "to": p.territory_ids[self.assign[moved]],
                "weight": r[moved],
            }
        )

    def summary(self) -> dict:
        p = self.problem
        out = {
            "status": self.status,
            f"distance ({p.unit})": self.distance,
            "disruption": self.disruption,
            "objective": self.objective,
            "bound": self.bound,
            "gap": self.gap,
            "lp_bound": self.lp_bound,
            "moves": len(self.moves),
            "seconds": self.seconds,
        }
        return out


# --- the MIP ---------------------------------------------------------------------------------
_BANNER_SHOWN = False


def new_highs():
    """A silent HiGHS instance. HiGHS prints its licence banner to the process's stdout on the
    first instance; that one is built with file descriptor 1 pointed at /dev/null, so no
    banner lands in a terminal or a report."""
    global _BANNER_SHOWN
    import os
    import sys

    import highspy

    if _BANNER_SHOWN:
        h = highspy.Highs()
    else:
        sys.stdout.flush()
        saved = os.dup(1)
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, 1)
            h = highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
            os.close(devnull)
        _BANNER_SHOWN = True
    h.setOptionValue("output_flag", False)
    return h


def _highs():
    import highspy

    h = new_highs()
    # the thread count is left at HiGHS's default: changing it between solves in one process
    # breaks HiGHS's shared scheduler (every later solve fails)
    return h, highspy


def _build(
    h,
    highspy,
    prob: TerritoryProblem,
    obj: np.ndarray,
    extra_rows: list[tuple[np.ndarray, float, float]],
    integer: bool,
    elastic: bool = False,
):
    """Columns x_it (allowed pairs only), then (elastic) slack columns; rows: one per account,
    two-sided band rows per measure and territory, extra epsilon rows over the pairs."""
    n, k = prob.shape
    allowed = np.ones((n, k), bool) if prob.allowed is None else prob.allowed.copy()
    for i, t in prob.fixed.items():
        allowed[i] = False
        allowed[i, t] = True
    empty = np.flatnonzero(~allowed.any(axis=1))
    if len(empty):
        raise InfeasibleTerritories(
            f"account {prob.account_ids[empty[0]]} has no territory it may join"
        )
    ii, tt = np.nonzero(allowed)
    m = len(ii)
    names = list(prob.measures)
    n_rows = n + len(names) * k + len(extra_rows)
    rows_per_col = 1 + len(names) + len(extra_rows)
    idx = np.empty((m, rows_per_col), dtype=np.int32)
    val = np.empty((m, rows_per_col))
    # rows are scaled (each measure by its mean, each epsilon row by its largest coefficient)
    # so HiGHS's tolerances mean the same on potentials in millions and index values near 1
    mscale = [_scale(prob.measures[name]) for name in names]
    escale = [_scale(coef) for coef, _, _ in extra_rows]
    idx[:, 0], val[:, 0] = ii, 1.0
    for j, name in enumerate(names):
        idx[:, 1 + j] = n + j * k + tt
        val[:, 1 + j] = prob.measures[name][ii] / mscale[j]
    for e, (coef, _, _) in enumerate(extra_rows):
        idx[:, 1 + len(names) + e] = n + len(names) * k + e
        val[:, 1 + len(names) + e] = coef[ii, tt] / escale[e]
    starts = np.arange(0, m * rows_per_col + 1, rows_per_col, dtype=np.int32)
    indices, values = idx.ravel(), val.ravel()
    oscale = _scale(obj)
    costs = obj[ii, tt].astype(np.float64) / oscale
    col_lo, col_hi = np.zeros(m), np.ones(m)
    rl = [np.ones(n)]
    ru = [np.ones(n)]
    for j, name in enumerate(names):
        lo, hi = prob.bands[name]
        rl.append(np.where(np.isfinite(lo), lo / mscale[j], -highspy.kHighsInf))
        ru.append(np.where(np.isfinite(hi), hi / mscale[j], highspy.kHighsInf))
    for e, (_, lo, hi) in enumerate(extra_rows):
        rl.append(np.array([lo / escale[e] if np.isfinite(lo) else -highspy.kHighsInf]))
        ru.append(np.array([hi / escale[e] if np.isfinite(hi) else highspy.kHighsInf]))
    row_lo, row_hi = np.concatenate(rl), np.concatenate(ru)
    if elastic:  # slack below (+1) and above (-1) on every band row, cost 1 each
        band_rows = np.arange(n, n + len(names) * k)
        nb = len(band_rows)
        s_starts = starts[-1] + np.arange(1, 2 * nb + 1, dtype=np.int32)
        starts = np.concatenate([starts, s_starts])
        indices = np.concatenate([indices, np.repeat(band_rows, 2).astype(np.int32)])
        values = np.concatenate([values, np.tile([1.0, -1.0], nb)])
        costs = np.concatenate([np.zeros(m), np.ones(2 * nb)])
        col_lo = np.concatenate([col_lo, np.zeros(2 * nb)])
        col_hi = np.concatenate([col_hi, np.full(2 * nb, highspy.kHighsInf)])
    lp = highspy.HighsLp()
    lp.num_col_ = len(costs)
    lp.num_row_ = n_rows
    lp.col_cost_ = costs
    lp.col_lower_ = col_lo
    lp.col_upper_ = col_hi
    lp.row_lower_ = row_lo
    lp.row_upper_ = row_hi
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = starts
    lp.a_matrix_.index_ = indices
    lp.a_matrix_.value_ = values
    if integer:
        integrality = [highspy.HighsVarType.kInteger] * m + [highspy.HighsVarType.kContinuous] * (
            len(costs) - m
        )
        lp.integrality_ = integrality
    status = h.passModel(lp)
    if status == highspy.HighsStatus.kError:
        raise TerritorySolverError("HiGHS rejected the model (passModel returned an error)")
    return ii, tt, oscale, mscale


def _scale(v) -> float:
    a = np.abs(np.asarray(v, float))
    a = a[np.isfinite(a) & (a > 0)]
    return float(a.max()) if len(a) else 1.0


def _run(h, highspy) -> str:
    status = h.run()
    model = h.getModelStatus()
    text = h.modelStatusToString(model)
    if status == highspy.HighsStatus.kError and model not in (
        highspy.HighsModelStatus.kInfeasible,
    ):
        raise TerritorySolverError(f"HiGHS failed to solve the model (status: {text})")
    return text


def _explain_infeasible(prob: TerritoryProblem, extra_rows, time_limit: float) -> str:
    """Which territory and band cannot be met: minimize total band violation (elastic MIP)."""
    h, highspy = _highs()
    h.setOptionValue("time_limit", float(time_limit))
    n, k = prob.shape
    try:
        ii, _, _, mscale = _build(
            h, highspy, prob, np.zeros((n, k)), extra_rows, True, elastic=True
        )
    except InfeasibleTerritories as exc:
        return str(exc)
    text = _run(h, highspy)
    if text not in ("Optimal", "Time limit reached") or not h.getInfo().primal_solution_status:
        return f"the accounts, fixed assignments and limits admit no assignment ({text})"
    col = np.asarray(h.getSolution().col_value)[len(ii) :]
    names = list(prob.measures)
    parts = []
    for r in range(len(names) * k):
        below, above = col[2 * r] * mscale[r // k], col[2 * r + 1] * mscale[r // k]
        if below > 1e-7 or above > 1e-7:
            name, t = names[r // k], r % k
            lo, hi = prob.bands[name]
            if below > 1e-7:
                parts.append(
                    f"territory {prob.territory_ids[t]} cannot reach {name} >= {lo[t]:.6g} "
                    f"(short by {below:.4g})"
                )
            else:
                parts.append(
                    f"territory {prob.territory_ids[t]} cannot stay within {name} <= {hi[t]:.6g} "
                    f"(over by {above:.4g})"
                )
    if not parts:
        return (
            "the bands can be met, but not together with the epsilon limit on the other objective"
        )
    return "; ".join(parts[:5])


def _lp_bound(prob: TerritoryProblem, obj: np.ndarray, extra_rows) -> float:
    h, highspy = _highs()
    _, _, oscale, _ = _build(h, highspy, prob, obj, extra_rows, integer=False)
    text = _run(h, highspy)
    if text != "Optimal":
        return np.nan
    return float(h.getInfo().objective_function_value) * oscale


def solve(
    prob: TerritoryProblem,
    *,
    objective: str = "distance",
    alpha: float = 0.5,
    max_distance: float | None = None,
    max_disruption: float | None = None,
    time_limit: float = 60.0,
    lp_bound: bool = True,
    rel_gap: float = 1e-9,
    start: np.ndarray | None = None,
    scales: tuple[float, float] | None = None,
) -> Solution:
    """Solve the assignment exactly (see the module docstring).

    ``objective``: ``"distance"``, ``"disruption"`` or ``"weighted"`` (``alpha x distance /
    D0 + (1 - alpha) x disruption / R0``; ``scales=(D0, R0)``, by default the current
    assignment's distance and the mean disruption weight of an account).
    ``max_distance`` / ``max_disruption`` add epsilon constraints. ``rel_gap`` is the
    relative gap at which HiGHS may stop and call the result optimal (default 1e-9: exact;
    large instances may accept 1e-4, and the gap is reported either way). ``start`` (a
    territory index per account) gives HiGHS a feasible assignment to start from. Raises
    :class:`InfeasibleTerritories` (naming the territory and band) or
    :class:`TerritorySolverError`.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> acc = pd.DataFrame({"id": list("abcd"), "w": [1.0, 1, 1, 1], "cur": ["X", "X", "X", "Y"]})
    >>> d = np.array([[0, 5], [1, 4], [2, 3], [5, 0]], float)
    >>> prob = TerritoryProblem.from_frame(acc, ["X", "Y"], d, balance={"w": (2, 2)}, current="cur")
    >>> s = solve(prob)
    >>> s.distance, s.assignment.tolist(), s.status
    (4.0, ['X', 'X', 'Y', 'Y'], 'optimal')
    """
    import time

    t0 = time.perf_counter()
    n, k = prob.shape
    if objective == "distance":
        obj = prob.cost
    elif objective == "disruption":
        obj = prob.disruption_costs()
    elif objective == "weighted":
        dc = prob.disruption_costs()
        if scales is not None:
            d0, r0 = scales
        else:
            base = prob.evaluate(np.where(prob.current >= 0, prob.current, 0))
            d0 = base["distance"] or 1.0
            r0 = dc.sum(axis=1).mean() or 1.0
        obj = alpha * prob.cost / d0 + (1 - alpha) * dc / max(r0, 1e-12)
    else:
        raise ValueError(f"objective must be distance, disruption or weighted, got {objective!r}")
    extra = []
    if max_distance is not None:
        extra.append((prob.cost, -np.inf, float(max_distance)))
    if max_disruption is not None:
        extra.append((prob.disruption_costs(), -np.inf, float(max_disruption)))
    h, highspy = _highs()
    h.setOptionValue("time_limit", float(time_limit))
    h.setOptionValue("mip_rel_gap", float(rel_gap))
    # tight feasibility, so epsilon constraints 1e-6 apart are told apart
    h.setOptionValue("mip_feasibility_tolerance", 1e-9)
    h.setOptionValue("primal_feasibility_tolerance", 1e-9)
    ii, tt, oscale, _ = _build(h, highspy, prob, obj, extra, integer=True)
    # proven optimal = within ABS_GAP of the dual bound, in the planner's own units
    h.setOptionValue("mip_abs_gap", ABS_GAP / oscale)
    if start is not None:
        warm = highspy.HighsSolution()
        warm.col_value = (tt == np.asarray(start)[ii]).astype(float).tolist()
        warm.value_valid = True
        h.setSolution(warm)
    text = _run(h, highspy)
    info = h.getInfo()
    if text == "Infeasible":
        raise InfeasibleTerritories(
            "no assignment meets every band: " + _explain_infeasible(prob, extra, time_limit)
        )
    has_solution = info.primal_solution_status >= 2  # kSolutionStatusFeasible
    if text not in ("Optimal", "Time limit reached") or not has_solution:
        if text == "Time limit reached":
            raise TerritorySolverError(
                f"HiGHS found no feasible assignment within the time limit ({time_limit:g} s)"
            )
        raise TerritorySolverError(f"HiGHS ended with status {text!r}")
    x = np.asarray(h.getSolution().col_value)[: len(ii)]
    chosen = x > 0.5
    assign = np.full(n, -1)
    assign[ii[chosen]] = tt[chosen]
    if (assign < 0).any():
        raise TerritorySolverError("HiGHS returned a solution that leaves accounts unassigned")
    bad = prob.violations(assign, tol=1e-7)
    if bad:
        raise TerritorySolverError("HiGHS's solution breaks a band after rounding: " + bad[0])
    objective_value = float(obj[np.arange(n), assign].sum())
    bound = float(info.mip_dual_bound) * oscale
    if not np.isfinite(bound):
        bound = -np.inf
    ev = prob.evaluate(assign)
    return Solution(
        problem=prob,
        assign=assign,
        objective=objective_value,
        bound=min(bound, objective_value),
        lp_bound=_lp_bound(prob, obj, extra) if lp_bound else np.nan,
        status="optimal" if text == "Optimal" else "time limit",
        seconds=time.perf_counter() - t0,
        distance=ev["distance"],
        disruption=ev.get("disruption"),
        loads={m: ev[f"load_{m}"] for m in prob.measures},
    )


#: the former name, served for one release with a FutureWarning
__getattr__ = deprecated_names(
    "salesops_models.territory.exact", {"Band": "BalanceBand"}, globals()
)


__all__ = [
    "BalanceBand",
    "Solution",
    "TerritoryProblem",
    "TerritorySolverError",
    "solve",
]
