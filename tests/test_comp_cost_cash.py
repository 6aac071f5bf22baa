"""The Monte Carlo cost model follows the statements' cash rules: draws (top-up, recovery,
guarantee window), clawbacks (share, window lag, past the horizon), year-to-date and annual
true-up payouts, per-deal SPIFFs on simulated deals. Figures are worked by hand or taken
from the exact statement engine on the same case."""

from decimal import Decimal

import numpy as np
import pytest
from test_comp import crm_with

from salesops_models.comp import (
    CompInputs,
    DealDraws,
    DealMix,
    compute_statements,
    evaluate,
    parse_plan,
)

FLAT = {"tiers": [{"from": 0, "rate": 1.0}]}


def monthly(**extra):
    return parse_plan(
        {"name": "m", "period": "month", "ote": 120_000, "pay_mix": {"base": 0, "variable": 1},
         "measures": [{"name": "bookings", "metric": "bookings", "weight": 1, "quota": 100_000,
                       "rates": extra.pop("rates", FLAT)}]} | extra
    )  # fmt: skip


def att(*months):
    return {"bookings": np.array([[list(months)]], dtype=float)}


def test_recoverable_draw_matches_the_statement_engine():
    # issue case 4: hired Dec 1, draw 3,000 for 2 months; earns 1,000 / 0 / 9,000:
    # cash 3,000 / 3,000 / 4,000 (5,000 recovered in the third month)
    plan = monthly(draw={"amount": 3000, "recoverable": True, "periods": 2})
    cost = evaluate(plan, att(0.1, 0.0, 0.9), np.array([10_000.0]), months_since_hire=[0])
    assert cost.cash[0].tolist() == pytest.approx([3000, 3000, 4000, 0])
    assert cost.components["draw"][0] == pytest.approx(0.0)  # advanced, then recovered
    assert cost.draw_outstanding[0] == pytest.approx(0.0)
    crm = crm_with(
        [("d1", "r1", 10_000, "2026-12-10"), ("d2", "r1", 90_000, "2027-02-10")],
        reps=[("r1", "2026-12-01", None)],
    )
    res = compute_statements(crm, plan, "2027-02", start="2026-12-01")
    exact = [float(sum(g, Decimal(0))) for _, g in res.lines.groupby("period")["amount"]]
    assert exact == pytest.approx(cost.cash[0, :3].tolist())


def test_draw_window_and_open_balance():
    # a rep hired 4 months before the horizon is past a 2-period window: no draw; a planned
    # hire starting in month 2 gets the draw in months 2-3; the balance left open is reported
    plan = monthly(draw={"amount": 3000, "recoverable": True, "periods": 2})
    a = {"bookings": np.zeros((1, 2, 4))}
    cost = evaluate(plan, a, np.full(2, 10_000.0), months_since_hire=[4, -1])
    assert cost.per_rep[0].tolist() == pytest.approx([0.0, 6000.0])
    assert cost.cash[0].tolist() == pytest.approx([0, 3000, 3000, 0, 0])
    assert cost.draw_outstanding[0] == pytest.approx(6000.0)
    ongoing = monthly(draw={"amount": 1000, "recoverable": False, "periods": None})
    assert evaluate(ongoing, a, np.full(2, 10_000.0)).total[0] == pytest.approx(8000.0)


def test_ytd_pays_the_running_maximum_of_ytd_earned():
    # quarterly, TI 10,000 a quarter, tiers 1.0 to 100% then 2.0: attainment 0.5, 1.5, 0, 1.0
    # YTD credit 0.5, 2.0, 2.0, 3.0 of quotas 1..4 -> YTD attainment 50%, 100%, 67%, 75%
    # YTD earned 5,000 / 20,000 / 20,000 / 30,000 -> paid 5,000 / 15,000 / 0 / 10,000
    plan = parse_plan(
        {"name": "ytd", "period": "quarter", "attainment": "ytd", "ote": 40_000,
         "pay_mix": {"base": 0, "variable": 1},
         "measures": [{"name": "bookings", "metric": "bookings", "weight": 1, "quota": 100_000,
                       "rates": {"tiers": [{"from": 0, "to": 1, "rate": 1.0},
                                           {"from": 1, "rate": 2.0}]}}]}
    )  # fmt: skip
    cost = evaluate(plan, att(0.5, 1.5, 0.0, 1.0), np.array([10_000.0]))
    assert cost.cash[0].tolist() == pytest.approx([5000, 15000, 0, 10000, 0])


