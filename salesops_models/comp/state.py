"""The state carried across plan periods and fiscal years (paid per deal, draw balances,
clawed-back deals, the year's basis) and one rep-period's statement being built."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from decimal import Decimal

import pandas as pd

from ..periods import Period
from .money import ZERO, cents


# --- state ----------------------------------------------------------------------------------------
@dataclass
class CompState:
    """Balances carried from one plan period to the next, across fiscal years.

    ``paid``: (rep, deal) -> {measure or ``spiff:<name>``: paid for the deal after caps, net of
    clawbacks}; ``credit``: (rep, deal) -> {measure: (credit, fiscal year)} (what a clawback
    removes from the year's attainment); ``clawed``: (rep, deal) already clawed back (a deal is
    clawed back once); ``draw_balance``: rep -> recoverable draw outstanding; ``year_basis``
    (rep, measure) -> [TI, quota, credit] and ``year_paid`` (rep, measure) -> paid this fiscal
    year (commission, cap, year-to-date and clawback lines), reset when a fiscal year starts;
    ``next_start``: the first day of the next period to run.
    """

    paid: dict = field(default_factory=dict)
    credit: dict = field(default_factory=dict)
    clawed: set = field(default_factory=set)
    draw_balance: dict = field(default_factory=dict)
    year: str | None = None
    year_basis: dict = field(default_factory=dict)
    year_paid: dict = field(default_factory=dict)
    next_start: pd.Timestamp | None = None

    def copy(self) -> CompState:
        return copy.deepcopy(self)

    def only(self, rep_ids: set) -> CompState:
        """The balances of ``rep_ids`` only (what one worker of a parallel run owns)."""
        return CompState(
            {k: v for k, v in self.paid.items() if k[0] in rep_ids},
            {k: v for k, v in self.credit.items() if k[0] in rep_ids},
            {k for k in self.clawed if k[0] in rep_ids},
            {k: v for k, v in self.draw_balance.items() if k in rep_ids},
            self.year,
            {k: v for k, v in self.year_basis.items() if k[0] in rep_ids},
            {k: v for k, v in self.year_paid.items() if k[0] in rep_ids},
            self.next_start,
        )

    def merged(self, parts: list[CompState]) -> CompState:
        """This state updated with the workers' states (each owns its reps' balances; a new
        fiscal year reached by the run resets the year's balances of every rep)."""
        out = self.copy()
        if parts and parts[0].year != out.year:
            out.year_basis, out.year_paid = {}, {}
        for part in parts:
            out.paid.update(part.paid)
            out.credit.update(part.credit)
            out.clawed |= part.clawed
            out.draw_balance.update(part.draw_balance)
            out.year_basis.update(part.year_basis)
            out.year_paid.update(part.year_paid)
            out.year, out.next_start = part.year, part.next_start
        return out


#: Kept for code that imported the name: the state is no longer reset each fiscal year.
YearState = CompState


@dataclass
class RepPeriod:
    """One rep's statement for one period while it is being built."""

    rep: object  # a row of crm.reps (itertuples)
    period: Period
    proration: Decimal
    lines: list = field(default_factory=list)
    attainment: dict = field(default_factory=dict)  # measure -> attainment (float)

    def add(self, kind, amount, rule, measure=None, deal=None, credit=None) -> Decimal:
        amount = cents(amount)
        self.lines.append(
            {
                "period": self.period.label,
                "rep_id": self.rep.id,
                "rep_name": self.rep.name,
                "kind": kind,
                "measure": measure,
                "opportunity_id": deal,
                "credit": credit,
                "rule": rule,
                "amount": amount,
            }
        )
        return amount

    def earnings(self) -> Decimal:
        return sum((ln["amount"] for ln in self.lines), ZERO)
