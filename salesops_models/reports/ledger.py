"""The report run ledger: one JSON line per report run in ``reports/runs.jsonl``.

The engine appends a :class:`RunRecord` when a run ends (locked, torn lines skipped on read,
see :mod:`salesops_models.jsonl`); the index page and the scheduler read it back.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd

from .. import __version__, config
from ..jsonl import append_jsonl, read_jsonl

LEDGER = "runs.jsonl"


@dataclass
class RunRecord:
    run_id: str
    name: str
    report: str
    parameters: dict
    status: str = "running"
    started: str = ""
    finished: str = ""
    seconds: float = 0.0
    version: str = __version__
    data_fingerprint: str = ""
    html: str | None = None
    notebook: str | None = None
    failed_dir: str | None = None
    error: str | None = None
    schedule: str | None = None
    extra: dict = field(default_factory=dict)


def append_run(reports_dir: Path, record: RunRecord) -> None:
    """Append one run to the ledger (locked; see :func:`salesops_models.jsonl.append_jsonl`)."""
    append_jsonl(Path(reports_dir) / LEDGER, asdict(record))


def read_ledger(reports_dir: Path = config.REPORTS_DIR) -> pd.DataFrame:
    """The run ledger; unreadable lines are skipped and listed in ``df.attrs["problems"]``."""
    path = Path(reports_dir) / LEDGER
    rows, problems = read_jsonl(path)
    cols = list(RunRecord.__dataclass_fields__)
    df = pd.DataFrame(rows) if rows else pd.DataFrame(columns=cols)
    for c in cols:
        if c not in df:
            df[c] = None
    df.attrs["problems"] = problems
    return df
