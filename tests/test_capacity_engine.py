"""The Monte Carlo engine against closed forms, a reference loop and bad inputs."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from salesops_models.capacity import CapacityPlan, SeatParams, share_at_quota, simulate
from salesops_models.capacity.simulate import simulate_reference_loop

EXACT = 1e12  # a Gamma shape this large is a point mass at the mean (relative sd 1e-6)


def params(R=6, M=12, D=20, lam=10.0, shape=2.0, pi=0.0, hazard=0.0, seed=0):
    rng = np.random.default_rng(seed)
    return SeatParams(
        lam=np.full((D, R), lam) + rng.normal(0, 0.0, (D, R)),
        shape=np.full((D, R), shape),
        pi=np.full((D, R), pi),
        mu_pop=np.full((D, R), lam),
        tau_pop=np.full((D, R), 0.2),
        ramp=np.ones((R, M)),
        ramp_curve=np.array([0.0, 0.25, 0.5, 0.75]),
        hazard=np.full(R, hazard),
        backfill_gap=2,
    )


def test_no_uncertainty_gives_exact_bookings_and_share_at_quota():
    p = params(R=4, M=12, shape=EXACT)
    p.lam[:, :] = np.log([100.0, 200.0, 300.0, 400.0])[None, :]
    res = simulate(p, 50, seed=1)
    annual = res.seat_period[:, :, -1]
    assert np.allclose(annual, [1200.0, 2400.0, 3600.0, 4800.0], rtol=1e-5)
    quotas = np.array([1000.0, 3000.0, 3000.0, 5000.0])  # reps 1 and 3 make it
    share = share_at_quota(annual / quotas[None, :])
    assert np.all(share == 0.5)


@pytest.mark.parametrize("shape", [0.7, 1.8, 6.0])
def test_one_month_gamma_tail_and_mean_match_closed_form(shape):
    # P(bookings >= q) = (1 - pi) * GammaSF(q; k, mean exp(lam)); E = (1 - pi) exp(lam)
    lam, pi = 10.0, 0.25
    p = params(R=1, M=1, lam=lam, shape=shape, pi=pi)
    res = simulate(p, 200_000, seed=2)
    b = res.seat_period[:, 0, -1].astype(float)
    for q in np.exp(lam) * np.array([0.5, 1.5, 3.0]):
        got = (b >= q).mean()
        expected = (1 - pi) * stats.gamma.sf(q, shape, scale=np.exp(lam) / shape)
        se = np.sqrt(expected * (1 - expected) / 200_000)
        assert abs(got - expected) < 4 * se
    sd = np.exp(lam) * np.sqrt((1 - pi) * (1 / shape + 1) - (1 - pi) ** 2)
    assert abs(b.mean() - (1 - pi) * np.exp(lam)) < 4 * sd / np.sqrt(200_000)


def test_attrition_survival_and_backfill_ramp():
    h = 0.05
    p = params(R=1, M=12, shape=EXACT, hazard=h)
    p.tau_pop[:] = 1e-9  # backfills as productive as the leaver once ramped
    res = simulate(p, 100_000, seed=3)
    stayed = res.stayed[:, 0, -1].mean()
    expected = (1 - h) ** 12
    assert abs(stayed - expected) < 4 * np.sqrt(expected * (1 - expected) / 100_000)
    # a seat whose first occupant never leaves books exp(lam) every month
    full = res.seat_period[res.stayed[:, 0, -1], 0, -1]
    assert np.allclose(full, 12 * np.exp(10.0), rtol=1e-5)
    # leaving in month 11 loses only month 11: 11 months of bookings. Leaving in month 0: months
    # 0-1 vacant, the backfill ramps 0, 25, 50, 75% in months 2-5, full in 6-11:
    # 1.5 + 6 = 7.5 months = 12 - 2 - 4 + (0 + 0.25 + 0.5 + 0.75).
    left = res.seat_period[~res.stayed[:, 0, -1], 0, -1] / np.exp(10.0)
    assert left.max() == pytest.approx(11.0, rel=1e-5)
    assert left.min() == pytest.approx(12 - 2 - 4 + (0 + 0.25 + 0.5 + 0.75), rel=1e-5)


def test_same_seed_same_numbers_whatever_the_threads():
    p = params(R=9, M=6, hazard=0.02, pi=0.2)
    a = simulate(p, 300, seed=5, workers=1)
    b = simulate(p, 300, seed=5, workers=2)
    c = simulate(p, 300, seed=6, workers=2)
    assert np.array_equal(a.seat_period, b.seat_period) and np.array_equal(a.stayed, b.stayed)
    assert not np.array_equal(a.seat_period, c.seat_period)


def test_reference_loop_gives_the_same_numbers():
    p = params(R=5, M=12, hazard=0.03, pi=0.3, shape=1.3)
    p.lam[:, -1] = np.nan  # a planned hire: productivity from the population
    p.ramp[-1, :4] = 0
    p.ramp[-1, 4:8] = [0.0, 0.25, 0.5, 0.75]
    periods = [np.arange(q, q + 3) for q in range(0, 12, 3)]
    res = simulate(p, 150, seed=9, periods=periods)
    ref = simulate_reference_loop(p, 150, 9, [0, 4], periods)
    np.testing.assert_allclose(res.seat_period[:, [0, 4], :], ref, rtol=2e-5, atol=1e-3)


def test_invalid_inputs_are_clear_errors():
    p = params()
    p.ramp[0, 0] = -0.5
    with pytest.raises(ValueError, match="ramp shares must be >= 0"):
        simulate(p, 10, 0)
    p = params(hazard=1.2)
    with pytest.raises(ValueError, match="attrition hazard"):
        simulate(p, 10, 0)
    plan = CapacityPlan(
        "2026-10", hiring=pd.DataFrame([{"month": "2026-07", "segment": "SMB", "hires": 2}])
    )
    with pytest.raises(ValueError, match="before the plan starts.*in the past"):
        plan.validate(["SMB"])
    with pytest.raises(ValueError, match="ramp shares must be within"):
        CapacityPlan("2026-10", ramp=np.array([0.5, -0.1])).validate(["SMB"])
    with pytest.raises(ValueError, match="attrition is a monthly probability"):
        CapacityPlan("2026-10", attrition={"SMB": 1.5}).validate(["SMB"])


def with_shared(p, sd=0.3, shock=None, season_amp=0.1):
    D, R = p.lam.shape
    M = p.ramp.shape[1]
    p.season = np.tile(season_amp * np.sin(np.arange(M)), (D, 1))
    p.sd_period = np.full(D, sd)
    p.quarter_of_month = np.arange(M) // 3
    p.shock = shock
    return p


def test_reference_loop_gives_the_same_numbers_with_a_shared_period_path():
    p = with_shared(params(R=5, M=12, hazard=0.03, pi=0.3, shape=1.3))
    p.lam[:, -1] = np.nan
    periods = [np.arange(q, q + 3) for q in range(0, 12, 3)]
    res = simulate(p, 150, seed=9, periods=periods)
    ref = simulate_reference_loop(p, 150, 9, [0, 4], periods)
    np.testing.assert_allclose(res.seat_period[:, [0, 4], :], ref, rtol=2e-5, atol=1e-3)
    # one path per scenario, the same for every seat: constant within a quarter (no season)
    path = res.shared - p.season[res.draw_of_scenario]
    assert np.allclose(path[:, 0], path[:, 2]) and not np.allclose(path[:, 0], path[:, 3])


def test_shared_effect_correlates_seats_as_the_closed_form_says():
    """One month, no hurdle, Gamma shape k, shared log effect s ~ N(0, t**2): seat i books
    mu e^s G_i / k. log bookings of two seats have correlation t**2 / (t**2 + trigamma(k));
    Var(b) = mu**2 (e^{2t**2} (1 + 1/k) - e^{t**2}), Cov(b_i, b_j) = mu**2 (e^{2t**2} -
    e^{t**2}), so the total of R seats has variance R Var + R (R - 1) Cov. Without the shared
    effect the covariance is 0."""
    from scipy.special import polygamma

    k, t, R = 2.5, 0.4, 40
    p = with_shared(params(R=R, M=1, shape=k, D=5), sd=t, season_amp=0.0)
    res = simulate(p, 20_000, seed=3)
    logb = np.log(res.seat_period[:, :, 0].astype(float))
    rho = np.corrcoef(logb[:, 0], logb[:, 1])[0, 1]
    assert rho == pytest.approx(t**2 / (t**2 + polygamma(1, k)), abs=0.03)
    total = res.monthly_total[:, 0]
    mu = np.exp(10.0)
    var_b = mu**2 * (np.exp(2 * t**2) * (1 + 1 / k) - np.exp(t**2))
    cov = mu**2 * (np.exp(2 * t**2) - np.exp(t**2))
    assert total.std() == pytest.approx(np.sqrt(R * var_b + R * (R - 1) * cov), rel=0.05)
    p.sd_period = None
    alone = simulate(p, 20_000, seed=3).monthly_total[:, 0]
    assert alone.std() < 0.5 * total.std()


def test_a_shock_scales_the_months_it_names():
    base = simulate(with_shared(params(R=4, M=6), sd=0.0), 200, seed=2)
    shock = np.log(np.array([1, 1, 1, 0.85, 0.85, 0.85]))
    hit = simulate(with_shared(params(R=4, M=6), sd=0.0, shock=shock), 200, seed=2)
    ratio = hit.monthly_total / base.monthly_total
    np.testing.assert_allclose(ratio, np.tile([1, 1, 1, 0.85, 0.85, 0.85], (200, 1)), rtol=1e-4)
    bad = with_shared(params(R=4, M=6))
    bad.quarter_of_month = np.array([0, 0, 0, 1, 1])
    with pytest.raises(ValueError, match="quarter_of_month"):
        simulate(bad, 10, 0)


def test_segment_effects_tie_a_segments_seats_more_than_two_segments():
    """Two segments, org effect t, segment effect u: log bookings of two seats of one segment
    correlate (t**2 + u**2) / (t**2 + u**2 + trigamma(k)), of two segments t**2 / (same);
    and the reference loop draws the same numbers with segment effects on."""
    from scipy.special import polygamma

    k, t, u = 3.0, 0.2, 0.3
    p = with_shared(params(R=4, M=1, shape=k, D=3), sd=t, season_amp=0.0)
    p.sd_segment = np.full(3, u)
    p.segment_of_seat = np.array([0, 0, 1, 1])
    res = simulate(p, 30_000, seed=4)
    logb = np.log(res.seat_period[:, :, 0].astype(float))
    total = t**2 + u**2 + polygamma(1, k)
    same = np.corrcoef(logb[:, 0], logb[:, 1])[0, 1]
    other = np.corrcoef(logb[:, 0], logb[:, 2])[0, 1]
    assert same == pytest.approx((t**2 + u**2) / total, abs=0.02)
    assert other == pytest.approx(t**2 / total, abs=0.02)
    assert res.segment_shared.shape == (30_000, 2, 1)
    q = with_shared(params(R=4, M=6, shape=1.5, pi=0.2, hazard=0.05), sd=t)
    q.sd_segment, q.segment_of_seat = np.full(20, u), np.array([0, 1, 0, 1])
    periods = [np.arange(3), np.arange(3, 6)]
    got = simulate(q, 100, seed=6, periods=periods).seat_period
    ref = simulate_reference_loop(q, 100, 6, [1, 2], periods)
    np.testing.assert_allclose(got[:, [1, 2], :], ref, rtol=2e-5, atol=1e-3)


def test_the_hurdle_moves_with_the_shared_effect_as_its_loading_says():
    """One month, shared log effect s = t z: P(booked | s) = sigmoid(logit(1 - pi) + kappa s),
    checked per scenario band of s against the closed form; a shock scales the booked months
    but does not move the hurdle; kappa = 0 gives the fixed hurdle's numbers exactly; and the
    reference loop draws the same numbers with the loading and a backfill's own pi."""
    from scipy.special import expit, logit

    pi, kappa, t, S = 0.4, 1.5, 0.5, 200_000
    p = with_shared(params(R=2, M=1, pi=pi, D=4), sd=t, season_amp=0.0)
    p.booked_loading = np.full(4, kappa)
    res = simulate(p, S, seed=5)
    s = res.shared[:, 0]
    booked = res.seat_period[:, :, 0] > 0
    for lo, hi in [(-1.0, -0.5), (-0.1, 0.1), (0.5, 1.0)]:
        band = (s >= lo) & (s < hi)
        expected = expit(logit(1 - pi) + kappa * s[band]).mean()
        got = booked[band].mean()
        assert abs(got - expected) < 4 * np.sqrt(expected * (1 - expected) / (2 * band.sum()))
    # the shock: booked months exactly x 0.85, the same months booked
    shocked = with_shared(params(R=2, M=1, pi=pi, D=4), sd=t, season_amp=0.0)
    shocked.booked_loading, shocked.shock = np.full(4, kappa), np.log([0.85])
    hit = simulate(shocked, 2_000, seed=5).seat_period
    np.testing.assert_allclose(hit, 0.85 * simulate(p, 2_000, seed=5).seat_period, rtol=1e-5)
    # kappa = 0 is the fixed hurdle
    p.booked_loading = np.zeros(4)
    fixed = with_shared(params(R=2, M=1, pi=pi, D=4), sd=t, season_amp=0.0)
    np.testing.assert_array_equal(
        simulate(p, 500, seed=5).seat_period, simulate(fixed, 500, seed=5).seat_period
    )
    # the reference loop, with departures, backfills at their own pi and segment effects
    q = with_shared(params(R=4, M=12, shape=1.5, pi=0.3, hazard=0.08), sd=0.3)
    q.booked_loading = np.linspace(0.5, 2.0, 20)
    q.pi_backfill = np.full((20, 4), 0.6)
    q.sd_segment, q.segment_of_seat = np.full(20, 0.2), np.array([0, 1, 0, 1])
    q.lam[:, 3] = np.nan
    periods = [np.arange(q0, q0 + 3) for q0 in range(0, 12, 3)]
    got = simulate(q, 200, seed=8, periods=periods).seat_period
    ref = simulate_reference_loop(q, 200, 8, [0, 3], periods)
    np.testing.assert_allclose(got[:, [0, 3], :], ref, rtol=2e-5, atol=1e-3)
    # a backfill books at its own pi: never (pi_backfill = 1), so a month has bookings
    # exactly while the first occupant (pi = 0) is in seat
    b = params(R=1, M=12, pi=0.0, hazard=0.2, shape=EXACT)
    b.pi_backfill = np.ones((20, 1))
    monthly = [np.array([m]) for m in range(12)]
    res = simulate(b, 2_000, seed=4, periods=monthly)
    np.testing.assert_array_equal(res.seat_period[:, 0, :] > 0, res.stayed[:, 0, :])
    assert not res.stayed[:, 0, -1].all()
    with pytest.raises(ValueError, match="booked_loading"):
        q.booked_loading = np.zeros(3)
        simulate(q, 10, 0)


