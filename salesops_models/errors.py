"""Every error class of the workbench, in one file (scikit-learn's ``exceptions.py``,
papermill's ``exceptions.py``).

Every error the workbench raises on purpose derives from ``SalesOpsError`` and keeps
its familiar built-in parent (``ValueError`` for bad input, ``RuntimeError`` for a failed
run, ``ImportError`` for a missing optional extra), so ``except ValueError`` keeps working
and ``except SalesOpsError`` catches them all. The command line prints any of them as one
line with exit code 2 (``ReportFailed``: exit 1; ``--debug`` for the traceback); a missing
optional extra's line is the ``pip install`` that adds it.

==========================  =====================  ==============================================
error                       parent                 raised when
==========================  =====================  ==============================================
``LoadError``               ``ValueError``         a CRM file cannot be imported at all
``ColumnMapError``          ``ValueError``         a ``--columns`` map names an unknown table, column or stage
``PlanError``               ``ValueError``         a comp plan does not validate
``BandError``               ``ValueError``         a health band file is broken
``CriteriaError``           ``ValueError``         a stage-criteria file is broken
``YamlError``               ``ValueError``         a YAML file is unreadable (duplicate keys, ...)
``ParameterError``          ``ValueError``         a report name or parameter is wrong
``PeriodError``             ``ValueError``         a period label cannot be read
``UserInputError``          ``ValueError``         a command-line value cannot be used
``WhatIfError``             ``ValueError``         a what-if edit names a deal, rep or stage the fit does not know
``NotFittedError``          ``ValueError``         a model result was asked before ``fit`` (also ``AttributeError``)
``ModelFileError``          ``ValueError``         a saved model is of another type or does not fit the data
``InfeasibleTerritories``   ``ValueError``         no territory design meets the bands
``TerritoryInputError``     ``ValueError``         a design's k, tolerance, locks or accounts are unusable
``TerritorySolverError``    ``RuntimeError``       the MIP solver itself failed
``ReportFailed``            ``RuntimeError``       a report notebook raised (exit 1 in the CLI)
``NotebookError``           ``RuntimeError``       (inside a report run) the notebook's failing cell
``PostgresUnavailable``     ``RuntimeError``       no PostgreSQL server binaries for a local server
``MissingExtra``            ``ImportError``        an optional extra is not installed (base of the two below)
``WarehouseUnavailable``    ``ImportError``        a database URL without the ``warehouse`` extra
``DaskUnavailable``         ``ImportError``        a ``--scheduler`` without the ``dask`` extra
``Undescribable``           ``ValueError``         (internal) a graph part has no cache key
==========================  =====================  ==============================================
"""

from __future__ import annotations


class SalesOpsError(Exception):
    """Base of every error the workbench raises on purpose (see the module table)."""


# --- bad input -----------------------------------------------------------------------------
class LoadError(SalesOpsError, ValueError):
    """A file cannot be imported at all; the message names the file and, where known, the
    sheet row (as a spreadsheet numbers it), the file's line and the column."""

    def __init__(
        self,
        file,
        message: str,
        *,
        column: str | None = None,
        row: int | None = None,
        line: int | None = None,
    ):
        where = str(file)
        if row is not None:
            where += f", sheet row {int(row)}"
        if line is not None:
            where += f", line {int(line)}"
        if column is not None:
            where += f", column {column!r}"
        super().__init__(f"{where}: {message}")
        self.file, self.column, self.row, self.line = str(file), column, row, line


class ColumnMapError(SalesOpsError, ValueError):
    """A column map that cannot be used (unknown table, column or stage)."""


class PlanError(SalesOpsError, ValueError):
    """A plan file that does not validate; the message names the path in the plan."""


class BandError(SalesOpsError, ValueError):
    """A band file that cannot be used (names the file and the metric)."""


class CriteriaError(SalesOpsError, ValueError):
    """A stage-criteria file that cannot be used (names the file and the entry)."""


class YamlError(SalesOpsError, ValueError):
    """A YAML file that cannot be read; the message names the file (and line)."""


class ParameterError(SalesOpsError, ValueError):
    """An unknown parameter, or a value of the wrong type, for a report."""


class PeriodError(SalesOpsError, ValueError):
    """A period label that is not a fiscal quarter, month, year or relative period name."""


class UserInputError(SalesOpsError, ValueError):
    """A value given on the command line that cannot be used (exit 2, one line)."""


class WhatIfError(SalesOpsError, ValueError):
    """A what-if edit names a deal, rep, stage or type the fit does not know."""


# --- models --------------------------------------------------------------------------------
class NotFittedError(SalesOpsError, ValueError, AttributeError):
    """A result was asked of a model that has no posterior yet (scikit-learn's convention:
    both a ``ValueError`` and an ``AttributeError``)."""


class ModelFileError(SalesOpsError, ValueError):
    """A saved model file is of another model type, or does not fit the data given."""


class Undescribable(SalesOpsError, ValueError):
    """A graph part whose only description is its memory address (it has no cache key);
    internal: the compile cache then compiles instead of loading."""


# --- territories ---------------------------------------------------------------------------
class InfeasibleTerritories(SalesOpsError, ValueError):
    """The balance bounds, locks and accounts cannot all be satisfied; says which."""


class TerritoryInputError(SalesOpsError, ValueError):
    """A territory design's inputs cannot be used (no accounts, k out of range, a bad
    tolerance or lock); the message names the input."""


class TerritorySolverError(SalesOpsError, RuntimeError):
    """The MIP solver itself failed (not an infeasible instance); the message says how."""


# --- runs ----------------------------------------------------------------------------------
class ReportFailed(SalesOpsError, RuntimeError):
    """A report notebook raised; the record (a ``reports.ledger.RunRecord``) says where its
    executed copy is."""

    def __init__(self, record):
        super().__init__(
            f"report {record.name} failed: {record.error} (executed notebook: {record.failed_dir})"
        )
        self.record = record


class NotebookError(SalesOpsError, RuntimeError):
    """The notebook raised; the message is the failing cell's error."""


# --- the machine ---------------------------------------------------------------------------
class PostgresUnavailable(SalesOpsError, RuntimeError):
    """No PostgreSQL server binaries on this machine."""


class MissingExtra(SalesOpsError, ImportError):
    """An optional extra is not installed; the message is the ``pip install`` line."""

    def __init__(self, extra: str, needed_for: str):
        super().__init__(
            f"{needed_for} needs the {extra} extra: pip install 'salesops-models[{extra}]' "
            f"(from a checkout: pip install '.[{extra}]')"
        )
        self.extra = extra


class WarehouseUnavailable(MissingExtra):
    """The optional warehouse packages (SQLAlchemy, psycopg) are not installed."""

    def __init__(self, needed_for: str = "a database URL"):
        super().__init__("warehouse", needed_for)


class DaskUnavailable(MissingExtra):
    """The optional ``dask`` extra is not installed."""

    def __init__(self, needed_for: str = "a scheduler"):
        super().__init__("dask", needed_for)


__all__ = [
    "BandError",
    "ColumnMapError",
    "CriteriaError",
    "DaskUnavailable",
    "InfeasibleTerritories",
    "LoadError",
    "MissingExtra",
    "ModelFileError",
    "NotFittedError",
    "NotebookError",
    "ParameterError",
    "PeriodError",
    "PlanError",
    "PostgresUnavailable",
    "ReportFailed",
    "SalesOpsError",
    "TerritoryInputError",
    "TerritorySolverError",
    "Undescribable",
    "UserInputError",
    "WarehouseUnavailable",
    "WhatIfError",
    "YamlError",
]
