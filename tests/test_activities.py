"""Activities: the data model, the synthetic log's planted truth, selling time, process
compliance, tool adoption and their health metrics."""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from salesops_models import activities as act
from salesops_models.activities.compliance import CriteriaError, load_criteria
from salesops_models.crm import CRM
from salesops_models.health import health_scorecard
from salesops_models.schema import TABLE_NAMES, empty_table
from salesops_models.store import load_duckdb, load_folder, save_duckdb, save_folder
from salesops_models.synthetic import OrgParams, generate_org
from salesops_models.synthetic.activities import engaged_probability
from salesops_models.synthetic.hostile import hostile_crm


@pytest.fixture(scope="module")
def sample():
    """The sample org's shape (60 seats, 3 years), as `salesops data generate` makes it."""
    return generate_org()


# --- a tiny hand-made CRM ------------------------------------------------------------------
def _crm(activities, *, history=None, weekly_hours=(40.0, 20.0)):
    reps = pd.DataFrame(
        {
            "id": ["R1", "R2"],
            "name": ["Ана Петрова", "李雷"],
            "team": ["T1", "T2"],
            "role": "AE",
            "hire_date": pd.Timestamp("2025-01-01"),
            "weekly_hours": list(weekly_hours),
        }
    )
    acc = pd.DataFrame({"id": ["A1"], "name": ["Acme"]})
    opps = pd.DataFrame(
        {
            "id": ["O1", "O2"],
            "account_id": "A1",
            "owner_rep_id": "R1",
            "created_date": pd.Timestamp("2026-01-05"),
            "close_date": pd.Timestamp("2026-03-31"),
            "amount": [1000.0, 2000.0],
            "stage": ["Negotiation", "Closed Lost"],
            "is_closed": [False, True],
            "is_won": False,
        }
    )
    if history is None:
        history = pd.DataFrame(
            {
                "opportunity_id": ["O1", "O1", "O1", "O2", "O2"],
                "changed_at": pd.to_datetime(
                    [
                        "2026-01-05 09:00",
                        "2026-01-07 09:00",  # Qualification
                        "2026-01-14 12:00",  # Proposal skipped: straight to Negotiation
                        "2026-01-05 09:00",
                        "2026-01-20 09:00",  # lost from Prospecting: enters nothing
                    ]
                ),
                "stage": [
                    "Prospecting",
                    "Qualification",
                    "Negotiation",
                    "Prospecting",
                    "Closed Lost",
                ],
                "amount": [np.nan, 1000.0, 1000.0, 2000.0, 2000.0],
                "close_date": pd.Timestamp("2026-03-31"),
            }
        )
    return CRM(
        reps=reps,
        accounts=acc,
        opportunities=opps,
        opportunity_history=history,
        quotas=empty_table("quotas"),
        activities=activities,
    )


def _acts(rows):
    cols = ["id", "rep_id", "type", "start", "duration_minutes", "opportunity_id"]
    df = pd.DataFrame(rows, columns=cols)
    df["start"] = pd.to_datetime(df["start"])
    return df


def test_selling_time_closed_form():
    # week of Mon 2026-01-05: R1 works 40 h, R2 20 h. R1: call 60 + meeting 120 + an email
    # without duration (imputed with the email mean, 30) + a task (not customer-facing).
    # R2 logs nothing that week (not logged, not zero) and a 90-minute meeting the next.
    a = _acts(
        [
            ("a1", "R1", "call", "2026-01-05 10:00", 60, "O1"),
            ("a2", "R1", "meeting", "2026-01-06 10:00", 120, None),
            ("a3", "R1", "email", "2026-01-07 10:00", None, None),
            ("a4", "R1", "task", "2026-01-07 11:00", 300, None),
            ("a5", "R1", "email", "2026-01-12 10:00", 30, None),
            ("a6", "R2", "meeting", "2026-01-13 10:00", 90, None),
        ]
    )
    crm = _crm(a)
    st_ = act.selling_time(crm, "2026-01-05", "2026-01-16")
    r1 = st_.set_index("rep_id").loc["R1"]
    # R1: (60 + 120 + 30 + 30) / (2 weeks x 40 h x 60)
    assert r1["selling_share"] == pytest.approx(240 / 4800)
    assert r1["imputed_hours"] == pytest.approx(0.5)
    assert r1["logged_weeks"] == 2 and r1["unlogged_weeks"] == 0
    r2 = st_.set_index("rep_id").loc["R2"]
    assert r2["selling_share"] == pytest.approx(90 / (20 * 60))
    assert r2["logged_weeks"] == 1 and r2["unlogged_weeks"] == 1
    org = act.selling_time(crm, "2026-01-05", "2026-01-16", by=[])
    assert org["selling_share"].iloc[0] == pytest.approx(330 / (4800 + 1200))
    assert org["p05"].iloc[0] <= org["selling_share"].iloc[0] <= org["p95"].iloc[0]
    # a window with no activity of R1 in one of its weeks
    by_month = act.selling_time(crm, "2026-01-05", "2026-01-16", by="month")
    assert list(by_month["month"].astype(str)) == ["2026-01"]


