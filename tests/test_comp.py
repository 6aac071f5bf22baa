"""Compensation: worked examples with hand-computed payouts (the arithmetic is in each test),
bad plans, reproducibility, and the vectorized evaluator against the exact calculator.

Common set-up unless a test says otherwise: OTE 100,000, pay mix 50/50, quarterly plan, so the
quarter's target incentive TI = 100,000 x 0.5 x 3/12 = 12,500; quota 100,000 per quarter;
base commission rate BCR = TI / quota = 0.125.
"""

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from salesops_models.comp import (
    CompInputs,
    PlanError,
    compute_statements,
    evaluate,
    parse_plan,
    payout_fraction,
)
from salesops_models.comp.curve import marginal_slices
from salesops_models.crm import CRM

Q3 = ("2026-07-01", "2026-09-30")


def crm_with(deals, reps=None, quota=100_000.0):
    """Deals: (id, rep, amount, close_date[, type, product, account])."""
    reps = reps or [("r1", "2020-01-01", None), ("r2", "2020-01-01", None)]
    rep_df = pd.DataFrame(
        {
            "id": [r[0] for r in reps],
            "name": [r[0].upper() for r in reps],
            "role": "AE",
            "hire_date": pd.to_datetime([r[1] for r in reps]),
            "termination_date": pd.to_datetime([r[2] for r in reps]),
            "ote": 100_000.0,
        }
    )
    rows = []
    for d in deals:
        did, rep, amt, close = d[:4]
        typ = d[4] if len(d) > 4 else "new"
        prod = d[5] if len(d) > 5 else "Core"
        acc = d[6] if len(d) > 6 else f"a-{did}"
        rows.append(
            {
                "id": did,
                "account_id": acc,
                "owner_rep_id": rep,
                "name": did,
                "type": typ,
                "product": prod,
                "lead_source": "Web",
                "created_date": pd.Timestamp(close) - pd.Timedelta(days=30),
                "close_date": pd.Timestamp(close),
                "amount": float(amt),
                "stage": "Closed Won",
                "is_closed": True,
                "is_won": True,
                "forecast_category": "Closed",
            }
        )
    opps = pd.DataFrame(rows)
    accounts = pd.DataFrame(
        {"id": sorted(set(opps["account_id"])), "name": sorted(set(opps["account_id"]))}
    )
    hist = pd.DataFrame(
        {
            "opportunity_id": opps["id"],
            "changed_at": opps["close_date"],
            "stage": "Closed Won",
            "amount": opps["amount"],
            "close_date": opps["close_date"],
            "forecast_category": "Closed",
        }
    )
    quarters = pd.period_range("2026Q1", "2026Q4", freq="Q")
    quotas = pd.DataFrame(
        [
            {
                "rep_id": r[0],
                "period_start": q.start_time,
                "period_end": q.end_time.normalize(),
                "amount": quota,
            }
            for r in reps
            for q in quarters
        ]
    )
    return CRM(rep_df, accounts, opps, hist, quotas)


def plan(tiers, method="marginal", **extra):
    rates = {"method": method, "tiers": tiers} | extra.pop("rates", {})
    return parse_plan(
        {
            "name": "test",
            "period": "quarter",
            "measures": [
                {
                    "name": "bookings",
                    "metric": "bookings",
                    "weight": 1.0,
                    "quota": "quotas",
                    "rates": rates,
                }
            ],
        }
        | extra
    )


def lines(res, rep="r1", period="2026-Q3", kind=None):
    ln = res.lines[(res.lines["rep_id"] == rep) & (res.lines["period"] == period)]
    return ln if kind is None else ln[ln["kind"] == kind]


def total(res, rep="r1", period="2026-Q3"):
    t = res.totals[(res.totals["rep_id"] == rep) & (res.totals["period"] == period)]
    return t["total"].iloc[0] if len(t) else Decimal(0)


TWO_TIERS = [{"from": 0, "to": 1.0, "rate": 1.0}, {"from": 1.0, "rate": 2.0}]


