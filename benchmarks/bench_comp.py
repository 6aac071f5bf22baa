"""Comp-plan cost Monte Carlo: 10,000 scenarios x 2,000 reps x 12 monthly periods with a
4-tier marginal plan, a payout cap and a milestone SPIFF (goal: <= 10 s on 2 cores, >= 100x a
per-rep Python loop applying the same plan, same numbers).

Attainment is drawn per chunk of reps (lognormal, mean about 95%; float32, about 1 GB in all)
and timed apart; the comparison is on the same work, applying the plan to the same attainment.

Good and bad years: each scenario also draws one path of shared quarter effects
(``sd_period`` x a standard normal per quarter, the same for every rep), as the capacity
Monte Carlo does; ``sd_period`` is the productivity model's estimate on the sample org's
store (fitted here, outside the timing) unless ``--sd-period`` gives it; the benchmark's reps
have no segments, so the model's segment effects are left out. The annual cost's
P10-P90 band is printed with the shared effect and without it (reps independent: the band
before the shared effect, which finance found too narrow).
The baseline applies the plan with plain Python arithmetic per rep, scenario and month; it is
timed on a few reps, compared with ours on them, and scaled to all reps.

    python benchmarks/bench_comp.py [--scenarios 10000] [--reps 2000] [--periods 12]
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from salesops_models.comp import evaluate, parse_plan

PLAN = parse_plan(
    {
        "name": "bench: 4 tiers, cap, SPIFF",
        "period": "month",
        "measures": [
            {
                "name": "bookings",
                "metric": "bookings",
                "weight": 1.0,
                "rates": {
                    "method": "marginal",
                    "cap_payout": 3.0,
                    "tiers": [
                        {"from": 0, "to": 0.5, "rate": 0.5},
                        {"from": 0.5, "to": 1.0, "rate": 1.5},
                        {"from": 1.0, "to": 1.5, "rate": 2.0},
                        {"from": 1.5, "rate": 1.0},
                    ],
                },
            }
        ],
        "spiffs": [
            {
                "name": "club",
                "kind": "milestone",
                "measure": "bookings",
                "attainment": 1.25,
                "amount": 1000,
            }
        ],
    }
)
TI_MONTH = 100_000 * 0.5 / 12


def attainment_chunk(seed_seq, S, r, P, shared=None):
    """Lognormal attainment (S, r, P); ``shared`` (S, P) is added to every rep's log."""
    rng = np.random.Generator(np.random.PCG64(seed_seq))
    z = rng.standard_normal((S, r, P), dtype=np.float32)
    z *= np.float32(0.45)
    z += np.float32(-0.1)
    if shared is not None:
        z += shared[:, None, :]
    return np.exp(z, out=z)


