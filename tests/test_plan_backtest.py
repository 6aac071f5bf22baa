"""The plan backtest: what it scores is what happened, and the scores follow their
definitions (a tiny fit: the structure and the arithmetic, not the accuracy; the accuracy
on the sample org is in the quota_capacity report and the closing notes)."""

import numpy as np
import pandas as pd
import pytest

from salesops_models.capacity.backtest import (
    INDEPENDENT,
    TARGETS,
    plan_backtest,
    plan_backtest_summary,
    quarter_attainment,
)
from salesops_models.comp import load_plan, parse_plan
from salesops_models.config import PROJECT_ROOT
from salesops_models.scoring import model_rows


@pytest.fixture(scope="module")
def bt(small_org):
    plan = load_plan(PROJECT_ROOT / "plans" / "ae_standard.yml")
    return plan_backtest(
        small_org.crm,
        plan,
        quarters=2,
        years=1,
        draws=300,
        seed=1,
        sampler_config={"draws": 150, "tune": 150, "chains": 2, "retries": 0},
        progress=False,
    )


def test_rows_targets_and_actuals(bt, small_org):
    crm = small_org.crm
    assert set(bt["target"]) == set(TARGETS)
    assert set(bt["method"]) == {"model", INDEPENDENT, "baseline"}
    assert bt.groupby(["period", "target", "method"]).size().eq(1).all()
    assert bt["period"].nunique() == 3
    for label, rows in bt[bt["horizon"] == "quarter"].groupby("period"):
        period = crm.period(label)
        o = crm.opportunities
        aes = crm.reps.loc[crm.reps["role"] == "AE", "id"]
        won = o[o["is_won"] & o["close_date"].between(period.start, period.end)]
        team = rows[rows["target"] == "team bookings"]["actual"]
        assert (team == won.loc[won["owner_rep_id"].isin(aes), "amount"].sum()).all()
        att = quarter_attainment(crm, period)
        share = rows[rows["target"] == "share at quota"]["actual"]
        assert (share == (att["bookings"] >= att["quota"]).mean()).all()


def test_scores_follow_their_definitions(bt):
    m = model_rows(bt)
    assert (m["p10"] <= m["p50"]).all() and (m["p50"] <= m["p90"]).all()
    covered = (m["p10"] <= m["actual"]) & (m["actual"] <= m["p90"])
    assert (m["covered_80"].astype(bool) == covered).all()
    assert np.allclose(m["abs_error"], (m["p50"] - m["actual"]).abs())
    assert (m["crps"] > 0).all()
    b = bt[bt["method"] == "baseline"].dropna(subset=["p50"])
    assert np.allclose(b["crps"], (b["p50"] - b["actual"]).abs())  # a point's CRPS
    s = plan_backtest_summary(bt)
    assert set(s.columns) >= {"horizon", "target", "method", "periods", "coverage_80", "crps"}
    model = model_rows(s)
    assert model.loc[model["horizon"] == "quarter", "periods"].eq(2).all()
    assert model.loc[model["horizon"] == "year", "periods"].eq(1).all()
    assert m.loc[m["target"] != "team bookings", "rep_coverage_80"].between(0, 1).all()
    assert m["sd_period"].gt(0).all()


def test_the_cost_of_what_happened_is_the_plan_on_actual_attainment(bt, small_org):
    """A plan paying exactly the target incentive x attainment (one tier at rate 1, no cap)
    costs sum(TI x attainment): checks the actual cost the backtest scores against."""
    from salesops_models.capacity.backtest import _cost

    plan = parse_plan(
        {
            "name": "linear",
            "period": "quarter",
            "pay_mix": {"base": 0.5, "variable": 0.5},
            "measures": [
                {"name": "bookings", "metric": "bookings", "weight": 1.0,
                 "rates": {"method": "marginal", "tiers": [{"from": 0, "rate": 1.0}]}}
            ],
        }
    )  # fmt: skip
    att = quarter_attainment(small_org.crm, small_org.crm.period(bt["period"].iloc[0]))
    a, ote, quota = att["attainment"].to_numpy(), att["ote"].to_numpy(), att["quota"].to_numpy()
    got = _cost(plan, a[None, :, None], ote, quota[:, None])
    want = (att["ote"] * 0.5 / 4 * att["attainment"]).sum()
    assert got[0] == pytest.approx(want, rel=1e-9)


