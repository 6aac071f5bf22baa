"""Recurring reports: papermill engine, run ledger, HTML index and schedule."""

from .catalog import ParameterError, available, coerce_parameters, parameter_table, parameters
from .context import ReportContext, context, default_plan_start
from .dates import resolve_date, resolve_period
from .engine import ReportFailed, run_report
from .index import write_index
from .ledger import RunRecord, read_ledger
from .schedule import due_entries, load_schedule, run_entries, runs_table, with_stores

__all__ = [
    "ParameterError",
    "ReportContext",
    "ReportFailed",
    "RunRecord",
    "available",
    "coerce_parameters",
    "context",
    "default_plan_start",
    "due_entries",
    "load_schedule",
    "parameter_table",
    "parameters",
    "read_ledger",
    "resolve_date",
    "resolve_period",
    "run_entries",
    "run_report",
    "runs_table",
    "with_stores",
    "write_index",
]
