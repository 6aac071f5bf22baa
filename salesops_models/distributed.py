"""Heavy runs on a Dask cluster (``pip install 'salesops-models[dask]'``).

``scheduler`` arguments (and the ``--scheduler`` options of ``salesops forecast backtest`` and
``salesops report run-all``) take:

- ``None`` / ``""``: no cluster; the work runs here, one task after the other;
- ``"local"`` or ``"local:N"``: a :class:`dask.distributed.LocalCluster` of N worker processes
  (default: the machine's cores), one thread each, started for the run and closed after it;
- an address (``tcp://10.0.0.5:8786``): an existing cluster's scheduler.

Tasks are the unit a job already has (a backtest fit, a report, a block of Monte Carlo
scenarios), and every task draws from its own seed stream fixed by the job (a chunk's
``SeedSequence`` child, a fit's seed), never from the worker it lands on: the same seed gives
the same numbers on one process or on any number of workers.

Workers need the package and, for reports and backtests, the project's files at the same
paths (a shared filesystem); large inputs (the CRM, posterior draws) are sent to each worker
once (``scatter(broadcast=True)``), not with every task.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable
from contextlib import contextmanager

from .errors import DaskUnavailable


def _distributed():
    try:
        import distributed
    except ImportError as exc:  # pragma: no cover - the extra is installed in the dev setup
        raise DaskUnavailable("a scheduler") from exc
    return distributed


@contextmanager
def client_for(scheduler: str | None):
    """A :class:`distributed.Client` for ``scheduler`` (see the module docstring), or None."""
    if not scheduler:
        yield None
        return
    distributed = _distributed()
    text = str(scheduler).strip()
    if text == "local" or text.startswith("local:"):
        n = int(text.split(":", 1)[1]) if ":" in text else (os.cpu_count() or 1)
        with (
            distributed.LocalCluster(
                n_workers=n,
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",
                silence_logs=logging.ERROR,
            ) as cluster,
            distributed.Client(cluster) as client,
        ):
            yield client
        return
    with distributed.Client(text) as client:
        yield client


def map_ordered(
    fn: Callable,
    items: Iterable,
    *,
    scheduler=None,
    shared: dict | None = None,
    progress: bool = False,
    desc: str = "tasks",
) -> list:
    """``[fn(item, **shared) for item in items]``, on a cluster when ``scheduler`` is given
    (a scheduler string or an open :class:`distributed.Client`), results in the items' order.

    ``shared`` values go to every worker once.

    Examples
    --------
    >>> map_ordered(pow, [2, 3], shared={"exp": 2})
    [4, 9]
    """
    from tqdm.auto import tqdm

    items = list(items)
    shared = shared or {}
    if not scheduler:
        return [fn(item, **shared) for item in tqdm(items, desc=desc, disable=not progress)]
    if hasattr(scheduler, "submit"):
        return _on_client(scheduler, fn, items, shared, progress, desc)
    with client_for(scheduler) as client:
        return _on_client(client, fn, items, shared, progress, desc)


def _on_client(client, fn, items, shared, progress, desc) -> list:
    from tqdm.auto import tqdm

    distributed = _distributed()
    # Random keys for the shared inputs (hash=False): a content-hashed key is the same on the
    # next call with the same inputs, and the scheduler could receive that scatter before the
    # release of the previous call's copy, drop it, and cancel or stall the new tasks ("lost
    # dependencies"; seen with two cost runs of one plan in a row).
    # Each value goes as one piece of data (a list would otherwise become a list of futures).
    sent = {k: client.scatter([v], broadcast=True, hash=False)[0] for k, v in shared.items()}
    futures = [client.submit(fn, item, pure=False, **sent) for item in items]
    index = {f.key: i for i, f in enumerate(futures)}
    out = [None] * len(futures)
    bar = tqdm(total=len(futures), desc=desc, disable=not progress)
    try:
        for fut in distributed.as_completed(futures):
            out[index[fut.key]] = fut.result()  # a failed task raises its own error here
            bar.update(1)
    finally:
        bar.close()
        for f in [*futures, *sent.values()]:
            f.release()
    return out


def scenario_chunks(draws: int, chunk: int) -> list[tuple[int, int]]:
    """``(start, stop)`` of each block of scenarios: fixed by the job, not by the workers.

    >>> scenario_chunks(10, 4)
    [(0, 4), (4, 8), (8, 10)]
    """
    if draws < 1 or chunk < 1:
        raise ValueError("draws and chunk must be >= 1")
    return [(lo, min(lo + chunk, draws)) for lo in range(0, draws, chunk)]
