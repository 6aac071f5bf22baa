import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from salesops_models import pipeline as pl


@settings(max_examples=12, deadline=None)
@given(st.integers(60, 600), st.integers(1, 120))
def test_waterfall_buckets_add_up_to_the_change(small_org, start_day, span):
    crm = small_org.crm
    start = crm.data_start + pd.Timedelta(days=start_day)
    end = start + pd.Timedelta(days=span)
    buckets, detail = pl.waterfall(crm, start, end, crm.quarter(end))
    b = buckets.set_index("bucket")["amount"]
    flows = (
        b["new"]
        + b["pulled_in"]
        + b["reopened"]
        + b["pushed_out"]
        + b["won"]
        + b["lost"]
        + b["amount_change"]
    )
    assert b["start"] + flows == pytest.approx(b["end"], abs=1e-6)
    assert (b[["pushed_out", "won", "lost"]] <= 0).all() and (
        b[["new", "pulled_in", "reopened"]] >= 0
    ).all()
    assert detail["id"].is_unique
    # the ending pipeline is exactly the open in-period deals as of the end date
    p = crm.quarter(end)
    snap = crm.as_of(end)
    open_end = snap[~snap["is_closed"] & snap["close_date"].between(p.start, p.end)]
    assert b["end"] == pytest.approx(open_end["amount"].fillna(0).sum())


def test_coverage_arithmetic(small_org):
    crm = small_org.crm
    cov = pl.coverage(crm, "2025-08-15", "2025-Q3")
    total = cov.iloc[0]
    assert total["group"] == "Total"
    assert total["target"] == pytest.approx(pl.quota_target(crm, "2025-Q3"))
    assert total["remaining"] == pytest.approx(max(total["target"] - total["won_to_date"], 0))
    assert total["remaining_coverage"] == pytest.approx(total["open_pipeline"] / total["remaining"])
    teams = cov.iloc[1:]
    assert teams["open_pipeline"].sum() == pytest.approx(total["open_pipeline"])
    assert teams["target"].sum() == pytest.approx(total["target"])
    given = pl.coverage(crm, "2025-08-15", "2025-Q3", target=1e6, by=None)
    assert given.attrs["target_source"] == "given" and given.iloc[0]["target"] == 1e6


def test_win_rates_and_intervals(small_org):
    crm = small_org.crm
    wr = pl.win_rates(crm, "2025-01-01", "2025-12-31", by="segment")
    assert set(wr["segment"]) == {"SMB", "Mid-Market", "Enterprise"}
    assert ((wr["p05"] <= wr["win_rate"]) & (wr["win_rate"] <= wr["p95"])).all()
    assert (wr["won"] + wr["lost"] == wr["closed"]).all()
    lo, hi = pl.jeffreys_interval(np.array([0, 10]), np.array([10, 0]))
    assert lo[0] == 0 and hi[1] == 1


def test_funnel_is_monotone_and_matches_win_rate(small_org):
    crm = small_org.crm
    conv = pl.stage_conversion(crm, "2025-01-01", "2025-12-31")
    assert (np.diff(conv["reached"]) <= 0).all()
    closed = pl.closed_deals(crm, "2025-01-01", "2025-12-31")
    assert conv["reached"].iloc[0] == len(closed)
    assert conv["advanced"].iloc[-1] == closed["is_won"].sum()


def test_velocity_formula(small_org):
    crm = small_org.crm
    v = pl.velocity(crm, "2025-09-30", 365).iloc[0]
    assert v["velocity_per_day"] == pytest.approx(
        v["open_deals"] * v["win_rate"] * v["avg_won_deal"] / v["cycle_days"]
    )


def test_at_risk_reasons(small_org):
    crm = small_org.crm
    risk = pl.at_risk_deals(crm, "2025-09-15", "2025-Q3")
    assert len(risk) and (risk["risk_score"] >= 1).all()
    stale = risk[risk["reasons"].str.contains("stale")]
    assert (stale["days_since_change"] > 30).all()
