"""The Pareto frontier of balance against disruption (or distance), from the exact MIP (:func:`~salesops_models.territory.exact.solve`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import InfeasibleTerritories
from .exact import Solution, TerritoryProblem, solve


def pareto_frontier(
    prob: TerritoryProblem,
    *,
    max_points: int = 200,
    step: float = 1e-6,
    levels: int | None = None,
    method: str = "epsilon",
    time_limit: float = 60.0,
    rel_gap: float = 1e-9,
    progress: bool = False,
) -> pd.DataFrame:
    """The exact distance-vs-disruption Pareto frontier (epsilon-constraint method).

    Starting from the minimum distance, each point is found in two solves: minimum distance
    with disruption at most (previous disruption - ``step``), then minimum disruption at
    that distance (so no point is dominated); it stops when no assignment has less
    disruption. Returns one row per point: distance, disruption, number of moves and the
    moves themselves (``"brick 11: SR2 -> SR3; ..."``).

    ``levels=N`` samples the frontier instead (for large instances): the two extreme points
    and the minimum distance under N - 2 disruption limits evenly spaced between them (one
    solve each, so a sampled point may have a little less disruption to give; points
    between the samples are not listed). ``method="weighted"`` finds the *supported* points
    instead: the minimum of ``alpha x distance / D0 + (1 - alpha) x disruption / R0`` for
    ``levels`` values of alpha from 1 to 0 (no epsilon row, so each solve keeps to its time
    limit on instances with thousands of accounts; non-supported points are not found).
    """
    if method == "weighted":
        return _weighted_frontier(prob, levels or 5, time_limit, progress, rel_gap)
    if method != "epsilon":
        raise ValueError(f"method must be epsilon or weighted, got {method!r}")
    if levels is not None:
        return _sampled_frontier(prob, levels, time_limit, progress, rel_gap)
    from tqdm import tqdm

    rows = []
    eps = None
    bar = tqdm(total=None, desc="Pareto frontier", unit="point", disable=not progress)
    while len(rows) < max_points:
        try:
            first = solve(
                prob,
                objective="distance",
                max_disruption=eps,
                time_limit=time_limit,
                lp_bound=False,
            )
        except InfeasibleTerritories:
            break
        second = solve(
            prob,
            objective="disruption",
            max_distance=first.distance * (1 + 1e-12) + 1e-9,
            time_limit=time_limit,
            lp_bound=False,
            rel_gap=rel_gap,
            start=first.assign,
        )
        rows.append(_point(first, second))
        bar.update(1)
        if len(rows) > 1 and rows[-1]["disruption"] >= rows[-2]["disruption"] - step / 2:
            rows.pop()  # the solver's tolerance let the same point through: done
            break
        eps = second.disruption - step
        if eps < 0:
            break
    bar.close()
    return pd.DataFrame(rows)


def _point(first: Solution, second: Solution) -> dict:
    mv = second.moves
    return {
        "distance": second.distance,
        "disruption": second.disruption,
        "moves": len(mv),
        "moved": "; ".join(
            f"{a}: {f} -> {t}"
            for a, f, t in zip(mv["account_id"], mv["from"], mv["to"], strict=True)
        ),
        "status": "optimal" if first.status == second.status == "optimal" else "time limit",
        "assignment": second.assign,
    }


def _weighted_frontier(prob, levels: int, time_limit, progress, rel_gap) -> pd.DataFrame:
    from tqdm import tqdm

    rows = []
    for alpha in tqdm(
        np.linspace(1.0, 0.0, max(2, levels)), desc="Pareto frontier", disable=not progress
    ):
        sol = solve(
            prob,
            objective="weighted",
            alpha=float(alpha),
            time_limit=time_limit,
            lp_bound=False,
            rel_gap=rel_gap,
        )
        rows.append(_point(sol, sol) | {"alpha": float(alpha)})
    out = pd.DataFrame(rows).drop_duplicates(["distance", "disruption"])
    return out.sort_values("disruption", ascending=False).reset_index(drop=True)


def _sampled_frontier(
    prob, levels: int, time_limit: float, progress: bool, rel_gap: float
) -> pd.DataFrame:
    """Sampled frontier: minimum distance, minimum disruption (then its minimum distance),
    and minimum distance under ``levels - 2`` disruption limits evenly spaced between."""
    from tqdm import tqdm

    kw = {"time_limit": time_limit, "lp_bound": False, "rel_gap": rel_gap}
    hi_d = solve(prob, objective="distance", **kw)
    lo_r = solve(prob, objective="disruption", **kw)
    bottom = solve(
        prob,
        objective="distance",
        max_disruption=lo_r.disruption * (1 + 1e-9) + 1e-7,
        start=lo_r.assign,
        **kw,
    )
    rows = [_point(hi_d, hi_d)]
    eps_list = np.linspace(hi_d.disruption, bottom.disruption, max(2, levels))[1:-1]
    for eps in tqdm(eps_list, desc="Pareto frontier", disable=not progress):
        first = solve(prob, objective="distance", max_disruption=eps, start=bottom.assign, **kw)
        rows.append(_point(first, first))
    rows.append(_point(lo_r, bottom))
    out = pd.DataFrame(rows).drop_duplicates(["distance", "disruption"]).reset_index(drop=True)
    return out
