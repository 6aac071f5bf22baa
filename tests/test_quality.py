import pandas as pd

from salesops_models import quality
from salesops_models.crm import CRM
from salesops_models.schema import empty_table


def tiny_crm() -> CRM:
    reps = pd.DataFrame({"id": ["r1"], "name": ["Rep One"], "role": ["AE"], "team": ["T"]})
    accounts = pd.DataFrame({"id": ["a1"], "name": ["Acme"]})
    ts = pd.Timestamp
    opps = pd.DataFrame(
        {
            "id": ["o1", "o2", "o3"],
            "account_id": ["a1", "a1", "a1"],
            "owner_rep_id": ["r1"] * 3,
            "name": ["Acme - X", "Acme - X", "Acme - Y"],
            "type": ["new"] * 3,
            "product": ["P", "P", None],
            "lead_source": ["Web"] * 3,
            "created_date": [ts("2024-01-01"), ts("2024-01-03"), ts("2024-02-01")],
            "close_date": [ts("2024-03-31"), ts("2024-03-31"), ts("2024-06-30")],
            "amount": [100.0, 100.0, 50.0],
            "stage": ["Proposal", "Prospecting", "Discovery"],
            "is_closed": [False] * 3,
            "is_won": [False] * 3,
            "forecast_category": ["Best Case", "Pipeline", "Best Case"],
        }
    )
    hist = pd.DataFrame(
        {
            "opportunity_id": ["o1", "o1", "o1", "o2", "o3", "o3"],
            "changed_at": [
                ts("2024-01-01 10:00"),
                ts("2024-01-20 10:00"),
                ts("2024-03-01 10:00"),
                ts("2024-01-03 10:00"),
                ts("2024-02-01 10:00"),
                ts("2024-04-01 10:00"),
            ],
            "stage": [
                "Prospecting",
                "Proposal",
                "Proposal",
                "Prospecting",
                "Prospecting",
                "Discovery",
            ],
            "amount": [100.0, 100.0, 100.0, 100.0, 50.0, 50.0],
            "close_date": [
                ts("2024-02-29"),
                ts("2024-02-29"),
                ts("2024-03-31"),
                ts("2024-03-31"),
                ts("2024-06-30"),
                ts("2024-06-30"),
            ],
            "forecast_category": [
                "Pipeline",
                "Best Case",
                "Best Case",
                "Pipeline",
                "Pipeline",
                "Best Case",
            ],
        }
    )
    return CRM(reps, accounts, opps, hist, empty_table("quotas"))


def test_flags_on_a_hand_built_crm():
    crm = tiny_crm()
    assert crm.validate().empty
    f = quality.deal_flags(crm, as_of="2024-04-15", stale_days=30).set_index("id")
    # o1: last change 2024-03-01 -> 45 days -> stale; close 2024-03-31 < as-of -> past due; pushed once
    assert f.loc["o1", "stale"] and f.loc["o1", "past_due"] and f.loc["o1", "push_count"] == 1
    # o1 jumped Prospecting -> Proposal: one stage skip (two stages at once)
    assert f.loc["o1", "stage_skips"] == 1
    # o3 changed 2024-04-01: fresh, not due
    assert not f.loc["o3", "stale"] and not f.loc["o3", "past_due"]
    dups = quality.duplicate_opportunities(crm)
    assert dups["id"].tolist() == ["o2"] and dups["duplicate_of"].tolist() == ["o1"]
    comp = quality.completeness(crm, "2024-04-15").set_index("field")
    assert comp.loc["product", "completeness"] == 2 / 3


def test_duplicates_found_in_synthetic_org(small_org):
    t = small_org.truth["opportunities"]
    truth = set(t.loc[t["is_duplicate"], "opportunity_id"])
    found = set(quality.duplicate_opportunities(small_org.crm)["id"])
    assert len(truth) > 10
    assert len(found & truth) / len(truth) > 0.9  # recall
    assert len(found & truth) / len(found) > 0.9  # precision


def test_scorecard_and_plot(small_org):
    sc = quality.hygiene_scorecard(small_org.crm)
    assert {"measure", "value", "healthy", "ok"} <= set(sc.columns)
    assert sc["value"].between(0, 1).all()
    fig = quality.plots.plot_quality(small_org.crm)
    assert len(fig.axes) == 2


def test_stage_skips_found_in_synthetic_org(small_org):
    crm, t = small_org.crm, small_org.truth["opportunities"]
    moves = quality.stage_moves(crm).set_index("opportunity_id")["stage_skips"]
    snap = crm.as_of(crm.data_end).set_index("id")
    # a skip shows once the deal has moved past the skipped stage
    from salesops_models.schema import STAGE_ORDER

    t = t.set_index("opportunity_id")
    skipped = t["skipped_stage"].dropna()
    visible = [
        oid
        for oid, st in skipped.items()
        if snap.loc[oid, "stage"] in STAGE_ORDER
        and snap.loc[oid, "stage"] != "Closed Lost"
        and STAGE_ORDER[snap.loc[oid, "stage"]] > STAGE_ORDER[st]
    ]
    assert len(visible) > 10
    assert (moves.reindex(visible) >= 1).all()
    assert moves[moves > 0].index.isin(skipped.index).all()  # no skip where none was injected
