"""Operator mistakes and killed processes: one-line errors with exit 2, plain names only,
outputs written together, ledgers and stores that survive torn writes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
import yaml
from hostile_files import sf_export
from typer.testing import CliRunner

from salesops_models import config
from salesops_models.cli import app

runner = CliRunner()
PLAN = config.PROJECT_ROOT / "plans" / "ae_accelerated.yml"


def one_line_error(res, code=2):
    assert res.exit_code == code, res.output
    assert "Traceback" not in res.output
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), res.output
    return lines[0]


@pytest.mark.parametrize(
    "old,new,expect",
    [
        ("rate: 3.0}", "rate: .inf}", "tiers[3].rate: must be a finite number"),
        ("rate: 3.0}", "rate: 1e300}", "not a plausible value"),
        ("rate: 3.0}", "rate: .nan}", "must be a finite number"),
        (
            "quota: quotas\n    rates:\n      method: marginal",
            "quota: .inf\n    rates:\n      method: marginal",
            "measures[0].quota: must be a finite number",
        ),
        (
            "version: 1\n",
            "version: 1\nversion: 2\n",
            "duplicate key 'version' (line 4; first at line 3)",
        ),
    ],
)
def test_plan_numbers_and_keys_are_checked_at_validation(tmp_path, old, new, expect):
    text = PLAN.read_text()
    assert old in text
    (tmp_path / "p.yml").write_text(text.replace(old, new))
    line = one_line_error(
        runner.invoke(app, ["comp", "validate", "--plan", str(tmp_path / "p.yml")])
    )
    assert expect in line


def test_plan_path_folder_or_latin1_is_one_line(tmp_path):
    assert "is a folder" in one_line_error(
        runner.invoke(app, ["comp", "validate", "--plan", str(tmp_path)])
    )
    (tmp_path / "l.yml").write_bytes(
        PLAN.read_text().replace("AE accelerated", "Café").encode("latin-1")
    )
    assert "not UTF-8" in one_line_error(
        runner.invoke(app, ["comp", "validate", "--plan", str(tmp_path / "l.yml")])
    )


def test_failed_statements_run_leaves_the_previous_outputs_together(tmp_path, monkeypatch):
    folder = sf_export(tmp_path / "sf", ["Ann", "Bo"], deals_per_rep=1)
    db = tmp_path / "s.duckdb"
    assert (
        runner.invoke(app, ["data", "load", "salesforce", str(folder), "--db", str(db)]).exit_code
        == 0
    )
    plan = tmp_path / "plan.yml"
    plan.write_text(
        "name: flat\nperiod: quarter\note: 120000\nmeasures:\n  - {name: b, metric: bookings, "
        "weight: 1.0, quota: 100000, rates: {tiers: [{from: 0, rate: 1.0}]}}\n"
    )
    out = tmp_path / "out"
    args = [
        "comp",
        "statements",
        "--plan",
        str(plan),
        "--period",
        "2026-Q3",
        "--db",
        str(db),
        "--out",
        str(out),
    ]
    assert runner.invoke(app, args).exit_code == 0

    def contents(folder):
        return {
            str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()
        }

    first = contents(out)
    assert {"statements.xlsx", "payroll.csv", "statements/index.html"} <= set(first)
    assert runner.invoke(app, args).exit_code == 0  # a second run replaces the statements folder
    before = contents(out)
    assert set(before) == set(first) and before["payroll.csv"] == first["payroll.csv"]
    from salesops_models.comp import statements

    def boom(self, path):
        raise RuntimeError("disk full while writing payroll")

    monkeypatch.setattr(statements.StatementResult, "to_csv", boom)
    res = runner.invoke(app, args)
    assert res.exit_code == 3 and "internal error" in res.output
    assert contents(out) == before  # statements.xlsx was not replaced by a lone new file


def test_health_gate_trips_on_an_errored_metric_and_rejects_bad_bands(tmp_path, small_org):
    db = small_org.save(tmp_path / "org.duckdb")
    bands = yaml.safe_load((config.PROJECT_ROOT / "health_bands.yml").read_text())
    bands["pipeline_hygiene"]["stale_days"] = "thirty"
    (tmp_path / "b1.yml").write_text(yaml.safe_dump(bands))
    line = one_line_error(
        runner.invoke(app, ["health", "--db", str(db), "--bands", str(tmp_path / "b1.yml")])
    )
    assert "pipeline_hygiene.stale_days: expected a number, got 'thirty'" in line
    (tmp_path / "b2.yml").write_text(
        (config.PROJECT_ROOT / "health_bands.yml")
        .read_text()
        .replace("healthy: [3.0, 4.0]", "healthy: [.nan, .nan]")
    )
    line = one_line_error(
        runner.invoke(app, ["health", "--db", str(db), "--bands", str(tmp_path / "b2.yml")])
    )
    assert "pipeline_coverage.healthy: expected a finite number" in line
    res = runner.invoke(app, ["health", "--db", str(db), "--fail-on", "bogus"])
    assert res.exit_code == 2 and "watch or act" in res.output


def test_errored_metric_trips_the_gate(tmp_path, small_org, monkeypatch):
    from salesops_models.health import metrics

    def broken(*a, **k):
        raise RuntimeError("metric blew up")

    monkeypatch.setitem(metrics.METRIC_FUNCTIONS, "win_rate", broken)
    db = small_org.save(tmp_path / "org.duckdb")
    res = runner.invoke(app, ["health", "--db", str(db), "--plan", "", "--fail-on", "act"])
    assert res.exit_code == 1 and "win_rate" in res.output.split("tripped by:")[-1]


@pytest.mark.parametrize(
    "args",
    [
        ["../../evil"],
        ["health", "--name", "../x"],
        ["health", "--name", "/abs/path"],
        ["../notebooks/health"],
    ],
)
def test_report_and_output_names_are_plain(args):
    line = one_line_error(runner.invoke(app, ["report", "run", *args]))
    assert "not a plain name" in line


def test_reference_garbage_is_a_usage_error():
    line = one_line_error(
        runner.invoke(app, ["report", "run", "health", "-p", "reference=garbage"])
    )
    assert "'reference'" in line


def test_truncated_ledger_line_is_skipped_and_the_next_append_is_whole(tmp_path):
    from salesops_models.jsonl import append_jsonl, read_jsonl
    from salesops_models.reports import read_ledger
    from salesops_models.reports.index import write_index

    path = tmp_path / "runs.jsonl"
    append_jsonl(path, {"run_id": "a", "name": "x", "status": "ok", "started": "1"})
    with open(path, "a") as fh:
        fh.write('{"run_id": "b", "name": "y", "sta')  # killed mid-write
    append_jsonl(path, {"run_id": "c", "name": "z", "status": "ok", "started": "2"})
    rows, problems = read_jsonl(path)
    assert [r["run_id"] for r in rows] == ["a", "c"]
    assert len(problems) == 1 and problems[0].startswith("runs.jsonl line 2: not JSON")
    assert len(read_ledger(tmp_path)) == 2
    html = write_index(tmp_path).read_text()
    assert "line 2" in html and html.count("<tr class=") == 2


def test_forecast_ledger_survives_a_torn_line(tmp_path):
    from salesops_models.forecast import ledger

    path = tmp_path / "l.jsonl"
    path.write_text('{"source": "s", "period": "2026-Q3", "P50": 1\n{"broken')
    df = ledger.read(path)
    assert len(df) == 0 and len(df.attrs["problems"]) == 2


def test_killed_store_write_leaves_no_temporaries_after_the_next_write(tmp_path):
    """A process killed while writing the store leaves its temporary file; the next write
    removes it, and the old store is byte-identical."""
    from salesops_models.store import save_duckdb
    from salesops_models.synthetic import generate_org

    db = tmp_path / "s.duckdb"
    crm = generate_org(n_reps=4, years=1, seed=1).crm
    save_duckdb(crm, db)
    before = db.read_bytes()
    code = (
        "import sys, time, duckdb, os\n"
        "from salesops_models.store import save_duckdb\n"
        "import salesops_models.store as s\n"
        "orig = os.replace\n"
        "def hang(a, b):\n    time.sleep(60)\n"
        "s.os.replace = hang\n"
        "from salesops_models.synthetic import generate_org\n"
        f"save_duckdb(generate_org(n_reps=4, years=1, seed=2).crm, {str(db)!r})\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code])
    deadline = time.time() + 60
    while time.time() < deadline and not list(tmp_path.glob("*.tmp.duckdb")):
        time.sleep(0.2)
    time.sleep(1.0)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert list(tmp_path.glob("*.tmp.duckdb*")), "the killed writer left its temporary"
    assert db.read_bytes() == before
    save_duckdb(crm, tmp_path / "other.duckdb")  # any next write in the folder cleans up
    assert not list(tmp_path.glob("*.tmp.duckdb*"))


def test_killed_report_run_work_folder_is_cleaned_next_run(tmp_path, fixtures):
    from salesops_models.reports import run_report

    nbdir, rdir = fixtures / "notebooks", tmp_path / "reports"
    stale = rdir / "tiny" / ".work" / "20200101T000000-dead00"
    stale.mkdir(parents=True)
    (stale / ".pid").write_text("999999999")  # a process that does not exist
    run_report("tiny", {"rows": 2}, notebooks_dir=nbdir, reports_dir=rdir)
    assert not stale.exists()


def test_load_writes_to_the_source_store_and_says_where(tmp_path, monkeypatch):
    from salesops_models.loaders import sources

    folder = sf_export(tmp_path / "sf", ["Ann"], deals_per_rep=1)
    monkeypatch.setitem(sources.SOURCE_STORES, "salesforce", tmp_path / "salesforce.duckdb")
    res = runner.invoke(app, ["data", "load", "salesforce", str(folder)])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "salesforce.duckdb").exists()
    assert "salesforce.duckdb" in res.output.replace("\n", "")
    assert sources.default_store("hubspot").name == "hubspot.duckdb"
    assert sources.default_store("maven") == config.MAVEN_DB


def test_rich_markup_and_escapes_in_crm_text_print_literally(tmp_path):
    folder = sf_export(tmp_path / "sf", ["[/bold] [red]x[/red]", "Bo"], deals_per_rep=1)
    db = tmp_path / "s.duckdb"
    res = runner.invoke(app, ["data", "load", "salesforce", str(folder), "--db", str(db)])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["data", "as-of", "2026-08-01", "--db", str(db)])
    assert res.exit_code == 0, res.output


def test_debug_shows_the_traceback(tmp_path):
    res = runner.invoke(app, ["--debug", "comp", "validate", "--plan", str(tmp_path)])
    assert res.exit_code != 0 and res.exception is not None


def test_killed_outputs_run_folder_is_cleaned_by_the_next_run(tmp_path):
    """A `comp statements` run killed mid-write leaves `.run-<pid>-*`; the next run removes it
    (a live run's folder is kept)."""
    from salesops_models.exports import outputs_together

    dead = tmp_path / ".run-999999999-abc"
    live = tmp_path / f".run-{os.getpid()}-keep"
    dead.mkdir()
    live.mkdir()
    with outputs_together(tmp_path) as tmp:
        (tmp / "payroll.csv").write_text("x")
    assert not dead.exists() and live.exists() and (tmp_path / "payroll.csv").exists()
