"""Bookings forecast: training data without leakage, exact exposure accounting, the
simulator against closed forms, scoring rules, baselines; a tiny real fit (slow)."""

from __future__ import annotations

import functools
import importlib
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from salesops_models.crm import as_of_cutoff
from salesops_models.forecast.data import (
    COVARIATES,
    DURATION_EDGES,
    N_STAGES,
    build_training_data,
    covariate_patterns,
    make_levels,
    to_days,
)
from salesops_models.forecast.simulate import PosteriorDraws, simulate_paths
from salesops_models.schema import DEFAULT_STAGE_PROBABILITY, OPEN_STAGES

# the package exports a function named backtest, so import the module by name
bt = importlib.import_module("salesops_models.forecast.backtest")
sc = importlib.import_module("salesops_models.scoring")
AS_OF = "2026-03-20"


@pytest.fixture(scope="module")
def td(small_org):
    crm = small_org.crm
    return build_training_data(crm, AS_OF, make_levels(crm))


def test_training_data_ignores_everything_recorded_later(small_org, td):
    """Rebuilding from a CRM whose history stops at the cutoff gives identical statistics."""
    crm = small_org.crm
    cut = as_of_cutoff(AS_OF)
    truncated = type(crm)(**{k: v for k, v in crm.tables.items()})
    h = truncated.opportunity_history
    truncated.opportunity_history = h[h["changed_at"] < cut].reset_index(drop=True)
    truncated._sorted_history = None
    td2 = build_training_data(truncated, AS_OF, td.levels)
    pd.testing.assert_frame_equal(td.cells, td2.cells)
    pd.testing.assert_frame_equal(td.open_deals, td2.open_deals)
    np.testing.assert_array_equal(td.transitions, td2.transitions)
    pd.testing.assert_frame_equal(td.amount_change, td2.amount_change)


def _cut_at_start(crm, day):
    """``crm`` as an extract cut at ``day`` keeps it: deals closed before it are gone (the
    Maven sample's quirk), the rest and their whole history stay."""
    o = crm.opportunities
    gone = o["is_closed"] & (o["close_date"] < day)
    cut = type(crm)(**{k: v for k, v in crm.tables.items()})
    cut.opportunities = o[~gone].reset_index(drop=True)
    h = crm.opportunity_history
    cut.opportunity_history = h[h["opportunity_id"].isin(cut.opportunities["id"])].reset_index(
        drop=True
    )
    cut._sorted_history = None
    return cut


def test_history_start_marks_an_extract_cut_at_its_start(small_org):
    """No close for months after the first creation (deals closed before the extract's cut
    are missing): the history starts at the first close; an org's own CRM is unchanged."""
    crm = small_org.crm
    assert crm.history_start == crm.data_start  # the generator's org: no cut
    day = crm.data_start + pd.Timedelta(days=200)
    cut = _cut_at_start(crm, day)
    assert cut.history_start >= day and (cut.history_start - cut.data_start).days > 28
    q = cut.calendar.next(cut.quarter(cut.history_start))
    assert cut.calendar.previous(q).start < cut.history_start  # the cut falls inside it
    b = bt.naive_baselines(cut, cut.as_of(q.start), q.start, q)
    assert np.isnan(b["last quarter"])  # a quarter partly before the cut is no quarter
    assert np.isnan(b["trailing mean"]) and np.isnan(b["seasonal naive"])


def _replay(crm, trunc=-np.inf):
    """Independent per-deal replay: exposure in open stages between ``trunc`` and the
    cutoff, and the advance / lost events inside that window."""
    cut = to_days([as_of_cutoff(AS_OF)])[0]
    h = crm._history()
    h = h[h["changed_at"] < as_of_cutoff(AS_OF)]
    t = to_days(h["changed_at"])
    is_open = h["stage"].isin(OPEN_STAGES).to_numpy()
    opp = h["opportunity_id"].to_numpy()
    expo = adv = lost = 0.0
    order = {s: i for i, s in enumerate(OPEN_STAGES)} | {"Closed Won": 99, "Closed Lost": -1}
    rank = h["stage"].map(order).to_numpy()
    for i in range(len(h)):
        if not is_open[i]:
            continue
        last = i + 1 == len(h) or opp[i + 1] != opp[i]
        end = cut if last else t[i + 1]
        if end <= trunc:
            continue  # over before the extract's first day: not observed
        expo += end - max(t[i], trunc)
        if not last:
            adv += rank[i + 1] > rank[i]
            lost += rank[i + 1] == -1
    return expo, adv, lost


def test_exposure_and_events_add_up_per_deal(small_org, td):
    """Total exposure = days every deal spent in open stages before the cutoff; events = the
    open -> later/won/lost steps recorded by then (independent per-deal replay)."""
    crm = small_org.crm
    expo, adv, lost = _replay(crm)
    assert td.cells["exposure"].sum() == pytest.approx(expo, rel=1e-9)
    assert td.cells["n_advance"].sum() == adv
    assert td.cells["n_lost"].sum() == lost
    assert td.transitions.sum() == adv
    # open deals at the cutoff are the censored ones
    snap = crm.as_of(AS_OF, include_closed=False)
    assert set(td.open_deals["id"]) == set(snap["id"])


def test_closed_won_matches_the_as_of_snapshot(small_org, td):
    snap = small_org.crm.as_of(AS_OF)
    won = snap[snap["is_won"]]
    assert set(td.closed_won["id"]) == set(won["id"])
    assert td.closed_won["amount"].sum() == pytest.approx(won["amount"].sum())


def _draws(n_draws, h_adv, h_lost, n_seg=1, n_rep=1):
    """Posterior draws with constant hazards (same in every bin), no covariate effects and a
    straight stage-to-next-stage transition matrix."""
    n_pat = len(covariate_patterns()["type"])
    base = np.zeros((n_draws, 2, n_seg, N_STAGES, len(DURATION_EDGES)))
    base[:, 0] = np.log(h_adv)
    base[:, 1] = np.log(h_lost)
    cdf = np.zeros((n_draws, N_STAGES, N_STAGES + 1))
    for k in range(N_STAGES):
        cdf[:, k, k + 1 :] = 1.0
    return PosteriorDraws.paths_only(
        base, np.zeros((n_draws, 2, n_rep)), np.zeros((n_draws, 2, n_pat)), cdf
    )


