"""Compensation state across periods and fiscal years, and the plan features of issue #15.

The four worked cases run end to end as a user would: the CRM in a DuckDB store, the
cancellations loaded with ``salesops comp load``, statements from ``salesops comp
statements``, figures read back from the payroll CSV (integer cents). Set-ups are spelled
out in each test; ``crm_with`` (test_comp) gives reps OTE 100,000 and quotas of 100,000 per
quarter of 2026 (calendar fiscal year).
"""

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_comp import crm_with, lines, plan, total
from typer.testing import CliRunner

from salesops_models.cli import app
from salesops_models.comp import (
    CompInputs,
    PlanError,
    compute_statements,
    parse_plan,
    read_comp_inputs,
)
from salesops_models.comp.curve import ExactTable, payout_fraction
from salesops_models.store import save_duckdb

runner = CliRunner()
FLAT_10 = {"tiers": [{"from": 0, "rate": 1.0}]}


def monthly(**extra) -> dict:
    """Monthly plan, OTE 120,000 all variable, fixed quota 100,000 a month: TI 10,000 a
    month, BCR 0.10 (10% of bookings)."""
    return {
        "name": "monthly 10%",
        "period": "month",
        "ote": 120_000,
        "pay_mix": {"base": 0, "variable": 1},
        "measures": [
            {"name": "bookings", "metric": "bookings", "weight": 1, "quota": 100_000,
             "rates": FLAT_10}
        ],
    } | extra  # fmt: skip


