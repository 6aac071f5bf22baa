import numpy as np
import pandas as pd
import pytest

from salesops_models.schema import CRM_TABLE_NAMES as TABLE_NAMES
from salesops_models.synthetic import OrgParams, generate_org


def test_same_seed_same_tables_different_seed_different():
    a = generate_org(n_reps=10, years=1, seed=5)
    b = generate_org(n_reps=10, years=1, seed=5)
    c = generate_org(n_reps=10, years=1, seed=6)
    for t in TABLE_NAMES:
        pd.testing.assert_frame_equal(getattr(a.crm, t), getattr(b.crm, t))
    for t in a.truth:
        pd.testing.assert_frame_equal(a.truth[t], b.truth[t])
    assert a.crm.fingerprint() == b.crm.fingerprint() != c.crm.fingerprint()


def test_generated_org_is_valid(small_org):
    problems = small_org.crm.validate()
    assert problems.empty, problems.head()


def test_org_structure(small_org):
    reps = small_org.crm.reps
    aes = reps[reps["role"] == "AE"]
    mgr = reps[reps["role"] == "Manager"]
    assert aes["manager_id"].isin(mgr["id"]).all()
    assert set(aes["segment"]) == {"SMB", "Mid-Market", "Enterprise"}
    # attrition with backfills: some reps left, and hires during the window ramp
    assert aes["termination_date"].notna().any()
    assert (aes["hire_date"] > small_org.crm.data_start).any()
    acc = small_org.crm.accounts
    assert acc["lat"].between(18, 72).all() and acc["lon"].between(-180, -60).all()
    assert acc["state"].str.fullmatch(r"[A-Z]{2}").all()


def _closed_outcomes(org):
    crm, t = org.crm, org.truth["opportunities"]
    o = crm.opportunities.merge(t, left_on="id", right_on="opportunity_id")
    o = o.merge(
        crm.reps[["id", "segment"]].rename(columns={"id": "owner_rep_id"}), on="owner_rep_id"
    )
    return o[~o["is_duplicate"]]


@pytest.mark.slow
def test_realism_matches_configured_truth():
    org = generate_org(n_reps=150, years=3, seed=21)
    p = org.params
    o = _closed_outcomes(org)
    # 1) win rates: deals created early enough to be resolved; CRM outcome vs true probability
    early = o[o["created_date"] < o["created_date"].max() - pd.Timedelta(days=400)]
    for seg, g in early.groupby("segment"):
        observed = g["will_win"].mean()
        expected = g["p_win"].mean()
        se = np.sqrt(expected * (1 - expected) / len(g))
        assert abs(observed - expected) < 4 * se + 0.005, (seg, observed, expected)
        # and the CRM records exactly the won ones as won
        assert (g["is_won"] <= g["will_win"]).all()
    # 2) cycle length of won deals vs the configured stage durations (lognormal sum)
    rng = np.random.default_rng(0)
    won = o[o["is_won"]].assign(cycle=lambda d: (d["close_date"] - d["created_date"]).dt.days)
    for sp in p.segments:
        sim = np.exp(
            np.log(sp.stage_days_median) + sp.stage_days_log_sd * rng.standard_normal((100_000, 5))
        ).sum(1)
        got = won.loc[won["segment"] == sp.name, "cycle"].median()
        assert abs(got - np.median(sim)) / np.median(sim) < 0.15, (sp.name, got, np.median(sim))
    # 3) seasonality of deal creation follows the monthly factors
    created = org.crm.opportunities["created_date"]
    created = created[created >= org.crm.quotas["period_start"].min()]
    by_month = created.dt.month.value_counts().sort_index()
    years = created.dt.year.groupby(created.dt.month).nunique()
    rate = (by_month / years).to_numpy()
    assert np.corrcoef(rate, np.asarray(p.seasonality))[0, 1] > 0.8
    # 4) quarter-end concentration: far more than the uniform 7/91 of wins in a quarter's last week
    d = won["close_date"]
    qend = d.dt.to_period("Q").dt.end_time.dt.normalize()
    assert ((qend - d).dt.days < 7).mean() > 0.15
    # 5) ramp: opportunity volume of new hires grows over their first months
    t = org.truth["reps"]
    hires = t[t["hire_day"] > 0]
    ops = org.crm.opportunities.merge(
        org.crm.reps[["id", "hire_date"]].rename(columns={"id": "owner_rep_id"}), on="owner_rep_id"
    )
    ops = ops[ops["owner_rep_id"].isin(hires["rep_id"])]
    month = (ops["created_date"] - ops["hire_date"]).dt.days // 30
    assert (month == 0).sum() < (month == 6).sum()


def test_hygiene_rates_are_configurable():
    from dataclasses import replace

    base = OrgParams()
    clean = replace(
        base,
        hygiene=replace(
            base.hygiene, zombie_rate=0.0, duplicate_rate=0.0, no_push_rate=0.0, missing={}
        ),
    )
    org = generate_org(n_reps=12, years=1, seed=3, params=clean)
    t = org.truth["opportunities"]
    assert not t["is_duplicate"].any() and not t["is_zombie"].any()
    assert org.crm.opportunities["lead_source"].notna().all()


def test_bad_parameters_are_clear_errors():
    with pytest.raises(ValueError, match="n_reps"):
        generate_org(n_reps=0)
    from dataclasses import replace

    with pytest.raises(ValueError, match="attrition"):
        generate_org(n_reps=5, params=replace(OrgParams(), attrition_monthly=1.5))