def test_marginal_tiers_with_accelerator():
    # deal 1: 60,000 x 0.125 = 7,500.00 (all in tier 1)
    # deal 2: 40,000 x 0.125 x 1 + 20,000 x 0.125 x 2 = 5,000 + 5,000 = 10,000.00
    res = compute_statements(
        crm_with([("d1", "r1", 60_000, "2026-07-10"), ("d2", "r1", 60_000, "2026-08-10")]),
        plan(TWO_TIERS),
        "2026-Q3",
    )
    c = lines(res, kind="commission").set_index("opportunity_id")["amount"]
    assert c["d1"] == Decimal("7500.00") and c["d2"] == Decimal("10000.00")
    assert total(res) == Decimal("17500.00")


def test_retroactive_tier_applies_to_everything():
    # attainment 120% reaches tier 2 (x1.5): each deal 60,000 x 0.125 x 1.5 = 11,250.00
    tiers = [{"from": 0, "to": 1.0, "rate": 1.0}, {"from": 1.0, "rate": 1.5}]
    res = compute_statements(
        crm_with([("d1", "r1", 60_000, "2026-07-10"), ("d2", "r1", 60_000, "2026-08-10")]),
        plan(tiers, "retroactive"),
        "2026-Q3",
    )
    assert lines(res, kind="commission")["amount"].tolist() == [Decimal("11250.00")] * 2
    assert total(res) == Decimal("22500.00")


def test_gate_pays_nothing_below_it():
    # 40,000 / 100,000 = 40% < 50% gate: 0
    res = compute_statements(
        crm_with([("d1", "r1", 40_000, "2026-07-10")]),
        plan(TWO_TIERS, rates={"gate": 0.5}),
        "2026-Q3",
    )
    assert total(res) == Decimal("0.00")
    assert "below the 50% gate" in lines(res, kind="gate")["rule"].iloc[0]


def test_payout_cap_and_attainment_cap():
    # three deals of 60,000 (180%): 100,000 x 0.125 + 80,000 x 0.125 x 2 = 32,500; cap 1.5 x 12,500 = 18,750
    deals = [
        ("d1", "r1", 60_000, "2026-07-10"),
        ("d2", "r1", 60_000, "2026-08-10"),
        ("d3", "r1", 60_000, "2026-09-10"),
    ]
    res = compute_statements(crm_with(deals), plan(TWO_TIERS, rates={"cap_payout": 1.5}), "2026-Q3")
    assert lines(res, kind="cap")["amount"].iloc[0] == Decimal("-13750.00")
    assert total(res) == Decimal("18750.00")
    # attainment capped at 150%: 100,000 x 0.125 + 50,000 x 0.125 x 2 = 25,000; of d3 (120,000 -> 180,000)
    # only 30,000 counts, in tier 2: 30,000 x 0.125 x 2 = 7,500.00
    res = compute_statements(
        crm_with(deals), plan(TWO_TIERS, rates={"cap_attainment": 1.5}), "2026-Q3"
    )
    c = lines(res, kind="commission").set_index("opportunity_id")["amount"]
    assert c["d3"] == Decimal("7500.00")
    assert total(res) == Decimal("25000.00")


def test_splits_and_overlay():
    # a 100,000 deal split 60/40: r1 60,000 x 0.125 = 7,500; r2 40,000 x 0.125 = 5,000
    crm = crm_with([("d1", "r1", 100_000, "2026-07-10")])
    splits = pd.DataFrame(
        {"opportunity_id": ["d1", "d1"], "rep_id": ["r1", "r2"], "percent": [60, 40]}
    )
    res = compute_statements(crm, plan(TWO_TIERS), "2026-Q3", CompInputs(splits=splits))
    assert total(res, "r1") == Decimal("7500.00") and total(res, "r2") == Decimal("5000.00")
    bad = splits.assign(percent=[60, 30])
    with pytest.raises(ValueError, match="opportunity 'd1' add to 90, not 100"):
        compute_statements(crm, plan(TWO_TIERS), "2026-Q3", CompInputs(splits=bad))


