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

EARTH_KM = 6371.0


class InfeasibleTerritories(ValueError):
    """The balance bounds, locks and accounts cannot all be satisfied; says which."""


def unit_vectors(lat, lon) -> np.ndarray:
    la, lo = np.radians(np.asarray(lat, float)), np.radians(np.asarray(lon, float))
    return np.column_stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])


def distance_km(xyz_a: np.ndarray, xyz_b: np.ndarray) -> np.ndarray:
    """Great-circle distances (km) between every row of ``a`` and of ``b`` (float32 matrix)."""
    dot = np.clip(xyz_a.astype(np.float32) @ xyz_b.astype(np.float32).T, -1, 1)
    return (EARTH_KM * np.arccos(dot)).astype(np.float32)


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
    """Balanced assignment LP over candidate pairs; returns (x (n, m), duals_p (k,), status)."""
    import highspy

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
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 2)
    h.passModel(lp)
    h.run()
    status = h.modelStatusToString(h.getModelStatus())
    if status != "Optimal":
        return None, None, status
    sol = h.getSolution()
    x = np.asarray(sol.col_value).reshape(n, m)
    duals = np.asarray(sol.row_dual)[n : n + k]
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


def _assign(xyz, p, w, centers_xyz, k, tol, wtol, locks, candidates, move_cost=None, current=None):
    n = len(p)
    d_full = distance_km(xyz, centers_xyz)
    cost_full = (p[:, None] * d_full).astype(np.float64)
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
            xyz, p, w, centers_xyz, k, tol, wtol, locks, min(2 * m, k), move_cost, current
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


def _prepare(accounts: pd.DataFrame, workload_col, locks):
    need = {"id", "lat", "lon", "potential"}
    missing = need - set(accounts.columns)
    if missing:
        raise ValueError(f"accounts need columns {sorted(missing)}")
    bad = accounts[["lat", "lon", "potential"]].isna().any(axis=1)
    if bad.any():
        raise ValueError(
            f"{int(bad.sum())} accounts lack lat, lon or potential (e.g. {accounts.loc[bad, 'id'].iloc[0]}): "
            "place or estimate them, or leave them out explicitly"
        )
    if (accounts["potential"] < 0).any():
        raise ValueError("potential must be >= 0")
    p = accounts["potential"].to_numpy(float)
    w = accounts[workload_col].to_numpy(float) if workload_col else None
    pos = {a: i for i, a in enumerate(accounts["id"])}
    lk = {}
    for acc, t in (locks or {}).items():
        if acc not in pos:
            raise ValueError(f"locked account {acc!r} is not among the accounts")
        lk[pos[acc]] = t
    return p, w, lk


def design_territories(
    accounts: pd.DataFrame,
    k: int,
    *,
    tolerance: float = 0.05,
    centers: pd.DataFrame | None = None,
    locks: dict | None = None,
    workload_col: str | None = None,
    workload_tolerance: float = 0.10,
    iterations: int = 10,
    candidates: int = 6,
    seed: int = 0,
) -> Design:
    """Design ``k`` balanced, compact territories (see module docstring).

    ``centers`` (territory, lat, lon) fixes the centers (e.g. reps' homes); otherwise they start
    at the centers of a recursive coordinate bisection (:func:`bisection_start`) and move to
    their accounts' weighted mean. ``locks`` maps account id -> territory index (0..k-1) that
    must keep it. ``seed`` is kept for API stability; the method is deterministic.
    """
    if not 1 <= k <= len(accounts):
        raise ValueError(
            f"k must be between 1 and the number of accounts ({len(accounts)}), got {k}"
        )
    if not 0 < tolerance < 1:
        raise ValueError("tolerance must be in (0, 1)")
    p, w, lk = _prepare(accounts, workload_col, locks)
    for t in lk.values():
        if not 0 <= t < k:
            raise ValueError(f"lock territory {t} is outside 0..{k - 1}")
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
    xyz = unit_vectors(accounts["lat"], accounts["lon"])
    fixed = centers is not None
    if fixed:
        if len(centers) != k:
            raise ValueError(f"centers has {len(centers)} rows for k={k}")
        cxyz = unit_vectors(centers["lat"], centers["lon"])
    else:  # centers of a recursive coordinate bisection (balanced and compact)
        start = bisection_start(accounts["lat"], accounts["lon"], p, k)
        cxyz = weighted_centers(xyz, p + 1e-12, start, k)
    history = []
    for it in range(1 if fixed else iterations):
        assign, compact, bound, split = _assign(
            xyz, p, w, cxyz, k, tolerance, workload_tolerance, lk, candidates
        )
        history.append(
            {
                "iteration": it + 1,
                "compactness": compact,
                "lower_bound": bound,
                "split_by_lp": split,
            }
        )
        if fixed or (len(history) > 1 and history[-2]["compactness"] - compact < 0.005 * compact):
            break
        new = weighted_centers(xyz, p, assign, k, fallback=cxyz)
        if it == iterations - 1:  # keep the centers the final assignment and bound belong to
            break
        cxyz = new
    lat, lon = to_latlon(cxyz)
    out = accounts.copy()
    out["territory"] = assign
    return Design(
        out, pd.DataFrame({"territory": range(k), "lat": lat, "lon": lon}), compact, bound, history
    )


