"""The forecast ledger: every forecast run's as-of date, period and quantiles, scored later.

One JSON line per run in ``reports/forecast_ledger.jsonl`` (append-only). :func:`scored`
reads it back and, for every period that has ended by the data's last day, adds the actual
bookings and the error of each forecast: forecast accuracy over time, by how far ahead the
forecast was made (the number sales leadership watches).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .. import config
from ..crm import CRM
from ..draws import legacy_labels

LEDGER = config.REPORTS_DIR / "forecast_ledger.jsonl"


def record(fc, source: str, path: Path | str = LEDGER, **extra) -> dict:
    """Append one forecast (a :class:`~.simulate.Forecast`) to the ledger."""
    entry = (
        fc.summary()
        | {
            "source": str(source),
            "recorded_at": pd.Timestamp.now().isoformat(timespec="seconds"),
            "fingerprint": fc.meta.get("fingerprint"),
            "converged": bool(fc.diagnostics.get("ok", False)),
            **dict(zip(("p80_low", "p80_high"), fc.interval(0.8), strict=True)),
        }
        | extra
    )
    from ..jsonl import append_jsonl

    append_jsonl(Path(path), entry)  # locked, each record on its own line
    return entry


def read(path: Path | str = LEDGER, source: str | None = None) -> pd.DataFrame:
    """The ledger's records (optionally of one source); a line that is not a JSON record is
    skipped and listed in ``df.attrs["problems"]``."""
    from ..jsonl import read_jsonl

    rows, problems = read_jsonl(Path(path))
    if not rows:
        df = pd.DataFrame()
        df.attrs["problems"] = problems
        return df
    # ledgers written before 0.2 labelled quantiles P10/P50/P90
    df = pd.DataFrame([{legacy_labels([k]).get(k, k): v for k, v in r.items()} for r in rows])
    df.attrs["problems"] = problems
    if source is not None and len(df):
        df = df[df["source"] == str(source)]
    return df.reset_index(drop=True)


def scored(crm: CRM, path: Path | str = LEDGER, source: str | None = None) -> pd.DataFrame:
    """Ledger entries of periods that have ended, with actuals and errors (latest run of
    each as-of date and period)."""
    df = read(path, source)
    if df.empty:
        return df
    df = df.drop_duplicates(["source", "period", "as_of"], keep="last")
    rows = []
    for r in df.itertuples(index=False):
        p = crm.period(r.period)
        if p.end > crm.data_end:
            continue
        actual = crm.bookings(p)
        rows.append(
            {
                "period": r.period,
                "as_of": r.as_of,
                "days_into_period": (pd.Timestamp(r.as_of) - p.start).days,
                "p50": r.p50,
                "p10": r.p10,
                "p90": r.p90,
                "actual": actual,
                "error_pct": 100 * (r.p50 - actual) / actual if actual else np.nan,
                "covered_80": r.p10 <= actual <= r.p90,
            }
        )
    return pd.DataFrame(rows)