def test_spiffs_per_deal_and_milestone():
    # per deal: 500 for Suite deals >= 50,000 (d1 only); milestone 2,500 at 125% (130% reached)
    # commission: 100,000 x 0.125 + 30,000 x 0.125 x 2 = 20,000
    p = plan(
        TWO_TIERS,
        spiffs=[
            {
                "name": "suite",
                "kind": "per_deal",
                "amount": 500,
                "condition": {"products": ["Suite"], "min_amount": 50_000},
            },
            {
                "name": "club",
                "kind": "milestone",
                "measure": "bookings",
                "attainment": 1.25,
                "amount": 2500,
            },
        ],
    )
    crm = crm_with(
        [
            ("d1", "r1", 80_000, "2026-07-10", "new", "Suite"),
            ("d2", "r1", 50_000, "2026-08-10", "new", "Core"),
        ]
    )
    res = compute_statements(crm, p, "2026-Q3")
    assert sorted(lines(res, kind="spiff")["amount"]) == [Decimal("500.00"), Decimal("2500.00")]
    assert total(res) == Decimal("23000.00")


def test_proration_for_a_mid_quarter_hire():
    # hired 2026-08-16: active 46 of 92 days in Q3 -> TI = 12,500 x 46/92 = 6,250; the
    # quotas-table quota is prorated the same way (100,000 x 46/92 = 50,000), so the BCR stays
    # the plan's 0.125 and a 50,000 deal pays 6,250.00 (100% attainment pays 100% of TI)
    crm = crm_with([("d1", "r3", 50_000, "2026-09-01")], reps=[("r3", "2026-08-16", None)])
    res = compute_statements(crm, plan([{"from": 0, "rate": 1.0}]), "2026-Q3")
    assert total(res, "r3") == Decimal("6250.00")
    assert "BCR 0.125000" in lines(res, "r3")["rule"].iloc[0]
    assert total(res, "r3", "2026-Q2") == Decimal(0)  # not yet hired
    # a quota row already cut at the hire date (50,000 for Aug 16 - Sep 30) is not cut again
    cut = crm.quotas[crm.quotas["period_start"] != pd.Timestamp("2026-07-01")]
    row = pd.DataFrame(
        {"rep_id": ["r3"], "period_start": [pd.Timestamp("2026-08-16")],
         "period_end": [pd.Timestamp("2026-09-30")], "amount": [50_000.0]}
    )  # fmt: skip
    crm2 = CRM(crm.reps, crm.accounts, crm.opportunities, crm.opportunity_history,
               pd.concat([cut, row], ignore_index=True))  # fmt: skip
    assert total(compute_statements(crm2, plan([{"from": 0, "rate": 1.0}]), "2026-Q3"), "r3") == (
        Decimal("6250.00")
    )


def test_recoverable_draw_is_carried_and_recovered():
    # hired 2026-04-01, draw 5,000 for 2 quarters. Q2: earns 24,000 x 0.125 = 3,000 -> draw 2,000 (balance 2,000)
    # Q3 (still in the draw window): earns 80,000 x 0.125 = 10,000 > 5,000 -> recover min(2,000, 10,000 - 5,000)
    crm = crm_with(
        [("d1", "r1", 24_000, "2026-05-10"), ("d2", "r1", 80_000, "2026-08-10")],
        reps=[("r1", "2026-04-01", None)],
    )
    res = compute_statements(
        crm,
        plan([{"from": 0, "rate": 1.0}], draw={"amount": 5000, "recoverable": True, "periods": 2}),
        "2026-Q3",
    )
    assert lines(res, period="2026-Q2", kind="draw")["amount"].iloc[0] == Decimal("2000.00")
    assert total(res, period="2026-Q2") == Decimal("5000.00")
    assert lines(res, kind="draw_recovery")["amount"].iloc[0] == Decimal("-2000.00")
    assert total(res) == Decimal("8000.00")


