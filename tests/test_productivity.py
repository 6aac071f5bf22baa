"""The Bayesian productivity model: sufficient statistics, recovery of known parameters,
diagnostics and persistence."""

import numpy as np
import pandas as pd
import pytest

from salesops_models.capacity import ProductivityModel, rep_months, sufficient_stats

TRUTH = {  # segment: (mu, tau, sigma, pi)
    "SMB": (10.8, 0.25, 0.5, 0.05),
    "Mid-Market": (11.5, 0.30, 0.8, 0.15),
    "Enterprise": (12.3, 0.35, 1.1, 0.40),
}


def simulate_months(n_reps=25, n_months=24, seed=0):
    rng = np.random.default_rng(seed)
    rows, lam_true = [], {}
    for seg, (mu, tau, sigma, pi) in TRUTH.items():
        for i in range(n_reps):
            rid = f"{seg[:3]}{i:02d}"
            lam = rng.normal(mu, tau)
            lam_true[rid] = lam
            booked = rng.random(n_months) >= pi
            b = np.where(booked, np.exp(rng.normal(lam, sigma, n_months)), 0.0)
            rows.append(
                pd.DataFrame(
                    {
                        "rep_id": rid,
                        "segment": seg,
                        "month": range(n_months),
                        "tenure_month": 12 + np.arange(n_months),
                        "bookings": b,
                    }
                )
            )
    return pd.concat(rows, ignore_index=True), lam_true


def test_sufficient_statistics_are_exact():
    months, _ = simulate_months(n_reps=3, n_months=10)
    st = sufficient_stats(months, ramped_after=0).set_index("rep_id")
    for rid, g in months.groupby("rep_id"):
        pos = np.log(g.loc[g["bookings"] > 0, "bookings"])
        assert st.loc[rid, "n"] == len(g) and st.loc[rid, "n_zero"] == (g["bookings"] == 0).sum()
        assert st.loc[rid, "mean_log"] == pytest.approx(pos.mean())
        assert st.loc[rid, "ss_log"] == pytest.approx(((pos - pos.mean()) ** 2).sum())


def test_rep_months_from_a_crm(small_org):
    rm = rep_months(small_org.crm)
    assert {"rep_id", "segment", "month", "tenure_month", "bookings"} <= set(rm.columns)
    o = small_org.crm.opportunities
    won = o[o["is_won"] & o["owner_rep_id"].isin(rm["rep_id"])]
    # whole months only, so the rep-month table holds at most all won bookings
    assert 0.5 * won["amount"].sum() < rm["bookings"].sum() <= won["amount"].sum() + 1e-6
    assert (rm["tenure_month"] >= 1).all()


@pytest.mark.slow
def test_parameter_recovery_and_diagnostics(tmp_path):
    months, lam_true = simulate_months()
    stats = sufficient_stats(months, ramped_after=0)
    model = ProductivityModel(sampler_config={"draws": 1000, "tune": 1000, "chains": 4})
    prior = model.prior_predictive(stats, samples=200, seed=1)
    assert "mean_log" in prior.prior_predictive
    idata = model.fit(stats, seed=11)
    diag = model.diagnostics()
    assert diag.ok, diag.summary()
    post = idata.posterior
    misses = 0
    for k, name in enumerate(("mu", "tau", "sigma", "pi")):
        for seg, truth in TRUTH.items():
            d = post[name].sel(segment=seg).to_numpy().ravel()
            lo, hi = np.quantile(d, [0.05, 0.95])
            misses += not lo <= truth[k] <= hi
    assert misses <= 2, f"{misses} of 12 segment parameters outside their 90% intervals"
    lam = post["lam"].stack(s=("chain", "draw")).to_numpy()
    lo, hi = np.quantile(lam, [0.05, 0.95], axis=1)
    truth = np.array([lam_true[r] for r in model.stats["rep_id"]])
    coverage = np.mean((lo <= truth) & (truth <= hi))
    assert 0.78 <= coverage <= 0.99, coverage  # nominal 90% over 75 reps
    # save / load keeps draws, configs and the data
    path = model.save(tmp_path / "productivity.nc")
    back = ProductivityModel.load(path)
    assert back.model_config == model.model_config and back.sampler_config == model.sampler_config
    pd.testing.assert_frame_equal(back.rep_productivity(), model.rep_productivity())
