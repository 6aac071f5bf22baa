"""``salesops compile-cache``: the compiled models kept on this machine."""

from __future__ import annotations

import typer

from .common import console


def compile_cache_command(
    clear: bool = typer.Option(False, "--clear", help="Delete every compiled model."),
    warm: bool = typer.Option(
        False,
        "--warm",
        help="Compile the forecast model now (orgs of up to 4 segments, 16 teams, 128 reps), "
        "so the first forecast loads it instead of compiling (make install runs this).",
    ),
):
    """Where compiled models are kept on this machine, how many and how large; ``--clear``
    deletes them (the next fit of each model compiles once again); ``--warm`` compiles the
    forecast model into it."""
    from .. import compile_cache

    root = compile_cache.cache_dir()
    if root is None:
        console.print(f"the compile cache is off (${compile_cache.ENV_VAR})")
        return
    if clear:
        console.print(f"deleted {compile_cache.clear()} compiled model(s) from {root}")
        return
    if warm:
        from ..forecast import BookingsForecastModel
        from ..forecast.settings import COMPILED_MODEL_WORDS

        info = BookingsForecastModel.warm_up()
        console.print(
            f"forecast model {COMPILED_MODEL_WORDS[info['compiled_model']]} in "
            f"{info['compile_seconds']:.1f} s",
            highlight=False,
        )
    found = compile_cache.entries()
    size = sum(p.stat().st_size for p in found) / 1e6
    console.print(f"{len(found)} compiled model(s), {size:.1f} MB, in {root}", highlight=False)
