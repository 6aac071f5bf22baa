"""The forecast call: as-of semantics, the roll-up's arithmetic, the importer's rejects, the
synthetic callers, and the bias model's recovery of planted biases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from salesops_models.calls import ForecasterBiasModel, calls_as_of, scope_actuals
from salesops_models.calls.rollup import company_call, rollup
from salesops_models.cli import app
from salesops_models.crm import CRM, rep_scopes
from salesops_models.loaders.calls import load_calls
from salesops_models.schema import CRM_TABLE_NAMES, conform, empty_table
from salesops_models.store import read_table, save_duckdb, save_tables
from salesops_models.synthetic import generate_org
from salesops_models.synthetic.calls import simulate_calls

runner = CliRunner()


def _crm() -> CRM:
    """A VP over two managers over three AEs, one won deal each in 2026-Q3."""
    reps = pd.DataFrame(
        {
            "id": ["VP", "M1", "M2", "A1", "A2", "A3"],
            "name": ["Vera", "Mo", "Mia", "Ann", "Бо", "王伟"],
            "manager_id": [None, "VP", "VP", "M1", "M1", "M2"],
            "role": ["Manager", "Manager", "Manager", "AE", "AE", "AE"],
        }
    )
    opps = pd.DataFrame(
        {
            "id": ["o1", "o2", "o3"],
            "account_id": ["c1", "c1", "c1"],
            "owner_rep_id": ["A1", "A2", "A3"],
            "created_date": pd.to_datetime(["2026-05-01"] * 3),
            "close_date": pd.to_datetime(["2026-07-20", "2026-08-20", "2026-09-20"]),
            "amount": [100.0, 200.0, 400.0],
            "stage": "Closed Won",
            "is_closed": True,
            "is_won": True,
        }
    )
    accounts = pd.DataFrame({"id": ["c1"], "name": ["Acme"]})
    tables = {t: empty_table(t) for t in CRM_TABLE_NAMES}
    tables.update(reps=conform("reps", reps), opportunities=conform("opportunities", opps),
                  accounts=conform("accounts", accounts))  # fmt: skip
    return CRM(**tables)


def _call(when, who, amount, category="Commit", kind="own", adjusted=None, period="2026-Q3"):
    return {
        "submitted_at": pd.Timestamp(when),
        "forecaster_id": who,
        "period": period,
        "category": category,
        "amount": float(amount),
        "kind": kind,
        "adjusted_id": adjusted,
    }


# --- as of and roll-up ------------------------------------------------------------------------
def test_the_call_known_on_a_day_is_the_latest_at_or_before_it():
    calls = pd.DataFrame(
        [
            _call("2026-07-06 09:00", "A1", 90),
            _call("2026-07-13 09:00", "A1", 110),
            _call("2026-07-13 10:00", "M1", 95, kind="adjustment", adjusted="A1"),
        ]
    )
    assert calls_as_of(calls, "2026-07-12")["amount"].tolist() == [90.0]
    on_13 = calls_as_of(calls, "2026-07-13")
    assert sorted(on_13["amount"]) == [95.0, 110.0]  # the own call and the adjustment both stand


def test_rollup_keeps_reports_adjustments_and_own_numbers_apart():
    crm = _crm()
    calls = pd.DataFrame(
        [
            _call("2026-07-06", "A1", 100),
            _call("2026-07-06", "A2", 200),
            _call("2026-07-06", "A3", 300),
            _call("2026-07-07", "M1", 250, kind="adjustment", adjusted="A2"),  # 200 -> 250
            _call("2026-07-07", "M2", 420),  # M2's own number
        ]
    )
    t = rollup(crm, calls, "2026-Q3", "2026-07-10").set_index("forecaster_id")
    assert t.loc["M1", ["reports_called", "adjustments", "rollup", "forecast"]].tolist() == [
        300.0, 50.0, 350.0, 350.0]  # fmt: skip
    assert np.isnan(t.loc["M1", "own"])
    assert t.loc["M2", "rollup"] == 300.0 and t.loc["M2", "forecast"] == 420.0
    assert t.loc["M2", "own_vs_rollup"] == 120.0
    assert t.loc["VP", "rollup"] == 350.0 + 420.0 and company_call(t) == 770.0
    assert t.loc["VP", "level"] == 0 and t.loc["A1", "level"] == 2
    # single-category amounts are summed up the category order
    single = pd.DataFrame([_call("2026-07-06", "A1", 40, "Closed"), _call("2026-07-06", "A1", 60)])
    s = rollup(crm, single, "2026-Q3", "2026-07-10", cumulative=False).set_index("forecaster_id")
    assert s.loc["A1", "forecast"] == 100.0
    with pytest.raises(ValueError, match="unknown category"):
        rollup(crm, calls, "2026-Q3", category="Upside")


def test_scopes_and_actuals_follow_the_hierarchy():
    crm = _crm()
    assert sorted(rep_scopes(crm.reps)["VP"]) == ["A1", "A2", "A3"]
    act = scope_actuals(crm, ["VP", "M1", "A3"], ["2026-Q3"]).set_index("forecaster_id")
    assert act["actual"].tolist() == [700.0, 300.0, 400.0]


# --- the importer -----------------------------------------------------------------------------
def test_calls_file_rejects_every_bad_row_with_its_reason(tmp_path):
    crm = _crm()
    f = tmp_path / "calls.csv"
    f.write_text(
        "When,Who,Period,Category,Amount,Kind,Adjusted,Note\n"
        '2026-07-06,A1,2026-Q3,Upside,120,own,,=HYPERLINK("http://x")\n'  # ok (mapped)
        "2026-07-06,A2,2026-Q3,Commit,-5,own,,\n"  # negative
        "2026-07-06,ZZ,2026-Q3,Commit,5,own,,\n"  # unknown forecaster
        "2026-07-06,A1,2026-Q9,Commit,5,own,,\n"  # not a period
        "2026-07-06,A1,2026-Q3,Stretch,5,own,,\n"  # no mapping
        "2026-07-06,M1,2026-Q3,Commit,5,adjustment,,\n"  # adjustment without its report
        "2026-07-06,M1,2026-Q3,Commit,5,adjustment,A3,\n"  # A3 is not M1's report
        "2026-07-06,A1,2026-Q3,Commit,inf,own,,\n"  # not a number
        "2026-07-06,A3,2026-Q3,Commit,10,own,,\n"  # replaced by the next row
        "2026-07-06,A3,2026-Q3,Commit,11,own,,\n",
        encoding="utf-8",
    )
    cols = {"submitted_at": "When", "forecaster_id": "Who", "period": "Period",
            "category": "Category", "amount": "Amount", "kind": "Kind",
            "adjusted_id": "Adjusted", "note": "Note"}  # fmt: skip
    res = load_calls(crm, f, columns=cols, categories={"Upside": "Best Case"})
    s = res.summary.iloc[0]
    assert (s["rows_read"], s["rows_accepted"], s["rows_rejected"]) == (10, 2, 8)
    why = dict(zip(res.rejects["sheet_row"].astype(int), res.rejects["reason"], strict=True))
    assert "negative amount" in why[3]
    assert "forecaster_id not found" in why[4]
    assert "not a fiscal period" in why[5]
    assert "unknown category value" in why[6] and "Best Case" in why[6] and "Upside" in why[6]
    assert "names no report" in why[7]
    assert "does not report to the forecaster" in why[8]
    assert "unparseable amount" in why[9] or "not a number" in why[9]
    assert "replaced by a later row" in why[10]
    assert any("1 call(s) replaced" in n for n in res.notes)
    ok = res.calls.set_index("amount")
    assert ok.loc[120.0, "category"] == "Best Case" and ok.loc[120.0, "note"].startswith("=HYP")
    assert ok.loc[11.0, "source"] == "calls.csv"
    with pytest.raises(ValueError, match="categories map onto"):
        load_calls(crm, f, columns=cols, categories={"Upside": "Upside"})


def test_calls_load_and_rollup_through_the_cli(tmp_path):
    crm = _crm()
    db = tmp_path / "s.duckdb"
    save_duckdb(crm, db)
    res = runner.invoke(app, ["calls", "rollup", "--period", "2026-Q3", "--db", str(db)])
    assert res.exit_code == 2 and "no forecast calls" in res.output
    f = tmp_path / "calls.csv"
    f.write_text(
        "submitted_at,forecaster_id,period,category,amount,kind,adjusted_id\n"
        "2026-07-06,A1,2026-Q3,Commit,100,own,\n2026-07-06,A2,2026-Q3,Commit,200,own,\n"
        "2026-07-07,M1,2026-Q3,Commit,250,adjustment,A2\n2026-07-06,A3,2026-Q3,Commit,x,own,\n"
    )
    res = runner.invoke(app, ["calls", "load", str(f), "--db", str(db)])
    assert res.exit_code == 0, res.output
    assert len(read_table("forecast_calls", db)) == 3
    assert len(read_table("calls_load_rejects", db)) == 1
    res = runner.invoke(
        app, ["calls", "rollup", "--period", "2026-Q3", "--as-of", "2026-07-10", "--db", str(db)]
    )
    assert res.exit_code == 0, res.output
    assert "company call: 350" in res.output


# --- synthetic callers ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def small_calls():
    org = generate_org(n_reps=12, years=2, seed=3)
    calls, truth = org.forecast_calls()
    return org, calls, truth


def test_synthetic_calls_are_reproducible_and_shaped_like_a_call(small_calls):
    org, calls, truth = small_calls
    again, truth2 = simulate_calls(org.crm, org.params.seed)
    pd.testing.assert_frame_equal(calls, again)
    pd.testing.assert_frame_equal(truth, truth2)
    own = calls[calls["kind"] == "own"].pivot_table(
        index=["submitted_at", "forecaster_id", "period"], columns="category", values="amount"
    )
    assert (own["Commit"] >= own["Closed"] - 1e-6).all()
    assert (own["Best Case"] >= own["Most Likely"]).all()
    adj = calls[calls["kind"] == "adjustment"]
    manager = org.crm.reps.set_index("id")["manager_id"]
    assert (adj["adjusted_id"].map(manager) == adj["forecaster_id"]).all()
    assert {"sandbagger", "over-caller", "accurate"} <= set(truth["behaviour"])
    assert set(conform("forecast_calls", calls).columns) >= {"submitted_at", "amount", "note"}


def test_the_sample_store_has_its_calls(tmp_path, small_calls):
    org, calls, _ = small_calls
    db = org.save(tmp_path / "org.duckdb")
    stored = read_table("forecast_calls", db)
    assert len(stored) == len(calls)
    assert set(read_table("truth_forecasters", db)["forecaster_id"]) <= set(org.crm.reps["id"])
    save_tables(db, {"forecast_calls": conform("forecast_calls", calls.head(0))})
    assert read_table("forecast_calls", db).empty


def test_the_bias_prior_allows_plausible_callers_and_not_absurd_ones(small_calls):
    org, calls, _ = small_calls
    prior = ForecasterBiasModel().prior_predictive(org.crm, samples=400, seed=1, calls=calls)
    b = prior.prior_predictive["bias_factor"].to_numpy().ravel()
    r = prior.prior_predictive["call_ratio_week9"].to_numpy().ravel()
    # a forecaster 30% under or over is plausible a priori; 3x is not
    assert np.quantile(b, 0.05) < 0.75 and np.quantile(b, 0.95) > 1.3
    assert np.quantile(b, 0.999) < 3 and np.quantile(r, 0.01) > 0.1


# --- recovery of planted biases ---------------------------------------------------------------
def _recovery(org) -> pd.DataFrame:
    calls, truth = org.forecast_calls()
    model = ForecasterBiasModel()
    model.fit(org.crm, seed=1, calls=calls)
    assert model.diagnostics().ok, model.sampling_attempts
    acc = model.accuracy().merge(truth, on="forecaster_id")
    acc["covered"] = (acc["p05"] <= acc["bias_factor"]) & (acc["bias_factor"] <= acc["p95"])
    return acc


@pytest.mark.slow
def test_planted_biases_are_recovered_on_the_sample_org_and_four_more_seeds():
    """90% intervals cover at least 85% of the planted bias factors; every planted
    sandbagger, over-caller, haircutting or inflating manager has P(|bias| > 5%) >= 0.8 and
    no accurate forecaster is above 0.5."""
    orgs = [generate_org()] + [generate_org(n_reps=24, years=2, seed=s) for s in (11, 12, 13, 14)]
    acc = pd.concat([_recovery(o).assign(org=i) for i, o in enumerate(orgs)], ignore_index=True)
    assert acc["covered"].mean() >= 0.85, acc[~acc["covered"]]
    biased = acc["behaviour"].isin(["sandbagger", "over-caller", "haircuts", "inflates"])
    assert (acc.loc[biased, "p_biased"] >= 0.8).all(), acc[biased & (acc["p_biased"] < 0.8)]
    fair = acc["behaviour"].isin(["accurate", "noisy"])
    assert (acc.loc[fair, "p_biased"] <= 0.5).all(), acc[fair & (acc["p_biased"] > 0.5)]
    under = acc["behaviour"].isin(["sandbagger", "haircuts"])
    assert (acc.loc[under, "direction"] == "sandbags").all()


def test_health_grades_the_teams_call_when_the_store_has_one(small_calls):
    from salesops_models.health import health_scorecard

    org, calls, _ = small_calls
    card = health_scorecard(org.crm, calls=calls, metrics=["forecast_accuracy"])
    m = card["forecast_accuracy"]
    assert m.status in ("healthy", "watch", "act")
    assert "the team's call (Most Likely at week 4" in m.action
    assert m.details["source_used"].startswith("the team's call")
    assert len(m.table) >= 2 and m.table["error"].abs().max() < 1
    without = health_scorecard(org.crm, metrics=["forecast_accuracy"])["forecast_accuracy"]
    assert "team's call" not in without.action  # no calls: the model's forecasts, or n/a


# --- Salesforce Collaborative Forecasts ---------------------------------------------------------
def _sf_snapshots(root):
    """Two weekly snapshots written from the public field reference: AEs A1-A3 under M1 (A1,
    A2) and M2 (A3) under the VP; M1 adjusts A2's Commit (200 -> 250), M2 adjusts their own
    number to 420 with a note; plus an Omitted item, an unknown period and an adjustment of
    an item that is not in the snapshot."""
    import csv

    def write(path, header, rows):
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            w.writerows(rows)

    fc = root / "forecasts"
    write(fc / "Period.csv", ["Id", "StartDate", "EndDate", "Type"],
          [["0260000000Q3", "2026-07-01", "2026-09-30", "Quarter"]])  # fmt: skip
    head = ["Id", "OwnerId", "PeriodId", "ForecastCategoryName", "ForecastAmount",
            "AmountWithoutAdjustments", "AmountWithoutManagerAdjustment",
            "AmountWithoutOwnerAdjustment", "OwnerOnlyAmount", "ParentForecastingItemId",
            "HasAdjustment", "HasOwnerAdjustment"]  # fmt: skip
    for day, a1 in (("2026-07-06", 100), ("2026-07-13", 110)):
        m1 = a1 + 250  # A1 + A2 as M1 adjusted it
        items = [
            ["I-A1", "A1", "0260000000Q3", "Commit", a1, a1, a1, a1, a1, "I-M1", "false", "false"],
            ["I-A2", "A2", "0260000000Q3", "Commit", 250, 200, 200, 250, 200, "I-M1", "true", "false"],
            ["I-A3", "A3", "0260000000Q3", "Commit", 300, 300, 300, 300, 300, "I-M2", "false", "false"],
            ["I-M1", "M1", "0260000000Q3", "Commit", m1, a1 + 200, m1, m1, 0, "I-V", "true", "false"],
            ["I-M2", "M2", "0260000000Q3", "Commit", 420, 300, 420, 300, 0, "I-V", "false", "true"],
            ["I-V", "VP", "0260000000Q3", "Commit", m1 + 420, a1 + 500, m1 + 420, m1 + 420, 0, "", "false", "false"],
            ["I-X", "A1", "0260000000Q3", "Omitted", 5, 5, 5, 5, 5, "", "false", "false"],
            ["I-Y", "A1", "0000000000XX", "Commit", 5, 5, 5, 5, 5, "", "false", "false"],
        ]  # fmt: skip
        write(fc / day / "ForecastingItem.csv", head, items)
        write(fc / day / "ForecastingAdjustment.csv",
              ["Id", "ForecastingItemId", "OwnerId", "AdjustedAmount", "AdjustmentNote"],
              [["A-1", "I-A2", "M1", 250, "pulled in <b>Acme</b>"],
               ["A-2", "I-GONE", "M1", 1, ""]])  # fmt: skip
        write(fc / day / "ForecastingOwnerAdjustment.csv",
              ["Id", "ForecastingItemId", "ForecastOwnerId", "AdjustedAmount", "AdjustmentNote"],
              [["O-1", "I-M2", "M2", 420, "=cmd|' /C calc'!A0"]])  # fmt: skip
    return fc


def test_collaborative_forecast_snapshots_load_and_roll_up_to_salesforces_numbers(tmp_path):
    from salesops_models.errors import LoadError
    from salesops_models.loaders.sf_forecasts import load_collaborative_forecasts

    crm = _crm()
    fc = _sf_snapshots(tmp_path)
    res = load_collaborative_forecasts(crm, fc)
    s = res.summary
    assert (s["rows_read"] == s["rows_accepted"] + s["rows_rejected"]).all()
    assert s["rows_read"].sum() == 2 * (8 + 2 + 1)
    why = " | ".join(res.rejects["reason"])
    assert "unknown category value" in why and "Best Case" in why  # Omitted is not a forecast
    assert "PeriodId not found in Period.csv" in why
    assert "ForecastingItemId not found" in why
    for day, vp, m1 in (("2026-07-06", 770.0, 350.0), ("2026-07-13", 780.0, 360.0)):
        t = rollup(crm, res.calls, "2026-Q3", day).set_index("forecaster_id")
        # the roll-up of each manager's reports = Salesforce's AmountWithoutManagerAdjustment
        assert t.loc["M1", "rollup"] == m1 and t.loc["VP", "rollup"] == vp
        assert t.loc["M1", "adjustments"] == 50.0
        assert t.loc["M2", "forecast"] == 420.0 and t.loc["M2", "own_vs_rollup"] == 120.0
    m2 = res.calls[(res.calls["forecaster_id"] == "M2")]
    assert m2["note"].eq("=cmd|' /C calc'!A0").all()  # kept as text; exports neutralize it
    (fc / "latest").mkdir()
    with pytest.raises(LoadError, match="must be the day it was read"):
        load_collaborative_forecasts(crm, fc)


def test_a_salesforce_export_with_forecast_snapshots_loads_its_calls(tmp_path):
    import csv

    from salesops_models.synthetic.salesforce_export import write_salesforce_export

    org = generate_org(n_reps=6, years=1, seed=2)
    folder = tmp_path / "sf"
    write_salesforce_export(org.crm, folder)
    users = pd.read_csv(folder / "User.csv", dtype=str)
    ae = users["Id"].iloc[-1]
    snap = folder / "forecasts" / "2026-04-06"
    snap.mkdir(parents=True)
    with open(folder / "forecasts" / "Period.csv", "w", newline="") as fh:
        csv.writer(fh).writerows([["Id", "StartDate", "Type"], ["P1", "2026-04-01", "Quarter"]])
    with open(snap / "ForecastingItem.csv", "w", newline="") as fh:
        csv.writer(fh).writerows(
            [["Id", "OwnerId", "PeriodId", "ForecastCategoryName", "AmountWithoutManagerAdjustment"],
             ["I1", ae, "P1", "Commit", "125000"], ["I2", "005NOBODY", "P1", "Commit", "1"]]
        )  # fmt: skip
    db = tmp_path / "sf.duckdb"
    res = runner.invoke(app, ["data", "load", "salesforce", str(folder), "--db", str(db)])
    assert res.exit_code == 0, res.output
    assert "ForecastingItem.csv" in res.output
    calls = read_table("forecast_calls", db)
    assert calls["amount"].tolist() == [125000.0] and calls["period"].tolist() == ["2026-Q2"]
    rejects = read_table("load_rejects", db)
    assert rejects["reason"].str.contains("forecaster_id not found").any()


# --- the call sheet -----------------------------------------------------------------------------
def test_a_call_sheet_is_written_filled_and_read_back_with_its_rejects(tmp_path, small_calls):
    from openpyxl import load_workbook

    from salesops_models.calls.sheet import is_call_sheet, read_call_sheet, write_call_sheet

    org, calls, _ = small_calls
    crm = org.crm
    manager = crm.reps.loc[
        crm.reps["manager_id"].notna() & (crm.reps["role"] == "Manager"), "id"
    ].iloc[0]
    path = write_call_sheet(crm, calls, manager, "2026-Q3", tmp_path / "sheet.xlsx", "2026-08-10")
    assert is_call_sheet(path) and not is_call_sheet(tmp_path / "nothing.csv")
    wb = load_workbook(path)
    ws = wb["Call"]
    head = [c.value for c in ws[1]]
    col = {h: i + 1 for i, h in enumerate(head)}
    assert ws.max_row >= 3 and ws.cell(2, col["last Most Likely"]).value is not None
    ws.cell(2, col["this week: Commit"]).value = 123456  # ok
    ws.cell(2, col["this week: Best Case"]).value = 200000  # ok
    ws.cell(2, col["this week: note"]).value = "<b>push</b> to Q4"  # text, kept as text
    ws.cell(3, col["this week: Commit"]).value = "lots"  # text in an amount cell
    ws.cell(4, col["this week: Most Likely"]).value = "=1+1"  # a formula
    ws.cell(5, col["forecaster_id"]).value = "SOMEONE-ELSE"
    ws.cell(5, col["this week: Commit"]).value = 5
    ws.cell(6, col["period"]).value = "2027-Q1"
    ws.cell(6, col["this week: Commit"]).value = 7
    wb.save(path)
    res = read_call_sheet(crm, path)
    s = res.summary.iloc[0]
    assert (s["rows_read"], s["rows_accepted"], s["rows_rejected"]) == (6, 2, 4)
    why = dict(zip(res.rejects["sheet_row"].astype(int), res.rejects["reason"], strict=True))
    assert "unparseable amount" in why[3]
    assert "a formula in cell" in why[4] and "never formulas" in why[4]
    assert "not on the sheet" in why[5]
    assert "not the sheet's period" in why[6]
    assert sorted(res.calls["amount"]) == [123456.0, 200000.0]
    assert res.calls["note"].iloc[0] == "<b>push</b> to Q4"
    db = tmp_path / "org.duckdb"
    save_duckdb(crm, db)
    out = runner.invoke(app, ["calls", "load", str(path), "--db", str(db)])
    assert out.exit_code == 0, out.output
    assert len(read_table("forecast_calls", db)) == 2
    out = runner.invoke(app, ["calls", "sheet", "--period", "2026-Q3", "--db", str(db),
                              "--manager", manager, "--out", str(tmp_path / "sheets")])  # fmt: skip
    assert out.exit_code == 0, out.output
    assert is_call_sheet(next((tmp_path / "sheets").glob("call_sheet_*.xlsx")))


# --- the bridge since the last call -------------------------------------------------------------
def test_the_bridge_sorts_every_move_and_leaves_the_judgment():
    from salesops_models.calls.bridge import bridge

    base = _crm()
    opps = pd.DataFrame(
        {
            "id": ["d1", "d2", "d3", "d4", "d5", "d6"],
            "account_id": "c1",
            "owner_rep_id": "A1",
            "created_date": pd.to_datetime(["2026-07-01"] * 3 + ["2026-07-12"] + ["2026-07-01"] * 2),
            "close_date": pd.to_datetime(["2026-07-15", "2026-10-10", "2026-09-01", "2026-09-10",
                                          "2026-08-01", "2026-09-15"]),
            "amount": [100.0, 200.0, 300.0, 400.0, 50.0, 600.0],
            "stage": ["Closed Won", "Discovery", "Discovery", "Discovery", "Closed Lost", "Discovery"],
        }
    )  # fmt: skip
    opps["is_closed"] = opps["stage"].str.startswith("Closed")
    opps["is_won"] = opps["stage"] == "Closed Won"
    h = [  # (deal, when, stage, amount, close date): the state after each change
        ("d1", "2026-07-01", "Discovery", 100, "2026-08-15"), ("d1", "2026-07-15", "Closed Won", 100, "2026-07-15"),
        ("d2", "2026-07-01", "Discovery", 200, "2026-08-20"), ("d2", "2026-07-15", "Discovery", 200, "2026-10-10"),
        ("d3", "2026-07-01", "Discovery", 300, "2026-10-05"), ("d3", "2026-07-15", "Discovery", 300, "2026-09-01"),
        ("d4", "2026-07-12", "Discovery", 400, "2026-09-10"),
        ("d5", "2026-07-01", "Discovery", 50, "2026-08-01"), ("d5", "2026-07-15", "Closed Lost", 50, "2026-08-01"),
        ("d6", "2026-07-01", "Discovery", 500, "2026-09-15"), ("d6", "2026-07-15", "Discovery", 600, "2026-09-15"),
    ]  # fmt: skip
    hist = pd.DataFrame(
        h, columns=["opportunity_id", "changed_at", "stage", "amount", "close_date"]
    )
    hist["changed_at"] = pd.to_datetime(hist["changed_at"])
    hist["close_date"] = pd.to_datetime(hist["close_date"])
    tables = dict(base.tables) | {
        "opportunities": conform("opportunities", opps),
        "opportunity_history": conform("opportunity_history", hist),
    }
    crm = CRM(**tables)
    calls = pd.DataFrame(
        [
            _call("2026-07-06", "A1", 1000, "Most Likely"),
            _call("2026-07-18", "A1", 1200, "Most Likely"),
        ]
    )
    b = bridge(crm, calls, "2026-Q3", "2026-07-10", "2026-07-20").set_index("forecaster_id")
    row = b.loc["A1"]
    assert row[["won", "lost", "pushed_out", "pulled_in", "created", "amount_changes"]].tolist() == [
        100.0, 50.0, 200.0, 300.0, 400.0, 100.0]  # fmt: skip
    r = 1000 / 850  # the call at t0 over the period's pipeline then (d1, d2, d5, d6)
    assert row["called_share"] == pytest.approx(r)
    explained = r * (400 + 300 - 200 - 50 + 100) + (1 - r) * 100
    assert row["explained"] == pytest.approx(explained)
    assert row["judgment"] == pytest.approx(200 - explained)
    with pytest.raises(ValueError, match="forward in time"):
        bridge(crm, calls, "2026-Q3", "2026-07-20", "2026-07-10")


# --- deal inspection ----------------------------------------------------------------------------
@pytest.mark.slow
def test_inspection_lists_commits_the_model_doubts_and_likely_deals_left_out(small_calls):
    from salesops_models.calls.inspect import inspect_deals
    from salesops_models.forecast import BookingsForecastModel

    org, _, _ = small_calls
    model = BookingsForecastModel(sampler_config={"draws": 200, "tune": 200, "retries": 0})
    model.fit(org.crm, "2026-08-12", seed=1)
    fc = model.forecast("2026-Q3", draws=200, seed=1)
    doubted, left_out = inspect_deals(org.crm, fc, low=0.5, high=0.5)
    assert len(doubted) + len(left_out) > 0
    assert (doubted["forecast_category"] == "Commit").all() and (
        doubted["p_win_period"] < 0.5
    ).all()
    assert left_out["forecast_category"].isin(["Best Case", "Pipeline"]).all()
    assert (left_out["p_win_period"] > 0.5).all() and left_out["drivers"].str.len().gt(0).all()
    assert set(doubted["id"]) | set(left_out["id"]) <= set(fc.deals["id"])
    ae = fc.deals["rep_id"].iloc[0]
    mine, _ = inspect_deals(org.crm, fc, low=1.01, owners=[ae])
    assert set(mine["rep_id"]) <= {ae}
