"""What every command group shares: the console, the ``--db`` and sampler options, and the
terminal's tables (CRM text shown literally)."""

from __future__ import annotations

import sys

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .. import config
from ..exports import escape_controls

console = Console(width=None if sys.stdout.isatty() else 160)  # a log is not cut at 80


def show_progress() -> bool:
    """Progress bars only where a person watches: a terminal, not a log file or a pipe
    (a cron run's log would fill with redrawn bars)."""
    return sys.stderr.isatty()


def store_option(value):
    """A ``--db`` value: a DuckDB path or a database URL (kept whole: a Path would fold the
    ``//`` of ``postgresql://``)."""
    from ..store import resolve_store

    return resolve_store(value) if value is not None else None


DB_OPTION = typer.Option(
    None,
    "--db",
    help="Store to read: a DuckDB file or a database URL (postgresql://user@host/db); "
    f"default ${config.STORE_ENV}, else the sample org data/salesops.duckdb.",
    callback=lambda v: store_option(v if v is not None else config.current_store()),
    show_default=False,
)

#: the forecast's sampler settings on the command line (None: the model's defaults)
DRAWS_OPTION = typer.Option(
    None, help="Posterior draws per chain (default: the model's, 2 chains x 2,000)."
)
TUNE_OPTION = typer.Option(
    None, help="Tuning steps per chain (default: the model's, 300; doubled on a retry)."
)
SCHEDULER_OPTION = typer.Option(
    None,
    "--scheduler",
    help="Run the tasks on Dask: local, local:N (N worker processes) or a scheduler address "
    "(tcp://host:8786). Same seed, same numbers.",
)


def sampler_overrides(**given) -> dict:
    """The sampler settings given on the command line (the model's defaults for the rest)."""
    return {k: v for k, v in given.items() if v is not None}


def cell(v) -> str:
    """A table cell for the terminal: CRM text shown literally (no rich markup, no control
    characters reaching the terminal); amounts with thousands separators and no decimals
    from 1,000 up, smaller numbers (rates) with two decimals, dates without a midnight."""
    import pandas as pd

    from ..reports.context import readable_number

    if isinstance(v, float):
        text = "" if v != v else readable_number(v)
    elif isinstance(v, pd.Timestamp):
        text = str(v.date()) if v == v.normalize() else str(v)
    else:
        text = str(v)
    return escape(escape_controls(text))


def table(df, title: str) -> Table:
    """A DataFrame as a terminal table, every cell through :func:`cell`."""
    t = Table(title=escape(title), show_lines=False)
    for c in df.columns:
        t.add_column(cell(c))
    for row in df.itertuples(index=False):
        t.add_row(*[cell(v) for v in row])
    return t


def where(store) -> str:
    """A store as the terminal shows it: the path, or the URL without its password."""
    from ..sql_store import redact
    from ..store import is_database_url

    return redact(str(store)) if is_database_url(store) else str(store)


def print_notes(notes, limit: int | None = None) -> None:
    """Notes as a bullet list, CRM text shown literally."""
    shown = list(notes) if limit is None else list(notes)[:limit]
    for note in shown:
        console.print(f"- {cell(note)}", highlight=False)
