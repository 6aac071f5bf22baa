"""Every report, built on a store whose every text field and id is a payload, loads in
headless Chromium without running a single script of the CRM's: no ``window.__pwned``, no
dialog, and the payloads are visible as text."""

from __future__ import annotations

import pandas as pd
import pytest

from salesops_models.reports.schedule import Entry, run_entries
from salesops_models.store import save_duckdb
from salesops_models.synthetic import generate_org
from salesops_models.synthetic.hostile import hostile_crm


def assert_nothing_ran(browser, html_path):
    """Load a page; fail if any CRM payload executed (flag set or a dialog opened)."""
    page = browser.new_page()
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(html_path.as_uri())
    page.wait_for_load_state("load")
    page.wait_for_timeout(300)
    pwned = page.evaluate("window.__pwned === undefined ? null : window.__pwned")
    scripts = page.evaluate(
        "Array.from(document.scripts).filter(s => s.textContent.includes('__pwned')).length"
    )
    handlers = page.evaluate(
        "Array.from(document.querySelectorAll('*')).filter(e => "
        "Array.from(e.attributes).some(a => a.name.startsWith('on') && a.value.includes('__pwned'))).length"
    )
    text = page.inner_text("body")
    page.close()
    assert pwned is None and not dialogs, f"{html_path}: a payload ran ({pwned}, {dialogs})"
    assert scripts == 0 and handlers == 0, f"{html_path}: live payload elements in the DOM"
    return text


@pytest.mark.slow
def test_every_report_on_a_hostile_store_runs_no_script(browser, tmp_path):
    org = generate_org(n_reps=10, years=2, seed=3)
    db = save_duckdb(hostile_crm(org.crm), tmp_path / "hostile.duckdb")
    as_of = str((org.crm.data_end - pd.Timedelta(days=40)).date())
    src = {"source": str(db)}
    entries = [
        Entry(
            name="fc", notebook="bookings_forecast", parameters=src | {"as_of": as_of, "draws": 150}
        ),
        Entry(name="ph", notebook="pipeline_health", parameters=src | {"as_of": as_of}),
        Entry(name="hs", notebook="health", parameters=src | {"as_of": as_of}),
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
        text = assert_nothing_ran(browser, reports / r["html"])
        shown += ("<script>" in text) or ("onerror=" in text) or ("<svg onload" in text)
        if r["name"] == "td":  # the territory report's maps and trade-off are there
            for section in ("Current territories", "Rebalancing", "Distance vs disruption"):
                assert section in text, section
            page = browser.new_page()
            page.goto((reports / r["html"]).as_uri())
            n_img = page.evaluate("document.images.length")
            page.close()
            assert n_img >= 6, n_img
    assert shown >= 5  # the payloads are there, as text, in (almost) every report
    assert_nothing_ran(browser, reports / "index.html")
