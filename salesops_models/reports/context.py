"""What a report notebook needs from its parameters, resolved in one call."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .. import config
from ..crm import CRM
from ..periods import Period
from .dates import resolve_date, resolve_period


def resolve_source(source: str | Path):
    """A store path (relative paths are taken from the project root) or a database URL
    (:class:`~salesops_models.sql_store.DatabaseURL`: ``.name`` hides the password).
    """
    from ..store import is_database_url, resolve_store

    if is_database_url(source):
        return resolve_store(source)
    p = Path(source)
    return p if p.is_absolute() else config.PROJECT_ROOT / p


def reference_date(reference: str, crm: CRM | None = None) -> pd.Timestamp:
    """``""``/``today`` = the run day; ``data_end`` = the last day in the data; or a date."""
    text = str(reference).strip().lower()
    if text in ("", "today", "now"):
        return pd.Timestamp.today().normalize()
    if text == "data_end":
        if crm is None:
            raise ValueError("reference 'data_end' needs the CRM")
        return crm.data_end
    return pd.Timestamp(reference).normalize()


@dataclass
class ReportContext:
    crm: CRM
    source: Path
    reference: pd.Timestamp
    as_of: pd.Timestamp
    period: Period
    compare_to: pd.Timestamp

    def comp_inputs(self):
        """The compensation inputs held by the store (splits, cancellations, deal attributes,
        leaves; :func:`~salesops_models.comp.read_comp_inputs`)."""
        from ..comp import read_comp_inputs

        return read_comp_inputs(self.source)[0]

    def describe(self) -> str:
        import html

        src = html.escape(f"{self.source.name} ({self.crm.meta.get('source', '?')})")
        return (
            f"source {src}, as of {self.as_of.date()}, "
            f"period {self.period.label} ({self.period.start.date()} to {self.period.end.date()}), "
            f"compared with {self.compare_to.date()}"
        )


def _frame_html(df: pd.DataFrame) -> str:
    """A DataFrame as a report shows it: no row numbers (a 0..n index, or the integer
    positions a sorted or filtered frame keeps), a named or labelled index kept; text
    escaped; missing values empty."""
    idx = df.index
    row_numbers = isinstance(idx, pd.RangeIndex) or (
        idx.nlevels == 1 and idx.name is None and pd.api.types.is_integer_dtype(idx.dtype)
    )
    keep = not row_numbers
    return df.to_html(
        index=keep, escape=True, na_rep="", max_rows=pd.get_option("display.max_rows")
    )  # a missing value is an empty cell, not "NaN"


def report_display() -> None:
    """In a running notebook, DataFrames shown bare (``display(df)`` or a cell's last line)
    render without the 0..n index column, as every report table should (Stylers built with
    ``styled(...).hide(axis="index")`` already do), and floats read as amounts or rates
    (:func:`readable_number`). Nothing happens outside IPython."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython ships with the report stack
        return
    ip = get_ipython()
    if ip is None:
        return
    ip.display_formatter.formatters["text/html"].for_type(pd.DataFrame, _frame_html)
    pd.set_option("display.float_format", readable_number)


def readable_number(v: float) -> str:
    """Floats in report tables: whole numbers from 1,000 up (amounts: ``21,326,000``), two
    decimals below (rates, ratios: ``0.35``).

    >>> readable_number(21326000.0), readable_number(2938649.424), readable_number(0.3456)
    ('21,326,000', '2,938,649', '0.35')
    """
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:,.2f}"


def default_plan_start(crm: CRM) -> str:
    """The first month after the data's last day (``YYYY-MM``): a plan made from a store
    starts where its history ends.

    >>> from salesops_models.synthetic import generate_org
    >>> default_plan_start(generate_org(n_reps=4, years=1, seed=1, end_date="2026-09-30").crm)
    '2026-10'
    """
    return str(crm.data_end.to_period("M") + 1)


def context(source, as_of="", period="", compare_to="", reference="") -> ReportContext:
    """Load the store and resolve the report's dates. An empty ``as_of`` is the data's last
    day (the store's own date, whatever the reference of relative dates is).

    ``compare_to`` (the waterfall's starting date) defaults to the day before the period
    starts (a period-to-date waterfall), or four weeks before ``as_of`` when that is earlier
    than the period start.
    """
    from ..store import load_store

    report_display()
    path = resolve_source(source)
    crm = load_store(path)
    ref = reference_date(reference, crm)
    cal = crm.calendar
    when = resolve_date(as_of, ref, cal) if str(as_of).strip() else crm.data_end
    p = resolve_period(period, when, cal)
    if compare_to:
        start = resolve_date(compare_to, ref, cal)
    else:
        start = p.start - pd.Timedelta(days=1)
        if start >= when:
            start = when - pd.Timedelta(days=28)
    return ReportContext(crm, path, ref, when, p, start)
