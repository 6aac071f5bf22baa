"""Health scorecard: bands, the ramp model against closed forms and known truth, each metric's
arithmetic, the JSON document, and the acceptance test: known problems injected into a
well-run synthetic org are flagged, and nothing else is."""

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from salesops_models import pipeline
from salesops_models.health import BandError, health_scorecard, load_bands
from salesops_models.health.bands import METRICS, HealthBand, worse
from salesops_models.health.metrics import complete_quarters, grade_draws, stuck_thresholds
from salesops_models.health.ramp import fit_ramp, ramp_curve, rep_log_marginal
from salesops_models.synthetic import problems

AS_OF = "2026-08-15"
SLOW = ("2024-07-01", "2024-12-31", 12)  # a hire cohort that takes 12 months to ramp
PLAN = "plans/ae_standard.yml"


# --- bands -------------------------------------------------------------------------------
def test_the_band_file_covers_every_metric_and_documents_it():
    cfg = load_bands()
    assert list(cfg) == list(METRICS)
    for key, c in cfg.items():
        b: HealthBand = c["band"]
        assert b.watch[0] <= b.healthy[0] <= b.healthy[1] <= b.watch[1], key
        assert c.get("source") and c.get("measure"), f"{key}: say where the benchmark comes from"
    assert cfg["pipeline_coverage"]["band"].text() == "3.00x-4.00x"
    assert cfg["quota_attainment"]["band"].healthy == (0.60, 0.85)
    assert cfg["data_quality"]["band"].text() == ">= 95.0%"


@pytest.mark.parametrize(
    "patch, message",
    [
        (lambda d: d.pop("win_rate"), "no bands for win_rate"),
        (lambda d: d.update(churn={}), "unknown metric(s) churn"),
        (lambda d: d["velocity"].update(watch=[0.0, None]), "velocity.watch"),
        (lambda d: d["sales_cycle"].update(unit="days"), "sales_cycle.unit"),
        (lambda d: d["comp_cost"].update(healthy=[0.5, 0.1]), "comp_cost.healthy"),
    ],
)
def test_a_broken_band_file_names_the_file_and_the_metric(tmp_path, patch, message):
    from salesops_models.health.bands import BANDS_FILE

    d = yaml.safe_load(BANDS_FILE.read_text())
    patch(d)
    f = tmp_path / "bands.yml"
    f.write_text(yaml.safe_dump(d))
    with pytest.raises(BandError) as e:
        load_bands(f)
    assert str(f) in str(e.value) and message in str(e.value)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.floats(-5, 5, allow_nan=False), min_size=4, max_size=4, unique=True),
    st.floats(-10, 10, allow_nan=False),
)
def test_status_is_healthy_inside_watch_between_act_outside(edges, v):
    a, b, c, d = sorted(edges)
    band = HealthBand((b, c), (a, d))
    s = band.status(v)
    assert s == ("healthy" if b <= v <= c else "watch" if a <= v <= d else "act")
    assert worse(s, "healthy") == s and worse("n/a", s) == s and worse("act", s) == "act"


def test_estimated_changes_are_flagged_only_when_the_draws_are_sure():
    band = HealthBand((-0.10, np.inf), (-0.25, np.inf), "percent")
    rng = np.random.default_rng(0)
    assert grade_draws(band, rng.normal(-0.12, 0.10, 4000))[0] == "healthy"  # noisy dip
    assert grade_draws(band, rng.normal(-0.18, 0.02, 4000))[0] == "watch"
    assert grade_draws(band, rng.normal(-0.40, 0.02, 4000))[0] == "act"


# --- ramp model ----------------------------------------------------------------------------
def test_ramp_curve_is_the_linear_ramp_to_full_productivity():
    rho = ramp_curve(np.array([0, 3, 6]), np.arange(-1, 10))
    assert (rho[:, 0] == 0).all()  # before the hire
    assert np.allclose(rho[1, 1:], [0.5 * 0.5 / 4, 1.5 / 4, 2.5 / 4, 3.5 / 4, 1, 1, 1, 1, 1, 1])
    assert (np.diff(rho, axis=1) >= 0).all() and (rho <= 1).all()


