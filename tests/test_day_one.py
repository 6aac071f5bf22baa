"""Your own CRM on day one: a Salesforce export the workbench has never seen, through the
README's sequence (load, point at the store, quality, forecast, health, territory, comp, every
report), with the traits of a real export: 18-character ids, no coordinates (BillingState and
postal codes only), no quotas, no comp data, no product field, custom role names used as
teams, CreatedDate as the only hire date, a rep alone in a segment, non-Latin names, and
data that ends on a date the sample org never uses."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from typer.testing import CliRunner

from salesops_models import config
from salesops_models.cli import app
from salesops_models.synthetic import generate_org
from salesops_models.synthetic.salesforce_export import write_salesforce_export

END = "2026-04-30"  # the sample org ends 2026-09-30; its report dates must not appear
SAMPLE_DATES = ("2026-08-14", "2026-08-31", "2026-09-30", "2026-10")
runner = CliRunner()


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    """A Salesforce Data Loader export of an org the workbench has never seen."""
    org = generate_org(n_reps=12, years=2, seed=21, end_date=END)
    reps = org.crm.reps
    ae = reps.loc[reps["role"].eq("AE"), "id"]
    names = {ae.iloc[0]: "王伟", ae.iloc[1]: "Иван Петров", ae.iloc[2]: "Zoë Müller"}
    return write_salesforce_export(org.crm, tmp_path_factory.mktemp("sf") / "export", names=names)


@pytest.fixture(scope="module")
def store(export, tmp_path_factory):
    db = tmp_path_factory.mktemp("store") / "salesforce.duckdb"
    res = runner.invoke(app, ["data", "load", "salesforce", str(export), "--db", str(db)])
    assert res.exit_code == 0, res.output
    return db, res.output


def _run(args, env_db=None, monkeypatch=None):
    if env_db is not None:
        monkeypatch.setenv(config.STORE_ENV, str(env_db))
    return runner.invoke(app, args)


def test_the_load_accounts_for_every_column_and_says_what_to_run_next(store):
    db, out = store
    flat = " ".join(out.split())
    assert "team read from UserRole.Name" in flat
    assert "hire_date read from CreatedDate" in flat
    assert "columns not read: Email, Title, IsActive, TimeZoneSidKey" in flat
    assert "others report to are Managers" in flat
    assert f"export {config.STORE_ENV}={db}" in flat  # the next commands use this store
    assert "opportunity_history" in out and "OpportunityHistory.csv" in out  # not cut at 80
    from salesops_models.store import load_store

    crm = load_store(db)
    ae = crm.reps[crm.reps["role"] == "AE"]
    assert ae["team"].notna().all() and ae["team"].str.startswith("AE - ").all()
    assert ae["hire_date"].notna().all()
    assert set(crm.reps["role"]) == {"AE", "Manager"}
    assert "product" in crm.meta["fields_not_in_source"]["opportunities"]


def test_quality_does_not_grade_a_field_the_export_never_had(store, monkeypatch):
    db, _ = store
    res = _run(["data", "quality"], db, monkeypatch)
    assert res.exit_code == 0, res.output
    from salesops_models import quality
    from salesops_models.store import load_store

    comp = quality.completeness(load_store(db))
    product = comp[comp["field"] == "product"].iloc[0]
    assert not product["in_source"] and pd.isna(product["completeness"])
    card = quality.hygiene_scorecard(load_store(db))
    worst = card.set_index("measure").loc["key-field completeness (min)", "value"]
    assert worst == comp.loc[comp["in_source"], "completeness"].min() > 0.9  # was 0: product


@pytest.mark.slow
def test_forecast_converges_and_asks_for_a_target(store, monkeypatch, tmp_path):
    """A rep alone in a segment has an effect of exactly 0 in every draw (centred within
    the segment): the check counts it as the constant it is, not as "did not converge";
    without quotas there is no invented target."""
    import arviz as az

    db, _ = store
    saved = tmp_path / "model.nc"
    res = _run(["forecast", "run", "--no-record", "--save", str(saved)], db, monkeypatch)
    assert res.exit_code == 0, res.output
    flat = " ".join(res.output.split())
    assert "convergence ok" in flat and "max r_hat inf" not in flat, flat
    assert f"as of {END}" in flat and "no target" in flat and "--target" in flat
    assert "By team" in flat and "(none)" not in flat  # no region: the teams, not one row
    post = az.from_netcdf(saved).posterior
    from salesops_models.store import load_store

    reps = load_store(db).reps
    lone = reps.loc[reps["segment"].eq("Mid-Market") & reps["role"].eq("AE"), "id"]
    assert len(lone) == 1
    eff = post["rep_effect"].sel(rep=lone.iloc[0]).values
    assert eff.std() == 0.0  # the constant the check used to score as r_hat inf


def test_relative_periods_and_comp_without_ote(store, monkeypatch):
    db, _ = store
    plans = config.PROJECT_ROOT / "plans"
    res = _run(
        [
            "comp",
            "statements",
            "--plan",
            str(plans / "ae_standard.yml"),
            "--period",
            "current quarter",
        ],
        db,
        monkeypatch,
    )
    assert res.exit_code == 2, res.output  # a user error naming the plan key, not exit 3
    assert "have no OTE" in res.output and "ote: 150000" in " ".join(res.output.split())
    res = _run(
        [
            "comp",
            "statements",
            "--plan",
            str(plans / "ae_day_one.yml"),
            "--period",
            "current quarter",
        ],
        db,
        monkeypatch,
    )
    assert res.exit_code == 0, res.output
    assert "2026-Q2" in res.output  # the quarter of the data's last day
    res = _run(["data", "as-of", END, "--period", "current quarter"], db, monkeypatch)
    assert res.exit_code == 0, res.output


def test_territories_start_from_zip_and_state_centroids(store):
    from salesops_models import territory
    from salesops_models.store import load_store

    crm = load_store(db := store[0])
    assert crm.accounts["lat"].isna().all()  # the export has no coordinates
    accts, notes = territory.territory_accounts(crm)
    assert len(accts) == len(crm.accounts), notes
    assert any("placed at their ZIP code's centroid" in n for n in notes), notes
    assert accts["lat"].between(18, 72).all() and accts["lon"].between(-180, -60).all()
    d = territory.design_territories(accts, 4, tolerance=0.25)
    assert d.accounts["territory"].nunique() == 4
    del db


def test_no_accounts_placed_is_a_clear_error():
    from salesops_models import territory
    from salesops_models.errors import SalesOpsError

    with pytest.raises(SalesOpsError, match="no accounts to design territories"):
        territory.design_territories(pd.DataFrame(columns=["id", "lat", "lon", "potential"]), 2)


REPORTS = (
    "pipeline_health",
    "forecast_call",
    "bookings_forecast",
    "health",
    "rep_productivity",
    "quota_capacity",
    "comp_cost",
    "territory_design",
)


@pytest.mark.slow
def test_every_report_runs_on_the_export_with_its_own_dates(
    store, monkeypatch, tmp_path, assert_no_script
):
    """Every report of the catalog on the export, with no parameter but the store (taken
    from SALESOPS_DB): no failure, no sample-org date, no request leaving the page, and the
    day-one gaps explained rather than shown as n/a without a cause."""
    from salesops_models.reports.schedule import Entry, run_entries

    db, _ = store
    monkeypatch.setenv(config.STORE_ENV, str(db))
    params = {
        "bookings_forecast": {"draws": 1000},
        "comp_cost": {
            "plan_a": "plans/ae_day_one.yml",
            "plan_b": "plans/ae_day_one.yml",
            "scenarios": 300,
            "draws": 500,
        },
        "quota_capacity": {"scenarios": 500, "draws": 500},
        "territory_design": {"segment": "", "k": 4, "tolerance": 0.25, "scenarios": 200},
    }
    entries = [Entry(name=n, notebook=n, parameters=params.get(n, {})) for n in REPORTS]
    records = run_entries(entries, workers=2, reports_dir=tmp_path, progress=False)
    for name, rec in zip(REPORTS, records, strict=True):
        assert rec["status"] == "ok", (name, rec["error"])
        assert rec["parameters"]["source"] == str(db)
        assert rec["html"].split("/")[1].endswith("_salesforce"), rec["html"]  # its folder
        text = assert_no_script(tmp_path / rec["html"])
        for d in SAMPLE_DATES:
            assert d not in text, f"{name}: sample-org date {d} in the report"
        assert "Traceback" not in text, name
        if name == "bookings_forecast":
            assert "The sampler converged" in text
            assert "n/a (no target)" in text and "set the parameter target" in text
            assert "win_rate_data" in text  # the model check shows the data beside the fit
        if name == "health":  # each n/a says what to run on this store, not `make backtest`
            assert f"salesops forecast backtest --db {db.name}" in text
            assert "make backtest" not in text
        if name == "pipeline_health":
            assert "0055g0" not in text  # rep names, not 18-character ids
            assert "Not shown: no product" in text
            assert re.search(r"2026-04-30", text)
