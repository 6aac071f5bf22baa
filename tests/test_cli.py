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
