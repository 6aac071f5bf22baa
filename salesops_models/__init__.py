"""Sales-operations workbench: CRM data model, pipeline analytics and planning models.

Every area is one attribute away after ``import salesops_models as so`` (imported on first
use, so ``import salesops_models`` stays fast)::

    so.pipeline    coverage, conversion, win rates, velocity, waterfall, at-risk deals
    so.quality     CRM hygiene: completeness, duplicates, stale and past-due deals
    so.forecast    Bayesian bookings forecast, backtests, forecast ledger
    so.calls       the forecast call: roll-up, each forecaster's bias, bridge, call sheets
    so.capacity    productivity model, quota allocation, capacity Monte Carlo
    so.comp        comp plans, exact statements, Monte Carlo plan cost
    so.territory   territory design (exact MIP), rebalancing, territory wars
    so.health      the sales-ops health scorecard
    so.activities  selling time, process compliance and tool adoption (activity log)
    so.loaders     Salesforce / HubSpot / Maven / mapped CSV importers
    so.reports     scheduled papermill reports
    so.synthetic   the sample org generator (with ground truth)
    so.draws       the p10/p50/p90 and ``draw`` conventions of every simulation

Examples
--------
>>> import salesops_models as so
>>> crm = so.generate_org(n_reps=8, years=1, seed=3).crm     # a small synthetic org
>>> snap = crm.as_of("2026-06-30")                           # the pipeline as it stood then
>>> int((snap["close_date"] > "2026-06-30").sum()) >= 0
True
>>> "coverage" in dir(so.pipeline)
True
"""

from __future__ import annotations

import importlib

from .blas import configure_pytensor_blas

configure_pytensor_blas()  # before anything imports PyTensor: no BLAS probe warning

from .crm import CRM  # noqa: E402
from .errors import SalesOpsError  # noqa: E402
from .periods import FiscalCalendar, Period  # noqa: E402
from .store import load_duckdb, load_folder, read_table, save_duckdb, save_folder  # noqa: E402

__version__ = "0.2.0"

#: the analysis areas, imported on first attribute access
AREAS = (
    "activities",
    "calls",
    "capacity",
    "comp",
    "config",
    "draws",
    "forecast",
    "health",
    "loaders",
    "pipeline",
    "quality",
    "reports",
    "synthetic",
    "territory",
)
_LAZY_NAMES = {"OrgParams": "synthetic", "generate_org": "synthetic"}

__all__ = [
    "CRM",
    "FiscalCalendar",
    "OrgParams",
    "Period",
    "SalesOpsError",
    "__version__",
    "generate_org",
    "load_duckdb",
    "load_folder",
    "read_table",
    "save_duckdb",
    "save_folder",
    *AREAS,
]


def __getattr__(name: str):
    if name in AREAS:
        return importlib.import_module(f".{name}", __name__)
    if name in _LAZY_NAMES:
        return getattr(importlib.import_module(f".{_LAZY_NAMES[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
