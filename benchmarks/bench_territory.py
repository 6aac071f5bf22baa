"""Territory design at scale: 20,000 accounts into 50 territories balanced within +/-3% of
potential (goal: <= 60 s on 2 cores, compactness within 5% of the LP lower bound), printed
beside two simple baselines on the same accounts: plain potential-weighted k-means (compact,
unbalanced) and sort-and-deal (balanced, not compact).

Accounts sit at population-weighted real US ZIP centroids (the sample org's geography) with
lognormal potential.

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
        f"LP lower bound for the final centers: {d.lower_bound / ptot:.1f} km; ours {d.compactness / ptot:.1f} km; "
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


if __name__ == "__main__":
    main()
