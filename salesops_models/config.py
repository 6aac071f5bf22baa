"""Project paths and workbench-wide defaults.

Every path is anchored at the project root (the folder holding ``pyproject.toml``), so the
package behaves the same from a notebook in ``notebooks/``, from the CLI, or from a
scheduled papermill run. Override the root with the ``SALESOPS_HOME`` environment variable
(for an installed package used outside the repository).
"""

from __future__ import annotations

import os
from pathlib import Path


def _find_root() -> Path:
    env = os.environ.get("SALESOPS_HOME")
    if env:
        return Path(env).resolve()
    here = Path(__file__).resolve().parent
    for candidate in (here.parent, *here.parents):
        if (candidate / "pyproject.toml").exists() and (candidate / "salesops_models").is_dir():
            return candidate
    return Path.cwd().resolve()


PROJECT_ROOT: Path = _find_root()
DATA_DIR: Path = PROJECT_ROOT / "data"
RAW_DIR: Path = DATA_DIR / "raw"
NOTEBOOKS_DIR: Path = PROJECT_ROOT / "notebooks"
REPORTS_DIR: Path = PROJECT_ROOT / "reports"

#: The embedded default store (DuckDB) holding the sample org.
DEFAULT_DB: Path = DATA_DIR / "salesops.duckdb"
#: Environment variable naming the store every command and report reads when none is given
#: (``export SALESOPS_DB=data/salesforce.duckdb`` after loading your own CRM; ``salesops
#: data load`` prints the line). Unset: the sample org (:data:`DEFAULT_DB`).
STORE_ENV = "SALESOPS_DB"


def current_store() -> str:
    """The store commands read by default: ``$SALESOPS_DB`` (relative paths from the
    working directory), else the sample org's :data:`DEFAULT_DB`."""
    value = os.environ.get(STORE_ENV, "").strip()
    return value or str(DEFAULT_DB)


def store_stem(store) -> str:
    """A store's short name for file names: a DuckDB file's stem, a database URL's
    ``host-database`` (no user or password)."""
    text = str(store)
    if "://" not in text:
        return Path(text).stem
    import re

    rest = text.split("://", 1)[1].split("?", 1)[0].split("@", 1)[-1]
    host, _, db = rest.partition("/")
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", f"{host.split(':')[0]}-{db}").strip("-.") or "db"


#: What ``backtest_scores`` knows: the forecast's and the capacity plan's backtests.
BACKTEST_KINDS = ("forecast", "plan")


def backtest_scores(kind: str, store) -> Path:
    """Where ``salesops {kind} backtest`` writes a store's scores and where the reports and
    the health scorecard read them: ``reports/<kind>/backtest_<store>.csv``."""
    if kind not in BACKTEST_KINDS:
        raise ValueError(f"kind must be one of {BACKTEST_KINDS}, not {kind!r}")
    return REPORTS_DIR / kind / f"backtest_{store_stem(store)}.csv"


#: The forecast's calibration study on synthetic orgs (``salesops forecast calibrate``).
CALIBRATION_SCORES: Path = REPORTS_DIR / "forecast" / "calibration_synthetic.csv"
#: The run ledger's index page of every report (``salesops report index``).
REPORTS_INDEX: Path = REPORTS_DIR / "index.html"


def call_sheet_path(period_label: str, manager_id: str) -> Path:
    """Where ``salesops calls sheet`` writes a manager's call sheet by default."""
    import re

    safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", str(manager_id)).strip("-.") or "manager"
    return REPORTS_DIR / "calls" / period_label / f"call_sheet_{safe}.xlsx"


def statements_dir(period_label: str) -> Path:
    """Where ``salesops comp statements`` writes a period's statements by default."""
    return REPORTS_DIR / "comp" / period_label


#: The Maven CRM sample loaded into its own store by ``make demo``.
MAVEN_DB: Path = DATA_DIR / "maven.duckdb"
#: The public Maven CRM sample shipped beside the repository (``../shared``); override with
#: ``SALESOPS_MAVEN_DIR``.
MAVEN_DIR: Path = Path(
    os.environ.get("SALESOPS_MAVEN_DIR", PROJECT_ROOT.parent / "shared" / "datasets" / "maven_crm")
)

# --- defaults ---------------------------------------------------------------------------
#: Month (1-12) in which the fiscal year starts. 1 = calendar year; 2 = February (Salesforce,
#: many SaaS companies); the fiscal year is named after the calendar year in which it ends.
FISCAL_YEAR_START_MONTH: int = 1
#: Sample org defaults (``salesops data generate``).
SAMPLE_REPS: int = 60
SAMPLE_YEARS: int = 3
SAMPLE_SEED: int = 7
#: Seeds of the synthetic orgs in the forecast's calibration study (``salesops forecast
#: calibrate``): the sample org's and four others.
CALIBRATION_SEEDS: tuple[int, ...] = (SAMPLE_SEED, 11, 12, 13, 14)
#: Fixed end of the synthetic history, so that the same seed gives the same org on any day.
SAMPLE_END_DATE: str = "2026-09-30"
#: An open deal with no recorded change for this many days is stale.
STALE_DAYS: int = 30
#: Healthy completeness of a key CRM field.
COMPLETENESS_GOAL: float = 0.95
#: Amounts above this are rejected by importers as absurd (override per load).
MAX_DEAL_AMOUNT: float = 1e9
