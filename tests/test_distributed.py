"""Heavy runs on a real Dask LocalCluster of 2 worker processes: same seed, same numbers as
one process, whatever the number of workers."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest
from test_capacity_engine import params  # seats of one productivity

from salesops_models import config
from salesops_models.capacity.scenario_costs import CapacityScenarioInputs
from salesops_models.capacity.simulate import simulate, simulate_chunked
from salesops_models.comp import CostInputs, cost_monte_carlo, load_plan
from salesops_models.distributed import client_for, map_ordered
from salesops_models.reports import load_schedule, run_entries

PLAN = load_plan(config.PROJECT_ROOT / "plans" / "ae_standard.yml")


@pytest.fixture(scope="module")
def cluster():
    with client_for("local:2") as client:
        yield client


def _quarters(m: int = 12) -> list[np.ndarray]:
    return [np.arange(q * 3, q * 3 + 3) for q in range(m // 3)] + [np.arange(m)]


def test_capacity_blocks_give_the_same_numbers_here_and_on_two_workers(cluster):
    p = params(R=7, M=12, D=30, shape=1.5, pi=0.2, hazard=0.02)
    p.sd_period = np.full(30, 0.15)
    p.quarter_of_month = np.arange(12) // 3
    p.season = np.zeros((30, 12))
    here = simulate_chunked(p, 1_000, seed=5, periods=_quarters(), chunk=300)
    there = simulate_chunked(p, 1_000, seed=5, periods=_quarters(), chunk=300, scheduler=cluster)
    for a, b in [
        (here.seat_period, there.seat_period),
        (here.monthly_total, there.monthly_total),
        (here.stayed, there.stayed),
        (here.draw_of_scenario, there.draw_of_scenario),
        (here.shared, there.shared),
    ]:
        np.testing.assert_array_equal(a, b)
    assert here.seat_period.shape == (1_000, 7, 5)
    # each block is an ordinary simulation with its own stream: block 2 is scenarios 600-899
    seeds = np.random.SeedSequence(5).spawn(4)
    block = simulate(p, 300, seeds[2], _quarters(), workers=1)
    np.testing.assert_array_equal(block.seat_period, here.seat_period[600:900])
    # blocks draw their own quarter paths: no two blocks repeat one another
    assert not np.allclose(here.shared[:300], here.shared[300:600])


def test_comp_cost_blocks_are_the_same_on_any_number_of_workers(cluster):
    p = params(R=5, M=12, D=20, shape=2.0, pi=0.1)

    seats = pd.DataFrame({"seat": range(5), "tenure_at_start": [24, 12, 6, 0, -2]})
    quotas = pd.DataFrame(
        {f"Q{q}": np.full(5, 3 * np.exp(10.0)) for q in range(1, 5)}
        | {"annual_quota": np.full(5, 12 * np.exp(10.0)), "ote": np.full(5, 200_000.0)}
    )
    make = CapacityScenarioInputs(p, seats, _quarters(), quotas, PLAN)
    here = cost_monte_carlo(PLAN, make, 2_000, seed=9, chunk=700)
    there = cost_monte_carlo(PLAN, make, 2_000, seed=9, chunk=700, scheduler=cluster)
    np.testing.assert_array_equal(here.total, there.total)
    np.testing.assert_array_equal(here.cash, there.cash)
    for k in here.components:
        np.testing.assert_array_equal(here.components[k], there.components[k])
    assert here.total.shape == (2_000,) and here.summary()["p50"] > 0
    # a block's cost is the plain evaluate() of that block's inputs
    seed1 = np.random.SeedSequence(9).spawn(3)[1]
    block = make(700, seed1).evaluate(PLAN)
    np.testing.assert_allclose(block.total, here.total[700:1400])


def test_cost_of_a_caller_supplied_scenario_generator(cluster):
    def lognormal(n, seed):
        att = np.random.default_rng(seed).lognormal(0, 0.3, size=(n, 4, 4))
        return CostInputs(
            {m.name: att for m in PLAN.measures},
            np.full(4, 25e3),
            att * 250e3,
            np.full((4, 4), 250e3),
        )

    a = cost_monte_carlo(PLAN, lognormal, 900, seed=1, chunk=400, scheduler=cluster)
    b = cost_monte_carlo(PLAN, lognormal, 900, seed=1, chunk=400)
    np.testing.assert_array_equal(a.total, b.total)


def test_the_same_shared_inputs_twice_in_a_row(cluster):
    # the shared inputs used to be scattered under a content-hashed key: the second call's
    # scatter could reach the scheduler before the first call's release of the same key, and
    # its tasks were cancelled ("lost dependencies") or, on CI, waited forever
    n = len(PLAN.measures)
    for i in range(25):
        out = map_ordered(_measures, [i, i + 1], scheduler=cluster, shared={"plan": PLAN})
        assert out == [(i, n), (i + 1, n)]


def _measures(i, plan):
    return i, len(plan.measures)


def test_a_failing_task_raises_its_own_error(cluster):
    def boom(x):
        if x == 2:
            raise ValueError(f"task {x} failed")
        return x

    with pytest.raises(ValueError, match="task 2 failed"):
        map_ordered(boom, [1, 2, 3], scheduler=cluster)
    assert map_ordered(boom, [3, 1], scheduler=cluster) == [3, 1]


def test_reports_run_as_tasks_on_the_cluster(cluster, fixtures, tmp_path):
    nbdir = tmp_path / "notebooks"
    nbdir.mkdir()
    shutil.copy(fixtures / "notebooks" / "tiny.ipynb", nbdir / "tiny.ipynb")
    sched = tmp_path / "reports.yml"
    sched.write_text(
        "reports:\n"
        "  - {name: two, notebook: tiny, cron: '0 6 * * 1', parameters: {rows: 2}}\n"
        "  - {name: five, notebook: tiny, cron: '0 6 * * 1', parameters: {rows: 5}}\n"
    )
    recs = run_entries(
        load_schedule(sched).reports,
        notebooks_dir=nbdir,
        reports_dir=tmp_path / "reports",
        progress=False,
        scheduler=cluster,
    )
    assert [r["name"] for r in recs] == ["two", "five"]
    assert {r["status"] for r in recs} == {"ok"}
    assert (tmp_path / "reports" / "index.html").exists()