def test_selling_time_needs_activities(small_org):
    crm = CRM(**{**small_org.crm.tables, "activities": None})
    assert not crm.has_activities
    with pytest.raises(ValueError, match="no activities"):
        act.selling_time(crm, "2025-01-01", "2025-03-31")
    card = health_scorecard(crm, metrics=["selling_time", "process_compliance", "tool_adoption"])
    assert {m.status for m in card.metrics} == {"n/a"}
    assert "logs no activities" in card["selling_time"].note


@settings(max_examples=40, deadline=None)
@given(
    minutes=st.lists(st.integers(1, 600), min_size=1, max_size=30),
    scale=st.integers(2, 5),
)
def test_selling_time_is_linear_in_durations_and_groups_add_up(minutes, scale):
    rng = np.random.default_rng(len(minutes))
    days = pd.bdate_range("2026-01-05", "2026-01-30")
    rows = [
        (
            f"a{i}",
            ["R1", "R2"][i % 2],
            ["call", "email", "meeting", "task"][int(rng.integers(4))],
            days[int(rng.integers(len(days)))] + pd.Timedelta(hours=10),
            m,
            None,
        )
        for i, m in enumerate(minutes)
    ]
    a = _acts(rows)
    base = act.selling_time(_crm(a), "2026-01-05", "2026-01-30", by="rep_id")
    scaled = act.selling_time(
        _crm(a.assign(duration_minutes=a["duration_minutes"] * scale)),
        "2026-01-05",
        "2026-01-30",
        by="rep_id",
    )
    np.testing.assert_allclose(scaled["selling_share"], scale * base["selling_share"])
    org = act.selling_time(_crm(a), "2026-01-05", "2026-01-30", by=[])
    assert org["customer_facing_hours"].iloc[0] == pytest.approx(
        base["customer_facing_hours"].sum()
    )
    assert org["working_hours"].iloc[0] == pytest.approx(base["working_hours"].sum())


def test_compliance_rules_on_a_hand_made_deal():
    meeting_before = _acts([("m1", "R1", "meeting", "2026-01-10 10:00", 45, "O1")])
    ev = act.evaluate_compliance(_crm(meeting_before), "2026-03-31")
    # O1 skipped Proposal: held to Proposal's criteria when it reached Negotiation;
    # O2 was lost from Prospecting and entered no stage with criteria
    assert set(ev["opportunity_id"]) == {"O1"}
    row = ev.set_index("stage")
    assert row.loc["Qualification", "compliant"]
    assert row.loc["Proposal", "compliant"]
    assert row.loc["Proposal", "entered_at"] == pd.Timestamp("2026-01-14 12:00")
    # a meeting after the entry does not count; neither does one on another deal
    after = _acts(
        [
            ("m1", "R1", "meeting", "2026-01-14 13:00", 45, "O1"),
            ("m2", "R1", "meeting", "2026-01-08 13:00", 45, "O2"),
        ]
    )
    ev = act.evaluate_compliance(_crm(after), "2026-03-31").set_index("stage")
    assert not ev.loc["Proposal", "compliant"]
    assert "meeting" in ev.loc["Proposal", "missing"]
    # as of a date before the stage entry, nothing has entered Proposal yet
    early = act.evaluate_compliance(_crm(meeting_before), "2026-01-10")
    assert set(early["stage"]) == {"Qualification"}
    # an activity logged (created) after the as-of date is not known then
    late_logged = meeting_before.assign(created_at=pd.Timestamp("2026-02-01"))
    ev = act.evaluate_compliance(_crm(late_logged), "2026-01-20").set_index("stage")
    assert not ev.loc["Proposal", "compliant"]
    ev = act.evaluate_compliance(_crm(late_logged), "2026-02-01").set_index("stage")
    assert ev.loc["Proposal", "compliant"]


