"""The warehouse path against a real PostgreSQL server (started here on a temporary directory
and a free port; Debian's `postgresql` package, installed by .ci/run), never a mock."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from salesops_models import pipeline as pl
from salesops_models.cli import app
from salesops_models.comp import read_comp_inputs
from salesops_models.crm import CRM
from salesops_models.loaders import load_mapping
from salesops_models.loaders.common import LoadError
from salesops_models.pipeline import pushdown
from salesops_models.sql_store import DatabaseURL, engine
from salesops_models.store import (
    load_duckdb,
    load_store,
    save_duckdb,
    save_store,
    save_tables,
    store_fingerprint,
)
from salesops_models.synthetic.hostile import hostile_crm
from salesops_models.warehouse.local_server import temporary_postgres

#: As-of moments across the fiscal-year boundary (a calendar year here; a February year in
#: the hostile test), a quarter end, and mid-quarter at a time of day.
MOMENTS = ["2024-12-31", "2025-01-01", "2025-06-30", "2025-11-14 09:30"]


@pytest.fixture(scope="module")
def pg():
    with temporary_postgres() as url:
        yield url


@pytest.fixture(scope="module")
def org_in_both(small_org, pg, tmp_path_factory):
    """The small org in a DuckDB file and in PostgreSQL (written with `save_store`)."""
    crm = small_org.crm
    db = save_duckdb(crm, tmp_path_factory.mktemp("wh") / "org.duckdb")
    save_store(crm, pg, {"truth_reps": small_org.truth["reps"]})
    return crm, db, pg


def test_a_crm_read_back_from_postgres_is_the_crm_written(org_in_both):
    crm, db, url = org_in_both
    back = load_store(url)
    assert back.fingerprint() == crm.fingerprint() == load_duckdb(db).fingerprint()
    assert store_fingerprint(url) == crm.fingerprint()
    assert back.fiscal_year_start_month == crm.fiscal_year_start_month
    for name, df in crm.tables.items():
        pd.testing.assert_frame_equal(back.tables[name], df, check_like=False)


@pytest.mark.parametrize("when", MOMENTS)
def test_pushed_down_snapshots_and_coverage_equal_pandas_on_duckdb_and_postgres(org_in_both, when):
    crm, db, url = org_in_both
    expected = crm.as_of(when)
    for source in (db, url):
        pd.testing.assert_frame_equal(pushdown.snapshot(source, when), expected)
        pd.testing.assert_frame_equal(
            pushdown.pipeline(source, when, "2025-Q3"), crm.pipeline(when, "2025-Q3")
        )
        for by in ("team", "segment", "region", None):
            got = pushdown.coverage(source, when, by=by)
            want = pl.coverage(crm, when, by=by)
            pd.testing.assert_frame_equal(got, want, check_dtype=False)
            assert got.attrs == want.attrs


def test_history_ties_keep_the_written_order(pg, small_org):
    """Two changes of one deal at the same instant: the later-written row is the state, in
    pandas, on DuckDB (rowid) and on PostgreSQL (_row), whatever the physical order."""
    crm = small_org.crm
    h = crm.opportunity_history.copy()
    oid = h["opportunity_id"].iloc[0]
    first = h[h["opportunity_id"] == oid].iloc[[0]]
    tie = first.assign(stage="Discovery", amount=first["amount"] * 2)
    h = pd.concat([h, tie], ignore_index=True)
    tied = CRM(**(crm.tables | {"opportunity_history": h}), meta=dict(crm.meta))
    url = pg.rsplit("/", 1)[0] + "/postgres"  # another database of the same server
    save_store(tied, url)
    when = first["changed_at"].iloc[0]
    want = tied.as_of(when).set_index("id").loc[oid]
    got = pushdown.snapshot(url, when).set_index("id").loc[oid]
    assert got["stage"] == want["stage"] == "Discovery"
    assert got["amount"] == want["amount"]


def test_hostile_text_round_trips_and_a_nul_is_refused_naming_the_cell(pg, small_org, tmp_path):
    evil = hostile_crm(small_org.crm)
    evil.fiscal_year_start_month = 2  # quarters Feb-Apr, ...: the database reads it from _meta
    url = pg.rsplit("/", 1)[0] + "/postgres"
    save_store(evil, url)
    back = load_store(url)
    assert back.fingerprint() == evil.fingerprint() and back.fiscal_year_start_month == 2
    for when in ("2025-01-31", "2025-02-01"):
        pd.testing.assert_frame_equal(pushdown.snapshot(url, when), evil.as_of(when))
        # quotas are calendar quarters, not these fiscal ones: a given target
        got = pushdown.coverage(url, when, target=5e6)
        want = pl.coverage(evil, when, target=5e6)
        pd.testing.assert_frame_equal(got, want, check_dtype=False)
        assert got.attrs == want.attrs
    with pytest.raises(ValueError, match="has no quotas for FY2025-Q4: give the target"):
        pushdown.coverage(url, "2025-01-31")  # pandas falls back to last year's bookings
    nul = evil.accounts.copy()
    nul.loc[3, "name"] = "Acme\x00Corp"
    bad = CRM(**(evil.tables | {"accounts": nul}), meta=dict(evil.meta))
    with pytest.raises(ValueError, match=r"accounts\.name row 4: a NUL character"):
        save_store(bad, url)
    # the failed write changed nothing (one transaction)
    assert load_store(url).fingerprint() == evil.fingerprint()


def test_comp_inputs_and_extra_tables_live_in_the_database_too(pg, small_org):
    url = pg.rsplit("/", 1)[0] + "/postgres"
    save_store(small_org.crm, url)
    adj = pd.DataFrame(
        {
            "opportunity_id": ["=cmd|' /C calc'!A0"],
            "event": ["cancelled"],
            "date": [pd.Timestamp("2025-03-01")],
        }
    )
    save_tables(url, {"comp_adjustments": adj})
    inputs, account = read_comp_inputs(url)
    assert inputs.adjustments is not None and len(inputs.adjustments) == 1
    assert inputs.adjustments["opportunity_id"].iloc[0] == "=cmd|' /C calc'!A0"
    assert "1 adjustments" in account


def _warehouse_tables(url: str, crm: CRM) -> None:
    """A warehouse's own schema: other table and column names, a few bad rows."""
    opp = crm.opportunities.rename(
        columns={"id": "deal_id", "amount": "value", "owner_rep_id": "owner"}
    ).head(200)
    opp = opp[["deal_id", "account_id", "owner", "created_date", "close_date", "value", "stage"]]
    bad = opp.iloc[:4].copy()
    bad["deal_id"] = ["BAD1", "BAD2", "BAD3", opp["deal_id"].iloc[5]]  # the last: a duplicate
    bad["stage"] = ["Won-ish", "Discovery", "Discovery", "Discovery"]  # unknown stage
    bad["owner"] = [bad["owner"].iloc[0], "NOBODY", bad["owner"].iloc[2], bad["owner"].iloc[3]]
    bad.iloc[2, bad.columns.get_loc("value")] = -5.0
    deals = pd.concat([opp, bad], ignore_index=True)
    ids = set(opp["deal_id"])
    changes = crm.opportunity_history[crm.opportunity_history["opportunity_id"].isin(ids)]
    changes = changes.rename(columns={"opportunity_id": "deal_id", "changed_at": "changed"})
    with engine(url).begin() as conn:
        conn.execute(sa.text("CREATE SCHEMA IF NOT EXISTS crm"))
    deals.to_sql("deals", engine(url), schema="crm", if_exists="replace", index=False)
    changes.to_sql("deal_changes", engine(url), schema="crm", if_exists="replace", index=False)
    crm.reps.to_sql("users", engine(url), schema="crm", if_exists="replace", index=False)


