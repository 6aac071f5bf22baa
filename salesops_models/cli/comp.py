"""``salesops comp``: validate plans, payout curves, load comp inputs, statements."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from .. import config
from ..errors import UserInputError
from .common import DB_OPTION, console, print_notes, show_progress, table, where

group = typer.Typer(
    help="Compensation: validate plans, payout curves, statements.", no_args_is_help=True
)

PLAN_OPTION = typer.Option(..., help="Plan YAML file.")


def read_plan(path: Path):
    """The plan at ``path`` (a PlanError is printed as one line with exit 2)."""
    from ..comp import load_plan

    return load_plan(path)


@group.command("validate")
def comp_validate(plan: Path = PLAN_OPTION):
    """Check a plan file; errors name the path in the plan (e.g. measures[1].rates.tiers[2].rate)."""
    p = read_plan(plan)
    console.print(
        f"[green]valid[/]: {p.name} v{p.version}, {len(p.measures)} measures, {len(p.spiffs)} SPIFFs"
    )


@group.command("curve")
def comp_curve(plan: Path = PLAN_OPTION):
    """Payout (share of target incentive) by attainment for each measure."""
    from ..comp import payout_curve

    df = payout_curve(read_plan(plan), [0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 2.5])
    console.print(table(df, "Payout curve (fraction of target incentive)"))


@group.command("load")
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
    from ..loaders.common import REJECT_COLUMNS
    from ..loaders.comp_inputs import load_comp_inputs
    from ..store import load_store

    given = dict(
        splits=splits, adjustments=adjustments, deal_attributes=deal_attributes, leaves=leaves
    )
    files = {k: v for k, v in given.items() if v is not None}
    if not files:
        raise UserInputError(
            "give at least one of --splits, --adjustments, --deal-attributes, --leaves"
        )
    res = load_comp_inputs(load_store(db), files, dayfirst=dayfirst or None)
    console.print(table(res.summary, "Comp inputs (rows read = accepted + rejected)"))
    if len(res.rejects):
        top = res.rejects.head(20)[REJECT_COLUMNS]
        console.print(table(top, f"Rejected rows ({len(res.rejects)})"))
    print_notes(res.notes)
    res.save(db)
    console.print(
        f"store: [bold]{escape(where(db))}[/] (tables {', '.join(res.tables)}; rejects in "
        "comp_load_rejects)"
    )


@group.command("statements")
def comp_statements(
    plan: Path = PLAN_OPTION,
    period: str = typer.Option(..., help="Plan period, e.g. 2026-Q3 or 2027-01."),
    db: str = DB_OPTION,
    out: Path | None = typer.Option(None, help="Output folder (default reports/comp/<period>)."),
):
    """Exact statements to the cent: per rep, line items per deal and rule, with balances
    (paid per deal, draws, clawbacks) carried from the plan's start across fiscal years;
    the splits, adjustments, deal attributes and leaves of the store are applied.
    Writes statements.xlsx (the fiscal year to date), payroll.csv and one HTML statement
    per rep (this period)."""
    from ..comp import compute_statements, read_comp_inputs
    from ..exports import outputs_together
    from ..store import load_store

    p = read_plan(plan)
    crm = load_store(db)
    inputs, account = read_comp_inputs(db)
    label = crm.period(period).label
    res = compute_statements(crm, p, period, inputs, progress=show_progress())
    cur = res.for_period(label)
    out = Path(out or config.statements_dir(label))
    with outputs_together(out) as tmp:  # statements and payroll land together or not at all
        res.fiscal_year_to_date(crm, label).to_excel(tmp / "statements.xlsx")
        cur.to_csv(tmp / "payroll.csv")
        cur.to_html(tmp / "statements", plan=p)
    console.print(f"inputs from the store: {account}", highlight=False)
    _print_totals(cur, p.name, label)
    first = res.totals["period"].iloc[0] if len(res.totals) else label
    console.print(
        f"computed {first}..{label}, balances carried across periods and fiscal years",
        highlight=False,
    )
    print_notes(cur.notes, limit=10)
    if len(cur.notes) > 10:
        console.print(f"- ... {len(cur.notes) - 10} more notes in statements.xlsx (Notes)")
    console.print(
        f"written: {out / 'statements.xlsx'} (the fiscal year to date), {out / 'payroll.csv'} "
        f"and {out / 'statements'}/ (one HTML statement per rep, this period)"
    )


def _print_totals(cur, plan_name: str, label: str) -> None:
    """The ten largest statements of the period and the period's total variable pay."""
    totals = cur.totals
    t = totals.assign(total=totals["total"].map(lambda d: f"{d:,.2f}"))
    top = t.assign(_v=totals["total"]).sort_values("_v", ascending=False).drop(columns="_v")
    shown = (
        f"the {min(10, len(t))} largest of {len(t)} reps; all in payroll.csv and statements.xlsx"
    )
    console.print(table(top.head(10), f"{plan_name}: statements {label} ({shown})"))
    grand = sum(totals["total"]) if len(totals) else 0
    console.print(f"total variable pay {label}: {grand:,.2f}; lines: {len(cur.lines)}")
