"""``salesops report``: list, run, run-due, run-all, index."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from .. import config
from ..errors import UserInputError
from .common import SCHEDULER_OPTION, cell, console, show_progress, table

group = typer.Typer(
    help="Recurring reports: list, run, run-due, run-all, index.", no_args_is_help=True
)

SCHEDULE_OPTION = typer.Option(config.PROJECT_ROOT / "reports.yml", help="Schedule file.")
WORKERS_OPTION = typer.Option(2, help="Reports run at once.")


def parse_params(pairs: list[str]) -> dict[str, str]:
    """``-p key=value`` options as a dict."""
    out = {}
    for item in pairs:
        if "=" not in item:
            raise UserInputError(f"parameters are key=value, got {item!r}")
        k, v = item.split("=", 1)
        out[k.strip()] = v.strip()
    return out


@group.command("list")
def report_list():
    """The reports (notebooks) and their parameters, defaults and help."""
    from ..reports import parameter_table

    for name, df in parameter_table().items():
        console.print(table(df, name))


@group.command("run")
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
    from ..reports import ReportFailed, run_report

    try:
        rec = run_report(name, parse_params(param), name=output_name)
    except ReportFailed as exc:
        console.print(
            f"[red]failed:[/] {cell(exc.record.error)}\n"
            f"executed notebook kept in reports/{cell(exc.record.failed_dir)}"
        )
        raise typer.Exit(1) from exc
    console.print(f"[green]ok[/] in {rec.seconds:.1f}s: reports/{rec.html}")


def run_and_print(entries, workers: int, reuse: bool = False, scheduler=None) -> None:
    """Run schedule entries and print one row per run; exit 1 when any failed."""
    from ..reports import runs_table

    if not entries:
        console.print("nothing to run")
        return
    df = runs_table(
        entries, workers=workers, reuse=reuse, scheduler=scheduler, progress=show_progress()
    )
    cols = ["name", "status", "seconds"] + (["error"] if df["error"].notna().any() else [])
    console.print(table(df[cols], "Runs"))
    reused = int((df["status"] == "reused").sum())
    if reused:
        console.print(
            f"{reused} reused: their notebook, parameters, data, code, configuration and "
            "backtest scores are unchanged since their last good run"
        )
    console.print(f"reports: {config.REPORTS_INDEX} (open it in a browser)")
    if (~df["status"].isin(["ok", "reused"])).any():
        raise typer.Exit(1)


@group.command("run-due")
def report_run_due(schedule: Path = SCHEDULE_OPTION, workers: int = WORKERS_OPTION):
    """Run the scheduled reports that are due (by their cron) and have not run since."""
    from ..reports import due_entries, load_schedule

    run_and_print(due_entries(load_schedule(schedule)), workers)


@group.command("run-all")
def report_run_all(
    schedule: Path = SCHEDULE_OPTION,
    workers: int = WORKERS_OPTION,
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
    from ..reports import load_schedule, with_stores

    entries = load_schedule(schedule).reports
    if skip_missing_stores:
        entries, skipped = with_stores(entries)
        for e, path in skipped:
            console.print(f"skipped {escape(e.name)}: no store at {escape(str(path))}")
    run_and_print(entries, workers, reuse, scheduler)


@group.command("index")
def report_index():
    """Rebuild reports/index.html from the run ledger."""
    from ..reports import write_index

    console.print(f"index: {write_index()}")
