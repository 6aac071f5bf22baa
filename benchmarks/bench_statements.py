"""Exact comp statements at scale: 2,000 reps x 36 monthly periods (three fiscal years) with
about 100 won deals per rep-year (600,000 deals), quotas from the quotas table, a 4-tier
marginal plan with a payout cap, a per-deal SPIFF, 90-day clawbacks (2% of deals cancelled)
and a recoverable draw for the reps hired inside the window (goal: <= 30 s on 2 cores).

Ours: one :func:`~salesops_models.comp.compute_statements` call over the three years (state
carried across periods and years). Baseline, in the same run: the per-rep loop a spreadsheet
macro or the pre-#15 code did, one call per rep on a CRM holding only that rep's deals; it is
timed on a sample of reps, compared line for line with ours on them, and scaled to all reps.

    python benchmarks/bench_statements.py [--reps 2000] [--deals 100] [--sample 10]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from salesops_models.comp import CompInputs, compute_statements, parse_plan
from salesops_models.crm import CRM

PLAN = parse_plan(
    {
        "name": "bench: monthly, 4 tiers, cap, SPIFF, clawback, draw",
        "period": "month",
        "pay_mix": {"base": 0.5, "variable": 0.5},
        "measures": [
            {
                "name": "bookings",
                "metric": "bookings",
                "weight": 1.0,
                "quota": "quotas",
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
                "name": "big deal",
                "kind": "per_deal",
                "amount": 250,
                "condition": {"min_amount": 40_000},
            },
        ],  # fmt: skip
        "draw": {"amount": 2_000, "recoverable": True, "periods": 3},
        "clawback": {"days": 90},
    }
)


def org(n_reps: int, deals_per_year: int, seed: int = 2026) -> tuple[CRM, CompInputs]:
    """A synthetic org over 2025-2027: reps hired over the years (some inside the draw
    window), lognormal deal sizes, quotas per month, 2% of deals cancelled within 60 days."""
    rng = np.random.default_rng(seed)
    ids = np.array([f"r{i:05d}" for i in range(n_reps)])
    hire = pd.Timestamp("2022-01-01") + pd.to_timedelta(rng.integers(0, 365 * 5, n_reps), "D")
    reps = pd.DataFrame(
        {"id": ids, "name": [f"Rep {i}" for i in range(n_reps)], "role": "AE",
         "hire_date": hire, "termination_date": pd.NaT, "ote": 160_000.0}
    )  # fmt: skip
    n = n_reps * deals_per_year * 3
    owner = rng.integers(0, n_reps, n)
    close = pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 365 * 3, n), "D")
    close = close.where(close >= hire[owner], hire[owner])  # nobody sells before their hire
    amount = np.round(np.exp(rng.normal(np.log(12_000), 0.8, n)), 2)
    oid = np.array([f"o{i:07d}" for i in range(n)])
    opps = pd.DataFrame(
        {"id": oid, "account_id": "a1", "owner_rep_id": ids[owner], "name": oid, "type": "new",
         "product": "Core", "lead_source": "Web", "created_date": close - pd.Timedelta(days=30),
         "close_date": close, "amount": amount, "stage": "Closed Won", "is_closed": True,
         "is_won": True, "forecast_category": "Closed"}
    )  # fmt: skip
    hist = opps[["id", "close_date", "stage", "amount", "forecast_category"]].rename(
        columns={"id": "opportunity_id"}
    )
    hist.insert(1, "changed_at", opps["close_date"])
    months = pd.period_range("2025-01", "2027-12", freq="M")
    quotas = pd.DataFrame(
        {"rep_id": np.repeat(ids, len(months)),
         "period_start": np.tile(months.start_time, n_reps),
         "period_end": np.tile(months.end_time.normalize(), n_reps),
         "amount": np.repeat(rng.uniform(80_000, 120_000, n_reps).round(-3), len(months))}
    )  # fmt: skip
    accounts = pd.DataFrame({"id": ["a1"], "name": ["Account"]})
    cancelled = rng.random(n) < 0.02
    adj = pd.DataFrame(
        {"opportunity_id": oid[cancelled], "event": "cancelled",
         "date": close[cancelled] + pd.to_timedelta(rng.integers(5, 60, cancelled.sum()), "D")}
    )  # fmt: skip
    return CRM(reps, accounts, opps, hist, quotas), CompInputs(adjustments=adj)


def one_rep(crm: CRM, inputs: CompInputs, rep_id: str) -> tuple[CRM, CompInputs]:
    o = crm.opportunities[crm.opportunities["owner_rep_id"] == rep_id]
    sub = CRM(
        crm.reps[crm.reps["id"] == rep_id],
        crm.accounts,
        o,
        crm.opportunity_history[crm.opportunity_history["opportunity_id"].isin(o["id"])],
        crm.quotas[crm.quotas["rep_id"] == rep_id],
    )
    adj = inputs.adjustments[inputs.adjustments["opportunity_id"].isin(o["id"])]
    return sub, CompInputs(adjustments=adj)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=2_000)
    ap.add_argument("--deals", type=int, default=100, help="won deals per rep-year")
    ap.add_argument("--sample", type=int, default=10, help="reps timed in the baseline loop")
    args = ap.parse_args()
    t = time.perf_counter()
    crm, inputs = org(args.reps, args.deals)
    build = time.perf_counter() - t
    t = time.perf_counter()
    res = compute_statements(crm, PLAN, "2027-12", inputs, start="2025-01-01", progress=True)
    ours = time.perf_counter() - t
    sample = list(crm.reps["id"].iloc[:: max(1, args.reps // args.sample)][: args.sample])
    t = time.perf_counter()
    parts = []
    for rep_id in sample:
        sub, sub_inputs = one_rep(crm, inputs, rep_id)
        parts.append(compute_statements(sub, PLAN, "2027-12", sub_inputs, start="2025-01-01").lines)
    loop = (time.perf_counter() - t) * args.reps / len(sample)
    cols = ["period", "rep_id", "kind", "opportunity_id", "amount"]
    theirs = pd.concat(parts, ignore_index=True)[cols]
    mine = res.lines[res.lines["rep_id"].isin(sample)][cols]
    key = cols[:-1]
    same = (
        mine.astype(str).sort_values(key).reset_index(drop=True)
        .equals(theirs.astype(str).sort_values(key).reset_index(drop=True))
    )  # fmt: skip
    kinds = res.lines["kind"].value_counts()
    print(
        f"{args.reps:,} reps x 36 monthly periods (2025-2027), "
        f"{len(crm.opportunities):,} won deals, {len(inputs.adjustments):,} cancellations "
        f"(org built in {build:.1f} s)"
    )
    print(f"{'exact statements, 3 fiscal years':36s}{'seconds':>10s}")
    print(f"{'  ours (one run, state carried)':36s}{ours:10.1f}")
    print(f"{'  per-rep loop (scaled)*':36s}{loop:10.1f}")
    print(f"speed-up {loop / ours:,.1f}x; same lines for the {len(sample)} reps checked: {same}")
    print(f"goal <= 30 s: {'MET' if ours <= 30 else 'NOT MET'}")
    print(f"* timed on {len(sample)} reps (one CRM each) and scaled to {args.reps:,} reps")
    print(
        f"{len(res.lines):,} lines ("
        + ", ".join(f"{k} {v:,}" for k, v in kinds.items())
        + f"); total paid {sum(res.totals['total']):,.2f}"
    )


if __name__ == "__main__":
    main()
