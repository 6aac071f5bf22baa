"""Health scorecard: wall time of every metric on a large org, and the ramp model's exact
Gamma-Poisson marginal against the naive way of getting the same number (numerical
integration over each rep's full-productivity rate), side by side in the same run.

Goals (2 cores): the whole scorecard (11 metrics, trends, bootstraps, exact comp statements)
under 60 s for a 300-rep org with 3 years of history; the closed-form marginal equal to the
integrated one to 1e-6 and >= 1,000x faster.

    python benchmarks/bench_health.py [--reps 300] [--sample 40]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy import integrate, stats

from salesops_models import config
from salesops_models.health import fit_ramp, health_scorecard
from salesops_models.health.ramp import rep_log_marginal
from salesops_models.synthetic import generate_org


def naive_marginal(y, w_row, a, b) -> float:
    """log of the integral over lam of prod_m Poisson(y_m | lam w_m) x Gamma(lam | a, b)."""

    def f(lam):
        return np.exp(
            stats.poisson.logpmf(y, lam * w_row).sum() + stats.gamma.logpdf(lam, a, scale=1 / b)
        )

    hi = stats.gamma.ppf(1 - 1e-12, a + y.sum(), scale=1 / (b + w_row.sum())) * 3 + 10
    val, _ = integrate.quad(f, 0, hi, limit=400, epsabs=0, epsrel=1e-10)
    return float(np.log(val))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=300)
    ap.add_argument("--sample", type=int, default=40, help="hires integrated the naive way")
    args = ap.parse_args()

    t0 = time.perf_counter()
    org = generate_org(n_reps=args.reps, years=3, seed=3)
    crm = org.crm
    print(
        f"org: {args.reps} seats, {len(crm.opportunities):,} opportunities ({time.perf_counter() - t0:.1f} s)"
    )

    t0 = time.perf_counter()
    card = health_scorecard(
        crm, plan=config.PROJECT_ROOT / "plans" / "ae_standard.yml", strict=True
    )
    total = time.perf_counter() - t0
    print(f"\nscorecard: {total:.1f} s for 11 metrics (goal < 60 s)")
    for k, s in card.meta["timings_s"].items():
        print(f"  {k:<18} {s:6.2f} s   {card[k].status:<7} {card[k].value_text}")

    _, extra = fit_ramp(crm)
    inputs = extra["inputs"]
    rng = np.random.default_rng(0)
    pick = rng.choice(len(inputs), size=min(args.sample, len(inputs)), replace=False)
    t0 = time.perf_counter()
    ours = [rep_log_marginal(inputs[i][2], inputs[i][3], inputs[i][4], inputs[i][5]) for i in pick]
    t_ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    naive = [
        np.array(
            [naive_marginal(inputs[i][2], row, inputs[i][4], inputs[i][5]) for row in inputs[i][3]]
        )
        for i in pick
    ]
    t_naive = time.perf_counter() - t0
    diff = max(float(np.max(np.abs(a - b))) for a, b in zip(ours, naive, strict=True))
    n_eval = sum(len(inputs[i][3]) for i in pick)
    print(
        f"\nramp likelihood, {len(pick)} hires x {len(inputs[pick[0]][3])} ramp values "
        f"({n_eval:,} marginals):"
    )
    print(f"  closed form (ours)       {t_ours * 1e3:9.1f} ms")
    print(f"  numerical integration    {t_naive * 1e3:9.1f} ms   ({t_naive / t_ours:,.0f}x slower)")
    print(f"  max |log difference|     {diff:.2e} (goal <= 1e-6)")


if __name__ == "__main__":
    main()
