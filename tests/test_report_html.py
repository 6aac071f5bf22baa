"""Generated HTML reports render in a real headless Chromium (Debian's ``chromium``)."""

import numpy as np
import pandas as pd
import pytest
from offline import assert_offline, watch_requests

from salesops_models import config
from salesops_models.reports import run_report
from salesops_models.store import save_duckdb
from salesops_models.synthetic import generate_org
from salesops_models.synthetic.hostile import hostile_crm


def check_page(browser, html_path, tmp_path, min_images: int):
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    requests = watch_requests(page)
    page.goto(html_path.as_uri())
    page.wait_for_load_state("load")
    assert_offline(requests, html_path)
    images = page.evaluate(
        "Array.from(document.images).map(i => [i.complete, i.naturalWidth, i.naturalHeight])"
    )
    assert len(images) >= min_images, f"{len(images)} charts"
    broken = [i for i in images if not (i[0] and i[1] > 50 and i[2] > 50)]
    assert not broken, f"broken images: {broken}"
    text = page.inner_text("body")
    assert "Traceback" not in text and "Error" not in text.rsplit("CRM data quality", 1)[0]
    shot = tmp_path / (html_path.parent.name + ".png")
    page.screenshot(path=str(shot), full_page=True)
    page.close()
    # kept for people (and CI artifacts): reports/screenshots/<report>.png
    keep = config.REPORTS_DIR / "screenshots"
    keep.mkdir(parents=True, exist_ok=True)
    report = html_path.parent.parent.name
    (keep / f"{report}.png").write_bytes(shot.read_bytes())
    import matplotlib.image as mpimg

    px = mpimg.imread(shot)
    assert px.shape[0] > 2000  # a long page of sections
    assert float(np.std(px[..., :3])) > 0.05  # not blank
    return text


@pytest.mark.slow
def test_pipeline_health_html_renders(browser, assert_no_script, tmp_path):
    """On a store whose every name and id is a hostile payload: the sections render and no
    payload runs (escaping checked in the same run)."""
    org = generate_org(n_reps=16, years=2, seed=4)
    db = save_duckdb(hostile_crm(org.crm), tmp_path / "org.duckdb")
    as_of = str((org.crm.data_end - pd.Timedelta(days=40)).date())
    rec = run_report(
        "pipeline_health", {"source": str(db), "as_of": as_of}, reports_dir=tmp_path / "reports"
    )
    text = check_page(browser, tmp_path / "reports" / rec.html, tmp_path, min_images=9)
    assert "<script>" in assert_no_script(tmp_path / "reports" / rec.html)
    for section in (
        "Headline",
        "Coverage by team",
        "Stage funnel",
        "Win rates",
        "Sales velocity",
        "Sales cycle",
        "Pipeline waterfall",
        "Deals at risk",
        "CRM data quality",
    ):
        assert section in text
    index = browser.new_page()
    index.goto((tmp_path / "reports" / "index.html").as_uri())
    assert index.locator("a", has_text="pipeline_health").count() == 1
    index.close()


@pytest.mark.slow
@pytest.mark.skipif(not config.MAVEN_DIR.exists(), reason="shared Maven sample not present")
def test_pipeline_health_runs_on_the_maven_sample(browser, tmp_path):
    from salesops_models.loaders import load_maven

    db = load_maven().save(tmp_path / "maven.duckdb")
    rec = run_report(
        "pipeline_health",
        {"source": str(db), "as_of": "2017-08-15", "period": "2017-Q3"},
        reports_dir=tmp_path / "reports",
    )
    text = check_page(browser, tmp_path / "reports" / rec.html, tmp_path, min_images=6)
    assert "has no close date" in text  # Maven's open deals carry no close date: said, not hidden


@pytest.mark.slow
@pytest.mark.skipif(not config.MAVEN_DIR.exists(), reason="shared Maven sample not present")
def test_bookings_forecast_report_on_the_maven_sample(browser, assert_no_script, tmp_path):
    """The forecast report end to end on real CRM data: papermill, a real PyMC fit, HTML in
    Chromium with the fan chart, bridge, deal tables, accuracy section and diagnostics."""
    from salesops_models.loaders import load_maven

    # the real sample with every name and id replaced by a hostile payload
    db = save_duckdb(hostile_crm(load_maven().crm), tmp_path / "maven.duckdb")
    # a calibration study to show (`salesops forecast calibrate` writes this), its org
    # labels hostile too
    rng = np.random.default_rng(0)
    study = pd.DataFrame(
        [
            {"org": org, "period": f"2025-Q{q}", "point": point, "method": "model"}
            | {f"covered_{lv}": float(rng.uniform() < lv / 100) for lv in (50, 80, 90)}
            | {"pit": rng.uniform(), "converged": True, "max_r_hat": 1.004}
            | {"divergences": 0, "attempts": 1, "worst_parameter": ""}
            for org in ("seed 7", "<script>alert('org')</script>")
            for q in (1, 2, 3, 4)
            for point in ("day 1", "week 4")
        ]
    )
    study.to_csv(tmp_path / "study.csv", index=False)
    rec = run_report(
        "bookings_forecast",
        {
            "source": str(db),
            "as_of": "2017-08-15",
            "period": "2017-Q3",
            "draws": 300,
            "calibration_csv": str(tmp_path / "study.csv"),
        },
        reports_dir=tmp_path / "reports",
    )
    text = check_page(browser, tmp_path / "reports" / rec.html, tmp_path, min_images=3)
    assert "<script>" in assert_no_script(tmp_path / "reports" / rec.html)
    for section in (
        "Fit and convergence",
        "Forecast against target",
        "By region, manager and rep",
        "Deal risk",
        "Slip list",
        "Accuracy history",
        "Model checks",
        "P(reach target)",
        "max r_hat",
        "The sampler ",  # the convergence check in words
        "Calibration study from study.csv",
        "2 synthetic orgs, 8 org-quarters per point",
        "all orgs",
    ):
        assert section in text
    # no library warning at the top of the report (PyTensor's BLAS probe, issue #17)
    assert "could not link to a BLAS" not in text and "UserWarning" not in text


