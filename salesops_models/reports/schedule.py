"""The schedule file ``reports.yml``: named recurring runs with a cron cadence.

Example::

    reports:
      - name: pipeline-health-weekly      # output folder and ledger name
        notebook: pipeline_health         # notebooks/pipeline_health.ipynb
        cron: "0 7 * * MON"               # every Monday 07:00
        parameters: {as_of: last friday, period: current quarter}

``salesops report run-due`` runs the entries whose latest scheduled time (by cron, before
now) has no successful run recorded since; ``run-all`` runs every entry. Both run several at
once in a process pool and show progress.
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict
from pathlib import Path

import pandas as pd
import yaml
from croniter import croniter
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .. import config
from .catalog import ParameterError
from .engine import ReportFailed, run_report
from .ledger import RunRecord, read_ledger

SCHEDULE_FILE = config.PROJECT_ROOT / "reports.yml"


class Entry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    notebook: str
    cron: str = "0 7 * * MON"
    parameters: dict[str, object] = Field(default_factory=dict)

    @field_validator("name", "notebook")
    @classmethod
    def _plain(cls, v: str) -> str:
        from .engine import check_plain_name

        try:
            return check_plain_name(v, "name")
        except ValueError as exc:
            raise ValueError(str(exc)) from None

    @field_validator("cron")
    @classmethod
    def _cron(cls, v: str) -> str:
        if not croniter.is_valid(v):
            raise ValueError(f"not a cron expression: {v!r} (e.g. '0 7 * * MON')")
        return v


class Schedule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reports: list[Entry]


def load_schedule(path: Path = SCHEDULE_FILE) -> Schedule:
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no schedule file at {path}")
    try:
        s = Schedule.model_validate(yaml.safe_load(path.read_text()) or {})
    except ValidationError as exc:
        msgs = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ParameterError(f"{path}: {msgs}") from exc
    names = [e.name for e in s.reports]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise ParameterError(f"{path}: duplicate report names {sorted(dup)}")
    return s


def due_entries(
    schedule: Schedule, now=None, reports_dir: Path = config.REPORTS_DIR
) -> list[Entry]:
    """Entries whose last scheduled time before ``now`` has no successful run since."""
    now = pd.Timestamp(now or pd.Timestamp.now()).to_pydatetime()
    ledger = read_ledger(reports_dir)
    out = []
    for e in schedule.reports:
        last_due = croniter(e.cron, now).get_prev(type(now))
        ok = (
            ledger[(ledger["name"] == e.name) & (ledger["status"] == "ok")]
            if len(ledger)
            else ledger
        )
        last_ok = pd.to_datetime(ok["started"]).max() if len(ok) else None
        if last_ok is None or pd.isna(last_ok) or last_ok.to_pydatetime() < last_due:
            out.append(e)
    return out


def _run_entry(entry: dict, notebooks_dir: str, reports_dir: str, reuse: bool = False) -> dict:
    try:
        rec = run_report(
            entry["notebook"],
            entry["parameters"],
            name=entry["name"],
            schedule=entry["name"],
            notebooks_dir=Path(notebooks_dir),
            reports_dir=Path(reports_dir),
            update_index=False,
            reuse=reuse,
        )
    except ReportFailed as exc:
        rec = exc.record
    except Exception as exc:
        rec = RunRecord(
            run_id="-",
            name=entry["name"],
            report=entry["notebook"],
            parameters=entry["parameters"],
            status="failed",
            error=f"{type(exc).__name__}: {exc}",
        )
    return asdict(rec)


def _run_entry_task(entry: dict, notebooks_dir: str, reports_dir: str, reuse: bool) -> dict:
    return _run_entry(entry, notebooks_dir, reports_dir, reuse)


def run_entries(
    entries: list[Entry],
    *,
    workers: int = 2,
    notebooks_dir: Path = config.NOTEBOOKS_DIR,
    reports_dir: Path = config.REPORTS_DIR,
    progress: bool = True,
    reuse: bool = False,
    scheduler=None,
) -> list[dict]:
    """Run entries in a process pool (``workers`` at once); returns their records. With
    ``reuse``, an entry whose last good run had the same inputs is not run again
    (:func:`~salesops_models.reports.engine.run_report`). With ``scheduler`` (a Dask
    scheduler, :mod:`salesops_models.distributed`) each entry is a task on the cluster; its
    workers need the project's notebooks, stores and reports folder at the same paths."""
    from tqdm.auto import tqdm

    from .index import write_index

    results = []
    if not entries:
        return results
    if scheduler:
        from ..distributed import map_ordered

        results = map_ordered(
            _run_entry_task,
            [e.model_dump() for e in entries],
            scheduler=scheduler,
            shared={
                "notebooks_dir": str(notebooks_dir),
                "reports_dir": str(reports_dir),
                "reuse": reuse,
            },
            progress=progress,
            desc="reports",
        )
        write_index(reports_dir)
        return results
    with ProcessPoolExecutor(max_workers=max(1, workers)) as pool:
        futs = [
            pool.submit(_run_entry, e.model_dump(), str(notebooks_dir), str(reports_dir), reuse)
            for e in entries
        ]
        for _ in tqdm(
            as_completed(futs), total=len(futs), desc="reports", unit="run", disable=not progress
        ):
            pass
        results = [f.result() for f in futs]  # in the schedule's order
    write_index(reports_dir)
    return results


def runs_table(entries: list[Entry], **kwargs):
    """:func:`run_entries` as a table (name, status, seconds, error, ...): a reused run's
    seconds are 0 (it did not run)."""
    df = pd.DataFrame(run_entries(entries, **kwargs))
    df["seconds"] = df["seconds"].where(df["status"] != "reused", 0.0)
    return df


def with_stores(entries: list[Entry]) -> tuple[list[Entry], list[tuple[Entry, Path]]]:
    """``(kept, skipped)``: the entries whose ``source`` store exists (a database URL
    counts as existing), and the others with the store path that is missing."""
    from ..store import is_database_url
    from .context import resolve_source

    kept, skipped = [], []
    for e in entries:
        source = (e.parameters or {}).get("source", str(config.DEFAULT_DB))
        path = None if is_database_url(source) else resolve_source(source)
        if path is None or path.exists():
            kept.append(e)
        else:
            skipped.append((e, path))
    return kept, skipped
