"""``salesops`` command line, grouped by subject (``salesops data ...``).

Exit codes: 0 ok; 1 a check tripped (``health --fail-on``, ``data validate``, a failed
report run); 2 a usage or input error a user can fix (bad option, unreadable file, invalid
plan or band file), printed as one line; 3 an internal error (a bug), printed as one line.
``--debug`` (before the command) shows the traceback instead.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from typer.core import TyperGroup

from . import config
from .errors import SalesOpsError
from .exports import escape_controls

_STATE = {"debug": False}


def _show_progress() -> bool:
    """Progress bars only where a person watches: a terminal, not a log file or a pipe
    (a cron run's log would fill with redrawn bars)."""
    return sys.stderr.isatty()


def _user_errors() -> tuple[type[BaseException], ...]:
    """Exceptions that mean bad input or usage (exit 2), not a bug."""
    import yaml

    from .errors import SalesOpsError

    return (
        SalesOpsError,
        FileNotFoundError,
        IsADirectoryError,
        NotADirectoryError,
        PermissionError,
        UnicodeDecodeError,
        yaml.YAMLError,
        UserInputError,
    )


class UserInputError(SalesOpsError, ValueError):
    """A value given on the command line that cannot be used (exit 2, one line)."""


def one_line(exc: BaseException) -> str:
    """An exception as one printable line (control characters made visible)."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return escape_controls(text)


def _click_exceptions() -> tuple[type[BaseException], ...]:
    """Click's own exceptions (usage errors, exits, aborts) from whichever click typer uses."""
    out: list[type[BaseException]] = [typer.Exit, typer.Abort, SystemExit, KeyboardInterrupt]
    for mod in ("click.exceptions", "typer._click.exceptions"):
        try:
            m = __import__(mod, fromlist=["ClickException"])
        except ImportError:
            continue
        out += [getattr(m, n) for n in ("ClickException", "Exit", "Abort") if hasattr(m, n)]
    return tuple(out)


_PASS_THROUGH = _click_exceptions()


class _Group(TyperGroup):
    """Turns every error a user can cause into one line with exit code 2 (3 for a bug)."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except _PASS_THROUGH:
            raise
        except Exception as exc:
            if _STATE["debug"]:
                raise
            if isinstance(exc, _user_errors()):
                console.print(
                    f"[red]error:[/] {escape(one_line(exc))}", highlight=False, soft_wrap=True
                )
                raise typer.Exit(2) from None
            console.print(
                f"[red]internal error:[/] {escape(type(exc).__name__)}: {escape(one_line(exc))} "
                "(run `salesops --debug ...` for the traceback)",
                highlight=False,
                soft_wrap=True,
            )
            raise typer.Exit(3) from None


app = typer.Typer(
    help="Sales-operations workbench.",
    no_args_is_help=True,
    add_completion=False,
    cls=_Group,
    pretty_exceptions_enable=False,
)


@app.callback()
def _main(
    debug: bool = typer.Option(
        False, "--debug", help="Show tracebacks instead of one-line errors."
    ),
):
    """Sales-operations workbench."""
    _STATE["debug"] = debug


data_app = typer.Typer(
    help="CRM data: generate, load, validate, check quality, export.", no_args_is_help=True
)
app.add_typer(data_app, name="data")
report_app = typer.Typer(
    help="Recurring reports: list, run, run-due, run-all, index.", no_args_is_help=True
)
app.add_typer(report_app, name="report")
console = Console(width=None if sys.stdout.isatty() else 160)  # a log is not cut at 80

DB_OPTION = typer.Option(
    None,
    "--db",
    help="Store to read: a DuckDB file or a database URL (postgresql://user@host/db); "
    f"default ${config.STORE_ENV}, else the sample org data/salesops.duckdb.",
    callback=lambda v: _store(v if v is not None else config.current_store()),
    show_default=False,
)


#: the forecast's sampler settings on the command line (None: the model's defaults)
DRAWS_OPTION = typer.Option(
    None, help="Posterior draws per chain (default: the model's, 2 chains x 2,000)."
)
TUNE_OPTION = typer.Option(
    None, help="Tuning steps per chain (default: the model's, 300; doubled on a retry)."
)

SCHEDULER_OPTION = typer.Option(
    None,
    "--scheduler",
    help="Run the tasks on Dask: local, local:N (N worker processes) or a scheduler address "
    "(tcp://host:8786). Same seed, same numbers.",
)


def _store(value):
    """A ``--db`` value: a DuckDB path or a database URL (kept whole: a Path would fold the
    ``//`` of ``postgresql://``)."""
    from .store import resolve_store

    return resolve_store(value) if value is not None else None


def _cell(v) -> str:
    """A table cell for the terminal: CRM text shown literally (no rich markup, no control
    characters reaching the terminal); amounts with thousands separators and no decimals
    from 1,000 up, smaller numbers (rates) with two decimals, dates without a midnight."""
    import pandas as pd

    from .reports.context import readable_number

    if isinstance(v, float):
        text = "" if v != v else readable_number(v)
    elif isinstance(v, pd.Timestamp):
        text = str(v.date()) if v == v.normalize() else str(v)
    else:
        text = str(v)
    return escape(escape_controls(text))


def _table(df, title: str) -> Table:
    t = Table(title=escape(title), show_lines=False)
    for c in df.columns:
        t.add_column(_cell(c))
    for row in df.itertuples(index=False):
        t.add_row(*[_cell(v) for v in row])
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
    db: str = typer.Option(
        str(config.DEFAULT_DB),
        "--db",
        help="Store to write: a DuckDB file or a database URL.",
        callback=lambda v: _store(v),
    ),
    folder: Path | None = typer.Option(None, help="Also write the tables to this folder."),
    fmt: str = typer.Option("parquet", "--format", help="Folder format: parquet or csv."),
):
    """Generate the synthetic sales org (with ground truth) into the store."""
    from .synthetic import generate_org

    org = generate_org(
        reps,
        years,
        seed,
        end_date=end,
        fiscal_year_start_month=fiscal_start,
        progress=_show_progress(),
    )
    path = org.save(db)
    console.print(_table(org.crm.summary(), "Synthetic org"))
    if folder:
        from .store import save_folder

        save_folder(org.crm, folder, fmt)
        console.print(f"tables also written to {folder}")
    truth = "" if isinstance(path, str) else f" and {path.with_suffix('.truth.json').name}"
    console.print(f"store: [bold]{escape(_where(path))}[/] (ground truth in truth_* tables{truth})")


def _where(store) -> str:
    """A store as the terminal shows it: the path, or the URL without its password."""
    from .warehouse.sql_store import is_database_url, redact

    return redact(str(store)) if is_database_url(store) else str(store)


#: Where ``salesops data load SOURCE`` writes by default: the source's own store.
SOURCE_STORES = {
    "salesforce": config.DATA_DIR / "salesforce.duckdb",
    "hubspot": config.DATA_DIR / "hubspot.duckdb",
    "maven": config.MAVEN_DB,
}


def default_store(source: str, result=None) -> Path:
    """The store a source loads into when ``--db`` is not given (mapping: its ``name``)."""
    if source in SOURCE_STORES:
        return SOURCE_STORES[source]
    import re

    name = str((result.crm.meta.get("source") if result else None) or source)
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-.") or "mapping"
    return config.DATA_DIR / f"{stem}.duckdb"


def _save_load(result, target, allow_empty: bool, rejects_csv) -> None:
    """Print an import's account (rows read = accepted + rejected, rejects by reason, notes),
    then write its store (and the rejects CSV)."""
    console.print(_table(result.summary, "Load summary (rows read = accepted + rejected)"))
    if len(result.rejects):
        top = result.rejects.groupby(["table", "reason"]).size().rename("rows").reset_index()
        console.print(
            _table(top.sort_values("rows", ascending=False).head(20), "Rejected rows by reason")
        )
    for note in result.notes:
        console.print(f"- {_cell(note)}", highlight=False)
    result.save(target, allow_empty=allow_empty)
    if rejects_csv:
        from .exports import write_csv

        write_csv(result.rejects, rejects_csv)
    console.print(f"store: [bold]{escape(_where(target))}[/] (rejects in table load_rejects)")
    _print_next_steps(target)


def _print_next_steps(target) -> None:
    """After a load: how to point the next commands and reports at the new store."""
    import shlex

    where = shlex.quote(_where(target))
    console.print(
        "next: point the commands and reports at this store (every date defaults to its last day):",
        highlight=False,
    )
    for line in (
        f"export {config.STORE_ENV}={where}",
        "salesops data quality",
        "salesops forecast run --target AMOUNT",
        "salesops health",
        "salesops report run pipeline_health",
        "salesops comp statements --plan plans/ae_day_one.yml --period 'current quarter'",
    ):
        console.print(f"  {escape(line)}", highlight=False, soft_wrap=True)
    console.print(
        f"  (or give each command --db {escape(where)}, each report -p source={escape(where)})",
        highlight=False,
        soft_wrap=True,
    )


@data_app.command("load")
def load(
    source: str = typer.Argument(..., help="salesforce | hubspot | maven | mapping"),
    path: Path | None = typer.Argument(
        None,
        help="Opportunity file or folder (salesforce), deals export (hubspot), folder (maven), YAML (mapping).",
    ),
    db: str | None = typer.Option(
        None,
        "--db",
        help="Store to write: DuckDB file or database URL (default: data/<source>.duckdb).",
        callback=lambda v: _store(v),
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
    from .loaders import load_hubspot, load_mapping, load_maven, load_salesforce

    if columns is not None and source not in ("salesforce", "hubspot"):
        raise UserInputError(f"--columns is for salesforce and hubspot loads, not {source}")
    if source == "salesforce":
        if path is None:
            raise typer.BadParameter(
                "salesforce needs the Opportunity.csv file or an export folder"
            )
        result = load_salesforce(
            path,
            history=history,
            users=users,
            accounts=accounts,
            tasks=tasks,
            events=events,
            columns=columns,
        )
    elif source == "hubspot":
        if path is None:
            raise typer.BadParameter("hubspot needs the deals export file")
        result = load_hubspot(path, activities=activities, columns=columns)
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
    _save_load(result, db if db else default_store(source, result), allow_empty, rejects_csv)


@data_app.command("push")
def push(
    url: str = typer.Option(
        ..., "--url", help="Database URL to write (postgresql://user@host/db)."
    ),
    db: str = DB_OPTION,
):
    """Copy a store (CRM and every other table) into a database, in one transaction; `--db URL`
    then reads it anywhere a DuckDB path is accepted."""
    from .store import list_tables, load_store, read_table, save_store
    from .warehouse import is_database_url

    if not is_database_url(url):
        raise typer.BadParameter(f"not a database URL: {url!r} (e.g. postgresql://user@host/db)")
    crm = load_store(db)
    skip = set(crm.tables) | {"_meta"}
    extra = {t: read_table(t, db) for t in list_tables(db) if t not in skip}
    save_store(crm, url, extra)
    console.print(_table(crm.summary(), "Pushed"))
    console.print(
        f"store: [bold]{escape(_where(url))}[/] ({len(crm.tables)} CRM tables, "
        f"{len(extra)} more: {escape(', '.join(sorted(extra)) or 'none')})"
    )


@data_app.command("pull")
def pull(
    url: str = typer.Option(..., "--url", help="Database URL to read (postgresql://user@host/db)."),
    mapping: Path | None = typer.Option(
        None, help="YAML mapping of SQL queries onto the CRM tables (default: tables by name)."
    ),
    db: str | None = typer.Option(
        None,
        "--db",
        help="Store to write (default: data/<host>-<database>.duckdb).",
        callback=lambda v: _store(v),
    ),
    rejects_csv: Path | None = typer.Option(None, help="Also write the rejected rows to this CSV."),
    allow_empty: bool = typer.Option(
        False, "--allow-empty", help="Allow a pull with no opportunities to replace a store."
    ),
):
    """Import a warehouse's CRM tables with the importers' row checks (rows read = accepted +
    rejected); prints the load summary."""
    from .loaders import load_mapping
    from .warehouse.pull import pull as pull_tables
    from .warehouse.sql_store import DatabaseURL

    result = load_mapping(mapping, url=url) if mapping else pull_tables(url)
    target = db if db else config.DATA_DIR / f"{DatabaseURL(url).stem}.duckdb"
    _save_load(result, target, allow_empty, rejects_csv)


@data_app.command("validate")
def validate(db: str = DB_OPTION):
    """Check every table against the data model and the cross-table rules."""
    from .store import load_store

    crm = load_store(db)
    console.print(_table(crm.summary(), f"{db.name}"))
    problems = crm.validate()
    if len(problems):
        console.print(_table(problems.head(30), f"{len(problems)} problems"))
        raise typer.Exit(1)
    console.print("[green]valid[/]: schemas, foreign keys and history all check out")


@data_app.command("quality")
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
    from . import quality as q
    from .store import load_store

    crm = load_store(db)
    console.print(_table(q.hygiene_scorecard(crm, as_of, stale_days), "CRM hygiene scorecard"))
    console.print(_table(q.completeness(crm, as_of), "Completeness of key fields (goal 95%)"))
    console.print(
        _table(
            q.quality_by(crm, as_of, by=by, stale_days=stale_days).head(15),
            f"By {by} (worst first)",
        )
    )
    if plot:
        fig = q.plots.plot_quality(crm, as_of, stale_days)
        plot.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(plot, dpi=110)
        console.print(f"chart: {plot}")


@data_app.command("export")
def export(
    folder: Path = typer.Argument(..., help="Folder to write."),
    db: str = DB_OPTION,
    fmt: str = typer.Option("parquet", "--format", help="parquet or csv"),
):
    """Write the store's tables to a folder of Parquet or CSV files."""
    from .store import load_store, save_folder

    save_folder(load_store(db), folder, fmt)
    console.print(f"written: {folder}")


@data_app.command("as-of")
def as_of_cmd(
    date: str = typer.Argument(..., help="As-of date, e.g. 2026-06-30."),
    db: str = DB_OPTION,
    period: str | None = typer.Option(
        None, help="Only deals expected to close in this period (e.g. 2026-Q3)."
    ),
):
    """The open pipeline as it stood on a past date, by stage (computed in the store's
    database: the history is not loaded)."""
    from .schema import STAGE_ORDER
    from .warehouse.pushdown import pipeline

    pipe = pipeline(db, date, period)

    by_stage = (
        pipe.groupby("stage").agg(deals=("id", "size"), amount=("amount", "sum")).reset_index()
    )
    by_stage = by_stage.sort_values("stage", key=lambda s: s.map(STAGE_ORDER))
    console.print(
        _table(
            by_stage, f"Open pipeline as of {date}" + (f", closing in {period}" if period else "")
        )
    )


comp_app = typer.Typer(
    help="Compensation: validate plans, payout curves, statements.", no_args_is_help=True
)
app.add_typer(comp_app, name="comp")


def _plan(path: Path):
    from .comp import load_plan

    return load_plan(path)  # a PlanError is printed as one line with exit 2


@comp_app.command("validate")
def comp_validate(plan: Path = typer.Option(..., help="Plan YAML file.")):
    """Check a plan file; errors name the path in the plan (e.g. measures[1].rates.tiers[2].rate)."""
    p = _plan(plan)
    console.print(
        f"[green]valid[/]: {p.name} v{p.version}, {len(p.measures)} measures, {len(p.spiffs)} SPIFFs"
    )


@comp_app.command("curve")
def comp_curve(plan: Path = typer.Option(..., help="Plan YAML file.")):
    """Payout (share of target incentive) by attainment for each measure."""
    from .comp import payout_curve

    df = payout_curve(_plan(plan), [0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 2.5])
    console.print(_table(df, "Payout curve (fraction of target incentive)"))


@comp_app.command("load")
def comp_load(
    splits: Path | None = typer.Option(
        None, help="CSV/Excel: opportunity_id, rep_id, percent[, kind]."
    ),
    adjustments: Path | None = typer.Option(
        None, help="CSV/Excel: opportunity_id, event (cancelled|unpaid), date."
    ),
    deal_attributes: Path | None = typer.Option(
        None, help="CSV/Excel: opportunity_id[, term_months, margin, discount]."
    ),
    leaves: Path | None = typer.Option(None, help="CSV/Excel: rep_id, start, end."),
    db: str = DB_OPTION,
    dayfirst: bool = typer.Option(False, help="Dates like 31/01/2026."),
):
    """Load compensation inputs into the store (each file replaces its table); rows that
    cannot be used are rejects with file, row, column and reason."""
    from .loaders.comp_inputs import load_comp_inputs
    from .store import load_store

    files = {
        k: v
        for k, v in {
            "splits": splits,
            "adjustments": adjustments,
            "deal_attributes": deal_attributes,
            "leaves": leaves,
        }.items()
        if v is not None
    }
    if not files:
        raise UserInputError(
            "give at least one of --splits, --adjustments, --deal-attributes, --leaves"
        )
    res = load_comp_inputs(load_store(db), files, dayfirst=dayfirst or None)
    console.print(_table(res.summary, "Comp inputs (rows read = accepted + rejected)"))
    if len(res.rejects):
        top = res.rejects.head(20)[["table", "file", "row", "column", "value", "reason"]]
        console.print(_table(top, f"Rejected rows ({len(res.rejects)})"))
    for note in res.notes:
        console.print(f"- {_cell(note)}", highlight=False)
    res.save(db)
    console.print(
        f"store: [bold]{escape(_where(db))}[/] (tables {', '.join(res.tables)}; rejects in "
        "comp_load_rejects)"
    )


@comp_app.command("statements")
def comp_statements(
    plan: Path = typer.Option(..., help="Plan YAML file."),
    period: str = typer.Option(..., help="Plan period, e.g. 2026-Q3 or 2027-01."),
    db: str = DB_OPTION,
    out: Path | None = typer.Option(None, help="Output folder (default reports/comp/<period>)."),
):
    """Exact statements to the cent: per rep, line items per deal and rule, with balances
    (paid per deal, draws, clawbacks) carried from the plan's start across fiscal years;
    the splits, adjustments, deal attributes and leaves of the store are applied.
    Writes statements.xlsx (the fiscal year to date), payroll.csv and one HTML statement
    per rep (this period)."""
    from .comp import compute_statements
    from .exports import outputs_together
    from .store import load_comp_inputs, load_store

    p = _plan(plan)
    crm = load_store(db)
    inputs, account = load_comp_inputs(db)
    label = crm.period(period).label
    res = compute_statements(crm, p, period, inputs, progress=_show_progress())
    year = crm.calendar.year(crm.period(period).start)
    in_year = [x for x in res.totals["period"].unique() if crm.period(x).start >= year.start]
    cur = res.for_period(label)
    out = Path(out or config.REPORTS_DIR / "comp" / label)
    with outputs_together(out) as tmp:  # statements and payroll land together or not at all
        res.for_periods(in_year).to_excel(tmp / "statements.xlsx")
        cur.to_csv(tmp / "payroll.csv")
        cur.to_html(tmp / "statements", plan=p)
    t = cur.totals.assign(total=cur.totals["total"].map(lambda d: f"{d:,.2f}"))
    console.print(f"inputs from the store: {account}", highlight=False)
    top = t.assign(_v=cur.totals["total"]).sort_values("_v", ascending=False).drop(columns="_v")
    shown = (
        f"the {min(10, len(t))} largest of {len(t)} reps; all in payroll.csv and statements.xlsx"
    )
    console.print(_table(top.head(10), f"{p.name}: statements {label} ({shown})"))
    grand = sum(cur.totals["total"]) if len(cur.totals) else 0
    console.print(f"total variable pay {label}: {grand:,.2f}; lines: {len(cur.lines)}")
    first = res.totals["period"].iloc[0] if len(res.totals) else label
    console.print(
        f"computed {first}..{label}, balances carried across periods and fiscal years",
        highlight=False,
    )
    for n in cur.notes[:10]:
        console.print(f"- {_cell(n)}", highlight=False)
    if len(cur.notes) > 10:
        console.print(f"- ... {len(cur.notes) - 10} more notes in statements.xlsx (Notes)")
    console.print(
        f"written: {out / 'statements.xlsx'} (the fiscal year to date), {out / 'payroll.csv'} "
        f"and {out / 'statements'}/ (one HTML statement per rep, this period)"
    )


def _params(pairs: list[str]) -> dict[str, str]:
    out = {}
    for item in pairs:
        if "=" not in item:
            raise typer.BadParameter(f"parameters are key=value, got {item!r}")
        k, v = item.split("=", 1)
        out[k.strip()] = v.strip()
    return out


@report_app.command("list")
def report_list():
    """The reports (notebooks) and their parameters, defaults and help."""
    from .reports import available, parameters

    for name in available():
        rows = [(p.name, p.type, repr(p.default), p.help) for p in parameters(name).values()]
        import pandas as pd

        console.print(
            _table(pd.DataFrame(rows, columns=["parameter", "type", "default", "help"]), name)
        )


@report_app.command("run")
def report_run(
    name: str = typer.Argument(..., help="Report (notebook) name, see `salesops report list`."),
    param: list[str] = typer.Option(
        [], "-p", "--param", help="key=value (repeatable), e.g. -p as_of=2026-06-30"
    ),
    output_name: str | None = typer.Option(
        None, "--name", help="Output folder name (default: the report name)."
    ),
):
    """Run one report now: papermill into reports/<name>/<as_of>_<store>/, then HTML (code hidden)."""
    from .reports import ReportFailed, run_report

    try:
        rec = run_report(name, _params(param), name=output_name)
    except ReportFailed as exc:
        console.print(
            f"[red]failed:[/] {_cell(exc.record.error)}\n"
            f"executed notebook kept in reports/{_cell(exc.record.failed_dir)}"
        )
        raise typer.Exit(1) from exc
    console.print(f"[green]ok[/] in {rec.seconds:.1f}s: reports/{rec.html}")


def _run_and_report(entries, workers: int, reuse: bool = False, scheduler=None) -> None:
    import pandas as pd

    from .reports import run_entries

    if not entries:
        console.print("nothing to run")
        return
    results = run_entries(
        entries, workers=workers, reuse=reuse, scheduler=scheduler, progress=_show_progress()
    )
    df = pd.DataFrame(results)
    df["seconds"] = df["seconds"].where(df["status"] != "reused", 0.0)
    cols = ["name", "status", "seconds"] + (["error"] if df["error"].notna().any() else [])
    console.print(_table(df[cols], "Runs"))
    reused = int((df["status"] == "reused").sum())
    if reused:
        console.print(
            f"{reused} reused: their notebook, parameters, data, code, configuration and "
            "backtest scores are unchanged since their last good run"
        )
    console.print(f"reports: {config.REPORTS_DIR / 'index.html'} (open it in a browser)")
    if (~df["status"].isin(["ok", "reused"])).any():
        raise typer.Exit(1)


@report_app.command("run-due")
def report_run_due(
    schedule: Path = typer.Option(config.PROJECT_ROOT / "reports.yml", help="Schedule file."),
    workers: int = typer.Option(2, help="Reports run at once."),
):
    """Run the scheduled reports that are due (by their cron) and have not run since."""
    from .reports import due_entries, load_schedule

    _run_and_report(due_entries(load_schedule(schedule)), workers)


@report_app.command("run-all")
def report_run_all(
    schedule: Path = typer.Option(config.PROJECT_ROOT / "reports.yml", help="Schedule file."),
    workers: int = typer.Option(2, help="Reports run at once."),
    reuse: bool = typer.Option(
        False,
        "--reuse",
        help="Skip a report whose last good run had the same notebook, parameters, data, "
        "code, configuration and backtest scores.",
    ),
    scheduler: str | None = SCHEDULER_OPTION,
    skip_missing_stores: bool = typer.Option(
        False,
        "--skip-missing-stores",
        help="Leave out (and list) the reports whose store file does not exist, e.g. the "
        "Maven sample when it is not beside the repository (make demo); without it such a "
        "report fails.",
    ),
):
    """Run every scheduled report now, several at once, with progress."""
    from .reports import load_schedule

    entries = load_schedule(schedule).reports
    if skip_missing_stores:
        entries = _with_stores(entries)
    _run_and_report(entries, workers, reuse, scheduler)


def _with_stores(entries) -> list:
    """The entries whose ``source`` store exists (a database URL counts as existing); the
    others are listed as skipped."""
    from .reports.context import resolve_source
    from .store import is_database_url

    kept = []
    for e in entries:
        source = (e.parameters or {}).get("source", str(config.DEFAULT_DB))
        path = None if is_database_url(source) else resolve_source(source)
        if path is None or path.exists():
            kept.append(e)
        else:
            console.print(f"skipped {escape(e.name)}: no store at {escape(str(path))}")
    return kept


@report_app.command("index")
def report_index():
    """Rebuild reports/index.html from the run ledger."""
    from .reports import write_index

    console.print(f"index: {write_index()}")


forecast_app = typer.Typer(
    help="Bayesian bookings forecast: run, backtest, ledger.", no_args_is_help=True
)
app.add_typer(forecast_app, name="forecast")


def _sampler_overrides(**given) -> dict:
    """The sampler settings given on the command line (the model's defaults for the rest)."""
    return {k: v for k, v in given.items() if v is not None}


@forecast_app.command("run")
def forecast_run(
    db: str = DB_OPTION,
    as_of: str = typer.Option("", help="As-of date (default: the data's last day)."),
    period: str = typer.Option("", help="Period label (default: the as-of date's quarter)."),
    draws: int | None = DRAWS_OPTION,
    tune: int | None = TUNE_OPTION,
    seed: int = typer.Option(0, help="Random seed (same seed, same numbers)."),
    save: Path | None = typer.Option(None, help="Save the fitted model (netCDF)."),
    record: bool = typer.Option(True, help="Append the forecast to the forecast ledger."),
    target: float | None = typer.Option(
        None, help="The period's target (default: the sum of the period's quotas, if any)."
    ),
):
    """Fit on the history as of a date and forecast the period's bookings (P10/P50/P90)."""
    import pandas as pd

    from .forecast import BookingsForecastModel, ledger
    from .forecast.model import COMPILED_MODEL_WORDS
    from .store import load_store

    crm = load_store(db)
    when = pd.Timestamp(as_of) if as_of else crm.data_end
    p = crm.period(period) if period else crm.quarter(when)
    model = BookingsForecastModel(sampler_config=_sampler_overrides(draws=draws, tune=tune))
    model.fit(crm, when, seed=seed)
    fc = model.forecast(p, seed=seed)
    diag = model.diagnostics()
    color = "green" if diag.ok else "yellow"
    info = model.compile_info
    console.print(
        f"model {COMPILED_MODEL_WORDS[info['compiled_model']]} in "
        f"{info['compile_seconds']:.1f} s; fit in {model.fit_seconds:.1f} s",
        highlight=False,
    )
    for line in model.sampling_attempts[:-1]:
        console.print(f"[yellow]retried with more tuning after: {escape(line)}[/]")
    console.print(f"[{color}]convergence {escape(diag.summary())}[/]")
    if not diag.ok:
        console.print(f"[{color}]{escape(diag.plain())}[/]")
    q = fc.quantiles()
    console.print(
        f"{p.label} as of {when.date()}: p10 {q['p10']:,.0f}  p50 {q['p50']:,.0f}  "
        f"p90 {q['p90']:,.0f}  (closed {fc.closed:,.0f}, expected slip {fc.slip.mean():,.0f})"
    )
    from .pipeline.metrics import forecast_target

    goal, goal_source = forecast_target(crm, p, target)
    if goal > 0:
        hit = fc.p_reach(goal)
        console.print(
            f"target {goal:,.0f} ({escape(goal_source)}): P(reach target) {hit:.0%}",
            highlight=False,
        )
    else:
        console.print(f"no target: {escape(goal_source)}", highlight=False)
    by = crm.breakdown("region")
    if by:
        console.print(_table(fc.rollup(by).round(0).reset_index(), f"By {by}"))
    if save:
        model.save(save)
        console.print(f"model: {save}")
    if record:
        ledger.record(fc, source=db.name)
        console.print(f"ledger: {ledger.LEDGER}")


@forecast_app.command("backtest")
def forecast_backtest(
    db: str = DB_OPTION,
    quarters: int = typer.Option(8, help="Past complete quarters to replay."),
    points: str = typer.Option(
        "day 1=0,week 4=27,week 8=55",
        help="Points in each quarter: name=day offset, comma separated.",
    ),
    draws: int | None = DRAWS_OPTION,
    tune: int | None = TUNE_OPTION,
    seed: int = typer.Option(0, help="Random seed."),
    out: Path | None = typer.Option(None, help="CSV of every score (default reports/forecast/)."),
    scheduler: str | None = SCHEDULER_OPTION,
):
    """Replay past quarters using only as-of data; score the model next to four baselines."""
    from .forecast.backtest import (
        backtest,
        coinciding,
        compact_summary,
        convergence,
        goals,
        summarize,
    )
    from .store import load_store

    crm = load_store(db)
    try:
        pts = {k.strip(): int(v) for k, v in (x.split("=") for x in points.split(","))}
    except ValueError as exc:
        console.print(f"[red]error:[/] --points must look like 'week 4=27,week 8=55': {exc}")
        raise typer.Exit(2) from exc
    bt = backtest(
        crm,
        quarters=quarters,
        points=pts,
        sampler_config=_sampler_overrides(draws=draws, tune=tune),
        seed=seed,
        scheduler=scheduler,
        progress=_show_progress(),
    )
    out = Path(out or config.REPORTS_DIR / "forecast" / f"backtest_{db.stem}.csv")
    out.parent.mkdir(parents=True, exist_ok=True)
    bt.to_csv(out, index=False)
    s = summarize(bt)
    summary_csv = out.with_name(f"{out.stem}_summary.csv")
    s.to_csv(summary_csv, index=False)
    console.print(
        _table(
            compact_summary(s),
            f"Backtest: {bt['period'].nunique()} quarters (mean |error| of the median, "
            "quarters inside the 80% interval)",
        )
    )
    ok = bt.loc[bt["method"] == "model", "converged"].all()
    console.print(f"[{'green' if ok else 'yellow'}]{escape(convergence(bt))}[/]")
    for same in coinciding(bt):
        console.print(f"note: {escape(same)} (one forecast, two names)", highlight=False)
    for point in pts:
        g = goals(s, point)
        if len(g):
            console.print(_table(g, f"Goals at {point}"))
    console.print(f"scores: {out}\nsummary: {summary_csv}")


@forecast_app.command("calibrate")
def forecast_calibrate(
    seeds: str = typer.Option(
        ",".join(map(str, config.CALIBRATION_SEEDS)),
        help="Seeds of the synthetic orgs, comma separated (the sample org is seed "
        f"{config.SAMPLE_SEED}).",
    ),
    reps: int = typer.Option(config.SAMPLE_REPS, help="AE seats of each org."),
    years: float = typer.Option(config.SAMPLE_YEARS, help="Years of history of each org."),
    quarters: int = typer.Option(8, help="Past complete quarters to replay in each org."),
    draws: int | None = DRAWS_OPTION,
    tune: int | None = TUNE_OPTION,
    seed: int = typer.Option(0, help="Random seed of the fits."),
    out: Path | None = typer.Option(
        None, help="CSV of every score (default reports/forecast/calibration_synthetic.csv)."
    ),
    scheduler: str | None = SCHEDULER_OPTION,
):
    """Backtest the forecast on several synthetic orgs from one known process and pool
    their quarters: coverage over orgs x quarters, not one org's 8 (about 3.5 min an org)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .forecast.backtest import convergence
    from .forecast.plots import plot_calibration
    from .forecast.synthetic_backtest import (
        check_seeds,
        coverage_by_org,
        pooled_calibration,
        pooled_errors,
        synthetic_backtest,
    )

    try:
        seed_list = check_seeds(x for x in seeds.split(",") if x.strip())
    except ValueError as exc:
        console.print(
            f"[red]error:[/] --seeds must be distinct integers >= 0 separated by commas, got "
            f"{escape(seeds)!r}: {escape(str(exc))}"
        )
        raise typer.Exit(2) from exc
    bt = synthetic_backtest(
        seed_list,
        n_reps=reps,
        years=years,
        quarters=quarters,
        sampler_config=_sampler_overrides(draws=draws, tune=tune),
        seed=seed,
        scheduler=scheduler,
        progress=_show_progress(),
    )
    out = Path(out or config.REPORTS_DIR / "forecast" / "calibration_synthetic.csv")
    out.parent.mkdir(parents=True, exist_ok=True)
    bt.to_csv(out, index=False)
    console.print(_table(coverage_by_org(bt), "Quarters inside the 80% interval, by org"))
    cal = pooled_calibration(bt)
    cal = cal.assign(
        coverage=cal["coverage"].map("{:.0%}".format), p_value=cal["p_value"].map("{:.2f}".format)
    )
    err = pooled_errors(bt)
    err = err.assign(**{c: err[c].map("{:.1f}".format) for c in err.columns[2:]})
    console.print(
        _table(
            cal,
            f"Interval coverage over {len(seed_list)} orgs (expected_range: what a calibrated "
            "forecast shows in 90% of studies)",
        )
    )
    console.print(_table(err, "Error of the median (%), by org"))
    ok = bt.loc[bt["method"] == "model", "converged"].all()
    console.print(f"[{'green' if ok else 'yellow'}]{escape(convergence(bt))}[/]")
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    plot_calibration(bt, axes)
    png = out.with_suffix(".png")
    fig.savefig(png, dpi=100, bbox_inches="tight")
    console.print(f"scores: {out}\nplot: {png}")


plan_app = typer.Typer(
    help="Capacity and comp plans: backtest against what happened.", no_args_is_help=True
)
app.add_typer(plan_app, name="plan")


@plan_app.command("backtest")
def plan_backtest_cmd(
    db: str = DB_OPTION,
    plan: Path = typer.Option(
        Path("plans/ae_standard.yml"), help="Comp plan in force (quarterly), for the cost rows."
    ),
    quarters: int = typer.Option(8, help="Past complete quarters to replay."),
    years: int = typer.Option(2, help="Past years (four quarters each) to replay."),
    scenarios: int = typer.Option(2000, help="Monte Carlo scenarios per quarter."),
    seed: int = typer.Option(0, help="Random seed."),
    out: Path | None = typer.Option(None, help="CSV of every score (default reports/plan/)."),
):
    """Replay past quarters and years: predict team bookings, the share of reps at quota and
    the comp cost from the history before each, and score them beside naive baselines."""
    from .capacity.backtest import plan_backtest, summarize
    from .comp import load_plan
    from .store import load_store

    crm = load_store(db)
    comp_plan = load_plan(plan if plan.is_absolute() else config.PROJECT_ROOT / plan)
    bt = plan_backtest(
        crm,
        comp_plan,
        quarters=quarters,
        years=years,
        scenarios=scenarios,
        seed=seed,
        progress=_show_progress(),
    )
    out = Path(out or config.REPORTS_DIR / "plan" / f"backtest_{db.stem}.csv")
    out.parent.mkdir(parents=True, exist_ok=True)
    bt.to_csv(out, index=False)
    console.print(
        _table(summarize(bt).round(3), f"Plan backtest: {bt['period'].nunique()} periods")
    )
    fits = bt[bt["method"] == "model"].drop_duplicates("period")
    ok = int(fits["converged"].sum())
    colour = "green" if ok == len(fits) else "yellow"
    console.print(f"[{colour}]{ok} of {len(fits)} productivity fits converged[/]")
    console.print(f"scores: {out}")


@forecast_app.command("ledger")
def forecast_ledger(db: str = DB_OPTION):
    """Past forecasts of this store scored against actuals (periods that have ended)."""
    from .forecast import ledger
    from .store import load_store

    crm = load_store(db)
    scored = ledger.scored(crm, source=db.name)
    if scored.empty:
        console.print(f"no scored forecasts for {db.name} in {ledger.LEDGER}")
        return
    console.print(_table(scored.round(1), f"Forecast accuracy: {db.name}"))


@app.command("health")
def health(
    db: str = DB_OPTION,
    as_of: str = typer.Option("", help="As-of date (default: the data's last day)."),
    bands: Path = typer.Option(
        config.PROJECT_ROOT / "health_bands.yml", help="Benchmark band file."
    ),
    plan: str = typer.Option(
        str(config.PROJECT_ROOT / "plans" / "ae_standard.yml"),
        help="Comp plan for the comp-cost metric; empty: not graded.",
    ),
    backtest_csv: str = typer.Option(
        "", help="Forecast backtest CSV; default reports/forecast/backtest_STORE.csv."
    ),
    json_out: Path = typer.Option(None, "--json", help="Write the scores as JSON here."),
    fail_on: str = typer.Option(
        "", help="Exit with code 1 when any metric is at this status (watch or act)."
    ),
):
    """Sales-ops health scorecard: every metric graded against its benchmark band.

    ``--fail-on watch|act`` exits 1 when any metric is at that status or worse; a metric
    that could not be computed (``error``) always trips the gate.
    """
    from .forecast.ledger import LEDGER
    from .health import health_scorecard, load_bands
    from .store import load_comp_inputs, load_store

    if fail_on not in ("", "watch", "act"):
        raise typer.BadParameter(f"--fail-on must be watch or act, got {fail_on!r}")
    load_bands(bands)  # a broken band file is an input error (exit 2), before any work
    crm = load_store(db)
    bt = backtest_csv or config.REPORTS_DIR / "forecast" / f"backtest_{db.stem}.csv"
    card = health_scorecard(
        crm,
        as_of or None,
        bands=bands,
        plan=plan or None,
        comp_inputs=load_comp_inputs(db)[0] if plan else None,
        ledger_path=LEDGER,
        ledger_source=db.name,
        backtest_csv=bt,
        progress=_show_progress(),
    )
    df = card.to_frame()[["metric", "value", "interval (90%)", "healthy", "status"]]
    console.print(_table(df, f"Sales-ops health of {db.name} as of {card.as_of.date()}"))
    for m in card.metrics:
        style = {"act": "red", "watch": "yellow", "healthy": "green"}.get(m.status, "dim")
        console.print(
            f"[{style}]{m.status:>7}[/] {_cell(m.title)}: {_cell(m.action)}", highlight=False
        )
    if json_out:
        card.to_json(json_out)
        console.print(f"scores: {json_out}")
    if fail_on:
        levels = {"watch": ("watch", "act", "error"), "act": ("act", "error")}[fail_on]
        tripped = [m.key for m in card.metrics if m.status in levels]
        if tripped:
            console.print(f"gate --fail-on {fail_on} tripped by: {', '.join(tripped)}")
            raise typer.Exit(1)


@app.command("compile-cache")
def compile_cache_command(
    clear: bool = typer.Option(False, "--clear", help="Delete every compiled model."),
    warm: bool = typer.Option(
        False,
        "--warm",
        help="Compile the forecast model now (orgs of up to 4 segments, 16 teams, 128 reps), "
        "so the first forecast loads it instead of compiling (make install runs this).",
    ),
):
    """Where compiled models are kept on this machine, how many and how large; ``--clear``
    deletes them (the next fit of each model compiles once again); ``--warm`` compiles the
    forecast model into it."""
    from . import compile_cache

    root = compile_cache.cache_dir()
    if root is None:
        console.print(f"the compile cache is off (${compile_cache.ENV_VAR})")
        return
    if clear:
        console.print(f"deleted {compile_cache.clear()} compiled model(s) from {root}")
        return
    if warm:
        from .forecast import BookingsForecastModel
        from .forecast.model import COMPILED_MODEL_WORDS

        info = BookingsForecastModel.warm_up()
        console.print(
            f"forecast model {COMPILED_MODEL_WORDS[info['compiled_model']]} in "
            f"{info['compile_seconds']:.1f} s",
            highlight=False,
        )
    found = compile_cache.entries()
    size = sum(p.stat().st_size for p in found) / 1e6
    console.print(f"{len(found)} compiled model(s), {size:.1f} MB, in {root}", highlight=False)


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