def test_pull_through_a_mapping_of_queries_accounts_for_every_row(pg, small_org, tmp_path):
    url = pg.rsplit("/", 1)[0] + "/postgres"
    _warehouse_tables(url, small_org.crm)
    mapping = tmp_path / "queries.yml"
    mapping.write_text(
        """
name: warehouse
tables:
  opportunities:
    query: SELECT * FROM crm.deals
    columns: {id: deal_id, account_id: account_id, owner_rep_id: owner,
              created_date: created_date, close_date: close_date, amount: value, stage: stage}
  opportunity_history:
    query: SELECT * FROM crm.deal_changes
    columns: {opportunity_id: deal_id, changed_at: changed, stage: stage, amount: amount,
              close_date: close_date}
  reps:
    query: SELECT * FROM crm.users WHERE role IS NOT NULL
    columns: {id: id, name: name, manager_id: manager_id, team: team, region: region,
              segment: segment, role: role}
"""
    )
    res = load_mapping(mapping, url=url)
    s = res.summary.set_index("table")
    assert (s["rows_read"] == s["rows_accepted"] + s["rows_rejected"]).all()
    assert s.loc["opportunities", "rows_read"] == 204
    rejects = res.rejects[res.rejects["table"] == "opportunities"]
    reasons = " | ".join(rejects["reason"].astype(str))
    assert s.loc["opportunities", "rows_rejected"] >= 4
    for needle in ("Won-ish", "NOBODY"):
        assert needle in " ".join(rejects["value"].astype(str)), reasons
    assert rejects["file"].str.contains("#opportunities").all()
    # the bad rows never reach the CRM
    assert not res.crm.opportunities["id"].isin(["BAD1", "BAD2", "BAD3"]).any()
    with pytest.raises(LoadError, match="query failed"):
        bad_sql = tmp_path / "bad.yml"
        bad_sql.write_text(
            "tables:\n  opportunities:\n    query: SELECT * FROM crm.nope\n"
            "    columns: {id: a, owner_rep_id: b, created_date: c, "
            "close_date: d, amount: e, stage: f, account_id: g}\n"
        )
        load_mapping(bad_sql, url=url)