def _run(P, n, stage, horizon, rng, tis=0.0):
    z = np.zeros(n, dtype=int)
    covs = {c: np.full(n, ref) for c, (_, _, ref) in COVARIATES.items() if c != "age"}
    return simulate_paths(
        P,
        z,
        z,
        z,
        np.full(n, stage),
        np.full(n, tis),
        np.zeros(n),
        np.zeros(n),
        covs,
        np.zeros(1),
        horizon,
        rng,
    )


def test_simulator_matches_competing_risks_closed_form():
    """From the last stage with constant hazards a and l: P(win) = a / (a + l), and the time
    to win is exponential with rate a + l; from stage k the win probability is the product
    over the remaining stages and the time a sum of exponentials (Gamma)."""
    rng = np.random.default_rng(0)
    a, lo = 0.03, 0.01
    P = _draws(1, a, lo)
    n = 200_000
    won, close = _run(P, n, N_STAGES - 1, 1e6, rng)
    assert won.mean() == pytest.approx(a / (a + lo), abs=4 * np.sqrt(0.75 * 0.25 / n))
    assert close[won].mean() == pytest.approx(1 / (a + lo), rel=0.01)
    won3, close3 = _run(P, n, N_STAGES - 3, 1e6, rng)
    assert won3.mean() == pytest.approx((a / (a + lo)) ** 3, abs=0.005)
    assert close3[won3].mean() == pytest.approx(3 / (a + lo), rel=0.01)
    # the horizon censors: P(won by T) = p (1 - exp(-(a + l) T)) from the last stage
    T = 20.0
    won_t, _ = _run(P, n, N_STAGES - 1, T, rng)
    assert won_t.mean() == pytest.approx(0.75 * (1 - np.exp(-(a + lo) * T)), abs=0.005)


def test_compiled_paths_match_the_numpy_reference():
    """The compiled kernel (forecast/paths.py) and the vectorized reference walk the same
    process: on random hazards by segment, stage and bin, rep, pattern and period effects,
    deals in every stage and time in stage, the win share and mean close time by starting
    stage agree within Monte Carlo error, and the kernel repeats itself for the same seed."""
    rng = np.random.default_rng(11)
    D, S, R, n = 8, 2, 5, 240_000  # above MIN_PARALLEL_ROWS: two chunks in threads
    n_pat = int(np.prod([len(lv) for _, lv, _ in COVARIATES.values()]))
    base = rng.normal(-3.5, 0.6, (D, 2, S, N_STAGES, len(DURATION_EDGES)))
    counts = np.triu(rng.integers(1, 20, (N_STAGES, N_STAGES + 1)), k=1).astype(float)
    cdf = np.cumsum(counts / counts.sum(axis=1, keepdims=True), axis=1)
    cdf = np.broadcast_to(cdf, (D, N_STAGES, N_STAGES + 1)).copy()
    cdf[:, :, -1] = 1.0
    P = PosteriorDraws.paths_only(
        base,
        rng.normal(0, 0.3, (D, 2, R)),
        rng.normal(0, 0.3, (D, 2, n_pat)),
        cdf,
        period_stages=(N_STAGES - 2, N_STAGES - 1),
    )
    rows = {
        "draw": rng.integers(0, D, n),
        "seg": rng.integers(0, S, n),
        "rep": rng.integers(0, R, n),
        "stage": rng.integers(0, N_STAGES, n),
        "time_in_stage": rng.uniform(0, 150, n),
        "now": np.full(n, 1000.0),
        "created": 1000.0 - rng.uniform(0, 200, n),
    }
    covs = {
        c: rng.integers(0, len(levels), n) for c, (_, levels, _) in COVARIATES.items() if c != "age"
    }
    eps = rng.normal(0, 0.3, D)
    args = [rows[k] for k in rows] + [covs, eps, 1180.0]
    won_k, close_k = simulate_paths(P, *args, np.random.default_rng(1))
    won_r, close_r = simulate_paths(P, *args, np.random.default_rng(2), record=[])
    for k in range(N_STAGES):
        m = rows["stage"] == k
        p = won_r[m].mean()
        assert won_k[m].mean() == pytest.approx(p, abs=4.5 * np.sqrt(2 * p * (1 - p) / m.sum()))
        dk, dr = close_k[m & won_k] - 1000.0, close_r[m & won_r] - 1000.0
        se = np.sqrt(dk.var() / len(dk) + dr.var() / len(dr))
        assert dk.mean() == pytest.approx(dr.mean(), abs=4.5 * se)
    again = simulate_paths(P, *args, np.random.default_rng(1))
    np.testing.assert_array_equal(again[0], won_k)
    np.testing.assert_array_equal(again[1], close_k)


def _random_hazards(rng, n_seg, n_rep, cdf, base_mean, base_sd) -> PosteriorDraws:
    """Path-only posterior draws (one per row of ``cdf``) with random baseline hazards by
    segment, stage and bin, random rep and pattern effects, and a period effect on the last
    stage."""
    D = cdf.shape[0]
    n_pat = int(np.prod([len(lv) for _, lv, _ in COVARIATES.values()]))
    return PosteriorDraws.paths_only(
        rng.normal(base_mean, base_sd, (D, 2, n_seg, N_STAGES, len(DURATION_EDGES))),
        rng.normal(0, 0.3, (D, 2, n_rep)),
        rng.normal(0, 0.3, (D, 2, n_pat)),
        cdf,
        period_stages=(N_STAGES - 1,),
    )