def test_gamma_poisson_marginal_matches_numerical_integration():
    y = np.array([0, 1, 3, 2, 5])
    w = np.array([[0.2, 0.5, 0.8, 1.0, 1.0], [0.1, 0.2, 0.3, 0.4, 0.5]])
    a, b = 3.0, 1.5
    for row, got in zip(w, rep_log_marginal(y, w, a, b), strict=True):

        def integrand(lam, row=row):
            return np.prod(stats.poisson.pmf(y, lam * row)) * stats.gamma.pdf(lam, a, scale=1 / b)

        want, _ = integrate.quad(integrand, 0, 200, limit=200)
        assert got == pytest.approx(np.log(want), rel=1e-7)


@pytest.fixture(scope="module")
def slow_cohort_org():
    return problems.well_run_org(60, 3, 5, cohort_ramp=SLOW)


def test_ramp_recovers_a_known_slow_cohort(slow_cohort_org):
    """Parameter recovery: the cohort generated with a 12-month ramp is found at 12 months
    with confidence; the others (drawn from 3-6 months) sit inside their 90% intervals."""
    org = slow_cohort_org
    table, extra = fit_ramp(org.crm, AS_OF)
    t = table.set_index("cohort")
    slow = t.loc["2024-H2"]
    assert slow["p05"] <= 12 <= slow["p95"] and slow["p_over_9"] > 0.95
    truth = org.truth["reps"].assign(
        hire=lambda d: d["rep_id"].map(org.crm.reps.set_index("id")["hire_date"])
    )
    truth = truth[truth["hire"] >= org.crm.data_start]
    from salesops_models.health.ramp import cohort_label

    mean_r = truth.groupby(cohort_label(truth["hire"]))["ramp_months"].mean()
    graded = t[(t["max_tenure"] >= 12) & (t.index != "2024-H2")]
    covered = [
        (graded.loc[c, "p05"] <= mean_r[c] + 0.5) and (mean_r[c] - 0.5 <= graded.loc[c, "p95"])
        for c in graded.index
    ]
    assert np.mean(covered) >= 0.75, graded.assign(truth=mean_r)
    assert (graded["p_over_6"] < 0.9).all()  # no normal cohort is flagged
    for post in extra["posterior"].values():
        assert post.sum() == pytest.approx(1.0)


# --- metric arithmetic -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def org20():
    return problems.well_run_org(20, 3, 2)


def test_complete_quarters_end_on_or_before_the_date(org20):
    qs = complete_quarters(org20.crm, 4, "2026-08-15")
    assert [q.label for q in qs] == ["2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2"]
    assert [q.label for q in complete_quarters(org20.crm, 1, "2026-06-30")] == ["2026-Q2"]


def test_coverage_is_measured_at_the_quarter_start(org20):
    crm = org20.crm
    card = health_scorecard(crm, AS_OF, metrics=["pipeline_coverage"], strict=True)
    m = card["pipeline_coverage"]
    by_hand = pipeline.coverage(crm, "2026-06-30", "2026-Q3", by=None).iloc[0]
    assert m.value == pytest.approx(by_hand["remaining_coverage"])
    assert m.details["period"] == "2026-Q3" and m.details["measured_on"] == "2026-06-30"


def test_stale_threshold_follows_the_stage_time_of_the_segment(org20):
    crm = org20.crm
    th = stuck_thresholds(crm, AS_OF, 30, 0.9)
    assert (th >= 30).all()
    d = pipeline.stage_durations(crm, AS_OF)
    seg = pipeline.enrich(crm, crm.opportunities[["id", "account_id", "owner_rep_id"]])
    d["segment"] = d["opportunity_id"].map(seg.set_index("id")["segment"])
    ent = d[(d["segment"] == "Enterprise") & (d["stage"] == "Proposal")]["days"]
    assert th[("Enterprise", "Proposal")] == pytest.approx(max(30, ent.quantile(0.9)))


