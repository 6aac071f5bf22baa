"""Territory design at scale: 20,000 accounts into 50 territories balanced within +/-3% of
potential (goal: <= 60 s on 2 cores, compactness within 5% of the LP lower bound), printed
beside two simple baselines on the same accounts: plain potential-weighted k-means (compact,
unbalanced) and sort-and-deal (balanced, not compact).

Accounts sit at population-weighted real US ZIP centroids (the sample org's geography) with
lognormal potential.

Then both Pfizer Turkey instances (../shared/datasets/pfizer_territory) through the public
API with their own distance tables and bounds, printed beside the exact optima computed
independently (HiGHS MIP, center bricks fixed, workloads in [0.8, 1.2]), and the 22x4
distance-vs-disruption frontier.

    python benchmarks/bench_territory.py [--accounts 20000] [--k 50] [--tolerance 0.03]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from salesops_models.synthetic.geography import REGIONS, sample_zips
from salesops_models.territory import balance_metrics, design_territories
from salesops_models.territory.design import distance_km, unit_vectors


def accounts(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    z = sample_zips(rng.choice(np.array(REGIONS, dtype=object), n), rng)
    return pd.DataFrame(
        {
            "id": [f"A{i:06d}" for i in range(n)],
            "lat": z["lat"].to_numpy(),
            "lon": z["lon"].to_numpy(),
            "potential": np.round(np.exp(rng.normal(11, 1.0, n)), -2),
        }
    )


def kmeans(acc: pd.DataFrame, k: int, iters: int = 20, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    xyz = unit_vectors(acc["lat"], acc["lon"])
    p = acc["potential"].to_numpy()
    c = xyz[rng.choice(len(acc), k, replace=False)]
    for _ in range(iters):
        a = np.argmin(distance_km(xyz, c), axis=1)
        new = np.zeros_like(c)
        np.add.at(new, a, xyz * p[:, None])
        ok = np.linalg.norm(new, axis=1) > 0
        c[ok] = new[ok] / np.linalg.norm(new[ok], axis=1, keepdims=True)
    return a


def sort_and_deal(acc: pd.DataFrame, k: int) -> np.ndarray:
    order = np.argsort(-acc["potential"].to_numpy())
    a = np.empty(len(acc), dtype=int)
    load = np.zeros(k)
    for i in order:  # deal the next largest account to the lightest territory
        t = int(np.argmin(load))
        a[i] = t
        load[t] += acc["potential"].iloc[i]
    return a


#: Exact optima of the Pfizer instances (issue #16; independent HiGHS MIP runs).
PFIZER_OPTIMA = {
    "22x4": {"distance": 154.60, "disruption": 0.1696, "frontier_points": 20},
    "100x10": {"distance": 15.0374, "disruption": 0.342646},
}


def pfizer_section() -> None:
    from salesops_models.territory import pareto_frontier, pfizer, solve

    if not pfizer.PFIZER_DIR.is_dir():
        print(f"Pfizer data not found at {pfizer.PFIZER_DIR}: skipped")
        return
    print()
    print("Pfizer Turkey instances (own distance tables, workloads in [0.8, 1.2], centers fixed)")
    print(
        f"{'instance':10s}{'objective':12s}{'optimum':>12s}{'ours':>14s}{'|diff|':>10s}"
        f"{'status':>10s}{'seconds':>9s}"
    )
    for name, load in (("22x4", pfizer.load_22x4), ("100x10", pfizer.load_100x10)):
        prob = load()
        for obj in ("distance", "disruption"):
            t = time.perf_counter()
            s = solve(prob, objective=obj, lp_bound=False)
            sec = time.perf_counter() - t
            val = s.distance if obj == "distance" else s.disruption
            ref = PFIZER_OPTIMA[name][obj]
            print(
                f"{name:10s}{obj:12s}{ref:12.6f}{val:14.6f}{abs(val - ref):10.1e}"
                f"{s.status:>10s}{sec:9.2f}"
            )
    t = time.perf_counter()
    f = pareto_frontier(pfizer.load_22x4())
    print(
        f"22x4 Pareto frontier: {len(f)} points (expected {PFIZER_OPTIMA['22x4']['frontier_points']}) "
        f"from ({f['distance'].iloc[0]:.2f}, {f['disruption'].iloc[0]:.4f}) to "
        f"({f['distance'].iloc[-1]:.2f}, {f['disruption'].iloc[-1]:.4f}) in {time.perf_counter() - t:.1f} s"
    )
    cur = pfizer.load_22x4()
    now = cur.evaluate(cur.current)
    print(
        f"22x4 current assignment for comparison: {now['distance']:.2f} km, breaks "
        f"{len(cur.violations(cur.current))} workload bounds"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--accounts", type=int, default=20_000)
    ap.add_argument("--k", type=int, default=50)
    ap.add_argument("--tolerance", type=float, default=0.03)
    args = ap.parse_args()
    acc = accounts(args.accounts)
    t = time.perf_counter()
    d = design_territories(acc, args.k, tolerance=args.tolerance, seed=1)
    ours = time.perf_counter() - t
    rows = {"ours (LP + rounding, HiGHS)": (ours, balance_metrics(d.accounts))}
    t = time.perf_counter()
    km = acc.assign(territory=kmeans(acc, args.k))
    rows["k-means (potential-weighted)"] = (time.perf_counter() - t, balance_metrics(km))
    t = time.perf_counter()
    sd = acc.assign(territory=sort_and_deal(acc, args.k))
    rows["sort-and-deal"] = (time.perf_counter() - t, balance_metrics(sd))
    print(
        f"{args.accounts:,} accounts into {args.k} territories, balance goal +/-{args.tolerance:.0%}"
    )
    print(f"{'':32s}{'seconds':>9s}{'max dev':>10s}{'CV':>8s}{'compact km':>12s}")
    for name, (sec, m) in rows.items():
        print(
            f"{name:32s}{sec:9.1f}{m['max_deviation']:10.1%}{m['potential_cv']:8.1%}{m['compactness_km']:12.1f}"
        )
    ptot = acc["potential"].sum()
    print(
        f"Lower bound of the full assignment problem (all {args.accounts:,} x {args.k} pairs, "
        f"{d.bound_kind}): {d.lower_bound / ptot:.1f} km; ours {d.compactness / ptot:.1f} km; "
        f"gap {d.gap:.2%}"
    )
    ok = (
        ours <= 60
        and rows["ours (LP + rounding, HiGHS)"][1]["max_deviation"] <= args.tolerance + 1e-9
        and d.gap <= 0.05
    )
    print(f"goal <= 60 s, within +/-{args.tolerance:.0%}, gap <= 5%: {'MET' if ok else 'NOT MET'}")
    print(
        "iterations (LP compactness km / bound km):",
        "; ".join(
            f"{h['compactness'] / ptot:.1f}/{h['lower_bound'] / ptot:.1f}" for h in d.iterations
        ),
    )
    pfizer_section()


if __name__ == "__main__":
    main()
