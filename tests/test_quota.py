"""Quota allocation, calibration and fairness on a small org with a tiny MCMC fit."""

import numpy as np
import pandas as pd
import pytest

from salesops_models import capacity as cap


@pytest.fixture(scope="module")
def fitted(small_org):
    # a tiny fit (no retries: these tests check the plan arithmetic, not convergence)
    model = cap.ProductivityModel(
        sampler_config={"draws": 150, "tune": 150, "chains": 2, "retries": 0}
    )
    model.fit(small_org.crm, seed=3)
    plan = cap.CapacityPlan(
        "2026-04", 6, pd.DataFrame([{"month": "2026-05", "segment": "SMB", "hires": 2}])
    )
    res = cap.capacity(small_org.crm, model, plan, target=20e6, draws=400, seed=1)
    return small_org.crm, model, res


def test_capacity_result_shapes_and_summary(fitted):
    crm, model, res = fitted
    ds = res.to_xarray()
    assert ds["capacity"].dims == ("draw", "month") and ds.sizes["month"] == 6
    assert ds.sizes["rep"] == len(res.seats) and res.seats["planned_hire"].sum() == 2
    s = res.summary()
    assert s["p10"] <= s["p50"] <= s["p90"] and 0 <= s["p_reach_target"] <= 1
    fan = res.fan()
    assert (np.diff(fan["p50"]) >= 0).all() and fan["target"].iloc[-1] == pytest.approx(20e6)
    # planned hires start at 0 in their first month and ramp
    hires = res.seats.index[res.seats["planned_hire"]]
    assert (
        (res.ramp[hires, 0] == 0).all()
        and (res.ramp[hires, 1] == 0).all()
        and (res.ramp[hires, 2] > 0).all()
    )


@pytest.mark.parametrize("method", ["potential", "performance", "blend"])
def test_quotas_add_up_and_split_by_season(fitted, method):
    crm, model, res = fitted
    q = cap.allocate_quotas(crm, res, model.rep_productivity(), 20e6, method=method, buffer=0.15)
    assert q["annual_quota"].sum() == pytest.approx(20e6 * 1.15)
    quarters = [c for c in ("Q1", "Q2", "Q3", "Q4") if c in q]
    assert np.allclose(q[quarters].sum(axis=1), q["annual_quota"])
    assert (q["annual_quota"] > 0).all()
    assert set(q["ote_check"]) <= {"ok", "below 4x", "above 6x", "no OTE"}
    if method == "potential":  # inside a segment, quota follows potential x ramp
        full = q[(q["ramp_share"] == 1) & (q["segment"] == "SMB")]
        assert np.corrcoef(full["potential"], full["annual_quota"])[0, 1] > 0.999


def test_calibration_and_recommendation(fitted):
    crm, model, res = fitted
    q = cap.allocate_quotas(crm, res, model.rep_productivity(), 20e6, buffer=0.1)
    curve = cap.calibration_curve(res, q, 0.1)
    assert (np.diff(curve["share_at_quota"]) <= 1e-12).all()  # more over-assignment, fewer at quota
    att = cap.attainment(res, q)
    assert cap.share_at_quota(att).mean() == pytest.approx(
        curve.loc[np.isclose(curve["buffer"], 0.1), "share_at_quota"].iloc[0]
    )
    best = cap.recommend_buffer(curve)
    mid = curve.loc[np.isclose(curve["buffer"], best), "share_at_quota"].iloc[0]
    assert abs(mid - 0.725) == pytest.approx((curve["share_at_quota"] - 0.725).abs().min())
    with pytest.raises(ValueError, match="method"):
        cap.allocate_quotas(crm, res, model.rep_productivity(), 20e6, method="magic")
    with pytest.raises(ValueError, match="buffer"):
        cap.allocate_quotas(crm, res, model.rep_productivity(), 20e6, buffer=-0.5)


def test_variance_decomposition_recovers_a_known_split():
    rng = np.random.default_rng(0)
    R, S = 400, 300
    potential = np.exp(rng.normal(0, 0.5, R))
    territory = 0.3 * np.log(potential)  # structural part
    skill = rng.normal(0, 0.1, R)
    att = 1 + territory + skill + rng.normal(0, 0.2, (S, R))
    d = cap.variance_decomposition(att, potential).set_index("source")["share"]
    assert d.sum() == pytest.approx(1.0)
    total = 0.3**2 * 0.25 + 0.1**2 + 0.2**2
    assert d["territory (structural)"] == pytest.approx(0.3**2 * 0.25 / total, abs=0.04)
    assert d["luck (scenario noise)"] == pytest.approx(0.2**2 / total, abs=0.04)


def test_hires_needed_reaches_the_probability(fitted):
    crm, model, res = fitted
    plan = cap.CapacityPlan("2026-04", 6)
    base = cap.capacity(crm, model, plan, 1.0, draws=300, seed=2).summary()["p50"]
    path = cap.hires_needed(crm, model, plan, base * 1.15, "SMB", p_target=0.8, draws=300, seed=2)
    k = path.attrs["answer"]
    assert k is not None and k > 0
    p = dict(zip(path["hires"], path["p_reach_target"], strict=True))
    assert p[k] >= 0.8 and (k - 1) in p and p[k - 1] < 0.8  # bisection evaluated both sides


