"""The forecast call at scale (goals on 2 cores): the roll-up of 1,000 forecasters x 13
weekly snapshots x 8 quarters <= 2 s, beside a per-manager loop of filters and sums (what a
spreadsheet of the call does, same numbers); the bias model on 60 forecasters x 8 quarters x
13 weeks <= 20 s warm and converged, beside the same model written per call (one likelihood
term per call, the quarter effects as parameters: no sufficient statistics).

    python benchmarks/bench_calls.py [--forecasters 1000] [--skip-bias]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from salesops_models.calls.rollup import rollup_series
from salesops_models.crm import CRM
from salesops_models.schema import CRM_TABLE_NAMES, conform, empty_table


def org(n: int, seed: int = 0) -> tuple[CRM, pd.DataFrame]:
    """A CRO, VPs, managers and AEs (about 1 : 5 : 9 per level) and their weekly Commit
    calls for 8 quarters, with managers' adjustments of one report in five."""
    rng = np.random.default_rng(seed)
    n_vp, n_mgr = max(2, n // 100), max(4, n // 10)
    n_ae = n - 1 - n_vp - n_mgr
    ids = ["CRO"] + [f"V{i}" for i in range(n_vp)] + [f"M{i}" for i in range(n_mgr)]
    ids += [f"A{i}" for i in range(n_ae)]
    mgr = [None] + ["CRO"] * n_vp + [f"V{i % n_vp}" for i in range(n_mgr)]
    mgr += [f"M{i % n_mgr}" for i in range(n_ae)]
    role = ["Manager"] * (1 + n_vp + n_mgr) + ["AE"] * n_ae
    reps = conform("reps", pd.DataFrame({"id": ids, "name": ids, "manager_id": mgr, "role": role}))
    tables = {t: empty_table(t) for t in CRM_TABLE_NAMES} | {"reps": reps}
    crm = CRM(**tables)
    quarters = [f"{y}-Q{q}" for y in (2025, 2026) for q in (1, 2, 3, 4)]
    rows = []
    for label in quarters:
        start = crm.period(label).start
        for w in range(13):
            day = start + pd.Timedelta(days=7 * w)
            amounts = rng.lognormal(11, 0.5, n_ae)
            rows.append(pd.DataFrame({"submitted_at": day, "forecaster_id": ids[-n_ae:],
                                      "period": label, "category": "Commit", "amount": amounts,
                                      "kind": "own", "adjusted_id": None}))  # fmt: skip
            pick = rng.random(n_ae) < 0.2
            rows.append(pd.DataFrame({"submitted_at": day + pd.Timedelta(hours=1),
                                      "forecaster_id": np.array(mgr[-n_ae:], dtype=object)[pick],
                                      "period": label, "category": "Commit",
                                      "amount": amounts[pick] * 0.9, "kind": "adjustment",
                                      "adjusted_id": np.array(ids[-n_ae:], dtype=object)[pick]}))  # fmt: skip
    calls = conform("forecast_calls", pd.concat(rows, ignore_index=True))
    return crm, calls


def baseline_rollup(crm: CRM, calls: pd.DataFrame, period: str, when) -> dict[str, float]:
    """The call as a spreadsheet computes it: for every manager, bottom up, filter the
    standing calls of each report and add them (adjusted where the manager adjusted)."""
    end = pd.Timestamp(when) + pd.Timedelta(days=1)
    known = calls[(calls["period"] == period) & (calls["submitted_at"] < end)]
    reps = crm.reps.set_index("id")
    out: dict[str, float] = {}

    def value(f: str) -> float:
        if f in out:
            return out[f]
        mine = known[(known["forecaster_id"] == f) & (known["kind"] == "own")]
        if len(mine):
            out[f] = float(mine.sort_values("submitted_at")["amount"].iloc[-1])
            return out[f]
        total = 0.0
        for k in reps.index[reps["manager_id"] == f]:
            adj = known[(known["forecaster_id"] == f) & (known["adjusted_id"] == k)]
            total += (
                float(adj.sort_values("submitted_at")["amount"].iloc[-1]) if len(adj) else value(k)
            )
        out[f] = total
        return total

    value("CRO")
    return out


def bench_rollup(n: int) -> None:
    crm, calls = org(n)
    snapshots = [
        (label, crm.period(label).start + pd.Timedelta(days=7 * w + 1))
        for label in sorted(calls["period"].unique())
        for w in range(13)
    ]
    t0 = time.perf_counter()
    by_quarter = {}
    for label, day in snapshots:
        by_quarter.setdefault(label, []).append(day)
    series = [rollup_series(crm, calls, q, days) for q, days in by_quarter.items()]
    t_ours = time.perf_counter() - t0
    ours = [g for s in series for _, g in s.groupby("as_of", sort=True)]
    k = 4  # the baseline on a few snapshots, scaled
    t0 = time.perf_counter()
    base = [baseline_rollup(crm, calls, label, day) for label, day in snapshots[:k]]
    t_base = (time.perf_counter() - t0) * len(snapshots) / k
    for (_, day), table, b in zip(snapshots[:k], ours[:k], base, strict=True):
        top = table.set_index("forecaster_id")["forecast"]
        assert abs(top["CRO"] - b["CRO"]) < 1e-6 * b["CRO"], (day, top["CRO"], b["CRO"])
    print(
        f"roll-up, {len(crm.reps):,} forecasters x {len(snapshots)} snapshots "
        f"({len(calls):,} calls): ours {t_ours:.2f} s (goal <= 2 s), per-manager loop "
        f"{t_base:.1f} s (scaled from {k} snapshots; same company number): {t_base / t_ours:.0f}x"
    )


def bench_bias() -> None:
    from salesops_models.calls import ForecasterBiasModel
    from salesops_models.synthetic import generate_org

    o = generate_org(n_reps=48, years=2.2, seed=5)
    calls, _ = o.forecast_calls()
    m = ForecasterBiasModel()
    m.fit(o.crm, seed=1, calls=calls)  # compiles (cold)
    t0 = time.perf_counter()
    m.fit(o.crm, seed=2, calls=calls)
    warm = time.perf_counter() - t0
    f, g = m.data.forecasters, m.data.groups
    t_base, b_base = per_call_baseline(o.crm, calls, m)
    ours = np.median(m.bias_draws(), axis=0)
    print(
        f"bias model, {len(f)} forecasters x {g['period'].nunique()} quarters "
        f"({int(g['n'].sum()):,} calls in {len(g):,} forecaster-quarters): ours {warm:.1f} s warm "
        f"(goal <= 20 s), {m.diagnostics().summary()}; per-call model {t_base:.1f} s "
        f"({t_base / warm:.1f}x), bias factors agree to {np.abs(ours - b_base).max():.3f}"
    )


def per_call_baseline(crm, calls, fitted) -> tuple[float, np.ndarray]:
    """The same model written per call: one likelihood term per call and the quarter
    effects u[f, q] as parameters (non-centred), sampled with the same sampler settings."""
    import pymc as pm

    from salesops_models.calls.data import scope_actuals, week_of_period

    d = fitted.data
    c = calls[(calls["kind"] == "own") & (calls["category"] == d.category)]
    c = c[
        c["forecaster_id"].isin(d.forecasters["forecaster_id"])
        & c["period"].isin(d.groups["period"])
    ]
    c = c.assign(week=week_of_period(crm, c["submitted_at"], c["period"]))
    c = c.sort_values("submitted_at").drop_duplicates(
        ["forecaster_id", "period", "week"], keep="last"
    )
    act = scope_actuals(crm, d.forecasters["forecaster_id"], sorted(c["period"].unique()))
    c = c.merge(act, on=["forecaster_id", "period"])
    c = c[(c["actual"] > 0) & (c["amount"] > 0)]
    f = pd.Categorical(c["forecaster_id"], categories=d.forecasters["forecaster_id"]).codes
    fq = pd.factorize(c["forecaster_id"] + "|" + c["period"])[0]
    h = (14 - c["week"].to_numpy()) / 13
    y = np.log(c["amount"].to_numpy() / c["actual"].to_numpy())
    role = (d.forecasters["role"] != "AE").to_numpy().astype(int)
    with pm.Model() as model:
        mu = pm.Normal("mu", 0, 0.2, shape=2)
        tau = pm.HalfNormal("tau", 0.2, shape=2)
        beta = pm.Normal("beta", mu[role], tau[role], shape=len(role))
        log_s0 = pm.Normal("log_s0", np.log(0.15), 0.7)
        tau_s = pm.HalfNormal("tau_s", 0.5)
        log_s = pm.Normal("log_s", log_s0, tau_s, shape=len(role))
        s = pm.math.exp(log_s)
        k = pm.HalfNormal("k", 1.0)
        z = pm.Normal("z", 0, 1, shape=int(fq.max()) + 1)
        owner = pd.Series(f).groupby(fq).first().to_numpy()
        u = z * k * s[owner]
        pm.Normal("y", beta[f] + h * u[fq], h * s[f], observed=y)
    sc = fitted.sampler_config
    t0 = time.perf_counter()
    with model:
        idata = pm.sample(draws=sc["draws"], tune=sc["tune"], chains=sc["chains"],
                          target_accept=sc["target_accept"], nuts_sampler="nutpie",
                          random_seed=1, progressbar=False)  # fmt: skip
    took = time.perf_counter() - t0
    return took, np.exp(idata.posterior["beta"].median(("chain", "draw")).to_numpy())


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--forecasters", type=int, default=1000)
    ap.add_argument("--skip-bias", action="store_true")
    a = ap.parse_args()
    bench_rollup(a.forecasters)
    if not a.skip_bias:
        bench_bias()