@pytest.mark.parametrize("n_deals", [0, 7, 130_001])  # 130,001 x 2 draws: two chunks
def test_deals_under_every_draw_are_the_tiled_paths(n_deals):
    """:func:`simulate_deals` (per-deal inputs, rows made in the kernel) gives exactly the
    paths of :func:`simulate_paths` on the draw x deal tiled rows, for the same seed."""
    from salesops_models.forecast.simulate import simulate_deals

    rng = np.random.default_rng(3)
    D, S, R = 2, 2, 4
    cdf = np.zeros((D, N_STAGES, N_STAGES + 1))
    for k in range(N_STAGES):
        cdf[:, k, k + 1 :] = 1.0
    P = _random_hazards(rng, S, R, cdf, base_mean=-3.0, base_sd=0.5)
    deal = {
        "seg": rng.integers(0, S, n_deals),
        "rep": rng.integers(0, R, n_deals),
        "stage": rng.integers(0, N_STAGES, n_deals),
        "tis": rng.uniform(0, 100, n_deals),
        "now": np.full(n_deals, 500.0),
        "created": 500.0 - rng.uniform(0, 300, n_deals),
    }
    covs = {c: rng.integers(0, len(lv), n_deals) for c, (_, lv, _) in COVARIATES.items()}
    covs.pop("age")
    eps = rng.normal(0, 0.2, D)
    won, close = simulate_deals(P, *deal.values(), covs, eps, 600.0, np.random.default_rng(9))
    tiled = [np.tile(v, D) for v in deal.values()]
    won_t, close_t = simulate_paths(
        P,
        np.repeat(np.arange(D), n_deals),
        *tiled,
        {c: np.tile(v, D) for c, v in covs.items()},
        eps,
        600.0,
        np.random.default_rng(9),
    )
    np.testing.assert_array_equal(won, won_t)
    np.testing.assert_array_equal(close, close_t)
    assert n_deals == 0 or 0 < won.mean() < 1


@settings(max_examples=40, deadline=None)
@given(
    rows=st.integers(0, 30),
    cols=st.integers(0, 12),
    seed=st.integers(0, 2**31 - 1),
    share=st.floats(0.0, 1.0),
)
def test_column_medians_are_nanmedians_of_the_masked_values(rows, cols, seed, share):
    """The compiled per-deal median close time is NumPy's nanmedian of the masked matrix,
    on any shape, with ties, and nan for a column with nothing masked in."""
    from salesops_models.forecast.simulate import column_medians

    rng = np.random.default_rng(seed)
    values = rng.integers(0, 6, (rows, cols)).astype(float) + rng.uniform(0, 1, (rows, cols)) * (
        rng.random((rows, cols)) < 0.5
    )
    mask = rng.random((rows, cols)) < share
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = (
            np.nanmedian(np.where(mask, values, np.nan), axis=0) if rows else np.full(cols, np.nan)
        )
    np.testing.assert_array_equal(column_medians(values, mask), expected)


def _arrivals_reference(P, td, cut, start, end, period_eps, rng):
    """The new-deal simulation as vectorized NumPy (the form the compiled arrivals kernel
    replaced): one array row per new deal, walked by the NumPy reference walk."""
    from salesops_models.forecast.simulate import _rep_shares

    D, n_rep, S = P.n, len(td.levels.reps), len(td.levels.segments)
    n_period_days = int(round(end - start))
    weeks = int(np.ceil((end - cut) / 7))
    w0 = cut + 7 * np.arange(weeks)
    w_len = np.minimum(7.0, end - w0)
    months = pd.DatetimeIndex(pd.Timestamp("2020-01-01") + pd.to_timedelta(w0 + w_len / 2, "D"))
    yrs = (cut - (w0 + w_len / 2)) / 365.25
    mu = np.exp(
        P.arrival_level[:, :, None]
        + P.arrival_trend[:, :, None] * yrs[None, None, :]
        + P.arrival_season[:, None, months.month.to_numpy() - 1]
    ) * (w_len / 7.0)
    alpha = P.arrival_alpha[:, None, None]
    counts = rng.poisson(rng.gamma(alpha, mu / alpha))
    d_i, s_i, w_i = np.nonzero(counts)
    c = counts[d_i, s_i, w_i]
    draw, seg = np.repeat(d_i, c), np.repeat(s_i, c)
    created = np.repeat(w0[w_i], c) + rng.random(len(draw)) * np.repeat(w_len[w_i], c)
    shares = _rep_shares(td)
    rep, ttype = np.zeros(len(draw), int), np.zeros(len(draw), int)
    for g in range(S):
        m = seg == g
        rep[m] = rng.choice(n_rep, m.sum(), p=shares[g])
        ttype[m] = rng.choice(td.type_mix.shape[1], m.sum(), p=td.type_mix[g])
    n = len(draw)
    covs = {"type": ttype, "push": np.zeros(n, int), "size": rng.integers(0, 3, n)}
    covs["call"] = np.ones(n, int)
    won, close = simulate_paths(
        P, draw, seg, rep, np.zeros(n, int), np.zeros(n), created, created, covs,
        period_eps, end, rng, record=[],
    )  # fmt: skip
    ok = won & (close < end)
    amt = np.exp(rng.normal(P.mu_won_amount[draw[ok], seg[ok]], P.sd_won_amount[draw[ok], seg[ok]]))
    by_rep = np.zeros((D, n_rep))
    np.add.at(by_rep, (draw[ok], rep[ok]), amt)
    by_day = np.zeros((D, n_period_days))
    day = np.clip(np.floor(close[ok] - start), 0, n_period_days - 1).astype(int)
    np.add.at(by_day, (draw[ok], day), amt)
    return by_rep, by_day


