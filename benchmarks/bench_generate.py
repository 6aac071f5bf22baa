"""Synthetic-org generation speed and memory: 1,000 reps x 3 years (goal: < 60 s, < 4 GB),
activity log included (about 11 million calls, emails, meetings and tasks).

Prints, in the same run: the whole generator with its activity log beside the generator
without it (the deals-only generator as it was before the log existed; each in its own
process, so each peak memory is its own), and the vectorized funnel beside the
straightforward way to write it, a Python loop over deals one stage at a time.

    python benchmarks/bench_generate.py [--reps 1000] [--years 3]
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import subprocess
import sys
import time
from dataclasses import replace

import numpy as np

from salesops_models.synthetic import OrgParams, generate_org
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


def one_generation(reps: int, years: float, seed: int, activities: bool) -> dict:
    """Generate once in this process; seconds, peak RSS and row counts."""
    params = OrgParams() if activities else replace(OrgParams(), activities=None)
    t = time.perf_counter()
    org = generate_org(reps, years, seed, params=params, progress=activities)
    secs = time.perf_counter() - t
    return {
        "seconds": secs,
        "peak_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2,
        "opportunities": len(org.crm.opportunities),
        "history": len(org.crm.opportunity_history),
        "activities": len(org.crm.activities),
        "steps": org.timings,
    }


def in_child(reps: int, years: float, seed: int, activities: bool) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", "1" if activities else "0"]
        + ["--reps", str(reps), "--years", str(years), "--seed", str(seed)],
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=1000)
    ap.add_argument("--years", type=float, default=3)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--child", choices=["0", "1"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child is not None:
        print(json.dumps(one_generation(args.reps, args.years, args.seed, args.child == "1")))
        return
    ours = in_child(args.reps, args.years, args.seed, True)
    before = in_child(args.reps, args.years, args.seed, False)
    sample = 200_000
    loop = baseline_per_deal(sample)
    vec = vectorized_funnel(sample)
    print()
    print(
        f"org: {args.reps} reps x {args.years:g} years -> {ours['opportunities']:,} "
        f"opportunities, {ours['history']:,} history rows, {ours['activities']:,} activities"
    )
    met = ours["seconds"] < 60 and ours["peak_gb"] < 4
    print(f"  {'':34s}{'seconds':>9s}{'peak GB':>9s}")
    print(f"  {'with the activity log (ours)':34s}{ours['seconds']:9.1f}{ours['peak_gb']:9.2f}")
    print(
        f"  {'deals only (generator before)':34s}{before['seconds']:9.1f}{before['peak_gb']:9.2f}"
    )
    print(f"  goal < 60 s and < 4 GB with the log -> {'MET' if met else 'NOT MET'}")
    print("  steps:", ", ".join(f"{k} {v:.1f}s" for k, v in ours["steps"].items()))
    print()
    print(f"same work side by side (funnel + history rows of {sample:,} deals):")
    print(f"  {'vectorized (ours)':24s}{vec:8.2f} s")
    print(f"  {'per-deal Python loop':24s}{loop:8.2f} s")
    print(f"  speed-up {loop / vec:.0f}x")


if __name__ == "__main__":
    main()
