"""Capacity/attainment Monte Carlo: 10,000 scenarios x 2,000 reps x 12 months (goal: <= 10 s
and <= 2 GB on 2 cores, >= 50x a per-rep Python loop computing the same numbers), with
everything the product's seats carry: seasonality, a shared quarter path, the hurdle's
loading on it, backfills, and leavers' deals in flight.

The baseline is :func:`simulate_reference_loop`: Python loops over reps, scenarios and months,
consuming the same random streams; it is timed on a few reps, its numbers are compared with
the engine's for those reps, and its time is scaled to all reps.

    python benchmarks/bench_capacity.py [--scenarios 10000] [--reps 2000] [--months 12]
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np

from salesops_models.capacity import SeatParams, linear_ramp, simulate
from salesops_models.capacity.plan import quarter_periods
from salesops_models.capacity.simulate import simulate_reference_loop


def synthetic_params(reps: int, months: int, draws: int = 500, seed: int = 0) -> SeatParams:
    """Three segments, posterior-like parameter draws, 10% of seats planned hires."""
    rng = np.random.default_rng(seed)
    seg = rng.integers(0, 3, reps)
    mu = np.array([10.8, 11.5, 12.3])[None, :] + rng.normal(0, 0.03, (draws, 3))
    tau = np.array([0.25, 0.3, 0.35])[None, :] * np.exp(rng.normal(0, 0.1, (draws, 3)))
    shape = np.array([3.9, 1.7, 1.1])[None, :] * np.exp(rng.normal(0, 0.05, (draws, 3)))
    pi = np.array([0.05, 0.15, 0.4])[None, :] + rng.normal(0, 0.01, (draws, 3))
    lam = (
        mu[:, seg]
        + tau[:, seg] * rng.normal(0, 1, reps)[None, :]
        + rng.normal(0, 0.05, (draws, reps))
    )
    hires = rng.random(reps) < 0.1
    lam[:, hires] = np.nan
    ramp = np.ones((reps, months))
    curve = linear_ramp(4)
    for r in np.flatnonzero(hires):
        start = rng.integers(0, months)
        ramp[r, :start] = 0
        k = np.arange(months - start)
        ramp[r, start:] = np.where(k < len(curve), curve[np.minimum(k, len(curve) - 1)], 1.0)
    return SeatParams(
        lam=lam,
        shape=shape[:, seg],
        pi=np.clip(pi[:, seg], 0, 1),
        mu_pop=mu[:, seg],
        tau_pop=tau[:, seg],
        ramp=ramp,
        ramp_curve=curve,
        hazard=np.full(reps, 0.015),
        backfill_gap=2,
        # the shared part: quarter-end push within each quarter, one path of quarter effects
        # per scenario for every seat (scale as estimated on the sample org)
        season=np.tile(np.array([-0.1, 0.0, 0.1])[np.arange(months) % 3], (draws, 1)),
        sd_period=0.07 * np.exp(rng.normal(0, 0.2, draws)),
        quarter_of_month=np.arange(months) // 3,
        # the hurdle moves with the shared effect (loading as estimated on the sample org);
        # a backfill books at its segment's median share; a leaver's deals in flight still
        # close (carry curves like the sample org's SMB / Mid-Market / Enterprise)
        booked_loading=1.1 + 0.5 * rng.normal(0, 1, draws),
        pi_backfill=np.clip(pi[:, seg], 0, 1),
        carry=np.array(
            [
                [1.0, 0.75, 0.06, 0.0, 0.0, 0.0, 0.0],
                [1.0, 1.0, 0.82, 0.37, 0.09, 0.01, 0.0],
                [1.0, 1.0, 1.0, 1.0, 0.91, 0.32, 0.05],
            ]
        )[seg],
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenarios", type=int, default=10_000)
    ap.add_argument("--reps", type=int, default=2_000)
    ap.add_argument("--months", type=int, default=12)
    ap.add_argument("--baseline-reps", type=int, default=2)
    args = ap.parse_args()
    p = synthetic_params(args.reps, args.months)
    periods = quarter_periods(args.months) + [np.arange(args.months)]
    t = time.perf_counter()
    res = simulate(p, args.scenarios, seed=42, periods=periods, workers=2)
    ours = time.perf_counter() - t
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    seats = list(range(args.baseline_reps))
    t = time.perf_counter()
    ref = simulate_reference_loop(p, args.scenarios, 42, seats, periods)
    loop = (time.perf_counter() - t) * args.reps / len(seats)
    same = np.allclose(res.seat_period[:, seats, :], ref, rtol=2e-5, atol=1e-2)
    cells = args.scenarios * args.reps * args.months
    print(
        f"{args.scenarios:,} scenarios x {args.reps:,} reps x {args.months} months = {cells / 1e6:,.0f}M rep-months"
    )
    print(f"{'':34s}{'seconds':>10s}{'peak RSS GB':>13s}")
    print(f"{'ours (vectorized, 2 threads)':34s}{ours:10.2f}{rss:13.2f}")
    print(f"{'per-rep Python loop (scaled)*':34s}{loop:10.0f}")
    print(f"speed-up {loop / ours:,.0f}x; same numbers for the {len(seats)} reps checked: {same}")
    print(
        f"goal <= 10 s, <= 2 GB, >= 50x: {'MET' if ours <= 10 and rss <= 2 and loop / ours >= 50 else 'NOT MET'}"
    )
    print(
        f"* timed on {len(seats)} reps x {args.scenarios:,} scenarios and scaled to {args.reps:,} reps"
    )
    total = res.monthly_total.sum(axis=1)
    print(
        f"total bookings P10/P50/P90: {np.quantile(total, 0.1):,.0f} / {np.median(total):,.0f} / {np.quantile(total, 0.9):,.0f}"
    )


if __name__ == "__main__":
    main()
