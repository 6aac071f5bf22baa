"""What a report notebook needs from its parameters, resolved in one call."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .. import config
from ..crm import CRM
from ..periods import Period
from .dates import resolve_date, resolve_period


def resolve_source(source: str | Path) -> Path:
    """A store path; relative paths are taken from the project root."""
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
        leaves; :func:`~salesops_models.store.load_comp_inputs`)."""
        from ..store import load_comp_inputs

        return load_comp_inputs(self.source)[0]

    def describe(self) -> str:
        import html

        src = html.escape(f"{self.source.name} ({self.crm.meta.get('source', '?')})")
        return (
            f"source {src}, as of {self.as_of.date()}, "
            f"period {self.period.label} ({self.period.start.date()} to {self.period.end.date()}), "
            f"compared with {self.compare_to.date()}"
        )


def context(source, as_of="", period="", compare_to="", reference="") -> ReportContext:
    """Load the store and resolve the report's dates.

    ``compare_to`` (the waterfall's starting date) defaults to the day before the period
    starts (a period-to-date waterfall), or four weeks before ``as_of`` when that is earlier
    than the period start.
    """
    from ..store import load_duckdb

    path = resolve_source(source)
    crm = load_duckdb(path)
    ref = reference_date(reference, crm)
    cal = crm.calendar
    when = resolve_date(as_of, ref, cal)
    p = resolve_period(period, when, cal)
    if compare_to:
        start = resolve_date(compare_to, ref, cal)
    else:
        start = p.start - pd.Timedelta(days=1)
        if start >= when:
            start = when - pd.Timedelta(days=28)
    return ReportContext(crm, path, ref, when, p, start)
