"""``salesops calls``: load the forecast call, each forecaster's bias, the roll-up."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from ..errors import UserInputError
from .common import DB_OPTION, console, print_notes, show_progress, table, where

group = typer.Typer(
    help="The forecast call: load calls, forecasters' bias, the roll-up.", no_args_is_help=True
)


def _calls(db):
    from ..calls import read_calls

    calls = read_calls(db)
    if calls is None or calls.empty:
        raise UserInputError(
            f"{where(db)} has no forecast calls: load them with `salesops calls load FILE`"
        )
    return calls


@group.command("load")
def calls_load(
    files: list[Path] = typer.Argument(..., help="Calls files (CSV, Excel) or filled call sheets."),
    db: str = DB_OPTION,
    mapping: Path | None = typer.Option(
        None,
        "--map",
        help="YAML: columns (workbench column: file column) and categories (the org's "
        "category name: Closed, Commit, Most Likely, Best Case or Pipeline).",
    ),
    dayfirst: bool = typer.Option(False, help="Dates like 31/01/2026."),
    replace: bool = typer.Option(
        False, "--replace", help="Replace the store's calls (default: add to them)."
    ),
):
    """Load forecast calls (files, or call sheets a manager filled in) into the store; rows
    that cannot be used are rejects with file, sheet row, line, column and reason."""
    from ..calls.sheet import is_call_sheet, read_call_sheet
    from ..loaders.calls import CallsLoadResult, load_calls
    from ..store import load_store
    from ..yamlio import load_yaml

    spec = (load_yaml(mapping) or {}) if mapping else {}
    extra = sorted(set(spec) - {"columns", "categories"})
    if extra:
        raise UserInputError(
            f"{mapping}: unknown key(s) {', '.join(extra)}: use columns, categories"
        )
    crm = load_store(db)
    sheets = [f for f in files if is_call_sheet(f)]
    others = [f for f in files if f not in sheets]
    parts = [read_call_sheet(crm, f) for f in sheets]
    if others:
        parts.append(
            load_calls(
                crm,
                others,
                columns=spec.get("columns"),
                categories=spec.get("categories"),
                dayfirst=dayfirst or None,
            )
        )
    res = CallsLoadResult.combine(parts)
    console.print(table(res.summary, "Forecast calls (rows read = accepted + rejected)"))
    if len(res.rejects):
        top = res.rejects.groupby("reason").size().rename("rows").reset_index()
        console.print(table(top.sort_values("rows", ascending=False).head(15), "Rejects by reason"))
    print_notes(res.notes)
    res.save(db, replace=replace)
    console.print(
        f"store: [bold]{escape(where(db))}[/] ({len(res.calls):,} calls "
        f"{'replacing' if replace else 'added to'} its calls; rejects in calls_load_rejects)"
    )


@group.command("sheet")
def calls_sheet(
    period: str = typer.Option(..., help="The period called (e.g. 2026-Q3)."),
    manager: list[str] = typer.Option(
        [], "--manager", help="Manager id (repeatable; default: every manager with reports)."
    ),
    db: str = DB_OPTION,
    as_of: str = typer.Option("", help="As-of date (default: the data's last day)."),
    out: Path | None = typer.Option(None, help="Folder (default reports/calls/<period>/)."),
):
    """Write each manager's call sheet (Excel): the team's last calls, won so far, the
    stage-weighted pipeline and the open deals, with empty cells for this week's calls."""
    from .. import config
    from ..calls import read_calls
    from ..calls.sheet import write_call_sheet
    from ..store import load_store

    crm = load_store(db)
    label = crm.period(period).label
    reps = crm.reps
    managers = manager or sorted(set(reps["manager_id"].dropna()) & set(reps["id"]))
    calls = read_calls(db)
    for m in managers:
        path = (
            (out / config.call_sheet_path(label, m).name)
            if out
            else config.call_sheet_path(label, m)
        )
        write_call_sheet(crm, calls, m, label, path, as_of or None)
        console.print(f"written: {path}", highlight=False)


@group.command("accuracy")
def calls_accuracy(
    db: str = DB_OPTION,
    as_of: str = typer.Option("", help="As-of date (default: the data's last day)."),
    category: str = typer.Option("Most Likely", help="The category measured."),
    seed: int = typer.Option(0, help="Random seed."),
    json_out: Path | None = typer.Option(None, "--json", help="Write the table as JSON here."),
):
    """Each forecaster's bias factor (call / actual) with its 90% interval and
    P(|bias| > 5%): sandbagging, over-calling, or luck."""
    from ..calls import ForecasterBiasModel
    from ..store import load_store

    model = ForecasterBiasModel({"category": category})
    model.fit(
        load_store(db), as_of or None, seed=seed, calls=_calls(db), progressbar=show_progress()
    )
    diag = model.diagnostics()
    console.print(f"[{'green' if diag.ok else 'yellow'}]convergence {escape(diag.summary())}[/]")
    acc = model.accuracy()
    cols = ["forecaster_id", "name", "role", "calls", "quarters", "bias_p50", "p05", "p95",
            "p_biased", "direction"]  # fmt: skip
    shown = acc.sort_values("p_biased", ascending=False)[cols].round(3)
    console.print(table(shown, f"Forecaster bias ({category}: call / actual; 1 = unbiased)"))
    print_notes(model.data.notes)
    if json_out:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        acc[cols].to_json(json_out, orient="records", indent=2)
        console.print(f"scores: {json_out}")


@group.command("rollup")
def calls_rollup(
    period: str = typer.Option(..., help="The period called (e.g. 2026-Q3)."),
    db: str = DB_OPTION,
    as_of: str = typer.Option("", help="As-of date (default: the data's last day)."),
    category: str = typer.Option("Commit", help="Closed, Commit, Most Likely, Best Case."),
    single: bool = typer.Option(
        False, "--single", help="The calls are single-category amounts (not cumulative)."
    ),
):
    """The call rolled up through the hierarchy: what the reports called, the managers'
    adjustments and their own numbers."""
    from ..calls.rollup import company_call, rollup
    from ..store import load_store

    crm = load_store(db)
    out = rollup(crm, _calls(db), period, as_of or None, category=category, cumulative=not single)
    if out.empty:
        console.print(f"no {category} calls for {period}")
        return
    cols = ["name", "role", "reports", "reports_called", "adjustments", "rollup", "own", "forecast"]
    managers = out[out["reports"] > 0]
    console.print(table(managers[cols].round(0), f"{category} call for {period} by manager"))
    console.print(f"company call: {company_call(out):,.0f}", highlight=False)