@pytest.mark.parametrize(
    "text, message",
    [
        ("stages:\n  Closed Won:\n    fields: [amount]\n", "not an open stage"),
        ("stages:\n  Proposal:\n    fields: [colour]\n", "'colour' is not one of"),
        ("stages:\n  Proposal:\n    activities:\n      - type: lunch\n", "needs `type:`"),
        (
            "stages:\n  Proposal:\n    activities:\n      - {type: call, min_count: 0}\n",
            "min_count",
        ),
        ("stages: [1, 2]\n", "expected a mapping"),
    ],
)
def test_bad_criteria_file_names_file_and_entry(tmp_path, text, message):
    path = tmp_path / "criteria.yml"
    path.write_text(text)
    with pytest.raises(CriteriaError, match=message) as info:
        load_criteria(path)
    assert str(path) in str(info.value)


def test_weekly_logging_weeks_and_reps():
    a = _acts(
        [
            ("a1", "R1", "call", "2026-01-05 10:00", 10, None),
            ("a2", "R1", "call", "2026-01-12 10:00", 10, None),
            ("a3", "R2", "call", "2026-01-16 17:00", 10, None),
        ]
    )
    w = act.weekly_logging(_crm(a), "2026-01-18", weeks=2)  # a Sunday: its week is complete
    got = w.set_index(["rep_id", w["week"].astype(str)])["logged"]
    assert got.to_dict() == {
        ("R1", "2026-01-05"): True,
        ("R1", "2026-01-12"): True,
        ("R2", "2026-01-05"): False,
        ("R2", "2026-01-12"): True,
    }


# --- the synthetic org's planted truth -----------------------------------------------------
def test_activities_leave_the_other_tables_unchanged():
    with_log = generate_org(n_reps=8, years=1, seed=4)
    without = generate_org(n_reps=8, years=1, seed=4, params=replace(OrgParams(), activities=None))
    assert not without.crm.has_activities and with_log.crm.has_activities
    for t in TABLE_NAMES:
        a, b = getattr(with_log.crm, t), getattr(without.crm, t)
        pd.testing.assert_frame_equal(
            a.drop(columns="weekly_hours", errors="ignore"),
            b.drop(columns="weekly_hours", errors="ignore"),
        )
    pd.testing.assert_frame_equal(with_log.truth["opportunities"], without.truth["opportunities"])


def test_activity_log_is_valid_and_known_when_logged(sample):
    crm = sample.crm
    a = crm.activities
    assert crm.validate().empty
    assert a["id"].is_unique and a["start"].is_monotonic_increasing
    assert (a["start"] < crm.data_end + pd.Timedelta(days=1)).all()
    assert set(a["type"]) == {"call", "email", "meeting", "task", "internal"}
    assert (a["customer_facing"] == a["type"].isin(["call", "email", "meeting"])).all()
    # activities on a deal happen while it exists, by its owner
    on = a[a["opportunity_id"].notna()].merge(
        crm.opportunities[["id", "owner_rep_id", "created_date"]],
        left_on="opportunity_id",
        right_on="id",
    )
    assert (on["rep_id"] == on["owner_rep_id"]).all()
    assert (on["start"] >= on["created_date"]).all()
    # office hours, working days
    assert a["start"].dt.day_of_week.lt(5).all()
    assert a["start"].dt.hour.between(8, 17).all()


