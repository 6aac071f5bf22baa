"""The root ``salesops`` command: one-line errors and exit codes.

Exit codes: 0 ok; 1 a check tripped (``health --fail-on``, ``data validate``, a failed
report run); 2 a usage or input error a user can fix (bad option, unreadable file, invalid
plan or band file, a missing optional extra), printed as one line; 3 an internal error (a
bug), printed as one line. ``--debug`` (before the command) shows the traceback instead.
"""

from __future__ import annotations

import typer
from rich.markup import escape
from typer.core import TyperGroup

from ..errors import SalesOpsError
from ..exports import escape_controls
from .common import console

_STATE = {"debug": False}


def _user_errors() -> tuple[type[BaseException], ...]:
    """Exceptions that mean bad input or usage (exit 2), not a bug."""
    import yaml

    return (
        SalesOpsError,
        FileNotFoundError,
        IsADirectoryError,
        NotADirectoryError,
        PermissionError,
        UnicodeDecodeError,
        yaml.YAMLError,
    )


def one_line(exc: BaseException) -> str:
    """An exception as one printable line (control characters made visible)."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return escape_controls(text)


def _click_exceptions() -> tuple[type[BaseException], ...]:
    """Click's own exceptions (usage errors, exits, aborts) from whichever click typer uses."""
    out: list[type[BaseException]] = [typer.Exit, typer.Abort, SystemExit, KeyboardInterrupt]
    for mod in ("click.exceptions", "typer._click.exceptions"):
        try:
            m = __import__(mod, fromlist=["ClickException"])
        except ImportError:
            continue
        out += [getattr(m, n) for n in ("ClickException", "Exit", "Abort") if hasattr(m, n)]
    return tuple(out)


_PASS_THROUGH = _click_exceptions()


class _Group(TyperGroup):
    """Turns every error a user can cause into one line with exit code 2 (3 for a bug)."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except _PASS_THROUGH:
            raise
        except Exception as exc:
            if _STATE["debug"]:
                raise
            if isinstance(exc, _user_errors()):
                console.print(
                    f"[red]error:[/] {escape(one_line(exc))}", highlight=False, soft_wrap=True
                )
                raise typer.Exit(2) from None
            console.print(
                f"[red]internal error:[/] {escape(type(exc).__name__)}: {escape(one_line(exc))} "
                "(run `salesops --debug ...` for the traceback)",
                highlight=False,
                soft_wrap=True,
            )
            raise typer.Exit(3) from None


app = typer.Typer(
    help="Sales-operations workbench.",
    no_args_is_help=True,
    add_completion=False,
    cls=_Group,
    pretty_exceptions_enable=False,
)


@app.callback()
def _main(
    debug: bool = typer.Option(
        False, "--debug", help="Show tracebacks instead of one-line errors."
    ),
):
    """Sales-operations workbench."""
    _STATE["debug"] = debug