def test_clawback_of_a_cancelled_deal():
    # d1 (Q3, 40,000 x 0.125 = 5,000) cancelled 30 days after close, in Q4: -5,000 in Q4
    crm = crm_with([("d1", "r1", 40_000, "2026-09-20"), ("d2", "r1", 8_000, "2026-10-05")])
    adj = pd.DataFrame(
        {"opportunity_id": ["d1"], "event": ["cancelled"], "date": [pd.Timestamp("2026-10-20")]}
    )
    p = plan([{"from": 0, "rate": 1.0}], clawback={"days": 90})
    res = compute_statements(crm, p, "2026-Q4", CompInputs(adjustments=adj))
    assert lines(res, period="2026-Q4", kind="clawback")["amount"].iloc[0] == Decimal("-5000.00")
    assert total(res, period="2026-Q4") == Decimal("1000.00") - Decimal("5000.00")
    late = adj.assign(date=[pd.Timestamp("2026-12-30")])  # 101 days: too late to claw back
    assert lines(
        compute_statements(crm, p, "2026-Q4", CompInputs(adjustments=late)),
        period="2026-Q4",
        kind="clawback",
    ).empty


def test_multi_year_deals_credit_acv_or_tcv():
    # a 36-month deal of 300,000: ACV 100,000 -> 12,500.00; TCV 300,000 -> 37,500.00
    crm = crm_with([("d1", "r1", 300_000, "2026-07-10")])
    attrs = pd.DataFrame({"opportunity_id": ["d1"], "term_months": [36]})
    acv = compute_statements(
        crm, plan([{"from": 0, "rate": 1.0}]), "2026-Q3", CompInputs(deal_attributes=attrs)
    )
    assert total(acv) == Decimal("12500.00")
    p_tcv = parse_plan(
        {
            "name": "t",
            "measures": [
                {
                    "name": "bookings",
                    "metric": "bookings",
                    "weight": 1,
                    "crediting": {"value": "tcv"},
                    "rates": {"tiers": [{"from": 0, "rate": 1.0}]},
                }
            ],
        }
    )
    assert total(
        compute_statements(crm, p_tcv, "2026-Q3", CompInputs(deal_attributes=attrs))
    ) == Decimal("37500.00")


def test_annual_true_up():
    # tiers x1.2 to 100%, x0.5 above. Q1: 200,000 -> 100,000 x .125 x 1.2 + 100,000 x .125 x .5 = 21,250; Q2-Q4: 0.
    # annual: TI 50,000, quota 400,000, credit 200,000 -> 50% x 1.2 = 60% -> 30,000; true-up 30,000 - 21,250 = 8,750
    tiers = [{"from": 0, "to": 1.0, "rate": 1.2}, {"from": 1.0, "rate": 0.5}]
    res = compute_statements(
        crm_with([("d1", "r1", 200_000, "2026-02-10")]), plan(tiers, annual_true_up=True), "2026-Q4"
    )
    assert total(res, period="2026-Q1") == Decimal("21250.00")
    assert lines(res, period="2026-Q4", kind="true_up")["amount"].iloc[0] == Decimal("8750.00")


def test_lines_add_up_and_runs_are_reproducible(small_org):
    from salesops_models.comp import load_plan
    from salesops_models.config import PROJECT_ROOT

    p = load_plan(PROJECT_ROOT / "plans" / "ae_standard.yml")
    a = compute_statements(small_org.crm, p, "2026-Q2")
    b = compute_statements(small_org.crm, p, "2026-Q2")
    pd.testing.assert_frame_equal(a.lines, b.lines)
    sums = a.lines.groupby(["period", "rep_id"], sort=False)["amount"].apply(
        lambda s: sum(s, Decimal(0))
    )
    assert (sums.to_numpy() == a.totals["total"].to_numpy()).all()
    assert all(d == d.quantize(Decimal("0.01")) for d in a.lines["amount"])


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        (
            lambda d: d["measures"][0]["rates"]["tiers"].__setitem__(1, {"from": 0.8, "rate": 2}),
            "tiers overlap",
        ),
        (
            lambda d: d["measures"][0]["rates"]["tiers"].__setitem__(1, {"from": 1.2, "rate": 2}),
            "tiers leave a gap",
        ),
        (
            lambda d: d["measures"][0]["rates"]["tiers"][1].__setitem__("rate", -1),
            r"measures\[0\].rates.tiers\[1\].rate: must be >= 0",
        ),
        (
            lambda d: d["measures"][0].__setitem__("weight", 0.9),
            "measures\\[\\*\\].weight: weights must sum to 100%, got 90%",
        ),
        (
            lambda d: d.__setitem__(
                "spiffs",
                [
                    {
                        "name": "x",
                        "kind": "milestone",
                        "measure": "margin",
                        "attainment": 1,
                        "amount": 1,
                    }
                ],
            ),
            r"spiffs\[0\].measure: unknown measure 'margin'",
        ),
        (lambda d: d["measures"][0].__setitem__("metric", "revenue"), r"measures\[0\].metric"),
    ],
)
def test_bad_plans_are_clear_errors(patch, message):
    d = {
        "name": "t",
        "measures": [
            {
                "name": "bookings",
                "metric": "bookings",
                "weight": 1.0,
                "rates": {"tiers": [{"from": 0, "to": 1.0, "rate": 1}, {"from": 1.0, "rate": 2}]},
            }
        ],
    }
    patch(d)
    with pytest.raises(PlanError, match=message):
        parse_plan(d, "plan.yml")