def test_arrivals_kernel_matches_the_numpy_reference(td):
    """New deals (created after the cutoff, walked from the first stage) booked by the
    compiled arrivals kernel and by the NumPy form it replaced agree: mean bookings per draw,
    their spread, each rep's share and the share booked in each month of the quarter,
    within Monte Carlo error; the same seed gives the same bookings."""
    from salesops_models.forecast.simulate import _arrivals

    rng = np.random.default_rng(5)
    D, S, R = 300, len(td.levels.segments), len(td.levels.reps)
    counts = np.triu(rng.integers(1, 20, (N_STAGES, N_STAGES + 1)), k=1).astype(float)
    cdf = np.cumsum(counts / counts.sum(axis=1, keepdims=True), axis=1)
    cdf = np.broadcast_to(cdf, (D, N_STAGES, N_STAGES + 1)).copy()
    P = _random_hazards(rng, S, R, cdf, base_mean=-2.5, base_sd=0.4)
    P.arrival_level[:] = rng.normal(np.log(12.0), 0.2, (D, S))
    P.arrival_trend[:] = rng.normal(0.0, 0.1, (D, S))
    P.arrival_season[:] = rng.normal(0.0, 0.2, (D, 12))
    P.arrival_alpha[:] = 20.0
    P.mu_won_amount[:] = rng.normal(np.log(20_000), 0.3, (D, S))
    P.sd_won_amount[:] = 0.8
    cut = td.cutoff_days
    start, end = cut - 10.0, cut + 81.0
    eps = rng.normal(0, 0.1, D)
    k_rep, _, k_day = _arrivals(P, td, cut, start, end, eps, np.random.default_rng(1))
    r_rep, r_day = _arrivals_reference(P, td, cut, start, end, eps, np.random.default_rng(2))
    k_tot, r_tot = k_rep.sum(axis=1), r_rep.sum(axis=1)
    assert k_tot.mean() > 0
    # paired by draw (both ran the same parameters): the difference's Monte Carlo error
    se = (k_tot - r_tot).std() / np.sqrt(D)
    assert k_tot.mean() == pytest.approx(r_tot.mean(), abs=4.5 * se)
    assert k_tot.std() == pytest.approx(r_tot.std(), rel=0.2)
    k_share, r_share = k_rep.sum(axis=0) / k_tot.sum(), r_rep.sum(axis=0) / r_tot.sum()
    assert np.abs(k_share - r_share).max() < 0.015  # a rep's share is ~0.04
    months = [k_day[:, i : i + 30].sum() / k_day.sum() for i in (0, 30, 60)]
    ref_months = [r_day[:, i : i + 30].sum() / r_day.sum() for i in (0, 30, 60)]
    np.testing.assert_allclose(months, ref_months, atol=0.03)
    np.testing.assert_allclose(k_day.sum(axis=1), k_tot)
    again = _arrivals(P, td, cut, start, end, eps, np.random.default_rng(1))
    np.testing.assert_array_equal(again[0], k_rep)
    np.testing.assert_array_equal(again[2], k_day)


def test_simulator_uses_time_in_stage_bins():
    """A deal already 40 days in stage faces the hazards of the 30-60 day bin."""
    rng = np.random.default_rng(1)
    P = _draws(1, 0.05, 0.05)
    P.base[:, 0, :, :, 3] = np.log(0.09)  # advance hazard in bin [30, 60)
    P.base[:, 1, :, :, 3] = np.log(0.01)
    n = 100_000
    won, close = _run(P, n, N_STAGES - 1, 15.0, rng, tis=40.0)  # stays inside [40, 55]
    assert won.mean() == pytest.approx(0.9 * (1 - np.exp(-0.1 * 15)), abs=0.006)


def test_crps_matches_its_definition():
    rng = np.random.default_rng(2)
    x = rng.normal(10, 2, 400)
    y = 11.3
    brute = np.abs(x - y).mean() - 0.5 * np.abs(x[:, None] - x[None, :]).mean()
    assert sc.crps_from_draws(x, y) == pytest.approx(brute, rel=1e-10)
    # a point forecast (all draws equal) scores its absolute error
    assert sc.crps_from_draws(np.full(10, 8.0), y) == pytest.approx(3.3)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(-1e3, 1e3), min_size=2, max_size=40), st.floats(-1e3, 1e3))
def test_crps_is_nonnegative_and_proper_at_the_sample(xs, y):
    x = np.array(xs)
    assert sc.crps_from_draws(x, y) >= -1e-9


def test_scores_and_coverage():
    draws = np.arange(1, 101, dtype=float)
    s = bt.score(draws, 50.0, 20.0)  # 80%: [10.9, 90.1] covers 20; 50%: [25.75, 75.25] not
    assert s["error_pct"] == pytest.approx(150.0)
    assert s["covered_80"] == 1.0 and s["covered_50"] == 0.0
    p = bt.score(None, 44.0, 40.0)
    assert p["crps"] == pytest.approx(4.0) and np.isnan(p["covered_80"])


def test_stage_weighted_and_commit_baselines(small_org):
    crm = small_org.crm
    q = crm.period("2026-Q1")
    b = bt.baselines(crm, "2026-02-15", q)
    snap = crm.as_of("2026-02-15")
    closed = snap[snap["is_won"] & snap["close_date"].between(q.start, q.end)]["amount"].sum()
    open_ = snap[~snap["is_closed"] & snap["close_date"].between(q.start, q.end)]
    weighted = (open_["amount"].fillna(0) * open_["stage"].map(DEFAULT_STAGE_PROBABILITY)).sum()
    commit = open_.loc[open_["forecast_category"] == "Commit", "amount"].fillna(0).sum()
    assert b["stage-weighted"] == pytest.approx(closed + weighted)
    assert b["commit roll-up"] == pytest.approx(closed + commit)
    assert b["seasonal naive"] > 0


def test_naive_baselines_closed_form_and_missing_without_history(small_org):
    """Last quarter, trailing mean, seasonal naive and run rate by their formulas, from the
    snapshot of the as-of day; a baseline whose history does not exist is NaN (no forecast),
    never 0 (a 100% error), and scores NaN."""
    crm = small_org.crm
    cal = crm.calendar
    as_of = pd.Timestamp("2026-02-15")
    q = crm.period("2026-Q1")
    snap = crm.as_of(as_of)
    won = snap[snap["is_won"]]

    def booked(p):
        return won.loc[won["close_date"].between(p.start, p.end), "amount"].sum()

    b = bt.baselines(crm, as_of, q)
    prev = [cal.previous(q)]
    for _ in range(3):
        prev.append(cal.previous(prev[-1]))
    assert b["last quarter"] == pytest.approx(booked(prev[0]))
    assert b["trailing mean"] == pytest.approx(np.mean([booked(p) for p in prev]))

    def between(a, b_):
        return won.loc[won["close_date"].between(a, b_), "amount"].sum()

    day = pd.Timedelta(days=1)
    growth = between(as_of - 364 * day, as_of) / between(as_of - 729 * day, as_of - 365 * day)
    assert crm.data_start <= as_of - 729 * day  # two years of history: growth applies
    assert b["seasonal naive"] == pytest.approx(booked(crm.period("2025-Q1")) * growth)
    amount = snap["amount"].fillna(0.0)
    recent = amount[snap["created_date"] > as_of - pd.Timedelta(days=91)].sum()
    lo = max(crm.data_start, as_of - pd.Timedelta(days=545))
    cohort = (snap["created_date"] >= lo) & (snap["created_date"] < as_of - pd.Timedelta(days=180))
    yield_ = amount[cohort & snap["is_won"]].sum() / amount[cohort].sum()
    assert b["run rate"] == pytest.approx(recent * yield_ * q.days / 91)
    # the history's first quarter: nothing before it
    first = crm.quarter(crm.data_start)
    early = bt.baselines(crm, first.start + pd.Timedelta(days=27), first)
    assert all(np.isnan(early[k]) for k in bt.NAIVE_BASELINES)
    assert np.isnan(bt.score(None, early["last quarter"], 1e6)["abs_error_pct"])