def test_cli_takes_a_database_url_wherever_it_takes_a_store(org_in_both, tmp_path):
    crm, db, url = org_in_both
    runner = CliRunner()
    target = pg_db = url.rsplit("/", 1)[0] + "/postgres"
    out = runner.invoke(app, ["data", "push", "--db", str(db), "--url", target])
    assert out.exit_code == 0, out.output
    assert "truth" not in out.output  # the DuckDB file has no extra tables here
    out = runner.invoke(app, ["data", "validate", "--db", pg_db])
    assert out.exit_code == 0 and "valid" in out.output, out.output
    out = runner.invoke(app, ["data", "as-of", "2025-06-30", "--db", pg_db])
    assert out.exit_code == 0 and "Open pipeline" in out.output, out.output
    pulled = tmp_path / "pulled.duckdb"
    out = runner.invoke(app, ["data", "pull", "--url", pg_db, "--db", str(pulled)])
    assert out.exit_code == 0 and "rows read = accepted + rejected" in out.output, out.output
    assert load_duckdb(pulled).fingerprint() == crm.fingerprint()


def test_urls_are_shown_without_their_password():
    u = DatabaseURL("postgresql://ann:pa:ss@db.example.com/crm?sslmode=require")
    assert "pa:ss" not in u.name and u.stem == "db.example.com-crm"
    assert np.all([c.isalnum() or c in "-._" for c in u.stem])


def test_without_the_extras_nothing_changes_for_the_duckdb_user(tmp_path, small_org):
    """With sqlalchemy, psycopg, dask and distributed unimportable, the DuckDB store, the
    pushed-down as-of on DuckDB and the Monte Carlo without a scheduler work as before, and
    a URL or a scheduler says which extra to install."""
    import subprocess
    import sys

    db = save_duckdb(small_org.crm, tmp_path / "org.duckdb")
    code = f"""
import sys
for name in ("sqlalchemy", "psycopg", "dask", "distributed"):
    sys.modules[name] = None  # import fails, as without the extra
from salesops_models.store import load_store
from salesops_models.pipeline import pushdown
from salesops_models.distributed import map_ordered
crm = load_store({str(db)!r})
assert len(pushdown.snapshot({str(db)!r}, "2025-06-30")) == len(crm.as_of("2025-06-30"))
assert map_ordered(abs, [-1, 2]) == [1, 2]
for call in (lambda: load_store("postgresql://x@localhost/none"),
             lambda: map_ordered(abs, [1], scheduler="local:2")):
    try:
        call()
    except ImportError as exc:
        print("extra:", exc)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "warehouse extra" in out.stdout and "dask extra" in out.stdout, out.stdout