@pytest.mark.slow
def test_health_report_tiles_sections_and_json(browser, assert_no_script, tmp_path):
    """The executive health report: one tile per metric with its sparkline, then a section
    per metric with charts, and the JSON scores beside the HTML."""
    import json

    from salesops_models.synthetic import problems

    org = problems.well_run_org(20, 3, 2)
    db = save_duckdb(hostile_crm(org.crm), tmp_path / "org.duckdb")  # hostile names and ids
    rec = run_report(
        "health",
        {"source": str(db), "as_of": "2026-08-31", "plan": "plans/ae_standard.yml"},
        reports_dir=tmp_path / "reports",
    )
    html_path = tmp_path / "reports" / rec.html
    text = check_page(browser, html_path, tmp_path, min_images=8)
    assert "<script>" in assert_no_script(html_path)
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.goto(html_path.as_uri())
    from salesops_models.health.bands import METRICS

    assert page.locator(".hs-tile").count() == len(METRICS) == 14
    assert page.locator(".hs-tile svg polyline").count() >= 7  # sparklines
    page.close()
    for section in (
        "At a glance",
        "Forecast accuracy",
        "Pipeline coverage",
        "Pipeline hygiene",
        "Quota attainment",
        "Territory balance",
        "CRM data quality",
        "New-rep ramp",
        "Sales cycle, velocity and win rate",
        "Compensation cost",
        "Selling time, process compliance and tool adoption",
        "Bands used",
        "Top contributors",
        "Action:",
    ):
        assert section in text, section
    doc = json.loads((html_path.parent / "health.json").read_text())
    assert len(doc["metrics"]) == 14 and doc["as_of"] == "2026-08-31"


@pytest.mark.slow
def test_rep_productivity_report_renders(browser, assert_no_script, tmp_path):
    """Selling time, activity mix, compliance and adoption on a store whose every name, id,
    subject and outcome is a hostile payload; and the same report on a CRM without
    activities says so instead of failing."""
    org = generate_org(n_reps=16, years=2, seed=4)
    db = save_duckdb(hostile_crm(org.crm), tmp_path / "org.duckdb")
    rec = run_report(
        "rep_productivity",
        {"source": str(db), "as_of": "2026-09-30"},
        reports_dir=tmp_path / "reports",
    )
    text = check_page(browser, tmp_path / "reports" / rec.html, tmp_path, min_images=3)
    assert "<script>" in assert_no_script(tmp_path / "reports" / rec.html)
    for section in (
        "Headline",
        "Selling time",
        "By rep: the lowest and the highest",
        "Activity mix",
        "Process compliance",
        "Deals that advanced without their criteria",
        "Tool adoption",
        "Open deals without activity in 30 days",
    ):
        assert section in text, section
    # the shared look: header with the as-of date and source, contents that lead somewhere,
    # charts at full width, a print layout without the contents
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.goto((tmp_path / "reports" / rec.html).as_uri())
    header = page.inner_text(".so-header")
    assert "as of 2026-09-30" in header and "org.duckdb" in header
    targets = page.eval_on_selector_all(
        ".so-toc a",
        "els => els.map(e => !!document.getElementById(e.getAttribute('href').slice(1)))",
    )
    assert len(targets) >= 5 and all(targets)
    widths = page.eval_on_selector_all(".jp-RenderedImage img", "els => els.map(e => e.width)")
    assert max(widths) <= 1200
    # long tables filter and sort in the page (the script reads cell text, writes no HTML)
    box = page.locator(".so-filter").first
    table = page.locator("xpath=(//input[@class='so-filter'])[1]/following-sibling::table[1]")
    rows = table.locator("tbody tr")
    n = rows.count()
    assert n >= 15
    first_cell = rows.nth(0).locator("td").nth(0).inner_text()
    box.fill(first_cell)
    visible = sum(rows.nth(i).is_visible() for i in range(n))
    assert 1 <= visible < n
    box.fill("")
    header = table.locator("thead th").nth(0)
    header.click()
    asc = [rows.nth(i).locator("td").nth(0).inner_text() for i in range(n)]
    header.click()
    desc = [rows.nth(i).locator("td").nth(0).inner_text() for i in range(n)]
    assert asc == sorted(asc, key=str.lower) and desc == asc[::-1]
    page.emulate_media(media="print")
    assert page.eval_on_selector(".so-toc", "e => getComputedStyle(e).display") == "none"
    assert page.locator(".so-footer").count() == 1
    page.close()
    from salesops_models.crm import CRM

    bare = CRM(**{**org.crm.tables, "activities": None})
    db2 = save_duckdb(bare, tmp_path / "bare.duckdb")
    rec = run_report(
        "rep_productivity",
        {"source": str(db2), "as_of": "2026-09-30"},
        reports_dir=tmp_path / "reports2",
    )
    page = browser.new_page()
    page.goto((tmp_path / "reports2" / rec.html).as_uri())
    assert "this CRM logs no activities" in page.inner_text("body")
    page.close()
