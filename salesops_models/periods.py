"""Fiscal periods: quarters, months and years with a configurable fiscal-year start.

Convention (Salesforce "standard fiscal year", named by its *ending* year): with a fiscal
year starting in February, FY2027 runs 2026-02-01 .. 2027-01-31 and its Q1 is Feb-Apr 2026.
With ``start_month=1`` fiscal and calendar years coincide and labels read ``2026-Q3``.
Period ends are inclusive last days; ``Period.contains`` compares on dates.

Examples
--------
>>> cal = FiscalCalendar(start_month=2)
>>> q = cal.quarter("2026-03-15")
>>> q.label, q.start.date().isoformat(), q.end.date().isoformat()
('FY2027-Q1', '2026-02-01', '2026-04-30')
>>> cal.period("FY2027-Q1") == q
True
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import PeriodError

_LABEL = re.compile(
    r"^(?:FY)?(?P<fy>\d{4})(?:-?(?:(?P<q>Q[1-4])|M(?P<fm>\d{1,2})))?$", re.IGNORECASE
)
_MONTH = re.compile(r"^(?P<y>\d{4})-(?P<m>\d{2})$")


@dataclass(frozen=True)
class Period:
    """A closed date interval ``[start, end]`` (both inclusive days) with a label."""

    label: str
    start: pd.Timestamp
    end: pd.Timestamp
    kind: str  # "quarter" | "month" | "year"

    @property
    def end_exclusive(self) -> pd.Timestamp:
        """The first day after the period (use with ``<`` on timestamps)."""
        return self.end + pd.Timedelta(days=1)

    @property
    def days(self) -> int:
        return int((self.end - self.start).days) + 1

    def contains(self, dates) -> np.ndarray | bool:
        """True where ``dates`` (scalar or array-like of dates) fall inside the period."""
        d = pd.to_datetime(dates)
        if isinstance(d, pd.Timestamp):
            return bool(self.start <= d.normalize() <= self.end)
        d = pd.DatetimeIndex(d).normalize()
        return np.asarray((d >= self.start) & (d <= self.end))

    def __str__(self) -> str:  # pragma: no cover - cosmetic
        return f"{self.label} ({self.start.date()}..{self.end.date()})"


@dataclass(frozen=True)
class FiscalCalendar:
    """Fiscal calendar whose year starts on the first day of ``start_month``."""

    start_month: int = 1

    def __post_init__(self) -> None:
        if not 1 <= int(self.start_month) <= 12:
            raise ValueError(f"fiscal start_month must be 1..12, got {self.start_month!r}")

    # --- scalar helpers -----------------------------------------------------------------
    def fiscal_year(self, date) -> int:
        d = pd.Timestamp(date)
        if self.start_month == 1:
            return d.year
        return d.year + 1 if d.month >= self.start_month else d.year

    def year_start(self, fiscal_year: int) -> pd.Timestamp:
        year = fiscal_year if self.start_month == 1 else fiscal_year - 1
        return pd.Timestamp(year=year, month=self.start_month, day=1)

    def _label(self, fy: int, q: int | None = None) -> str:
        prefix = f"{fy}" if self.start_month == 1 else f"FY{fy}"
        return prefix if q is None else f"{prefix}-Q{q}"

    def quarter(self, date) -> Period:
        """The fiscal quarter containing ``date``."""
        d = pd.Timestamp(date)
        fy = self.fiscal_year(d)
        q = ((d.month - self.start_month) % 12) // 3 + 1
        return self._quarter(fy, q)

    def _quarter(self, fy: int, q: int) -> Period:
        start = self.year_start(fy) + pd.DateOffset(months=3 * (q - 1))
        end = start + pd.DateOffset(months=3) - pd.Timedelta(days=1)
        return Period(self._label(fy, q), pd.Timestamp(start), pd.Timestamp(end), "quarter")

    def year(self, date) -> Period:
        fy = self.fiscal_year(date)
        start = self.year_start(fy)
        end = start + pd.DateOffset(years=1) - pd.Timedelta(days=1)
        return Period(self._label(fy), start, pd.Timestamp(end), "year")

    @staticmethod
    def month(date) -> Period:
        d = pd.Timestamp(date)
        start = pd.Timestamp(year=d.year, month=d.month, day=1)
        end = start + pd.offsets.MonthEnd(0)
        return Period(f"{d.year}-{d.month:02d}", start, pd.Timestamp(end), "month")

    def period(self, label: str | Period) -> Period:
        """Parse ``2026-Q3``, ``FY2027-Q1``, ``FY2027`` or a calendar month ``2026-07``."""
        if isinstance(label, Period):
            return label
        text = str(label).strip()
        m = _MONTH.match(text)
        if m and int(m["m"]) <= 12 and not text.upper().startswith("FY"):
            return self.month(f"{m['y']}-{m['m']}-01")
        m = _LABEL.match(text)
        if not m:
            raise PeriodError(
                f"cannot read period {label!r}: expected e.g. '2026-Q3', 'FY2027-Q1', "
                "'FY2027', a month '2026-07', or 'current quarter', 'previous quarter', "
                "'next quarter', 'current month', 'previous month'"
            )
        fy = int(m["fy"])
        if m["q"]:
            return self._quarter(fy, int(m["q"][1]))
        if m["fm"]:
            start = self.year_start(fy) + pd.DateOffset(months=int(m["fm"]) - 1)
            return self.month(start)
        return self.year(self.year_start(fy))

    def next(self, period: Period) -> Period:
        return self._shift(period, +1)

    def previous(self, period: Period) -> Period:
        return self._shift(period, -1)

    def _shift(self, period: Period, k: int) -> Period:
        if period.kind == "quarter":
            return self.quarter(period.start + pd.DateOffset(months=3 * k))
        if period.kind == "month":
            return self.month(period.start + pd.DateOffset(months=k))
        return self.year(period.start + pd.DateOffset(years=k))

    def quarters_between(self, start, end) -> list[Period]:
        """Every fiscal quarter overlapping ``[start, end]``, in order."""
        out, q = [], self.quarter(start)
        end = pd.Timestamp(end)
        while q.start <= end:
            out.append(q)
            q = self.next(q)
        return out

    # --- vectorized ---------------------------------------------------------------------
    def quarter_labels(self, dates) -> np.ndarray:
        """Fiscal quarter label of every date (vectorized; NaT gives None)."""
        d = pd.DatetimeIndex(pd.to_datetime(dates))
        month = d.month.to_numpy()
        year = d.year.to_numpy()
        valid = ~d.isna()
        shift = (month >= self.start_month) & (self.start_month != 1)
        fy = np.where(shift, year + 1, year)
        q = ((month - self.start_month) % 12) // 3 + 1
        prefix = "" if self.start_month == 1 else "FY"
        codes, inverse = np.unique(np.where(valid, fy * 10 + q, -1), return_inverse=True)
        names = np.array(
            [None if c < 0 else f"{prefix}{c // 10}-Q{c % 10}" for c in codes], dtype=object
        )
        return names[inverse]


#: The relative period names :func:`resolve_period` reads.
RELATIVE_PERIODS = frozenset(
    {
        "current quarter",
        "this quarter",
        "previous quarter",
        "last quarter",
        "next quarter",
        "current month",
        "this month",
        "previous month",
        "last month",
    }
)


def resolve_period(value, reference, calendar: FiscalCalendar | None = None) -> Period:
    """The fiscal period ``value`` means on ``reference``: a label (:meth:`FiscalCalendar.period`)
    or a relative name of :data:`RELATIVE_PERIODS` (empty = the current quarter)."""
    cal = calendar or FiscalCalendar()
    ref = pd.Timestamp(reference).normalize()
    text = str(value).strip().lower()
    if text in ("", "current quarter", "this quarter"):
        return cal.quarter(ref)
    if text in ("previous quarter", "last quarter"):
        return cal.previous(cal.quarter(ref))
    if text == "next quarter":
        return cal.next(cal.quarter(ref))
    if text in ("current month", "this month"):
        return cal.month(ref)
    if text in ("previous month", "last month"):
        return cal.previous(cal.month(ref))
    return cal.period(str(value).strip())
