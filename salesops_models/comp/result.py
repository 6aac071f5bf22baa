"""A statements run's result: lines, totals, notes, the carried state; its outputs
(Excel, CSV, one HTML statement per rep)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .state import CompState

LINE_COLUMNS = [
    "period",
    "rep_id",
    "rep_name",
    "line",
    "kind",
    "measure",
    "opportunity_id",
    "credit",
    "rule",
    "amount",
]


@dataclass
class StatementResult:
    """Statement lines, per rep-period totals, notes, and (for analysis, floats) the
    accelerator premium of each measure (``accelerators``: period, rep_id, measure, amount):
    commission paid on credit above quota beyond the base rate 1.0, ``credit x BCR x
    (rate - 1)`` for tiers starting at 100%+ with a rate above 1, less any payout cap;
    true-ups are not included."""

    lines: pd.DataFrame
    totals: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    accelerators: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["period", "rep_id", "measure", "amount"])
    )
    state: CompState | None = None

    def for_periods(self, labels) -> StatementResult:
        """The lines, totals, notes and accelerators of the given period labels only (the
        carried state is the whole run's)."""
        labels = [labels] if isinstance(labels, str) else list(labels)
        keep = set(labels)
        return StatementResult(
            self.lines[self.lines["period"].isin(labels)].reset_index(drop=True),
            self.totals[self.totals["period"].isin(labels)].reset_index(drop=True),
            [n for n in self.notes if n.split(" ", 1)[0] in keep],
            self.accelerators[self.accelerators["period"].isin(labels)].reset_index(drop=True),
            self.state,
        )

    def for_period(self, label: str) -> StatementResult:
        return self.for_periods([label])

    def fiscal_year_to_date(self, crm, label: str) -> StatementResult:
        """The periods computed from the start of ``label``'s fiscal year (on ``crm``'s
        calendar) through ``label``: what a year-to-date workbook shows."""
        end = crm.period(label)
        year = crm.calendar.year(end.start)
        in_year = [
            x
            for x in self.totals["period"].unique()
            if year.start <= crm.period(x).start <= end.start
        ]
        return self.for_periods(in_year)

    def to_excel(self, path) -> str:
        """Workbook with Totals, Lines and Notes; CRM text neutralized (never a formula)."""
        from ..exports import write_excel

        t = self.totals.copy()
        t["total"] = t["total"].map(float)
        ln = self.lines.copy()
        ln["amount"] = ln["amount"].map(float)
        ln["credit"] = ln["credit"].map(lambda v: None if v is None else float(v))
        notes = pd.DataFrame({"note": self.notes or ["none"]})
        write_excel({"Totals": t, "Lines": ln, "Notes": notes}, path)
        return str(path)

    def to_html(self, folder, plan=None) -> list:
        """One readable HTML statement per rep and period (and ``index.html``) in
        ``folder``; see :mod:`.statement_html`."""
        from .statement_html import write_statements

        return write_statements(
            self,
            folder,
            plan_name=plan.name if plan is not None else "",
            currency=plan.currency if plan is not None else "USD",
        )

    def to_csv(self, path) -> str:
        """Payroll CSV: one row per line, amounts as exact decimal strings and integer cents;
        CRM text neutralized against formula injection."""
        from ..exports import write_csv

        out = self.lines.copy()
        out["amount_cents"] = out["amount"].map(lambda d: int(d * 100))
        out["amount"] = out["amount"].map(lambda d: f"{d:.2f}")
        out["credit"] = out["credit"].map(lambda d: "" if d is None else f"{d:.2f}")
        write_csv(out, path)
        return str(path)


def _statement_totals(rows: list[tuple]) -> pd.DataFrame:
    """One row per period and rep with lines: the exact sum of its lines and the line count."""
    out = pd.DataFrame(rows, columns=["period", "rep_id", "rep_name", "total", "lines"])
    out["lines"] = out["lines"].astype(np.int64)
    return out
