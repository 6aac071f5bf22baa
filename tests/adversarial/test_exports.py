"""Nothing from the CRM becomes a live formula in a finance file (OWASP CSV injection)."""

from __future__ import annotations

import csv

import openpyxl
import pandas as pd
from hostile_files import FORMULAS
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from salesops_models.cli import app
from salesops_models.exports import (
    FORMULA_TRIGGERS,
    escape_controls,
    neutralize,
    restore,
    write_csv,
    write_excel,
)
from salesops_models.loaders import load_salesforce

runner = CliRunner()
PLAN = """
name: flat plan
period: quarter
ote: 120000
pay_mix: {base: 0.5, variable: 0.5}
measures:
  - name: bookings
    metric: bookings
    weight: 1.0
    quota: 100000
    rates: {method: marginal, tiers: [{from: 0, rate: 1.0}]}
"""


def live_formula(value) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_TRIGGERS)


def assert_no_formula_cells(xlsx):
    wb = openpyxl.load_workbook(xlsx)
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    assert cells
    assert not [c.coordinate for c in cells if c.data_type == "f"], "formula cells"
    text = [c.value for c in cells if isinstance(c.value, str)]
    assert not [v for v in text if live_formula(v)], "text starting a formula"
    return text


@given(st.text(max_size=30))
def test_neutralize_never_leaves_a_formula_and_is_reversible(s):
    out = neutralize(s)
    is_number = out == escape_controls(s) and not out.startswith("'")
    assert not live_formula(out) or is_number
    assert restore(out) == escape_controls(s)
    assert not any(ord(c) < 32 and c not in "\t\r\n" for c in out)


def test_numbers_written_as_text_stay_numbers():
    assert neutralize("-5000.00") == "-5000.00" and neutralize("+1.5e3") == "+1.5e3"
    assert neutralize("-5000.00 EUR") == "'-5000.00 EUR"


def test_writers_neutralize_every_text_cell(tmp_path):
    df = pd.DataFrame({"name": list(FORMULAS), "amount": [1.0] * len(FORMULAS)})
    df.index = list(FORMULAS)
    write_csv(df, tmp_path / "x.csv", index=True)
    rows = list(csv.reader(open(tmp_path / "x.csv", encoding="utf-8")))
    assert not [v for row in rows for v in row if live_formula(v)]
    write_excel({"=evil": df}, tmp_path / "x.xlsx", index=True)
    text = assert_no_formula_cells(tmp_path / "x.xlsx")
    assert "'" + FORMULAS[0] in text  # the payload is kept, visibly, as text


def test_statements_and_payroll_from_a_hostile_salesforce_load(sf_hostile, tmp_path):
    """Rep names from a Salesforce export (formulas, non-Latin scripts) through the CLI
    into statements.xlsx and payroll.csv: no live formula, every rep paid separately."""
    db = tmp_path / "s.duckdb"
    res = runner.invoke(app, ["data", "load", "salesforce", str(sf_hostile), "--db", str(db)])
    assert res.exit_code == 0, res.output
    plan = tmp_path / "plan.yml"
    plan.write_text(PLAN)
    out = tmp_path / "out"
    res = runner.invoke(
        app,
        ["comp", "statements", "--plan", str(plan), "--period", "2026-Q3", "--db", str(db)]
        + ["--out", str(out)],
    )
    assert res.exit_code == 0, res.output
    text = assert_no_formula_cells(out / "statements.xlsx")
    assert "'" + FORMULAS[0] in text and "王伟" in text
    with open(out / "payroll.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert not [v for r in rows for v in r.values() if live_formula(v)]
    assert len({r["rep_id"] for r in rows}) == 11  # 5 formula names + 6 non-Latin names
    # 60,000 booked x BCR 0.15 (15,000 quarterly target incentive / 100,000 quota) each
    assert sum(int(r["amount_cents"]) for r in rows) == 11 * 900_000


def test_quota_export_neutralizes_names(tmp_path):
    from salesops_models.capacity.quota import export_quotas

    q = pd.DataFrame(
        {"rep_id": ["r1", "r2"], "name": [FORMULAS[0], FORMULAS[1]], "annual_quota": [1.0, 2.0]}
    )
    export_quotas(q, tmp_path / "quotas.xlsx", {"note": FORMULAS[2]})
    assert_no_formula_cells(tmp_path / "quotas.xlsx")


def test_rejects_csv_and_folder_export_neutralize_and_round_trip(sf_hostile, tmp_path):
    from salesops_models.store import load_folder, save_folder

    r = load_salesforce(sf_hostile)
    save_folder(r.crm, tmp_path / "folder", "csv")
    for f in (tmp_path / "folder").glob("*.csv"):
        rows = list(csv.reader(open(f, encoding="utf-8")))
        assert not [v for row in rows for v in row if live_formula(v)], f.name
    back = load_folder(tmp_path / "folder")
    assert sorted(back.reps["name"]) == sorted(r.crm.reps["name"])  # exact round trip