def test_attainment_counts_reps_with_a_quota_all_window(org20):
    crm = org20.crm
    card = health_scorecard(crm, AS_OF, metrics=["quota_attainment"], strict=True)
    m = card["quota_attainment"]
    t = m.table
    assert m.value == pytest.approx((t["attainment"] >= 1).mean())
    assert m.also["value"] == pytest.approx(t["attainment"].mean())
    q = crm.quotas[crm.quotas["period_start"].between("2025-07-01", "2026-04-01")]
    assert (q.groupby("rep_id").size().reindex(t["rep_id"]) == 4).all()
    lo, hi = m.interval
    assert lo < m.value < hi


def test_forecast_accuracy_from_the_ledger_and_from_a_backtest(org20, tmp_path):
    crm = org20.crm
    actual = {p: crm.bookings(p) for p in ("2026-Q1", "2026-Q2")}
    entries = [
        {"source": "org.duckdb", "period": "2026-Q1", "as_of": "2026-02-01", "P50": actual["2026-Q1"] * 1.10, "P10": 0.0, "P90": 1e12},
        {"source": "org.duckdb", "period": "2026-Q2", "as_of": "2026-05-01", "P50": actual["2026-Q2"] * 0.96, "P10": 0.0, "P90": 1.0},
        {"source": "other.duckdb", "period": "2026-Q2", "as_of": "2026-05-01", "P50": 0.0, "P10": 0.0, "P90": 1.0},
    ]  # fmt: skip
    ledger = tmp_path / "ledger.jsonl"
    ledger.write_text("\n".join(json.dumps(e) for e in entries))
    from salesops_models.health.bands import BANDS_FILE

    raw = yaml.safe_load(BANDS_FILE.read_text())
    raw["forecast_accuracy"]["min_ledger_forecasts"] = 2
    card = health_scorecard(
        crm,
        AS_OF,
        bands=raw,
        ledger_path=ledger,
        ledger_source="org.duckdb",
        metrics=["forecast_accuracy"],
        strict=True,
    )
    m = card["forecast_accuracy"]
    assert m.value == pytest.approx((0.10 + 0.04) / 2)
    assert m.details["bias"] == pytest.approx((0.10 - 0.04) / 2)
    assert m.details["coverage_80"] == pytest.approx(0.5)
    assert "ledger" in m.details["source_used"] and m.status == "healthy"
    # without enough ledger entries: the backtest's model rows at its week-4 point
    bt = pd.DataFrame(
        {
            "period": ["2025-Q4", "2026-Q1", "2026-Q1", "2026-Q3"],
            "point": ["week 4", "week 4", "day 1", "week 4"],
            "as_of": ["2025-10-28", "2026-01-28", "2026-01-01", "2026-07-28"],
            "method": "model",
            "error_pct": [-30.0, 10.0, 99.0, 5.0],
            "abs_error_pct": [30.0, 10.0, 99.0, 5.0],
            "covered_80": [0.0, 1.0, 1.0, 1.0],
        }
    )
    bt.to_csv(tmp_path / "bt.csv", index=False)
    card = health_scorecard(
        crm, AS_OF, backtest_csv=tmp_path / "bt.csv", metrics=["forecast_accuracy"], strict=True
    )
    m = card["forecast_accuracy"]
    assert m.value == pytest.approx(0.20)  # 2026-Q3 has not ended by the as-of date
    assert m.status == "watch" and m.contributors[0]["name"].startswith("2025-Q4")


def test_metrics_without_their_data_are_not_graded_and_say_why(org20):
    crm = org20.crm
    no_hires = crm.reps.assign(hire_date=pd.NaT)
    from dataclasses import replace

    bare = replace(crm, reps=no_hires, quotas=crm.quotas.iloc[0:0])
    card = health_scorecard(
        bare, AS_OF, metrics=["forecast_accuracy", "quota_attainment", "new_rep_ramp", "comp_cost"]
    )
    for m in card.metrics:
        assert m.status == "n/a" and m.note and m.action.startswith("Not graded")


