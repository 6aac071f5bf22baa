"""The report catalogue: notebooks in ``notebooks/`` and their papermill parameters."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import papermill as pm

from .. import config
from ..errors import ParameterError

#: Parameters whose values must read as dates / periods (checked before anything runs).
DATE_PARAMETERS = ("as_of", "compare_to")
PERIOD_PARAMETERS = ("period",)


@dataclass(frozen=True)
class Parameter:
    name: str
    type: str  # int | float | str | bool
    default: object
    help: str


def notebook_path(name: str, notebooks_dir: Path = config.NOTEBOOKS_DIR) -> Path:
    path = Path(notebooks_dir) / f"{name}.ipynb"
    if not path.exists():
        known = ", ".join(available(notebooks_dir)) or "none"
        raise ParameterError(f"no report named {name!r} in {notebooks_dir} (reports: {known})")
    return path


def available(notebooks_dir: Path = config.NOTEBOOKS_DIR) -> list[str]:
    return sorted(p.stem for p in Path(notebooks_dir).glob("*.ipynb") if not p.stem.startswith("_"))


def parameters(name: str, notebooks_dir: Path = config.NOTEBOOKS_DIR) -> dict[str, Parameter]:
    """The report's parameters from its ``parameters`` cell (papermill ``inspect_notebook``)."""
    info = pm.inspect_notebook(str(notebook_path(name, notebooks_dir)))
    out = {}
    for pname, p in info.items():
        default = eval(p["default"], {}, {})  # the parameters cell holds literals only
        out[pname] = Parameter(pname, type(default).__name__, default, p.get("help", "") or "")
    return out


def coerce_parameters(
    name: str, values: dict[str, object], notebooks_dir: Path = config.NOTEBOOKS_DIR
) -> dict:
    """Check names and types of ``values`` against the report; convert CLI strings.

    Raises :class:`ParameterError` naming the parameter, the value and the expected type.
    """
    from .dates import resolve_date, resolve_period

    spec = parameters(name, notebooks_dir)
    out = {}
    for key, raw in values.items():
        if key not in spec:
            raise ParameterError(
                f"report {name!r} has no parameter {key!r}; its parameters: {', '.join(spec)}"
            )
        p = spec[key]
        try:
            if p.type == "bool":
                if isinstance(raw, bool):
                    val = raw
                elif str(raw).lower() in ("true", "1", "yes"):
                    val = True
                elif str(raw).lower() in ("false", "0", "no"):
                    val = False
                else:
                    raise ValueError
            elif p.type == "int":
                if isinstance(raw, float) and not raw.is_integer():
                    raise ValueError
                val = int(str(raw))
            elif p.type == "float":
                val = float(raw)
            else:
                val = str(raw)
        except (TypeError, ValueError):
            raise ParameterError(
                f"report {name!r}: parameter {key!r} expects {p.type}, got {raw!r}"
            ) from None
        try:
            if key in DATE_PARAMETERS and val:
                resolve_date(val, "2000-01-01")
            if key in PERIOD_PARAMETERS and val:
                resolve_period(val, "2000-01-01")
        except ValueError as exc:
            raise ParameterError(f"report {name!r}: parameter {key!r}: {exc}") from None
        out[key] = val
    return out


def parameter_table(notebooks_dir: Path = config.NOTEBOOKS_DIR) -> dict:
    """{report: DataFrame of its parameters (parameter, type, default, help)}, every report
    of :func:`available`."""
    import pandas as pd

    out = {}
    for name in available(notebooks_dir):
        rows = [(p.name, p.type, repr(p.default), p.help) for p in parameters(name).values()]
        out[name] = pd.DataFrame(rows, columns=["parameter", "type", "default", "help"])
    return out