def test_shared_effect_shock_and_stress_scenarios(fitted):
    """The fitted quarter-effect scale reaches the Monte Carlo (one path per scenario for all
    seats), a named shock scales exactly the months it names on the same random numbers, and
    the stress table's bad year is worse than its good year for bookings."""
    crm, model, res = fitted
    assert res.sim.shared is not None and res.sim.shared.shape == (400, 6)
    year = res.year_effect()
    assert year.std() > 0.01 and abs(np.log(year).mean()) < 0.05
    shock = {"2026-07": -0.15, "2026-08": -0.15, "2026-09": -0.15}
    plan = cap.CapacityPlan(
        "2026-04",
        6,
        pd.DataFrame([{"month": "2026-05", "segment": "SMB", "hires": 2}]),
        shock=shock,
    )
    hit = cap.capacity(crm, model, plan, target=20e6, draws=400, seed=1)
    ratio = hit.sim.monthly_total / res.sim.monthly_total
    np.testing.assert_allclose(ratio[:, :3], 1.0, rtol=1e-5)
    np.testing.assert_allclose(ratio[:, 3:], 0.85, rtol=1e-5)
    row = cap.stress_row(hit, {"bookings": hit.total()})
    assert row["scenarios"] == 400 and row["bookings"] == pytest.approx(hit.total().mean())
    html = cap.styled_stress(
        cap.stress_table(res, {"share_at_quota": np.full(400, 0.25)})
    ).to_html()
    assert "25%" in html and "bad year" in html
    # the shock shows in the year's shared multiplier: half the horizon at 0.85
    assert hit.year_effect().mean() == pytest.approx(np.sqrt(0.85) * year.mean(), rel=1e-6)
    table = cap.stress_table(res, {"bookings": res.total()})
    assert table.loc["bad year", "bookings"] < table.loc["typical", "bookings"]
    assert table.loc["typical", "bookings"] < table.loc["good year", "bookings"]
    assert table.loc["bad year", "scenarios"] == table.loc["good year", "scenarios"] == 40
    # without the shared effect the seats are independent given the parameters: narrower
    plan0 = cap.CapacityPlan("2026-04", 6, plan.hiring, shared_effect=False)
    alone = cap.capacity(crm, model, plan0, target=20e6, draws=400, seed=1)
    assert alone.year_effect().std() < year.std()
    with pytest.raises(ValueError, match="outside the plan"):
        cap.CapacityPlan("2026-04", 6, shock={"2027-01": -0.1}).validate(["SMB"])


def test_leavers_deals_in_flight_count_in_the_team_not_as_seats(fitted):
    """AEs who left before the plan are simulated on their pipeline's carry curve: their
    bookings are in the team's total (and in ``carried``), never in a seat, a quota or the
    share at quota; the carry curve is the value-weighted share of won deals with a cycle
    longer than j + 1/2 months (checked against a direct count)."""
    crm, model, res = fitted
    start = pd.Timestamp("2026-04-01")
    seats, params = cap.plan.build_seats(crm, model, res_plan := cap.CapacityPlan("2026-04", 6))
    with_gone, params_all = cap.plan.build_seats(crm, model, res_plan, departed=True)
    gone = with_gone[with_gone["departed"]]
    assert len(gone) > 0 and set(gone["seat"]).isdisjoint(seats["seat"])
    assert not crm.active_reps(start)["id"].isin(gone["rep_id"]).any()
    assert (params_all.hazard[with_gone["departed"].to_numpy()] == 0).all()
    # live seats draw exactly the same numbers with or without the leavers appended
    plain = cap.simulate(params, 300, seed=2)
    both = cap.simulate(params_all, 300, seed=2)
    n = len(seats)
    np.testing.assert_array_equal(plain.seat_period, both.seat_period[:, :n])
    carried = both.seat_period[:, n:, -1].sum(axis=1)
    np.testing.assert_allclose(
        both.monthly_total.sum(axis=1), plain.monthly_total.sum(axis=1) + carried, rtol=1e-5
    )
    assert carried.mean() > 0
    # capacity() keeps them out of every per-seat result
    assert len(res.seats) == res.sim.seat_period.shape[1] == res.ramp.shape[0]
    assert not res.seats["seat"].str.startswith("LEFT-").any()
    assert res.carried is not None and (res.carried >= 0).all()
    # the carry curve by direct count
    carry = cap.pipeline_carry(crm, start - pd.Timedelta(days=1), ["SMB"], months=3)
    o = crm.opportunities
    seg = o["owner_rep_id"].map(crm.reps.set_index("id")["segment"])
    won = o[o["is_won"] & (seg == "SMB") & (o["close_date"] < start)]
    won = won[won["close_date"] > start - pd.Timedelta(days=1) - pd.DateOffset(months=24)]
    days = (won["close_date"] - won["created_date"]).dt.days
    for j in range(3):
        expect = won.loc[days > (j + 0.5) * 30.4375, "amount"].sum() / won["amount"].sum()
        assert carry["SMB"][j] == pytest.approx(expect)
    assert (np.diff(carry["SMB"]) <= 0).all()
