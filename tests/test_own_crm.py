"""The pieces a real export needs, one at a time: the column map, centroids, relative periods,
store-relative dates, report folders per store, targets, tables for people."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from salesops_models import config
from salesops_models.cli import app
from salesops_models.errors import PeriodError, SalesOpsError
from salesops_models.loaders import load_hubspot, load_salesforce
from salesops_models.loaders.column_map import ColumnMap, ColumnMapError

runner = CliRunner()


# --- the column map ------------------------------------------------------------------------------
def _users(tmp_path, extra: dict | None = None):
    """The Salesforce fixture with a User.csv shaped like a real org's."""
    import shutil

    folder = tmp_path / "sf"
    shutil.copytree(config.PROJECT_ROOT / "tests" / "fixtures" / "salesforce", folder)
    users = pd.DataFrame(
        {
            "Id": ["0055g00000MGR01AAA", "0055g00000USR01AAA", "0055g00000USR02AAA"],
            "Name": ["Morgan Lead", "Avery Chen", "Blake Diaz"],
            "ManagerId": ["", "0055g00000MGR01AAA", "0055g00000MGR01AAA"],
            "UserRole.Name": ["VP Sales", "AE - West", "AE - West"],
            "CreatedDate": ["2020-01-06T09:00:00.000+0000"] * 3,
            "Sales_Team__c": ["Leadership", "West Commercial", "West Enterprise"],
            "Email": ["m@x.io", "a@x.io", "b@x.io"],
        }
        | (extra or {})
    )
    users.to_csv(folder / "User.csv", index=False)
    return folder


def test_role_name_and_created_date_stand_in_and_unread_columns_are_listed(tmp_path):
    r = load_salesforce(_users(tmp_path))
    reps = r.crm.reps.set_index("id")
    assert reps.loc["0055g00000USR01AAA", "team"] == "AE - West"
    assert reps.loc["0055g00000USR01AAA", "hire_date"] == pd.Timestamp("2020-01-06")
    assert reps.loc["0055g00000MGR01AAA", "role"] == "Manager"  # others report to them
    assert reps.loc["0055g00000USR02AAA", "role"] == "AE"
    notes = " ".join(r.notes)
    assert "team read from UserRole.Name" in notes and "hire_date read from CreatedDate" in notes
    assert "User.csv: columns not read: Sales_Team__c, Email" in notes


def test_a_column_map_renames_and_adds_columns_and_stages(tmp_path):
    folder = _users(tmp_path)
    (tmp_path / "columns.yml").write_text(
        "User:\n  team: Sales_Team__c\nstages:\n  Negotiation/Review: Proposal\n"
    )
    r = load_salesforce(folder, columns=tmp_path / "columns.yml")
    assert r.crm.reps.set_index("id").loc["0055g00000USR02AAA", "team"] == "West Enterprise"
    opp = r.crm.opportunities.set_index("id")
    assert opp.loc["0065g00000AAAA2AAA", "stage"] == "Proposal"  # was Negotiation/Review
    assert "columns not read: UserRole.Name, Email" in " ".join(r.notes)
    res = runner.invoke(
        app,
        ["data", "load", "salesforce", str(folder), "--columns", str(tmp_path / "columns.yml"),
         "--db", str(tmp_path / "x.duckdb")],
    )  # fmt: skip
    assert res.exit_code == 0, res.output


@pytest.mark.parametrize(
    "text, message",
    [
        ("Users2:\n  team: X\n", "unknown table 'Users2'"),
        ("reps:\n  squad: Sales_Team__c\n", "'squad' is not a column of reps"),
        ("reps:\n  team: Team__c\n", "names column 'Team__c', which User.csv does not have"),
        ("stages:\n  Demo: Demoed\n", "'Demo' maps to 'Demoed', not a stage"),
        ("reps:\n  team: ''\n", "the export column must be a name"),
        ("Task:\n  subject: Subject\n", "columns of activities are mapped, but this"),
    ],
)
def test_a_bad_column_map_is_an_error_naming_the_key(tmp_path, text, message):
    folder = _users(tmp_path)
    (tmp_path / "columns.yml").write_text(text)
    with pytest.raises(ColumnMapError, match=message.replace("(", r"\(")):
        load_salesforce(folder, columns=tmp_path / "columns.yml")
    res = runner.invoke(
        app,
        ["data", "load", "salesforce", str(folder), "--columns", str(tmp_path / "columns.yml"),
         "--db", str(tmp_path / "x.duckdb")],
    )  # fmt: skip
    assert res.exit_code == 2 and "columns.yml" in res.output


def test_hubspot_takes_the_column_map_and_lists_unread_columns(fixtures, tmp_path):
    deals = pd.read_csv(fixtures / "hubspot" / "deals.csv", dtype=str)
    deals["Line item"] = "Widget"
    deals.to_csv(tmp_path / "deals.csv", index=False)
    (tmp_path / "c.yml").write_text("deals:\n  product: Line item\n")
    r = load_hubspot(tmp_path / "deals.csv", columns=ColumnMap.read(tmp_path / "c.yml"))
    assert (r.crm.opportunities["product"] == "Widget").all()
    plain = load_hubspot(tmp_path / "deals.csv")
    assert any("columns not read" in n and "Line item" in n for n in plain.notes)