def shared_path(S: int, P: int, sd: float, seed: int = 7) -> np.ndarray:
    """One path of quarter effects per scenario (months 0-2 share quarter 0, ...)."""
    zq = np.random.default_rng(seed).standard_normal((S, (P + 2) // 3))
    return (sd * zq[:, np.arange(P) // 3]).astype(np.float32)


def estimated_sd_period() -> tuple[float, str]:
    """Posterior mean of the shared quarter effect's scale on the sample org's store."""
    from salesops_models import config
    from salesops_models.capacity import ProductivityModel
    from salesops_models.store import load_duckdb

    if not config.DEFAULT_DB.exists():
        return 0.10, "no sample-org store (run `make demo`): 0.10 assumed"
    model = ProductivityModel()
    model.fit(load_duckdb(config.DEFAULT_DB), seed=1)
    sd = float(model.idata.posterior["sd_period"].mean())
    return sd, f"estimated on {config.DEFAULT_DB.name} ({model.diagnostics().summary()})"


def loop_payout(a: float) -> float:
    """The same plan, one attainment at a time, in plain Python."""
    tiers = ((0.0, 0.5, 0.5), (0.5, 1.0, 1.5), (1.0, 1.5, 2.0), (1.5, float("inf"), 1.0))
    g = 0.0
    for lo, hi, rate in tiers:
        if a > lo:
            g += rate * (min(a, hi) - lo)
    g = min(g, 3.0)
    return g * TI_MONTH + (1000.0 if a >= 1.25 else 0.0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenarios", type=int, default=10_000)
    ap.add_argument("--reps", type=int, default=2_000)
    ap.add_argument("--periods", type=int, default=12)
    ap.add_argument("--chunk", type=int, default=50)
    ap.add_argument("--sd-period", type=float, default=None, help="shared quarter effect scale")
    args = ap.parse_args()
    S, R, P = args.scenarios, args.reps, args.periods
    if args.sd_period is None:
        sd_period, sd_source = estimated_sd_period()
    else:
        sd_period, sd_source = args.sd_period, "given"
    shared = shared_path(S, P, sd_period)
    starts = list(range(0, R, args.chunk))
    seeds = np.random.SeedSequence(2026).spawn(len(starts))
    per_rep = np.zeros((S, R))
    chunks: list[np.ndarray] = [None] * len(starts)

    def draw(i, with_shared=True):
        r = min(args.chunk, R - starts[i])
        chunks[i] = attainment_chunk(seeds[i], S, r, P, shared if with_shared else None)

    def work(i):
        att = chunks[i]
        res = evaluate(PLAN, {"bookings": att}, np.full(att.shape[1], TI_MONTH), chunk=att.shape[1])
        per_rep[:, starts[i] : starts[i] + att.shape[1]] = res.per_rep

    t = time.perf_counter()
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(draw, range(len(starts))))
    drawing = time.perf_counter() - t
    t = time.perf_counter()
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(work, range(len(starts))))
    ours = time.perf_counter() - t
    total = per_rep.sum(axis=1)
    # the same work without the shared effect (reps independent), for the band's width
    per_rep_shared = per_rep.copy()
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda i: draw(i, with_shared=False), range(len(starts))))
        list(pool.map(work, range(len(starts))))
    total_alone = per_rep.sum(axis=1)
    per_rep = per_rep_shared
    with ThreadPoolExecutor(2) as pool:  # the shared-effect attainment again, for the check
        list(pool.map(draw, range(len(starts))))
    # baseline on the first 2 reps of the first chunk, same attainment draws
    att0 = chunks[0]
    k = 2
    t = time.perf_counter()
    base = np.zeros((S, k))
    for j in range(k):
        for s in range(S):
            acc = 0.0
            for p in range(P):
                acc += loop_payout(float(att0[s, j, p]))
            base[s, j] = acc
    loop = (time.perf_counter() - t) * R / k
    same = np.allclose(base, per_rep[:, :k], rtol=1e-4)
    print(
        f"{S:,} scenarios x {R:,} reps x {P} monthly periods, 4-tier marginal plan + payout cap + milestone SPIFF"
    )
    print(f"{'applying the plan (same work)':34s}{'seconds':>10s}")
    print(f"{'  ours (vectorized, 2 threads)':34s}{ours:10.2f}")
    print(f"{'  per-rep Python loop (scaled)*':34s}{loop:10.0f}")
    print(f"speed-up {loop / ours:,.0f}x; same numbers for the {k} reps checked: {same}")
    print(
        f"drawing the simulated attainment: {drawing:.2f} s; draw + evaluate: {drawing + ours:.2f} s"
    )
    print(
        f"goal <= 10 s (draw + evaluate) and >= 100x: "
        f"{'MET' if drawing + ours <= 10 and loop / ours >= 100 else 'NOT MET'}"
    )
    print(f"* timed on {k} reps x {S:,} scenarios and scaled to {R:,} reps")
    print(f"shared quarter effect scale sd_period = {sd_period:.3f} ({sd_source})")
    print(f"{'annual comp cost':34s}{'P10':>14s}{'P50':>14s}{'P90':>14s}{'band':>9s}")
    for name, t in (
        ("  with the shared effect", total),
        ("  reps independent (before)", total_alone),
    ):
        p10, p50, p90 = np.quantile(t, [0.1, 0.5, 0.9])
        print(f"{name:34s}{p10:14,.0f}{p50:14,.0f}{p90:14,.0f}  +-{(p90 - p10) / 2 / p50:.1%}")


if __name__ == "__main__":
    main()
