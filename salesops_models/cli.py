"""``salesops`` command line, grouped by subject (``salesops data ...``)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from . import config

app = typer.Typer(help="Sales-operations workbench.", no_args_is_help=True, add_completion=False)
data_app = typer.Typer(
    help="CRM data: generate, load, validate, check quality, export.", no_args_is_help=True
)
app.add_typer(data_app, name="data")
console = Console()

DB_OPTION = typer.Option(config.DEFAULT_DB, "--db", help="DuckDB store to read/write.")


def _table(df, title: str) -> Table:
    t = Table(title=title, show_lines=False)
    for c in df.columns:
        t.add_column(str(c))
    for row in df.itertuples(index=False):
        t.add_row(*[f"{v:.3f}" if isinstance(v, float) else str(v) for v in row])
    return t


@data_app.command("generate")
def generate(
    reps: int = typer.Option(config.SAMPLE_REPS, help="Number of AE seats."),
    years: float = typer.Option(config.SAMPLE_YEARS, help="Years of history."),
    seed: int = typer.Option(config.SAMPLE_SEED, help="Random seed (same seed, same org)."),
    end: str = typer.Option(config.SAMPLE_END_DATE, help="Last day of the history."),
    fiscal_start: int = typer.Option(
        config.FISCAL_YEAR_START_MONTH, help="First month of the fiscal year."
    ),
    db: Path = DB_OPTION,
    folder: Path | None = typer.Option(None, help="Also write the tables to this folder."),
    fmt: str = typer.Option("parquet", "--format", help="Folder format: parquet or csv."),
):
    """Generate the synthetic sales org (with ground truth) into the store."""
    from .synthetic import generate_org

    org = generate_org(
        reps, years, seed, end_date=end, fiscal_year_start_month=fiscal_start, progress=True
    )
    path = org.save(db)
    console.print(_table(org.crm.summary(), "Synthetic org"))
    if folder:
        from .store import save_folder

        save_folder(org.crm, folder, fmt)
        console.print(f"tables also written to {folder}")
    console.print(
        f"store: [bold]{path}[/] (ground truth in truth_* tables and {path.with_suffix('.truth.json').name})"
    )


@data_app.command("load")
def load(
    source: str = typer.Argument(..., help="salesforce | hubspot | maven | mapping"),
    path: Path | None = typer.Argument(
        None,
        help="Opportunity file or folder (salesforce), deals export (hubspot), folder (maven), YAML (mapping).",
    ),
    db: Path = typer.Option(config.MAVEN_DB, "--db", help="DuckDB store to write."),
    history: Path | None = typer.Option(None, help="Salesforce OpportunityHistory.csv."),
    users: Path | None = typer.Option(None, help="Salesforce User.csv."),
    accounts: Path | None = typer.Option(None, help="Salesforce Account.csv."),
    rejects_csv: Path | None = typer.Option(None, help="Also write the rejected rows to this CSV."),
):
    """Import CRM data; prints the load summary (rows read = accepted + rejected)."""
    from .loaders import LoadError, load_hubspot, load_mapping, load_maven, load_salesforce

    try:
        if source == "salesforce":
            if path is None:
                raise typer.BadParameter(
                    "salesforce needs the Opportunity.csv file or an export folder"
                )
            result = load_salesforce(path, history=history, users=users, accounts=accounts)
        elif source == "hubspot":
            if path is None:
                raise typer.BadParameter("hubspot needs the deals export file")
            result = load_hubspot(path)
        elif source == "maven":
            result = load_maven(path or config.MAVEN_DIR)
        elif source == "mapping":
            if path is None:
                raise typer.BadParameter("mapping needs the YAML mapping file")
            result = load_mapping(path)
        else:
            raise typer.BadParameter(
                f"unknown source {source!r}: use salesforce, hubspot, maven or mapping"
            )
    except LoadError as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from exc
    console.print(_table(result.summary, "Load summary (rows read = accepted + rejected)"))
    if len(result.rejects):
        top = result.rejects.groupby(["table", "reason"]).size().rename("rows").reset_index()
        console.print(
            _table(top.sort_values("rows", ascending=False).head(20), "Rejected rows by reason")
        )
    for note in result.notes:
        console.print(f"- {note}")
    result.save(db)
    if rejects_csv:
        result.rejects.to_csv(rejects_csv, index=False)
    console.print(f"store: [bold]{db}[/] (rejects in table load_rejects)")


@data_app.command("validate")
def validate(db: Path = DB_OPTION):
    """Check every table against the data model and the cross-table rules."""
    from .store import load_duckdb

    crm = load_duckdb(db)
    console.print(_table(crm.summary(), f"{db.name}"))
    problems = crm.validate()
    if len(problems):
        console.print(_table(problems.head(30), f"{len(problems)} problems"))
        raise typer.Exit(1)
    console.print("[green]valid[/]: schemas, foreign keys and history all check out")


@data_app.command("quality")
def quality(
    db: Path = DB_OPTION,
    as_of: str | None = typer.Option(None, help="As-of date (default: the last day in the data)."),
    stale_days: int = typer.Option(
        config.STALE_DAYS, help="Days without change that make a deal stale."
    ),
    by: str = typer.Option("team", help="Break down by 'team' or 'owner_rep_id'."),
    plot: Path | None = typer.Option(None, help="Write the quality chart (PNG) here."),
):
    """CRM data-quality scorecard: completeness, stale, past due, pushes, duplicates."""
    from . import quality as q
    from .store import load_duckdb

    crm = load_duckdb(db)
    console.print(_table(q.scorecard(crm, as_of, stale_days), "CRM hygiene scorecard"))
    console.print(_table(q.completeness(crm, as_of), "Completeness of key fields (goal 95%)"))
    console.print(
        _table(
            q.quality_by(crm, as_of, by=by, stale_days=stale_days).head(15),
            f"By {by} (worst first)",
        )
    )
    if plot:
        fig = q.plot_quality(crm, as_of, stale_days)
        plot.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(plot, dpi=110)
        console.print(f"chart: {plot}")


@data_app.command("export")
def export(
    folder: Path = typer.Argument(..., help="Folder to write."),
    db: Path = DB_OPTION,
    fmt: str = typer.Option("parquet", "--format", help="parquet or csv"),
):
    """Write the store's tables to a folder of Parquet or CSV files."""
    from .store import load_duckdb, save_folder

    save_folder(load_duckdb(db), folder, fmt)
    console.print(f"written: {folder}")


@data_app.command("as-of")
def as_of_cmd(
    date: str = typer.Argument(..., help="As-of date, e.g. 2026-06-30."),
    db: Path = DB_OPTION,
    period: str | None = typer.Option(
        None, help="Only deals expected to close in this period (e.g. 2026-Q3)."
    ),
):
    """The open pipeline as it stood on a past date, by stage."""
    from .store import load_duckdb

    crm = load_duckdb(db)
    pipe = crm.pipeline(date, period)
    from .schema import STAGE_ORDER

    by_stage = (
        pipe.groupby("stage").agg(deals=("id", "size"), amount=("amount", "sum")).reset_index()
    )
    by_stage = by_stage.sort_values("stage", key=lambda s: s.map(STAGE_ORDER))
    console.print(
        _table(
            by_stage, f"Open pipeline as of {date}" + (f", closing in {period}" if period else "")
        )
    )


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