def test_scorecard_json_is_complete_and_reproducible(org20, tmp_path):
    crm = org20.crm
    a = health_scorecard(crm, AS_OF, plan=PLAN, seed=3, strict=True)
    b = health_scorecard(crm, AS_OF, plan=PLAN, seed=3, strict=True)
    doc = json.loads(a.to_json(tmp_path / "h.json"))
    assert json.loads((tmp_path / "h.json").read_text()) == doc
    assert doc["schema_version"] == 1 and doc["as_of"] == AS_OF
    assert [m["key"] for m in doc["metrics"]] == list(METRICS)
    assert sum(doc["counts"].values()) == len(METRICS)
    for m in doc["metrics"]:
        assert m["status"] in ("healthy", "watch", "act", "n/a")
        assert set(m) >= {"value", "interval", "band", "contributors", "action", "trend"}
        assert len(m["contributors"]) <= 3 and m["action"]
    assert [m.to_dict() for m in a.metrics] == [m.to_dict() for m in b.metrics]
    assert "as_of" not in vars(crm)  # the shared snapshots are gone after scoring


def test_reading_the_ledger_does_not_import_pymc():
    code = "import sys; from salesops_models.forecast import ledger; print('pymc' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --- acceptance: known problems are flagged, and nothing else --------------------------------
def _flags(crm):
    card = health_scorecard(crm, AS_OF, plan=PLAN, strict=True)
    return card, card.flagged()


def _flags_of_each(crms: list) -> list:
    """:func:`_flags` of several CRMs, two at a time (each scorecard in its own process:
    the machine's two cores, half the wall time of one after the other)."""
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(2, mp_context=mp.get_context("spawn")) as pool:
        return list(pool.map(_flags, crms))


def _mid_market_rep(crm):
    r = crm.reps
    ok = (r["role"] == "AE") & (r["segment"] == "Mid-Market") & r["termination_date"].isna()
    return r[ok & (r["hire_date"] < "2025-01-01")]["id"].iloc[0]


@pytest.mark.slow
def test_a_well_run_org_is_healthy_everywhere():
    card, flags = _flags(problems.well_run_org(60, 3, 5).crm)
    assert flags == {}, card.to_frame()
    assert card["forecast_accuracy"].status == "n/a"  # no forecasts scored for this org
    assert {m.status for m in card.metrics} == {"healthy", "n/a"}


@pytest.mark.slow
def test_injected_problems_are_flagged_exactly(slow_cohort_org):
    crm = slow_cohort_org.crm
    rep = _mid_market_rep(crm)
    injected = {
        "quota_attainment": lambda c: problems.quota_too_high(c, 1.4, 4, AS_OF),
        "pipeline_hygiene": lambda c: problems.stale_region(c, "West", AS_OF),
        "territory_balance": lambda c: problems.unbalanced_territory(c, rep, 2.5),
    }
    all4 = crm
    for inject in injected.values():
        all4 = inject(all4)
    alone, *each, (card, flags) = _flags_of_each(
        [crm, *(inject(crm) for inject in injected.values()), all4]
    )
    # the slow cohort alone
    assert set(alone[1]) == {"new_rep_ramp"}, alone[0].to_frame()
    assert alone[0]["new_rep_ramp"].contributors[0]["name"] == "cohort 2024-H2"
    # each problem alone adds exactly its own metric
    for key, (one, one_flags) in zip(injected, each, strict=True):
        assert set(one_flags) == {"new_rep_ramp", key}, (key, one.to_frame())
    # all four together: exactly those four, each traced to where it was planted
    assert set(flags) == {"new_rep_ramp", *injected}, card.to_frame()
    assert card["quota_attainment"].status == "act"
    assert card["pipeline_hygiene"].contributors[0]["name"] == "West"
    name = crm.reps.set_index("id").loc[rep, "name"]
    assert card["territory_balance"].contributors[0]["name"].startswith(name)
    assert card["new_rep_ramp"].contributors[0]["name"] == "cohort 2024-H2"
    for m in card.metrics:
        if m.status in ("watch", "act"):
            assert any(ch.isdigit() for ch in m.action), m.action  # grounded in the numbers