def test_planted_selling_time_is_recovered(sample):
    truth = sample.truth["reps"].set_index("rep_id")
    st_ = act.selling_time(sample.crm, "2025-10-01", "2026-09-30")
    st_["truth"] = st_["rep_id"].map(truth["selling_share"])
    inside = (st_["p05"] <= st_["truth"]) & (st_["truth"] <= st_["p95"])
    assert len(st_) >= 50
    assert inside.mean() >= 0.8, st_[~inside]
    # low adopters are measured on the weeks they logged, not as weeks of no selling
    low = truth.index[truth["logging_week_rate"] < 1]
    lows = st_[st_["rep_id"].isin(low)]
    assert (lows["unlogged_weeks"] > 0).all()
    assert (abs(lows["selling_share"] - lows["truth"]) < 0.05).all()


def test_planted_noncompliance_is_found(sample):
    crm, truth = sample.crm, sample.truth["compliance"]
    # the log starts on 2023-10-01 (deals of the 9 months before were migrated without it)
    ev = act.evaluate_compliance(crm, crm.data_end, since="2024-01-01")
    p = ev[ev["stage"] == "Proposal"].merge(truth, on="opportunity_id", how="left")
    assert p["planted_noncompliant"].notna().all()
    no_meeting = p["missing"].str.contains("meeting")
    planted = p["planted_noncompliant"].astype(bool)
    assert planted.sum() > 300
    assert no_meeting[planted].all()  # every planted one is found
    # and few others: no meeting by chance or in a week the rep did not log
    assert no_meeting[~planted].mean() < 0.15
    # the planted ones convert worse (they were drawn so)
    conv = act.conversion_by_compliance(ev).set_index(["stage", "compliant"])
    assert conv.loc[("Proposal", True), "p05"] > conv.loc[("Proposal", False), "p95"]


def test_engagement_raises_advance_odds_as_planted(sample):
    e = sample.truth["engagement"]
    t = pd.crosstab(e["engaged"], e["advanced"])
    odds_ratio = (t.loc[True, True] * t.loc[False, False]) / (
        t.loc[True, False] * t.loc[False, True]
    )
    se = np.sqrt((1 / t.to_numpy()).sum())
    planted = sample.params.activities.advance_odds_ratio
    # deal-stages differ in p, so the pooled odds ratio is close to (not exactly) the planted one
    assert abs(np.log(odds_ratio) - np.log(planted)) < 4 * se + 0.1
    # engaged deal-stages get more activity on the deal
    a = sample.crm.activities
    per_deal = a[a["opportunity_id"].notna()].groupby("opportunity_id").size()
    first = e[e["stage"] == "Prospecting"].set_index("opportunity_id")["engaged"]
    n = per_deal.reindex(first.index).fillna(0)
    assert n[first].mean() > 1.3 * n[~first].mean()


@settings(max_examples=50, deadline=None)
@given(
    p=st.floats(0.02, 0.98),
    share=st.floats(0.1, 0.9),
    odds=st.floats(1.0, 5.0),
)
def test_engagement_given_outcome_keeps_the_marginals(p, share, odds):
    pa = engaged_probability(np.array([p]), np.array([True]), share, odds)[0]
    pn = engaged_probability(np.array([p]), np.array([False]), share, odds)[0]
    # P(engaged) = p P(e | adv) + (1 - p) P(e | not) = share
    assert p * pa + (1 - p) * pn == pytest.approx(share, abs=1e-9)
    # the odds ratio of advancing, engaged vs not, is the planted one
    p_adv_e = p * pa / share
    p_adv_n = p * (1 - pa) / (1 - share)
    ratio = (p_adv_e / (1 - p_adv_e)) / (p_adv_n / (1 - p_adv_n))
    assert ratio == pytest.approx(odds, rel=1e-6)


