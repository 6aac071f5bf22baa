"""Sales-operations workbench: CRM data model, pipeline analytics and planning models.

Quick start (JupyterLab)::

    import salesops_models as so
    crm = so.load_duckdb()              # the sample org written by `make demo`
    snap = crm.as_of("2026-06-30")      # the pipeline as it stood that day
    so.quality.scorecard(crm, as_of="2026-06-30")
"""

from . import config, quality
from .crm import CRM
from .periods import FiscalCalendar, Period
from .store import load_duckdb, load_folder, read_table, save_duckdb, save_folder
from .synthetic import OrgParams, generate_org

__version__ = "0.1.0"

__all__ = [
    "CRM",
    "FiscalCalendar",
    "OrgParams",
    "Period",
    "__version__",
    "config",
    "generate_org",
    "load_duckdb",
    "load_folder",
    "quality",
    "read_table",
    "save_duckdb",
    "save_folder",
]
