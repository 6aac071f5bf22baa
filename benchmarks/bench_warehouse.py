"""As-of snapshot of a large history: pushed down as SQL vs pulled into pandas, on DuckDB and
on PostgreSQL (a temporary server on this machine), printed side by side in one run.

The sample org's deals and their history are copied ``--copies`` times under new ids (43
copies: about 10 million history rows, 2.8 million opportunities). For each store:

- pushed down: :func:`salesops_models.pipeline.pushdown.snapshot` (the database computes the
  snapshot; only its rows come back) and :func:`~salesops_models.pipeline.pushdown.coverage`
  (only one row per team comes back);
- pulled: :func:`salesops_models.store.load_store` (every table into pandas) then
  :meth:`CRM.as_of` / :func:`salesops_models.pipeline.coverage`, the path before the
  warehouse work.

The two snapshots are checked equal. Each path runs in a fresh process, so each peak memory
is its own.

    python benchmarks/bench_warehouse.py [--copies 43] [--when 2026-06-30] [--skip-postgres]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import pandas as pd

from salesops_models import config
from salesops_models import pipeline as pl
from salesops_models.crm import CRM
from salesops_models.pipeline import pushdown
from salesops_models.store import load_duckdb, load_store, save_duckdb, save_store


def tiled(crm: CRM, copies: int) -> CRM:
    """The org's deals and history ``copies`` times (ids suffixed ``~k``)."""
    opps, hist = [], []
    for k in range(copies):
        opps.append(crm.opportunities.assign(id=crm.opportunities["id"] + f"~{k}"))
        hist.append(
            crm.opportunity_history.assign(
                opportunity_id=crm.opportunity_history["opportunity_id"] + f"~{k}"
            )
        )
    return CRM(
        reps=crm.reps,
        accounts=crm.accounts,
        opportunities=pd.concat(opps, ignore_index=True),
        opportunity_history=pd.concat(hist, ignore_index=True),
        quotas=crm.quotas,
        fiscal_year_start_month=crm.fiscal_year_start_month,
        meta={"source": f"sample org x {copies}"},
    )


def peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def _pushed(source, when):
    snap, t_snap = timed(lambda: pushdown.snapshot(source, when))
    cov, t_cov = timed(lambda: pushdown.coverage(source, when, by="team"))
    return snap, cov, t_snap, t_cov, peak_gb()


def _pulled(source, when):
    crm, t_load = timed(lambda: load_store(source))
    ref, t_asof = timed(lambda: crm.as_of(when))
    ref_cov, t_cov = timed(lambda: pl.coverage(crm, when, by="team"))
    return ref, ref_cov, t_load, t_asof, t_cov, peak_gb()


def in_child(fn, *args):
    """``fn(*args)`` in a fresh process: its peak memory is its own."""
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(1, mp_context=mp.get_context("spawn")) as pool:
        return pool.submit(fn, *args).result()


def measure(label: str, source, when: str) -> None:
    snap, cov, t_snap, t_cov, peak_push = in_child(_pushed, source, when)
    ref, ref_cov, t_load, t_asof, t_refcov, peak_pull = in_child(_pulled, source, when)
    pd.testing.assert_frame_equal(snap, ref)
    pd.testing.assert_frame_equal(cov, ref_cov, check_dtype=False)
    print(
        f"{label:<10} pushed down: snapshot {t_snap:6.1f} s ({len(snap):,} rows back), "
        f"coverage {t_cov:5.1f} s ({len(cov)} rows back) | peak {peak_push:.1f} GB\n"
        f"{'':<10} pulled:      load {t_load:6.1f} s + as_of {t_asof:4.1f} s = "
        f"{t_load + t_asof:6.1f} s; coverage {t_load + t_refcov:5.1f} s "
        f"(load + {t_refcov:.1f} s) | peak {peak_pull:.1f} GB"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--copies", type=int, default=43)
    ap.add_argument("--when", default="2026-06-30")
    ap.add_argument("--skip-postgres", action="store_true")
    a = ap.parse_args()
    base = load_duckdb(config.DEFAULT_DB)
    big, t = timed(lambda: tiled(base, a.copies))
    print(
        f"history rows {len(big.opportunity_history):,}, opportunities "
        f"{len(big.opportunities):,} (sample org x {a.copies}, built in {t:.1f} s)"
    )
    tmp = Path(tempfile.mkdtemp())
    db, t = timed(lambda: save_duckdb(big, tmp / "big.duckdb"))
    print(f"DuckDB file written in {t:.1f} s ({db.stat().st_size / 1e9:.2f} GB)")
    measure("DuckDB", db, a.when)
    if not a.skip_postgres:
        from salesops_models.warehouse.local_server import temporary_postgres

        with temporary_postgres() as url:
            _, t = timed(lambda: save_store(big, url))
            print(f"PostgreSQL written in {t:.1f} s (COPY)")
            del big
            measure("PostgreSQL", url, a.when)


if __name__ == "__main__":
    main()