def run_cli(tmp_path, crm, plan_dict, period, adjustments=None):
    """Store + plan file + ``comp load`` + ``comp statements``; the payroll CSV of r1."""
    db = tmp_path / "org.duckdb"
    save_duckdb(crm, db)
    plan_file = tmp_path / "plan.yml"
    plan_file.write_text(yaml.safe_dump(plan_dict))
    if adjustments is not None:
        f = tmp_path / "cancellations.csv"
        f.write_text(
            "opportunity_id,event,date\n" + "".join(f"{a},{b},{c}\n" for a, b, c in adjustments)
        )
        res = runner.invoke(app, ["comp", "load", "--adjustments", str(f), "--db", str(db)])
        assert res.exit_code == 0, res.output
        assert "rows_read" in res.output or "rows read" in res.output
    out = tmp_path / "out"
    res = runner.invoke(
        app,
        ["comp", "statements", "--plan", str(plan_file), "--period", period, "--db", str(db),
         "--out", str(out)],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    pay = pd.read_csv(out / "payroll.csv", dtype={"rep_id": str, "amount": str})
    return pay[pay["rep_id"] == "r1"], out, res.output


def test_case_1_clawback_across_the_fiscal_year_end(tmp_path):
    # 50,000 closes 2026-12-10 (December pays 5,000.00), cancelled 2027-01-20 (41 days):
    # January 2027 claws back -5,000.00 although it is another fiscal year
    crm = crm_with([("d1", "r1", 50_000, "2026-12-10")])
    pay, _, out = run_cli(
        tmp_path, crm, monthly(clawback={"days": 90}), "2027-01",
        adjustments=[("d1", "cancelled", "2027-01-20")],
    )  # fmt: skip
    assert "1 adjustments" in out
    claw = pay[pay["kind"] == "clawback"]
    assert claw["amount"].tolist() == ["-5000.00"] and claw["amount_cents"].tolist() == [-500000]
    assert pay["amount_cents"].sum() == -500000


def test_case_2_clawback_of_a_capped_deal_returns_what_was_paid(tmp_path):
    # TI 10,000 a quarter (OTE 80,000, 50% variable), quota 100,000: BCR 0.1. Q3: 120,000 pays
    # 100,000 x .1 + 20,000 x .1 x 1.5 = 13,000; 80,000 pays 30,000 x .15 + 50,000 x .2 = 14,500;
    # cap 2.0 x 10,000 = 20,000 withholds 7,500 from the last deal: it was paid 7,000.
    plan_d = {
        "name": "capped", "period": "quarter", "ote": 80_000,
        "measures": [{"name": "bookings", "metric": "bookings", "weight": 1, "rates": {
            "cap_payout": 2.0, "tiers": [{"from": 0, "to": 1, "rate": 1.0},
                                         {"from": 1, "to": 1.5, "rate": 1.5},
                                         {"from": 1.5, "rate": 2.0}]}}],
        "clawback": {"days": 90},
    }  # fmt: skip
    crm = crm_with([("d1", "r1", 120_000, "2026-07-20"), ("d2", "r1", 80_000, "2026-09-10")])
    pay, out_dir, _ = run_cli(
        tmp_path, crm, plan_d, "2026-Q4", adjustments=[("d2", "cancelled", "2026-10-15")]
    )
    assert pay.loc[pay["kind"] == "clawback", "amount"].tolist() == ["-7000.00"]
    q3 = pd.read_excel(out_dir / "statements.xlsx", sheet_name="Lines")
    q3 = q3[(q3["period"] == "2026-Q3") & (q3["rep_id"] == "r1")]
    assert q3["amount"].sum() == pytest.approx(20_000.00)


def test_case_3_annual_true_up_after_a_cancellation_nets_to_zero(tmp_path):
    # tiers x1.2 to 100%, x0.5 above; TI 12,500 a quarter (OTE 100,000 with 50,000 variable),
    # quota 100,000: Q1 pays 21,250 for a 200,000 deal, Q2 claws it back; the Q4 true-up sees
    # no credit and nothing paid: the year nets 0.00 (it paid +8,750 before)
    plan_d = {
        "name": "true-up", "period": "quarter", "annual_true_up": True,
        "measures": [{"name": "bookings", "metric": "bookings", "weight": 1, "rates": {
            "tiers": [{"from": 0, "to": 1.0, "rate": 1.2}, {"from": 1.0, "rate": 0.5}]}}],
        "clawback": {"days": 90},
    }  # fmt: skip
    crm = crm_with([("d1", "r1", 200_000, "2026-02-10")])
    pay, out_dir, _ = run_cli(
        tmp_path, crm, plan_d, "2026-Q4", adjustments=[("d1", "cancelled", "2026-04-15")]
    )
    assert pay.empty or pay["amount_cents"].sum() == 0  # Q4: no true-up line
    year = pd.read_excel(out_dir / "statements.xlsx", sheet_name="Lines")
    year = year[year["rep_id"] == "r1"]
    assert year["amount"].round(2).tolist() == [21_250.00, -21_250.00]
    assert "true_up" not in set(year["kind"])


def test_case_4_recoverable_draw_across_the_year_end(tmp_path):
    # hired 2026-12-01; draw 3,000 for 2 months. Dec earns 1,000 (draw 2,000), Jan earns 0
    # (draw 3,000): balance 5,000; Feb earns 9,000 and recovers 5,000: pays 4,000.00
    crm = crm_with(
        [("d1", "r1", 10_000, "2026-12-10"), ("d2", "r1", 90_000, "2027-02-10")],
        reps=[("r1", "2026-12-01", None)],
    )
    pay, out_dir, _ = run_cli(
        tmp_path, crm, monthly(draw={"amount": 3000, "recoverable": True, "periods": 2}), "2027-02"
    )
    assert pay["amount_cents"].sum() == 400_000
    assert pay.loc[pay["kind"] == "draw_recovery", "amount"].tolist() == ["-5000.00"]
    html_files = sorted((out_dir / "statements").glob("0*.html"))
    assert len(html_files) == 1 and "Draw recovery" in html_files[0].read_text()


# --- the engine's invariants ------------------------------------------------------------------
REPS = [("r1", "2025-01-01", None), ("r2", "2025-06-20", "2027-08-10"), ("r3", "2026-03-05", None)]


def _org(draw):
    """Deals over 2025-2027 for three reps with different hire and termination dates."""
    deals, rng = [], np.random.default_rng(draw["seed"])
    for i in range(draw["n"]):
        rep = REPS[int(rng.integers(0, 3))]
        lo = pd.Timestamp(rep[1])
        hi = pd.Timestamp(rep[2]) if rep[2] else pd.Timestamp("2027-12-31")
        day = lo + pd.Timedelta(days=int(rng.integers(0, (hi - lo).days + 1)))
        deals.append((f"d{i}", rep[0], int(rng.integers(1, 400)) * 500, day.strftime("%Y-%m-%d")))
    crm = crm_with(deals, reps=REPS)
    q = pd.period_range("2025Q1", "2027Q4", freq="Q")
    crm.quotas = pd.DataFrame(
        [{"rep_id": r[0], "period_start": p.start_time, "period_end": p.end_time.normalize(),
          "amount": 90_000.0} for r in REPS for p in q]
    )  # fmt: skip
    won = pd.DataFrame(deals, columns=["opportunity_id", "rep", "amount", "close"])
    cancel = won.sample(frac=draw["cancel"], random_state=draw["seed"])
    adj = pd.DataFrame(
        {
            "opportunity_id": cancel["opportunity_id"],
            "event": "cancelled",
            "date": pd.to_datetime(cancel["close"])
            + pd.to_timedelta(rng.integers(0, 150, len(cancel)), unit="D"),
        }
    )
    return crm, adj


PLANS = st.fixed_dictionaries(
    {
        "period": st.sampled_from(["month", "quarter"]),
        "attainment": st.sampled_from(["period", "ytd"]),
        "method": st.sampled_from(["marginal", "retroactive", "interpolated"]),
        "cap": st.sampled_from([None, 1.5, 3.0]),
        "share": st.sampled_from([1.0, 0.5]),
        "true_up": st.booleans(),
        "draw": st.sampled_from([None, {"amount": 2000, "recoverable": True, "periods": 3},
                                 {"amount": 1500, "recoverable": False, "periods": None}]),
        "seed": st.integers(0, 10_000),
        "n": st.integers(1, 40),
        "cancel": st.sampled_from([0.0, 0.3]),
    }
)  # fmt: skip


def _plan(d):
    rates = {"method": d["method"], "tiers": [{"from": 0, "to": 1, "rate": 1.0},
                                              {"from": 1, "rate": 1.6}]}  # fmt: skip
    if d["cap"]:
        rates["cap_payout"] = d["cap"]
    return parse_plan(
        {
            "name": "p", "period": d["period"], "attainment": d["attainment"],
            "annual_true_up": d["true_up"], "draw": d["draw"],
            "measures": [{"name": "bookings", "metric": "bookings", "weight": 1, "rates": rates}],
            "spiffs": [{"name": "big", "kind": "per_deal", "amount": 250,
                        "condition": {"min_amount": 100_000}}],
            "clawback": {"days": 90, "share": d["share"], "on_termination": True},
        }
    )  # fmt: skip


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(PLANS)
def test_one_period_at_a_time_over_three_years_equals_one_run(d):
    crm, adj = _org(d)
    p, inputs = _plan(d), CompInputs(adjustments=adj)
    last = "2027-12" if d["period"] == "month" else "2027-Q4"
    whole = compute_statements(crm, p, last, inputs, start="2025-01-01")
    periods = list(dict.fromkeys(whole.totals["period"]))
    res = compute_statements(crm, p, periods[0], inputs, start="2025-01-01")
    parts = [res.lines]
    for label in periods[1:]:
        res = compute_statements(crm, p, label, inputs, state=res.state)
        parts.append(res.lines)
    stepwise = pd.concat(parts, ignore_index=True)
    cols = ["period", "rep_id", "kind", "opportunity_id", "amount"]
    assert list(stepwise[cols].astype(object).itertuples(index=False)) == list(
        whole.lines[cols].astype(object).itertuples(index=False)
    )
    assert sum(whole.lines["amount"], Decimal(0)) == sum(whole.totals["total"], Decimal(0))
    # a clawback never exceeds what was paid for the deal
    paid = whole.lines[whole.lines["kind"].isin(["commission", "cap", "spiff"])]
    claw = whole.lines[whole.lines["kind"] == "clawback"]
    for (rep, deal), g in claw.groupby(["rep_id", "opportunity_id"]):
        got = paid[(paid["rep_id"] == rep) & (paid["opportunity_id"] == deal)]["amount"]
        assert -sum(g["amount"], Decimal(0)) <= sum(got, Decimal(0))


def test_two_worker_processes_give_the_one_process_result():
    # each rep's statements depend only on its deals and balances: the reps split over two
    # forked workers must give the same lines, totals, notes and carried state, in order
    d = {"period": "month", "attainment": "period", "method": "marginal", "cap": 1.5,
         "share": 0.5, "true_up": True, "seed": 7, "n": 40, "cancel": 0.3,
         "draw": {"amount": 2000, "recoverable": True, "periods": 3}}  # fmt: skip
    crm, adj = _org(d)
    p, inputs = _plan(d), CompInputs(adjustments=adj)
    one = compute_statements(crm, p, "2026-06", inputs, start="2025-01-01", workers=1)
    two = compute_statements(crm, p, "2026-06", inputs, start="2025-01-01", workers=2)
    assert set(one.lines["kind"]) >= {"commission", "cap", "clawback", "draw"}
    pd.testing.assert_frame_equal(one.lines, two.lines)
    pd.testing.assert_frame_equal(one.totals, two.totals)
    pd.testing.assert_frame_equal(one.accelerators, two.accelerators)
    assert one.notes == two.notes
    assert one.state == two.state
    # and the state carries on the same way from either
    nxt1 = compute_statements(crm, p, "2027-12", inputs, state=one.state, workers=1)
    nxt2 = compute_statements(crm, p, "2027-12", inputs, state=two.state, workers=2)
    pd.testing.assert_frame_equal(nxt1.lines, nxt2.lines)
    assert nxt1.state == nxt2.state


@settings(max_examples=40, deadline=None)
@given(
    st.integers(1_000, 400_000),
    st.sampled_from(["2026-02-10", "2026-03-30", "2026-12-20", "2027-06-30"]),
    st.integers(0, 90),
    st.sampled_from(["month", "quarter"]),
    st.sampled_from(["marginal", "retroactive", "interpolated"]),
    st.sampled_from([None, 1.2]),
    st.sampled_from(["period", "ytd"]),
)
def test_a_deal_booked_and_cancelled_in_its_window_nets_to_zero(
    amount, close, days, period, method, cap, basis
):
    crm = crm_with([("d1", "r1", amount, close), ("d2", "r1", 30_000, "2026-05-05")])
    crm.quotas = pd.concat(
        [crm.quotas, crm.quotas.assign(period_start=crm.quotas["period_start"] + pd.DateOffset(years=1),
                                       period_end=crm.quotas["period_end"] + pd.DateOffset(years=1))]
    )  # fmt: skip
    when = pd.Timestamp(close) + pd.Timedelta(days=days)
    adj = pd.DataFrame({"opportunity_id": ["d1"], "event": ["cancelled"], "date": [when]})
    rates = {"method": method, "tiers": [{"from": 0, "to": 0.5, "rate": 0.8},
                                         {"from": 0.5, "rate": 1.5}]}  # fmt: skip
    if cap:
        rates["cap_payout"] = cap
    p = parse_plan(
        {"name": "z", "period": period, "attainment": basis,
         "measures": [{"name": "bookings", "metric": "bookings", "weight": 1, "rates": rates}],
         "spiffs": [{"name": "any", "kind": "per_deal", "amount": 100}],
         "clawback": {"days": 90}}
    )  # fmt: skip
    res = compute_statements(crm, p, "2027-12" if period == "month" else "2027-Q4",
                             CompInputs(adjustments=adj))  # fmt: skip
    mine = res.lines[res.lines["opportunity_id"] == "d1"]
    assert sum(mine["amount"], Decimal(0)) == Decimal("0.00"), mine[["period", "kind", "amount"]]
    if basis == "period":  # and the deal was paid something before it was clawed back
        assert (mine["kind"] == "clawback").any()


# --- plan features ------------------------------------------------------------------------------
def test_ytd_attainment_pays_ytd_earned_minus_ytd_paid():
    # quarterly, TI 12,500 a quarter, quota 100,000 a quarter; tiers x1 to 100%, x2 above.
    # Q1 150,000: YTD 150% of 100,000 -> earned 12,500 + 50,000 x .125 x 2 = 25,000; paid 25,000.
    # Q2 nothing: YTD 150,000 of 200,000 = 75% -> earned 18,750 < 25,000: pays 0 (carried).
    # Q3 150,000: YTD 300,000 of 300,000 = 100% -> earned 37,500; pays 37,500 - 25,000 = 12,500.
    crm = crm_with([("d1", "r1", 150_000, "2026-02-10"), ("d2", "r1", 150_000, "2026-08-10")])
    p = plan(TWO := [{"from": 0, "to": 1.0, "rate": 1.0}, {"from": 1.0, "rate": 2.0}],
             attainment="ytd")  # fmt: skip
    assert TWO
    res = compute_statements(crm, p, "2026-Q3")
    assert total(res, period="2026-Q1") == Decimal("25000.00")
    assert total(res, period="2026-Q2") == Decimal("0.00")
    assert total(res, period="2026-Q3") == Decimal("12500.00")
    assert any("carried" in n for n in res.notes)


def test_partial_and_termination_clawbacks_and_windows_per_measure():
    # 40,000 x 0.125 = 5,000 paid in Q3; cancelled 30 days later: share 50% -> -2,500.00
    crm = crm_with([("d1", "r1", 40_000, "2026-09-20")])
    adj = pd.DataFrame({"opportunity_id": ["d1"], "event": ["cancelled"], "date": ["2026-10-20"]})
    half = plan([{"from": 0, "rate": 1.0}], clawback={"days": 90, "share": 0.5})
    res = compute_statements(crm, half, "2026-Q4", CompInputs(adjustments=adj))
    assert lines(res, period="2026-Q4", kind="clawback")["amount"].tolist() == [Decimal("-2500.00")]
    # a window of 20 days for the bookings measure: 30 days is too late
    short = plan([{"from": 0, "rate": 1.0}], clawback={"days": 90, "measures": {"bookings": 20}})
    res = compute_statements(crm, short, "2026-Q4", CompInputs(adjustments=adj))
    assert lines(res, period="2026-Q4", kind="clawback").empty
    # the rep leaves 2026-10-05, 15 days after the close: clawed back in the last period
    gone = crm_with([("d1", "r1", 40_000, "2026-09-20")], reps=[("r1", "2020-01-01", "2026-10-05")])
    term = plan([{"from": 0, "rate": 1.0}], clawback={"days": 90, "on_termination": True})
    res = compute_statements(gone, term, "2026-Q4")
    claw = lines(res, period="2026-Q4", kind="clawback")
    assert claw["amount"].tolist() == [Decimal("-5000.00")]
    assert "rep terminated" in claw["rule"].iloc[0]
    with pytest.raises(PlanError, match="clawback.measures: unknown measure 'nope'"):
        plan([{"from": 0, "rate": 1.0}], clawback={"measures": {"nope": 5}})


def test_percent_of_sales_rate_tables_in_currency():
    # 8% of the first 250,000 of the quarter, 12% above (marginal): 300,000 -> 20,000 + 6,000
    amount_tiers = {"basis": "amount", "tiers": [{"from": 0, "to": 250_000, "rate": 0.08},
                                                 {"from": 250_000, "rate": 0.12}]}  # fmt: skip
    crm = crm_with([("d1", "r1", 200_000, "2026-07-10"), ("d2", "r1", 100_000, "2026-08-10")])
    res = compute_statements(crm, plan(amount_tiers["tiers"], rates={"basis": "amount"}), "2026-Q3")
    assert lines(res, kind="commission")["amount"].tolist() == [
        Decimal("16000.00"),
        Decimal("10000.00"),
    ]
    # retroactive: the whole 300,000 at 12% = 36,000; interpolated between the tier points is
    # the same here (the open last tier has one rate)
    retro = plan(amount_tiers["tiers"], "retroactive", rates={"basis": "amount"})
    assert total(compute_statements(crm, retro, "2026-Q3")) == Decimal("36000.00")
    # per transaction: every deal starts again at 8%: 200,000 x 8% + 100,000 x 8% = 24,000
    per_deal = plan(amount_tiers["tiers"], rates={"basis": "amount", "per": "transaction"})
    assert total(compute_statements(crm, per_deal, "2026-Q3")) == Decimal("24000.00")
    # the vectorized curve agrees (quota 100,000, TI 12,500 -> 300% attainment)
    rt = per_deal.measures[0].rates
    g = payout_fraction(plan(amount_tiers["tiers"], rates={"basis": "amount"}).measures[0].rates,
                        np.array([3.0]), quota=100_000.0, target_incentive=12_500.0)  # fmt: skip
    assert g[0] * 12_500 == pytest.approx(26_000.0)
    assert rt.per == "transaction"


def test_interpolated_tiers_and_bounded_last_tier():
    # points: x0.5 at 0%, x1.0 at 100%, x2.0 from 150%: at 80% the rate is 0.5 + 0.5 x 0.8 = 0.9
    tiers = [{"from": 0, "to": 1.0, "rate": 0.5}, {"from": 1.0, "to": 1.5, "rate": 1.0},
             {"from": 1.5, "rate": 2.0}]  # fmt: skip
    crm = crm_with([("d1", "r1", 80_000, "2026-07-10")])
    res = compute_statements(crm, plan(tiers, "interpolated"), "2026-Q3")
    assert total(res) == Decimal("9000.00")  # 80,000 x 0.125 x 0.9
    rt = plan(tiers, "interpolated").measures[0].rates
    assert payout_fraction(rt, np.array([0.8]))[0] == pytest.approx(0.72)
    tab = ExactTable(rt)
    assert tab.payout(Decimal(125_000), Decimal(100_000), Decimal(12_500)) == Decimal("23437.5")
    with pytest.raises(PlanError, match="last tier .* must be open-ended"):
        plan([{"from": 0, "to": 1.0, "rate": 1.0}])


def test_ongoing_non_recoverable_draw_and_guarantee_period():
    crm = crm_with([("d1", "r1", 8_000, "2027-05-10")], reps=[("r1", "2020-01-01", None)])
    crm.quotas = pd.concat(
        [crm.quotas, crm.quotas.assign(period_start=crm.quotas["period_start"] + pd.DateOffset(years=1),
                                       period_end=crm.quotas["period_end"] + pd.DateOffset(years=1))]
    )  # fmt: skip
    ongoing = plan(
        [{"from": 0, "rate": 1.0}], draw={"amount": 3000, "recoverable": False, "periods": None}
    )
    res = compute_statements(crm, ongoing, "2027-Q2", start="2026-01-01")
    assert total(res, period="2026-Q1") == Decimal("3000.00")  # no hire window: every period
    assert total(res, period="2027-Q2") == Decimal("3000.00")  # 1,000 earned + 2,000 draw
    assert lines(res, kind="draw_recovery", period="2027-Q2").empty


def test_comp_inputs_load_with_quarantine(tmp_path):
    crm = crm_with([("d1", "r1", 50_000, "2026-07-10"), ("d2", "r1", 10_000, "2026-08-10")])
    db = tmp_path / "s.duckdb"
    save_duckdb(crm, db)
    f = tmp_path / "splits.csv"
    f.write_text(
        "opportunity_id,rep_id,percent,kind\n"
        "d1,r1,60,split\nd1,r2,40,split\n"          # ok
        "d2,r1,70,split\nd2,r2,20,split\n"          # 90: both rows rejected
        "d9,r1,100,split\n"                         # unknown deal
        "d1,zz,10,overlay\n"                        # unknown rep
        "d1,r2,abc,split\n"                         # not a number
    )  # fmt: skip
    res = runner.invoke(app, ["comp", "load", "--splits", str(f), "--db", str(db)])
    assert res.exit_code == 0, res.output
    inputs, account = read_comp_inputs(db)
    assert len(inputs.splits) == 2 and account.startswith("2 splits")
    from salesops_models.store import read_table

    rej = read_table("comp_load_rejects", db)
    assert rej["sheet_row"].nunique() == 5
    assert (rej["reason"].str.endswith("add to 90, not 100")).sum() == 2
    assert set(rej["sheet_row"]) == {4, 5, 6, 7, 8}  # the header is sheet row 1
    assert set(rej["line"]) == {4, 5, 6, 7, 8}
    res = compute_statements(crm, plan([{"from": 0, "rate": 1.0}]), "2026-Q3", inputs)
    assert total(res, "r2") == Decimal("2500.00")  # 40% of 50,000 x 0.125


def test_statement_html_escapes_hostile_names(tmp_path, assert_no_script):
    payload = "<img src=x onerror=\"window.__pwned='rep'\">Ré ../../etc"
    crm = crm_with([("d<script>window.__pwned=1</script>", "r1", 50_000, "2026-07-10")])
    crm.reps.loc[0, "name"] = payload
    res = compute_statements(crm, plan([{"from": 0, "rate": 1.0}]), "2026-Q3")
    files = res.for_period("2026-Q3").to_html(
        tmp_path / "st", plan=plan([{"from": 0, "rate": 1.0}])
    )
    assert all(f.parent == tmp_path / "st" for f in files)
    text = assert_no_script(files[1])
    assert "Commission statement" in text and "6,250.00" in text and "../../etc" in text
