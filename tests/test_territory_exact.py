"""Exact territory design on the planner's terms: Pfizer Turkey optima, the 22x4 Pareto
frontier, brute force on tiny instances, hard bands, and the four defects of #16."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from salesops_models import territory as tt
from salesops_models.territory import BalanceBand, TerritoryProblem, pareto_frontier, pfizer, solve
from salesops_models.territory.design import distance_km, unit_vectors

needs_pfizer = pytest.mark.skipif(
    not pfizer.PFIZER_DIR.is_dir(), reason="shared Pfizer territory data not present"
)


@needs_pfizer
def test_pfizer_22x4_optima_with_its_own_distance_table():
    prob = pfizer.load_22x4()
    best = solve(prob)
    assert best.status == "optimal" and abs(best.distance - 154.60) < 1e-6
    assert abs(best.lp_bound - 151.12) < 0.005 and best.gap == 0
    assert not prob.violations(best.assign)
    quiet = solve(prob, objective="disruption")
    assert abs(quiet.disruption - 0.1696) < 1e-6
    assert sorted(quiet.moves["account_id"]) == [11, 12] and set(quiet.moves["to"]) == {"SR3"}
    # the current assignment breaks the bounds (SR2 1.3377, SR3 0.7048), as SOURCE.md says
    assert len(prob.violations(prob.current)) == 2


@needs_pfizer
def test_pfizer_22x4_frontier_has_the_20_exact_points():
    f = pareto_frontier(pfizer.load_22x4())
    assert len(f) == 20
    assert (round(f["distance"].iloc[0], 6), round(f["disruption"].iloc[0], 6)) == (154.6, 1.2055)
    assert (round(f["distance"].iloc[-1], 6), round(f["disruption"].iloc[-1], 6)) == (
        188.95,
        0.1696,
    )
    assert (np.diff(f["distance"]) > 0).all() and (np.diff(f["disruption"]) < 0).all()
    assert (f["status"] == "optimal").all()
    assert f["moved"].iloc[-1] == "11: SR2 -> SR3; 12: SR2 -> SR3"


@needs_pfizer
def test_pfizer_100x10_optima():
    prob = pfizer.load_100x10()
    best = solve(prob)
    assert best.status == "optimal" and abs(best.distance - 15.0374) < 5e-5
    quiet = solve(prob, objective="disruption", lp_bound=False)
    assert quiet.status == "optimal" and abs(quiet.disruption - 0.342646) < 1e-6


@needs_pfizer
def test_pfizer_through_design_territories_with_the_distance_table():
    bricks, meta = pfizer.bricks_22x4()
    reps = list(meta["sr_center_brick"])
    dist = pd.DataFrame(bricks[[f"d_sr{j}" for j in range(1, 5)]].to_numpy(), columns=reps)
    d = tt.design_territories(
        bricks.assign(potential=bricks["index_value"]),
        distance=dist,
        tolerance=0.2,  # index value sums to 4: mean 1, band [0.8, 1.2]
        weight=None,
        locks={b: r for r, b in meta["sr_center_brick"].items()},
        mip_gap=0,
    )
    assert abs(d.compactness - 154.60) < 1e-6 and d.status == "optimal"
    assert set(d.accounts["territory"]) == set(reps)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_mip_equals_brute_force_on_tiny_instances(seed):
    rng = np.random.default_rng(seed)
    n, k = 7, 3
    acc = pd.DataFrame(
        {
            "id": range(n),
            "w": rng.integers(1, 5, n).astype(float),
            "c": rng.integers(0, 2, n).astype(float),
            "cur": rng.integers(0, k, n),
        }
    )
    d = rng.uniform(0, 10, (n, k)).round(2)
    tot = acc["w"].sum()
    band = (tot / k * 0.6, tot / k * 1.4)
    prob = TerritoryProblem.from_frame(
        acc, [0, 1, 2], d, balance={"w": band, "c": (0, 2)}, current="cur"
    )
    best, best_r = np.inf, np.inf
    for a in itertools.product(range(k), repeat=n):
        a = np.array(a)
        if not prob.violations(a):
            best = min(best, d[np.arange(n), a].sum())
            best_r = min(best_r, prob.evaluate(a)["disruption"])
    if not np.isfinite(best):
        with pytest.raises(tt.InfeasibleTerritories, match="territory"):
            solve(prob)
        return
    s = solve(prob)
    assert abs(s.distance - best) < 1e-6 and not prob.violations(s.assign)
    assert abs(solve(prob, objective="disruption").disruption - best_r) < 1e-6


def test_distance_km_is_float64_and_exact_nearby():
    lat0, lon0 = 41.0, 29.0
    dlat = 1.0 / 111.195  # 1 km north (R = 6371 km)
    a = unit_vectors([lat0, lat0 + dlat], [lon0, lon0])
    d = distance_km(a, a)
    assert d.dtype == np.float64
    assert abs(d[0, 1] - 1.0) < 1e-3 and d[0, 0] == 0.0 and d[1, 1] == 0.0


def test_workload_band_is_enforced_with_fixed_centers():
    acc = pd.DataFrame(
        {
            "id": ["a", "b", "c"],
            "lat": [0.0, 0.0, 0.0],
            "lon": [0.0, 0.1, 1.0],
            "potential": [1.0, 1.0, 1.0],
            "work": [1.0, 1.0, 2.0],
        }
    )
    centers = pd.DataFrame({"territory": ["T1", "T2"], "lat": [0.0, 0.0], "lon": [0.0, 1.0]})
    d = tt.design_territories(
        acc, centers=centers, tolerance=0.6, workload_col="work", workload_tolerance=0.2
    )
    load = d.accounts.groupby("territory")["work"].sum()
    assert ((load >= 1.6 - 1e-9) & (load <= 2.4 + 1e-9)).all(), load.to_dict()
    with pytest.raises(tt.InfeasibleTerritories, match="workload"):
        tt.design_territories(
            acc.assign(work=[1.0, 1.0, 5.0]),
            centers=centers,
            tolerance=0.6,
            workload_col="work",
            workload_tolerance=0.2,
        )


def test_centers_territory_column_decides_which_territory_is_which():
    acc = pd.DataFrame(
        {"id": ["w", "e"], "lat": [0.0, 0.0], "lon": [-10.0, 10.0], "potential": [1.0, 1.0]}
    )
    centers = pd.DataFrame({"territory": ["East", "West"], "lat": [0.0, 0.0], "lon": [10.0, -10.0]})
    d = tt.design_territories(acc, centers=centers, tolerance=0.5)
    assert dict(zip(d.accounts["id"], d.accounts["territory"], strict=True)) == {
        "w": "West",
        "e": "East",
    }
    rev = tt.design_territories(acc, centers=centers.iloc[::-1], tolerance=0.5)
    assert list(rev.accounts["territory"]) == list(d.accounts["territory"])


@needs_pfizer
def test_other_thread_counts_do_not_break_later_solves():
    import highspy

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    for threads in (1, 3):
        h.setOptionValue("threads", threads)
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = 1, 0
        lp.col_cost_, lp.col_lower_, lp.col_upper_ = np.ones(1), np.zeros(1), np.ones(1)
        h.passModel(lp)
        h.run()
    assert abs(solve(pfizer.load_22x4()).distance - 154.60) < 1e-6
    rng = np.random.default_rng(1)
    acc = pd.DataFrame(
        {
            "id": range(60),
            "lat": rng.uniform(30, 45, 60),
            "lon": rng.uniform(-120, -80, 60),
            "potential": rng.uniform(1, 2, 60),
        }
    )
    assert tt.design_territories(acc, 4, tolerance=0.2, exact=False).gap >= 0


def test_a_solver_failure_says_so(monkeypatch):
    import highspy

    from salesops_models.territory import exact

    real_new = exact.new_highs

    def broken_highs():
        h = real_new()

        class Wrap:
            def __getattr__(self, name):
                return getattr(h, name)

            def run(self):
                return highspy.HighsStatus.kError

            def getModelStatus(self):
                return highspy.HighsModelStatus.kSolveError

        return Wrap()

    monkeypatch.setattr(exact, "new_highs", broken_highs)
    acc = pd.DataFrame(
        {"id": ["a", "b"], "lat": [0.0, 0.0], "lon": [0.0, 1.0], "potential": [1.0, 1.0]}
    )
    with pytest.raises(exact.TerritorySolverError, match="HiGHS failed"):
        tt.design_territories(acc, 2, tolerance=0.5, exact=False)
    with pytest.raises(exact.TerritorySolverError, match="HiGHS failed"):
        tt.design_territories(acc, centers=acc[["lat", "lon"]], tolerance=0.5)


@needs_pfizer
def test_infeasible_bands_name_the_territory_and_band():
    prob = pfizer.load_22x4()
    prob.bands["index_value"] = (np.full(4, 1.05), np.full(4, 1.2))  # 4 x 1.05 > 4.0 in all
    with pytest.raises(tt.InfeasibleTerritories, match=r"territory SR\d .*index_value"):
        solve(prob)


def test_part_time_rep_gets_half_the_band():
    acc = pd.DataFrame({"id": range(6), "p": [1.0] * 6})
    prob = TerritoryProblem.from_frame(
        acc,
        ["full", "half"],
        np.zeros((6, 2)),
        balance={"p": BalanceBand.relative(0.0)},
        capacity=[1, 0.5],
    )
    s = solve(prob)
    assert list(s.loads["p"]) == [4.0, 2.0]


def test_rebalance_honors_fixed_centers_and_moves_little(small_org):
    acc, _ = tt.territory_accounts(small_org.crm, "SMB")
    r = tt.rebalance(acc, "current", tolerance=0.25, exact=True, time_limit=5)
    assert r.status in ("optimal", "time limit") and r.solution is not None
    assert not r.solution.problem.violations(r.solution.assign)
    heuristic = tt.rebalance(acc, "current", tolerance=0.25, exact=False)
    assert len(r.moves) <= len(heuristic.moves)