def test_coinciding_baselines_are_named_and_missing_ones_say_so():
    rows = []
    for period in ("q1", "q2"):
        for method, f in (("model", 9.0), ("stage-weighted", 5.0), ("commit roll-up", 5.0)):
            rows.append({"period": period, "point": "day 1", "method": method, "forecast": f})
        rows.append(
            {"period": period, "point": "day 1", "method": "seasonal naive", "forecast": np.nan}
        )
    frame = pd.DataFrame(rows)
    assert bt.coinciding(frame) == ["commit roll-up equals stage-weighted on every forecast"]
    scored = frame.assign(abs_error_pct=frame["forecast"], error_pct=0.0, covered_50=np.nan,
                          covered_80=np.nan, covered_90=np.nan, crps_pct=0.0)  # fmt: skip
    compact = bt.compact_summary(sc.backtest_summary(scored)).set_index("method")
    assert compact.loc["seasonal naive", "day 1"] == "no forecast (no history)"


def test_pit_and_calibration_table_and_plot():
    """PIT is the forecast's probability of bookings <= actual (ties half); the calibration
    table puts each point's coverage beside the binomial range for that many quarters, and
    the plot draws from the same frame (the report's calibration section)."""
    import matplotlib

    matplotlib.use("Agg")
    from salesops_models.forecast.plots import plot_calibration

    draws = np.arange(1.0, 101.0)
    assert sc.pit(draws, 50.0) == pytest.approx(0.495)  # 49 below, one tie
    assert sc.pit(draws, 0.0) == 0.0 and sc.pit(draws, 1e9) == 1.0
    rng = np.random.default_rng(5)
    rows = []
    for point, pits in (("day 1", rng.uniform(0.4, 0.6, 10)), ("week 4", rng.uniform(0, 1, 10))):
        for i, u in enumerate(pits):
            rows.append(
                {"period": f"Q{i}", "point": point, "method": "model", "pit": u}
                | {f"covered_{lv}": float(abs(u - 0.5) <= lv / 200) for lv in (50, 80, 90)}
            )
    frame = pd.DataFrame(rows)
    cal = bt.calibration(frame).set_index(["point", "interval"])
    assert cal.loc[("day 1", "80%"), "covered"] == "10/10"
    assert cal.loc[("day 1", "80%"), "expected_range"] == "6-10 of 10"
    assert cal.loc[("day 1", "50%"), "p_value"] < 0.05  # too wide: PITs all central
    assert 0 <= cal["p_value"].min() and cal["p_value"].max() <= 1
    axes = plot_calibration(frame)
    assert len(axes) == 2 and axes[0].get_title().startswith("PIT histogram")


def test_goal_table_reads_the_summary():
    rows = []
    for period, err, cov in (("A", 0.03, 1.0), ("B", -0.05, 1.0), ("C", 0.02, 0.0)):
        rows.append(
            {
                "period": period,
                "point": "week 4",
                "method": "model",
                "error_pct": 100 * err,
                "abs_error_pct": 100 * abs(err),
                "covered_50": cov,
                "covered_80": cov,
                "covered_90": cov,
                "crps_pct": 1.0,
            }
        )
        rows.append(
            {
                "period": period,
                "point": "week 4",
                "method": "stage-weighted",
                "error_pct": 10.0,
                "abs_error_pct": 10.0,
                "covered_50": np.nan,
                "covered_80": np.nan,
                "covered_90": np.nan,
                "crps_pct": 10.0,
            }
        )
    g = bt.goals(sc.backtest_summary(pd.DataFrame(rows)), "week 4").set_index("goal")["met"]
    assert g.iloc[0] and not g.iloc[1] and g.iloc[2]  # 3.3% error; coverage 67%; 67% lower


def test_backtest_convergence_sentence_names_the_failed_fits():
    fits = pd.DataFrame(
        {
            "period": ["2026-Q1", "2026-Q1", "2026-Q2"],
            "point": ["day 1", "week 4", "day 1"],
            "method": "model",
            "converged": [True, True, False],
            "max_r_hat": [1.004, 1.006, 1.03],
            "divergences": [0, 0, 2],
            "worst_parameter": ["", "", "sd_rep[advance]"],
            "attempts": [1, 2, 2],
        }
    )
    text = sc.convergence(fits)
    assert text.startswith("2 of 3 fits converged (max r_hat 1.030, 2 divergences, 2 after")
    assert "Not converged: 2026-Q2 day 1 (why: sd_rep[advance])" in text
    assert sc.convergence(fits.iloc[:2]).endswith("1 after a retry with more tuning).")


# --- real sampling ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fitted(small_org):
    from salesops_models.forecast import BookingsForecastModel

    # a small budget (two chains, no retry): these tests check the forecast's bookkeeping;
    # convergence at the default settings is the recovery test's and the notebooks'
    model = BookingsForecastModel(
        sampler_config={"draws": 200, "tune": 200, "chains": 2, "retries": 0}
    )
    model.fit(small_org.crm, "2026-08-12", seed=1)
    return model


