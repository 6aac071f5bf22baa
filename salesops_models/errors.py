"""One error family for everything a user can cause.

Every error the workbench raises on bad input derives from :class:`SalesOpsError` and keeps
its familiar built-in parent (``ValueError`` for bad input, ``RuntimeError`` for a failed
run), so ``except ValueError`` keeps working and ``except SalesOpsError`` catches them all.
The command line prints any of them as one line with exit code 2 (``--debug`` for the
traceback).

==========================  =====================  =============================================
error                       parent                 raised when
==========================  =====================  =============================================
``LoadError``               ``ValueError``         a CRM file cannot be imported at all
``PlanError``               ``ValueError``         a comp plan does not validate
``BandError``               ``ValueError``         a health band file is broken
``YamlError``               ``ValueError``         a YAML file is unreadable (duplicate keys, ...)
``ParameterError``          ``ValueError``         a report name or parameter is wrong
``PeriodError``             ``ValueError``         a period label cannot be read
``InfeasibleTerritories``   ``ValueError``         no territory design meets the bands
``TerritoryInputError``     ``ValueError``         a design's k, tolerance, locks or accounts are unusable
``TerritorySolverError``    ``RuntimeError``       the MIP solver itself failed
``ReportFailed``            ``RuntimeError``       a report notebook raised (exit 1 in the CLI)
==========================  =====================  =============================================
"""

from __future__ import annotations


class SalesOpsError(Exception):
    """Base of every error the workbench raises on purpose (see the module table)."""


class InfeasibleTerritories(SalesOpsError, ValueError):
    """The balance bounds, locks and accounts cannot all be satisfied; says which."""


class PeriodError(SalesOpsError, ValueError):
    """A period label that is not a fiscal quarter, month, year or relative period name."""


class TerritoryInputError(SalesOpsError, ValueError):
    """A territory design's inputs cannot be used (no accounts, k out of range, a bad
    tolerance or lock); the message names the input."""


class TerritorySolverError(SalesOpsError, RuntimeError):
    """The MIP solver itself failed (not an infeasible instance); the message says how."""


__all__ = [
    "InfeasibleTerritories",
    "PeriodError",
    "SalesOpsError",
    "TerritoryInputError",
    "TerritorySolverError",
]
