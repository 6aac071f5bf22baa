"""One vocabulary for the package, from one settings object (ArviZ's ``rcParams``).

The words every module uses for the same idea, and the defaults they share:

=========================  =============================  ==================================
idea                       the one name                   replaces (warns for one release)
=========================  =============================  ==================================
number of simulated draws  ``draws`` (parameter)          ``n_draws``, ``n_scenarios``,
                                                          ``scenarios``
the draw dimension         ``draw`` (xarray dim)          -
an 80% interval            columns ``p10`` / ``p90``      ``lo`` / ``hi``
a 90% interval             columns ``p05`` / ``p95``      ``lo`` / ``hi``
a territory balance bound  ``BalanceBand``                ``territory.Band``
a health benchmark band    ``HealthBand``                 ``health.Band``
money for people           :func:`display.money`          the health metrics' own formatter
money to the cent          :func:`comp.money` (Decimal)   -
a backtest's scores        :class:`scoring.Backtest`      bare DataFrames
=========================  =============================  ==================================

``rcParams`` holds the shared defaults (validated on assignment; :func:`rc_context` changes
them for a block)::

    >>> from salesops_models.settings import rcParams, rc_context
    >>> rcParams["stats.quantiles"]
    (0.1, 0.5, 0.9)
    >>> with rc_context({"money.symbol": "€"}):
    ...     from salesops_models.display import money
    ...     money(21_326_000)
    '€21.3M'
"""

from __future__ import annotations

import functools
import warnings
from contextlib import contextmanager


def _probability(v) -> float:
    v = float(v)
    if not 0 < v < 1:
        raise ValueError(f"must be between 0 and 1, got {v}")
    return v


def _quantiles(v) -> tuple[float, ...]:
    out = tuple(_probability(x) for x in v)
    if list(out) != sorted(out):
        raise ValueError(f"quantiles must be increasing, got {out}")
    return out


def _text(v) -> str:
    return str(v)


_VALIDATORS = {
    "stats.quantiles": _quantiles,  # what a summary of draws shows: p10 / p50 / p90
    "stats.interval": _probability,  # the interval a forecast shows (80%: p10-p90)
    "stats.wide_interval": _probability,  # the interval an estimate shows (90%: p05-p95)
    "money.symbol": _text,  # the currency sign display.money writes
    "draws.dim": _text,  # the name of the draw dimension
}

_DEFAULTS = {
    "stats.quantiles": (0.1, 0.5, 0.9),
    "stats.interval": 0.8,
    "stats.wide_interval": 0.9,
    "money.symbol": "$",
    "draws.dim": "draw",
}


class Settings(dict):
    """A dict of the package's shared defaults whose keys and values are checked."""

    def __setitem__(self, key, value):
        if key not in _VALIDATORS:
            raise KeyError(f"{key!r} is not a setting; the settings are {sorted(_VALIDATORS)}")
        super().__setitem__(key, _VALIDATORS[key](value))

    def update(self, other=(), **kw):
        for k, v in dict(other, **kw).items():
            self[k] = v


rcParams = Settings()
rcParams.update(_DEFAULTS)


@contextmanager
def rc_context(values: dict):
    """Change settings for a block; the former values come back afterwards."""
    old = dict(rcParams)
    try:
        rcParams.update(values)
        yield rcParams
    finally:
        dict.clear(rcParams)
        dict.update(rcParams, old)


# --- deprecated names -------------------------------------------------------------------------
def renamed_parameters(**old_to_new: str):
    """A decorator accepting a parameter's former name (``n_draws=...``) for one release:
    it is passed on under the new name with a ``FutureWarning``; both at once is an error."""

    def wrap(func):
        @functools.wraps(func)
        def inner(*args, **kwargs):
            for old, new in old_to_new.items():
                if old in kwargs:
                    if new in kwargs:
                        raise TypeError(f"{func.__name__}() got both {old!r} and {new!r}")
                    warnings.warn(
                        f"{func.__name__}({old}=...) is deprecated: use {new}=...",
                        FutureWarning,
                        stacklevel=2,
                    )
                    kwargs[new] = kwargs.pop(old)
            return func(*args, **kwargs)

        return inner

    return wrap


def deprecated_names(module: str, renamed: dict[str, str], namespace: dict):
    """A module ``__getattr__`` serving former names (``Band``) for one release, with a
    ``FutureWarning`` naming the new one."""

    def __getattr__(name):
        if name in renamed:
            warnings.warn(
                f"{module}.{name} is deprecated: use {module}.{renamed[name]}",
                FutureWarning,
                stacklevel=2,
            )
            return namespace[renamed[name]]
        raise AttributeError(f"module {module!r} has no attribute {name!r}")

    return __getattr__


__all__ = ["Settings", "deprecated_names", "rcParams", "rc_context", "renamed_parameters"]