@pytest.mark.slow
def test_forecast_is_coherent_and_reproducible(fitted, small_org, tmp_path):
    crm = small_org.crm
    fc = fitted.forecast("2026-Q3", draws=150, seed=4)
    # every roll-up is a sum of the same draws
    np.testing.assert_allclose(fc.by_rep.sum("rep").to_numpy(), fc.total, rtol=1e-9)
    np.testing.assert_allclose(fc.closed + fc.from_open + fc.from_new, fc.total)
    region = fc.rollup("region")
    assert region["mean"].sum() == pytest.approx(fc.total.mean(), rel=1e-9)
    np.testing.assert_allclose(fc.cumulative[:, -1], fc.total, rtol=1e-9)
    q = fc.quantiles()
    assert q["p10"] <= q["p50"] <= q["p90"]
    assert fc.closed <= q["p10"]
    assert fc.deals["p_win_period"].between(0, 1).all()
    assert (fc.deals["p_win_period"] + fc.deals["p_slip"] <= 1 + 1e-12).all()
    assert fc.deals["drivers"].str.len().gt(0).all()
    assert 0 <= fc.p_reach(q["p50"]) <= 1
    again = fitted.forecast("2026-Q3", draws=150, seed=4)
    np.testing.assert_array_equal(again.total, fc.total)
    ds = fc.to_dataset()
    assert set(ds.dims) == {"draw", "rep"}
    # the index spaces were padded to capacities for the compiled model; the posterior keeps
    # the org's own reps, teams and segments only, in order
    lv = fitted.data.levels
    post = fitted.idata.posterior
    assert list(post["rep"].values) == lv.reps and list(post["team"].values) == lv.teams
    assert list(post["segment"].values) == lv.segments
    assert fitted.shapes(lv)["rep"] > len(lv.reps)  # padding was there to drop
    # diagnostics are computed on every fit
    d = fitted.diagnostics()
    assert np.isfinite(d.max_r_hat) and d.min_ess_bulk > 0 and d.divergences >= 0
    # save / load with config and data fingerprint
    path = fitted.save(tmp_path / "forecast.nc")
    from salesops_models.forecast import BookingsForecastModel

    loaded = BookingsForecastModel.load(path, crm)
    assert loaded.model_config == fitted.model_config
    again = loaded.forecast("2026-Q3", draws=150, seed=4)
    np.testing.assert_allclose(again.total, fc.total)
    other = generate_other_org()
    with pytest.raises(ValueError, match="fitted on data"):
        BookingsForecastModel.load(path, other)
    # the file keeps the fit's data summary: without the CRM, the same forecast, roll-ups
    # and what-ifs (a refit needs the CRM)
    alone = BookingsForecastModel.load(path)
    solo = alone.forecast("2026-Q3", draws=150, seed=4)
    np.testing.assert_allclose(solo.total, fc.total)
    pd.testing.assert_frame_equal(solo.rollup("region"), region)
    deal = fitted.data.open_deals["id"].iloc[0]
    np.testing.assert_allclose(
        alone.what_if("2026-Q3", exclude=[deal], draws=150, seed=4).total,
        fitted.what_if("2026-Q3", exclude=[deal], draws=150, seed=4).total,
    )


@pytest.mark.slow
def test_what_if_edits_the_pipeline_without_refitting(fitted):
    from salesops_models.forecast.whatif import WhatIfError

    fc = fitted.forecast("2026-Q3", draws=150, seed=4)
    same = fitted.what_if("2026-Q3", draws=150, seed=4)
    np.testing.assert_array_equal(same.total, fc.total)  # no edit: the same forecast
    ids = fc.deals["id"].tolist()
    none_open = fitted.what_if("2026-Q3", exclude=ids, draws=150, seed=4)
    assert none_open.from_open.max() == 0 and len(none_open.deals) == 0
    np.testing.assert_allclose(none_open.total, none_open.closed + none_open.from_new)
    # a whale in the last open stage, dated in the quarter, for a known rep
    rep = fc.deals["rep_id"].iloc[0]
    whale = {"rep_id": rep, "amount": 5e6, "stage": OPEN_STAGES[-1], "id": "whale ✓ <b>"}
    big = fitted.what_if("2026-Q3", add=[whale], draws=150, seed=4)
    row = big.deals.set_index("id").loc["whale ✓ <b>"]
    assert row["stage"] == OPEN_STAGES[-1] and row["p_win_period"] > 0.1
    assert big.total.mean() > fc.total.mean() + 0.1 * 5e6
    # the same deal moved from the first to the last open stage is worth more
    early = fc.deals[fc.deals["stage"] == OPEN_STAGES[0]]
    if len(early):
        d = early["id"].iloc[0]
        moved = fitted.what_if("2026-Q3", stage={d: OPEN_STAGES[-1]}, draws=150, seed=4)
        m_row = moved.deals.set_index("id").loc[d]
        assert m_row["p_win_period"] > early["p_win_period"].iloc[0]
    for bad, match in (
        ({"exclude": ["no such deal"]}, "no open deal"),
        ({"stage": {ids[0]: "Closed Won"}}, "not an open stage"),
        ({"add": [{"rep_id": "nobody", "amount": 1.0}]}, "not a rep"),
        ({"add": [{"rep_id": rep, "amount": -5}]}, "positive"),
        ({"add": [{"rep_id": rep, "amount": 5, "id": ids[0]}]}, "must be new"),
    ):
        with pytest.raises(WhatIfError, match=match):
            fitted.what_if("2026-Q3", **bad)


def test_one_compiled_model_serves_orgs_of_other_sizes(small_org):
    """Orgs with different reps, teams and segments (and as-of dates) map to one graph: the
    same compile key (so a session that fitted one org reuses the compiled model for the
    next), the same packed data arrays (nutpie compiles code per array), and a log density
    every op of which PyTensor can cache on disk (SciPy's digamma could not be)."""
    import pytensor
    import pytensor.tensor as pt
    from pytensor.link.numba.dispatch.basic import numba_funcify_and_cache_key

    from salesops_models.forecast import BookingsForecastModel
    from salesops_models.numba_cache import register

    register()
    keys, names = [], []
    for crm, as_of in ((small_org.crm, "2026-08-12"), (generate_other_org(), "2025-11-20")):
        m = BookingsForecastModel()
        td = m.training_data(crm, as_of)
        keys.append(m.compile_key(td.levels, "nutpie"))
        names.append(sorted(m.model_data(td)))
        assert m.shapes(td.levels) == {"segment": 4, "team": 16, "rep": 128, "quarter": 4}
    assert keys[0] == keys[1]
    assert names[0] == names[1] and len(names[0]) <= 8
    model = m.build_model(td)
    logp = model.logp()
    fn = pytensor.function(
        model.value_vars,
        [logp, *pt.grad(logp, model.value_vars)],
        mode="NUMBA",
        on_unused_input="ignore",
    )
    assert numba_funcify_and_cache_key(fn.maker.fgraph)[1] is not None


