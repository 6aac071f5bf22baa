import csv
import shutil

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from salesops_models import config
from salesops_models.loaders import (
    LoadError,
    load_hubspot,
    load_mapping,
    load_maven,
    load_salesforce,
)
from salesops_models.loaders.parsing import parse_dates, parse_money


def reasons(result, table="opportunities") -> dict[int, str]:
    r = result.rejects[result.rejects["table"] == table]
    return {int(row): reason for row, reason in zip(r["sheet_row"], r["reason"], strict=True)}


def test_money_formats():
    vals, bad = parse_money(
        pd.Series(
            ["$1,200.50", "1.200,50 €", "(300.00)", "1200,5", "USD 2,000", "", "abc", "1.234.567"]
        )
    )
    assert list(vals[:5]) == [1200.5, 1200.5, -300.0, 1200.5, 2000.0]
    assert pd.isna(vals[5]) and not bad[5]  # blank = missing, not bad
    assert bad[6] and vals[7] == 1234567


def test_date_formats():
    vals, bad = parse_dates(
        pd.Series(["2024-01-05", "2024-01-05T14:02:11.000+0000", "45565", "", "31/02/2024"])
    )
    assert vals[0] == pd.Timestamp("2024-01-05") and vals[1] == pd.Timestamp("2024-01-05 14:02:11")
    assert vals[2] == pd.Timestamp("2024-09-30")  # Excel serial
    assert pd.isna(vals[3]) and not bad[3]
    assert bad[4]


def test_salesforce_export(fixtures):
    r = load_salesforce(fixtures / "salesforce")
    s = r.summary.set_index("table")
    assert (s["rows_read"] == s["rows_accepted"] + s["rows_rejected"]).all()
    assert (
        s.loc["opportunities", "rows_read"] == 10 and s.loc["opportunities", "rows_accepted"] == 3
    )
    why = reasons(r)
    assert "unparseable date" in why[4]
    assert "negative amount" in why[5]
    assert "closed before it was created" in why[6]
    assert "duplicate id (first seen at sheet row 2)" in why[7]
    assert "unknown stage" in why[8] and "Stage Zero" in set(r.rejects["value"])
    assert "account_id not found" in why[9]
    assert "absurd amount" in why[11]
    assert "opportunity_id not found" in reasons(r, "opportunity_history")[8]
    o = r.crm.opportunities.set_index("id")
    assert o.loc["0065g00000AAAA2AAA", "amount"] == 1200.5  # "$1,200.50"
    assert o.loc["0065g00000AAAA8AAA", "close_date"] == pd.Timestamp("2024-09-30")  # Excel serial
    assert o.loc["0065g00000AAAA2AAA", "type"] == "expansion"
    assert any("Excel serial" in n for n in r.notes)
    assert r.crm.validate().empty
    # as-of uses the real history: on 2024-01-31 deal 1 was still Prospecting at 10,000
    snap = r.crm.as_of("2024-01-31").set_index("id")
    assert snap.loc["0065g00000AAAA1AAA", "stage"] == "Prospecting"
    assert snap.loc["0065g00000AAAA1AAA", "amount"] == 10000
    assert snap.loc[
        "0065g00000AAAA2AAA" if "0065g00000AAAA2AAA" in snap.index else snap.index[0], "stage"
    ] in ("Qualification", "Prospecting")
    # the Salesforce ForecastCategory API value "Forecast" maps to Commit
    h = r.crm.opportunity_history
    assert "Commit" in set(h["forecast_category"])


def test_missing_column_names_file_and_column(fixtures, tmp_path):
    df = pd.read_csv(fixtures / "salesforce" / "Opportunity.csv", dtype=str).drop(
        columns=["CloseDate"]
    )
    df.to_csv(tmp_path / "Opportunity.csv", index=False)
    with pytest.raises(LoadError) as exc:
        load_salesforce(tmp_path / "Opportunity.csv")
    assert "Opportunity.csv" in str(exc.value) and "'CloseDate'" in str(exc.value)
    assert exc.value.column == "CloseDate"


def test_empty_file_is_an_error(tmp_path):
    (tmp_path / "Opportunity.csv").write_text("")
    with pytest.raises(LoadError, match="empty"):
        load_salesforce(tmp_path / "Opportunity.csv")


def test_windows1252_file_is_decoded_and_reported(fixtures, tmp_path):
    text = (
        (fixtures / "salesforce" / "Opportunity.csv")
        .read_text()
        .replace("Acme - Upsell", "Acmé - Upsell")
    )
    (tmp_path / "Opportunity.csv").write_bytes(text.encode("cp1252"))
    r = load_salesforce(tmp_path / "Opportunity.csv")
    assert "Acmé - Upsell" in set(r.crm.opportunities["name"])
    assert any("not UTF-8" in n for n in r.notes)


def test_hubspot_export(fixtures):
    r = load_hubspot(fixtures / "hubspot" / "deals.csv")
    why = reasons(r)
    assert "closed before it was created" in why[5]
    assert "unknown stage" in why[6]
    o = r.crm.opportunities.set_index("id")
    assert o.loc["9001", "amount"] == 24000 and o.loc["9001", "is_won"]
    assert o.loc["9002", "stage"] == "Negotiation" and o.loc["9002", "type"] == "expansion"
    assert pd.isna(o.loc["9003", "amount"])  # blank amount is missing, not zero
    assert set(r.crm.reps["name"]) == {"Jordan Park", "Sam Reyes"}
    assert any("no field history" in n for n in r.notes)


