"""Territory design and rebalancing: balanced, compact account assignments.

Problem (a capacitated k-median): assign every account i to one of k territories so that each
territory's potential lies within ``(1 +/- tolerance) x`` the mean (and optionally its
workload within its own tolerance), minimizing the potential-weighted distance from accounts
to their territory center, ``sum_i potential_i x distance(i, center_t(i))`` (compactness).

Method: Lloyd-style alternation. For fixed centers the balanced assignment is solved as a
linear program with HiGHS (``highspy``) over each account's nearest ``candidates`` centers
(plus its locked or current territory), widening the candidate set (x2, then all) only when
that is infeasible; the few accounts the LP splits are rounded to their largest share and a
greedy repair restores the potential bounds (workload bounds hold up to that rounding).
Centers then move to the potential-weighted mean of their accounts (unless fixed, e.g. at
reps' homes), until compactness improves by less than 0.5%.

Lower bound: for the final centers, the LP's duals ``y`` give a Lagrangian bound over *all*
candidate centers, ``sum_i min_t potential_i (d_it - y_t) + sum_t (y_t L_t if y_t > 0 else
y_t U_t)``, valid for any ``y``; the gap between the design's compactness and it shows how far
from the best possible (for these centers) the design can be.

Rebalancing keeps the current assignment as the starting point and minimizes the weight of
the accounts moved (open pipeline and relationship age make an account costly to move),
with distance only as a tie-breaker, subject to the same balance bounds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import InfeasibleTerritories, TerritoryInputError
from . import exact as _exact
from .exact import BalanceBand, TerritoryProblem, TerritorySolverError, solve

EARTH_KM = 6371.0


def unit_vectors(lat, lon) -> np.ndarray:
    la, lo = np.radians(np.asarray(lat, float)), np.radians(np.asarray(lon, float))
    return np.column_stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])


def distance_km(xyz_a: np.ndarray, xyz_b: np.ndarray, chunk: int = 4096) -> np.ndarray:
    """Great-circle distances (km, float64) between every row of ``a`` and of ``b`` (unit
    vectors): ``2 R asin(|a - b| / 2)`` from the chord, which stays exact for nearby points
    (the ``arccos`` of a dot product loses them) and is 0 for a point and itself. Rows are
    processed in chunks to bound memory."""
    a = np.asarray(xyz_a, dtype=np.float64)
    b = np.asarray(xyz_b, dtype=np.float64)
    out = np.empty((len(a), len(b)), dtype=np.float64)
    for s in range(0, len(a), chunk):
        diff = a[s : s + chunk, None, :] - b[None, :, :]
        chord = np.sqrt(np.einsum("ijk,ijk->ij", diff, diff))
        out[s : s + chunk] = 2 * EARTH_KM * np.arcsin(np.clip(chord / 2, 0.0, 1.0))
    return out


def planar_distance(xy_a, xy_b) -> np.ndarray:
    """Euclidean distances between every row of ``a`` and of ``b`` (planar coordinates, e.g.
    projected km or the unit square of the Pfizer 100x10 instance)."""
    a = np.asarray(xy_a, dtype=np.float64)
    b = np.asarray(xy_b, dtype=np.float64)
    return np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=2))


def weighted_centers(
    xyz: np.ndarray,
    weights: np.ndarray,
    assign: np.ndarray,
    k: int,
    fallback: np.ndarray | None = None,
) -> np.ndarray:
    """Unit vector of each territory's weighted mean location; a territory with no weight
    keeps ``fallback`` (or the plain mean of its accounts)."""
    c = np.zeros((k, 3))
    np.add.at(c, assign, xyz * np.asarray(weights, float)[:, None])
    empty = np.linalg.norm(c, axis=1) == 0
    if empty.any():
        if fallback is not None:
            c[empty] = fallback[empty]
        else:
            plain = np.zeros((k, 3))
            np.add.at(plain, assign, xyz)
            c[empty] = plain[empty]
    return c / np.linalg.norm(c, axis=1, keepdims=True)


def to_latlon(xyz: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    v = xyz / np.linalg.norm(xyz, axis=1, keepdims=True)
    return np.degrees(np.arcsin(v[:, 2])), np.degrees(np.arctan2(v[:, 1], v[:, 0]))


@dataclass
class Design:
    """An assignment of accounts to territories with its diagnostics."""

    accounts: pd.DataFrame  # input accounts + column ``territory``
    centers: pd.DataFrame  # territory, lat, lon
    compactness: float  # sum potential x km
    lower_bound: float  # Lagrangian bound for these centers
    iterations: list[dict] = field(default_factory=list)
    moves: pd.DataFrame | None = None
    status: str = "heuristic"
    bound_kind: str = "Lagrangian bound for these centers"
    solution: object | None = None

    def _repr_html_(self) -> str:
        """A compact card for JupyterLab (:mod:`salesops_models.display`)."""
        from ..display import design_card

        return design_card(self)

    @property
    def gap(self) -> float:
        return self.compactness / self.lower_bound - 1 if self.lower_bound > 0 else np.nan


def _bounds(total: float, k: int, tol: float) -> tuple[float, float]:
    mean = total / k
    return mean * (1 - tol), mean * (1 + tol)


def _check_feasible(
    p: np.ndarray, k: int, lo: float, hi: float, locks: dict[int, int], ids, label: str
):
    big = np.flatnonzero(p > hi)
    if len(big):
        i = big[0]
        raise InfeasibleTerritories(
            f"account {ids[i]} alone has {label} {p[i]:,.0f}, above the per-territory maximum {hi:,.0f}: "
            f"widen the tolerance or split the account ({len(big)} such accounts)"
        )
    locked = np.zeros(k)
    for i, t in locks.items():
        locked[t] += p[i]
    over = np.flatnonzero(locked > hi)
    if len(over):
        t = over[0]
        raise InfeasibleTerritories(
            f"locked accounts give territory {t} {label} {locked[t]:,.0f}, above its maximum {hi:,.0f}: "
            "unlock some accounts or widen the tolerance"
        )


def _solve_lp(cost_cand, cand, p, w, k, bounds_p, bounds_w, locks):
    """Balanced assignment LP over candidate pairs; returns (x (n, m), duals_p (k,), status).

    The LP is solved scaled (costs by their largest value, each balance row by its measure's
    mean), which keeps HiGHS's numerics sound when potentials are in the millions; the
    duals are returned in the original units."""
    import highspy

    cs = float(np.abs(cost_cand).max()) or 1.0
    ps = float(np.mean(p)) or 1.0
    ws = float(np.mean(w)) if w is not None and np.mean(w) > 0 else 1.0
    cost_cand = cost_cand / cs
    p = p / ps
    bounds_p = (bounds_p[0] / ps, bounds_p[1] / ps)
    if w is not None:
        w = w / ws
        bounds_w = (bounds_w[0] / ws, bounds_w[1] / ws)
    n, m = cand.shape
    cols = n * m
    lp = highspy.HighsLp()
    lp.num_col_ = cols
    n_rows = n + k + (k if w is not None else 0)
    lp.num_row_ = n_rows
    lp.col_cost_ = cost_cand.ravel().astype(np.float64)
    lower = np.zeros(cols)
    upper = np.ones(cols)
    for i, t in locks.items():
        row = cand[i]
        upper[i * m : (i + 1) * m] = (row == t).astype(float)
    lp.col_lower_ = lower
    lp.col_upper_ = upper
    rl = np.concatenate(
        [np.ones(n), np.full(k, bounds_p[0])] + ([np.full(k, bounds_w[0])] if w is not None else [])
    )
    ru = np.concatenate(
        [np.ones(n), np.full(k, bounds_p[1])] + ([np.full(k, bounds_w[1])] if w is not None else [])
    )
    lp.row_lower_ = rl
    lp.row_upper_ = ru
    per = 3 if w is not None else 2
    idx = np.empty((cols, per), dtype=np.int32)
    val = np.empty((cols, per))
    idx[:, 0] = np.repeat(np.arange(n), m)
    val[:, 0] = 1.0
    idx[:, 1] = n + cand.ravel()
    val[:, 1] = np.repeat(p, m)
    if w is not None:
        idx[:, 2] = n + k + cand.ravel()
        val[:, 2] = np.repeat(w, m)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.arange(0, cols * per + 1, per, dtype=np.int32)
    lp.a_matrix_.index_ = idx.ravel()
    lp.a_matrix_.value_ = val.ravel()

    # looked up on the module so tests can replace it; the thread count stays
    # HiGHS's default (changing it breaks later solves)
    h = _exact.new_highs()
    if h.passModel(lp) == highspy.HighsStatus.kError:
        raise TerritorySolverError("HiGHS rejected the assignment LP")
    run_status = h.run()
    model = h.getModelStatus()
    status = h.modelStatusToString(model)
    if status == "Infeasible":
        return None, None, status
    if run_status == highspy.HighsStatus.kError or status != "Optimal":
        raise TerritorySolverError(f"HiGHS failed on the assignment LP (status: {status})")
    sol = h.getSolution()
    x = np.asarray(sol.col_value).reshape(n, m)
    duals = np.asarray(sol.row_dual)[n : n + k] * cs / ps
    return x, duals, status


def _repair(assign, p, w, cost_full, k, bp, bw, locked_mask, max_iter=100_000):
    """Greedy cheapest moves until every territory's potential is within its bounds (after
    rounding the LP); workload (``w``, ``bw``) is not repaired, it holds up to the rounding."""
    load = np.bincount(assign, weights=p, minlength=k)
    for _ in range(max_iter):
        over = np.flatnonzero(load > bp[1] + 1e-9)
        under = np.flatnonzero(load < bp[0] - 1e-9)
        if not len(over) and not len(under):
            return assign
        if len(over):
            src = over[np.argmax(load[over])]
            members = np.flatnonzero((assign == src) & ~locked_mask)
            ok_dst = load + p[members, None] <= bp[1]  # (members, k)
        else:
            dst_t = under[np.argmin(load[under])]
            members = np.flatnonzero((assign != dst_t) & ~locked_mask & (load[assign] - p >= bp[0]))
            ok_dst = np.zeros((len(members), k), bool)
            ok_dst[:, dst_t] = True
        if not len(members):
            break
        delta = cost_full[members] - cost_full[members, assign[members]][:, None]
        delta = np.where(ok_dst, delta, np.inf)
        delta[np.arange(len(members)), assign[members]] = np.inf
        flat = np.argmin(delta)
        if not np.isfinite(delta.ravel()[flat]):
            break
        i, t = members[flat // k], flat % k
        load[assign[i]] -= p[i]
        load[t] += p[i]
        assign[i] = t
    raise InfeasibleTerritories(
        "could not reach the balance bounds after rounding: widen the tolerance"
    )


def _lagrangian_bound(cost_full, p, duals, k, bp):
    best = -np.inf
    for y in (duals, -duals):
        y = np.asarray(y, float)
        # cost_full is potential x distance; the relaxed term per account: min_t (c_it - p_i y_t)
        val = np.min(cost_full - p[:, None] * y[None, :], axis=1).sum()
        val += np.sum(np.where(y > 0, y * bp[0], y * bp[1]))
        best = max(best, float(val))
    return best


def bisection_start(lat, lon, p, k) -> np.ndarray:
    """Recursive coordinate bisection: split along the longer axis at the potential-weighted
    cut (k1/k of the potential to the first k1 = k // 2 territories) until k regions remain.
    Balanced up to one account per cut, and compact: the start of the Lloyd iterations."""
    x = np.asarray(lon, float) * np.cos(np.radians(np.mean(lat)))
    xy = np.column_stack([x, np.asarray(lat, float)])
    out = np.empty(len(p), dtype=int)
    stack = [(np.arange(len(p)), k, 0)]
    while stack:
        idx, kk, label = stack.pop()
        if kk == 1:
            out[idx] = label
            continue
        k1 = kk // 2
        axis = int(np.argmax(np.ptp(xy[idx], axis=0)))
        order = idx[np.argsort(xy[idx, axis], kind="stable")]
        cum = np.cumsum(p[order])
        cut = int(np.searchsorted(cum, cum[-1] * k1 / kk))
        cut = min(max(cut, k1 - 1), len(order) - (kk - k1) - 1)
        stack.append((order[: cut + 1], k1, label))
        stack.append((order[cut + 1 :], kk - k1, label + k1))
    return out


def _assign(
    xyz, p, w, centers_xyz, k, tol, wtol, locks, candidates, move_cost=None, current=None, wt=None
):
    n = len(p)
    d_full = distance_km(xyz, centers_xyz)
    wt = p if wt is None else wt
    cost_full = (wt[:, None] * d_full).astype(np.float64)
    m = min(candidates, k)
    cand = np.argpartition(d_full, m - 1, axis=1)[:, :m] if m < k else np.tile(np.arange(k), (n, 1))
    extra = {}
    for i, t in locks.items():
        extra[i] = t
    if current is not None:
        for i in range(n):
            extra.setdefault(i, current[i])
    if extra:
        rows = np.array(list(extra))
        need = np.array([extra[i] not in cand[i] for i in rows])
        for i in rows[need]:
            far = np.argmax(d_full[i, cand[i]])
            cand[i, far] = extra[i]
    bp = _bounds(p.sum(), k, tol)
    bw = _bounds(w.sum(), k, wtol) if w is not None else None
    if move_cost is not None:
        stay = cand == current[:, None]
        scale = move_cost.min() / (10 * max(cost_full.sum(), 1.0)) if move_cost.min() > 0 else 1e-12
        obj = np.where(stay, 0.0, move_cost[:, None]) + scale * np.take_along_axis(
            cost_full, cand, axis=1
        )
    else:
        scale = 0.0
        obj = np.take_along_axis(cost_full, cand, axis=1)
    x, duals, status = _solve_lp(obj, cand, p, w, k, bp, bw, locks)
    if x is None and m < k:  # widen the candidate set: twice as many, up to every territory
        return _assign(
            xyz, p, w, centers_xyz, k, tol, wtol, locks, min(2 * m, k), move_cost, current, wt
        )
    if x is None:
        raise InfeasibleTerritories(
            f"no assignment keeps every territory within +/-{tol:.0%} of the mean potential"
            + (f" and +/-{wtol:.0%} of the mean workload" if w is not None else "")
            + f" with these locks (solver: {status}): widen the tolerance or remove locks"
        )
    assign = cand[np.arange(n), np.argmax(x, axis=1)]
    locked_mask = np.zeros(n, bool)
    for i, t in locks.items():
        assign[i] = t
        locked_mask[i] = True
    if move_cost is None:
        repair_cost = cost_full
    else:  # rebalancing: the repair minimizes the same move weights (distance breaks ties)
        repair_cost = (
            np.where(np.arange(k)[None, :] == current[:, None], 0.0, move_cost[:, None])
            + scale * cost_full
        )
    try:
        assign = _repair(assign, p, w, repair_cost, k, bp, bw, locked_mask)
    except InfeasibleTerritories:
        n_split = int(((x > 1e-6) & (x < 1 - 1e-6)).any(axis=1).sum())
        raise InfeasibleTerritories(
            f"no assignment keeps every territory within +/-{tol:.0%} of the mean potential: only splitting "
            f"{n_split} accounts between territories would (the accounts are too lumpy for this band); "
            "widen the tolerance"
        ) from None
    bound = _lagrangian_bound(cost_full, p, duals if move_cost is None else np.zeros(k), k, bp)
    compact = float(cost_full[np.arange(n), assign].sum())
    return assign, compact, bound, int(((x > 1e-6) & (x < 1 - 1e-6)).any(axis=1).sum())


def _prepare(accounts: pd.DataFrame, workload_col, locks, labels=None, need_location=True):
    need = {"id", "potential"} | ({"lat", "lon"} if need_location else set())
    missing = need - set(accounts.columns)
    if missing:
        raise ValueError(f"accounts need columns {sorted(missing)}")
    cols = ["potential"] + (["lat", "lon"] if need_location else [])
    bad = accounts[cols].isna().any(axis=1)
    if bad.any():
        raise ValueError(
            f"{int(bad.sum())} accounts lack {', '.join(cols)} (e.g. {accounts.loc[bad, 'id'].iloc[0]}): "
            "place or estimate them, or leave them out explicitly"
        )
    if (accounts["potential"] < 0).any():
        raise ValueError("potential must be >= 0")
    p = accounts["potential"].to_numpy(float)
    w = None
    if workload_col:
        if workload_col not in accounts:
            raise ValueError(f"workload column {workload_col!r} is not in the accounts")
        w = accounts[workload_col].to_numpy(float)
        if not np.isfinite(w).all() or (w < 0).any():
            raise ValueError(
                f"workload column {workload_col!r} needs a value >= 0 for every account"
            )
    pos = {a: i for i, a in enumerate(accounts["id"])}
    lk = {}
    for acc, t in (locks or {}).items():
        if acc not in pos:
            raise ValueError(f"locked account {acc!r} is not among the accounts")
        if labels is not None and not isinstance(t, int | np.integer):
            if t not in list(labels):
                raise ValueError(f"lock territory {t!r} is not one of {list(labels)}")
            t = list(labels).index(t)
        lk[pos[acc]] = int(t)
    return p, w, lk


#: Instances up to this many account x territory pairs are solved exactly (MIP) by default.
EXACT_MAX_PAIRS = 20_000


def _problem(
    accounts,
    labels,
    dist,
    p,
    w,
    lk,
    tolerance,
    wtol,
    balance,
    weight,
    current=None,
    move_weight=None,
    capacity=None,
):
    """The exact model of a design: objective = (weighted) distance, hard bands for
    potential (relative), workload (relative) and any extra ``balance`` measures."""

    acc = accounts.reset_index(drop=True).copy()
    bal = {"potential": BalanceBand.relative(tolerance)}
    if w is not None:
        acc["__workload__"] = w
        bal["__workload__"] = BalanceBand.relative(wtol)
    for col, band in (balance or {}).items():
        bal[col] = band
    if move_weight is not None:
        acc["__move__"] = np.asarray(move_weight, float)
    prob = TerritoryProblem.from_frame(
        acc,
        list(labels),
        dist,
        balance=bal,
        current=current,
        disruption="__move__" if move_weight is not None else None,
        weight=weight,
        capacity=capacity,
    )
    if "__workload__" in prob.measures:  # readable band names in errors
        prob.measures["workload"] = prob.measures.pop("__workload__")
        prob.bands["workload"] = prob.bands.pop("__workload__")
    prob.fixed = dict(lk)
    return prob


def _design_from_solution(accounts, labels, sol, centers, history, bound_kind, moves=None):
    out = accounts.copy()
    out["territory"] = _label(labels, sol.assign)
    d = Design(out, centers, sol.objective, sol.bound, history, moves)
    d.status, d.bound_kind, d.solution = sol.status, bound_kind, sol
    return d


def _label(labels, assign: np.ndarray) -> np.ndarray:
    """Territory labels of an assignment of indices (the labels' own dtype: ints stay ints)."""
    return pd.Index(list(labels))[assign].to_numpy()


def _centers_frame(centers: pd.DataFrame | None, k: int | None):
    """Labels and unit vectors of given centers; the ``territory`` column names them (row
    order does not decide which territory is which)."""
    if centers is None:
        return None, None
    for col in ("lat", "lon"):
        if col not in centers:
            raise ValueError("centers need columns lat and lon (and optionally territory)")
    if k is not None and len(centers) != k:
        raise ValueError(f"centers has {len(centers)} rows for k={k}")
    if "territory" in centers:
        labels = list(centers["territory"])
        if len(set(labels)) != len(labels):
            raise ValueError("centers: territory labels must be unique")
    else:
        labels = list(range(len(centers)))
    return labels, unit_vectors(centers["lat"], centers["lon"])


def _distance_table(distance, n_accounts: int, labels):
    """Territory labels and the (accounts x territories) float64 table of a planner's
    distance matrix (a DataFrame's columns label the territories)."""
    if isinstance(distance, pd.DataFrame):
        labels = labels or list(distance.columns)
    dist = np.asarray(distance, dtype=np.float64)
    if dist.ndim != 2 or dist.shape[0] != n_accounts:
        raise ValueError(f"distance must be (accounts, territories), got {dist.shape}")
    labels = labels or list(range(dist.shape[1]))
    if len(labels) != dist.shape[1]:
        raise ValueError(f"distance has {dist.shape[1]} columns for {len(labels)} territories")
    return labels, dist


def _check_design_inputs(accounts: pd.DataFrame, tolerance: float) -> None:
    if not 0 < tolerance < 1:
        raise TerritoryInputError(f"tolerance must be in (0, 1), got {tolerance}")
    if len(accounts) == 0:
        raise TerritoryInputError(
            "no accounts to design territories from: every account was left out (no "
            "location, or no owner); territory_accounts' notes say how many for each cause"
        )


def design_territories(
    accounts: pd.DataFrame,
    k: int | None = None,
    *,
    tolerance: float = 0.05,
    centers: pd.DataFrame | None = None,
    distance=None,
    locks: dict | None = None,
    workload_col: str | None = None,
    workload_tolerance: float = 0.10,
    balance: dict | None = None,
    weight: str | None = "potential",
    capacity=None,
    exact: bool | None = None,
    time_limit: float = 60.0,
    mip_gap: float = 1e-4,
    iterations: int = 10,
    candidates: int = 6,
    seed: int = 0,
) -> Design:
    """Design ``k`` balanced, compact territories (see module docstring).

    Objective: the sum over accounts of ``weight x distance`` to the territory's center
    (``weight="potential"``, the default, is potential-weighted compactness; ``None`` is the
    plain distance a planner adds up). Balance: hard bands on potential (``tolerance``
    around each territory's share of the mean, scaled by ``capacity``), workload
    (``workload_col``, ``workload_tolerance``) and any extra ``balance`` measures
    (``{column: BalanceBand or (low, high)}``); a returned design meets every band, or
    :class:`InfeasibleTerritories` names the territory and band that cannot be met.

    Distances: ``distance`` (n x k array, or a DataFrame with one column per territory) is
    the planner's own table (drive times, a brick-to-center matrix); otherwise great-circle
    km (float64) from lat/lon to ``centers`` (``territory``, ``lat``, ``lon``; the
    ``territory`` column labels them) or to centers found by Lloyd iterations from a
    recursive bisection start.

    Exactness: with fixed centers (given, or a distance table) and at most
    :data:`EXACT_MAX_PAIRS` account x territory pairs, the assignment is a HiGHS MIP
    (``exact=None`` decides by size; ``True`` forces it, ``False`` keeps the LP heuristic).
    With free centers the Lloyd heuristic places them; ``exact=True`` then solves the
    assignment for the final centers as a MIP. The design's ``lower_bound`` is the MIP's
    dual bound of the same objective, or for the heuristic a Lagrangian bound of the full
    assignment problem (all account x territory pairs) for the final centers. The MIP
    stops at a relative gap of ``mip_gap`` (default 0.01%; 0 proves the exact optimum) or at
    ``time_limit``, and the gap is reported either way (``Design.gap``). ``locks``
    maps account id -> territory (index or label).

    Examples
    --------
    >>> from salesops_models.synthetic import generate_org
    >>> from salesops_models.territory import balance_metrics
    >>> accounts = generate_org(n_reps=8, years=1, seed=1).crm.accounts
    >>> d = design_territories(accounts, 4, tolerance=0.10)
    >>> balance_metrics(d.accounts)["max_deviation"] <= 0.10 + 1e-9
    True
    """
    _check_design_inputs(accounts, tolerance)
    labels, cxyz = _centers_frame(centers, k)
    if distance is not None:
        labels, dist = _distance_table(distance, len(accounts), labels)
    k = len(labels) if labels is not None else k
    if k is None or not 1 <= k <= len(accounts):
        raise TerritoryInputError(
            f"k must be between 1 and the number of accounts ({len(accounts)}), got {k}"
        )
    p, w, lk = _prepare(accounts, workload_col, locks, labels, need_location=distance is None)
    for t in lk.values():
        if not 0 <= t < k:
            raise TerritoryInputError(f"lock territory {t} is outside 0..{k - 1}")
    bp = _bounds(p.sum(), k, tolerance)
    _check_feasible(p, k, *bp, lk, accounts["id"].to_numpy(), "potential")
    if w is not None:
        _check_feasible(
            w,
            k,
            *_bounds(w.sum(), k, workload_tolerance),
            lk,
            accounts["id"].to_numpy(),
            "workload",
        )
    wt = np.ones(len(p)) if weight is None else accounts[weight].to_numpy(float)
    fixed_centers = distance is not None or cxyz is not None
    use_exact = exact if exact is not None else (fixed_centers and len(p) * k <= EXACT_MAX_PAIRS)
    if distance is not None or (fixed_centers and use_exact):
        if distance is None:
            dist = distance_km(unit_vectors(accounts["lat"], accounts["lon"]), cxyz)

        prob = _problem(
            accounts,
            labels,
            dist,
            p,
            w,
            lk,
            tolerance,
            workload_tolerance,
            balance,
            weight,
            capacity=capacity,
        )
        sol = solve(prob, time_limit=time_limit, rel_gap=mip_gap)
        cen = (
            centers.reset_index(drop=True)[["lat", "lon"]].assign(territory=labels)
            if centers is not None
            else pd.DataFrame({"territory": labels})
        )
        hist = [
            {
                "iteration": 1,
                "compactness": sol.objective,
                "lower_bound": sol.bound,
                "split_by_lp": 0,
            }
        ]
        return _design_from_solution(accounts, labels, sol, cen, hist, "MIP dual bound")
    if balance or capacity is not None:
        raise ValueError("extra balance measures and capacities need the exact model (exact=True)")
    xyz = unit_vectors(accounts["lat"], accounts["lon"])
    if cxyz is None:  # centers of a recursive coordinate bisection (balanced and compact)
        start = bisection_start(accounts["lat"], accounts["lon"], p, k)
        cxyz = weighted_centers(xyz, p + 1e-12, start, k)
    history = []
    for it in range(1 if fixed_centers else iterations):
        assign, compact, bound, split = _assign(
            xyz, p, w, cxyz, k, tolerance, workload_tolerance, lk, candidates, wt=wt
        )
        history.append(
            {
                "iteration": it + 1,
                "compactness": compact,
                "lower_bound": bound,
                "split_by_lp": split,
            }
        )
        if fixed_centers or (
            len(history) > 1 and history[-2]["compactness"] - compact < 0.005 * compact
        ):
            break
        new = weighted_centers(xyz, p, assign, k, fallback=cxyz)
        if it == iterations - 1:  # keep the centers the final assignment and bound belong to
            break
        cxyz = new
    lat, lon = to_latlon(cxyz)
    labels = labels or list(range(k))
    cen = pd.DataFrame({"territory": labels, "lat": lat, "lon": lon})
    if exact:
        # the best assignment for the final centers, proven (the centers stay heuristic)

        prob = _problem(
            accounts,
            labels,
            distance_km(xyz, cxyz),
            p,
            w,
            lk,
            tolerance,
            workload_tolerance,
            None,
            weight,
        )
        sol = solve(prob, time_limit=time_limit, rel_gap=mip_gap, start=assign)
        history.append(
            {
                "iteration": len(history) + 1,
                "compactness": sol.objective,
                "lower_bound": sol.bound,
                "split_by_lp": 0,
            }
        )
        return _design_from_solution(
            accounts, labels, sol, cen, history, "MIP dual bound for these centers"
        )
    _check_bands(assign, p, w, k, tolerance, workload_tolerance, labels)
    out = accounts.copy()
    out["territory"] = _label(labels, assign)
    d = Design(out, cen, compact, bound, history)
    d.bound_kind = "Lagrangian bound for these centers"
    return d


def _check_bands(assign, p, w, k, tol, wtol, labels):
    """Hard bands after the heuristic's rounding: any miss is an error naming it."""
    for name, v, t in (("potential", p, tol), ("workload", w, wtol)):
        if v is None:
            continue
        lo, hi = _bounds(v.sum(), k, t)
        load = np.bincount(assign, weights=v, minlength=k)
        bad = np.flatnonzero((load < lo - 1e-9) | (load > hi + 1e-9))
        if len(bad):
            j = bad[0]
            raise InfeasibleTerritories(
                f"territory {labels[j] if labels else j}: {name} {load[j]:,.6g} outside "
                f"[{lo:,.6g}, {hi:,.6g}] after rounding the heuristic's assignment; use "
                "exact=True (MIP) or widen the band"
            )