def test_an_annual_plan_is_refused(small_org):
    plan = load_plan(PROJECT_ROOT / "plans" / "ae_standard.yml")
    plan.period = "year"
    with pytest.raises(ValueError, match="replays quarters"):
        plan_backtest(small_org.crm, plan, quarters=1, progress=False)


def test_summary_of_a_known_table():
    rows = pd.DataFrame(
        {
            "target": ["team bookings"] * 2,
            "method": ["model"] * 2,
            "actual": [100.0, 100.0],
            "covered_80": [True, False],
            "crps": [1.0, 3.0],
            "abs_error": [2.0, 4.0],
            "pct_error": [0.02, 0.04],
        }
    )
    s = plan_backtest_summary(rows).iloc[0]
    assert s["coverage_80"] == 0.5 and s["crps"] == 2.0 and s["pct_error"] == pytest.approx(0.03)


def test_the_shared_effect_widens_the_team_interval(bt):
    """Same fit, same seats: with the shared quarter effect the team's P10-P90 is wider than
    with the reps independent."""
    m = bt[bt["target"] == "team bookings"].set_index(["period", "method"])
    for period in bt["period"].unique():
        shared, alone = m.loc[(period, "model")], m.loc[(period, INDEPENDENT)]
        assert shared["p90"] - shared["p10"] > alone["p90"] - alone["p10"]


def test_reports_read_the_scores_the_cli_writes(bt, tmp_path):
    from salesops_models.capacity.backtest import read_backtest, summary_table

    path, none = read_backtest("data/no_such_store.duckdb", str(tmp_path / "missing.csv"))
    assert none is None and path.name == "missing.csv"
    bt.to_csv(tmp_path / "bt.csv", index=False)
    path, back = read_backtest("ignored", str(tmp_path / "bt.csv"))
    pd.testing.assert_frame_equal(back, pd.read_csv(tmp_path / "bt.csv"))
    html = summary_table(back).to_html()
    assert "team bookings" in html and "%" in html


def test_a_year_is_scored_on_its_four_quarters(bt, small_org):
    """The year row: team bookings of the four quarters, the share of reps whose year's
    bookings reached the sum of their quarterly quotas (reps in seat all year)."""
    from salesops_models.capacity.backtest import window_attainment

    crm = small_org.crm
    year = bt[bt["horizon"] == "year"]
    assert year["period"].nunique() == 1
    first, last = year["period"].iloc[0].split(" to ")
    window = [crm.period(first)]
    while window[-1].label != last:
        window.append(crm.calendar.next(window[-1]))
    assert len(window) == 4
    o = crm.opportunities
    aes = crm.reps.loc[crm.reps["role"] == "AE", "id"]
    won = o[o["is_won"] & o["close_date"].between(window[0].start, window[-1].end)]
    team = year.loc[year["target"] == "team bookings", "actual"]
    assert (team == won.loc[won["owner_rep_id"].isin(aes), "amount"].sum()).all()
    att = window_attainment(crm, window)
    per_quarter = [set(quarter_attainment(crm, q)["rep_id"]) for q in window]
    assert set(att["rep_id"]) == set.intersection(*per_quarter)
    quota = att.filter(like="quota_").sum(axis=1)
    booked = att.filter(like="bookings_").sum(axis=1)
    share = year.loc[year["target"] == "share at quota", "actual"]
    assert (share == (booked >= quota).mean()).all()
