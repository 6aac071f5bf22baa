"""Reports built on a store whose every text field and id is a payload load in
headless Chromium without running a single script of the CRM's: no ``window.__pwned``, no
dialog, and the payloads are visible as text."""

from __future__ import annotations

import pytest

from salesops_models.reports.schedule import Entry, run_entries
from salesops_models.schema import conform
from salesops_models.store import save_duckdb, save_tables
from salesops_models.synthetic import generate_org
from salesops_models.synthetic.calls import simulate_calls
from salesops_models.synthetic.hostile import PAYLOADS, hostile_crm


@pytest.mark.slow
def test_every_report_on_a_hostile_store_runs_no_script(browser, assert_no_script, tmp_path):
    org = generate_org(n_reps=10, years=2, seed=3)
    crm = hostile_crm(org.crm)
    db = save_duckdb(crm, tmp_path / "hostile.duckdb")
    calls, _ = simulate_calls(crm, 3)  # the hostile reps call, with a payload in every note
    calls["note"] = [PAYLOADS[i % len(PAYLOADS)] for i in range(len(calls))]
    save_tables(db, {"forecast_calls": conform("forecast_calls", calls)})
    src = {"source": str(db)}
    # pipeline_health, health and bookings_forecast run on hostile stores in
    # tests/test_report_html.py (their content checks and this check in one run each)
    entries = [
        Entry(
            name="td",
            notebook="territory_design",
            parameters=src | {"segment": "", "scenarios": 100, "tolerance": 0.3},
        ),
        Entry(
            name="cc",
            notebook="comp_cost",
            parameters=src | {"plan_start": "2026-10", "scenarios": 200, "draws": 150},
        ),
        Entry(
            name="fc",
            notebook="forecast_call",
            parameters=src | {"as_of": "2026-08-15", "period": "2026-Q3"},
        ),
        Entry(
            name="qc",
            notebook="quota_capacity",
            parameters=src | {"plan_start": "2026-10", "scenarios": 200, "draws": 150},
        ),
    ]
    reports = tmp_path / "reports"
    results = run_entries(entries, workers=2, reports_dir=reports, progress=False)
    failed = [(r["name"], r["error"]) for r in results if r["status"] != "ok"]
    assert not failed, failed
    shown = 0
    for r in results:
        text = assert_no_script(reports / r["html"])
        shown += ("<script>" in text) or ("onerror=" in text) or ("<svg onload" in text)
        if r["name"] == "td":  # the territory report's maps and trade-off are there
            for section in ("Current territories", "Rebalancing", "Distance vs disruption"):
                assert section in text, section
            page = browser.new_page()
            page.goto((reports / r["html"]).as_uri())
            n_img = page.evaluate("document.images.length")
            page.close()
            assert n_img >= 6, n_img
    assert shown == len(entries)  # the payloads are there, as text, in every report
    assert_no_script(reports / "index.html")
