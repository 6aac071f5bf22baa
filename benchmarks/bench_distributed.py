"""Heavy runs on one process vs a 2-worker Dask LocalCluster, printed side by side in one run.

- comp cost: the sample org's capacity plan for the next 12 months (productivity model fitted
  on the store, outside the timing), 100,000 scenarios in blocks of 2,000, each block
  simulating its seats and costing plan A (``plans/ae_standard.yml``) with its simulated deals
  (:func:`salesops_models.comp.cost_monte_carlo` with
  :class:`~salesops_models.capacity.scenario_costs.CapacityScenarioInputs`); the two runs are checked equal;
- forecast backtest: the sample org's 8 quarters x 3 points, 24 fits
  (:func:`salesops_models.forecast.backtest.backtest`), each fit a task; the two runs are
  checked equal (same medians and intervals).

Both are CPU-bound; on this 2-core machine a cluster can at most halve the time, less its
start-up (about 2 s), the first import and compile in every worker and what is shipped
(the posterior draws and the CRM once per worker). Peak memory is per process (``ru_maxrss``
of this process; a worker's own is printed by the cluster).

    python benchmarks/bench_distributed.py [--scenarios 100000] [--skip-backtest]
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
import pandas as pd

from salesops_models import capacity as cap
from salesops_models import comp, config
from salesops_models.capacity.scenario_costs import CapacityScenarioInputs
from salesops_models.distributed import client_for
from salesops_models.scoring import model_rows
from salesops_models.store import load_duckdb


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def comp_cost(crm, scenarios: int, chunk: int) -> None:
    model = cap.ProductivityModel()
    model.fit(crm, seed=1)
    plan_start = (crm.data_end + pd.offsets.MonthBegin(1)).strftime("%Y-%m")
    cplan = cap.CapacityPlan(plan_start, 12)
    target = crm.trailing_bookings(pd.Timestamp(plan_start), months=12) * 1.15
    result = cap.capacity(crm, model, cplan, target, draws=2_000, seed=1)
    quotas = cap.allocate_quotas(crm, result, model.rep_productivity(), target)
    plan = comp.load_plan(config.PROJECT_ROOT / "plans" / "ae_standard.yml")
    seats, params = cap.plan.build_seats(crm, model, cplan)
    mix = comp.DealMix.from_crm(crm, [plan], pd.Timestamp(plan_start) - pd.Timedelta(days=1))
    periods = cap.plan.quarter_periods(12) + [np.arange(12)]
    make = CapacityScenarioInputs(params, seats, periods, quotas, plan, mix)
    print(
        f"comp cost: {scenarios:,} scenarios x {len(seats)} seats x 12 months in blocks of "
        f"{chunk:,} ({-(-scenarios // chunk)} tasks), plan {plan.name!r}"
    )
    one, t1 = timed(lambda: comp.cost_monte_carlo(plan, make, scenarios, seed=3, chunk=chunk))
    with client_for("local:2") as client:
        two, t2 = timed(
            lambda: comp.cost_monte_carlo(
                plan, make, scenarios, seed=3, chunk=chunk, scheduler=client
            )
        )
    assert np.array_equal(one.total, two.total), "cluster and one process differ"
    s = one.summary()
    print(
        f"  1 process   {t1:6.1f} s | 2-worker cluster {t2:6.1f} s (incl. start-up) | "
        f"speed-up {t1 / t2:.2f}x | same numbers: yes | cost P10/P50/P90 "
        f"{s['p10'] / 1e6:.2f}M / {s['p50'] / 1e6:.2f}M / {s['p90'] / 1e6:.2f}M | "
        f"peak {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6:.1f} GB"
    )


def forecast_backtest(crm) -> None:
    from salesops_models.forecast.backtest import backtest

    print("forecast backtest: 8 quarters x 3 points (24 fits)")
    one, t1 = timed(lambda: backtest(crm, quarters=8, progress=False))
    two, t2 = timed(lambda: backtest(crm, quarters=8, progress=False, scheduler="local:2"))
    m1, m2 = (model_rows(b).reset_index(drop=True) for b in (one, two))
    same = np.allclose(m1["p10"], m2["p10"]) and np.allclose(m1["p90"], m2["p90"])
    print(
        f"  1 process   {t1 / 60:5.1f} min | 2-worker cluster {t2 / 60:5.1f} min | "
        f"speed-up {t1 / t2:.2f}x | same intervals: {'yes' if same else 'NO'} | converged "
        f"{int(m1['converged'].sum())}/{len(m1)} and {int(m2['converged'].sum())}/{len(m2)}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenarios", type=int, default=100_000)
    ap.add_argument("--chunk", type=int, default=2_000)
    ap.add_argument("--skip-backtest", action="store_true")
    ap.add_argument("--skip-comp", action="store_true")
    a = ap.parse_args()
    crm = load_duckdb(config.DEFAULT_DB)
    if not a.skip_comp:
        comp_cost(crm, a.scenarios, a.chunk)
    if not a.skip_backtest:
        forecast_backtest(crm)


if __name__ == "__main__":
    main()
