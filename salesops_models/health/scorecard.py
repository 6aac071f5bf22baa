"""The sales-ops health scorecard: every metric of :mod:`.metrics` graded against the bands of
one file, as a table, a JSON document for other tools, and (in :mod:`.plots`) tiles and
sparklines for the executive report."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..crm import CRM
from .bands import BANDS_FILE, METRICS, STATUSES, fmt, load_bands
from .metrics import METRIC_FUNCTIONS, Metric

SCHEMA_VERSION = 1

#: ``--fail-on LEVEL``: the statuses that trip the gate at each level (a metric that could
#: not be computed, ``error``, always trips it).
GATE_LEVELS = {"watch": ("watch", "act", "error"), "act": ("act", "error")}


@dataclass
class Scorecard:
    as_of: pd.Timestamp
    metrics: list[Metric]
    bands_file: str = ""
    meta: dict = field(default_factory=dict)

    def _repr_html_(self) -> str:
        """A compact card for JupyterLab (:mod:`salesops_models.display`)."""
        from ..display import scorecard_card

        return scorecard_card(self)

    def __getitem__(self, key: str) -> Metric:
        for m in self.metrics:
            if m.key == key:
                return m
        raise KeyError(f"no metric {key!r}; have {[m.key for m in self.metrics]}")

    def flagged(self) -> dict[str, str]:
        """{metric: status} for every metric graded watch or act."""
        return {m.key: m.status for m in self.metrics if m.status in ("watch", "act")}

    def tripped(self, fail_on: str) -> list[str]:
        """The metrics that trip the gate ``fail_on`` (``watch`` or ``act``: that status or
        worse, :data:`GATE_LEVELS`)."""
        if fail_on not in GATE_LEVELS:
            from ..errors import UserInputError

            raise UserInputError(f"--fail-on must be watch or act, got {fail_on!r}")
        return [m.key for m in self.metrics if m.status in GATE_LEVELS[fail_on]]

    def counts(self) -> dict[str, int]:
        out = {s: 0 for s in (*STATUSES, "n/a", "error")}
        for m in self.metrics:
            out[m.status] = out.get(m.status, 0) + 1
        return out

    def to_frame(self) -> pd.DataFrame:
        """One row per metric: title, value, interval, healthy band, status, second measure,
        top contributor and action."""
        rows = []
        for m in self.metrics:
            rows.append(
                {
                    "metric": m.title,
                    "value": m.value_text,
                    "interval (90%)": m.interval_text,
                    "healthy": m.band.text() if m.status != "n/a" else "",
                    "status": m.status,
                    "also": (
                        f"{m.also['name']}: {fmt(m.also['value'], m.also['unit'])} ({m.also['status']})"
                        if m.also
                        else ""
                    ),
                    "top contributor": (
                        f"{m.contributors[0]['name']} ({m.contributors[0]['value']})"
                        if m.contributors
                        else ""
                    ),
                    "action": m.action,
                }
            )
        return pd.DataFrame(rows)

    def to_dict(self) -> dict:
        return {
            "schema_version": SCHEMA_VERSION,
            "as_of": str(self.as_of.date()),
            "bands_file": self.bands_file,
            "counts": self.counts(),
            "flagged": self.flagged(),
            "meta": self.meta,
            "metrics": [m.to_dict() for m in self.metrics],
        }

    def to_json(self, path: str | Path | None = None) -> str:
        text = json.dumps(self.to_dict(), indent=2, default=str)
        if path is not None:
            Path(path).write_text(text)
        return text


def health_scorecard(
    crm: CRM,
    as_of=None,
    *,
    bands=None,
    plan=None,
    comp_inputs=None,
    ledger_path: str | Path | None = None,
    ledger_source: str | None = None,
    backtest_csv: str | Path | None = None,
    calls: pd.DataFrame | None = None,
    metrics: list[str] | None = None,
    seed: int = 0,
    strict: bool = False,
    progress: bool = False,
) -> Scorecard:
    """Grade the sales-ops function as of ``as_of`` (default: the data's last day).

    Parameters
    ----------
    crm : CRM
    as_of : date-like, optional
    bands : path or dict, optional
        HealthBand file (default ``health_bands.yml`` at the project root).
    plan : Plan or path, optional
        Compensation plan for the comp-cost metric (not graded without one).
    comp_inputs : CompInputs, optional
        Splits, cancellations, deal attributes and leaves for its statements (the store's
        comp tables: :func:`~salesops_models.comp.read_comp_inputs`).
    ledger_path, ledger_source, backtest_csv : optional
        Where past forecasts are scored from (forecast accuracy): the forecast ledger (with
        the source name its entries carry) and a backtest CSV of ``salesops forecast backtest``.
    calls : DataFrame, optional
        The store's forecast calls (:func:`~salesops_models.calls.read_calls`): forecast
        accuracy then grades the team's call, not the workbench's model.
    metrics : list of str, optional
        A subset of the metric keys (default: all, in the band file's order).
    seed : int
        Seed of the bootstrap intervals (same seed, same numbers).
    strict : bool
        Raise when a metric fails to compute (default: the metric shows status ``error`` with
        the message, and the other metrics are still graded).

    Examples
    --------
    >>> from salesops_models.synthetic import generate_org
    >>> crm = generate_org(n_reps=20, years=3, seed=1).crm
    >>> card = health_scorecard(crm, metrics=["pipeline_hygiene", "data_quality"])
    >>> sorted(m.status in ("healthy", "watch", "act") for m in card.metrics)
    [True, True]
    """
    cfgs = load_bands(bands)
    as_of = pd.Timestamp(as_of or crm.data_end).normalize()
    keys = list(metrics or METRICS)
    unknown = [k for k in keys if k not in METRIC_FUNCTIONS]
    if unknown:
        raise ValueError(f"unknown metric(s) {unknown}; known: {list(METRIC_FUNCTIONS)}")
    out, timings = [], {}
    it = keys
    if progress:
        from tqdm.auto import tqdm

        it = tqdm(keys, desc="health metrics")
    kwargs = {
        "plan": plan,
        "comp_inputs": comp_inputs,
        "ledger_path": ledger_path,
        "ledger_source": ledger_source,
        "backtest_csv": backtest_csv,
        "calls": calls,
        "seed": seed,
    }
    with crm.cached_snapshots():
        for key in it:
            out.append(_one(key, crm, as_of, cfgs[key], timings, strict, kwargs))
    bands_file = "<dict>" if isinstance(bands, dict) else str(bands or BANDS_FILE)
    return Scorecard(
        as_of, out, bands_file, {"timings_s": timings, "fingerprint": crm.fingerprint()}
    )


def _one(key: str, crm: CRM, as_of, cfg: dict, timings: dict, strict: bool, kwargs: dict):
    """One metric, timed; a failure becomes an ``error`` metric unless ``strict``."""
    t0 = time.perf_counter()
    try:
        m = METRIC_FUNCTIONS[key](crm, as_of, cfg, **kwargs)
    except Exception as exc:
        if strict:
            raise
        m = Metric(
            key, cfg["title"], cfg.get("measure", ""), cfg["band"].unit, None, "error",
            cfg["band"], note=f"{type(exc).__name__}: {exc}",
            action=f"Could not compute: {type(exc).__name__}: {exc}",
        )  # fmt: skip
    timings[key] = round(time.perf_counter() - t0, 2)
    return m