# --- properties ---------------------------------------------------------------------------------
rates_st = st.lists(st.floats(0, 4, allow_nan=False), min_size=1, max_size=4)
breaks_st = st.lists(st.floats(0.1, 2.0, allow_nan=False), min_size=3, max_size=3, unique=True)


def table(rates, breaks, method="marginal", **kw):
    b = sorted(breaks)[: len(rates) - 1]
    edges = [0.0, *b]
    tiers = [
        {"from": edges[i], "to": edges[i + 1], "rate": rates[i]} for i in range(len(edges) - 1)
    ]
    tiers.append({"from": edges[-1], "rate": rates[len(edges) - 1]})
    return plan(tiers, method, rates=kw).measures[0].rates


@settings(max_examples=150, deadline=None)
@given(rates_st, breaks_st, st.lists(st.floats(0, 3, allow_nan=False), min_size=2, max_size=2))
def test_marginal_payout_never_decreases_and_caps_hold(rates, breaks, pair):
    a0, a1 = sorted(pair)
    rt = table(rates, breaks)
    assert payout_fraction(rt, a1) >= payout_fraction(rt, a0) - 1e-12
    capped = table(rates, breaks, cap_payout=1.3, cap_attainment=1.6)
    assert payout_fraction(capped, a1) <= 1.3 + 1e-12
    assert payout_fraction(capped, 1.6) == pytest.approx(payout_fraction(capped, max(a1, 1.6)))


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.floats(0, 4, allow_nan=False), min_size=2, max_size=4),
    breaks_st,
    st.floats(0, 3, allow_nan=False),
)
def test_retroactive_without_decelerators_is_monotone_and_agrees_below_first_break(
    rates, breaks, a
):
    rates = sorted(rates)  # no decelerator: multipliers never fall
    retro, marg = table(rates, breaks, "retroactive"), table(rates, breaks)
    assert payout_fraction(retro, a + 0.01) >= payout_fraction(retro, a) - 1e-12
    first_break = sorted(breaks)[0]
    x = a * first_break / 3.0 * 0.999  # strictly below the first break
    assert payout_fraction(retro, x) == pytest.approx(payout_fraction(marg, x))


@settings(max_examples=100, deadline=None)
@given(st.integers(100, 10**8), st.lists(st.integers(1, 100), min_size=1, max_size=5))
def test_split_credits_sum_to_the_deal(cents_amount, weights):
    amount = Decimal(cents_amount) / 100
    raw = [Decimal(w) for w in weights]
    pct = [(w * 100 / sum(raw)).quantize(Decimal("0.0001")) for w in raw]
    pct[-1] += Decimal(100) - sum(pct)  # percentages that add to exactly 100
    credits = [amount * p / 100 for p in pct]
    assert sum(credits) == amount


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(100, 5_000_000), min_size=1, max_size=8),
    st.sampled_from(["marginal", "retroactive"]),
    rates_st,
    breaks_st,
)
def test_vectorized_evaluator_agrees_with_exact_statements(deal_cents, method, rates, breaks):
    rt_plan = plan(table(rates, breaks, method).model_dump(by_alias=True)["tiers"], method)
    deals = [(f"d{i}", "r1", c / 100, f"2026-07-{10 + i}") for i, c in enumerate(deal_cents)]
    res = compute_statements(crm_with(deals), rt_plan, "2026-Q3")
    exact = total(res)
    att = sum(c for c in deal_cents) / 100 / 100_000
    vec = evaluate(rt_plan, {"bookings": np.array([[[att]]])}, np.array([12_500.0])).total[0]
    assert abs(float(exact) - vec) <= 0.005 * len(deals) + 1e-6


