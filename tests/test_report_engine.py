"""The report engine on a tiny notebook: validation, failure path, ledger, concurrency."""

import json
import shutil
from concurrent.futures import ThreadPoolExecutor

import pandas as pd
import pytest
from typer.testing import CliRunner

from salesops_models.cli import app
from salesops_models.reports import (
    ParameterError,
    ReportFailed,
    coerce_parameters,
    due_entries,
    load_schedule,
    read_ledger,
    run_report,
)


@pytest.fixture
def dirs(fixtures, tmp_path):
    nbdir = tmp_path / "notebooks"
    nbdir.mkdir()
    shutil.copy(fixtures / "notebooks" / "tiny.ipynb", nbdir / "tiny.ipynb")
    return nbdir, tmp_path / "reports"


def test_parameters_are_checked_before_anything_runs(dirs):
    nbdir, rdir = dirs
    with pytest.raises(ParameterError, match="no parameter 'colour'.*as_of, fail, rows, period"):
        coerce_parameters("tiny", {"colour": "red"}, nbdir)
    with pytest.raises(ParameterError, match="'rows' expects int, got 'many'"):
        coerce_parameters("tiny", {"rows": "many"}, nbdir)
    with pytest.raises(ParameterError, match="'as_of'.*cannot read date"):
        coerce_parameters("tiny", {"as_of": "someday"}, nbdir)
    with pytest.raises(ParameterError, match="'period'.*cannot read period"):
        coerce_parameters("tiny", {"period": "Q9"}, nbdir)
    with pytest.raises(ParameterError, match="no report named 'nope'.*tiny"):
        run_report("nope", notebooks_dir=nbdir, reports_dir=rdir)
    with pytest.raises(ParameterError):
        run_report("tiny", {"rows": "x"}, notebooks_dir=nbdir, reports_dir=rdir)
    assert not rdir.exists()  # nothing ran, nothing written
    assert coerce_parameters("tiny", {"rows": "5", "fail": "false"}, nbdir) == {
        "rows": 5,
        "fail": False,
    }


def test_success_then_failure_keeps_the_last_good_report(dirs):
    nbdir, rdir = dirs
    ok = run_report(
        "tiny", {"as_of": "2026-01-31", "rows": 4}, notebooks_dir=nbdir, reports_dir=rdir
    )
    good = rdir / "tiny" / "2026-01-31" / "report.html"
    assert ok.status == "ok" and good.exists()
    html_before = good.read_text()
    assert "<img" in html_before and "rows 4" in html_before
    assert "plt.plot" not in html_before  # code hidden
    with pytest.raises(ReportFailed) as exc:
        run_report(
            "tiny", {"as_of": "2026-01-31", "fail": True}, notebooks_dir=nbdir, reports_dir=rdir
        )
    rec = exc.value.record
    assert rec.status == "failed" and "boom" in rec.error
    failed = rdir / rec.failed_dir
    assert (failed / "report.ipynb").exists() and "boom" in (failed / "error.txt").read_text()
    assert good.read_text() == html_before  # last good report untouched
    ledger = read_ledger(rdir)
    assert ledger["status"].tolist() == ["ok", "failed"]
    first = ledger.iloc[0]
    assert (
        first["parameters"]["rows"] == 4
        and first["version"]
        and first["html"] == "tiny/2026-01-31/report.html"
    )
    index = (rdir / "index.html").read_text()
    assert "failed" in index and "boom" in index and 'href="tiny/2026-01-31/report.html"' in index
    assert (
        json.loads((rdir / "tiny" / "2026-01-31" / "run.json").read_text())["run_id"] == ok.run_id
    )


def test_relative_dates_are_pinned_in_the_ledger(dirs):
    nbdir, rdir = dirs
    rec = run_report(
        "tiny",
        {"as_of": "2 days ago", "period": "current quarter"},
        notebooks_dir=nbdir,
        reports_dir=rdir,
    )
    assert rec.parameters["as_of"][:4].isdigit() and "Q" in rec.parameters["period"]
    assert (rdir / "tiny" / rec.parameters["as_of"] / "report.html").exists()


def test_two_runs_at_once_do_not_clobber(dirs):
    nbdir, rdir = dirs
    with ThreadPoolExecutor(2) as pool:
        futs = [
            pool.submit(run_report, "tiny", {"rows": n}, notebooks_dir=nbdir, reports_dir=rdir)
            for n in (2, 5)
        ]
        recs = [f.result() for f in futs]
    assert {r.status for r in recs} == {"ok"}
    final = rdir / "tiny" / "2026-01-31"
    assert sorted(p.name for p in final.iterdir()) == [
        "parameters.yml",
        "report.html",
        "report.ipynb",
        "run.json",
    ]
    winner = json.loads((final / "run.json").read_text())["run_id"]
    assert winner in {r.run_id for r in recs}
    assert not any((rdir / "tiny" / ".work").iterdir())  # no leftovers
    assert len(read_ledger(rdir)) == 2