def test_a_model_loaded_without_its_crm_says_so_for_forecast_and_what_if():
    import arviz as az

    from salesops_models.bayes import NotFittedError
    from salesops_models.forecast import BookingsForecastModel

    m = BookingsForecastModel()
    m.idata = az.InferenceData()  # a posterior only, as from a file without the fit's data
    for call in (lambda: m.forecast("2026-Q3"), lambda: m.what_if("2026-Q3", exclude=["x"])):
        with pytest.raises(NotFittedError, match="loaded without its CRM"):
            call()


def generate_other_org():
    from salesops_models.synthetic import generate_org

    return generate_org(n_reps=6, years=1, seed=99).crm


@pytest.mark.slow
def test_ledger_scores_past_forecasts(fitted, small_org, tmp_path):
    from salesops_models.forecast import ledger

    fc = fitted.forecast("2026-Q3", draws=100, seed=0)
    path = tmp_path / "ledger.jsonl"
    ledger.record(fc, source="small", path=path)
    ledger.record(fc, source="other", path=path)
    assert len(ledger.read(path)) == 2
    s = ledger.scored(small_org.crm, path, source="small")
    assert len(s) == 1
    actual = small_org.crm.bookings("2026-Q3")
    assert s["actual"].iloc[0] == pytest.approx(actual)
    assert s["error_pct"].iloc[0] == pytest.approx(100 * (np.median(fc.total) - actual) / actual)


@pytest.mark.slow
def test_prior_predictive_covers_plausible_orgs(small_org):
    from salesops_models.forecast import BookingsForecastModel

    # 400 draws: the 5% quantile of 60 draws moved between 21 and 31 days with the seed (the
    # prior's own is ~20-23), so a change of random stream alone could cross the bound
    prior = BookingsForecastModel().implied_prior(small_org.crm, "2026-06-30", samples=400)
    # priors allow win rates from creation from a few % to most deals, cycles of days to years
    assert (prior["win_rate_p05"] < 0.05).all() and (prior["win_rate_p95"] > 0.3).all()
    assert (prior["cycle_days_p05"] < 30).all() and (prior["cycle_days_p95"] > 120).all()


@pytest.mark.slow
def test_parameter_recovery_on_data_from_known_hazards():
    """Data simulated from known baseline hazards, rep effects and type effects: the 90%
    posterior intervals cover the truth at about the nominal rate."""
    from salesops_models.forecast import BookingsForecastModel
    from salesops_models.forecast.recovery import RecoveryTruth, recovery_table, simulate_crm

    truth = RecoveryTruth()
    crm = simulate_crm(truth)
    assert crm.validate().empty
    model = BookingsForecastModel({"history_quarters": 0})
    model.fit(crm, crm.data_end, seed=3)
    # converged by the house's standard (r_hat <= 1.01, bulk ESS >= 400, no divergences) at
    # the default sampler settings, after at most a retry with twice the tuning
    assert model.diagnostics().ok, model.sampling_attempts
    tab = recovery_table(model, truth)
    assert len(tab) >= 60
    # binomial(n, 0.9): at least 80% covered, and the intervals are not trivially wide
    assert tab["covered"].mean() >= 0.8, tab[~tab["covered"]]
    base = tab[tab["parameter"].str.startswith("base")]
    assert (base["p95"] - base["p05"]).median() < 0.5


@pytest.mark.slow
def test_backtest_meets_the_goals_on_the_sample_org():
    """The issue's goals at week 4 over 8 past quarters of the sample org (truth known):
    mean |error| of the median <= 5%, 80% intervals cover 70-90% of actuals, and |error| at
    least 30% below the CRM's stage-weighted pipeline."""
    from salesops_models import config
    from salesops_models.forecast import backtest, backtest_summary, goals
    from salesops_models.store import load_duckdb
    from salesops_models.synthetic import generate_org

    if config.DEFAULT_DB.exists():
        crm = load_duckdb(config.DEFAULT_DB)
    else:
        crm = generate_org(config.SAMPLE_REPS, config.SAMPLE_YEARS, config.SAMPLE_SEED).crm
    scores = backtest(
        crm,
        quarters=8,
        points={"week 4": 27},
        # the accuracy goals, at a budget (two chains, no retry); convergence at the default
        # settings is checked by the recovery test, the notebooks and the demo's backtests
        sampler_config={"draws": 300, "tune": 300, "chains": 2, "retries": 0},
        progress=False,
    )
    assert scores["period"].nunique() == 8
    g = goals(backtest_summary(scores), "week 4")
    assert g["met"].all(), g


@functools.cache
def jitted_kernel():
    """The fused op's kernel compiled by numba (imported lazily: importing PyTensor at
    collection would change what test_blas sees)."""
    import numba

    from salesops_models.forecast.exposure_op import _kernel

    return numba.njit(_kernel)


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(0, 300),
    sizes=st.tuples(*[st.integers(1, 12)] * 4),
    seed=st.integers(0, 2**31 - 1),
    runs=st.booleans(),
    dtype=st.sampled_from([np.int32, np.int64]),
)
def test_fused_exposure_term_equals_its_formula_and_gradient(n, sizes, seed, runs, dtype):
    """The fused op's numba kernel, its NumPy form and the formula agree on the total, and
    its gradient blocks are the per-level sums of the cells' terms (each sums to the total),
    on any sizes, including no cells and repeated indices, with the cells in any order or
    sorted into runs of equal base, rep and period levels as the model sends them (the
    kernel sums a run once), and with either index width."""
    from salesops_models.forecast import exposure_op as eo

    rng = np.random.default_rng(seed)
    effects = [rng.normal(-1.0, 1.0, (2, k)) for k in sizes]
    E = rng.uniform(0, 30, n)
    index = np.stack([rng.integers(0, k, n) for k in sizes]).astype(dtype)
    if runs:  # by base, rep, period, then pattern (np.lexsort's last key is the first)
        index = np.ascontiguousarray(index[:, np.lexsort(index[[1, 3, 2, 0]])])
    ref = eo.exposure_term_reference(*effects, E, index)
    for impl in (eo.exposure_term_numpy, jitted_kernel()):
        total, *grads = impl(*effects, E, index)
        assert np.isclose(float(total), ref, rtol=1e-12, atol=1e-12)
        assert np.isclose(grads[0].sum(), ref, rtol=1e-12, atol=1e-12)
        for g, eff, ix in zip(grads, effects, index, strict=True):
            assert g.shape == eff.shape
            w = E * np.exp(sum(e[:, i] for e, i in zip(effects, index, strict=True)))
            for k in range(2):
                assert np.allclose(g[k], np.bincount(ix, weights=w[k], minlength=eff.shape[1]))