def test_marginal_slices_cover_the_credit():
    rt = table([1.0, 2.0, 3.0], [0.5, 1.0, 1.5])
    s = marginal_slices(rt, Decimal("40000"), Decimal("160000"), Decimal("100000"))
    assert sum(c for _, c, _ in s) == Decimal("120000")
    assert [k for k, _, _ in s] == [0, 1, 2]


def test_overlay_credit_on_top_of_the_split():
    # d1 100,000 to AE r1 (100% split) and 50% overlay credit to overlay rep o1 (overlay multiplier 1):
    # r1: 100,000 x 0.125 = 12,500.00; o1 on an overlay plan: 50,000 x 0.125 = 6,250.00
    crm = crm_with(
        [("d1", "r1", 100_000, "2026-07-10")],
        reps=[("r1", "2020-01-01", None), ("o1", "2020-01-01", None)],
    )
    crm.reps.loc[crm.reps["id"] == "o1", "role"] = "Overlay"
    splits = pd.DataFrame(
        {
            "opportunity_id": ["d1", "d1"],
            "rep_id": ["r1", "o1"],
            "percent": [100, 50],
            "kind": ["split", "overlay"],
        }
    )
    ae = compute_statements(
        crm, plan([{"from": 0, "rate": 1.0}]), "2026-Q3", CompInputs(splits=splits)
    )
    assert total(ae, "r1") == Decimal("12500.00")
    overlay_plan = plan(
        [{"from": 0, "rate": 1.0}],
        roles=["Overlay"],
        overlay={"role": "Overlay", "multiplier": 1.0},
    )
    ov = compute_statements(crm, overlay_plan, "2026-Q3", CompInputs(splits=splits))
    assert total(ov, "o1") == Decimal("6250.00")


def test_discount_multiplier_margin_and_new_logo_measures():
    # discount 15% falls in the <=20% band (x0.8): 40,000 x 0.125 x 0.8 = 4,000.00
    crm = crm_with(
        [
            ("d1", "r1", 40_000, "2026-07-10", "new", "Core", "acc1"),
            ("d2", "r1", 20_000, "2026-08-10", "new", "Core", "acc1"),
        ]
    )
    attrs = pd.DataFrame(
        {"opportunity_id": ["d1", "d2"], "discount": [0.15, 0.05], "margin": [0.5, 0.25]}
    )
    p = plan(
        [{"from": 0, "rate": 1.0}],
        discount_multipliers=[
            {"max_discount": 0.1, "multiplier": 1.0},
            {"max_discount": 0.2, "multiplier": 0.8},
        ],
    )
    c = lines(
        compute_statements(crm, p, "2026-Q3", CompInputs(deal_attributes=attrs)), kind="commission"
    )
    assert c.set_index("opportunity_id")["amount"].to_dict() == {
        "d1": Decimal("4000.00"),
        "d2": Decimal("2500.00"),
    }
    # margin measure: 40,000 x 0.5 + 20,000 x 0.25 = 25,000 credit -> x 0.125 = 3,125.00
    pm = parse_plan(
        {
            "name": "m",
            "measures": [
                {
                    "name": "margin",
                    "metric": "margin",
                    "weight": 1,
                    "rates": {"tiers": [{"from": 0, "rate": 1}]},
                }
            ],
        }
    )
    assert total(
        compute_statements(crm, pm, "2026-Q3", CompInputs(deal_attributes=attrs))
    ) == Decimal("3125.00")
    # new logos: only d1 is acc1's first won deal; fixed quota 4 logos per quarter -> BCR 12,500/4 = 3,125.00
    pl = parse_plan(
        {
            "name": "l",
            "measures": [
                {
                    "name": "logos",
                    "metric": "new_logos",
                    "weight": 1,
                    "quota": 4,
                    "rates": {"tiers": [{"from": 0, "rate": 1}]},
                }
            ],
        }
    )
    assert total(compute_statements(crm, pl, "2026-Q3")) == Decimal("3125.00")