def test_activity_health_metrics_grade_with_contributors_and_actions(sample):
    card = health_scorecard(
        sample.crm,
        metrics=["selling_time", "process_compliance", "tool_adoption"],
        strict=True,
    )
    st_, pc, ta = card["selling_time"], card["process_compliance"], card["tool_adoption"]
    truth = sample.truth["reps"]
    assert st_.status == "act"  # planted mean 36%, healthy from 60%
    assert st_.interval[0] < st_.value < st_.interval[1]
    assert abs(st_.value - truth["selling_share"].mean()) < 0.03
    assert pc.status == "watch" and pc.details["stage"] == "Proposal"
    assert pc.details["win_rate_compliant"] > pc.details["win_rate_noncompliant"]
    assert ta.status == "healthy"
    for m in (st_, pc, ta):
        assert len(m.contributors) == 3 and m.action and len(m.trend) >= 4
    assert "h more per AE per week" in st_.action
    assert "deals entered Proposal" in pc.action
    lowest = ta.contributors[0]["name"]
    rid = sample.crm.reps.set_index("name").loc[lowest, "id"]
    assert truth.set_index("rep_id").loc[rid, "logging_week_rate"] < 0.75


# --- storage and hostile text --------------------------------------------------------------
def test_activities_round_trip_through_stores(tmp_path, small_org):
    crm = hostile_crm(small_org.crm)
    assert crm.activities["subject"].str.contains("<script>|=HYPERLINK", regex=True).any()
    path = save_duckdb(crm, tmp_path / "h.duckdb")
    back = load_duckdb(path)
    pd.testing.assert_frame_equal(back.activities, crm.activities)
    # CSV: formula prefixes neutralized in the file (control characters are written
    # visibly escaped, so the exact round trip is checked on the plain org)
    folder = save_folder(crm, tmp_path / "hostile_csv", fmt="csv")
    text = (folder / "activities.csv").read_text()
    assert "\n=HYPERLINK" not in text and ",=HYPERLINK" not in text
    assert len(load_folder(folder).activities) == len(crm.activities)
    plain = save_folder(small_org.crm, tmp_path / "csv", fmt="csv")
    pd.testing.assert_frame_equal(load_folder(plain).activities, small_org.crm.activities)
    assert load_folder(plain).fingerprint() == small_org.crm.fingerprint()


def test_old_store_without_activities_loads(tmp_path, small_org):
    crm = CRM(**{**small_org.crm.tables, "activities": None})
    path = save_duckdb(crm, tmp_path / "old.duckdb")
    import duckdb

    con = duckdb.connect(str(path))
    con.execute("DROP TABLE activities")
    con.close()
    back = load_duckdb(path)
    assert not back.has_activities
    assert back.fingerprint() == crm.fingerprint()


def test_activity_foreign_keys_are_checked(small_org):
    a = small_org.crm.activities.copy()
    a.loc[0, "opportunity_id"] = "NO-SUCH-DEAL"
    a.loc[1, "rep_id"] = "NOBODY"
    crm = CRM(**{**small_org.crm.tables, "activities": a})
    p = crm.validate()
    bad = p[p["table"] == "activities"]
    assert set(bad["column"]) == {"opportunity_id", "rep_id"}
    assert set(bad["row"]) == {0, 1}


# --- importers -----------------------------------------------------------------------------
def _why(result, file: str) -> dict[int, str]:
    r = result.rejects
    r = r[(r["table"] == "activities") & r["file"].astype(str).str.endswith(file)]
    return dict(zip(r["sheet_row"].astype(int), r["reason"], strict=True))


def _accounting(result) -> pd.DataFrame:
    s = result.summary[result.summary["table"] == "activities"].set_index("file")
    assert (s["rows_read"] == s["rows_accepted"] + s["rows_rejected"]).all()
    return s