def rebalance(
    accounts: pd.DataFrame,
    current: str,
    *,
    tolerance: float = 0.05,
    move_weight: pd.Series | None = None,
    locks: dict | None = None,
    workload_col: str | None = None,
    workload_tolerance: float = 0.10,
    candidates: int = 8,
) -> Design:
    """Reach balance from the assignment in column ``current`` while moving as little as possible.

    ``move_weight`` (per account, aligned to ``accounts``) is the cost of moving it, e.g.
    ``1 + open pipeline / mean + relationship years``; default 1 (count of moves). Accounts are
    kept where they are unless balance needs them elsewhere; the move list says why.
    """
    labels = pd.Index(sorted(accounts[current].dropna().unique()))
    if accounts[current].isna().any():
        raise ValueError(
            f"{int(accounts[current].isna().sum())} accounts have no current territory in {current!r}"
        )
    k = len(labels)
    cur = labels.get_indexer(accounts[current])
    p, w, lk = _prepare(
        accounts, workload_col, {a: labels.get_loc(t) for a, t in (locks or {}).items()}
    )
    bp = _bounds(p.sum(), k, tolerance)
    _check_feasible(p, k, *bp, lk, accounts["id"].to_numpy(), "potential")
    xyz = unit_vectors(accounts["lat"], accounts["lon"])
    cxyz = weighted_centers(xyz, p, cur, k)
    mw = np.ones(len(p)) if move_weight is None else np.asarray(move_weight, float)
    load = np.bincount(cur, weights=p, minlength=k)
    if (
        (load >= bp[0] - 1e-9).all()
        and (load <= bp[1] + 1e-9).all()
        and (
            w is None
            or _within(
                np.bincount(cur, weights=w, minlength=k), _bounds(w.sum(), k, workload_tolerance)
            )
        )
    ):
        assign, compact = (
            cur.copy(),
            float((p * distance_km(xyz, cxyz)[np.arange(len(p)), cur]).sum()),
        )
        bound = np.nan
    else:
        assign, compact, bound, _ = _assign(
            xyz,
            p,
            w,
            cxyz,
            k,
            tolerance,
            workload_tolerance,
            lk,
            candidates,
            move_cost=mw,
            current=cur,
        )
    out = accounts.copy()
    out["territory"] = labels[assign]
    moved = assign != cur
    new_load = np.bincount(assign, weights=p, minlength=k)
    mean = p.sum() / k
    moves = pd.DataFrame(
        {
            "account_id": accounts["id"].to_numpy()[moved],
            "from": labels[cur[moved]],
            "to": labels[assign[moved]],
            "potential": p[moved],
            "move_weight": mw[moved],
        }
    )
    moves["why"] = [
        f"{f} was at {load[labels.get_loc(f)] / mean:.0%} of mean potential; {t} had room "
        f"({new_load[labels.get_loc(t)] / mean:.0%} after)"
        for f, t in zip(moves["from"], moves["to"], strict=True)
    ]
    lat, lon = to_latlon(cxyz)
    return Design(
        out,
        pd.DataFrame({"territory": labels, "lat": lat, "lon": lon}),
        compact,
        bound if np.isfinite(bound) else compact,
        [],
        moves,
    )


def _within(load, b):
    return bool((load >= b[0] - 1e-9).all() and (load <= b[1] + 1e-9).all())
