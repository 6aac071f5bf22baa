"""``salesops data``: generate, load, push, pull, validate, quality, export, as-of."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from .. import config
from .common import DB_OPTION, cell, console, print_notes, show_progress, store_option, table, where

group = typer.Typer(
    help="CRM data: generate, load, validate, check quality, export.", no_args_is_help=True
)

WRITE_DB_HELP = "Store to write: a DuckDB file or a database URL"


@group.command("generate")
def generate(
    reps: int = typer.Option(config.SAMPLE_REPS, help="Number of AE seats."),
    years: float = typer.Option(config.SAMPLE_YEARS, help="Years of history."),
    seed: int = typer.Option(config.SAMPLE_SEED, help="Random seed (same seed, same org)."),
    end: str = typer.Option(config.SAMPLE_END_DATE, help="Last day of the history."),
    fiscal_start: int = typer.Option(
        config.FISCAL_YEAR_START_MONTH, help="First month of the fiscal year."
    ),
    db: str = typer.Option(
        str(config.DEFAULT_DB), "--db", help=WRITE_DB_HELP + ".", callback=store_option
    ),
    folder: Path | None = typer.Option(None, help="Also write the tables to this folder."),
    fmt: str = typer.Option("parquet", "--format", help="Folder format: parquet or csv."),
):
    """Generate the synthetic sales org (with ground truth) into the store."""
    from ..synthetic import generate_org

    org = generate_org(
        reps,
        years,
        seed,
        end_date=end,
        fiscal_year_start_month=fiscal_start,
        progress=show_progress(),
    )
    path = org.save(db)
    console.print(table(org.crm.summary(), "Synthetic org"))
    if folder:
        from ..store import save_folder

        save_folder(org.crm, folder, fmt)
        console.print(f"tables also written to {folder}")
    truth = "" if isinstance(path, str) else f" and {path.with_suffix('.truth.json').name}"
    console.print(f"store: [bold]{escape(where(path))}[/] (ground truth in truth_* tables{truth})")


def save_load(result, target, allow_empty: bool, rejects_csv) -> None:
    """Print an import's account (rows read = accepted + rejected, rejects by reason, notes),
    then write its store (and the rejects CSV)."""
    console.print(table(result.summary, "Load summary (rows read = accepted + rejected)"))
    if len(result.rejects):
        top = result.rejects.groupby(["table", "reason"]).size().rename("rows").reset_index()
        console.print(
            table(top.sort_values("rows", ascending=False).head(20), "Rejected rows by reason")
        )
    print_notes(result.notes)
    result.save(target, allow_empty=allow_empty)
    if rejects_csv:
        from ..exports import write_csv

        write_csv(result.rejects, rejects_csv)
    console.print(f"store: [bold]{escape(where(target))}[/] (rejects in table load_rejects)")
    print_next_steps(target)


#: What to run after a load, pointed at the new store.
NEXT_STEPS = (
    "salesops data quality",
    "salesops forecast run --target AMOUNT",
    "salesops health",
    "salesops report run pipeline_health",
    "salesops comp statements --plan plans/ae_day_one.yml --period 'current quarter'",
)


def print_next_steps(target) -> None:
    """After a load: how to point the next commands and reports at the new store."""
    import shlex

    quoted = shlex.quote(where(target))
    console.print(
        "next: point the commands and reports at this store (every date defaults to its last day):",
        highlight=False,
    )
    for line in (f"export {config.STORE_ENV}={quoted}", *NEXT_STEPS):
        console.print(f"  {escape(line)}", highlight=False, soft_wrap=True)
    console.print(
        f"  (or give each command --db {escape(quoted)}, each report -p source={escape(quoted)})",
        highlight=False,
        soft_wrap=True,
    )


@group.command("load")
def load(
    source: str = typer.Argument(..., help="salesforce | hubspot | maven | mapping"),
    path: Path | None = typer.Argument(
        None,
        help="Opportunity file or folder (salesforce), deals export (hubspot), folder (maven), YAML (mapping).",
    ),
    db: str | None = typer.Option(
        None,
        "--db",
        help=WRITE_DB_HELP + " (default: data/<source>.duckdb).",
        callback=store_option,
    ),
    history: Path | None = typer.Option(None, help="Salesforce OpportunityHistory.csv."),
    users: Path | None = typer.Option(None, help="Salesforce User.csv."),
    accounts: Path | None = typer.Option(None, help="Salesforce Account.csv."),
    tasks: Path | None = typer.Option(None, help="Salesforce Task.csv (activities)."),
    events: Path | None = typer.Option(None, help="Salesforce Event.csv (activities)."),
    activities: Path | None = typer.Option(
        None, help="HubSpot activities export (calls, emails, meetings, tasks)."
    ),
    rejects_csv: Path | None = typer.Option(None, help="Also write the rejected rows to this CSV."),
    allow_empty: bool = typer.Option(
        False, "--allow-empty", help="Allow a load with no opportunities to replace a store."
    ),
    columns: Path | None = typer.Option(
        None,
        "--columns",
        help="Salesforce/HubSpot: YAML naming the export's columns for workbench columns "
        "(reps: {team: UserRole.Name}) and its stage names (stages: {Demo: Discovery}).",
    ),
):
    """Import CRM data; prints the load summary (rows read = accepted + rejected)."""
    from ..loaders import default_store, load_source

    files = dict(history=history, users=users, accounts=accounts, tasks=tasks, events=events)
    result = load_source(source, path, activities=activities, columns=columns, **files)
    save_load(result, db if db else default_store(source, result), allow_empty, rejects_csv)


@group.command("push")
def push(
    url: str = typer.Option(
        ..., "--url", help="Database URL to write (postgresql://user@host/db)."
    ),
    db: str = DB_OPTION,
):
    """Copy a store (CRM and every other table) into a database, in one transaction; `--db URL`
    then reads it anywhere a DuckDB path is accepted."""
    from ..store import copy_store, is_database_url

    if not is_database_url(url):
        raise typer.BadParameter(f"not a database URL: {url!r} (e.g. postgresql://user@host/db)")
    crm, extra = copy_store(db, url)
    console.print(table(crm.summary(), "Pushed"))
    console.print(
        f"store: [bold]{escape(where(url))}[/] ({len(crm.tables)} CRM tables, "
        f"{len(extra)} more: {escape(', '.join(sorted(extra)) or 'none')})"
    )


@group.command("pull")
def pull(
    url: str = typer.Option(..., "--url", help="Database URL to read (postgresql://user@host/db)."),
    mapping: Path | None = typer.Option(
        None, help="YAML mapping of SQL queries onto the CRM tables (default: tables by name)."
    ),
    db: str | None = typer.Option(
        None,
        "--db",
        help="Store to write (default: data/<host>-<database>.duckdb).",
        callback=store_option,
    ),
    rejects_csv: Path | None = typer.Option(None, help="Also write the rejected rows to this CSV."),
    allow_empty: bool = typer.Option(
        False, "--allow-empty", help="Allow a pull with no opportunities to replace a store."
    ),
):
    """Import a warehouse's CRM tables with the importers' row checks (rows read = accepted +
    rejected); prints the load summary."""
    from ..loaders import load_mapping
    from ..loaders.warehouse import pull as pull_tables

    result = load_mapping(mapping, url=url) if mapping else pull_tables(url)
    target = db if db else config.DATA_DIR / f"{config.store_stem(url)}.duckdb"
    save_load(result, target, allow_empty, rejects_csv)


@group.command("validate")
def validate(db: str = DB_OPTION):
    """Check every table against the data model and the cross-table rules."""
    from ..store import load_store

    crm = load_store(db)
    console.print(table(crm.summary(), f"{db.name}"))
    problems = crm.validate()
    if len(problems):
        console.print(table(problems.head(30), f"{len(problems)} problems"))
        raise typer.Exit(1)
    console.print("[green]valid[/]: schemas, foreign keys and history all check out")


@group.command("quality")
def quality(
    db: str = DB_OPTION,
    as_of: str | None = typer.Option(None, help="As-of date (default: the last day in the data)."),
    stale_days: int = typer.Option(
        config.STALE_DAYS, help="Days without change that make a deal stale."
    ),
    by: str = typer.Option("team", help="Break down by 'team' or 'owner_rep_id'."),
    plot: Path | None = typer.Option(None, help="Write the quality chart (PNG) here."),
):
    """CRM data-quality scorecard: completeness, stale, past due, pushes, duplicates."""
    from .. import quality as q
    from ..store import load_store

    crm = load_store(db)
    console.print(table(q.hygiene_scorecard(crm, as_of, stale_days), "CRM hygiene scorecard"))
    console.print(table(q.completeness(crm, as_of), "Completeness of key fields (goal 95%)"))
    worst = q.quality_by(crm, as_of, by=by, stale_days=stale_days).head(15)
    console.print(table(worst, f"By {by} (worst first)"))
    if plot:
        fig = q.plots.plot_quality(crm, as_of, stale_days)
        plot.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(plot, dpi=110)
        console.print(f"chart: {plot}")


@group.command("export")
def export(
    folder: Path = typer.Argument(..., help="Folder to write."),
    db: str = DB_OPTION,
    fmt: str = typer.Option("parquet", "--format", help="parquet or csv"),
):
    """Write the store's tables to a folder of Parquet or CSV files."""
    from ..store import load_store, save_folder

    save_folder(load_store(db), folder, fmt)
    console.print(f"written: {folder}")


@group.command("as-of")
def as_of_cmd(
    date: str = typer.Argument(..., help="As-of date, e.g. 2026-06-30."),
    db: str = DB_OPTION,
    period: str | None = typer.Option(
        None, help="Only deals expected to close in this period (e.g. 2026-Q3)."
    ),
):
    """The open pipeline as it stood on a past date, by stage (computed in the store's
    database: the history is not loaded)."""
    from ..pipeline.pushdown import pipeline_by_stage

    by_stage = pipeline_by_stage(db, date, period)
    title = f"Open pipeline as of {date}" + (f", closing in {period}" if period else "")
    console.print(table(by_stage, title))


__all__ = ["cell", "group"]
