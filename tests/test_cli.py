from typer.testing import CliRunner

from salesops_models.cli import app

runner = CliRunner()


def test_help_on_every_command():
    for args in (
        ["--help"],
        ["data", "--help"],
        ["data", "generate", "--help"],
        ["data", "load", "--help"],
        ["data", "validate", "--help"],
        ["data", "quality", "--help"],
        ["data", "export", "--help"],
        ["data", "as-of", "--help"],
    ):
        res = runner.invoke(app, args)
        assert res.exit_code == 0, (args, res.output)
        assert "Usage" in res.output


def test_generate_validate_quality(tmp_path):
    db = tmp_path / "s.duckdb"
    res = runner.invoke(app, ["data", "generate", "--reps", "8", "--years", "1", "--db", str(db)])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["data", "validate", "--db", str(db)])
    assert res.exit_code == 0 and "valid" in res.output
    res = runner.invoke(
        app, ["data", "quality", "--db", str(db), "--plot", str(tmp_path / "q.png")]
    )
    assert res.exit_code == 0, res.output
    assert (tmp_path / "q.png").stat().st_size > 10_000
    res = runner.invoke(app, ["data", "as-of", "2026-06-30", "--db", str(db)])
    assert res.exit_code == 0 and "Prospecting" in res.output


def test_load_error_exits_2_with_the_file_named(tmp_path):
    bad = tmp_path / "Opportunity.csv"
    bad.write_text("Id,Name\n1,x\n")
    res = runner.invoke(
        app, ["data", "load", "salesforce", str(bad), "--db", str(tmp_path / "x.duckdb")]
    )
    assert res.exit_code == 2
    assert "Opportunity.csv" in res.output and "AccountId" in res.output


def test_comp_commands(tmp_path):
    from salesops_models.config import PROJECT_ROOT

    db = tmp_path / "s.duckdb"
    assert (
        runner.invoke(
            app, ["data", "generate", "--reps", "8", "--years", "1", "--db", str(db)]
        ).exit_code
        == 0
    )
    plan = PROJECT_ROOT / "plans" / "ae_standard.yml"
    res = runner.invoke(app, ["comp", "validate", "--plan", str(plan)])
    assert res.exit_code == 0 and "valid" in res.output
    res = runner.invoke(
        app,
        [
            "comp",
            "statements",
            "--plan",
            str(plan),
            "--period",
            "2026-Q2",
            "--db",
            str(db),
            "--out",
            str(tmp_path / "out"),
        ],
    )
    assert res.exit_code == 0, res.output
    import pandas as pd

    payroll = pd.read_csv(tmp_path / "out" / "payroll.csv", dtype={"amount": str})
    assert (
        len(payroll)
        and (
            payroll["amount_cents"] == (payroll["amount"].astype(float) * 100).round().astype(int)
        ).all()
    )
    xl = pd.read_excel(tmp_path / "out" / "statements.xlsx", sheet_name=None)
    assert {"Totals", "Lines", "Notes"} <= set(xl)
    bad = tmp_path / "bad.yml"
    bad.write_text(plan.read_text().replace("rate: 1.8", "rate: -1.8"))
    res = runner.invoke(app, ["comp", "validate", "--plan", str(bad)])
    assert res.exit_code == 2 and "measures[0].rates.tiers[2].rate: must be >= 0" in res.output


def test_forecast_commands_help_and_bad_points(tmp_path):
    for args in (
        ["forecast", "--help"],
        ["forecast", "run", "--help"],
        ["forecast", "backtest", "--help"],
        ["forecast", "ledger", "--help"],
        ["forecast", "calibrate", "--help"],
        ["health", "--help"],
    ):
        res = runner.invoke(app, args)
        assert res.exit_code == 0 and "Usage" in res.output, (args, res.output)
    db = tmp_path / "s.duckdb"
    runner.invoke(app, ["data", "generate", "--reps", "6", "--years", "1", "--db", str(db)])
    res = runner.invoke(app, ["forecast", "backtest", "--db", str(db), "--points", "week four"])
    assert res.exit_code == 2 and "--points" in res.output
    res = runner.invoke(app, ["forecast", "ledger", "--db", str(db)])
    assert res.exit_code == 0 and "no scored forecasts" in res.output
    for seeds in ("7,eleven", ",", "7,-1", "7,11,7"):
        res = runner.invoke(app, ["forecast", "calibrate", "--seeds", seeds])
        assert res.exit_code == 2 and "--seeds" in res.output, res.output


def test_health_command_prints_grades_writes_json_and_can_fail_a_pipeline(tmp_path):
    import json

    db = tmp_path / "org.duckdb"
    runner.invoke(app, ["data", "generate", "--reps", "12", "--years", "3", "--db", str(db)])
    out = tmp_path / "health.json"
    res = runner.invoke(app, ["health", "--db", str(db), "--json", str(out)])
    assert res.exit_code == 0, res.output
    assert "Quota attainment" in res.output and "Pipeline hygiene" in res.output
    doc = json.loads(out.read_text())
    from salesops_models.health.bands import METRICS

    assert len(doc["metrics"]) == len(METRICS) == 14
    flagged = any(m["status"] in ("watch", "act") for m in doc["metrics"])
    res = runner.invoke(app, ["health", "--db", str(db), "--fail-on", "watch"])
    assert res.exit_code == (1 if flagged else 0)


def test_run_all_can_leave_out_reports_whose_store_is_missing(tmp_path):
    """`make demo` in a clone without the Maven sample beside it: the Maven reports are
    listed as skipped instead of failing; a store that exists and a database URL are kept."""
    from salesops_models.reports import load_schedule, with_stores

    (tmp_path / "here.duckdb").write_bytes(b"")
    sched = tmp_path / "reports.yml"
    sched.write_text(
        "reports:\n"
        f"  - {{name: here, notebook: tiny, cron: '0 6 * * 1', parameters: {{source: {tmp_path / 'here.duckdb'}}}}}\n"
        f"  - {{name: gone, notebook: tiny, cron: '0 6 * * 1', parameters: {{source: {tmp_path / 'gone.duckdb'}}}}}\n"
        "  - {name: pg, notebook: tiny, cron: '0 6 * * 1', parameters: {source: 'postgresql://u@h/db'}}\n"
    )
    kept, skipped = with_stores(load_schedule(sched).reports)
    assert [e.name for e in kept] == ["here", "pg"]
    assert [(e.name, path.name) for e, path in skipped] == [("gone", "gone.duckdb")]
