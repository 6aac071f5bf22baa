"""Relative dates and periods for report parameters.

Dates: an ISO date (``2026-06-30``), ``today``, ``yesterday``, ``N days ago``,
``N weeks ago``, ``last <weekday>`` (the latest such day strictly before the reference),
``start of quarter``, ``end of last quarter``, ``end of last month``, ``start of month``.

Periods: a label (``2026-Q3``, ``FY2027-Q1``, ``2026-07``) or ``current quarter``,
``previous quarter`` (= ``last quarter``), ``next quarter``, ``current month``,
``previous month``.

The reference date is the run day by default; scheduled runs over a static extract can use
the data's last day instead (``reference: data_end``).
"""

from __future__ import annotations

import re

import pandas as pd

from ..periods import RELATIVE_PERIODS, FiscalCalendar, Period, resolve_period  # noqa: F401

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_AGO = re.compile(r"^(\d+)\s+(day|days|week|weeks)\s+ago$")


def resolve_date(value, reference, calendar: FiscalCalendar | None = None) -> pd.Timestamp:
    """The date ``value`` means on ``reference`` (see the module docstring)."""
    cal = calendar or FiscalCalendar()
    ref = pd.Timestamp(reference).normalize()
    text = str(value).strip().lower()
    if text in ("today", ""):
        return ref
    if text == "yesterday":
        return ref - pd.Timedelta(days=1)
    m = _AGO.match(text)
    if m:
        n = int(m[1]) * (7 if m[2].startswith("week") else 1)
        return ref - pd.Timedelta(days=n)
    if text.startswith("last ") and text[5:] in WEEKDAYS:
        back = (ref.weekday() - WEEKDAYS.index(text[5:])) % 7 or 7
        return ref - pd.Timedelta(days=back)
    if text in ("start of quarter", "start of current quarter"):
        return cal.quarter(ref).start
    if text in ("end of last quarter", "end of previous quarter"):
        return cal.quarter(ref).start - pd.Timedelta(days=1)
    if text in ("end of last month", "end of previous month"):
        return ref.replace(day=1) - pd.Timedelta(days=1)
    if text in ("start of month", "start of current month"):
        return ref.replace(day=1)
    try:
        return pd.Timestamp(str(value).strip()).normalize()
    except ValueError as exc:
        raise ValueError(
            f"cannot read date {value!r}: use YYYY-MM-DD, 'today', 'yesterday', 'N days ago', "
            "'last friday', 'start of quarter', 'end of last quarter' or 'end of last month'"
        ) from exc