def test_rate_cap_and_non_recoverable_draw():
    # cap_rate 1.5 turns the x2 accelerator into x1.5: 100,000 x .125 + 20,000 x .125 x 1.5 = 16,250.00
    crm = crm_with([("d1", "r1", 120_000, "2026-07-10")])
    assert total(
        compute_statements(crm, plan(TWO_TIERS, rates={"cap_rate": 1.5}), "2026-Q3")
    ) == Decimal("16250.00")
    # guaranteed draw of 5,000 for a hire of 2026-07-01 earning 16,000 x 0.125 = 2,000 in Q3 -> draw 3,000,
    # and nothing is recovered in Q4 from 80,000 x 0.125 = 10,000
    crm = crm_with(
        [("d1", "r1", 16_000, "2026-07-10"), ("d2", "r1", 80_000, "2026-10-10")],
        reps=[("r1", "2026-07-01", None)],
    )
    res = compute_statements(
        crm,
        plan([{"from": 0, "rate": 1.0}], draw={"amount": 5000, "recoverable": False, "periods": 1}),
        "2026-Q4",
    )
    assert lines(res, kind="draw")["amount"].iloc[0] == Decimal("3000.00")
    assert lines(res, period="2026-Q4", kind="draw_recovery").empty and total(
        res, period="2026-Q4"
    ) == Decimal("10000.00")


def test_leave_prorates_the_target_incentive():
    # a 46-day leave in Q3 (92 days): TI 12,500 x 46/92 = 6,250 and the quotas-table quota
    # 100,000 x 46/92 = 50,000: the BCR stays 0.125, a 40,000 deal pays 5,000.00
    crm = crm_with([("d1", "r1", 40_000, "2026-07-10")])
    leaves = pd.DataFrame({"rep_id": ["r1"], "start": ["2026-08-16"], "end": ["2026-09-30"]})
    res = compute_statements(
        crm, plan([{"from": 0, "rate": 1.0}]), "2026-Q3", CompInputs(leaves=leaves)
    )
    assert total(res) == Decimal("5000.00")


def test_accelerator_premium_is_reported_beside_the_statements():
    # marginal: 20,000 of credit above quota at rate 2: premium 20,000 x 0.125 x (2 - 1) = 2,500
    deals = [("d1", "r1", 60_000, "2026-07-10"), ("d2", "r1", 60_000, "2026-08-10")]
    res = compute_statements(crm_with(deals), plan(TWO_TIERS), "2026-Q3")
    assert res.accelerators["amount"].sum() == pytest.approx(2_500.0)
    # retroactive x1.5 reached at 120%: all 120,000 paid 0.5 above the base rate: 7,500
    tiers = [{"from": 0, "to": 1.0, "rate": 1.0}, {"from": 1.0, "rate": 1.5}]
    res = compute_statements(crm_with(deals), plan(tiers, "retroactive"), "2026-Q3")
    assert res.accelerators["amount"].sum() == pytest.approx(7_500.0)
    # below quota: no premium; a payout cap removes the premium first (10,000 - 13,750 < 0)
    res = compute_statements(crm_with(deals[:1]), plan(TWO_TIERS), "2026-Q3")
    assert res.accelerators.empty
    three = [*deals, ("d3", "r1", 60_000, "2026-09-10")]
    res = compute_statements(crm_with(three), plan(TWO_TIERS, rates={"cap_payout": 1.5}), "2026-Q3")
    assert res.accelerators["amount"].sum() == 0.0
