"""``salesops`` command line, one module per command group (papermill's ``cli.py`` style):
each command parses its options, calls the package once and prints.

=====================  ==========================================================
module                 commands
=====================  ==========================================================
:mod:`.app`            the root command, one-line errors and exit codes
:mod:`.common`         ``--db`` and sampler options, terminal tables
:mod:`.data`           ``data generate|load|push|pull|validate|quality|export|as-of``
:mod:`.comp`           ``comp validate|curve|load|statements``
:mod:`.report`         ``report list|run|run-due|run-all|index``
:mod:`.forecast`       ``forecast run|backtest|ledger``
:mod:`.calibrate`      ``forecast calibrate``
:mod:`.plan`           ``plan backtest``
:mod:`.calls`          ``calls load|accuracy|rollup``
:mod:`.health`         ``health``
:mod:`.cache`          ``compile-cache``
=====================  ==========================================================
"""

from __future__ import annotations

from . import calibrate as _calibrate  # noqa: F401 (adds ``forecast calibrate``)
from . import calls, comp, data, forecast, plan, report
from .app import app, one_line
from .cache import compile_cache_command
from .health import health

app.add_typer(data.group, name="data")
app.add_typer(report.group, name="report")
app.add_typer(comp.group, name="comp")
app.add_typer(forecast.group, name="forecast")
app.add_typer(plan.group, name="plan")
app.add_typer(calls.group, name="calls")
app.command("health")(health)
app.command("compile-cache")(compile_cache_command)


def main() -> None:  # pragma: no cover
    app()


__all__ = ["app", "main", "one_line"]