# --- centroids -----------------------------------------------------------------------------------
def test_centroids_from_zip_and_state_in_every_spelling():
    from salesops_models.territory.geocode import centroid_places, state_centroids

    accts = pd.DataFrame(
        {
            "zip": ["02139", "2139", "02139-4307", None, None, "99999", None],
            "state": [None, None, None, "MA", "massachusetts", "TX", "Atlantis"],
        }
    )
    lat, lon, how = centroid_places(accts)
    assert list(how) == ["zip", "zip", "zip", "state", "state", "state", ""]
    assert np.allclose(lat[:3], lat[0]) and 42.3 < lat[0] < 42.4  # Cambridge, MA
    assert lat[3] == lat[4] and 41.5 < lat[3] < 42.9  # MA's centre of population
    assert np.isnan(lat[6])
    abroad = pd.DataFrame(
        {
            "zip": [None, None, None, None],
            "state": ["ON", "CA", None, None],
            "country": ["Canada", "DE", "Deutschland", "Narnia"],
        }
    )
    lat, lon, how = centroid_places(abroad)
    assert list(how) == ["country", "country", "country", ""]  # CA here is not California
    assert lat[1] == lat[2] and 47 < lat[1] < 55 and 5 < lon[1] < 16  # Germany
    assert 42 < lat[0] < 70 and lon[0] < -60  # Canada
    st = state_centroids()
    assert len(st) >= 51  # the 50 states and DC (territories and military codes too)
    assert st.loc[["CA", "NY", "TX", "AK", "HI", "DC"], "lat"].between(18, 72).all()
    assert -121 < st.loc["CA", "lon"] < -117  # California's centre of population (~-119.3)


def test_territory_accounts_count_each_cause_apart(small_org):
    from salesops_models.territory import territory_accounts

    a = small_org.crm.accounts.copy()
    a.loc[a.index[:10], ["lat", "lon"]] = np.nan  # ZIPs kept: placed by ZIP
    a.loc[a.index[10:13], ["lat", "lon", "zip", "state"]] = None  # nowhere to place
    out, notes = territory_accounts(_with(small_org.crm, accounts=a))
    text = " | ".join(notes)
    assert "10 accounts without coordinates placed at their ZIP code's centroid" in text
    assert "3 accounts left out: no coordinates, ZIP code, US state or known country" in text
    assert "no location or no current owner" not in text  # one cause per note
    assert len(out) == len(a) - 3


def _with(crm, **tables):
    """A shallow copy of ``crm`` with some tables replaced."""
    import copy

    c = copy.copy(crm)
    for k, v in tables.items():
        setattr(c, k, v)
    return c


def test_a_segment_no_account_has_is_a_clear_error(small_org):
    from salesops_models.territory import territory_accounts

    with pytest.raises(SalesOpsError, match="no accounts in segment 'Galactic'.*segments: "):
        territory_accounts(small_org.crm, "Galactic")


# --- periods and dates ---------------------------------------------------------------------------
def test_relative_periods_are_taken_at_the_data_end(small_org):
    crm = small_org.crm
    end = crm.data_end
    assert crm.period("current quarter") == crm.quarter(end)
    assert crm.period("previous quarter") == crm.calendar.previous(crm.quarter(end))
    assert crm.period("Current Month") == crm.calendar.month(end)
    with pytest.raises(PeriodError, match="'current quarter'"):
        crm.period("this century")


def test_report_dates_default_to_the_store_and_folders_carry_its_name(tmp_path, small_org):
    from salesops_models.reports.engine import resolve_parameters
    from salesops_models.store import save_duckdb

    db = tmp_path / "mine.duckdb"
    save_duckdb(small_org.crm, db)
    params, label = resolve_parameters("pipeline_health", {"source": str(db)}, config.NOTEBOOKS_DIR)
    end = str(small_org.crm.data_end.date())
    assert params["as_of"] == end and label == f"{end}_mine"
    params, label = resolve_parameters("comp_cost", {"source": str(db)}, config.NOTEBOOKS_DIR)
    assert params["plan_start"] == str(small_org.crm.data_end.to_period("M") + 1)


def test_the_store_setting_reaches_reports_and_commands(tmp_path, small_org, monkeypatch):
    from salesops_models.reports.engine import resolve_parameters
    from salesops_models.store import save_duckdb

    db = tmp_path / "other.duckdb"
    save_duckdb(small_org.crm, db)
    monkeypatch.setenv(config.STORE_ENV, str(db))
    params, _ = resolve_parameters("pipeline_health", {}, config.NOTEBOOKS_DIR)
    assert params["source"] == str(db)
    res = runner.invoke(app, ["data", "validate"])
    assert res.exit_code == 0 and "other.duckdb" in res.output, res.output


# --- targets and tables for people ---------------------------------------------------------------
def test_a_forecast_never_invents_a_target(small_org):
    from salesops_models.pipeline import forecast_target

    crm = small_org.crm
    p = crm.quarter(crm.data_end)
    assert forecast_target(crm, p)[1] == "sum of quotas"
    no_quotas = _with(crm, quotas=crm.quotas.iloc[0:0])
    goal, why = forecast_target(no_quotas, p)
    assert goal == 0.0 and "--target" in why
    assert forecast_target(no_quotas, p, 123.0) == (123.0, "given")


def test_report_tables_hide_row_numbers_and_show_dates_as_dates():
    from salesops_models.exports import styled
    from salesops_models.reports.context import _frame_html

    df = pd.DataFrame({"deal": ["a", "b", "c"], "v": [3, 1, 2]}).sort_values("v")
    assert "<th>2</th>" not in _frame_html(df) and ">0<" not in _frame_html(df)
    named = df.set_index("deal")
    assert ">deal<" in _frame_html(named)
    html = styled(pd.DataFrame({"close": pd.to_datetime(["2026-06-30", None])})).to_html()
    assert "2026-06-30" in html and "00:00:00" not in html


def test_cli_tables_read_as_amounts():
    from salesops_models.cli.common import cell as _cell

    assert _cell(1509230.0) == "1,509,230" and _cell(0.3456) == "0.35"
    assert _cell(pd.Timestamp("2026-06-30")) == "2026-06-30"