def test_annual_true_up_on_a_one_year_horizon():
    # retroactive 0.5x below 100%, 1.5x above; quarters at 0.5 / 1.5 / 1.0 / 1.0 pay
    # 2,500 + 22,500 + 15,000 + 15,000 = 55,000; the year at 100% pays 1.5 x 40,000 = 60,000
    rates = {"method": "retroactive", "tiers": [{"from": 0, "to": 1, "rate": 0.5},
                                                {"from": 1, "rate": 1.5}]}  # fmt: skip
    plan = parse_plan(
        {"name": "tu", "period": "quarter", "annual_true_up": True, "ote": 40_000,
         "pay_mix": {"base": 0, "variable": 1},
         "measures": [{"name": "bookings", "metric": "bookings", "weight": 1,
                       "quota": 100_000, "rates": rates}]}
    )  # fmt: skip
    cost = evaluate(plan, att(0.5, 1.5, 1.0, 1.0), np.array([10_000.0]))
    assert cost.components["true_up"][0] == pytest.approx(5000.0)
    assert cost.total[0] == pytest.approx(60_000.0)
    half = evaluate(plan, {"bookings": np.array([[[0.5, 1.5]]])}, np.array([10_000.0]))
    assert half.components["true_up"][0] == 0 and "not one year" in half.notes[-1]


def _deals(counts, mix):
    return DealDraws(np.asarray(counts, dtype=np.int32), mix, seed=3)


def test_per_deal_spiffs_are_paid_per_simulated_deal():
    # every deal qualifies (q = 1): the SPIFF pays 500 per deal, not a rate on bookings
    plan = monthly(spiffs=[{"name": "s", "kind": "per_deal", "amount": 500}])
    mix = DealMix(10_000.0, {"all deals": (1.0, 1.0)}, {}, 100)
    counts = [[[3, 0, 7]]]
    bookings = np.array([[[30_000.0, 0.0, 70_000.0]]])
    cost = evaluate(plan, att(0.3, 0.0, 0.7), np.array([10_000.0]), bookings=bookings,
                    deals=_deals(counts, mix))  # fmt: skip
    assert cost.components["spiff"][0] == pytest.approx(500 * 10)
    assert cost.components["commission"][0] == pytest.approx(10_000.0)
    none = evaluate(plan, att(0.3, 0.0, 0.7), np.array([10_000.0]))
    assert none.components["spiff"][0] == 0 and "per-deal SPIFFs left out" in none.notes[0]


def test_clawbacks_land_after_the_window_and_past_the_horizon():
    # every deal cancelled (c = 1), share 50%, 60-day window on a monthly plan: half of each
    # month's commission comes back 2 months later; the last months' land after the horizon
    plan = monthly(clawback={"days": 60, "share": 0.5})
    key = "clawback ['cancelled', 'unpaid'] within 60 days"
    mix = DealMix(10_000.0, {}, {key: 1.0}, 100)
    bookings = np.array([[[10_000.0, 20_000.0, 40_000.0]]])
    cost = evaluate(plan, att(0.1, 0.2, 0.4), np.array([10_000.0]), bookings=bookings,
                    deals=_deals([[[1, 2, 4]]], mix))  # fmt: skip
    assert cost.cash[0].tolist() == pytest.approx([1000, 2000, 4000 - 500, -1000 - 2000])
    assert cost.components["clawback"][0] == pytest.approx(-3500.0)
    assert cost.total[0] == pytest.approx(cost.cash[0].sum())
    other = monthly(clawback={"days": 90})
    with pytest.raises(ValueError, match="another plan"):
        evaluate(other, att(0.1, 0.2, 0.4), np.array([10_000.0]), bookings=bookings,
                 deals=_deals([[[1, 2, 4]]], mix))  # fmt: skip


def test_deal_mix_and_draws_from_a_crm():
    crm = crm_with(
        [("d1", "r1", 60_000, "2026-03-10", "new", "Suite"),
         ("d2", "r1", 20_000, "2026-05-10", "new", "Core"),
         ("d3", "r2", 20_000, "2026-06-10", "renewal", "Core"),
         ("d4", "r2", 100_000, "2026-06-20", "new", "Suite")]
    )  # fmt: skip
    plan = monthly(
        spiffs=[{"name": "suite", "kind": "per_deal", "amount": 500,
                 "condition": {"products": ["Suite"], "min_amount": 50_000}}],
        clawback={"days": 90},
    )  # fmt: skip
    adj = CompInputs(
        adjustments=crm.opportunities[["id"]].iloc[[1]].rename(columns={"id": "opportunity_id"})
        .assign(event="cancelled", date=np.datetime64("2026-06-01"))
    ).adjustments  # fmt: skip
    mix = DealMix.from_crm(crm, plan, "2026-12-31", adjustments=adj)
    assert mix.n_deals == 4 and mix.mean_value == pytest.approx(50_000)
    ((q, v),) = mix.qualifying.values()
    assert q == pytest.approx(0.5) and v == pytest.approx(160_000 / 200_000)
    assert list(mix.cancel_rates.values()) == [pytest.approx(0.25)]
    bookings = np.array([[[0.0, 50_000.0, 400_000.0]]] * 2000)
    d1, d2 = DealDraws.simulate(bookings, mix, 5), DealDraws.simulate(bookings, mix, 5)
    assert np.array_equal(d1.counts, d2.counts)  # same seed, same deals: plan A and B agree
    assert (d1.counts[:, 0, 0] == 0).all() and (d1.counts[:, 0, 1] >= 1).all()
    assert d1.counts[:, 0, 2].mean() == pytest.approx(8, rel=0.05)  # about B / mean deal