def test_the_fused_op_gradient_passes_pytensor_finite_differences():
    import pytensor
    from pytensor.gradient import verify_grad

    from salesops_models.forecast.exposure_op import exposure_term

    rng = np.random.default_rng(3)
    sizes = (5, 4, 3, 2)
    E = rng.uniform(0, 2, 40)
    index = np.stack([rng.integers(0, k, 40) for k in sizes])
    effects = [rng.normal(-0.5, 0.3, (2, k)) for k in sizes]
    for mode in ("FAST_RUN", "NUMBA"):
        verify_grad(
            lambda b, p, r, q: exposure_term(b, p, r, q, E, index)[0],
            effects,
            rng=np.random.default_rng(4),
            mode=pytensor.compile.mode.get_mode(mode),
        )


def test_three_likelihood_forms_give_one_log_density(small_org):
    """The fused op ("cells"), the gathers it replaced ("gather") and one Poisson term per
    exposure piece ("rows") are one likelihood: equal stage-hazard log likelihoods and
    gradients at random points, up to the Poisson constant sum(y log E - log y!) of the
    rows form, which does not depend on the parameters."""
    import pytensor
    import pytensor.tensor as pt

    from salesops_models.forecast import BookingsForecastModel

    crm = small_org.crm
    levels = make_levels(crm)
    td = build_training_data(crm, "2026-08-12", levels, keep_pieces=True)
    out = {}
    for form in ("cells", "gather", "rows"):
        model = BookingsForecastModel({"likelihood": form}).build_model(td)
        terms = ["n_advance", "n_lost"] if form == "rows" else ["stage_hazard_loglik"]
        loglik = model.logp(vars=[model[t] for t in terms], jacobian=False)
        grads = pt.grad(loglik, model.value_vars, disconnected_inputs="ignore")
        fn = pytensor.function(
            model.value_vars, [loglik, *grads], mode="FAST_COMPILE", on_unused_input="ignore"
        )
        ip = model.initial_point()
        rng = np.random.default_rng(0)  # the same points for every form
        points = [
            [ip[v.name] + rng.normal(0, 0.3, np.shape(ip[v.name])) for v in model.value_vars]
            for _ in range(3)
        ]
        # (copies: a compiled function may reuse its output buffers)
        out[form] = [[np.array(x, copy=True) for x in fn(*p)] for p in points]
    for form in ("gather", "rows"):
        offsets = [a[0] - b[0] for a, b in zip(out[form], out["cells"], strict=True)]
        assert np.allclose(offsets, offsets[0], rtol=0, atol=1e-6)
        if form == "gather":
            assert abs(offsets[0]) < 1e-6
        for a, b in zip(out[form], out["cells"], strict=True):
            for ga, gb in zip(a[1:], b[1:], strict=True):
                assert np.allclose(ga, gb, rtol=1e-8, atol=1e-8)


def test_the_likelihood_form_is_checked(small_org):
    from salesops_models.forecast import BookingsForecastModel

    m = BookingsForecastModel({"likelihood": "fused"})
    td = build_training_data(small_org.crm, AS_OF, make_levels(small_org.crm))
    with pytest.raises(ValueError, match="likelihood must be"):
        m.model_data(td)


def test_the_backtest_table_fits_a_100_column_terminal():
    """Every method's name and every point's figures are readable in 100 columns (they were
    cut to `stag…` and `roll…`); the full summary is a CSV beside the scores."""
    from rich.console import Console

    from salesops_models.cli.common import table as _table

    methods = ["model", "stage-weighted", "stage conversion", "commit roll-up", "seasonal naive"]
    summary = pd.DataFrame(
        [
            {
                "point": p,
                "method": m,
                "periods": 8,
                "mean_abs_error_pct": 123.456,
                "coverage_80": 0.875 if m == "model" else np.nan,
            }
            for p in ("day 1", "week 4", "week 8")
            for m in methods
        ]
    )
    console = Console(width=100, record=True)
    console.print(_table(bt.compact_summary(summary), "Backtest"))
    text = console.export_text()
    assert "…" not in text
    for m in methods:
        assert m in text
    assert text.count("123.5%, 7/8 in 80%") == 3


@pytest.mark.slow
def test_a_refit_does_not_depend_on_the_data_the_model_was_compiled_with(fitted, small_org):
    """A model compiled on one as-of date and refitted on another gives the draws a fresh
    model gives there with the same seed (the chains' starting points read the current data,
    not the compile's): a backtest's fits do not depend on their order or on which worker of
    a cluster ran what before. ``fitted`` is the fresh model at 2026-08-12, seed 1."""
    from salesops_models.forecast import BookingsForecastModel

    reused = BookingsForecastModel(sampler_config=fitted.sampler_config)
    reused.fit(small_org.crm, "2026-05-12", seed=3)  # compiled with these data
    # a second model in the process: the graph ``fitted`` compiled, loaded from disk
    # (salesops_models.compile_cache), or compiled when the cache is off
    assert reused.compile_info["compiled_model"] in {"disk", "compiled"}
    reused.fit(small_org.crm, "2026-08-12", seed=1)  # the compiled model, new data
    assert reused.idata.attrs["compiled_model"] == "reused"
    assert reused.idata.attrs["compile_seconds"] == 0.0
    for name, values in fitted.idata.posterior.data_vars.items():
        np.testing.assert_array_equal(reused.idata.posterior[name].to_numpy(), values.to_numpy())
