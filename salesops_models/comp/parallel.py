"""Statements for many reps in parallel: reps in balanced groups, one process per group
(:class:`concurrent.futures.ProcessPoolExecutor` over fork, so the workers share the
prepared deals), merged into the one-process order: the same cents for any number of
workers."""

from __future__ import annotations

import multiprocessing as mp
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import pandas as pd

from ..crm import CRM
from .engine import _Engine, _Run
from .inputs import CompInputs
from .plan import Plan
from .result import LINE_COLUMNS, StatementResult, _statement_totals
from .state import CompState

#: Below this many credited deal rows one process is faster than starting workers.
PARALLEL_MIN_ROWS = 40_000


def worker_count(workers: int | None, n_rows: int, n_reps: int) -> int:
    if workers is None:
        workers = 1 if n_rows < PARALLEL_MIN_ROWS else min(os.cpu_count() or 1, 2)
    if workers > 1 and "fork" not in mp.get_all_start_methods():
        return 1  # workers inherit the prepared data by fork; elsewhere run in one process
    return max(1, min(int(workers), n_reps))


@dataclass
class Job:
    """One run's inputs, shared with forked workers (each runs a group of reps)."""

    crm: CRM
    plan: Plan
    inputs: CompInputs
    prepared: tuple
    periods: list
    state: CompState
    progress: bool

    def run(self, rep_ids, show_progress: bool = True) -> dict:
        eng = _Engine(self.crm, self.plan, self.inputs, self.prepared, rep_ids)
        run = _Run(eng, self.state)  # a forked worker's copy is its own
        it = enumerate(self.periods)
        if self.progress and show_progress and len(self.periods) > 1:
            from tqdm.auto import tqdm

            it = tqdm(it, total=len(self.periods), desc="statements", unit="period")
        for i, p in it:
            run.period(p, i)
        state = run.state if rep_ids is None else run.state.only(set(rep_ids))
        return {"lines": run.lines, "totals": run.totals, "above": run.above,
                "notes": run.notes, "state": state}  # fmt: skip


_WORKER_JOB: Job | None = None


def _init_worker(job: Job) -> None:
    """A worker's initializer: the job arrives by fork (inherited, not pickled)."""
    global _WORKER_JOB
    _WORKER_JOB = job


def _run_group(index: int, rep_ids: list) -> dict:
    return _WORKER_JOB.run(rep_ids, show_progress=index == 0)  # one bar, the first worker's


def run_job(job: Job, reps: pd.DataFrame, n: int) -> list[dict]:
    """The job's parts: one in this process when ``n == 1``, else one per group of reps in
    ``n`` forked worker processes (:class:`~concurrent.futures.ProcessPoolExecutor`), in the
    groups' order."""
    if n == 1:
        return [job.run(None)]
    groups = _balanced_groups(reps["id"], job.prepared[1]["rep_id"], n)
    with ProcessPoolExecutor(
        max_workers=len(groups),
        mp_context=mp.get_context("fork"),
        initializer=_init_worker,
        initargs=(job,),
    ) as pool:
        futures = [pool.submit(_run_group, i, g) for i, g in enumerate(groups)]
        return [f.result() for f in futures]


def _balanced_groups(rep_ids: pd.Series, credited_reps: pd.Series, n: int) -> list[list]:
    """Reps in ``n`` groups of about equal credited deal rows (largest first, greedy)."""
    load = credited_reps.value_counts()
    order = sorted(rep_ids, key=lambda r: (-int(load.get(r, 0)), str(r)))
    groups: list[list] = [[] for _ in range(n)]
    sizes = [0] * n
    for r in order:
        k = sizes.index(min(sizes))
        groups[k].append(r)
        sizes[k] += int(load.get(r, 0)) + 36  # every rep has per-period work too
    return [g for g in groups if g]


def merge(parts: list[dict], periods: list, reps: pd.DataFrame, state: CompState):
    """One result from the workers' parts, in the one-process order (period, rep, line)."""
    pidx = {p.label: i for i, p in enumerate(periods)}
    rpos = {r: i for i, r in enumerate(reps["id"])}
    if len(parts) == 1:
        lines, totals, above = parts[0]["lines"], parts[0]["totals"], parts[0]["above"]
        notes, state = parts[0]["notes"], parts[0]["state"]
    else:
        lines = [ln for part in parts for ln in part["lines"]]
        lines.sort(key=lambda ln: (pidx[ln["period"]], rpos[ln["rep_id"]], ln["line"]))
        totals = sorted((t for part in parts for t in part["totals"]),
                        key=lambda t: (pidx[t[0]], rpos[t[1]]))  # fmt: skip
        above = sorted((a for part in parts for a in part["above"]),
                       key=lambda a: (pidx[a["period"]], rpos[a["rep_id"]]))  # fmt: skip
        notes = [x for part in parts for x in part["notes"]]
        state = state.merged([part["state"] for part in parts])
    notes = [text for *_, text in sorted(notes, key=lambda x: x[:3])]
    df = pd.DataFrame(lines, columns=LINE_COLUMNS)
    for col in ("measure", "opportunity_id", "credit"):  # one missing marker, however many rows
        df[col] = df[col].astype(object).where(df[col].notna(), None)
    above_df = pd.DataFrame(above, columns=["period", "rep_id", "measure", "amount"])
    return StatementResult(df, _statement_totals(totals), notes, above_df, state)
