"""Rebalancing territories with little disruption: move as few accounts (weighted by their potential) as it takes to bring every territory inside its balance band."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .design import (
    EXACT_MAX_PAIRS,
    Design,
    _assign,
    _bounds,
    _check_bands,
    _check_feasible,
    _design_from_solution,
    _prepare,
    _problem,
    distance_km,
    to_latlon,
    unit_vectors,
    weighted_centers,
)
from .exact import solve


def rebalance(
    accounts: pd.DataFrame,
    current: str,
    *,
    tolerance: float = 0.05,
    move_weight: pd.Series | None = None,
    locks: dict | None = None,
    workload_col: str | None = None,
    workload_tolerance: float = 0.10,
    centers: pd.DataFrame | None = None,
    distance=None,
    balance: dict | None = None,
    weight: str | None = "potential",
    exact: bool | None = None,
    time_limit: float = 60.0,
    mip_gap: float = 1e-4,
    candidates: int = 8,
) -> Design:
    """Reach balance from the assignment in column ``current`` while moving as little as possible.

    ``move_weight`` (per account, aligned to ``accounts``) is the cost of moving it, e.g.
    ``1 + open pipeline / mean + relationship years``; default 1 (count of moves). The
    exact model (MIP, the default up to :data:`EXACT_MAX_PAIRS` pairs) minimizes the moved
    weight subject to every hard band, then the distance at that weight (lexicographic);
    ``centers`` (with a ``territory`` column matching the current labels) or ``distance``
    fix where each territory is, otherwise the current territories' weighted centers are
    used. The move list says why each account moved.
    """
    if accounts[current].isna().any():
        raise ValueError(
            f"{int(accounts[current].isna().sum())} accounts have no current territory in {current!r}"
        )
    labels = pd.Index(sorted(accounts[current].dropna().unique()))
    if centers is not None and "territory" in centers:
        extra = [t for t in centers["territory"] if t not in set(labels)]
        labels = pd.Index(list(labels) + extra)
        centers = centers.set_index("territory").reindex(labels).reset_index()
    if isinstance(distance, pd.DataFrame):
        labels = pd.Index(list(distance.columns))
    k = len(labels)
    cur = labels.get_indexer(accounts[current])
    if (cur < 0).any():
        raise ValueError(f"{current}: territories not among the centers / distance columns")
    p, w, lk = _prepare(accounts, workload_col, locks, list(labels), need_location=distance is None)
    bp = _bounds(p.sum(), k, tolerance)
    _check_feasible(p, k, *bp, lk, accounts["id"].to_numpy(), "potential")
    mw = np.ones(len(p)) if move_weight is None else np.asarray(move_weight, float)
    load = np.bincount(cur, weights=p, minlength=k)
    mean = p.sum() / k
    if distance is not None:
        dist = np.asarray(distance, dtype=np.float64)
        cen = pd.DataFrame({"territory": labels})
    else:
        xyz = unit_vectors(accounts["lat"], accounts["lon"])
        cxyz = (
            unit_vectors(centers["lat"], centers["lon"])
            if centers is not None
            else weighted_centers(xyz, p, cur, k)
        )
        lat, lon = to_latlon(cxyz)
        cen = pd.DataFrame({"territory": labels, "lat": lat, "lon": lon})
        dist = None
    use_exact = exact if exact is not None else len(p) * k <= EXACT_MAX_PAIRS
    if use_exact or distance is not None or balance:
        if dist is None:
            dist = distance_km(xyz, cxyz)
        acc = accounts.assign(__cur__=labels[cur])
        prob = _problem(
            acc,
            list(labels),
            dist,
            p,
            w,
            lk,
            tolerance,
            workload_tolerance,
            balance,
            weight,
            current="__cur__",
            move_weight=mw,
        )
        first = solve(
            prob,
            objective="disruption",
            time_limit=time_limit,
            lp_bound=False,
            rel_gap=mip_gap,
            start=np.where(cur >= 0, cur, 0) if not prob.violations(cur) else None,
        )
        sol = solve(
            prob,
            objective="distance",
            max_disruption=first.disruption + 1e-9 * max(1.0, first.disruption),
            time_limit=time_limit,
            rel_gap=mip_gap,
            start=first.assign,
        )
        assign = sol.assign
        design = _design_from_solution(accounts, list(labels), sol, cen, [], "MIP dual bound")
    else:
        if (
            (load >= bp[0] - 1e-9).all()
            and (load <= bp[1] + 1e-9).all()
            and (
                w is None
                or _within(
                    np.bincount(cur, weights=w, minlength=k),
                    _bounds(w.sum(), k, workload_tolerance),
                )
            )
        ):
            assign = cur.copy()
            compact = float((p * distance_km(xyz, cxyz)[np.arange(len(p)), cur]).sum())
            bound = compact
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
            _check_bands(assign, p, w, k, tolerance, workload_tolerance, list(labels))
        out = accounts.copy()
        out["territory"] = labels[assign]
        design = Design(out, cen, compact, bound if np.isfinite(bound) else compact, [])
        design.bound_kind = "Lagrangian bound for these centers"
    moved = assign != cur
    new_load = np.bincount(assign, weights=p, minlength=k)
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
    design.moves = moves
    return design


def _within(load, b):
    return bool((load >= b[0] - 1e-9).all() and (load <= b[1] + 1e-9).all())
