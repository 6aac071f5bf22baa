"""What every health metric returns (:class:`Metric`), how a value is graded against its
band, and the period helpers the metrics share."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ...crm import CRM
from ...scoring import complete_quarters  # noqa: F401 (the metrics' import)
from ..bands import HealthBand, fmt, worse


@dataclass
class Metric:
    key: str
    title: str
    measure: str
    unit: str
    value: float | None
    status: str
    band: HealthBand
    interval: tuple[float, float] | None = None
    also: dict | None = None  # name, value, unit, status, band (HealthBand)
    contributors: list[dict] = field(default_factory=list)  # name, value (text), detail
    action: str = ""
    trend: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["period", "value"]))
    details: dict = field(default_factory=dict)
    note: str = ""
    table: pd.DataFrame | None = None
    source: str = ""
    #: "" when the trend is the graded value itself; else what the trend shows instead (the
    #: level behind a graded change: "median days to win", "win rate", "$ per 30 days")
    trend_label: str = ""

    @property
    def value_text(self) -> str:
        return fmt(self.value, self.unit)

    @property
    def interval_text(self) -> str:
        if self.interval is None:
            return ""
        return f"{fmt(self.interval[0], self.unit)} to {fmt(self.interval[1], self.unit)}"

    def to_dict(self) -> dict:
        """JSON-ready record (numbers as floats, None for missing)."""

        def num(x):
            if x is None:
                return None
            try:
                x = float(x)
            except (TypeError, ValueError):
                return x
            return x if np.isfinite(x) else None

        also = None
        if self.also:
            also = {k: v for k, v in self.also.items() if k != "band"}
            also["value"] = num(also.get("value"))
            also["band"] = self.also["band"].to_dict()
        return {
            "key": self.key,
            "title": self.title,
            "measure": self.measure,
            "unit": self.unit,
            "value": num(self.value),
            "value_text": self.value_text,
            "interval": None if self.interval is None else [num(x) for x in self.interval],
            "status": self.status,
            "band": self.band.to_dict(),
            "band_text": self.band.text(),
            "also": also,
            "contributors": self.contributors,
            "action": self.action,
            "trend_label": self.trend_label or self.measure,
            "trend": [
                {"period": str(p), "value": num(v)}
                for p, v in zip(self.trend["period"], self.trend["value"], strict=True)
            ],
            "details": {
                k: num(v) if not isinstance(v, str) else v for k, v in self.details.items()
            },
            "note": self.note,
            "source": self.source,
        }


def _na(key: str, cfg: dict, note: str) -> Metric:
    return Metric(
        key, cfg["title"], cfg.get("measure", ""), cfg["band"].unit, None, "n/a", cfg["band"],
        note=note, action=f"Not graded: {note}", source=cfg.get("source", ""),
    )  # fmt: skip


def _metric(key: str, cfg: dict, value, **kw) -> Metric:
    band: HealthBand = cfg["band"]
    status = kw.pop("status", None) or band.status(value)
    also = kw.get("also")
    if also is not None:
        also["band"] = cfg["also_band"]
        also["unit"] = cfg["also_band"].unit
        also["status"] = cfg["also_band"].status(also["value"])
        also["band_text"] = cfg["also_band"].text()
        status = worse(status, also["status"])
    return Metric(
        key, cfg["title"], cfg.get("measure", ""), band.unit, value, status, band,
        source=cfg.get("source", ""), **kw,
    )  # fmt: skip


def grade_draws(band: HealthBand, draws, confidence: float = 0.9) -> tuple[str, float, float]:
    """Status from the uncertainty of an estimated value: **act** when the draws put it
    outside the watch band with probability >= ``confidence``, **watch** when outside the
    healthy band with that probability, else healthy (a change not yet distinguishable from
    noise is not flagged). Returns (status, P(outside healthy), P(outside watch))."""
    d = np.asarray(draws, float)
    d = d[np.isfinite(d)]
    if d.size == 0:
        return "n/a", np.nan, np.nan
    out_h = float(((d < band.healthy[0]) | (d > band.healthy[1])).mean())
    out_w = float(((d < band.watch[0]) | (d > band.watch[1])).mean())
    status = "act" if out_w >= confidence else ("watch" if out_h >= confidence else "healthy")
    return status, out_h, out_w


# --- periods ------------------------------------------------------------------------------
def same_point_dates(crm: CRM, as_of, n: int) -> list[tuple[str, pd.Timestamp]]:
    """The as-of date and the same point (days into the quarter) of the ``n - 1`` quarters
    before, oldest first: (quarter label, date)."""
    as_of = pd.Timestamp(as_of).normalize()
    q = crm.quarter(as_of)
    offset = (as_of - q.start).days
    out = []
    for _ in range(n):
        d = min(q.start + pd.Timedelta(days=offset), q.end)
        if d >= crm.data_start:
            out.append((q.label, d))
        q = crm.calendar.previous(q)
    return out[::-1]


def _trend(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["period", "value"])
