"""Benchmark bands of the health scorecard, read from one YAML file (``health_bands.yml``).

A band file maps each metric key to ``healthy: [lo, hi]`` and ``watch: [lo, hi]`` (``null``
for an open end), a ``unit``, the direction that is ``better`` and the ``source`` of the
default. Status of a value: **healthy** inside ``healthy``; **watch** outside it but inside
``watch``; **act** outside both. A metric may carry a second measure under ``also:`` with its
own bands; the metric's status is then the worse of the two.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import config
from ..errors import BandError
from ..settings import deprecated_names

BANDS_FILE = config.PROJECT_ROOT / "health_bands.yml"
STATUSES = ("healthy", "watch", "act")
METRICS = (
    "forecast_accuracy",
    "pipeline_coverage",
    "pipeline_hygiene",
    "quota_attainment",
    "territory_balance",
    "data_quality",
    "new_rep_ramp",
    "sales_cycle",
    "velocity",
    "win_rate",
    "comp_cost",
    "selling_time",
    "process_compliance",
    "tool_adoption",
)
UNITS = ("percent", "ratio", "months", "points", "share")


#: Computation settings a band file may set: (type, low, high) of the allowed values.
SETTINGS: dict[str, tuple[type, float, float]] = {
    "stale_days": (int, 1, 3650),
    "window_quarters": (int, 1, 40),
    "weeks": (int, 1, 520),
    "min_ledger_forecasts": (int, 1, 1000),
    "min_tenure_months": (int, 0, 120),
    "confidence": (float, 0.5, 0.999),
    "stuck_percentile": (float, 0.5, 0.999),
}


def _number(v, where: str) -> float:
    """A finite number from the file (YAML ``.nan``/``.inf`` and text are errors)."""
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise BandError(f"{where}: expected a number, got {v!r}")
    x = float(v)
    if not np.isfinite(x):
        raise BandError(f"{where}: expected a finite number, got {v!r} (use null for an open end)")
    return x


def _setting(cfg: dict, key: str, where: str) -> None:
    kind, lo, hi = SETTINGS[key]
    v = cfg[key]
    x = _number(v, where)
    if kind is int and x != int(x):
        raise BandError(f"{where}: expected a whole number, got {v!r}")
    if not lo <= x <= hi:
        raise BandError(f"{where}: {v!r} is outside the allowed range [{lo:g}, {hi:g}]")
    cfg[key] = kind(x)


def _range(v, where: str) -> tuple[float, float]:
    if not isinstance(v, list | tuple) or len(v) != 2:
        raise BandError(f"{where}: expected [low, high], got {v!r}")
    lo = -np.inf if v[0] is None else _number(v[0], where)
    hi = np.inf if v[1] is None else _number(v[1], where)
    if lo > hi:
        raise BandError(f"{where}: low {lo} is above high {hi}")
    return lo, hi


@dataclass(frozen=True)
class HealthBand:
    healthy: tuple[float, float]
    watch: tuple[float, float]
    unit: str = "ratio"

    def status(self, value) -> str:
        """``healthy`` / ``watch`` / ``act`` for ``value``; ``n/a`` when it is missing."""
        if value is None or not np.isfinite(value):
            return "n/a"
        if self.healthy[0] <= value <= self.healthy[1]:
            return "healthy"
        if self.watch[0] <= value <= self.watch[1]:
            return "watch"
        return "act"

    def text(self, which: str = "healthy") -> str:
        """The band as people read it: ``3.00x-4.00x``, ``<= 10.0%``, ``>= 95.0%``."""
        lo, hi = getattr(self, which)
        f = lambda x: fmt(x, self.unit)  # noqa: E731
        if np.isinf(lo) or (lo == 0 and self.unit in ("percent", "ratio", "months", "share")):
            return f"<= {f(hi)}"
        if np.isinf(hi) or (self.unit == "percent" and hi == 1):
            return f">= {f(lo)}"
        return f"{f(lo)}-{f(hi)}"

    def to_dict(self) -> dict:
        j = lambda r: [None if np.isinf(x) else x for x in r]  # noqa: E731
        return {"healthy": j(self.healthy), "watch": j(self.watch), "unit": self.unit}


def fmt(value, unit: str) -> str:
    """A value as people read it: 12.3% (percent), 3.2x (ratio), 4.5 mo, +2.1 pts."""
    if value is None or not np.isfinite(value):
        return "n/a"
    if unit == "percent":
        return f"{value:.1%}"
    if unit == "ratio":
        return f"{value:.2f}x" if abs(value) < 10 else f"{value:.0f}x"
    if unit == "months":
        return f"{value:.1f} mo"
    if unit == "points":
        return f"{100 * value:+.1f} pts"
    return f"{value:.2f}"


def worse(*statuses: str) -> str:
    """The worst status (act > watch > healthy); ``n/a`` only when every one is n/a."""
    known = [s for s in statuses if s in STATUSES]
    return max(known, key=STATUSES.index) if known else "n/a"


def _read_band_file(path) -> tuple[dict, str]:
    """The raw mapping of a band file (or a dict given directly) and where it came from."""
    if isinstance(path, dict):
        return path, "<dict>"
    p = Path(path) if path else BANDS_FILE
    if not p.is_absolute() and not p.exists():
        p = config.PROJECT_ROOT / p
    if not p.exists():
        raise BandError(f"{p}: band file not found")
    if p.is_dir():
        raise BandError(f"{p}: is a folder, not a band file")
    from ..yamlio import YamlError, load_yaml

    try:
        return load_yaml(p) or {}, str(p)
    except YamlError as exc:
        raise BandError(str(exc)) from None


def _band(cfg: dict, unit: str, where: str) -> HealthBand:
    """The healthy/watch band of ``cfg``; watch must contain healthy."""
    h = _range(cfg["healthy"], f"{where}.healthy")
    w = _range(cfg["watch"], f"{where}.watch")
    if w[0] > h[0] or w[1] < h[1]:
        raise BandError(f"{where}.watch {list(w)} must contain healthy {list(h)}")
    return HealthBand(h, w, unit)


def _metric_settings(raw, key: str, where: str) -> dict:
    """One metric's checked settings with ``band`` (and ``also_band``) as :class:`HealthBand`."""
    if not isinstance(raw, dict):
        raise BandError(f"{where}: {key} must be a mapping, got {raw!r}")
    cfg = dict(raw)
    for name in SETTINGS:
        if name in cfg:
            _setting(cfg, name, f"{where}: {key}.{name}")
    unit = cfg.get("unit", "ratio")
    if unit not in UNITS:
        raise BandError(f"{where}: {key}.unit {unit!r} is not one of {UNITS}")
    for req in ("healthy", "watch", "title"):
        if req not in cfg:
            raise BandError(f"{where}: {key} has no {req!r}")
    cfg["band"] = _band(cfg, unit, f"{where}: {key}")
    if "also" in cfg:
        if not isinstance(cfg["also"], dict):
            raise BandError(f"{where}: {key}.also must be a mapping")
        also = dict(cfg["also"])
        cfg["also_band"] = _band(also, also.get("unit", "ratio"), f"{where}: {key}.also")
    return cfg


def load_bands(path: str | Path | dict | None = None) -> dict[str, dict]:
    """Read and check a band file; returns {metric: settings} with ``band`` (and
    ``also_band``) as :class:`HealthBand` objects. Errors name the file and the metric."""
    raw, where = _read_band_file(path)
    if not isinstance(raw, dict):
        raise BandError(f"{where}: expected a mapping of metric -> bands")
    missing = [m for m in METRICS if m not in raw]
    if missing:
        raise BandError(f"{where}: no bands for {', '.join(missing)}")
    unknown = [m for m in raw if m not in METRICS]
    if unknown:
        raise BandError(f"{where}: unknown metric(s) {', '.join(unknown)}; known: {METRICS}")
    return {key: _metric_settings(raw[key], key, where) for key in METRICS}


#: the former name, served for one release with a FutureWarning
__getattr__ = deprecated_names("salesops_models.health.bands", {"Band": "HealthBand"}, globals())