def test_mapping_csv_and_excel(fixtures, tmp_path):
    r = load_mapping(fixtures / "mapping" / "mapping.yml")
    o = r.crm.opportunities.set_index("id")
    assert o.loc["D-1", "created_date"] == pd.Timestamp("2024-01-05")  # dayfirst
    assert o.loc["D-1", "amount"] == 1500.0
    why = reasons(r)
    assert "unparseable date" in why[4] and "owner_rep_id not found in reps" in why[5]
    # the same data from an Excel workbook
    shutil.copy(fixtures / "mapping" / "owners.csv", tmp_path / "owners.csv")
    pd.read_csv(fixtures / "mapping" / "deals.csv", dtype=str).to_excel(
        tmp_path / "deals.xlsx", index=False
    )
    yml = (
        (fixtures / "mapping" / "mapping.yml")
        .read_text()
        .replace("file: deals.csv", "file: deals.xlsx")
    )
    (tmp_path / "mapping.yml").write_text(yml)
    rx = load_mapping(tmp_path / "mapping.yml")
    assert rx.crm.opportunities["id"].tolist() == r.crm.opportunities["id"].tolist()


def test_bad_mapping_is_a_clear_error(tmp_path):
    (tmp_path / "m.yml").write_text(
        "tables:\n  opportunities:\n    file: x.csv\n    columns: {idd: A}\n"
    )
    with pytest.raises(LoadError, match="unknown column 'idd'"):
        load_mapping(tmp_path / "m.yml")


@pytest.mark.skipif(not config.MAVEN_DIR.exists(), reason="shared Maven sample not present")
def test_maven_sample_with_quirks_reported():
    r = load_maven()
    s = r.summary.set_index("table")
    assert s.loc["opportunities", "rows_read"] == 8800
    assert (s["rows_read"] == s["rows_accepted"] + s["rows_rejected"]).all()
    notes = "\n".join(r.notes)
    assert "1480 values corrected ('GTXPro' -> 'GTX Pro')" in notes
    assert "1425 deals have no account" in notes
    assert "5 of 35 agents have no deals" in notes
    assert "'technolgy' -> 'technology'" in notes and "Philippines" in notes
    assert r.crm.validate().empty
    o = r.crm.opportunities
    assert (
        o["product"]
        .isin(
            [
                "GTX Basic",
                "GTX Pro",
                "MG Special",
                "MG Advanced",
                "GTX Plus Pro",
                "GTX Plus Basic",
                "GTK 500",
            ]
        )
        .all()
    )
    # as-of rebuilt from engage/close dates: a deal won on its close date is open the day before
    won = o[o["is_won"]].iloc[0]
    before = r.crm.as_of(won["close_date"] - pd.Timedelta(days=1)).set_index("id")
    if won["id"] in before.index:
        assert not before.loc[won["id"], "is_closed"]
    assert r.crm.as_of(won["close_date"]).set_index("id").loc[won["id"], "is_won"]


GOOD = {
    "Id": "0061",
    "AccountId": "",
    "OwnerId": "u1",
    "StageName": "Prospecting",
    "Amount": "100",
    "CloseDate": "2024-05-01",
    "CreatedDate": "2024-01-01T00:00:00.000+0000",
}
BAD_VALUES = {
    "Amount": ["-5", "abc", "$1,000.00", "1.000,50 €", "", "9e99", "45,6"],
    "CloseDate": ["2023-01-01", "31/31/2024", "45565", "", "2024-13-01", "05/06/2024"],
    "CreatedDate": ["", "yesterday", "2024-01-01"],
    "StageName": ["Prospecting", "Closed Won", "Nope", ""],
    "OwnerId": ["u1", ""],
}


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(st.tuples(st.sampled_from(sorted(BAD_VALUES)), st.data()), min_size=1, max_size=25),
    st.booleans(),
)
def test_rows_in_equals_accepted_plus_rejected(tmp_path, edits, dup):
    rows = []
    for i, (col, data) in enumerate(edits):
        row = dict(GOOD, Id=f"006{i:04d}")
        row[col] = data.draw(st.sampled_from(BAD_VALUES[col]))
        rows.append(row)
    if dup:
        rows.append(dict(rows[0]))
    path = tmp_path / "Opportunity.csv"
    with path.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(GOOD))
        w.writeheader()
        w.writerows(rows)
    r = load_salesforce(path)
    s = r.summary.set_index("table").loc["opportunities"]
    assert s["rows_read"] == len(rows)
    assert s["rows_read"] == s["rows_accepted"] + s["rows_rejected"]
    assert len(r.crm.opportunities) == s["rows_accepted"]
    rejected_rows = set(r.rejects.loc[r.rejects["table"] == "opportunities", "sheet_row"])
    assert len(rejected_rows) == s["rows_rejected"]
    assert r.rejects["reason"].str.len().gt(0).all()
    assert r.crm.validate().empty
