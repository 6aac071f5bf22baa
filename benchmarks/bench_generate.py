"""Synthetic-org generation speed and memory: 1,000 reps x 3 years (goal: < 60 s, < 4 GB).

Prints our figure and a baseline's side by side in the same run. The baseline is the
straightforward way to write the same funnel simulation: a Python loop over deals, one
stage at a time (timed on a sample of deals and scaled to the same count).

    python benchmarks/bench_generate.py [--reps 1000] [--years 3]
"""

from __future__ import annotations

import argparse
import math
import resource
import time

import numpy as np

from salesops_models.synthetic import generate_org
from salesops_models.synthetic.params import SEGMENT_DEFAULTS


def baseline_per_deal(n_deals: int, seed: int = 0) -> float:
    """Seconds for a per-deal Python loop simulating the funnel and the history rows."""
    rng = np.random.default_rng(seed)
    seg = SEGMENT_DEFAULTS[1]
    t = time.perf_counter()
    rows = []
    for i in range(n_deals):
        when = rng.uniform(0, 1000)
        rows.append((i, when, 0))
        for k in range(5):
            p = 1 / (
                1
                + math.exp(
                    -(
                        math.log(seg.stage_conversion[k] / (1 - seg.stage_conversion[k]))
                        + rng.normal(0, 0.15)
                    )
                )
            )
            when += math.exp(
                math.log(seg.stage_days_median[k]) + seg.stage_days_log_sd * rng.normal()
            )
            if rng.random() >= p:
                rows.append((i, when, 6))
                break
            rows.append((i, when, k + 1))
    return time.perf_counter() - t


def vectorized_funnel(n_deals: int, seed: int = 0) -> float:
    """Seconds for the same funnel simulation written as the generator does it (arrays)."""
    rng = np.random.default_rng(seed)
    seg = SEGMENT_DEFAULTS[1]
    t = time.perf_counter()
    conv = np.asarray(seg.stage_conversion)
    eta = np.log(conv / (1 - conv))[None, :] + rng.normal(0, 0.15, (n_deals, 1))
    when = rng.uniform(0, 1000, n_deals)[:, None] + np.cumsum(
        np.exp(
            np.log(seg.stage_days_median)
            + seg.stage_days_log_sd * rng.standard_normal((n_deals, 5))
        ),
        axis=1,
    )
    adv = rng.random((n_deals, 5)) < 1 / (1 + np.exp(-eta))
    fail = np.where(adv.all(axis=1), 5, np.argmin(adv, axis=1))
    reached = np.arange(5)[None, :] <= fail[:, None]
    rows = np.column_stack(
        [np.nonzero(reached)[0], when[reached]]
    )  # one history row per stage reached
    assert len(rows) >= n_deals
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=1000)
    ap.add_argument("--years", type=float, default=3)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    t = time.perf_counter()
    org = generate_org(args.reps, args.years, args.seed, progress=True)
    ours = time.perf_counter() - t
    rss_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    n_opps = len(org.crm.opportunities)
    n_hist = len(org.crm.opportunity_history)
    sample = 200_000
    loop = baseline_per_deal(sample)
    vec = vectorized_funnel(sample)
    print()
    print(
        f"org: {args.reps} reps x {args.years:g} years -> {n_opps:,} opportunities, {n_hist:,} history rows"
    )
    print(
        f"whole generator: {ours:.1f} s, peak RSS {rss_gb:.2f} GB   goal < 60 s and < 4 GB -> "
        f"{'MET' if ours < 60 and rss_gb < 4 else 'NOT MET'}"
    )
    print("steps:", ", ".join(f"{k} {v:.1f}s" for k, v in org.timings.items()))
    print()
    print(f"same work side by side (funnel + history rows of {sample:,} deals):")
    print(f"  {'vectorized (ours)':24s}{vec:8.2f} s")
    print(f"  {'per-deal Python loop':24s}{loop:8.2f} s")
    print(f"  speed-up {loop / vec:.0f}x")


if __name__ == "__main__":
    main()