def test_schedule_file_and_due_logic(tmp_path, dirs):
    nbdir, rdir = dirs
    bad = tmp_path / "bad.yml"
    bad.write_text("reports:\n  - {name: a, notebook: tiny, cron: 'every day'}\n")
    with pytest.raises(ValueError, match="not a cron expression"):
        load_schedule(bad)
    good = tmp_path / "reports.yml"
    good.write_text(
        "reports:\n  - {name: yearly, notebook: tiny, cron: '0 0 1 1 *', parameters: {rows: 2}}\n"
    )
    sched = load_schedule(good)
    assert [e.name for e in due_entries(sched, "2026-11-23 08:00", rdir)] == ["yearly"]  # never ran
    run_report(
        "tiny", {"rows": 2}, name="yearly", schedule="yearly", notebooks_dir=nbdir, reports_dir=rdir
    )
    started = pd.Timestamp(read_ledger(rdir)["started"].iloc[0])
    # the last 1 January 00:00 before "now" is before the successful run: not due
    assert due_entries(sched, started + pd.Timedelta(seconds=1), rdir) == []
    # a year later a new 1 January has passed with no run since: due again
    assert [e.name for e in due_entries(sched, started + pd.DateOffset(years=1), rdir)] == [
        "yearly"
    ]


def test_cli_parameter_errors_exit_2():
    runner = CliRunner()
    res = runner.invoke(app, ["report", "run", "pipeline_health", "-p", "bogus=1"])
    assert res.exit_code == 2 and "no parameter 'bogus'" in res.output
    res = runner.invoke(app, ["report", "run", "pipeline_health", "-p", "lookback_days=soon"])
    assert res.exit_code == 2 and "expects int" in res.output
    res = runner.invoke(app, ["report", "list"])
    assert res.exit_code == 0 and "as_of" in res.output


def test_files_a_report_writes_land_beside_its_html(dirs):
    nbdir, rdir = dirs
    import nbformat

    nb = nbformat.read(nbdir / "tiny.ipynb", as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("open('artifact.txt', 'w').write('x')"))
    nbformat.write(nb, nbdir / "writer.ipynb")
    rec = run_report("writer", {}, notebooks_dir=nbdir, reports_dir=rdir)
    assert (rdir / "writer" / rec.parameters["as_of"] / "artifact.txt").exists()


def test_reuse_skips_a_run_whose_inputs_are_unchanged(dirs, small_org, tmp_path):
    """`run-all --reuse` (a second `make demo`): the same notebook, parameters and data give
    the last good run back; new data (another content fingerprint) or new parameters run."""
    from salesops_models.store import save_duckdb, store_fingerprint

    nbdir, rdir = dirs
    db = save_duckdb(small_org.crm, tmp_path / "org.duckdb")
    params = {"as_of": "2026-01-31", "rows": 3}
    first = run_report("tiny", params, notebooks_dir=nbdir, reports_dir=rdir, reuse=True)
    assert first.status == "ok" and first.extra["key"]
    again = run_report("tiny", params, notebooks_dir=nbdir, reports_dir=rdir, reuse=True)
    assert again.status == "reused" and again.extra["reused"] == first.run_id
    assert len(read_ledger(rdir)) == 1  # a reuse adds no run
    # without reuse it runs; with other parameters it runs
    assert run_report("tiny", params, notebooks_dir=nbdir, reports_dir=rdir).status == "ok"
    other = run_report(
        "tiny", {**params, "rows": 4}, notebooks_dir=nbdir, reports_dir=rdir, reuse=True
    )
    assert other.status == "ok"
    # the store's fingerprint is its content: the same org written again keeps it
    fp = store_fingerprint(db)
    save_duckdb(small_org.crm, db)
    assert store_fingerprint(db) == fp == small_org.crm.fingerprint()
    # a deleted report is not "reused"
    (rdir / other.html).unlink()
    rerun = run_report(
        "tiny", {**params, "rows": 4}, notebooks_dir=nbdir, reports_dir=rdir, reuse=True
    )
    assert rerun.status == "ok"


def test_the_reuse_key_follows_the_backtest_and_calibration_scores(tmp_path):
    """A report that shows the backtest or the calibration study is rerun when their scores
    change (`make backtest` / `make calibrate`), not reused."""
    from salesops_models.reports.engine import run_key

    nb = tmp_path / "forecast.ipynb"
    nb.write_text("{}")

    def key():
        return run_key(nb, {"source": str(tmp_path / "no.duckdb")}, root=tmp_path)

    seen = [key()]
    folder = tmp_path / "reports" / "forecast"
    folder.mkdir(parents=True)
    for name, text in [
        ("calibration_synthetic.csv", "a"),
        ("calibration_synthetic.csv", "b"),
        ("backtest_salesops.csv", "c"),
    ]:
        (folder / name).write_text(text)
        assert key() not in seen, name
        seen.append(key())
    (folder / "notes.txt").write_text("not an input")
    assert key() == seen[-1]