def test_salesforce_tasks_and_events_load_with_exact_accounting(fixtures):
    from salesops_models.loaders import load_salesforce

    r = load_salesforce(fixtures / "salesforce")
    s = _accounting(r)
    assert s.loc["Task.csv", ["rows_read", "rows_accepted", "rows_rejected"]].tolist() == [10, 4, 6]
    assert s.loc["Event.csv", ["rows_read", "rows_accepted", "rows_rejected"]].tolist() == [6, 3, 3]
    assert len(r.crm.activities) == 7
    task, event = _why(r, "Task.csv"), _why(r, "Event.csv")
    assert "opportunity_id not found in the loaded opportunities" in task[5]  # deal rejected
    assert "opportunity_id not found" in task[6]  # deal not exported
    assert "rep_id not found in reps" in task[7]
    assert "duplicate id (first seen at sheet row 2)" in task[8]
    assert "not a number in CallDurationInSeconds" in task[9]
    assert "unparseable date" in task[11]
    assert "duplicate id (also in Task.csv)" in event[5]
    assert "negative duration" in event[6]
    assert "required value missing" in event[7]
    a = r.crm.activities.set_index("id")
    assert a.loc["00T5g00000TSK01AAA", "duration_minutes"] == 10.0  # 600 seconds
    assert a.loc["00T5g00000TSK01AAA", "type"] == "call"
    assert a.loc["00T5g00000TSK03AAA", "type"] == "task"
    assert not a.loc["00T5g00000TSK03AAA", "customer_facing"]
    assert a.loc["00T5g00000TSK03AAA", "account_id"] == "0015g00000ACC02AAA"  # WhatId account
    assert a.loc["00U5g00000EVT02AAA", "type"] == "internal"  # no contact, no record
    assert not a.loc["00U5g00000EVT03AAA", "customer_facing"]  # all-day trade show
    assert a.loc["00T5g00000TSK09AAA", "subject"].startswith("=HYPERLINK")  # kept as typed
    assert r.crm.validate().empty
    assert any("ActivityDate (due date)" in n for n in r.notes)


def test_hubspot_activities_load_with_exact_accounting(fixtures):
    from salesops_models.loaders import load_hubspot

    r = load_hubspot(
        fixtures / "hubspot" / "deals.csv", activities=fixtures / "hubspot" / "activities.csv"
    )
    s = _accounting(r)
    assert s.loc["activities.csv", ["rows_read", "rows_accepted", "rows_rejected"]].tolist() == [
        12,
        7,
        5,
    ]
    why = _why(r, "activities.csv")
    assert "a note is not an activity" in why[6]
    assert "opportunity_id not found in the loaded opportunities" in why[7]
    assert "unknown type value" in why[10]
    assert "duplicate id" in why[11]
    assert "unparseable date" in why[13]
    a = r.crm.activities.set_index("id")
    assert a.loc["7001", "duration_minutes"] == 5.0  # 300,000 ms
    assert a.loc["7003", "duration_minutes"] == 45.0  # meeting end - start
    assert not a.loc["7004", "customer_facing"]  # no show
    assert a.loc["7007", "opportunity_id"] == "9001"  # first of two deals
    assert a.loc["7011", "rep_id"] == "rep:王伟"
    assert set(r.crm.reps["name"]) >= {"Jordan Park", "Sam Reyes", "Taylor Kim", "王伟"}
    assert r.crm.validate().empty
    # the CRM's activities feed the metrics directly
    st_ = act.selling_time(r.crm, "2024-01-01", "2024-06-30", role=None, by=[])
    assert st_["customer_facing_hours"].iloc[0] > 0


def test_mapping_loads_activities_with_its_type_map(fixtures):
    from salesops_models.loaders import load_mapping

    r = load_mapping(fixtures / "mapping" / "mapping_activities.yml")
    s = _accounting(r)
    assert s.loc["activities.csv", ["rows_read", "rows_accepted", "rows_rejected"]].tolist() == [
        6,
        3,
        3,
    ]
    why = _why(r, "activities.csv")
    assert "unknown type value in Kind" in why[4]
    assert "rep_id not found in reps" in why[5]
    assert "opportunity_id not found" in why[6]
    a = r.crm.activities.set_index("id")
    # a day-first column mixing days with and without a time of day
    assert a.loc["A-1", "start"] == pd.Timestamp("2024-01-10 10:00")
    assert a.loc["A-6", "start"] == pd.Timestamp("2024-03-14")


def test_cli_loads_salesforce_activities(fixtures, tmp_path):
    from typer.testing import CliRunner

    from salesops_models.cli import app

    db = tmp_path / "sf.duckdb"
    res = CliRunner().invoke(
        app, ["data", "load", "salesforce", str(fixtures / "salesforce"), "--db", str(db)]
    )
    assert res.exit_code == 0, res.output
    assert "Task.csv" in res.output and "Event.csv" in res.output
    assert len(load_duckdb(db).activities) == 7
