"""Comp-plan cost Monte Carlo: 10,000 scenarios x 2,000 reps x 12 monthly periods with a
4-tier marginal plan, a payout cap and a milestone SPIFF (goal: <= 10 s on 2 cores, >= 100x a
per-rep Python loop applying the same plan, same numbers).

Attainment is drawn per chunk of reps (lognormal, mean about 95%; float32, about 1 GB in all)
and timed apart; the comparison is on the same work, applying the plan to the same attainment.
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


def attainment_chunk(seed_seq, S, r, P):
    rng = np.random.Generator(np.random.PCG64(seed_seq))
    z = rng.standard_normal((S, r, P), dtype=np.float32)
    return np.exp(np.float32(-0.1) + np.float32(0.45) * z)


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
    args = ap.parse_args()
    S, R, P = args.scenarios, args.reps, args.periods
    starts = list(range(0, R, args.chunk))
    seeds = np.random.SeedSequence(2026).spawn(len(starts))
    per_rep = np.zeros((S, R))
    chunks: list[np.ndarray] = [None] * len(starts)

    def draw(i):
        chunks[i] = attainment_chunk(seeds[i], S, min(args.chunk, R - starts[i]), P)

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
    print(
        f"annual comp cost P10/P50/P90: {np.quantile(total, 0.1):,.0f} / {np.median(total):,.0f} / {np.quantile(total, 0.9):,.0f}"
    )


if __name__ == "__main__":
    main()