def test_a_leavers_deals_in_flight_still_close_after_they_leave():
    """carry = [0.6, 0.3, 0.1]: with exact months, the first month without the leaver books
    0.6 of their month, then 0.3, 0.1 and nothing, while the backfill's ramp starts from 0
    after the gap; a leaver still ramping carries their last ramp share; the reference loop
    draws the same numbers."""
    p = params(R=1, M=12, shape=EXACT, hazard=0.15)
    p.ramp_curve = np.zeros(24)  # the backfill books nothing within the year
    p.carry = np.array([[0.6, 0.3, 0.1]])
    monthly = [np.array([m]) for m in range(12)]
    res = simulate(p, 3_000, seed=2, periods=monthly)
    month = res.seat_period[:, 0, :] / np.exp(10.0)
    stayed = res.stayed[:, 0, :]
    leave = stayed.sum(axis=1)  # first month without the occupant
    for s in np.flatnonzero(leave < 9)[:50]:
        L = leave[s]
        np.testing.assert_allclose(month[s, :L], 1.0, rtol=1e-5)
        np.testing.assert_allclose(month[s, L : L + 3], [0.6, 0.3, 0.1], rtol=1e-5)
        np.testing.assert_allclose(month[s, L + 3 :], 0.0, atol=1e-6)
    p.ramp[0, :] = 0.5  # a ramping leaver's pipeline is half as large
    half = simulate(p, 3_000, seed=2, periods=monthly).seat_period[:, 0, :] / np.exp(10.0)
    s = np.flatnonzero(leave < 9)[0]
    np.testing.assert_allclose(half[s, leave[s] : leave[s] + 3], [0.3, 0.15, 0.05], rtol=1e-5)
    q = params(R=3, M=12, shape=1.4, pi=0.25, hazard=0.1)
    q.carry = np.tile([0.7, 0.4, 0.2, 0.05], (3, 1))
    q.booked_loading = np.full(20, 0.8)
    q = with_shared(q, sd=0.2)
    periods = [np.arange(q0, q0 + 3) for q0 in range(0, 12, 3)]
    got = simulate(q, 150, seed=3, periods=periods).seat_period
    ref = simulate_reference_loop(q, 150, 3, [0, 2], periods)
    np.testing.assert_allclose(got[:, [0, 2], :], ref, rtol=2e-5, atol=1e-3)
